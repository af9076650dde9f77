"""Time-course and dual-effect figures of the TME model."""

from __future__ import annotations

import pandas as pd
import pytest

from senotwin._errors import ValidationError
from senotwin.analysis.demo import scenario_table
from senotwin.report.timecourses import (
    dual_effect_figure,
    plot_timecourses,
    sasp_coincidences,
    timecourse_figure,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return scenario_table("legacy_acute_young", days=60.0)


def test_plot_writes_png(tmp_path, table):
    out = plot_timecourses(table, tmp_path / "tc.png", title="acute")
    assert out.read_bytes()[:8] == PNG_MAGIC
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_bad_suffix_and_non_tme_table(tmp_path, table):
    with pytest.raises(ValidationError, match=r"\.png or \.svg"):
        plot_timecourses(table, tmp_path / "tc.jpg")
    assert not (tmp_path / "tc.jpg").exists()
    with pytest.raises(ValidationError, match="TME read-outs"):
        plot_timecourses(pd.DataFrame({"time": [0.0, 1.0], "E": [1.0, 2.0]}), tmp_path / "x.png")


def test_every_axis_has_a_unit_label(table):
    fig = timecourse_figure(table)
    for ax in fig.axes:
        assert ax.get_ylabel(), ax.get_title()
    for ax in fig.axes[:4]:
        assert ax.get_xlabel() == "time (days)"


def test_coinciding_sasp_curves_are_drawn_once(table):
    merged = sasp_coincidences(table)
    sasp_ax = timecourse_figure(table).axes[1]
    labels = [line.get_label() for line in sasp_ax.lines]
    n_factors = 6
    assert len(labels) == n_factors - sum(len(g) - 1 for g in merged)
    for group in merged:
        assert " ≈ ".join(group) in labels


def test_dual_effect_figure_has_four_panels_with_distinct_styles(table):
    fig = dual_effect_figure({"acute": table, "again": table})
    assert len(fig.axes) == 4
    lines = fig.axes[0].lines
    assert len(lines) == 2 and lines[0].get_linestyle() != lines[1].get_linestyle()
    with pytest.raises(ValidationError, match="at least one run"):
        dual_effect_figure({})
