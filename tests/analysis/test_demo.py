"""The demo's computations: scenario runs on a daily grid, the dual-effect runs, cohort results."""

from __future__ import annotations

from pathlib import Path

import pytest

from senotwin._errors import ValidationError
from senotwin.analysis.demo import DUAL_SCENARIOS, load_cohort_results, scenario_table
from senotwin.analysis.endpoints import EndpointReducer
from senotwin.cohort.population import tme_population
from senotwin.cohort.runner import CohortConfig, arm_from_text, run_cohort


def test_scenario_table_has_daily_grid_and_readouts() -> None:
    table = scenario_table("legacy_acute_young", days=20.0)
    assert table["time"].iloc[0] == 0.0 and table["time"].iloc[-1] == 20.0
    assert len(table) == 21
    for col in ("S_early", "S_late", "S_deep", "IL6", "TGFB", "MDSC", "tumour_diameter_mm"):
        assert col in table.columns


def test_unknown_scenario_is_a_clear_error() -> None:
    with pytest.raises(ValidationError, match="acute_yung"):
        scenario_table("acute_yung", days=5.0)


def test_dual_scenarios_are_registered_and_labelled() -> None:
    from senotwin.model.scenarios import get_scenario

    for name, label in DUAL_SCENARIOS:
        assert get_scenario(name).name == name
        assert label.split(":")[0] in {"acute", "chronic", "control"}


def test_cohort_results_summarise_the_rows(tmp_path: Path) -> None:
    cfg = CohortConfig(
        "legacy_default",
        2,
        (arm_from_text("chemo=none"), arm_from_text("seno=step block_BCL2_FAMILY=0.9@7")),
        tme_population(),
        seed=4,
        t_end=40.0,
        engine="reference",
        keep_timecourses=("tumour_diameter_mm",),
    )
    run_cohort(cfg, tmp_path, reducer=EndpointReducer(), workers=1, processes=False)
    res = load_cohort_results(tmp_path)
    assert list(res.summary["arm"]) == ["chemo", "seno"]
    assert len(res.rows) == 4 and res.manifest["config"]["n"] == 2
    assert set(res.courses["arm"]) == {"chemo", "seno"}
