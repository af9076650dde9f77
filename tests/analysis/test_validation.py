"""Validation suite v2: schema and tier rules at load, measures, judging, the shipped suite."""

from __future__ import annotations

import math

import numpy as np
import pytest

from senotwin._errors import ValidationError
from senotwin.analysis.validation import (
    ValidationReport,
    algebraic_closure,
    load_cases,
    parse_cases,
    run_cases,
)
from senotwin.analysis.validation.measure import measure, readout_series
from senotwin.analysis.validation.rules import input_species
from senotwin.analysis.validation.runner import _schedule
from senotwin.analysis.validation.schema import Arm, Measure
from senotwin.model.expr import parse
from senotwin.model.qsp import load_qsp

_SOURCE = {
    "paper": "Paper P et al. 2020",
    "panel": "Fig. 1b",
    "review_section": "3.2",
    "refs": [38],
}


def _case(**over: object) -> dict[str, object]:
    case: dict[str, object] = {
        "id": "c1",
        "tier": "literature",
        "claim": "blocking the SASP shrinks a chronic lesion",
        "source": dict(_SOURCE),
        "system": {"species": "human", "tumour": "NSCLC", "host_age": "aged", "inducer": "chronic"},
        "perturbed": {"blocks": {"SASP": 1.0}},
        "readout": "V_T",
        "measure": {"stat": "at", "at": 60},
        "expect": {"kind": "direction", "direction": "decrease"},
    }
    case.update(over)
    return case


def _doc(*cases: dict[str, object]) -> dict[str, object]:
    return {"version": 2, "cases": list(cases)}


# ---- load-time rules -------------------------------------------------------------------------
def test_literature_case_reading_an_algebraic_function_of_the_block_is_rejected() -> None:
    algebraic = _case(readout="IL6_t")  # IL6_t = f(sasp_cells), sasp_cells scaled by block_SASP
    with pytest.raises(ValidationError, match=r"case c1: a literature case must not .*block_SASP"):
        parse_cases(_doc(algebraic))
    (ok,) = parse_cases(_doc(_case(readout="IL6_t", tier="consistency")))
    assert ok.spec_case.tier == "consistency"


def test_literature_case_changing_a_parameter_its_readout_uses_is_rejected() -> None:
    # IL6_p = IL6_base + ...: an "aged vs young plasma IL-6" case holds by the preset alone
    case = _case(perturbed={"params": {"IL6_base": 2.17}}, readout="IL6_p")
    with pytest.raises(ValidationError, match="IL6_base"):
        parse_cases(_doc(case))


def test_literature_case_starting_an_input_exposure_its_readout_uses_is_rejected() -> None:
    # PDL1_d carries stress/(1 + stress) (the DNA-damage route); stress only decays, so its start
    # fixes its course: "DNA damage raises PD-L1" would hold by that factor alone (Sato pattern)
    case = _case(
        system={"species": "mouse", "tumour": "liver", "host_age": "young", "inducer": "chemo"},
        control={"initial": {"stress": 0.0}},
        perturbed={"initial": {"stress": 21.4}},
        readout="PDL1_d",
        expect={"kind": "direction", "direction": "increase"},
    )
    with pytest.raises(ValidationError, match="on stress"):
        parse_cases(_doc(case))
    # the same start read through a state that has to evolve is a literature case
    (ok,) = parse_cases(_doc({**case, "readout": "T8"}))
    assert ok.spec_case.tier == "literature"


def test_input_species_are_the_exposures_whose_rates_read_only_themselves() -> None:
    assert input_species(load_qsp()) == {"stress"}


def test_literature_case_reading_plasma_il6_under_an_il6_antibody_is_rejected() -> None:
    # blocking IL-6 receptor uptake raises plasma IL-6 at the same instant (Nishimoto 2008): a
    # tocilizumab "raises serum IL-6" claim holds by the drug's occupancy alone (consistency)
    off = {"off_label": "the trial's dose"}
    case = _case(
        system={"species": "human", "tumour": "NSCLC", "host_age": "aged", "inducer": "none"},
        perturbed={"regimen": "tocilizumab 8 mg/kg iv q28d d0-d56", **off},
        readout="IL6_p",
        expect={"kind": "direction", "direction": "increase"},
    )
    with pytest.raises(ValidationError, match="drug_tocilizumab"):
        parse_cases(_doc(case))
    (ok,) = parse_cases(_doc({**case, "tier": "consistency"}))
    assert ok.drugs == ("tocilizumab",)


def test_algebraic_closure_inlines_observables_and_sees_blocks() -> None:
    spec = load_qsp()
    closure = algebraic_closure(spec, parse("IL6_t", {"IL6_t"}))
    assert {"block_SASP", "Sl", "Sd", "C", "il1a_level", "s_il6_sen"} <= closure
    assert "block_NFKB" not in closure  # IKK (NF-kB phase 1) acts through the senescence programme
    assert algebraic_closure(spec, parse("Se + Sl", {"Se", "Sl"})) == {"Se", "Sl"}


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"tier": "calibration"}, "must name its data set"),
        ({"source": {**_SOURCE, "panel": None}}, "panel"),
        ({"source": {**_SOURCE, "refs": []}}, "refs"),
        ({"colour": "red"}, "colour"),
        ({"perturbed": None}, "compares arms"),
        ({"expect": {"kind": "fold_change", "range": [2.0, 1.0], "basis": "x"}}, r"\[low, high\]"),
        ({"expect": {"kind": "fold_change", "range": [0.5, 0.9]}}, "basis"),
        ({"measure": {"stat": "max", "at": 3}}, "window"),
        ({"perturbed": {"blocks": {"PPARG": 1.0}}}, "'PPARG' is not a blockable entity"),
        ({"perturbed": {"blocks": {"SASP": 1.5}}}, "blocks"),
        ({"perturbed": {"blocks": {"NFKB": {"fraction": 1, "start": 5, "end": 2}}}}, "after start"),
        ({"perturbed": {"params": {"k_nope": 1.0}}}, "'k_nope' is not a parameter"),
        ({"readout": "IL7"}, "IL7"),
        ({"system": {"tissue": "liver"}}, "'liver' is not a model tissue"),
        ({"measure": {"stat": "at", "at": "30"}}, "measure.at"),
        ({"measure": {"stat": "time_to_fold", "window": [0, 9]}}, "'fold: RATIO' goes with"),
        ({"measure": {"stat": "max", "window": [0, 9], "fold": 2.0}}, "'fold: RATIO' goes with"),
        ({"measure": {"stat": "time_to_fold", "window": [0, 9], "fold": 1.0}}, "other than 1"),
    ],
)
def test_bad_cases_name_the_field(over: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_cases(_doc(_case(**over)), source="cases.yaml")


def test_document_needs_version_2_and_unique_ids() -> None:
    with pytest.raises(ValidationError, match="version"):
        parse_cases({"cases": [_case()]})
    with pytest.raises(ValidationError, match="duplicate id"):
        parse_cases(_doc(_case(), _case()))


def test_calibration_case_with_its_data_set_loads() -> None:
    (case,) = parse_cases(_doc(_case(tier="calibration", dataset="mariathasan2018 Fig 4a")))
    assert case.spec_case.dataset == "mariathasan2018 Fig 4a"


# ---- measures and judging --------------------------------------------------------------------
def test_time_measures_on_an_exact_series() -> None:
    t = np.linspace(0.0, 40.0, 401)
    v = np.where(t <= 10.0, t, 10.0 * np.exp(-np.log(2.0) * (t - 10.0) / 5.0))
    win = (0.0, 40.0)
    assert measure(t, v, Measure(stat="time_to_peak", window=win)) == pytest.approx(10.0)
    assert measure(t, v, Measure(stat="time_to_half_max", window=win)) == pytest.approx(5.0)
    assert measure(t, v, Measure(stat="half_life", window=win)) == pytest.approx(5.0, abs=0.01)
    assert measure(t, v, Measure(stat="at", at=12.5)) == pytest.approx(np.interp(12.5, t, v))
    assert math.isinf(measure(t, np.ones_like(t), Measure(stat="half_life", window=win)))
    growth = 3.0 * np.exp(np.log(2.0) * t / 7.0)  # doubles every 7 days
    doubling = Measure(stat="doubling_time", window=(4.0, 40.0))
    assert measure(t, growth, doubling) == pytest.approx(7.0, abs=0.01)


def test_fold_measures_read_a_recist_progression_and_a_best_response() -> None:
    t = np.linspace(0.0, 40.0, 401)
    growth = 3.0 * np.exp(np.log(2.0) * t / 7.0)  # doubles every 7 days
    progression = Measure(stat="time_to_fold", window=(0.0, 40.0), fold=1.728)
    assert measure(t, growth, progression) == pytest.approx(7.0 * np.log2(1.728), abs=0.01)
    shrink = Measure(stat="time_to_fold", window=(0.0, 40.0), fold=0.5)
    decay = 8.0 * np.exp(-np.log(2.0) * t / 4.0)  # halves every 4 days
    assert measure(t, decay, shrink) == pytest.approx(4.0, abs=0.01)
    assert math.isinf(measure(t, decay, progression))
    # best response: the dip to 0.3 of the start value, whatever happens after it
    dip = np.where(t <= 10.0, 1.0 - 0.07 * t, 0.3 + 0.1 * (t - 10.0))
    best = Measure(stat="min_fold", window=(0.0, 40.0))
    assert measure(t, 5.0 * dip, best) == pytest.approx(0.3)
    assert progression.describe() == "time to 1.728-fold over days 0-40"


def test_readout_expression_is_evaluated_on_the_table() -> None:
    table = {"time": np.array([0.0, 1.0]), "Se": np.array([1.0, 2.0]), "C": np.array([3.0, 2.0])}
    out = readout_series(table, parse("Se / (Se + C)", {"Se", "C"}))
    assert out.tolist() == [0.25, 0.5]


def test_windowed_block_becomes_steps_of_the_block_fraction() -> None:
    arm = Arm.model_validate(
        {"blocks": {"NFKB": {"fraction": 0.9, "start": 2, "end": 9}, "SASP": 1}}
    )
    blocks, schedule = _schedule(arm)
    assert blocks == {"SASP": 1.0}
    assert [(s.time, s.parameter, s.value) for s in schedule.steps] == [
        (2.0, "block_NFKB", 0.9),
        (9.0, "block_NFKB", 0.0),
    ]


def test_quantitative_cases_pass_only_inside_their_range() -> None:
    expect = {"kind": "fold_change", "range": [0.0, 0.99], "basis": "any shrinkage"}
    inside = _case(id="inside", tier="consistency", expect=expect)
    outside = _case(id="outside", tier="consistency", expect={**expect, "range": [1.5, 3.0]})
    report = run_cases(parse_cases(_doc(inside, outside)))
    by_id = {r.id: r for r in report.results}
    assert by_id["inside"].passed and not by_id["outside"].passed
    fold = by_id["inside"].effect
    assert fold == pytest.approx(by_id["inside"].perturbed_value / by_id["inside"].control_value)
    assert "expected fold change 1.5-3" in (by_id["outside"].explanation or "")
    assert by_id["inside"].effect_unit == "fold" and by_id["inside"].quantitative


def test_direction_from_a_zero_control_counts_the_sign() -> None:
    case = _case(
        tier="consistency",
        system={"inducer": "chemo"},
        perturbed={"blocks": {"BCL2_FAMILY": 1.0}},
        readout="apoptosis",
        measure={"stat": "at", "at": 1},
        expect={"kind": "direction", "direction": "increase"},
    )
    (result,) = run_cases(parse_cases(_doc(case))).results
    assert result.control_value == 0.0 and result.passed and math.isinf(result.effect)


def test_a_case_in_the_mouse_host_runs_outside_the_human_ranges() -> None:
    """A case whose system is a mouse scenario (2 mL of blood, a young host) runs with that
    scenario's own range policy instead of being refused for leaving the human ranges."""
    case = _case(
        tier="consistency",
        system={"species": "mouse", "tumour": "MC38", "scenario": "mouse_mc38_isotype"},
        perturbed={"blocks": {"CD8_T_CELL": 1.0}},
        measure={"stat": "at", "at": 20},
        expect={"kind": "direction", "direction": "increase"},
    )
    (result,) = run_cases(parse_cases(_doc(case))).results
    assert math.isfinite(result.control_value) and 0.0 < result.control_value < 26.5
    assert result.perturbed_value > result.control_value


# ---- the shipped suite ------------------------------------------------------------------------
def test_shipped_cases_by_tier() -> None:
    cases = load_cases()
    tiers = [c.spec_case.tier for c in cases]
    assert tiers.count("literature") >= 40
    assert {"consistency", "calibration"} <= set(tiers)
    for c in cases:
        if c.spec_case.tier == "literature":
            assert c.spec_case.source.panel and c.spec_case.source.refs, c.spec_case.id


def test_dual_effect_cases_pass(validation_report: ValidationReport) -> None:
    passed = {r.id for r in validation_report.results if r.passed}
    assert {"acute_young_sasp_speeds_clearance", "chronic_aged_sasp_net_hurts"} <= passed


def test_report_counts_and_json(validation_report: ValidationReport) -> None:
    tiers = validation_report.tiers()
    assert sum(c.n for c in tiers.values()) == len(validation_report.results)
    assert sum(c.passed for c in tiers.values()) == validation_report.n_passed
    d = validation_report.to_dict()
    assert d["tiers"]["literature"]["n"] == tiers["literature"].n  # type: ignore[index]
    row = d["cases"][0]  # type: ignore[index]
    assert {"tier", "expected", "observed", "source", "unit", "direction_only"} <= set(row)
    assert row["source"]["panel"]
    for r in validation_report.failures():
        assert r.explanation and r.readout.split(" ")[0] in r.explanation


def test_an_off_label_trial_dose_runs_only_with_its_reason() -> None:
    """A regimen the drug library calls off-label for a human (here: a dose above the drug's
    labelled human range, siltuximab's 11 mg/kg) is refused at load unless the arm says why it
    runs (the trial's dose)."""
    reg = "siltuximab 15 mg/kg iv q21d d0-d62"
    bare = {
        "control": {"regimen": reg},
        "perturbed": None,
        "readout": "V_T",
        "measure": {"stat": "min_fold", "window": [0, 63]},
        "expect": {"kind": "value", "range": [0.343, 100.0], "unit": "fold", "basis": "no PR"},
    }
    with pytest.raises(ValidationError, match=r"control\.off_label: WHY"):
        parse_cases(_doc(_case(**bare)))
    why = {**bare, "control": {"regimen": reg, "off_label": "the study's phase-2 dose"}}
    (case,) = parse_cases(_doc(_case(**why)))
    assert case.drugs == ("anti-il-6",)
    with pytest.raises(ValidationError, match="give 'regimen' too"):
        parse_cases(_doc(_case(control={"off_label": "the study's dose"})))


def test_a_time_course_order_names_the_time_it_compares() -> None:
    """A peak_order case written 'at: 120' compares times to half-maximum over days 0-120; its
    measure said 'day 120', as if both read-outs were read on that day (audit find)."""
    case = _case(
        tier="consistency",
        system={"inducer": "chemo"},
        perturbed=None,
        readout="p21_arrest",
        measure={"stat": "at", "at": 120},
        expect={"kind": "peak_order", "first": "p21_arrest", "then": "p16_arrest"},
    )
    (result,) = run_cases(parse_cases(_doc(case))).results
    assert result.measure == "time to half max over days 0-120"
    assert result.control_value < result.perturbed_value < 120


def test_a_failure_note_prints_the_observation_as_the_table_does() -> None:
    """A direction reads as the table's percent change, and a dimensionless read-out has no
    unit '1' (the note read '-0.0136 relative (0.7967 -> 0.7859 1)'; audit find)."""
    case = _case(
        tier="consistency",
        system={"inducer": "chemo"},
        perturbed={"blocks": {"MDSC": 1.0}},
        readout="mdsc_supp",
        measure={"stat": "at", "at": 30},
    )  # removing MDSCs raises the function they leave: the expected decrease fails
    (result,) = run_cases(parse_cases(_doc(case))).results
    assert not result.passed
    note = result.explanation or ""
    assert f"observed {result.observed_text()} (" in note
    assert "relative" not in note and not note.split(". Note")[0].endswith(" 1)")
