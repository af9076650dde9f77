"""Therapy figures and demo-report section: arm comparison and dose-response.

The demo runs the review's canonical arms (section 4, Fig. 6) on the aged lung host: chemotherapy
alone; plus a senomorphic; plus a senolytic; plus anti-PD-L1; and the one-two punch (chemotherapy
-> senolytic -> anti-PD-L1). The scenario is ``aged_lung_untreated`` (the default host and tissue
without the default scenario's built-in chemotherapy course), so chemotherapy comes only from
the regimens and every arm gets the same doxorubicin.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from senotwin._io import atomic_write_bytes
from senotwin.analysis.therapy import Comparison, DoseResponse, compare_arms
from senotwin.report.html import Section, html_table, png_img

DEMO_SCENARIO = "aged_lung_untreated"
DEMO_DAYS = 150.0
CHEMO = "doxorubicin 2 mg/kg iv d0,d7"
DEMO_ARMS: dict[str, str] = {
    "chemotherapy": CHEMO,
    "+ senomorphic (rapamycin)": f"{CHEMO}; rapamycin 4 mg/kg ip q2d d0-d41",
    "+ senolytic (navitoclax)": f"{CHEMO}; navitoclax 50 mg/kg po qd d10-d14",
    "+ anti-PD-L1": f"{CHEMO}; anti-pd-l1 10 mg/kg ip q3d d14-d35",
    "one-two punch": (
        f"{CHEMO}; navitoclax 50 mg/kg po qd d10-d14; anti-pd-l1 10 mg/kg ip q3d d17-d38"
    ),
}
_PANELS = (
    ("tumour_burden", "tumour burden (1 = 1e9 cells)"),
    ("S_total", "senescent burden"),
    ("sasp_index", "SASP index"),
    ("effector_suppressor_ratio", "effector / suppressor ratio"),
)


def comparison_figure(comp: Comparison, *, title: str = "") -> Figure:
    """Time courses of every arm: tumour, senescent burden, SASP, effector/suppressor ratio."""
    fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True)
    for ax, (col, label) in zip(axes.flat, _PANELS, strict=True):
        for name, table in comp.tables.items():
            ax.plot(table["time"], table[col], label=name, lw=1.6)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("day")
    axes[0, 0].legend(fontsize=8, frameon=False)
    fig.suptitle(title or f"therapy arms on scenario {comp.scenario}")
    fig.tight_layout()
    return fig


def dose_response_figure(dr: DoseResponse) -> Figure:
    """Efficacy, senescent burden and toxicity proxies against dose (log axis)."""
    frame = dr.to_frame()
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
    ctrl = dr.comparison.tables.get("control")
    panels = (
        (("tumour_auc",), "tumour AUC (unit x day)"),
        (("senescent_auc", "sasp_auc"), "senescent / SASP AUC"),
        (tuple(c for c in frame.columns if c.startswith("tox_")), "toxicity proxy AUC"),
    )
    for ax, (cols, label) in zip(axes, panels, strict=True):
        for col in cols:
            ax.plot(frame["dose"], frame[col], marker="o", label=col)
        if ctrl is not None and cols == ("tumour_auc",):
            base = float(np.trapezoid(ctrl["tumour_burden"], ctrl["time"]))
            ax.axhline(base, color="grey", ls="--", lw=1, label="control")
        ax.set_xscale("log")
        ax.set_xlabel(f"{dr.drug} dose ({dr.unit})")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, frameon=False)
    fig.suptitle(f"dose-response of {dr.drug} on scenario {dr.comparison.scenario}")
    fig.tight_layout()
    return fig


def png_bytes(fig: Figure) -> bytes:
    """Render and close a figure."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Write a figure atomically (.png or .svg by suffix)."""
    p = Path(path)
    fmt = p.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg", "pdf"):
        plt.close(fig)
        raise ValueError(f"--plot {p}: use a .png, .svg or .pdf file")
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=110)
    plt.close(fig)
    return atomic_write_bytes(p, buf.getvalue())


def comparison_rows(comp: Comparison) -> list[tuple[object, ...]]:
    """Table rows of a comparison (one per arm)."""
    rows: list[tuple[object, ...]] = []
    for a in comp.arms:
        ttp = "none" if a.time_to_progression is None else f"{a.time_to_progression:g}"
        rows.append(
            (
                a.name,
                f"{a.final_tumour:.3f}",
                f"{a.min_tumour:.3f}",
                f"{a.tumour_auc:.1f}",
                ttp,
                f"{a.senescent_auc:.1f}",
                f"{a.sasp_auc:.0f}",
                f"{a.effector_suppressor_mean:.2f}",
                ", ".join(f"{k} {v:.2f}" for k, v in a.toxicity_max.items() if v > 1e-6) or "none",
            )
        )
    return rows


COLUMNS = (
    "arm",
    "final tumour",
    "min tumour",
    "tumour AUC",
    "progression (day)",
    "senescent AUC",
    "SASP AUC",
    "E/S ratio (mean)",
    "toxicity proxies (max)",
)


def therapy_section() -> tuple[Section, tuple[tuple[str, bytes], ...]]:
    """The demo's therapy comparison: table + figure (PNG bytes named for the output folder)."""
    comp = compare_arms(DEMO_SCENARIO, DEMO_ARMS, days=DEMO_DAYS, rtol=1e-5, atol=1e-8)
    png = png_bytes(comparison_figure(comp, title="canonical therapy arms, aged lung host"))
    regimens = html_table(("arm", "regimen"), [(k, v) for k, v in DEMO_ARMS.items()])
    body = (
        png_img(png, "therapy arms")
        + html_table(COLUMNS, comparison_rows(comp))
        + "<h3>Regimens</h3>"
        + regimens
    )
    lead = (
        f"Canonical arms of review section 4 on scenario {DEMO_SCENARIO} (aged host, lung "
        f"tumour), {DEMO_DAYS:g} days. Tumour burden in model units (1 = 1e9 cells); AUCs in "
        "unit x day; progression by RECIST 1.1 on 6-weekly scans. Toxicity proxies are "
        "mechanism-based (NF-kB or mTOR inhibition, BCL-2-family inhibition, senolysis of "
        "senescent stroma) and relative, not clinical grades."
    )
    return Section("Therapy arms", body, lead=lead), (("therapy_arms.png", png),)
