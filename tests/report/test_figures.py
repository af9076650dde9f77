"""Figure helpers: coinciding curves merged or told apart, formats, atomic writing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from senotwin._errors import ValidationError
from senotwin.report.figures import (
    coincident_groups,
    distinct_colours,
    draw_lines,
    figure_bytes,
    new_figure,
    write_figure,
)

T = np.linspace(0.0, 10.0, 50)


def test_coincident_groups_merge_curves_equal_within_one_percent() -> None:
    base = np.exp(T / 5)
    series = [
        ("a", base),
        ("b", base * 1.005),
        ("c", base * 1.05),
        ("d", base.copy()),
        ("e", -base),
    ]
    assert coincident_groups(series) == [[0, 1, 3], [2], [4]]


def test_curves_that_share_only_a_stretch_are_not_merged() -> None:
    a = np.where(T < 5, 1.0, 1.0 + (T - 5))
    b = np.ones_like(T)
    assert coincident_groups([("a", a), ("b", b)]) == [[0], [1]]


def test_draw_lines_gives_each_curve_its_own_style_and_reports_merges() -> None:
    fig = new_figure(4, 3)
    ax = fig.subplots()
    base = 1 + T
    merged = draw_lines(ax, T, [("IL-6", base), ("IL-8", base), ("TGF-β", 2 + T), ("X", 3 + T)])
    assert merged == [["IL-6", "IL-8"]]
    labels = [line.get_label() for line in ax.lines]
    assert labels == ["IL-6 ≈ IL-8", "TGF-β", "X"]
    styles = {(line.get_linestyle(), line.get_marker()) for line in ax.lines}
    assert len(styles) == 3


def test_draw_lines_without_merging_keeps_every_curve() -> None:
    fig = new_figure(4, 3)
    ax = fig.subplots()
    assert draw_lines(ax, T, [("a", T), ("b", T)], merge=False) == []
    assert len(ax.lines) == 2


def test_formats_and_atomic_write(tmp_path: Path) -> None:
    fig = new_figure(2, 2)
    fig.subplots().plot([0, 1], [0, 1])
    assert figure_bytes(fig).startswith(b"\x89PNG")
    assert figure_bytes(fig, "svg").lstrip().startswith(b"<?xml")
    with pytest.raises(ValidationError, match="figure format 'jpg'"):
        figure_bytes(fig, "jpg")
    with pytest.raises(ValidationError, match=r"must end in \.png or \.svg"):
        write_figure(fig, tmp_path / "x.pdf", formats=("png", "svg"))
    out = write_figure(fig, tmp_path / "x.pdf")
    assert out.read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.pdf"]


def test_fit_panels_name_the_measured_quantity_and_unit() -> None:
    """The fits figure's y axes say what was measured, with its unit (they were unlabelled)."""
    import pandas as pd

    from senotwin.calibrate.problems import get_problem
    from senotwin.report.calibration_sections import fits_figure

    problem = get_problem("galvis2019")
    curves = pd.DataFrame(columns=["observable", "condition", "time", "value"])
    labels = {ax.get_ylabel().replace("\n", " ") for ax in fits_figure(problem, curves).axes}
    assert labels == {o.name for o in problem.observables}  # linear observables only


def test_fit_panels_on_a_log_axis_say_so() -> None:
    """mariathasan2018's volumes and CD8 counts sit on log axes whose labels did not say so
    (audit, session 51); galvis2019's linear axes stay as they were."""
    import pandas as pd

    from senotwin.calibrate.problems import get_problem
    from senotwin.report.calibration_sections import fits_figure

    problem = get_problem("mariathasan2018")
    curves = pd.DataFrame(columns=["observable", "condition", "time", "value"])
    axes = fits_figure(problem, curves).axes
    assert axes and all(ax.get_yscale() == "log" for ax in axes)
    assert all(ax.get_ylabel().replace("\n", " ").endswith(", log scale") for ax in axes)


def test_fit_panel_labels_stay_inside_the_figure_and_their_own_panel() -> None:
    """mariathasan2018's long y labels ran past their panel into the next one and were cut at
    the figure's edge (audit s43)."""
    import pandas as pd

    from senotwin.calibrate.problems import get_problem
    from senotwin.report.calibration_sections import fits_figure

    problem = get_problem("mariathasan2018")
    curves = pd.DataFrame(columns=["observable", "condition", "time", "value"])
    fig = fits_figure(problem, curves)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # the saved layout: constrained layout runs at draw time
    renderer = canvas.get_renderer()
    page = fig.bbox
    for ax in fig.axes:
        box = ax.yaxis.label.get_window_extent(renderer)
        assert page.y0 <= box.y0 and box.y1 <= page.y1, ax.get_ylabel()
        panel = ax.get_position().transformed(fig.transFigure)
        assert panel.y0 - 5 <= box.y0 and box.y1 <= panel.y1 + 5, ax.get_ylabel()


def test_profile_log_axes_label_decades_only() -> None:
    """Within one decade every minor tick was labelled (3x10^-5 4x10^-5 6x10^-5 ...) and the
    labels ran into each other (audit s43)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from senotwin.calibrate.profile import Profile
    from senotwin.report.calibration_sections import profiles_figure

    values = (3e-5, 5e-5, 1e-4, 2e-4, 3.5e-4)
    pr = Profile("f_mat0", 1e-4, values, (3.0, 1.0, 0.0, 1.0, 3.5), 4e-5, 2.6e-4, 1e-7, 1e-3)
    fig = profiles_figure([pr], 0.0)
    FigureCanvasAgg(fig).draw()
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels(minor=True) if t.get_text()] == []


def test_profile_linear_axes_of_tiny_values_need_no_offset_text() -> None:
    """A linear profile axis of ~1e-8 values (mariathasan2018's cd8_scale) drew a '1e-8' offset
    in the panel's corner, over its wrapped x label: each tick now carries its own number."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from senotwin.calibrate.profile import Profile
    from senotwin.report.calibration_sections import profiles_figure

    values = (0.5e-8, 1.0e-8, 1.4e-8, 2.0e-8, 4.4e-8)
    pr = Profile("cd8_scale", 1.4e-8, values, (5.0, 0.4, 0.0, 0.5, 4.0), 9e-9, 3e-8, 1e-9, 1e-7)
    fig = profiles_figure([pr], 0.0)
    FigureCanvasAgg(fig).draw()
    ax = fig.axes[0]
    assert ax.get_xscale() == "linear"
    assert ax.xaxis.get_offset_text().get_text() == ""
    shown = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert shown and all("e-08" in t or t == "0" for t in shown), shown


def test_waterfall_of_starts_at_one_optimum_has_readable_axes() -> None:
    """Three starts within 2e-6 of each other drew a log axis whose every tick read 1x10^0,
    and the start axis had ticks at 1.25, 1.5, ... (audit, session 50)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from senotwin.calibrate.fit import FitResult, Start
    from senotwin.report.calibration_sections import waterfall_figure

    best = 337.396203
    starts = tuple(
        Start(k, (0.0,), (0.0,), best + d, 10, 1, "") for k, d in enumerate((0.0, 5e-7, 1.4e-6))
    )
    fit = FitResult(
        "p", ("a",), starts, {"a": 1.0}, best, 0.0, 0.0, 9, (), None, None, (), 1.0, 30, 3
    )
    fig = waterfall_figure(fit)
    FigureCanvasAgg(fig).draw()
    ax = fig.axes[0]
    lo, hi = ax.get_ylim()
    shown = [
        t.get_text()
        for t in ax.get_yticklabels()
        if t.get_text() and lo <= t.get_position()[1] <= hi
    ]
    assert hi / lo >= 10 and len(shown) == len(set(shown)) >= 2, shown
    left, right = ax.get_xlim()
    assert [x for x in ax.get_xticks() if left <= x <= right and not float(x).is_integer()] == []
    assert ax.get_yscale() == "log" and ax.get_ylabel().endswith("(log scale)")  # audit s51


def test_profile_panels_name_their_parameter_and_unit_and_the_lines() -> None:
    """profiles.png had bare numbers on every x axis, nothing naming the data set and no key to
    the dashed and solid lines (audit, session 51)."""
    from senotwin.calibrate.problems import get_problem
    from senotwin.calibrate.profile import Profile
    from senotwin.report.calibration_sections import profiles_figure

    problem = get_problem("galvis2019")
    profiles = [
        Profile(f.id, f.nominal, (f.nominal / 2, f.nominal, 2 * f.nominal), (3.0, 0.0, 3.0),
                0.6 * f.nominal, 1.6 * f.nominal, f.lower, f.upper)
        for f in problem.parameters
    ]  # fmt: skip
    fig = profiles_figure(profiles, 0.0, problem)
    labels = [ax.get_xlabel().replace("\n", " ") for ax in fig.axes]
    assert labels == [f.name for f in problem.parameters]
    assert "division rate (1/day)" in labels
    assert fig.get_suptitle().startswith("galvis2019: ")
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["profile", "95% threshold (1.92)", "best fit"]


def test_fits_figure_has_one_key_for_every_mark_and_names_the_data_set() -> None:
    """The first panel's legend left out the ceilings and held-back crosses drawn only in later
    panels, a panel of held-back data alone drew them in the fitted data's colour, and nothing
    named the data set (audit, session 51)."""
    import pandas as pd

    from senotwin.calibrate.problems import get_problem
    from senotwin.report.calibration_sections import ROLE_COLOURS, fits_figure

    problem = get_problem("mariathasan2018")
    curves = pd.DataFrame(columns=["observable", "condition", "time", "value"])
    fig = fits_figure(problem, curves)
    assert fig.get_suptitle() == "mariathasan2018: best fit over the data"
    (key,) = fig.legends
    assert {t.get_text() for t in key.get_texts()} == {
        "fitted", "fitted (ceiling)", "held back", "model"
    }  # fmt: skip
    for ax in fig.axes:
        assert ax.get_legend() is None
        for line in ax.lines:
            role = str(line.get_label()).removesuffix(" (ceiling)")
            assert line.get_color() == ROLE_COLOURS[role], (ax.get_title(), role)


def test_distinct_colours_keep_the_first_ten_and_differ_up_to_twenty() -> None:
    """Past ten curves matplotlib's cycle repeats; tab20 keeps C0-C9 for the first ten (so a
    figure of few arms is unchanged) and gives the next ten their own (ux53)."""
    from matplotlib.colors import to_hex

    assert distinct_colours(3) == ["C0", "C1", "C2"]
    many = distinct_colours(20)
    assert len(set(many)) == 20
    assert many[:10] == [to_hex(f"C{k}") for k in range(10)]
