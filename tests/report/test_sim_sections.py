"""Simulation sections: captions computed from the runs they describe."""

from __future__ import annotations

import numpy as np
import pandas as pd

from senotwin.analysis.demo import DemoResults
from senotwin.report.sim_sections import dual_caption, model_section, tumour_course
from senotwin.report.therapy_sections import comparison_summary


def _course(diameters: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"time": np.arange(len(diameters), dtype=float), "tumour_diameter_mm": diameters}
    )


def test_tumour_course_names_nadir_and_regrowth_only_when_there() -> None:
    assert tumour_course(_course([10.0, 8.0, 6.0, 9.0])) == (
        "the tumour diameter shrinks from 10.0 to 6.0 mm (day 2) and regrows to 9.0 mm by day 3"
    )
    assert tumour_course(_course([10.0, 11.0, 12.0])) == (
        "the tumour diameter grows from 10.0 to 12.0 mm by day 2"
    )
    assert tumour_course(_course([10.0, 9.0, 8.0])).startswith("the tumour diameter shrinks")


def test_dual_caption_reads_every_run(demo_results: DemoResults) -> None:
    text = dual_caption(demo_results.dual_runs)
    for arm in demo_results.dual_runs:
        assert arm.scenario in text
        v_on, v_off = arm.final_volumes
        assert f"{v_on:.0f} mL with and {v_off:.0f} mL without" in text


def test_model_section_shares_add_up(demo_results: DemoResults) -> None:
    table = model_section(demo_results.model).tables[0]
    assert sum(int(r[2]) for r in table.rows) == len(demo_results.model.parameters)


def test_therapy_summary_names_best_and_worst_arm(demo_results: DemoResults) -> None:
    comp = demo_results.therapy
    best = min(comp.arms, key=lambda a: a.final_tumour)
    text = comparison_summary(comp)
    assert f"'{best.name}' ({best.final_tumour:.2f} × 10⁹ cells)" in text


def test_model_section_names_links_the_model_has() -> None:
    """The physical-units model links the kb by entity tags, not interaction ids: no '0 cited'."""
    from senotwin.model.scenarios import get_scenario

    model = get_scenario("default").load()
    intro = model_section(model).intro
    assert "cite 0 " not in intro
    assert f"{len(model.entities())} knowledge-base entities tag" in intro


def test_therapy_panel_labels_are_wrapped(demo_results: DemoResults) -> None:
    """A long y label ('functional CD8 effectors per exhausted CD8 (dimensionless)') ran into
    the panel beside it; each line now holds at most LABEL_WIDTH characters."""
    from senotwin.report.therapy_sections import LABEL_WIDTH, comparison_figure

    labels = [ax.get_ylabel() for ax in comparison_figure(demo_results.therapy).axes]
    assert all(labels) and max(len(line) for lab in labels for line in lab.split("\n")) <= (
        LABEL_WIDTH
    )
