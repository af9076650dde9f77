"""Report sections of a virtual cohort: KM curves, waterfall, spider plot, sensitivity ranking.

``demo_cohort`` runs the built-in trial of the demo: an aged host with a lung tumour after one
chemotherapy course (scenario ``default``), and the review's sequencing questions as arms
(section 5: add a senolytic after chemotherapy, a checkpoint inhibitor, or both in sequence).
Arms are written as action lists on the model's own entities (blocks switched by day), so the
demo does not depend on the drug library.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from senotwin.analysis.endpoints import EndpointReducer
from senotwin.analysis.sensitivity import SensitivityResult, run_sensitivity
from senotwin.analysis.survival import arm_summary, kaplan_meier
from senotwin.cohort.population import tme_population
from senotwin.cohort.runner import (
    CohortConfig,
    arm_from_text,
    cohort_digest,
    load_rows,
    load_timecourses,
    read_manifest,
    run_cohort,
)
from senotwin.report.html import Section, html_table, png_img
from senotwin.report.timecourses import figure_bytes

DEMO_ARMS = (
    ("chemo", "none"),
    ("chemo+antiPD1", "step block_PDCD1=0.9@14"),
    ("chemo-senolytic", "step block_BCL2_FAMILY=0.9@14; step block_BCL2_FAMILY=0@28"),
    (
        "chemo-senolytic-antiPD1",
        "step block_BCL2_FAMILY=0.9@14; step block_BCL2_FAMILY=0@28; step block_PDCD1=0.9@28",
    ),
)
_COLORS = ("#4d4d4d", "#2166ac", "#b2182b", "#1b7837", "#762a83", "#e08214")
_RESP_COLORS = {"CR": "#1b7837", "PR": "#5aae61", "SD": "#9e9e9e", "PD": "#b2182b", "NE": "#e0e0e0"}


@dataclass(frozen=True)
class CohortReport:
    """Sections and PNG figures (name -> bytes) of a cohort."""

    sections: tuple[Section, ...]
    figures: tuple[tuple[str, bytes], ...]


def demo_cohort(
    out: str | Path,
    *,
    n: int = 36,
    seed: int = 2025,
    workers: int = 2,
    engine: str = "reference",
    t_end: float | None = 300.0,
) -> Path:
    """Run the demo trial into ``out`` (resumes if it is already there) and return ``out``."""
    config = CohortConfig(
        scenario="default",
        n=n,
        arms=tuple(arm_from_text(f"{name}={text}") for name, text in DEMO_ARMS),
        population=tme_population(age="aged"),
        seed=seed,
        t_end=t_end,
        engine=engine,
        keep_timecourses=("tumour_diameter_mm",),
    )
    out = Path(out)
    reducer = EndpointReducer()
    if (out / "manifest.json").exists() and read_manifest(out).get("digest") != cohort_digest(
        config, reducer
    ):
        _clear_cohort_dir(out)  # an older demo cohort: rebuild it
    run_cohort(
        config,
        out,
        reducer=reducer,
        workers=workers,
        resume=(out / "manifest.json").exists(),
    )
    return out


def _clear_cohort_dir(out: Path) -> None:
    """Remove a cohort directory's own files only (manifest, shards, time courses)."""
    for sub in ("shards", "timecourses"):
        for f in (out / sub).glob("*.parquet"):
            f.unlink()
    (out / "manifest.json").unlink()


# ---- figures ----------------------------------------------------------------------------
def km_figure(rows: pd.DataFrame) -> bytes:
    """Kaplan-Meier curves of PFS and OS per arm with 95 % bands."""
    ok = rows[rows["status"] == "success"]
    arms = list(dict.fromkeys(rows["arm"]))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, ep, title in zip(
        axes, ("pfs", "os"), ("Progression-free survival", "Overall survival"), strict=True
    ):
        for k, arm in enumerate(arms):
            sub = ok[ok["arm"] == arm]
            if sub.empty:
                continue
            km = kaplan_meier(sub[f"{ep}_days"].to_numpy(), sub[f"{ep}_event"].to_numpy())
            c = _COLORS[k % len(_COLORS)]
            ax.step(km.times, km.survival, where="post", color=c, lw=2, label=f"{arm} (n={km.n})")
            ax.fill_between(km.times, km.lower, km.upper, step="post", color=c, alpha=0.12)
        ax.set_title(title)
        ax.set_xlabel("days")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("probability")
    axes[1].legend(loc="lower left", fontsize=8, frameon=False)
    fig.tight_layout()
    return figure_bytes(fig)


def waterfall_figure(rows: pd.DataFrame) -> bytes:
    """Best % change of the longest diameter per patient, one panel per arm, coloured by BOR."""
    ok = rows[rows["status"] == "success"]
    arms = list(dict.fromkeys(rows["arm"]))
    fig, axes = plt.subplots(1, len(arms), figsize=(3.0 * len(arms), 3.6), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, arm in zip(axes, arms, strict=True):
        sub = ok[ok["arm"] == arm].sort_values("best_change_pct", ascending=False)
        vals = sub["best_change_pct"].clip(upper=100).to_numpy()
        ax.bar(
            np.arange(len(vals)),
            vals,
            color=[_RESP_COLORS[r] for r in sub["best_response"]],
            width=0.85,
        )
        ax.axhline(20, color="#b2182b", lw=0.8, ls="--")
        ax.axhline(-30, color="#1b7837", lw=0.8, ls="--")
        ax.set_title(arm, fontsize=9)
        ax.set_xticks([])
    axes[0].set_ylabel("best change of longest diameter (%)")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in _RESP_COLORS.values()]
    axes[-1].legend(handles, list(_RESP_COLORS), fontsize=7, frameon=False, loc="upper right")
    fig.tight_layout()
    return figure_bytes(fig)


def spider_figure(courses: pd.DataFrame, rows: pd.DataFrame) -> bytes:
    """% change of the longest diameter over time per patient (first 20 patients), per arm."""
    arms = list(dict.fromkeys(rows["arm"]))
    fig, axes = plt.subplots(1, len(arms), figsize=(3.0 * len(arms), 3.6), sharey=True)
    axes = np.atleast_1d(axes)
    bor = rows.set_index(["patient", "arm"])["best_response"]
    keep = sorted(courses["patient"].unique())[:20] if not courses.empty else []
    for ax, arm in zip(axes, arms, strict=True):
        sub = courses[(courses["arm"] == arm) & courses["patient"].isin(keep)]
        for pid, g in sub.groupby("patient"):
            d = g["tumour_diameter_mm"].to_numpy()
            change = 100.0 * (d - d[0]) / d[0]
            resp = bor.get((pid, arm), "NE")
            ax.plot(g["time"], np.clip(change, -100, 150), color=_RESP_COLORS[resp], lw=0.9)
        ax.axhline(0, color="black", lw=0.5)
        ax.set_title(arm, fontsize=9)
        ax.set_xlabel("days")
    axes[0].set_ylabel("change of longest diameter (%)")
    fig.tight_layout()
    return figure_bytes(fig)


def sensitivity_figure(res: SensitivityResult) -> bytes:
    """PRCC/Sobol ranking: one horizontal bar panel per metric."""
    metrics = list(dict.fromkeys(res.table["metric"]))
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.2 * len(metrics), 4.4))
    axes = np.atleast_1d(axes)
    for ax, metric in zip(axes, metrics, strict=True):
        sub = res.table[res.table["metric"] == metric].sort_values("rank", ascending=False)
        sub = sub.tail(10)
        colors = ["#b2182b" if v > 0 else "#2166ac" for v in sub["index"]]
        ax.barh(sub["parameter"], sub["index"], color=colors)
        ax.axvline(0, color="black", lw=0.6)
        ax.set_title(metric.replace("_", " "))
        ax.set_xlabel("PRCC" if res.method == "prcc" else "total Sobol index")
    fig.tight_layout()
    return figure_bytes(fig)


# ---- sections ---------------------------------------------------------------------------
def _ci(v: float, lo: float, hi: float, *, pct: bool = False, digits: int = 0) -> str:
    def f(x: float) -> str:
        if x is None or not math.isfinite(x):
            return "NR"
        return f"{100 * x:.0f}%" if pct else f"{x:.{digits}f}"

    return f"{f(v)} ({f(lo)}–{f(hi)})"


def cohort_sections(directory: str | Path) -> CohortReport:
    """Sections for a finished cohort directory: arm table + KM, waterfall, spider, provenance."""
    manifest = read_manifest(directory)
    rows = load_rows(directory)
    summary = arm_summary(rows)
    courses = load_timecourses(directory)
    km_png, wf_png = km_figure(rows), waterfall_figure(rows)
    figures = [("cohort_km.png", km_png), ("cohort_waterfall.png", wf_png)]
    table_rows = []
    for r in summary.to_dict(orient="records"):
        ref = not math.isfinite(r["hr_pfs"])
        table_rows.append(
            (
                r["arm"],
                r["n"],
                r["n_failed"],
                _ci(r["ORR"], r["ORR_low"], r["ORR_high"], pct=True),
                _ci(r["DCR"], r["DCR_low"], r["DCR_high"], pct=True),
                _ci(r["median_pfs"], r["median_pfs_low"], r["median_pfs_high"]),
                _ci(r["median_os"], r["median_os_low"], r["median_os_high"]),
                "reference"
                if ref
                else _ci(r["hr_pfs"], r["hr_pfs_low"], r["hr_pfs_high"], digits=2),
                "" if ref else f"{r['logrank_p_pfs']:.2g}",
                "" if ref else _ci(r["hr_os"], r["hr_os_low"], r["hr_os_high"], digits=2),
            )
        )
    cfg = manifest["config"]
    arms_html = "".join(
        f"<li><b>{html.escape(a['name'])}</b>: {html.escape(a['text'] or 'scenario only')}</li>"
        for a in cfg["arms"]
    )
    n_failed = int((rows["status"] != "success").sum())
    trial = Section(
        "Virtual trial: therapy arms",
        html_table(
            (
                "arm",
                "n",
                "failed",
                "ORR (95% CI)",
                "DCR (95% CI)",
                "median PFS, d",
                "median OS, d",
                "HR PFS vs ref",
                "log-rank p",
                "HR OS vs ref",
            ),
            table_rows,
        )
        + png_img(km_png, "Kaplan-Meier curves of PFS and OS per arm")
        + f"<p>Arms (every arm sees the same {cfg['n']} virtual patients):</p><ul>{arms_html}</ul>",
        lead=(
            f"{cfg['n']} virtual patients of scenario '{cfg['scenario']}' (aged host, lung tumour, "
            f"one chemotherapy course at day 0), {manifest['t_end']:g} days, {len(cfg['arms'])} "
            f"paired arms; {n_failed} failed integrations. Response by RECIST 1.1 on the "
            "simulated longest diameter (scans every 6 weeks), PFS = progression or death, OS = "
            "tumour burden reaching 3e10 cells (stated stand-in for a lethal burden). HR: Cox "
            "model vs the first arm; NR: not reached."
        ),
    )
    responses_html = png_img(wf_png, "Waterfall plot of best diameter change per patient")
    if not courses.empty:
        spider_png = spider_figure(courses, rows)
        figures.append(("cohort_spider.png", spider_png))
        responses_html += png_img(spider_png, "Spider plot of diameter change over time")
    responses = Section(
        "Responses per patient",
        responses_html,
        lead=(
            "Waterfall: best change of the longest diameter per patient (dashed: +20 % and "
            "−30 %; colour: RECIST best overall response). Spider: the diameter course of the "
            "first 20 patients."
        ),
    )
    pop = cfg["population"]
    prov_rows = [
        ("seed", cfg["seed"]),
        ("engine / tolerances", f"{cfg['engine']} rtol {cfg['rtol']} atol {cfg['atol']}"),
        ("varied parameters", ", ".join(p["parameter"] for p in pop["priors"])),
        (
            "correlations",
            "; ".join(
                f"{c['a']}~{c['b']} {c['rho']:+.1f} ({c['rationale']})" for c in pop["correlations"]
            ),
        ),
        ("plausibility filter", str(pop["plausibility"])),
        ("endpoint rules", manifest["reducer"]),
        ("versions", ", ".join(f"{k} {v}" for k, v in manifest["versions"].items())),
    ]
    provenance = Section(
        "Virtual-cohort provenance",
        html_table(("item", "value"), prov_rows),
        lead="Everything the trial depended on; the same seed gives the same patients on any "
        "number of workers.",
    )
    return CohortReport((trial, responses, provenance), tuple(figures))


def sensitivity_section(res: SensitivityResult) -> CohortReport:
    """The ranking of the parameters that decide tumour burden and the SASP's net effect."""
    png = sensitivity_figure(res)
    hurts = (
        ""
        if not math.isfinite(res.sasp_hurts_fraction)
        else f" In {100 * res.sasp_hurts_fraction:.0f}% of the sampled parameter sets the "
        "senescent secretome net-hurts tumour control (more tumour with it than without)."
    )
    lead = (
        f"{'PRCC' if res.method == 'prcc' else 'Sobol'} on {res.samples} Latin-hypercube "
        "samples (each parameter ×/÷ 2 around the default scenario, 150 days). 'sasp net "
        "effect' is log10(tumour burden with / without the senescent cells' secretome): red "
        f"bars push towards 'SASP hurts', blue towards 'SASP helps'.{hurts}"
    )
    return CohortReport(
        (
            Section(
                "What decides whether the SASP helps or hurts", png_img(png, "sensitivity"), lead
            ),
        ),
        (("sensitivity_ranking.png", png),),
    )


def demo_cohort_report(
    out: str | Path, *, n: int = 36, seed: int = 2025, workers: int = 2, sens_samples: int = 24
) -> CohortReport:
    """Run the demo trial and the sensitivity ranking; return their sections and figures."""
    directory = demo_cohort(Path(out), n=n, seed=seed, workers=workers)
    trial = cohort_sections(directory)
    sens = run_sensitivity(
        "default",
        method="prcc",
        metrics=("final_burden", "sasp_net_effect"),
        n=sens_samples,
        seed=seed,
        t_end=150.0,
    )
    s = sensitivity_section(sens)
    return CohortReport(
        (trial.sections[0], trial.sections[1], s.sections[0], trial.sections[2]),
        trial.figures + s.figures,
    )
