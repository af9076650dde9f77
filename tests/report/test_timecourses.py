"""Time-course and dual-effect figures of the TME models."""

from __future__ import annotations

import pandas as pd
import pytest

from senotwin._errors import ValidationError
from senotwin.analysis.demo import DualArm, scenario_table
from senotwin.report.timecourses import (
    dual_effect_figure,
    plot_timecourses,
    sasp_coincidences,
    timecourse_figure,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return scenario_table("acute_young", days=60.0)


@pytest.fixture(scope="module")
def legacy() -> pd.DataFrame:
    return scenario_table("legacy_acute_young", days=60.0)


@pytest.mark.parametrize("which", ["table", "legacy"])
def test_both_models_runs_are_drawn(which, request, tmp_path):
    out = plot_timecourses(request.getfixturevalue(which), tmp_path / "tc.png")
    assert out.read_bytes()[:8] == PNG_MAGIC


def test_plot_writes_png(tmp_path, table):
    out = plot_timecourses(table, tmp_path / "tc.png", title="acute")
    assert out.read_bytes()[:8] == PNG_MAGIC
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_bad_suffix_and_non_tme_table(tmp_path, table):
    with pytest.raises(ValidationError, match=r"\.png or \.svg"):
        plot_timecourses(table, tmp_path / "tc.jpg")
    assert not (tmp_path / "tc.jpg").exists()
    with pytest.raises(ValidationError, match=r"TME read-outs.*not the published fixture models"):
        plot_timecourses(pd.DataFrame({"time": [0.0, 1.0], "E": [1.0, 2.0]}), tmp_path / "x.png")


def test_every_axis_has_a_unit_label(table):
    fig = timecourse_figure(table)
    for ax in fig.axes:
        assert ax.get_ylabel(), ax.get_title()
    for ax in fig.axes[:4]:
        assert ax.get_xlabel() == "time (days)"


def test_twin_axis_curves_say_their_axis(table):
    """CCL2 and IFN-I (nM, right axis) shared a legend with IL-6 (pg/mL, left) without saying
    which axis each reads on."""
    fig = timecourse_figure(table)
    texts = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert [x for x in texts if "right axis" in x] == [
        "CCL2, tumour (right axis)",
        "IFN-I, tumour (right axis)",
    ]


def test_legends_sit_below_their_panels(table):
    """Inside, the cytokine legend covered the right-axis CCL2 curve (audit, session 40)."""
    fig = timecourse_figure(table)
    fig.canvas.draw()
    for ax in (fig.axes[0], fig.axes[1], fig.axes[2]):
        legend, frame = ax.get_legend(), ax.get_window_extent()
        assert legend is not None and legend.get_window_extent().y1 <= frame.y0, ax.get_title()


def test_a_run_without_senescent_cells_says_so(table):
    """A run without senescent cells drew three floor lines at 1 cell, read as a count."""
    none = table.assign(Se=0.0, Sl=0.0, Sd=0.0)
    ax = timecourse_figure(none).axes[0]
    assert not ax.lines and [t.get_text() for t in ax.texts] == ["no senescent cell in this run"]
    assert timecourse_figure(table).axes[0].lines  # the same panel of a run with them


def test_coinciding_sasp_curves_are_drawn_once(legacy):
    merged = sasp_coincidences(legacy)
    sasp_ax = timecourse_figure(legacy).axes[1]
    labels = [line.get_label() for line in sasp_ax.lines]
    n_factors = 6
    assert len(labels) == n_factors - sum(len(g) - 1 for g in merged)
    for group in merged:
        assert " ≈ ".join(group) in labels


def test_dual_effect_figure_shows_sasp_on_and_off_per_arm(table):
    arm = DualArm("acute_young", "acute", table, table.assign(Se=table["Se"] / 2))
    fig = dual_effect_figure([arm, arm])
    assert len(fig.axes) == 6
    lines = fig.axes[0].lines
    assert [str(x.get_label()) for x in lines] == ["SASP on", "SASP off"]
    assert lines[0].get_linestyle() != lines[1].get_linestyle()
    assert "half-life" in fig.axes[0].get_title()
    with pytest.raises(ValidationError, match="at least one arm"):
        dual_effect_figure([])


def test_senescent_axis_starts_near_the_data_not_at_a_floor(table):
    """Day 0 has no senescent cell: a floor of 1e-6 set the log axis's bottom and squashed the
    curves into its top decade; the bottom is now a decade below the smallest positive value."""
    from senotwin.model.readouts import QSP

    sen = QSP.senescent(table)
    assert (sen <= 0).any()  # the zero this is about
    smallest = float(sen[sen > 0].min())
    arm = DualArm("acute_young", "acute", table, table)
    bottom, top = dual_effect_figure([arm]).axes[0].get_ylim()
    assert smallest / 100 <= bottom <= smallest
    assert top >= float(sen.max())


def test_pd1_engagement_axis_spans_the_whole_share(table):
    """A twin whose PD-1 engagement drifted 0.995 -> 0.985 drew it as a fall across the whole
    panel on an axis labelled (0-1) but spanning 0.984-0.995 (audit, session 51)."""
    flat = table.assign(H_PD1=0.985 + 0.01 * (table["time"] == 0))
    right = timecourse_figure(flat).axes[-1]
    assert "H_PD1" in right.get_ylabel()
    lo, hi = right.get_ylim()
    assert lo <= 0.0 and hi >= 1.0


def test_cytokine_axis_says_where_values_below_its_floor_are_drawn(table):
    """IFN-I is 0 at day 0 and was drawn at the 1e-7 nM floor with nothing saying so, read as
    a measured concentration (audit, session 51); a run above the floor keeps the plain label."""
    zero = table.assign(IFNI_t=table["IFNI_t"].where(table["time"] > 0, 0.0))
    assert "drawn at 10⁻⁷" in timecourse_figure(zero).axes[-2].get_ylabel()
    above = table.assign(IFNI_t=table["IFNI_t"].clip(lower=1e-3))
    assert timecourse_figure(above).axes[-2].get_ylabel() == "CCL2, IFN-I (nM, log scale)"
