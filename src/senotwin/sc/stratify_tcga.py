"""SASP axes and survival across TCGA tumour types (review §5): Cox models per type and pooled.

Per tumour type and endpoint (OS, PFI): Cox HR per SD of ``sasp_stimulatory`` and of
``sasp_suppressive``, adjusted for age and AJCC stage (ordinal I-IV) where the type records
them. With 18 tumours per type most types have few events: a type is called *underpowered*
below ``MIN_EVENTS`` events and *supported* only when its 95% CI excludes 1. The pooled model
is stratified by tumour type (a baseline hazard per type).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from senotwin._errors import ValidationError
from senotwin.sc.stratify import stratify_frame

__all__ = ["AXES", "MIN_EVENTS", "forest_title", "stage_number", "tcga_cox"]

AXES = ("sasp_stimulatory", "sasp_suppressive")
#: fewest events for a per-type estimate to be reported as evaluable (rule of thumb: ~10 events
#: per covariate; three covariates would need 30, so even 10 is generous)
MIN_EVENTS = 10
#: small ridge penalty so 18-patient fits converge; stated with the results
PENALIZER = 0.1


def stage_number(text: object) -> float:
    """AJCC pathologic stage text -> 1..4 (sub-stages collapse); NaN when absent."""
    if not isinstance(text, str):
        return float("nan")
    t = text.upper().replace("STAGE", "").strip()
    for roman, num in (("IV", 4.0), ("III", 3.0), ("II", 2.0), ("I", 1.0)):
        if t.startswith(roman):
            return num
    return float("nan")


def _fit(d: pd.DataFrame, time: str, event: str, strata: str | None) -> pd.Series | None:
    from lifelines import CoxPHFitter

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = CoxPHFitter(penalizer=PENALIZER).fit(
                d, duration_col=time, event_col=event, strata=[strata] if strata else None
            )
    except Exception:  # lifelines raises several types on singular 18-patient fits
        return None
    s: pd.Series = fit.summary.loc["z"]
    return s


def tcga_cox(
    tpm: pd.DataFrame, clinical: pd.DataFrame, *, types: Sequence[str] | None = None
) -> pd.DataFrame:
    """One row per (tumour type or 'pooled') × endpoint × axis: HR per SD, CI, n, events, call.

    The axes are scored on the whole extract at once (z-scores across all 594 tumours), then
    standardised again within each type before its fit. ``types`` limits the per-type fits.
    """
    scores = stratify_frame(tpm, where="TCGA extract", n_boot=2).predictions
    df = clinical.join(scores[list(AXES)])
    df["stage"] = df["ajcc_pathologic_tumor_stage"].map(stage_number)
    rows = []
    found = sorted(df["cancer_type"].dropna().unique())
    unknown = sorted(set(types or ()) - set(found))
    if unknown:
        raise ValidationError(
            f"TCGA tumour type(s) {', '.join(unknown)} not in the data; have {', '.join(found)}"
        )
    groups = [*(t for t in found if types is None or t in types), "pooled"]
    for endpoint in ("OS", "PFI"):
        time, event = f"{endpoint}.time", endpoint
        for g in groups:
            sub = df if g == "pooled" else df[df["cancer_type"] == g]
            for axis in AXES:
                cols = [time, event, axis, "age"]
                use_stage = sub["stage"].notna().mean() >= 0.8
                if use_stage:
                    cols.append("stage")
                d = sub[cols + (["cancer_type"] if g == "pooled" else [])].dropna()
                d = d[d[time] > 0]
                n_ev = int(d[event].sum())
                row = {
                    "group": g,
                    "endpoint": endpoint,
                    "score": axis,
                    "n": len(d),
                    "events": n_ev,
                    "adjusted_for": "age, stage" if use_stage else "age",
                    "hr_per_sd": np.nan,
                    "ci_low": np.nan,
                    "ci_high": np.nan,
                    "p": np.nan,
                }
                if len(d) >= 8 and n_ev >= 3 and d[axis].std() > 0:
                    d = d.assign(z=(d[axis] - d[axis].mean()) / d[axis].std(ddof=1))
                    d = d.drop(columns=[axis])
                    if g != "pooled" and d["age"].std() > 0:
                        d["age"] = (d["age"] - d["age"].mean()) / d["age"].std()
                    s = _fit(d, time, event, "cancer_type" if g == "pooled" else None)
                    if s is not None:
                        row.update(
                            hr_per_sd=float(s["exp(coef)"]),
                            ci_low=float(s["exp(coef) lower 95%"]),
                            ci_high=float(s["exp(coef) upper 95%"]),
                            p=float(s["p"]),
                        )
                row["call"] = _call(row)
                rows.append(row)
    return pd.DataFrame(rows)


def forest_title(table: pd.DataFrame) -> str:
    """The forest plot's title, saying what the rows shown were adjusted for: stage only where a
    type records it, and the pooled model stratified by tumour type (one title said 'adjusted
    for age, stage' over rows adjusted for age alone)."""
    per_type = table[table["group"] != "pooled"]["adjusted_for"]
    if per_type.empty:
        adjusted = ""
    elif (per_type == "age, stage").all():
        adjusted = "adjusted for age and stage"
    elif (per_type == "age").all():
        adjusted = "adjusted for age"
    else:
        adjusted = "adjusted for age, and stage where the type records it"
    pooled = table[table["group"] == "pooled"]["adjusted_for"]
    if not pooled.empty:
        adjusted += (";\n" if adjusted else "") + (
            f"pooled: adjusted for {pooled.iloc[0].replace(', ', ' and ')}, stratified by type"
        )
    return f"TCGA: HR per SD of each SASP axis\n({adjusted})"  # one line ran off the figure


def _call(row: dict[str, object]) -> str:
    """'underpowered', 'no association detected' or 'supported (HR > 1 / < 1)'."""
    events = int(row["events"])  # type: ignore[call-overload]
    lo, hi = float(row["ci_low"]), float(row["ci_high"])  # type: ignore[arg-type]
    if events < MIN_EVENTS or not np.isfinite(lo):
        return "underpowered"
    if lo > 1:
        return "supported: higher score, higher hazard"
    if hi < 1:
        return "supported: higher score, lower hazard"
    return "no association detected (CI includes 1)"
