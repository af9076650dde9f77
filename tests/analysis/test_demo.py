"""The demo's computations: scenario runs on a daily grid, the dual-effect runs, cohort results."""

from __future__ import annotations

from pathlib import Path

import pytest

from senotwin._errors import ValidationError
from senotwin.analysis.demo import (
    COHORT_ARMS,
    DEFAULT_SCENARIO,
    DUAL_SCENARIOS,
    THERAPY_ARMS,
    THERAPY_SCENARIO,
    dual_effect_runs,
    load_cohort_results,
    scenario_table,
    senescent_half_life,
)
from senotwin.analysis.endpoints import EndpointReducer
from senotwin.cohort.population import qsp_population
from senotwin.cohort.runner import CohortConfig, arm_from_text, run_cohort
from senotwin.model.scenarios import get_scenario
from senotwin.therapy.dosing import body_for_scenario
from senotwin.therapy.language import SharedTherapy, parse_regimen


def test_scenario_table_has_daily_grid_and_readouts() -> None:
    table = scenario_table("acute_young", days=20.0)
    assert table["time"].iloc[0] == 0.0 and table["time"].iloc[-1] == 20.0
    assert len(table) == 21
    for col in ("Se", "Sl", "Sd", "IL6_p", "CCL2_t", "MDSC", "diameter"):
        assert col in table.columns


def test_unknown_scenario_is_a_clear_error() -> None:
    with pytest.raises(ValidationError, match="acute_yung"):
        scenario_table("acute_yung", days=5.0)


def test_dual_scenarios_are_registered_and_labelled() -> None:
    from senotwin.model.scenarios import get_scenario

    for name, label in DUAL_SCENARIOS:
        assert get_scenario(name).name == name
        assert label.split(":")[0] in {"acute", "chronic"}


def test_dual_effect_acute_clears_faster_with_the_sasp_chronic_suppresses() -> None:
    """Issue 11's dual effect, as the demo computes it (one year, SASP on vs off)."""
    acute, chronic = dual_effect_runs()
    on, off = acute.half_lives
    assert on < off  # transient pulse, young host: cleared faster because of the SASP
    v_on, v_off = chronic.final_volumes
    assert v_on > v_off  # persistent senescence, aged host: the SASP net-hurts


def test_half_life_of_a_course_that_never_halves_is_nan() -> None:
    import pandas as pd

    table = pd.DataFrame({"time": [0.0, 1.0, 2.0], "Se": [1.0, 2.0, 3.0], "Sl": 0.0, "Sd": 0.0})
    assert senescent_half_life(table) != senescent_half_life(table)  # NaN
    table["Se"] = [4.0, 2.0, 1.0]
    assert senescent_half_life(table) == 1.0


def test_cohort_results_summarise_the_rows(tmp_path: Path) -> None:
    cfg = CohortConfig(
        "default",
        2,
        (arm_from_text("chemo=none"), arm_from_text("seno=step block_BCL2_FAMILY=0.9@7")),
        qsp_population(),
        seed=4,
        t_end=40.0,
        engine="reference",
        keep_timecourses=("diameter",),
    )
    run_cohort(cfg, tmp_path, reducer=EndpointReducer(), workers=1, processes=False)
    res = load_cohort_results(tmp_path)
    assert list(res.summary["arm"]) == ["chemo", "seno"]
    assert len(res.rows) == 4 and res.manifest["config"]["n"] == 2
    assert set(res.courses["arm"]) == {"chemo", "seno"}


@pytest.mark.parametrize(
    ("scenario", "arms"),
    [(THERAPY_SCENARIO, dict(THERAPY_ARMS)), (DEFAULT_SCENARIO, dict(COHORT_ARMS))],
    ids=["therapy-arms", "cohort-arms"],
)
def test_demo_arms_compile_without_notes(scenario: str, arms: dict[str, str]) -> None:
    """Every demo regimen is dosed as labelled for a human: compiled onto its scenario's shared
    therapy model (as compare_arms and the cohort runner do), no arm draws a note, so no
    off-label schedule (2 mg/kg doxorubicin d0,d7 did) and no drug effect the model drops."""
    body = body_for_scenario(scenario)
    regs = {n: None if t == "none" else parse_regimen(t, body=body) for n, t in arms.items()}
    drugs = tuple(sorted({d.id for r in regs.values() if r is not None for d in r.drugs()}))
    spec = get_scenario(scenario).load()
    for name, reg in regs.items():
        _, schedule = SharedTherapy(reg, drugs).compile_for(spec)
        assert schedule.notes == (), f"{scenario} arm {name!r}: {schedule.notes}"


def test_the_demo_reads_the_validation_cases_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The suite read the cases file, then the report's model list read it again (0.5-0.7 s
    per demo; audit find). The other analyses are stubbed: only the reads are counted."""
    import senotwin.analysis.demo as demo
    import senotwin.analysis.validation as validation
    from senotwin.analysis.validation.load import load_cases

    reads: list[object] = []

    def counted(path: object = None) -> object:
        reads.append(path)
        return load_cases()

    monkeypatch.setattr(demo, "load_cases", counted)
    monkeypatch.setattr(validation, "load_cases", counted)
    ran: list[int] = []
    monkeypatch.setattr(validation, "run_cases", lambda cases, **_k: ran.append(len(cases)))
    for name in (
        "load_kb",
        "scenario_table",
        "dual_effect_runs",
        "compare_arms",
        "load_cohort_results",
        "demo_cohort",
        "run_sensitivity",
        "demo_evaluation",
    ):
        monkeypatch.setattr(demo, name, lambda *_a, **_k: None)
    results = demo.run_demo_analysis(tmp_path / "cohort", null_draws=0)
    assert len(reads) == 1 and ran == [len(load_cases())]
    assert {m.id for m in results.validation_models} == {
        m.id for m in demo.validation_models(load_cases())
    }
    assert len(results.validation_models) >= 2  # the default model and its overlays
    with pytest.raises(ValidationError, match="not both"):
        validation.run_validation("cases.yaml", cases=load_cases())
