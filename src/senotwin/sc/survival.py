"""Survival association for bulk cohorts: Cox PH per score and Kaplan-Meier by score tertiles."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from senotwin._errors import ValidationError, check_type
from senotwin._io import atomic_write_figure
from senotwin.sc.kernels import LABELS

__all__ = ["cox_per_score", "km_tertiles", "km_text", "left_out", "plot_km"]


def score_columns(scores: str | Sequence[str]) -> list[str]:
    """The score column names: a single name is one column (not read letter by letter), and at
    least one is needed (an empty list fitted nothing and said nothing)."""
    check_type(scores, (str, *LABELS), name="scores", what="score column names (a list)")
    names = [scores] if isinstance(scores, str) else list(scores)
    if not names:
        raise ValidationError("scores (--score) is empty: name at least one score column")
    return names


def _check(df: pd.DataFrame, time: str, event: str, scores: Sequence[str]) -> pd.DataFrame:
    """The rows with a number in every named column; the arguments' types are checked first
    (every public function here starts with it)."""
    check_type(df, pd.DataFrame, name="df", what="a table (pandas DataFrame; pd.read_csv(path))")
    for name, column in (("time", time), ("event", event)):
        check_type(column, str, name=name, what="a column name (str)")
    roles = [("time", time), ("event", event), *(("score", c) for c in scores)]
    seen: dict[str, str] = {}
    for role, c in roles:  # one column in two roles would be read as a two-column frame
        if c in seen:
            twice = (
                f"named twice as --{role}"
                if seen[c] == role
                else (f"named as both --{seen[c]} and --{role}")
            )
            raise ValidationError(
                f"column {c!r} is {twice}; allowed: a different column for --time, --event "
                "and each --score"
            )
        seen[c] = role
    for role, c in roles:
        if c not in df.columns:
            raise ValidationError(
                f"{role} column {c!r} (--{role}) not found; available: {list(df.columns)}"
            )
    sub = df[[time, event, *scores]].apply(pd.to_numeric, errors="coerce")
    for role, c in roles:  # a column with no number at all: name it rather than the rows
        if sub[c].isna().all():
            first = df[c].dropna().astype(str).head(3).tolist()
            raise ValidationError(
                f"{role} column {c!r} (--{role}) holds no numbers (first values: {first})"
            )
    bad = sub.isna().any(axis=1)
    if bad.all():
        raise ValidationError("no sample has numeric time, event and scores")
    used = sub.loc[~bad]
    rows = np.flatnonzero(~bad.to_numpy())  # each used row's position in ``df``
    named = {time, event, *scores}
    for role, c, bad_rows, rule, what in (
        ("time", time, used[time] < 0, "must hold follow-up times >= 0", "negative"),
        (
            "event",
            event,
            ~used[event].isin([0, 1]),
            "must be 0 (censored) or 1 (event observed)",
            "neither 0 nor 1",
        ),
    ):
        if bad_rows.any():
            first = int(np.flatnonzero(bad_rows.to_numpy())[0])
            raise ValidationError(
                f"{role} column {c!r} (--{role}) {rule}; got "
                f"{used[c].iloc[first]:g} ({_where(df, rows[first], named)}; "
                f"{int(bad_rows.sum())} of {len(used)} usable rows {what})"
            )
    return used


def _where(df: pd.DataFrame, position: int, used: set[str]) -> str:
    """A row named for a message: by its first column's label (a sample id) when that column
    is not one of the columns read, else by its position among the data rows."""
    label = df.columns[0]
    if label not in used:
        return f"{label} {str(df.iloc[position, 0])!r}"
    return f"data row {position + 1}"


def left_out(df: pd.DataFrame, *, time: str, event: str, scores: str | Sequence[str]) -> str | None:
    """What the fits leave out: rows with no number in the time, event or a score column (the
    Cox fits use rows with every score, Kaplan-Meier the first score's), or None if no row."""
    scores = score_columns(scores)
    used = _check(df, time, event, scores)
    n_out = len(df) - len(used)
    if not n_out:
        return None
    sub = df[[time, event, *scores]].apply(pd.to_numeric, errors="coerce")
    per_column = ", ".join(f"{c} {int(n)}" for c, n in sub.isna().sum().items() if n)
    first = int(sub.isna().any(axis=1).to_numpy().nonzero()[0][0])
    where = _where(df, first, {time, event, *scores})
    return (
        f"{n_out} of {len(df)} rows left out: no number (missing or text) in a column used "
        f"(rows per column: {per_column}; first: {where}); n = {len(used)}"
    )


def cox_per_score(
    df: pd.DataFrame, *, time: str, event: str, scores: str | Sequence[str]
) -> pd.DataFrame:
    """Univariate Cox model per score (standardised: HR per 1 SD) with 95% CI and Wald p;
    ``scores``: the score columns (a single name is one column)."""
    from lifelines import CoxPHFitter

    scores = score_columns(scores)
    data = _check(df, time, event, scores)
    rows = []
    for s in scores:
        v = data[s]
        sd = float(v.std(ddof=1))
        if not np.isfinite(sd) or sd == 0:
            raise ValidationError(f"score {s!r} is constant; cannot fit a Cox model")
        d = pd.DataFrame({"T": data[time], "E": data[event], "z": (v - v.mean()) / sd})
        cph = CoxPHFitter().fit(d, duration_col="T", event_col="E")
        summ = cph.summary.loc["z"]
        rows.append(
            {
                "score": s,
                "hr_per_sd": float(summ["exp(coef)"]),
                "ci_low": float(summ["exp(coef) lower 95%"]),
                "ci_high": float(summ["exp(coef) upper 95%"]),
                "p": float(summ["p"]),
                "n": len(d),
                "events": int(d["E"].sum()),
            }
        )
    return pd.DataFrame(rows)


def km_tertiles(df: pd.DataFrame, *, time: str, event: str, score: str) -> pd.DataFrame:
    """Tertile of each sample (low/mid/high) plus KM median survival and log-rank p per tertile."""
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test

    check_type(score, str, name="score", what="a score column name (str)")

    data = _check(df, time, event, [score])
    if len(data) < 6:
        raise ValidationError(f"need at least 6 samples for tertiles, got {len(data)}")
    tert = pd.qcut(data[score].rank(method="first"), 3, labels=["low", "mid", "high"])
    test = multivariate_logrank_test(data[time], tert.astype(str), data[event])
    rows = []
    for t in ["low", "mid", "high"]:
        m = tert == t
        kmf = KaplanMeierFitter().fit(data.loc[m, time], data.loc[m, event])
        rows.append(
            {
                "tertile": t,
                "n": int(m.sum()),
                "events": int(data.loc[m, event].sum()),
                "median_survival": float(kmf.median_survival_time_),
                "logrank_p": float(test.p_value),
            }
        )
    return pd.DataFrame(rows)


def km_text(km: pd.DataFrame, *, time: str) -> str:
    """``km_tertiles``' table as printed: the median in the time column's unit, or 'not reached'
    where a tertile's curve stays above 0.5 (it printed 'inf'), and the log-rank p to 2 digits."""
    shown = pd.DataFrame(
        {
            "tertile": km["tertile"],
            "n": km["n"],
            "events": km["events"],
            f"median {time}": [
                f"{m:.4g}" if np.isfinite(m) else "not reached" for m in km["median_survival"]
            ],
            "log-rank p": [f"{p:.2g}" for p in km["logrank_p"]],
        }
    )
    return shown.to_string(index=False)


def plot_km(df: pd.DataFrame, path: str | Path, *, time: str, event: str, score: str) -> Path:
    """Kaplan-Meier curves by tertile of ``score`` (written atomically)."""
    import matplotlib.pyplot as plt
    from lifelines import KaplanMeierFitter

    data = _check(df, time, event, [score])
    summary = km_tertiles(df, time=time, event=event, score=score).set_index("tertile")
    tert = pd.qcut(data[score].rank(method="first"), 3, labels=["low", "mid", "high"])
    fig, ax = plt.subplots(figsize=(5, 4))
    for t in ["low", "mid", "high"]:
        m = tert == t
        KaplanMeierFitter(label=f"{score} {t} (n={int(summary.loc[t, 'n'])})").fit(
            data.loc[m, time], data.loc[m, event]
        ).plot_survival_function(
            ax=ax, ci_show=False, show_censors=True, censor_styles={"marker": "|", "ms": 6}
        )
    # the time column's own unit (the command takes any); censored samples are marked on their
    # curve (the curves showed no censoring, so a flat tail could not be told from no events)
    ax.set_xlabel(f"follow-up, column {time!r} (its unit); | censored")
    ax.set_ylabel("survival probability")
    ax.set_ylim(0, 1.02)  # the axis started wherever the lowest curve ended
    p = float(summary["logrank_p"].iloc[0])
    ax.set_title(f"Kaplan-Meier by tertile of {score} (log-rank p = {p:.2g})", fontsize=9)
    fig.tight_layout()
    try:
        return atomic_write_figure(fig, path)
    finally:
        plt.close(fig)
