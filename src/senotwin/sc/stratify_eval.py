"""Evaluate ``ici_benefit`` on checkpoint-inhibitor cohorts against published baselines.

Leave-one-cohort-out: the stratify rule has no fitted parameter, so every cohort is scored as a
held-out cohort with the same frozen rule; nothing is learnt from any cohort. Per cohort and
score: AUROC for response with a percentile bootstrap CI, and Cox HR per SD for OS and PFS.
Baselines are computed in the same run from the same normalised matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.stats import rankdata

from senotwin._errors import ValidationError, check_seed
from senotwin._io import atomic_write_figure
from senotwin.sc.stratify import config, normalise_bulk, stratify_frame
from senotwin.sc.stratify_cohorts import Cohort, load_ici_cohorts, response_labels

__all__ = [
    "BASELINES_SHOWN",
    "Evaluation",
    "auroc",
    "auroc_ci",
    "baseline_scores",
    "demo_evaluation",
    "draw_roc",
    "evaluate_cohorts",
    "plot_forest",
    "plot_roc",
]

#: scores compared in every cohort: the stratify outputs, then the published baselines
STRATIFY_SCORES = ("ici_benefit", "immune_infiltration", "sasp_stimulatory", "sasp_suppressive")
#: the published baselines (names of ``baselines`` in stratify.yaml), in display order
BASELINES_SHOWN = ("cd8_teff", "ifng6", "cytolytic")
#: minimum responders and non-responders for an AUROC
MIN_PER_CLASS = 3
#: what a response label's responders are, in words (the figures show one of the two labels
#: auroc.csv holds and said only 'R vs NR'; audit s51)
LABEL_WORDS = {
    "response": "curated response (R) vs non-response (NR)",
    "recist": "RECIST best response CR/PR (R) vs SD/PD (NR)",
}


def auroc(y: NDArray[np.float64], s: NDArray[np.float64]) -> float:
    """Area under the ROC curve (Mann-Whitney U / n1 n0, ties counted half)."""
    y = np.asarray(y, dtype=bool)
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    r = rankdata(s)
    return float((r[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def auroc_ci(
    y: NDArray[np.float64], s: NDArray[np.float64], *, n_boot: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """95% percentile bootstrap CI of the AUROC, resampling within each class (stratified)."""
    yb = np.asarray(y, dtype=bool)
    s = np.asarray(s, dtype=float)
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(yb), np.flatnonzero(~yb)
    idx = np.concatenate(
        [rng.choice(pos, (n_boot, pos.size)), rng.choice(neg, (n_boot, neg.size))], axis=1
    )
    ranks = rankdata(s[idx], axis=1)
    n1, n0 = pos.size, neg.size
    vals = (ranks[:, :n1].sum(axis=1) - n1 * (n1 + 1) / 2) / (n1 * n0)
    lo, hi = np.percentile(vals, [2.5, 97.5])
    return float(lo), float(hi)


def baseline_scores(expression: pd.DataFrame) -> pd.DataFrame:
    """Published baselines on the same normalised scale as stratify (samples × baselines).

    ``mean_log``: mean of log2 expression of the genes (Ayers 2017; Rooney 2015's geometric
    mean); ``mean_z``: mean of per-gene z-scores. Genes absent from the data are skipped; a
    baseline with fewer than two genes present is NaN.
    """
    logx, _ = normalise_bulk(expression.to_numpy(dtype=np.float64))
    lx = pd.DataFrame(logx, index=expression.index, columns=[c.upper() for c in expression.columns])
    out = {}
    for name, b in config()["baselines"].items():
        genes = [g for g in b["genes"] if g in lx.columns]
        if len(genes) < 2:
            out[name] = pd.Series(np.nan, index=lx.index)
            continue
        sub = lx[genes]
        if b["score"] == "mean_z":
            sd = sub.std(ddof=0).replace(0, np.nan)
            sub = ((sub - sub.mean()) / sd).fillna(0.0)
        out[name] = sub.mean(axis=1)
    return pd.DataFrame(out)


@dataclass(frozen=True)
class Evaluation:
    """Per-cohort AUROCs, Cox HRs, the per-sample scores used, and the summary per score."""

    auroc: pd.DataFrame
    cox: pd.DataFrame
    scores: pd.DataFrame
    summary: pd.DataFrame
    notes: tuple[str, ...]


def _cox(df: pd.DataFrame, time: str, event: str, score: str) -> dict[str, float] | None:
    """HR per SD of ``score`` with its Wald 95% CI; None when there are too few events."""
    from lifelines import CoxPHFitter

    d = df[[time, event, score]].apply(pd.to_numeric, errors="coerce").dropna()
    if len(d) < 10 or d[event].sum() < 5 or d[score].std() == 0:
        return None
    d = d.assign(z=(d[score] - d[score].mean()) / d[score].std(ddof=1))
    fit = CoxPHFitter().fit(d[[time, event, "z"]], duration_col=time, event_col=event)
    s = fit.summary.loc["z"]
    return {
        "hr_per_sd": float(s["exp(coef)"]),
        "ci_low": float(s["exp(coef) lower 95%"]),
        "ci_high": float(s["exp(coef) upper 95%"]),
        "p": float(s["p"]),
        "n": len(d),
        "events": int(d[event].sum()),
    }


def evaluate_cohorts(cohorts: Sequence[Cohort], *, n_boot: int = 1000, seed: int = 0) -> Evaluation:
    """AUROC (R vs NR and CR/PR vs SD/PD) and Cox HR (OS, PFS) of every score in every cohort."""
    if not cohorts:
        raise ValidationError("no cohort to evaluate")
    check_seed(seed, option=None)
    base_names = list(config()["baselines"])
    score_names = [*STRATIFY_SCORES, *base_names]
    a_rows, c_rows, frames, notes = [], [], [], []
    for c in cohorts:
        if c.note:
            notes.append(f"{c.name}: {c.note}")
        # uncertainties are not used here: the fewest bootstrap replicates that give an SD
        res = stratify_frame(c.expression, where=f"cohort {c.name}", seed=seed, n_boot=2)
        sc = res.predictions[list(STRATIFY_SCORES)].join(baseline_scores(c.expression))
        labels = {k: response_labels(c.clinical, k) for k in ("response", "recist")}
        frame = sc.assign(
            cohort=c.name,
            response=labels["response"],
            recist_response=labels["recist"],
            os_time=pd.to_numeric(c.clinical["survival_time_os"], errors="coerce"),
            os_event=pd.to_numeric(c.clinical["event_occurred_os"], errors="coerce"),
            pfs_time=pd.to_numeric(c.clinical["survival_time_pfs"], errors="coerce"),
            pfs_event=pd.to_numeric(c.clinical["event_occurred_pfs"], errors="coerce"),
        )
        frames.append(frame)
        for kind, lab in (("response", "response"), ("recist", "recist_response")):
            m = frame[lab].notna()
            y = frame.loc[m, lab].to_numpy()
            n1, n0 = int(y.sum()), int((1 - y).sum())
            if min(n1, n0) < MIN_PER_CLASS:
                notes.append(
                    f"{c.name}: no AUROC for {kind} ({n1} responders, {n0} non-responders; "
                    f"need >= {MIN_PER_CLASS} of each)"
                )
                continue
            for s in score_names:
                v = frame.loc[m, s].to_numpy(dtype=float)
                if not np.all(np.isfinite(v)):
                    continue
                lo, hi = auroc_ci(y, v, n_boot=n_boot, seed=seed)
                a_rows.append(
                    {
                        "cohort": c.name,
                        "label": kind,
                        "score": s,
                        "auroc": auroc(y, v),
                        "ci_low": lo,
                        "ci_high": hi,
                        "n_responders": n1,
                        "n_nonresponders": n0,
                    }
                )
        for endpoint in ("os", "pfs"):
            for s in score_names:
                r = _cox(frame, f"{endpoint}_time", f"{endpoint}_event", s)
                if r is not None:
                    c_rows.append({"cohort": c.name, "endpoint": endpoint, "score": s, **r})
    au = pd.DataFrame(a_rows)
    summary = (
        au.groupby(["label", "score"])["auroc"]
        .agg(["mean", "count"])
        .rename(columns={"mean": "mean_auroc", "count": "n_cohorts"})
        .reset_index()
        if len(au)
        else pd.DataFrame(columns=["label", "score", "mean_auroc", "n_cohorts"])
    )
    return Evaluation(au, pd.DataFrame(c_rows), pd.concat(frames), summary, tuple(notes))


def plot_roc(ev: Evaluation, path: str | Path, *, label: str = "response") -> Path:
    """ROC curves of ici_benefit and the baselines, one panel per cohort (written atomically)."""
    from matplotlib.figure import Figure

    cohorts = sorted(set(ev.auroc.loc[ev.auroc["label"] == label, "cohort"]))
    if not cohorts:
        raise ValidationError(f"no cohort has AUROCs for label {label!r}")
    ncol = min(4, len(cohorts))
    nrow = -(-len(cohorts) // ncol)
    fig = Figure(figsize=(3.2 * ncol, 3.2 * nrow))
    for i, name in enumerate(cohorts):
        draw_roc(fig.add_subplot(nrow, ncol, i + 1), ev, name, label=label)
    fig.suptitle(
        f"ROC per ICI cohort, {LABEL_WORDS[label]}; n patients, R responders; "
        "legend: score and its AUROC",
        fontsize=10,
    )
    fig.tight_layout()
    return atomic_write_figure(fig, path, dpi=110)


def draw_roc(ax: Any, ev: Evaluation, cohort: str, *, label: str = "response") -> None:
    """ROC curves of ici_benefit (thick) and the baselines for one cohort on a matplotlib axis."""
    col = "response" if label == "response" else "recist_response"
    f = ev.scores[(ev.scores["cohort"] == cohort) & ev.scores[col].notna()]
    y = f[col].to_numpy(dtype=bool)
    for s in ("ici_benefit", *BASELINES_SHOWN):
        v = f[s].to_numpy(dtype=float)
        fpr, tpr = _roc_curve(y, v)
        width = 2.0 if s == "ici_benefit" else 1.0
        ax.plot(fpr, tpr, lw=width, label=f"{s} {auroc(y, v):.2f}")
    ax.plot([0, 1], [0, 1], color="grey", lw=0.5, ls="--")
    ax.set_title(f"{cohort} (n={len(y)}, R={int(y.sum())})", fontsize=9)
    ax.set_xlabel("1 - specificity", fontsize=8)
    ax.set_ylabel("sensitivity", fontsize=8)
    ax.legend(fontsize=6, loc="lower right", title="score, AUROC", title_fontsize=6)


def demo_evaluation(folder: str | Path | None = None, *, n_boot: int = 1000) -> Evaluation | None:
    """The evaluation over the ICI cohorts found in ``folder`` (default: ``../shared/data/ici``
    beside the working directory or the source checkout); None when no cohort is there."""
    here = Path(__file__).resolve().parents[3]
    candidates = (
        [Path(folder)]
        if folder is not None
        else [
            Path.cwd() / ".." / "shared" / "data" / "ici",
            here / ".." / "shared" / "data" / "ici",
        ]
    )
    for d in candidates:
        if d.is_dir() and any(d.glob("*_expr_log2tpm.csv.gz")):
            return evaluate_cohorts(load_ici_cohorts(d), n_boot=n_boot)
    return None


def _roc_curve(y: NDArray[np.bool_], s: NDArray[np.float64]) -> tuple[list[float], list[float]]:
    order = np.argsort(-s, kind="stable")
    ys = y[order]
    tpr = np.concatenate([[0.0], np.cumsum(ys) / max(ys.sum(), 1)])
    fpr = np.concatenate([[0.0], np.cumsum(~ys) / max((~ys).sum(), 1)])
    return fpr.tolist(), tpr.tolist()


def plot_forest(
    table: pd.DataFrame,
    path: str | Path,
    *,
    group: str,
    estimate: str,
    xlabel: str,
    title: str,
    null: float,
    log: bool = False,
) -> Path:
    """Forest plot: one row per ``group`` value × score, estimate with its 95% CI; ``xlabel``
    says in words what the estimate is (not its column name)."""
    from matplotlib.figure import Figure

    if table.empty:
        raise ValidationError(f"nothing to plot for {title!r}")
    rows = table.reset_index(drop=True)
    fig = Figure(figsize=(6.5, 0.22 * len(rows) + 1.2))
    ax = fig.add_subplot(1, 1, 1)
    ypos = np.arange(len(rows))[::-1]
    scores = list(dict.fromkeys(rows["score"]))
    colours = {s: f"C{i % 10}" for i, s in enumerate(scores)}
    for y, (_, r) in zip(ypos, rows.iterrows(), strict=True):
        ax.plot([r["ci_low"], r["ci_high"]], [y, y], color=colours[r["score"]], lw=1.2)
        ax.plot(r[estimate], y, "o", color=colours[r["score"]], ms=4)
    ax.axvline(null, color="grey", lw=0.8, ls="--")
    ax.set_yticks(ypos)
    ax.set_yticklabels([f"{r[group]} · {r['score']}" for _, r in rows.iterrows()], fontsize=7)
    if log:
        ax.set_xscale("log")
        ticks = [0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0]
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.minorticks_off()
        ax.set_xlim(max(0.1, float(rows["ci_low"].min()) * 0.8), float(rows["ci_high"].max()) * 1.2)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return atomic_write_figure(fig, path, dpi=110)
