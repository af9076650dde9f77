"""Survival analysis of cohort arms: Kaplan-Meier with 95 % CI, Cox hazard ratios, log-rank.

Thin, typed wrappers around lifelines (Davidson-Pilon, JOSS 2019): KM estimates with
exponential Greenwood ("log-log") confidence intervals, median survival with its CI, Cox
proportional-hazards HR of each arm against a reference arm (Efron ties) and the two-sample
log-rank test, and a curve read at a fixed time (:func:`survival_at`). Per-arm response rates
(ORR = CR + PR, DCR = CR + PR + SD) come with Wilson 95 % intervals.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from senotwin._errors import ValidationError, check_type


@dataclass(frozen=True)
class KMCurve:
    """A Kaplan-Meier curve: step times, survival, 95 % band, median and its CI."""

    times: np.ndarray
    survival: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    median: float
    median_lower: float
    median_upper: float
    n: int
    events: int


@dataclass(frozen=True)
class SurvivalComparison:
    """Cox HR of an arm vs the reference (95 % CI) and the log-rank p value."""

    hr: float
    hr_lower: float
    hr_upper: float
    logrank_p: float


def _check(durations: np.ndarray, events: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    if d.ndim != 1 or d.shape != e.shape or d.size == 0:
        raise ValidationError("survival data need matching non-empty 1-D durations and events")
    if not np.all(np.isfinite(d)) or np.any(d < 0):
        raise ValidationError("survival durations must be finite and >= 0")
    return d, e


def kaplan_meier(durations: np.ndarray, events: np.ndarray, *, alpha: float = 0.05) -> KMCurve:
    """Kaplan-Meier estimate with a (1 - alpha) band and median survival (inf if not reached)."""
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    d, e = _check(durations, events)
    kmf = KaplanMeierFitter(alpha=alpha).fit(d, e)
    sf = kmf.survival_function_.iloc[:, 0]
    ci = kmf.confidence_interval_
    med_ci = median_survival_times(kmf.confidence_interval_)
    return KMCurve(
        times=sf.index.to_numpy(dtype=float),
        survival=sf.to_numpy(dtype=float),
        lower=ci.iloc[:, 0].to_numpy(dtype=float),
        upper=ci.iloc[:, 1].to_numpy(dtype=float),
        median=float(kmf.median_survival_time_),
        median_lower=float(med_ci.iloc[0, 0]),
        median_upper=float(med_ci.iloc[0, 1]),
        n=int(d.size),
        events=int(e.sum()),
    )


def survival_at(curve: KMCurve, t: float) -> tuple[float, float, float]:
    """The curve's survival at time ``t`` with its 95 % band (exponential Greenwood), read off
    the step function (the last step at or before ``t``); NaN past the last observation unless
    the curve has reached 0. A rate at a fixed time moves smoothly where a median on a scan
    calendar jumps by a whole scan interval."""
    if not math.isfinite(t) or t < 0:
        raise ValidationError(f"survival time t = {t!r}: allowed a finite time >= 0")
    if t > curve.times[-1] and curve.survival[-1] > 0:
        return math.nan, math.nan, math.nan
    k = int(np.searchsorted(curve.times, t, side="right")) - 1
    if k < 0:  # before the first step time: nobody has had an event yet
        return 1.0, 1.0, 1.0
    return float(curve.survival[k]), float(curve.lower[k]), float(curve.upper[k])


def compare(
    durations: np.ndarray,
    events: np.ndarray,
    ref_durations: np.ndarray,
    ref_events: np.ndarray,
    *,
    alpha: float = 0.05,
) -> SurvivalComparison:
    """Cox HR (arm vs reference, Efron ties) with (1 - alpha) CI and log-rank p.

    Without any event in either group nothing is compared: HR, CI and log-rank p are NaN (a
    p of 1 would read as a test that found no difference). When the Cox fit does not converge
    (perfect separation), the HR and its CI are NaN; the log-rank p is still reported.
    """
    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceError
    from lifelines.statistics import logrank_test

    d1, e1 = _check(durations, events)
    d0, e0 = _check(ref_durations, ref_events)
    if not (e1.any() or e0.any()):
        return SurvivalComparison(math.nan, math.nan, math.nan, math.nan)
    lr = logrank_test(d1, d0, event_observed_A=e1, event_observed_B=e0)
    df = pd.DataFrame(
        {
            "T": np.concatenate([d1, d0]),
            "E": np.concatenate([e1, e0]).astype(int),
            "arm": np.r_[np.ones(d1.size), np.zeros(d0.size)],
        }
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cph = CoxPHFitter(alpha=alpha).fit(df, "T", "E")
    except ConvergenceError:
        return SurvivalComparison(math.nan, math.nan, math.nan, float(lr.p_value))
    row = cph.summary.loc["arm"]
    hr, low, high = (
        float(row["exp(coef)"]),
        float(row[f"exp(coef) lower {100 * (1 - alpha):g}%"]),
        float(row[f"exp(coef) upper {100 * (1 - alpha):g}%"]),
    )
    if not all(math.isfinite(v) and 1e-6 < v < 1e6 for v in (hr, low, high)):
        # a separated fit (e.g. one patient an arm, every event on one side): its estimate
        # runs off towards 0 or infinity and is no hazard ratio; said as not estimable
        return SurvivalComparison(math.nan, math.nan, math.nan, float(lr.p_value))
    return SurvivalComparison(hr=hr, hr_lower=low, hr_upper=high, logrank_p=float(lr.p_value))


def wilson(k: int, n: int, *, confidence: float = 0.95) -> tuple[float, float, float]:
    """Proportion k/n with its Wilson score interval (SciPy's binomtest; NaN for n = 0)."""
    if n == 0:
        return math.nan, math.nan, math.nan
    ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    return k / n, float(ci.low), float(ci.high)


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def arm_summary(table: pd.DataFrame, *, reference: str | None = None) -> pd.DataFrame:
    """Per arm: n, failures, ORR, DCR (with CIs), median PFS/OS (CI), HR vs reference, log-rank p.

    ORR is from ``best_response`` (confirmed for trial rows); ``ORR_unconfirmed`` from
    ``best_response_unconfirmed`` where the rows have it (NaN otherwise).

    ``table`` holds one row per patient-arm (cohort rows: arm, status, best_response, pfs_days,
    pfs_event, os_days, os_event). Patients whose simulation failed are counted, not analysed.
    The reference arm defaults to the first arm.
    """
    what = "a cohort table (pandas DataFrame, e.g. senotwin.load_rows(out))"
    check_type(table, pd.DataFrame, name="table", what=what)
    check_type(reference, (str, type(None)), name="reference", what="an arm name (str) or None")
    need = {"arm", "status", "best_response", "pfs_days", "pfs_event", "os_days", "os_event"}
    missing = need - set(table.columns)
    if missing:
        raise ValidationError(f"cohort table lacks columns {sorted(missing)}")
    arms = list(dict.fromkeys(table["arm"]))
    ref = reference if reference is not None else arms[0]
    if ref not in arms:
        raise ValidationError(f"reference arm {ref!r} not among the arms {arms}")
    ok = table[table["status"] == "success"]
    ref_ok = ok[ok["arm"] == ref]
    rows = []
    for arm in arms:
        sub = table[table["arm"] == arm]
        good = ok[ok["arm"] == arm]
        n = len(good)
        resp = good["best_response"]
        orr = wilson(int(resp.isin(["CR", "PR"]).sum()), n)
        dcr = wilson(int(resp.isin(["CR", "PR", "SD"]).sum()), n)
        cr = wilson(int((resp == "CR").sum()), n)
        row: dict[str, object] = {
            "arm": arm,
            "n": len(sub),
            "n_analysed": n,
            "n_failed": int((sub["status"] != "success").sum()),
            "ORR": orr[0],
            "ORR_low": orr[1],
            "ORR_high": orr[2],
            "DCR": dcr[0],
            "DCR_low": dcr[1],
            "DCR_high": dcr[2],
            "CR": cr[0],
            "CR_low": cr[1],
            "CR_high": cr[2],
        }
        # the unconfirmed ORR (a CR/PR seen once) where the rows carry it (trial endpoints)
        unc = (math.nan,) * 3
        if "best_response_unconfirmed" in good.columns:
            unc = wilson(int(good["best_response_unconfirmed"].isin(["CR", "PR"]).sum()), n)
        row |= {"ORR_unconfirmed": unc[0], "ORR_unconfirmed_low": unc[1]}
        row |= {"ORR_unconfirmed_high": unc[2]}
        for ep in ("pfs", "os"):
            if n == 0:  # every patient of this arm failed: nothing to estimate, same columns
                row |= {f"median_{ep}": math.nan, f"median_{ep}_low": math.nan}
                row |= {f"median_{ep}_high": math.nan, f"hr_{ep}": math.nan}
                row |= {f"hr_{ep}_low": math.nan, f"hr_{ep}_high": math.nan}
                row |= {f"logrank_p_{ep}": math.nan}
                continue
            km = kaplan_meier(good[f"{ep}_days"].to_numpy(), good[f"{ep}_event"].to_numpy())
            row |= {
                f"median_{ep}": km.median,
                f"median_{ep}_low": km.median_lower,
                f"median_{ep}_high": km.median_upper,
            }
            if arm != ref and n > 0 and len(ref_ok) > 0:
                cmp = compare(
                    good[f"{ep}_days"].to_numpy(),
                    good[f"{ep}_event"].to_numpy(),
                    ref_ok[f"{ep}_days"].to_numpy(),
                    ref_ok[f"{ep}_event"].to_numpy(),
                )
                row |= {
                    f"hr_{ep}": cmp.hr,
                    f"hr_{ep}_low": cmp.hr_lower,
                    f"hr_{ep}_high": cmp.hr_upper,
                    f"logrank_p_{ep}": cmp.logrank_p,
                }
            else:
                row |= {f"hr_{ep}": math.nan, f"hr_{ep}_low": math.nan}
                row |= {f"hr_{ep}_high": math.nan, f"logrank_p_{ep}": math.nan}
        rows.append(row)
    return pd.DataFrame(rows)


#: the JSON of a median not reached (+inf here: the Kaplan-Meier curve, or a bound of its CI,
#: stays above 50 % through follow-up). Strict JSON has no infinity, so its number is null, as
#: a missing value's is; the flag ``<field>_not_reached`` beside each field that can hold such a
#: median tells them apart: true for not reached, false for a number or no value (a dict of
#: medians gets a dict of flags)
NOT_REACHED_SUFFIX = "_not_reached"

#: arm_summary's fields that can hold a median not reached
SUMMARY_MEDIANS = tuple(f"median_{ep}{b}" for ep in ("pfs", "os") for b in ("", "_low", "_high"))

#: units of arm_summary's fields in JSON (a ``_low``/``_high`` bound has its estimate's unit)
SUMMARY_UNITS: dict[str, str] = {
    "n": "patients",
    "n_analysed": "patients",
    "n_failed": "patients",
    **{
        rate: "fraction of the analysed patients (0-1)"
        for rate in ("ORR", "DCR", "CR", "ORR_unconfirmed")
    },
    **{f"median_{ep}": "days" for ep in ("pfs", "os")},
    **{f"hr_{ep}": "hazard ratio vs the reference arm" for ep in ("pfs", "os")},
    **{f"logrank_p_{ep}": "p-value (log-rank vs the reference arm)" for ep in ("pfs", "os")},
}


def json_value(value: Any) -> Any:
    """``value`` as strict JSON: NaN and infinities become None, numpy scalars plain numbers,
    through dicts, lists and tuples."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return _finite(value)
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return value


def not_reached(value: Any) -> Any:
    """The :data:`NOT_REACHED_SUFFIX` flag of a median: true for +inf (per key of a dict)."""
    if isinstance(value, Mapping):
        return {str(k): not_reached(v) for k, v in value.items()}
    return isinstance(value, float | np.floating) and value == math.inf


def json_record(record: Mapping[str, Any], medians: Iterable[str] = ()) -> dict[str, Any]:
    """``record`` as strict JSON (:func:`json_value`), each field named in ``medians`` followed
    by its ``<field>_not_reached`` flag (:data:`NOT_REACHED_SUFFIX`)."""
    flagged = set(medians)
    out: dict[str, Any] = {}
    for key, value in record.items():
        out[str(key)] = json_value(value)
        if key in flagged:
            out[f"{key}{NOT_REACHED_SUFFIX}"] = not_reached(value)
    return out


def summary_records(summary: pd.DataFrame) -> list[dict[str, object]]:
    """JSON rows of :func:`arm_summary`: NaN and infinity become None, and each median has its
    ``_not_reached`` flag (:data:`NOT_REACHED_SUFFIX`; units: :data:`SUMMARY_UNITS`)."""
    return [json_record(rec, SUMMARY_MEDIANS) for rec in summary.to_dict(orient="records")]
