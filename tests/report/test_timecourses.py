"""Time-course and dual-effect figures of the TME model."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from senotwin._errors import ValidationError
from senotwin.report.timecourses import (
    dual_effect_figure,
    plot_timecourses,
    scenario_table,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def table():
    return scenario_table("acute_young", days=60.0)


def test_scenario_table_has_daily_grid_and_readouts(table):
    assert table["time"].iloc[0] == 0.0 and table["time"].iloc[-1] == 60.0
    assert len(table) == 61
    for col in ("S_early", "S_late", "S_deep", "IL6", "TGFB", "MDSC", "tumour_diameter_mm"):
        assert col in table.columns


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


def test_dual_effect_figure_has_four_panels(table):
    fig = dual_effect_figure({"acute": table, "again": table})
    try:
        assert len(fig.axes) == 4
        assert len(fig.axes[0].lines) == 2
    finally:
        plt.close(fig)
    with pytest.raises(ValidationError, match="at least one run"):
        dual_effect_figure({})
