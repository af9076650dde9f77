"""Time-course figures of the TME model: SASP by stage, immune populations, tumour; dual effect.

``timecourse_figure`` draws one run (any table with 'time' and the TME read-outs);
``dual_effect_figure`` compares the acute (transient pulse, young host) and chronic (persistent,
aged host) runs with the no-senescence control. They draw given tables; the runs themselves come
from :mod:`senotwin.analysis.demo` or ``senotwin simulate``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from senotwin._errors import ValidationError
from senotwin.report.figures import coincident_groups, draw_lines, new_figure, write_figure

SASP_FACTORS = (
    ("TGFB", "TGF-β (early)"),
    ("IL6", "IL-6 (late)"),
    ("IL8", "IL-8 (late)"),
    ("CCL2", "CCL2 (late)"),
    ("CXCL1", "CXCL1 (late)"),
    ("IFN_I", "IFN-I (deep)"),
)
EFFECTORS = (("NK", "NK"), ("CD8", "CD8 effector"), ("Th1", "Th1"), ("M1", "M1"))
SUPPRESSORS = (("MDSC", "MDSC"), ("Treg", "Treg"), ("M2", "M2 TAM"), ("CD8x", "CD8 exhausted"))
SENESCENT = (
    ("S_early", "early (NOTCH1/TGF-β)"),
    ("S_late", "late (NF-κB/IL-6/IL-8)"),
    ("S_deep", "deep (LINE-1/IFN-I)"),
    ("S_tumour", "tumour-cell origin"),
    ("S_stroma", "stromal origin"),
)
REQUIRED = ("time", "S_early", "S_late", "S_deep", "tumour_diameter_mm", "PDL1")
CELLS = "cells (×10⁹; model unit 1 = 10⁹ cells)"
RELATIVE = "level relative to reference (dimensionless)"
DENSITY = "density relative to young reference (dimensionless)"


def _check_columns(table: pd.DataFrame, what: str) -> None:
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise ValidationError(f"{what}: table lacks TME read-outs {missing} (is it a TME run?)")


def _series(table: pd.DataFrame, cols: tuple[tuple[str, str], ...]) -> list[tuple[str, np.ndarray]]:
    return [(label, table[col].to_numpy()) for col, label in cols if col in table.columns]


def sasp_coincidences(table: pd.DataFrame) -> list[list[str]]:
    """SASP factors whose curves agree within 1 % (drawn as one line in the figure)."""
    series = _series(table, SASP_FACTORS)
    return [[series[i][0] for i in g] for g in coincident_groups(series) if len(g) > 1]


def timecourse_figure(table: pd.DataFrame, *, title: str = "") -> Figure:
    """Four panels: senescent burden by stage/origin, SASP factors, immune cells, tumour."""
    _check_columns(table, "time-course figure")
    t = table["time"].to_numpy()
    fig = new_figure(12, 8.5)
    axes = fig.subplots(2, 2)
    ax = axes[0, 0]
    draw_lines(ax, t, _series(table, SENESCENT), merge=False)
    ax.set_title("senescent burden by stage and origin")
    ax.set_ylabel(CELLS)
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    draw_lines(ax, t, _series(table, SASP_FACTORS))
    ax.set_yscale("log")
    ax.set_title("SASP factors (curves equal within 1 % drawn once)")
    ax.set_ylabel(RELATIVE + ", log scale")
    ax.legend(fontsize=8)
    ax = axes[1, 0]
    eff = _series(table, EFFECTORS)
    sup = _series(table, SUPPRESSORS)
    for k, (label, y) in enumerate(eff):
        ax.plot(t, y, "-", lw=1.6, color=f"C{k}", label=label)
    markers = ("o", "s", "^", "D")
    for k, (label, y) in enumerate(sup):
        ax.plot(
            t,
            y,
            "--",
            marker=markers[k % len(markers)],
            markevery=(k * 7 % max(len(t), 1), max(len(t) // 8, 1)),
            markersize=4,
            lw=1.4,
            color=f"C{k + 4}",
            label=label,
        )
    ax.set_title("immune populations (solid: effector, dashed: suppressive)")
    ax.set_ylabel(DENSITY)
    ax.legend(fontsize=8, ncol=2)
    ax = axes[1, 1]
    ax.plot(t, table["tumour_diameter_mm"], color="black", label="longest diameter (mm)")
    ax.set_ylabel("longest tumour diameter (mm; sphere)")
    twin = ax.twinx()
    twin.plot(t, table["PDL1"], "--", color="tab:red", alpha=0.8, label="PD-L1")
    twin.set_ylabel("membrane PD-L1, " + RELATIVE, color="tab:red")
    ax.set_title("tumour diameter (black, left) and PD-L1 (red dashed, right)")
    for a in axes.flat:
        a.set_xlabel("time (days)")
    if title:
        fig.suptitle(title)
    return fig


def dual_effect_figure(runs: Mapping[str, pd.DataFrame]) -> Figure:
    """Acute vs chronic (and control) runs: senescent burden, immune balance, tumour size."""
    if not runs:
        raise ValidationError("dual-effect figure: give at least one run")
    for name, table in runs.items():
        _check_columns(table, f"dual-effect run {name!r}")
    fig = new_figure(17, 4.8)
    axes = fig.subplots(1, 4)
    panels = (
        ("senescent burden (log scale)", CELLS, lambda tb: np.maximum(tb["S_total"], 1e-4)),
        (
            "effector / suppressor ratio",
            "ratio (dimensionless; 1 = balance)",
            lambda tb: tb["effector_suppressor_ratio"],
        ),
        ("MDSC + Treg", DENSITY, lambda tb: tb["MDSC"] + tb["Treg"]),
        ("tumour diameter", "longest diameter (mm)", lambda tb: tb["tumour_diameter_mm"]),
    )
    for ax, (title, ylabel, read) in zip(axes, panels, strict=True):
        for k, (name, table) in enumerate(runs.items()):
            ax.plot(
                table["time"].to_numpy(),
                np.asarray(read(table), dtype=float),
                linestyle=("-", "--", ":", "-.")[k % 4],
                lw=1.8,
                label=name,
            )
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        ax.set_xlabel("time (days)")
    axes[0].set_yscale("log")
    axes[1].axhline(1.0, color="grey", lw=0.8, ls=":")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=9)
    return fig


def plot_timecourses(table: pd.DataFrame, out: str | Path, *, title: str = "") -> Path:
    """Write the four-panel time-course figure of one run (.png or .svg)."""
    _check_columns(table, "time-course figure")
    return write_figure(timecourse_figure(table, title=title), out, formats=("png", "svg"))
