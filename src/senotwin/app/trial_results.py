"""Trial page results: KM curves, waterfall, ORR/DCR/PFS table and downloads of a finished cohort.

The numbers come from :func:`senotwin.analysis.survival.arm_summary` (the same as
``senotwin cohort summary``); the HTML report is the report's own cohort sections.
"""

from __future__ import annotations

import io
import math
import platform
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

import senotwin
from senotwin.analysis.demo import load_cohort_results
from senotwin.analysis.survival import arm_summary, kaplan_meier, wilson
from senotwin.cohort.store import load_rows
from senotwin.model.scenarios import get_scenario

COLORS = ("#4d4d4d", "#2166ac", "#b2182b", "#1b7837")
RESPONSE_COLORS = {
    "CR": "#1b7837",
    "PR": "#5aae61",
    "SD": "#9e9e9e",
    "PD": "#b2182b",
    "NE": "#e0e0e0",
}
#: summary table: column of arm_summary, header, how to print
SUMMARY_HEAD = (
    "arm",
    "patients",
    "failed",
    "ORR, % (95% CI)",
    "CR, % (95% CI)",
    "DCR, % (95% CI)",
    "median PFS, days (95% CI)",
    "HR PFS vs first arm (95% CI)",
    "log-rank p (PFS)",
)


def _ok(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[rows["status"] == "success"]


def km_figure(rows: pd.DataFrame) -> go.Figure:
    """Kaplan-Meier curves of PFS and OS per arm (step lines), days on x, fraction on y."""
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        subplot_titles=("Progression-free survival", "Overall survival"),
    )
    ok = _ok(rows)
    for k, arm in enumerate(dict.fromkeys(rows["arm"])):
        sub = ok[ok["arm"] == arm]
        if sub.empty:
            continue
        for col, ep in enumerate(("pfs", "os"), start=1):
            km = kaplan_meier(sub[f"{ep}_days"].to_numpy(), sub[f"{ep}_event"].to_numpy())
            fig.add_trace(
                go.Scatter(
                    x=km.times,
                    y=km.survival,
                    mode="lines",
                    line={"shape": "hv", "color": COLORS[k % len(COLORS)], "width": 2},
                    name=f"{arm} (n={km.n})",
                    legendgroup=arm,
                    showlegend=col == 1,
                ),
                row=1,
                col=col,
            )
    for col, ep in enumerate(("pfs", "os"), start=1):
        if not ok.empty and not ok[f"{ep}_event"].astype(bool).any():
            # a flat line at 1 reads as a drawing error without it (audit s43)
            fig.add_annotation(
                text="no events within the run: every patient censored",
                x=0.5,
                y=0.5,
                xref=f"x{'' if col == 1 else col} domain",
                yref="y domain",
                showarrow=False,
            )
    fig.update_xaxes(title_text="time since day 0 (days)")
    fig.update_yaxes(title_text="fraction event-free", range=[0, 1.02], row=1, col=1)
    fig.update_layout(height=380, margin={"l": 70, "r": 20, "t": 50, "b": 50})
    return fig


def waterfall_figure(rows: pd.DataFrame) -> go.Figure:
    """Best % change of the longest diameter per patient, one panel per arm, coloured by RECIST."""
    arms = list(dict.fromkeys(rows["arm"]))
    fig = make_subplots(rows=1, cols=len(arms), shared_yaxes=True, subplot_titles=arms)
    ok = _ok(rows)
    seen: set[str] = set()
    for col, arm in enumerate(arms, start=1):
        sub = ok[ok["arm"] == arm].sort_values("best_change_pct", ascending=False)
        for resp, color in RESPONSE_COLORS.items():
            part = sub[sub["best_response"] == resp]
            if part.empty:
                continue
            positions = [list(sub.index).index(i) for i in part.index]
            fig.add_trace(
                go.Bar(
                    x=positions,
                    y=part["best_change_pct"].clip(upper=100),
                    marker_color=color,
                    name=resp,
                    legendgroup=resp,
                    legendrank=list(RESPONSE_COLORS).index(resp) + 1,  # CR..NE on every page
                    showlegend=resp not in seen,
                ),
                row=1,
                col=col,
            )
            seen.add(resp)
        fig.update_xaxes(title_text="patients (sorted)", showticklabels=False, row=1, col=col)
    for level, color in ((20, "#b2182b"), (-30, "#1b7837")):
        fig.add_hline(y=level, line_dash="dash", line_color=color, line_width=1)
    fig.update_yaxes(title_text="best change of longest diameter (%)", row=1, col=1)
    fig.update_layout(
        height=360, bargap=0.1, barmode="overlay", margin={"l": 70, "r": 20, "t": 50, "b": 50}
    )
    return fig


def _ci(v: float, lo: float, hi: float, *, scale: float = 1.0, digits: int = 0) -> str:
    def f(x: float) -> str:
        return "NR" if not math.isfinite(x) else f"{x * scale:.{digits}f}"

    return f"{f(v)} ({f(lo)}-{f(hi)})"


#: an arm's hazard ratio that the Cox fit cannot give (as in the report's arm table)
NOT_ESTIMABLE = "not estimable (too few events)"


def _hr(r: dict[str, float]) -> str:
    """HR PFS with its CI, or NOT_ESTIMABLE (an HR is never 'NR')."""
    if not math.isfinite(r["hr_pfs"]):
        return NOT_ESTIMABLE
    return _ci(r["hr_pfs"], r["hr_pfs_low"], r["hr_pfs_high"], digits=2)


def summary_rows(rows: pd.DataFrame) -> list[tuple[str, ...]]:
    """One printed row per arm under SUMMARY_HEAD (ORR/CR/DCR in %, PFS in days, HR vs arm 1).

    Only the first arm is the reference: an arm whose HR is not estimable was printed as
    'reference' with its log-rank p hidden (`cohort summary` prints n/e and the p; audit s43)."""
    out: list[tuple[str, ...]] = []
    for i, r in enumerate(arm_summary(rows).to_dict(orient="records")):
        ref = i == 0  # arm_summary's default reference: the first arm
        p = r["logrank_p_pfs"]
        out.append(
            (
                str(r["arm"]),
                str(r["n"]),
                str(r["n_failed"]),
                _ci(r["ORR"], r["ORR_low"], r["ORR_high"], scale=100),
                _ci(r["CR"], r["CR_low"], r["CR_high"], scale=100),
                _ci(r["DCR"], r["DCR_low"], r["DCR_high"], scale=100),
                _ci(r["median_pfs"], r["median_pfs_low"], r["median_pfs_high"]),
                "reference" if ref else _hr(r),
                "" if ref or not math.isfinite(p) else f"{p:.2g}",
            )
        )
    return out


#: blood-count table: one row per arm whose drugs lower the neutrophil count (dose rules on)
BLOOD_HEAD = (
    "arm",
    "patients read",
    "grade >= 3 neutropenia, worst laboratory value, % (95% CI)",
    "grade >= 3, model nadir, % (95% CI)",
    "course delayed, %",
    "dose withheld, %",
    "dose reduced, %",
    "median dose intensity, %",
)


def blood_rows(rows: pd.DataFrame) -> list[tuple[str, ...]]:
    """Per arm whose drugs the dose rules watched on the neutrophil count (a trial cohort, or
    ``--dose-rules``): the grade >= 3 shares by the worst laboratory value and by the model's
    nadir, and what the rules changed; empty when no arm has that read."""
    need = ("anc_lab_worsened", "anc_grade", "dose_intensity", "cycles_delayed")
    if any(c not in rows.columns for c in need):
        return []
    out: list[tuple[str, ...]] = []
    ok = _ok(rows)
    for arm in dict.fromkeys(ok["arm"]):
        mine = ok[(ok["arm"] == arm) & ok["dose_intensity"].notna() & ok["anc_grade"].notna()]
        if mine.empty:
            continue
        n = len(mine)

        def share(hit: pd.Series, n: int = n) -> str:
            return _ci(*wilson(int(hit.sum()), n), scale=100, digits=1)

        out.append(
            (
                str(arm),
                str(n),
                share(mine["anc_lab_worsened"] >= 3),
                share(mine["anc_grade"] >= 3),
                f"{100 * (mine['cycles_delayed'] > 0).mean():.1f}",
                f"{100 * (mine['doses_held'] > 0).mean():.1f}",
                f"{100 * (mine['dose_reductions'] > 0).mean():.1f}",
                f"{100 * mine['dose_intensity'].median():.0f}",
            )
        )
    return out


def rows_csv(directory: Path) -> bytes:
    """One row per patient-arm as CSV."""
    return load_rows(directory).to_csv(index=False).encode()


def rows_parquet(directory: Path) -> bytes:
    """One row per patient-arm as Parquet."""
    buf = io.BytesIO()
    load_rows(directory).to_parquet(buf, index=False)
    return buf.getvalue()


def report_html(directory: Path) -> str:
    """The report's cohort sections (arm table, KM, waterfall, spider, provenance) as one page."""
    from senotwin.report.cohort_sections import cohort_sections
    from senotwin.report.html import render_report

    results = load_cohort_results(directory)
    scenario = str(results.manifest["config"]["scenario"])
    model = get_scenario(scenario).load()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return render_report(
        cohort_sections(results, model),
        title=f"senotwin virtual trial: {scenario}",
        subtitle=f"{results.manifest['config']['n']} virtual patients per arm, from senotwin app",
        footer=f"senotwin {senotwin.__version__} · Python {platform.python_version()} · {stamp}",
    )
