"""Cross-tissue held-back cohorts: Miao 2018 ccRCC predicted from the liu2019 fit, no refit."""

from __future__ import annotations

import pytest

from senotwin._errors import ValidationError
from senotwin.model.qsp import QSP_SCENARIOS, TISSUES
from senotwin.trial.ici_fit import stored_fit
from senotwin.trial.ici_transfer import TRANSFER_HELD_BACK, predict_transfer, transfer_design
from senotwin.trial.tissue import get_tissue


def _fit() -> dict[str, float]:
    return {p["parameter"]: p["best"] for p in stored_fit()["parameters"]}


def test_kidney_context_grows_at_the_cited_ccrcc_doubling_time() -> None:
    kidney = TISSUES["ccrcc"]
    # Gofrit 2015: 2.13 cm/year at a mean 4.5 cm diameter -> volume rate 3 x 2.13 / 4.5 per year
    assert kidney.doubling_days == pytest.approx(365.25 * 0.6931 / (3 * 2.13 / 4.5), rel=0.01)
    assert kidney.source == "ccrcc_growth_gofrit2015"
    assert {"aged_ccrcc_untreated", "aged_ccrcc_chemo"} <= set(QSP_SCENARIOS)


def test_miao_is_simulated_in_its_tissue_with_the_transferable_fit_only() -> None:
    values = _fit()
    vc, centres, spreads, fixed, info = transfer_design("miao", values, n=6)
    kidney = get_tissue("ccrcc_clear_cell")
    assert vc.design.scenario == "aged_ccrcc_untreated"
    assert vc.design.baseline.cd8_median == kidney.cd8_relative
    assert vc.design.baseline.invisible_classes == kidney.invisible_classes
    # the melanoma centre reaches ccRCC only x antigenicity (clipped into N_ag's range)
    nag = next(p for p in vc.population.priors if p.parameter == "N_ag")
    derived = values["N_ag.centre"] * kidney.antigenicity
    assert info["precursors_derived"] == pytest.approx(derived)
    assert nag.centre == pytest.approx(min(max(derived, 1e4), 5e5))
    # no melanoma-specific quantity is carried over: the Treg load and the precursor centre
    assert set(centres) == {"k_kill", "n_reinv"} and set(spreads) == {"N_ag"}
    assert fixed == {  # the values shared by every patient (k_exh fitted since session 22)
        "k_byst": pytest.approx(values["k_byst.value"]),
        "k_exh": pytest.approx(values["k_exh.value"]),
    }
    with pytest.raises(ValidationError, match="miao"):
        transfer_design("mia", values)


def test_miao_prediction_reports_what_is_compared_and_what_is_not() -> None:
    r = predict_transfer("miao", n=6)
    assert r["orr_obs"] == pytest.approx(8 / 33, abs=1e-3) and r["n_obs"] == 33
    assert 0.0 <= r["orr_sim"] <= 1.0 and sum(r["recist_sim"].values()) == r["n_sim"]
    assert r["cr_share_obs"] == pytest.approx(1 / 33)
    assert set(r["not_compared"]) == {"pfs", "os"} == set(TRANSFER_HELD_BACK["miao"].not_compared)
    assert r["tissue"]["id"] == "ccrcc_clear_cell"
    # the kidney lesion's proliferation centre is derived at the transferred immune values
    grow = r["k_grow_centre"]
    assert grow["tissue"] == "ccrcc" and grow["cited_days"] == TISSUES["ccrcc"].doubling_days
    assert grow["k_grow"] != pytest.approx(TISSUES["ccrcc"].k_grow, rel=1e-3)
