"""Cohort report sections: table values come from the cohort rows; figures are PNGs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from senotwin.analysis.endpoints import EndpointReducer
from senotwin.analysis.survival import arm_summary
from senotwin.cohort.population import tme_population
from senotwin.cohort.runner import CohortConfig, arm_from_text, load_rows, run_cohort
from senotwin.report.cohort_sections import cohort_sections, waterfall_figure

PNG = b"\x89PNG"


def test_sections_of_a_small_cohort(tmp_path: Path) -> None:
    cfg = CohortConfig(
        "default",
        3,
        (arm_from_text("chemo=none"), arm_from_text("seno=step block_BCL2_FAMILY=0.9@7")),
        tme_population(),
        seed=4,
        t_end=50.0,
        engine="reference",
        keep_timecourses=("tumour_diameter_mm",),
    )
    run_cohort(cfg, tmp_path, reducer=EndpointReducer(), workers=1, processes=False)
    rep = cohort_sections(tmp_path)
    titles = [s.title for s in rep.sections]
    assert titles == [
        "Virtual trial: therapy arms",
        "Responses per patient",
        "Virtual-cohort provenance",
    ]
    names = [n for n, _ in rep.figures]
    assert names == ["cohort_km.png", "cohort_waterfall.png", "cohort_spider.png"]
    assert all(data.startswith(PNG) for _, data in rep.figures)
    summary = arm_summary(load_rows(tmp_path))
    dcr = summary.set_index("arm").loc["chemo", "DCR"]
    assert f"{100 * dcr:.0f}%" in rep.sections[0].html
    assert "seed" in rep.sections[2].html and "4" in rep.sections[2].html


def test_waterfall_handles_failed_rows() -> None:
    rows = pd.DataFrame(
        {
            "patient": [0, 1, 0, 1],
            "arm": ["a", "a", "b", "b"],
            "status": ["success", "failed", "success", "success"],
            "best_change_pct": [-40.0, float("nan"), 10.0, 30.0],
            "best_response": ["PR", "NE", "SD", "PD"],
        }
    )
    assert waterfall_figure(rows).startswith(PNG)
