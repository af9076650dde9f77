"""Time-course figures of the TME model: SASP by stage, immune populations, tumour; dual effect.

``timecourse_figure`` draws one run (any table with 'time' and the TME read-outs);
``dual_effect_figure`` compares the acute (transient pulse, young host) and chronic (persistent,
aged host) scenarios with the no-senescence control. ``plot_*`` functions write PNG/SVG files
atomically.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from senotwin._errors import ValidationError
from senotwin._io import atomic_write_bytes

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
REQUIRED = ("time", "S_early", "S_late", "S_deep", "tumour_diameter_mm", "PDL1")


def _check_columns(table: pd.DataFrame, what: str) -> None:
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise ValidationError(f"{what}: table lacks TME read-outs {missing} (is it a TME run?)")


def timecourse_figure(table: pd.DataFrame, *, title: str = "") -> Figure:
    """Four panels: senescent burden by stage/origin, SASP factors, immune cells, tumour."""
    _check_columns(table, "time-course figure")
    t = table["time"].to_numpy()
    fig, axes = plt.subplots(2, 2, figsize=(12, 8), constrained_layout=True)
    ax = axes[0, 0]
    for col, label, style in (
        ("S_early", "early (NOTCH1/TGF-β)", "-"),
        ("S_late", "late (NF-κB/IL-6/IL-8)", "-"),
        ("S_deep", "deep (LINE-1/IFN-I)", "-"),
        ("S_tumour", "tumour-cell origin", ":"),
        ("S_stroma", "stromal origin", "--"),
    ):
        ax.plot(t, table[col], style, label=label)
    ax.set_title("senescent burden by stage and origin")
    ax.set_ylabel("cells (1 = 1e9)")
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    for col, label in SASP_FACTORS:
        ax.plot(t, table[col], label=label)
    ax.set_yscale("log")
    ax.set_title("SASP factors (relative level)")
    ax.legend(fontsize=8, ncol=2)
    ax = axes[1, 0]
    for col, label in EFFECTORS:
        ax.plot(t, table[col], "-", label=label)
    for col, label in SUPPRESSORS:
        ax.plot(t, table[col], "--", label=label)
    ax.set_title("immune populations (solid: effector, dashed: suppressive)")
    ax.set_ylabel("density (1 = young reference)")
    ax.legend(fontsize=8, ncol=2)
    ax = axes[1, 1]
    ax.plot(t, table["tumour_diameter_mm"], color="black", label="longest diameter")
    ax.set_ylabel("tumour diameter (mm, sphere)")
    ax.set_xlabel("day")
    twin = ax.twinx()
    twin.plot(t, table["PDL1"], color="tab:red", alpha=0.7, label="PD-L1")
    twin.set_ylabel("PD-L1 (relative)", color="tab:red")
    ax.set_title("tumour and PD-L1")
    for a in axes.flat:
        a.set_xlabel("day")
    if title:
        fig.suptitle(title)
    return fig


def dual_effect_figure(runs: Mapping[str, pd.DataFrame]) -> Figure:
    """Acute vs chronic (and control) runs: senescent burden, immune balance, tumour size."""
    if not runs:
        raise ValidationError("dual-effect figure: give at least one run")
    for name, table in runs.items():
        _check_columns(table, f"dual-effect run {name!r}")
    fig, axes = plt.subplots(1, 4, figsize=(17, 4.2), constrained_layout=True)
    for name, table in runs.items():
        t = table["time"].to_numpy()
        axes[0].plot(t, np.maximum(table["S_total"].to_numpy(), 1e-4), label=name)
        axes[1].plot(t, table["effector_suppressor_ratio"], label=name)
        supp = table["MDSC"] + table["Treg"]
        axes[2].plot(t, supp, label=name)
        axes[3].plot(t, table["tumour_diameter_mm"], label=name)
    axes[0].set_yscale("log")
    axes[0].set_title("senescent burden (log)")
    axes[0].set_ylabel("cells (1 = 1e9)")
    axes[1].set_title("effector / suppressor ratio")
    axes[1].axhline(1.0, color="grey", lw=0.8, ls=":")
    axes[2].set_title("MDSC + Treg")
    axes[3].set_title("tumour diameter (mm)")
    for a in axes:
        a.set_xlabel("day")
        a.legend(fontsize=8)
    fig.suptitle(
        "dual SASP effect: a transient pulse in a young host is cleared with tumour control; "
        "persistent senescence in an aged host turns suppressive and speeds growth"
    )
    return fig


def figure_bytes(fig: Figure, fmt: str = "png") -> bytes:
    """Render and close a figure; PNG or SVG bytes."""
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format=fmt, dpi=110)
    finally:
        plt.close(fig)
    return buffer.getvalue()


def _write(fig: Figure, out: str | Path) -> Path:
    target = Path(out)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        plt.close(fig)
        raise ValidationError(f"figure file {str(target)!r} must end in .png or .svg")
    return atomic_write_bytes(target, figure_bytes(fig, fmt))


def plot_timecourses(table: pd.DataFrame, out: str | Path, *, title: str = "") -> Path:
    """Write the four-panel time-course figure of one run."""
    return _write(timecourse_figure(table, title=title), out)


def scenario_table(name: str, *, days: float | None = None) -> pd.DataFrame:
    """Simulate a registered scenario on a daily grid (reference engine) and return its table."""
    from senotwin.model.scenarios import get_scenario
    from senotwin.sim import simulate

    sc = get_scenario(name)
    t_end = float(days if days is not None else sc.days)
    result = simulate(
        sc.load(),
        params=dict(sc.params),
        initial=dict(sc.initial),
        t_end=t_end,
        t_eval=np.linspace(0.0, t_end, int(t_end) + 1),
        rtol=1e-5,
        atol=1e-8,
        throw=True,
    )
    return result.table


DUAL_SCENARIOS = (
    ("acute_young", "acute: young host, transient pulse"),
    ("chronic_aged", "chronic: aged host, persistent senescence"),
    ("aged_lung_no_senescence", "control: aged host, no senescence"),
)


def dual_effect_runs(*, days: float = 240.0) -> dict[str, pd.DataFrame]:
    """Tables of the acute, chronic and control scenarios, keyed by their legend label."""
    return {label: scenario_table(name, days=days) for name, label in DUAL_SCENARIOS}


def plot_dual_effect(out: str | Path, *, days: float = 240.0) -> Path:
    """Simulate the acute/chronic/control scenarios and write the comparison figure."""
    return _write(dual_effect_figure(dual_effect_runs(days=days)), out)
