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


def test_padron_entry_is_well_formed() -> None:
    """Session 30 (paad): the held-back PRINCE arm A1 names a shipped tissue and scenario, the
    cited doses, and what is not compared; its observed endpoints are PFS and OS."""
    from senotwin.model.scenarios import get_scenario
    from senotwin.trial.ici_data import cohort

    spec = TRANSFER_HELD_BACK["padron"]
    assert get_tissue(spec.tissue).id == "pancreas_adenocarcinoma"
    assert get_scenario(spec.scenario).name == "aged_pancreas_untreated"
    for dose in ("gemcitabine 1000 mg/m2 iv", "nab-paclitaxel 125 mg/m2 iv", "nivolumab 240 mg iv"):
        assert dose in spec.regimen
    assert {"orr", "recist", "cd8_tertiles", "sotigalimab_arm"} == set(spec.not_compared)
    # OS is compared, but its simulated deaths use the melanoma death hazard: said, not hidden
    assert "melanoma" in spec.caveats["os"]
    obs = cohort("padron")
    assert {"pfs", "os"} <= set(obs) and "recist" not in obs


def test_padron_regimen_parses_clause_by_clause_and_whole() -> None:
    """Every clause of the PRINCE A1 regimen compiles on its own and together (gemcitabine and
    nab-paclitaxel weekly x3 of 28 days, the flat nivolumab dose)."""
    from senotwin.therapy.dosing import body_for_scenario
    from senotwin.therapy.language import parse_regimen

    spec = TRANSFER_HELD_BACK["padron"]
    body = body_for_scenario(spec.scenario)
    clauses = [c.strip() for c in spec.regimen.split(";")]
    assert [c.split()[0] for c in clauses] == ["gemcitabine", "nab-paclitaxel", "nivolumab"]
    for clause in clauses:
        assert parse_regimen(clause, body=body).items
    assert len(parse_regimen(spec.regimen, body=body).items) >= 3


def test_padron_cohort_design_builds_in_its_tissue() -> None:
    """With gemcitabine in the library the cohort design builds (regimen compiled, tissue
    carried); nothing is simulated here (padron is held back: the lead predicts it once)."""
    from senotwin.therapy.dosing import body_for_scenario
    from senotwin.therapy.language import apply_regimen, parse_regimen

    vc, centres, _, _, info = transfer_design("padron", _fit(), n=6)
    pancreas = get_tissue("pancreas_adenocarcinoma")
    assert vc.design.scenario == "aged_pancreas_untreated"
    assert vc.design.baseline.cd8_median == pancreas.cd8_relative
    assert vc.design.baseline.invisible_classes == pancreas.invisible_classes
    assert info["id"] == "pancreas_adenocarcinoma" and set(centres) == {"k_kill", "n_reinv"}
    reg = parse_regimen(vc.design.regimen, body=body_for_scenario(vc.design.scenario))
    assert apply_regimen(vc.spec, reg).schedule


def test_survival_only_cohort_is_compared_on_pfs_and_os() -> None:
    """compare_cohort on padron's extract: PFS and OS medians and landmark terms only, the
    response endpoints carried as not comparable (a synthetic 'simulation' equal to the data,
    not a model run)."""
    from senotwin.trial.ici_data import cohort
    from senotwin.trial.ici_fit import compare_cohort

    obs = cohort("padron")
    sim = {
        "orr": 0.0,
        "n": 25,
        "recist": {"CR": 0, "PR": 0, "SD": 0, "PD": 0},
        "tertiles": [],
        "pfs": obs["pfs"],
        "os": obs["os"],
    }
    out = compare_cohort(sim, obs, "padron", "regimen")
    assert "orr_obs" not in out and "recist_obs" not in out and out["n_obs"] == 25
    assert set(out["not_comparable"]) == {"orr", "recist", "cd8_tertiles"}
    assert out["median_pfs_error"] == 0.0 and out["median_os_error"] == 0.0
    assert set(out["goodness"]["terms"]) == {"pfs_3m", "pfs_6m", "pfs_12m", "os_12m", "os_24m"}
    assert out["goodness"]["deviance"] == pytest.approx(0.0)
    # the tail a median hides: each landmark both curves report, with the observed SE
    pfs = out["landmarks_pfs"]
    assert [lm["month"] for lm in pfs] == [lm["month"] for lm in obs["pfs"]["landmarks"]]
    assert all(lm["sim"] == lm["obs"] for lm in pfs)
    assert [lm["obs_se"] for lm in pfs] == [lm["se"] for lm in obs["pfs"]["landmarks"]]
    assert all(lm["obs_low"] <= lm["obs"] <= lm["obs_high"] for lm in pfs)
