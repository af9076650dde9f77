"""Report sections of a virtual cohort: KM curves, waterfall, spider plot, sensitivity ranking.

The trial and the sensitivity ranking are computed in :mod:`senotwin.analysis.demo`
(:class:`~senotwin.analysis.demo.CohortResults`); this module only draws them.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from senotwin._errors import ValidationError
from senotwin.analysis.demo import CohortResults
from senotwin.analysis.endpoints import EndpointRules
from senotwin.analysis.sensitivity import HORIZON_NOTE, SensitivityResult
from senotwin.analysis.survival import kaplan_meier
from senotwin.model.scenarios import get_scenario
from senotwin.model.spec import ModelSpec
from senotwin.report.figures import figure_bytes, new_figure
from senotwin.report.glossary import glossary_table, label
from senotwin.report.section import Figure, Section, Table

_COLORS = ("#4d4d4d", "#2166ac", "#b2182b", "#1b7837", "#762a83", "#e08214")
_LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 1)))
_RESP_COLORS = {"CR": "#1b7837", "PR": "#5aae61", "SD": "#9e9e9e", "PD": "#b2182b", "NE": "#e0e0e0"}
METRIC_TITLES = {
    "final_burden": "final tumour burden (10⁹ cells)",
    "best_change": "best change of the longest diameter (%)",
    "senescent_burden": "final senescent burden (10⁹ cells)",
    "sasp_net_effect": "SASP net effect: log10(tumour with / without SASP)",
}
_RESP_NAMES = {
    "CR": "complete response",
    "PR": "partial response",
    "SD": "stable disease",
    "PD": "progressive disease",
    "NE": "not evaluable",
}


# ---- figures ----------------------------------------------------------------------------
def km_figure(rows: pd.DataFrame) -> bytes:
    """Kaplan-Meier curves of PFS and OS per arm with 95 % bands."""
    ok = rows[rows["status"] == "success"]
    arms = list(dict.fromkeys(rows["arm"]))
    fig = new_figure(11, 4.6)
    axes = fig.subplots(1, 2, sharey=True)
    for ax, ep, title in zip(
        axes, ("pfs", "os"), ("Progression-free survival", "Overall survival"), strict=True
    ):
        for k, arm in enumerate(arms):
            sub = ok[ok["arm"] == arm]
            if sub.empty:
                continue
            km = kaplan_meier(sub[f"{ep}_days"].to_numpy(), sub[f"{ep}_event"].to_numpy())
            c = _COLORS[k % len(_COLORS)]
            ax.step(
                km.times,
                km.survival,
                where="post",
                color=c,
                lw=2,
                linestyle=_LINESTYLES[k % len(_LINESTYLES)],
                label=f"{arm} (n={km.n})",
            )
            ax.fill_between(km.times, km.lower, km.upper, step="post", color=c, alpha=0.12)
        ax.set_title(title)
        if not ok.empty and not (ok[f"{ep}_event"] > 0).any():  # flat at 1: say why
            ax.text(
                0.5,
                0.5,
                "no events in any arm within the horizon\n(the curves carry no information)",
                transform=ax.transAxes,
                ha="center",
                va="center",
                fontsize=9,
                color="#555555",
            )
        ax.set_xlabel("time since day 0 (days)")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("probability (fraction of patients event-free)")
    axes[1].legend(loc="lower left", fontsize=8, frameon=False)
    return figure_bytes(fig)


def waterfall_figure(rows: pd.DataFrame) -> bytes:
    """Best % change of the longest diameter per patient, one panel per arm, coloured by BOR."""
    ok = rows[rows["status"] == "success"]
    arms = list(dict.fromkeys(rows["arm"]))
    fig = new_figure(3.0 * len(arms) + 1.0, 4.0)
    axes = np.atleast_1d(fig.subplots(1, len(arms), sharey=True))
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
        ax.set_xlabel("patients (sorted)")
    axes[0].set_ylabel("best change of longest diameter (%)")
    _response_legend(fig, [Rectangle((0, 0), 1, 1, color=c) for c in _RESP_COLORS.values()])
    return figure_bytes(fig)


def _response_legend(fig: Any, handles: list[Any]) -> None:
    """The colours of the best overall responses, below the panels (waterfall and spider)."""
    fig.legend(
        handles,
        [f"{k} {v}" for k, v in _RESP_NAMES.items()],
        fontsize=8,
        frameon=False,
        loc="outside lower center",
        ncol=len(_RESP_COLORS),
    )


def spider_figure(courses: pd.DataFrame, rows: pd.DataFrame) -> bytes:
    """% change of the longest diameter over time per patient (first 20 patients), per arm."""
    arms = list(dict.fromkeys(rows["arm"]))
    fig = new_figure(3.0 * len(arms) + 1.0, 3.8)
    axes = np.atleast_1d(fig.subplots(1, len(arms), sharey=True))
    bor = rows.set_index(["patient", "arm"])["best_response"]
    keep = sorted(courses["patient"].unique())[:20] if not courses.empty else []
    for ax, arm in zip(axes, arms, strict=True):
        sub = courses[(courses["arm"] == arm) & courses["patient"].isin(keep)]
        for pid, g in sub.groupby("patient"):
            d = g["diameter" if "diameter" in g.columns else "tumour_diameter_mm"].to_numpy()
            change = 100.0 * (d - d[0]) / d[0]
            resp = bor.get((pid, arm), "NE")
            ax.plot(g["time"], np.clip(change, -100, 150), color=_RESP_COLORS[resp], lw=0.9)
        ax.axhline(0, color="black", lw=0.5)
        ax.set_title(arm, fontsize=9)
        ax.set_xlabel("time (days)")
    axes[0].set_ylabel("change of longest diameter (%, cut at +150)")
    # the colours were explained only in the waterfall's legend
    _response_legend(fig, [Line2D([], [], color=c, lw=1.5) for c in _RESP_COLORS.values()])
    return figure_bytes(fig)


def sensitivity_figure(res: SensitivityResult, model: ModelSpec | None = None) -> bytes:
    """PRCC/Sobol ranking: one horizontal bar panel per metric (codes named from ``model``)."""
    metrics = list(dict.fromkeys(res.table["metric"]))
    fig = new_figure(7.5 * len(metrics), 5.6)
    axes = np.atleast_1d(fig.subplots(1, len(metrics)))
    for ax, metric in zip(axes, metrics, strict=True):
        sub = res.table[res.table["metric"] == metric].sort_values("rank", ascending=False)
        sub = sub.tail(10)
        colors = ["#b2182b" if v > 0 else "#2166ac" for v in sub["index"]]
        names = [
            p if model is None else "\n".join(textwrap.wrap(label(model, p, width=70), 38))
            for p in sub["parameter"]
        ]
        ax.barh(names, sub["index"], color=colors)
        ax.axvline(0, color="black", lw=0.6)
        ax.set_title(METRIC_TITLES.get(metric, metric.replace("_", " ")), fontsize=10)
        ax.set_xlabel(
            "PRCC (partial rank correlation, −1 to 1)"
            if res.method == "prcc"
            else "total Sobol index (share of variance, 0 to 1)"
        )
    return figure_bytes(fig)


# ---- sections ---------------------------------------------------------------------------
def _ci(v: float, lo: float, hi: float, *, pct: bool = False, digits: int = 0) -> str:
    def f(x: float) -> str:
        if x is None or not math.isfinite(x):
            return "NR"
        return f"{100 * x:.0f}%" if pct else f"{x:.{digits}f}"

    return f"{f(v)} ({f(lo)}–{f(hi)})"


def _hr(v: float, lo: float, hi: float) -> str:
    """A hazard ratio with its CI; 'not estimable' without events (an HR is never 'NR')."""
    if v is None or not math.isfinite(v):
        return "not estimable (too few events)"
    return _ci(v, lo, hi, digits=2)


def _described(scenario: str) -> str:
    """' (description)' of a registered scenario; nothing for one this session lacks."""
    try:
        return f" ({get_scenario(scenario).description})"
    except ValidationError:
        return ""


def endpoint_rules_text(rules: EndpointRules) -> str:
    """The endpoint thresholds in words (not the dataclass repr)."""
    return (
        f"scans every {rules.scan_every_days:g} days; complete response below "
        f"{rules.cr_diameter_mm:g} mm; partial response at ≥{rules.pr_fraction:.0%} shrinkage of "
        f"the longest diameter; progression at ≥{rules.pd_fraction:.0%} growth over the nadir "
        f"and ≥{rules.pd_min_mm:g} mm absolute; stable disease must last ≥"
        f"{rules.min_sd_days:g} days; death when the tumour burden reaches " + _lethal_text(rules)
    )


def _lethal_text(rules: EndpointRules) -> str:
    """The lethal burden in words (None: the simulated model's own, as the rules say)."""
    if rules.lethal_burden is None:
        return "the model's lethal burden"
    return f"{rules.lethal_burden:g} × 10⁹ cells"


def plausibility_text(rule: Mapping[str, Any] | None) -> str:
    """The virtual-patient plausibility filter in words (not the dict repr)."""
    if not rule:
        return "none"
    parts = []
    if rule.get("doubling_days"):
        lo, hi = rule["doubling_days"]
        parts.append(f"untreated tumour doubling time between {lo:g} and {hi:g} days")
    for name, lo, hi in rule.get("bounds", ()):
        parts.append(f"{name} between {lo:g} and {hi:g}")
    text = " and ".join(parts) or "none"
    if rule.get("days"):
        text += f", checked over the first {rule['days']:g} days"
    if rule.get("max_tries"):
        text += f"; up to {rule['max_tries']} draws per accepted patient"
    return text


def _arm_table(results: CohortResults) -> Table:
    table_rows = []
    for i, r in enumerate(results.summary.to_dict(orient="records")):
        ref = i == 0  # arm_summary's default reference: the first arm
        table_rows.append(
            (
                r["arm"],
                r["n"],
                r["n_failed"],
                _ci(r["ORR"], r["ORR_low"], r["ORR_high"], pct=True),
                _ci(r["CR"], r["CR_low"], r["CR_high"], pct=True),
                _ci(r["DCR"], r["DCR_low"], r["DCR_high"], pct=True),
                _ci(r["median_pfs"], r["median_pfs_low"], r["median_pfs_high"]),
                _ci(r["median_os"], r["median_os_low"], r["median_os_high"]),
                "reference" if ref else _hr(r["hr_pfs"], r["hr_pfs_low"], r["hr_pfs_high"]),
                "" if ref or not math.isfinite(r["logrank_p_pfs"]) else f"{r['logrank_p_pfs']:.2g}",
                "" if ref else _hr(r["hr_os"], r["hr_os_low"], r["hr_os_high"]),
            )
        )
    return Table.of(
        (
            "arm",
            "patients (n)",
            "failed (n)",
            "ORR, % (95% CI)",
            "CR, % (95% CI)",
            "DCR, % (95% CI)",
            "median PFS, days (95% CI)",
            "median OS, days (95% CI)",
            "HR PFS vs reference (95% CI)",
            "log-rank p (PFS)",
            "HR OS vs reference (95% CI)",
        ),
        table_rows,
        caption="ORR: objective response rate (CR + PR); CR: complete responses; DCR: disease "
        "control rate (CR + PR + SD); HR: Cox hazard ratio against the first arm; NR: not reached.",
    )


def _km_caption(results: CohortResults) -> str:
    """Median PFS per arm, read from the summary."""
    parts = []
    for r in results.summary.to_dict(orient="records"):
        m = r["median_pfs"]
        parts.append(f"{r['arm']} {m:.0f} days" if math.isfinite(m) else f"{r['arm']} NR")
    return (
        "Kaplan–Meier estimates of progression-free and overall survival per arm with 95 % "
        "bands; arms differ in colour and line style. Median PFS: " + "; ".join(parts) + "."
    )


def cohort_sections(results: CohortResults, model: ModelSpec | None = None) -> tuple[Section, ...]:
    """Sections of a finished cohort: arm table + KM, waterfall and spider, provenance."""
    return (
        trial_section(results, model),
        responses_section(results),
        provenance_section(results, model),
    )


def trial_section(results: CohortResults, model: ModelSpec | None = None) -> Section:
    """The arm table (ORR, DCR, PFS, OS, HR) with the Kaplan-Meier curves and the arms."""
    manifest, rows = results.manifest, results.rows
    cfg = manifest["config"]
    n_failed = int((rows["status"] != "success").sum())
    n_implausible = int((rows["status"] == "implausible").sum())
    arms_table = Table.of(
        ("arm", "regimen or actions (days from day 0; 'none' = the scenario only)"),
        [(a["name"], a["text"] or "none") for a in cfg["arms"]],
        caption=f"Arms (every arm sees the same {cfg['n']} virtual patients).",
    )
    return Section(
        "Virtual trial: therapy arms",
        intro=(
            f"{cfg['n']} virtual patients of scenario '{cfg['scenario']}'"
            f"{_described(cfg['scenario'])}, {manifest['t_end']:g} days, {len(cfg['arms'])} "
            f"paired arms; {n_failed - n_implausible} failed integrations, {n_implausible} "
            "patient-arms without a plausible patient draw. Response by RECIST 1.1 on the "
            f"simulated longest diameter (scans every {results.rules.scan_every_days:g} days), "
            "PFS = progression or death, OS = tumour burden reaching "
            f"{_lethal_text(results.rules)} (the endpoint rules' lethal burden)."
        ),
        figures=(
            Figure(
                "cohort_km.png",
                km_figure(rows),
                _km_caption(results),
                "Kaplan-Meier curves of PFS and OS per arm",
            ),
        ),
        tables=(_arm_table(results), arms_table)
        + (() if model is None else _codes(model, [a["text"] or "" for a in cfg["arms"]])),
    )


def responses_section(results: CohortResults) -> Section:
    """Waterfall and spider plots of the per-patient responses."""
    rows, courses = results.rows, results.courses
    ok = rows[rows["status"] == "success"]
    n_pd = int((ok["best_response"] == "PD").sum())
    figures = [
        Figure(
            "cohort_waterfall.png",
            waterfall_figure(rows),
            "Best change of the longest diameter per patient, one panel per arm (dashed: +20 % "
            "and −30 %, the RECIST progression and response thresholds; changes above +100 % "
            f"are cut at 100 %). Colour: best overall response; {n_pd} of {len(ok)} analysed "
            "patient-arms have progressive disease as their best response.",
            "Waterfall plot of best diameter change per patient",
        )
    ]
    if not courses.empty:
        n_shown = min(20, courses["patient"].nunique())
        figures.append(
            Figure(
                "cohort_spider.png",
                spider_figure(courses, rows),
                f"The diameter course of the first {n_shown} patients per arm, as % change from "
                "day 0 (cut at −100 % and +150 %), coloured by best overall response.",
                "Spider plot of diameter change over time",
            )
        )
    return Section("Responses per patient", figures=tuple(figures))


def prior_shape(prior: Mapping[str, Any]) -> str:
    """'lognormal, spread 0.3' or 'loguniform over [a, b]': a uniform prior has no spread."""
    if prior["distribution"] == "lognormal":
        return f"lognormal, spread {prior['spread']:g}"
    lo, hi = prior.get("low"), prior.get("high")
    where = "the parameter's range" if lo is None or hi is None else f"[{lo:g}, {hi:g}]"
    return f"{prior['distribution']} over {where}"


def provenance_section(results: CohortResults, model: ModelSpec | None = None) -> Section:
    """Seed, engine, population priors, plausibility filter, endpoint rules, versions."""
    manifest = results.manifest
    cfg = manifest["config"]
    pop = cfg["population"]
    varied = [p["parameter"] for p in pop["priors"]]
    prov_rows = [
        ("seed", cfg["seed"]),
        ("engine / tolerances", f"{cfg['engine']}, rtol {cfg['rtol']:g}, atol {cfg['atol']:g}"),
        (
            "varied parameters",
            "; ".join(
                f"{label(model, p['parameter']) if model else p['parameter']} "
                f"({prior_shape(p)}: {p['rationale']})"
                for p in pop["priors"]
            ),
        ),
        (
            "correlations",
            "; ".join(
                f"{c['a']} with {c['b']}: correlation ρ {c['rho']:+.1f} ({c['rationale']})"
                for c in pop["correlations"]
            )
            or "none",
        ),
        ("plausibility filter", plausibility_text(pop.get("plausibility"))),
        ("endpoint rules", endpoint_rules_text(results.rules)),
        ("versions", ", ".join(f"{k} {v}" for k, v in manifest["versions"].items())),
    ]
    return Section(
        "Virtual-cohort provenance",
        intro="Everything the trial depended on; the same seed gives the same patients on any "
        "number of workers.",
        tables=(Table.of(("item", "value"), prov_rows),)
        + (() if model is None else _codes(model, varied)),
    )


def _codes(model: ModelSpec, texts: list[str]) -> tuple[Table, ...]:
    table = glossary_table(model, texts)
    return () if table is None else (table,)


def sensitivity_section(
    res: SensitivityResult, *, days: float, model: ModelSpec | None = None
) -> Section:
    """The ranking of the parameters that decide tumour burden and the SASP's net effect."""
    png = sensitivity_figure(res, model)
    hurts = (
        ""
        if not math.isfinite(res.sasp_hurts_fraction)
        else f" In {100 * res.sasp_hurts_fraction:.0f}% of the sampled parameter sets the "
        "senescent secretome net-hurts tumour control (more tumour with it than without)."
    )
    spreads = [math.sqrt(hi / lo) for lo, hi in res.bounds.values() if lo > 0 and hi > 0]
    spread = f"×/÷ {spreads[0]:g}" if spreads and max(spreads) - min(spreads) < 1e-9 else "varied"
    design = (
        res.design()
        if math.isfinite(res.days)
        else f"{res.samples} Latin-hypercube samples of {len(res.bounds)} parameters (each "
        f"{spread} around the default scenario, {days:g} days)"
    )
    lead = (
        f"{'PRCC' if res.method == 'prcc' else 'Sobol'}: {design}. 'sasp net "
        "effect' is log10(tumour burden with / without the senescent cells' secretome): red "
        f"bars push towards 'SASP hurts', blue towards 'SASP helps'.{hurts} {HORIZON_NOTE} "
        "(The command 'senotwin sensitivity' reads the metrics at the scenario's horizon, 365 "
        f"days for the TME scenarios, unless given --days.) Scenario {res.scenario or 'default'}; "
        "without named parameters the ranking varies the 16 highest-ranked parameters of the "
        "model's shipped global sensitivity analysis (src/senotwin/model/gsa)."
    )
    return Section(
        "What decides whether the SASP helps or hurts",
        intro=lead,
        figures=(
            Figure(
                "sensitivity_ranking.png",
                png,
                "The ten most influential parameters per metric (code — name). Red: raising the "
                "parameter raises the metric; blue: it lowers it.",
                "sensitivity ranking",
            ),
        ),
    )
