"""The Mariathasan 2018 EMT6 cases (session 25 flow): ranges from the per-mouse data, arms from
the study's doses, tiers as pre-registered."""

from __future__ import annotations

import math

import pytest

from senotwin.analysis.validation import load_cases
from senotwin.model.qsp import MOUSE_DOSE_PARAMS, MOUSE_TREATMENT_START, mouse_dose_amounts
from tests.scripts_loader import load_script

PREFIX = "mariathasan_emt6_"


def _cases() -> dict[str, object]:
    return {c.spec_case.id: c.spec_case for c in load_cases() if c.spec_case.id.startswith(PREFIX)}


def _case_id(quantity: str, treated: str, reference: str) -> str:
    base = {"cd8_t_cells": "cd8", "tumour_weight_day7": "weight"}[quantity]
    return f"{PREFIX}{base}_{treated}" + ("" if reference == "isotype" else f"_vs_{reference}")


def test_every_contrast_has_its_case_with_the_bootstrap_range_rounded_outward() -> None:
    script = load_script("mariathasan2018_contrasts")
    table = script.endpoints()
    cases = _cases()
    assert len(cases) == len(script.CONTRASTS) == 8
    for quantity, treated, reference in script.CONTRASTS:
        c = script.contrast(table, quantity, treated, reference)
        case = cases[_case_id(quantity, treated, reference)]
        lo, hi = case.expect.range  # type: ignore[attr-defined]
        assert lo == math.floor(c["low"] * 100) / 100
        assert hi == math.ceil(c["high"] * 100) / 100
        assert lo < c["ratio"] < hi


def test_the_bootstrap_reproduces_the_recorded_fig_4c_interval() -> None:
    """quantitative-sources emt6_cd8_fold_anti_pdl1 (session 25 reinv): 1.42, 1.07-2.08."""
    script = load_script("mariathasan2018_contrasts")
    c = script.contrast(script.endpoints(), "cd8_t_cells", "anti_pdl1", "isotype")
    assert (c["n_treated"], c["n_reference"]) == (15, 14)
    assert c["ratio"] == pytest.approx(1.42, abs=0.005)
    assert (c["low"], c["high"]) == pytest.approx((1.07, 2.08), abs=0.005)


def test_no_study_with_both_arms_is_a_clear_error() -> None:
    script = load_script("mariathasan2018_contrasts")
    table = script.endpoints()
    table = table[~((table["quantity"] == "cd8_t_cells") & (table["arm"] == "anti_tgfb"))]
    with pytest.raises(ValueError, match="no study has both"):
        script.contrast(table, "cd8_t_cells", "anti_tgfb", "isotype")


def _arm_of(params: dict[str, float]) -> str:
    doses = {p: params.get(p, 0.0) for p in MOUSE_DOSE_PARAMS}
    arms = [
        a
        for a in ("isotype", "anti_pdl1", "anti_tgfb", "combination")
        if mouse_dose_amounts(a) == doses
    ]
    assert len(arms) == 1, f"doses {doses} are no study arm's"
    return arms[0]


def test_arms_carry_exactly_a_study_arms_doses_on_the_isotype_scenario() -> None:
    for cid, case in _cases().items():
        assert case.system.scenario == "mouse_emt6_isotype"  # type: ignore[attr-defined]
        control = _arm_of(dict(case.control.params))  # type: ignore[attr-defined]
        treated = _arm_of(dict(case.perturbed.params))  # type: ignore[attr-defined]
        assert cid.endswith(treated if control == "isotype" else f"{treated}_vs_{control}")
        assert case.measure.at == MOUSE_TREATMENT_START + 7  # type: ignore[attr-defined]


def test_fitted_arms_ratios_are_calibration_tier() -> None:
    """Pre-registered: a tumour-size ratio of arms whose volumes were fitted shows fit, and so
    does a CD8 ratio of arms whose Fig. 4c CD8 was fitted (session 25 emt6j); the combination's
    CD8 and size were never fitted and stay literature."""
    tiers = {cid: case.tier for cid, case in _cases().items()}  # type: ignore[attr-defined]
    for arm in ("weight_anti_pdl1", "weight_anti_tgfb", "cd8_anti_pdl1", "cd8_anti_tgfb"):
        assert tiers.pop(f"{PREFIX}{arm}") == "calibration", arm
    assert set(tiers.values()) == {"literature"}
    assert {f"{PREFIX}cd8_combination", f"{PREFIX}cd8_combination_vs_anti_pdl1"} <= set(tiers)
