"""Time-course figures of the TME models: senescence by stage, SASP, immune cells, tumour; dual
effect.

``timecourse_figure`` draws one run of either model (the physical-units default model or the
legacy one; picked from the table's columns); ``dual_effect_figure`` draws the acute (transient
pulse, young host) and chronic (persistent, aged host) arms with the senescent secretome on and
off. They draw given tables; the runs themselves come from :mod:`senotwin.analysis.demo` or
``senotwin simulate``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from senotwin._errors import ValidationError
from senotwin.analysis.demo import DualArm
from senotwin.model.readouts import QSP, readouts_for
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
QSP_STAGES = (
    ("Se", "early (p21, NOTCH1/TGF-β)", "-"),
    ("Sl", "late (NF-κB-locked IL-1α/C/EBPβ SASP)", "--"),
    ("Sd", "deep (p16, IFN-I)", ":"),
)
REQUIRED = ("time", "S_early", "S_late", "S_deep", "tumour_diameter_mm", "PDL1")
CELLS = "cells (×10⁹; model unit 1 = 10⁹ cells)"
RELATIVE = "level relative to reference (dimensionless)"
DENSITY = "density relative to young reference (dimensionless)"


def _check_columns(table: pd.DataFrame, what: str) -> None:
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise ValidationError(
            f"{what}: table lacks TME read-outs {missing} (is it a TME run?); the figure draws "
            "the physical-units model (N_tumour, diameter, senescent stages) or the legacy TME "
            "model, not the published fixture models (e.g. karin2019)"
        )


def _series(table: pd.DataFrame, cols: tuple[tuple[str, str], ...]) -> list[tuple[str, np.ndarray]]:
    return [(label, table[col].to_numpy()) for col, label in cols if col in table.columns]


def sasp_coincidences(table: pd.DataFrame) -> list[list[str]]:
    """SASP factors whose curves agree within 1 % (drawn as one line in the figure)."""
    series = _series(table, SASP_FACTORS)
    return [[series[i][0] for i in g] for g in coincident_groups(series) if len(g) > 1]


def _is_qsp(table: pd.DataFrame) -> bool:
    try:
        return readouts_for(table) is QSP
    except ValidationError:
        return False


def _legend_below(ax: Any, lines: Sequence[Any] | None = None) -> None:
    """The panel's legend under its axes, in two columns: inside, it covered curves that
    'best' placement cannot see on a twin axis (audit, session 40)."""
    lines = list(lines) if lines is not None else ax.get_lines()
    ax.legend(
        lines,
        [str(x.get_label()) for x in lines],
        fontsize=8,
        ncol=2,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.13),
        frameon=False,
    )


def qsp_timecourse_figure(table: pd.DataFrame, *, title: str = "") -> Figure:
    """Four panels of a default-model run: senescent cells by stage, cytokine concentrations,
    CD8 and MDSC cell numbers, lesion diameter with PD-1 engagement of the effectors."""
    t = table["time"].to_numpy()
    fig = new_figure(12, 10)
    axes = fig.subplots(2, 2)
    ax = axes[0, 0]
    ax.set_title("senescent cells by stage")
    if any((table[col].to_numpy() >= 1.0).any() for col, _, _ in QSP_STAGES):
        for col, label, style in QSP_STAGES:
            ax.plot(t, np.maximum(table[col].to_numpy(), 1.0), style, lw=1.6, label=label)
        ax.set_yscale("log")
        ax.set_ylabel("cells in the lesion (log scale; < 1 drawn at 1)")
        _legend_below(ax)
    else:  # a floor line at 1 cell read as a measured count (audit, session 40)
        ax.text(0.5, 0.5, "no senescent cell in this run", ha="center", transform=ax.transAxes)
        ax.set_yticks([])
        ax.set_xlim(t[0], t[-1])
    ax = axes[0, 1]
    ax.plot(t, table["IL6_t"], "-", color="C0", label="IL-6, tumour interstitium")
    ax.plot(t, table["IL6_p"], "--", color="C0", label="IL-6, plasma")
    ax.set_yscale("log")
    ax.set_ylabel("IL-6 (pg/mL, log scale)")
    right = ax.twinx()
    # log: IFN-I sits about four decades below CCL2, a flat zero on a linear axis
    floor = 1e-7
    right.plot(
        t, np.maximum(table["CCL2_t"], floor), "-", color="C3", label="CCL2, tumour (right axis)"
    )
    right.plot(
        t, np.maximum(table["IFNI_t"], floor), ":", color="C2", label="IFN-I, tumour (right axis)"
    )
    right.set_yscale("log")
    # a zero at day 0 drawn at the floor read as a measured 1e-7 nM (audit, session 51)
    clipped = bool((table[["CCL2_t", "IFNI_t"]].to_numpy() < floor).any())
    right.set_ylabel("CCL2, IFN-I (nM, log scale" + ("; < 10⁻⁷ drawn at 10⁻⁷)" if clipped else ")"))
    lines = ax.get_lines() + right.get_lines()
    _legend_below(ax, lines)
    ax.set_title("SASP cytokines (IL-6 left, log; CCL2 and IFN-I right)")
    ax = axes[1, 0]
    ax.plot(t, table["T8"], "-", color="C0", label="effector CD8 (tumour)")
    ax.plot(t, table["T8x"], "--", color="C1", label="exhausted CD8 (tumour)")
    ax.plot(t, table["T8b"], ":", color="C4", label="primed CD8 (blood)")
    ax.plot(t, table["MDSC"], "-.", color="C3", label="MDSC (tumour)")
    ax.set_yscale("log")
    ax.set_title("immune cells")
    ax.set_ylabel("cells (log scale)")
    _legend_below(ax)
    ax = axes[1, 1]
    ax.plot(t, table["diameter"], color="black", label="lesion diameter")
    ax.set_ylabel("lesion diameter (mm; sphere)")
    twin = ax.twinx()
    twin.plot(t, table["H_PD1"], "--", color="tab:red", alpha=0.8)
    twin.set_ylabel("PD-1 engagement of CD8 effectors, H_PD1 (0-1)", color="tab:red")
    # the whole share: autoscaled, a 0.995 -> 0.985 drift filled the panel as a steep fall
    twin.set_ylim(-0.02, 1.02)
    ax.set_title("tumour diameter (black, left) and PD-1 engagement (red dashed, right)")
    for a in axes.flat:
        a.set_xlabel("time (days)")
    if title:
        fig.suptitle(title)
    return fig


def timecourse_figure(table: pd.DataFrame, *, title: str = "") -> Figure:
    """Four panels: senescent burden by stage, SASP, immune cells, tumour (either model)."""
    if _is_qsp(table):
        return qsp_timecourse_figure(table, title=title)
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


def dual_effect_figure(arms: Sequence[DualArm]) -> Figure:
    """One row per arm: senescent cells, their innate removal rate and the lesion volume, each
    with the senescent secretome on (solid) and off (dashed)."""
    if not arms:
        raise ValidationError("dual-effect figure: give at least one arm")
    fig = new_figure(15, 4.2 * len(arms))
    axes = np.atleast_2d(fig.subplots(len(arms), 3))
    for row, arm in zip(axes, arms, strict=True):
        lowest = math.inf
        for table, style, label in ((arm.on, "-", "SASP on"), (arm.off, "--", "SASP off")):
            t = table["time"].to_numpy()
            sen = np.asarray(QSP.senescent(table), dtype=float)
            # zero (day 0, before any cell turns senescent) has no place on a log axis: the
            # curve starts at the first positive value instead of a floor that squashed it
            row[0].plot(t, np.where(sen > 0, sen, np.nan), style, lw=1.8, label=label)
            if (sen > 0).any():
                lowest = min(lowest, float(sen[sen > 0].min()))
            row[1].plot(t, table["removal"], style, lw=1.8, label=label)
            row[2].plot(t, table["V_T"], style, lw=1.8, label=label)
        (h_on, h_off), (v_on, v_off) = arm.half_lives, arm.final_volumes
        row[0].set_title(
            f"{arm.scenario}: senescent cells (half-life {_days(h_on)} on, {_days(h_off)} off)",
            fontsize=10,
        )
        row[0].set_yscale("log")
        if math.isfinite(lowest):  # a decade below the smallest positive value drawn
            row[0].set_ylim(bottom=lowest / 10)
        row[0].set_ylabel("senescent cells (×10⁹, log scale)")
        row[1].set_title(f"{arm.scenario}: innate removal of a senescent cell", fontsize=10)
        row[1].set_ylabel("removal rate (1/day)")
        row[2].set_title(
            f"{arm.scenario}: lesion volume (day {arm.on['time'].iloc[-1]:g}: "
            f"{v_on:.0f} mL on, {v_off:.0f} mL off)",
            fontsize=10,
        )
        row[2].set_ylabel("lesion volume (mL)")
        for ax in row:
            ax.set_xlabel("time (days)")
            ax.legend(fontsize=8)
    return fig


def _days(x: float) -> str:
    return "not reached" if not np.isfinite(x) else f"{x:.0f} d"


def plot_timecourses(table: pd.DataFrame, out: str | Path, *, title: str = "") -> Path:
    """Write the four-panel time-course figure of one run (.png or .svg)."""
    if not _is_qsp(table):
        _check_columns(table, "time-course figure")
    return write_figure(timecourse_figure(table, title=title), out, formats=("png", "svg"))
