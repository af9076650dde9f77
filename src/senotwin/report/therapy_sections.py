"""Therapy figures and the report section of an arm comparison: time courses, table, regimens.

The arms are computed by :func:`senotwin.analysis.therapy.compare_arms` (for the demo, in
:mod:`senotwin.analysis.demo`); this module only draws them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from matplotlib import rcParams
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D

from senotwin.analysis.therapy import Comparison, DoseResponse
from senotwin.model.readouts import Column, Readouts, readouts_for
from senotwin.report.figures import (
    distinct_colours,
    draw_lines,
    figure_bytes,
    new_figure,
    write_figure,
)
from senotwin.report.section import Figure as ReportFigure
from senotwin.report.section import Section, Table

CELLS = "×10⁹ cells"
#: characters per line of a panel's y label (longer ones overlapped the neighbouring panel)
LABEL_WIDTH = 36
#: a space textwrap does not break at (it splits at ASCII whitespace only)
NBSP = "\u00a0"


def _label_lines(label: str) -> str:
    """``label`` wrapped to :data:`LABEL_WIDTH` (long ones ran into the next panel), a trailing
    unit in parentheses kept on one line ('(×10⁹' above 'cells)' read as two things)."""
    head, sep, unit = label.rpartition(" (")
    if sep and unit.endswith(")"):
        label = f"{head}{sep}{unit.replace(' ', NBSP)}"
    return "\n".join(textwrap.wrap(label, LABEL_WIDTH))


def _panels(read: Readouts) -> tuple[tuple[Column, str], ...]:
    return (
        (read.burden, f"tumour burden ({CELLS})"),
        (read.senescent, f"senescent burden ({CELLS})"),
        (read.sasp, read.sasp_label),
        (read.balance, f"{read.balance_label} (dimensionless)"),
    )


def comparison_figure(comp: Comparison, *, title: str = "") -> Figure:
    """Time courses of every arm: tumour, senescent burden, SASP output, immune balance.

    Arms differ in line style and marker, so arms that share a course (e.g. until the first
    drug that distinguishes them) stay visible, and in colour up to twenty arms (past ten,
    matplotlib's cycle gave the eleventh arm the first one's colour, and the rows of dose ticks,
    told apart by colour alone, could not be read; ux53)."""
    dosed = sum(1 for a in comp.arms if a.doses)
    # past a few dosed arms the figure grows, so each row of ticks keeps a legible label
    fig = new_figure(11, 8 + DOSE_ROW_GROWTH * max(0, dosed - 4))
    axes = fig.subplots(2, 2, sharex=True)
    read = readouts_for(next(iter(comp.tables.values())))
    colours = distinct_colours(len(comp.tables))
    for ax, (col, label) in zip(axes.flat, _panels(read), strict=True):
        series = [(name, col(table)) for name, table in comp.tables.items()]
        t = next(iter(comp.tables.values()))["time"].to_numpy()
        draw_lines(ax, t, series, merge=False, colors=colours)
        ax.set_ylabel(_label_lines(label))
        ax.grid(alpha=0.3)
        _dose_marks(ax, comp, fig.get_figheight(), colours)
    for ax in axes[1]:
        ax.set_xlabel("time (days)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if any(a.doses for a in comp.arms):
        handles.append(Line2D([], [], linestyle="none", marker="|", markersize=8, color="0.3"))
        labels.append(DOSE_MARKS_LABEL)
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 3), fontsize=9)
    fig.suptitle(title or f"therapy arms on scenario {comp.scenario}")
    return fig


#: the legend entry of the ticks at each panel's foot (the figure had no mark of when a drug
#: was given)
DOSE_MARKS_LABEL = "dose given (a row per dosed arm, named at its left, in its colour)"
#: height of one arm's row of dose ticks, and the most all rows may take, as shares of a panel
DOSE_ROW = 0.04
DOSE_STRIP_MAX = 0.35
#: inches the figure grows by per dosed arm past four (13 arms' rows were ~5 pt high)
DOSE_ROW_GROWTH = 0.3
#: characters of an arm's name that label its row of ticks (longer ones end in an ellipsis)
DOSE_LABEL_CHARS = 14
#: the largest font of a row label (pt); smaller where rows are narrower
DOSE_LABEL_PT = 8.0


def dose_row_label(name: str) -> str:
    """An arm's name as its row of dose ticks is labelled: at most :data:`DOSE_LABEL_CHARS`
    characters, a longer one cut and ended with an ellipsis."""
    if len(name) <= DOSE_LABEL_CHARS:
        return name
    return name[: DOSE_LABEL_CHARS - 1].rstrip() + "\u2026"


def _dose_marks(ax: Axes, comp: Comparison, fig_height: float, colours: list[str]) -> None:
    """A tick at each administration an arm was given, one row per dosed arm at the panel's foot
    in the arm's line colour (``colours``, in arm order), the first dosed arm's row on top as the
    legend lists it first (the rows ran upwards, against the legend; ux53).

    The y axis is lowered so that the rows lie below the curves, in a strip with no numeric y
    ticks of its own: drawn over the lower part of the plot, the rows (a bar for a drug given
    several times a day) hid the curves beneath them. Each row is labelled with its arm's name
    (:func:`dose_row_label`) as a minor y tick label at the strip's left, so the axis label
    moves aside for it (rows told apart by colour alone were hard to read; ux53)."""
    dosed = [(k, arm) for k, arm in enumerate(comp.arms) if arm.doses]
    if not dosed:
        return
    row = min(DOSE_ROW, DOSE_STRIP_MAX / len(dosed))
    strip = row * (len(dosed) + 0.5)
    lo, hi = ax.get_ylim()
    bottom = lo - strip / (1.0 - strip) * (hi - lo)
    ax.set_ylim(bottom, hi)
    panel_pt = ax.get_position().height * fig_height * 72.0
    # a label at most 85 % of its row's height; a numeric tick's label clear of the top row's
    font = min(DOSE_LABEL_PT, 0.85 * row * panel_pt)
    half = 0.5 * float(FontProperties(size=rcParams["ytick.labelsize"]).get_size_in_points())
    clear = (half + max(0.0, 0.5 * font - 0.75 * row * panel_pt) + 1.0) / panel_pt
    ax.set_yticks(
        [t for t in ax.get_yticks() if strip + clear <= (t - bottom) / (hi - bottom) <= 1.0 + 1e-9]
    )
    ax.axhspan(bottom, lo, color="0.95", lw=0, zorder=0)  # the strip, set off from the plot
    centres = [row * (len(dosed) - 1 - i + 0.75) for i in range(len(dosed))]  # axes fraction
    ax.set_yticks(
        [bottom + c * (hi - bottom) for c in centres],
        [dose_row_label(arm.name) for _, arm in dosed],
        minor=True,
    )
    ax.tick_params(axis="y", which="minor", length=0, labelsize=font, pad=2)
    # a tick at most 80 % of its row's height, so that rows do not merge (8 pt at most)
    size = min(8.0, 0.8 * row * panel_pt)
    for (k, arm), centre in zip(dosed, centres, strict=True):
        days = [e.time for e in arm.doses]
        ax.plot(
            days,
            [centre] * len(days),
            linestyle="none",
            marker="|",
            markersize=size,
            markeredgewidth=1.4,
            color=colours[k],
            transform=ax.get_xaxis_transform(),
            clip_on=False,
        )


def dose_response_figure(dr: DoseResponse) -> Figure:
    """Efficacy, senescent burden and toxicity proxies against dose (log axis)."""
    frame = dr.to_frame(control=False)  # the control is a line across (dose 0 on a log axis)
    fig = new_figure(13, 4.2)
    axes = fig.subplots(1, 3)
    ctrl = dr.comparison.tables.get("control")
    read = readouts_for(next(iter(dr.comparison.tables.values())))
    panels = (
        (("tumour_auc",), f"tumour AUC ({CELLS} · day)"),
        (
            ("senescent_auc", "sasp_auc"),
            f"senescent ({CELLS} · day) / SASP ({read.sasp_unit} · day) AUC",
        ),
        (
            tuple(c for c in frame.columns if c.startswith("tox_")),
            "toxicity proxy AUC (rel.·day)",
        ),
    )
    for ax, (cols, label) in zip(axes, panels, strict=True):
        for k, col in enumerate(cols):
            ax.plot(
                frame["dose"],
                frame[col],
                marker="osD^v"[k % 5],
                linestyle=("-", "--", ":", "-.")[k % 4],
                label=col.removeprefix("tox_").replace("_", " "),
            )
        if ctrl is not None and cols == ("tumour_auc",):
            base = float(np.trapezoid(readouts_for(ctrl).burden(ctrl), ctrl["time"]))
            what = "background only" if dr.background else "no drug"
            ax.axhline(base, color="grey", ls="--", lw=1, label=f"control ({what})")
        ax.set_xscale("log")
        ax.set_xticks(list(frame["dose"]), [f"{d:g}" for d in frame["dose"]])  # the doses run
        ax.minorticks_off()
        ax.set_xlabel(f"{dr.drug} dose ({dr.unit})")
        ax.set_ylabel(_label_lines(label))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, frameon=False)
    given = f"{dr.schedule}, on top of {dr.background}" if dr.background else dr.schedule
    fig.suptitle(f"dose-response of {dr.drug} ({given}) on scenario {dr.comparison.scenario}")
    return fig


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Write a figure atomically (.png, .svg or .pdf by suffix)."""
    return write_figure(fig, path)


def comparison_columns(read: Readouts) -> tuple[str, ...]:
    """Headers of the arm table, with the SASP and immune-balance read-outs of the run's model."""
    return (
        "arm",
        f"final tumour ({CELLS})",
        f"min tumour ({CELLS})",
        f"tumour AUC ({CELLS} · day)",
        "progression (day)",
        f"senescent AUC ({CELLS} · day)",
        f"SASP AUC ({read.sasp_unit} · day)",
        f"{read.balance_label} (time mean, dimensionless)",
        "toxicity proxies (max, relative)",
    )


def comparison_rows(comp: Comparison) -> list[tuple[str, ...]]:
    """Table rows of a comparison (one per arm), formatted."""
    rows: list[tuple[str, ...]] = []
    for a in comp.arms:
        ttp = "none" if a.time_to_progression is None else f"{a.time_to_progression:g}"
        tox = ", ".join(
            f"{k.replace('_', ' ')} {v:.3g}" for k, v in a.toxicity_max.items() if v > 1e-6
        )
        rows.append(
            (
                a.name,
                f"{a.final_tumour:.3f}",
                f"{a.min_tumour:.3f}",
                f"{a.tumour_auc:.1f}",
                ttp,
                f"{a.senescent_auc:.1f}",
                f"{a.sasp_auc:.1f}",
                f"{a.effector_suppressor_mean:.2f}",
                tox or "none",
            )
        )
    return rows


def comparison_summary(comp: Comparison) -> str:
    """One sentence, computed from the arms: the best and worst final tumour burden."""
    arms = sorted(comp.arms, key=lambda a: a.final_tumour)
    if not arms:
        return "No arms were run."
    best, worst = arms[0], arms[-1]
    if len(arms) == 1:
        return f"Final tumour burden {best.final_tumour:.2f} × 10⁹ cells."
    return (
        f"At day {comp.days:g} the lowest tumour burden is with '{best.name}' "
        f"({best.final_tumour:.2f} × 10⁹ cells), the highest with '{worst.name}' "
        f"({worst.final_tumour:.2f} × 10⁹ cells, "
        # '252.0-fold' said neither of what nor that the ratio is of unrounded burdens
        f"{worst.final_tumour / best.final_tumour:.3g} times the lowest)."
    )


def therapy_section(comp: Comparison, regimens: Mapping[str, str]) -> Section:
    """The demo's therapy comparison: figure, metric table, regimens and the runs' notes (an
    off-label schedule, a drug effect the model cannot apply), which the CLI and app print too."""
    png = figure_bytes(comparison_figure(comp, title="canonical therapy arms, aged lung host"))
    read = readouts_for(next(iter(comp.tables.values())))
    caption = (
        f"Tumour burden, senescent burden, {read.sasp_label.split(' (')[0]} and "
        f"{read.balance_label} per arm. "
        "Arms share their course until the first drug that tells them apart, so each arm has "
        "its own line style and marker. " + comparison_summary(comp)
    )
    intro = (
        f"Canonical arms of review section 4 on scenario {comp.scenario} (aged host, lung "
        f"tumour, no built-in chemotherapy: every arm gets the same doxorubicin), "
        f"{comp.days:g} days. Progression by RECIST 1.1 on 6-weekly scans. Toxicity proxies are "
        "mechanism-based (NF-κB or mTOR inhibition, BCL-2-family inhibition, senolysis of "
        "senescent stroma) and relative, not clinical grades."
    )
    return Section(
        "Therapy arms",
        intro=intro,
        figures=(ReportFigure("therapy_arms.png", png, caption, "therapy arms"),),
        tables=(
            Table.of(
                comparison_columns(read),
                comparison_rows(comp),
                caption="Outcome per arm (AUC: area under the curve over the whole run).",
            ),
            Table.of(
                ("arm", "regimen"),
                list(regimens.items()),
                caption="Regimens (regimen language: drug, dose, route, schedule by day).",
            ),
        ),
        notes=comp.notes,
        notes_title="Notes on the runs",
    )
