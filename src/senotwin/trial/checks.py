"""Checks of a library trial run against cited numbers from outside the trial.

The trial comparison (:func:`senotwin.trial.run.compare_trial`) sets simulated endpoints beside
the trial's own published ones. These checks read parts of the simulation that the trial does not
publish, against numbers measured elsewhere (none is fitted; a miss is shown as a miss):

- what the RECIST progressions involved (target growth, non-target growth or new lesions, new
  lesions), against 341 progressions of consecutive trial patients at one institution
  (quantitative-sources ``recist_progression_new_lesions``; since session 37 the data the
  lesion-level growth spread is calibrated on, so these rows show fit, not validity);
- the control arm's median survival after progression, against the cited median the death hazard
  was set from (``survival`` in the trial file): a check of the hazard's assumed typical course,
  or a fit where the trial file calibrates the rate on it (``post_progression_rate_factor``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from senotwin.analysis.survival import json_record, kaplan_meier, wilson
from senotwin.trial.spec import DAYS_PER_MONTH, TrialSpec

#: share of RECIST progressions involving each determinant (one PD can involve several): 180,
#: 287 and 210 of 341 (new measurable disease: 73 % of the 287 non-target progressions)
PD_PATTERN: dict[str, tuple[float, str]] = {
    "target": (180 / 341, "target lesions grew (sum +20 % and +5 mm over the nadir)"),
    "nontarget_or_new": (287 / 341, "non-target disease grew or a new lesion appeared"),
    "new": (210 / 341, "a new lesion appeared"),
}
PD_PATTERN_SOURCE = (
    "341 RECIST 1.1 progressions of consecutive patients in randomised trials at one institution "
    "(2012-2014; all tumour types): target lesions 53 %, non-target lesions 84 %, new measurable "
    "disease in 73 % of those; quantitative-sources recist_progression_new_lesions. Since "
    "session 37 these shares are the calibration data of the lesion-level growth spread, so "
    "these rows show fit, not validity"
)


@dataclass(frozen=True)
class TrialCheck:
    """One check: the simulated value (95 % CI) beside a reference measured outside the trial."""

    check: str
    arm: str
    unit: str
    simulated: float
    sim_low: float
    sim_high: float
    reference: float
    source: str
    n: int

    @property
    def holds(self) -> bool:
        """The reference lies inside the simulated 95 % interval."""
        return bool(self.sim_low <= self.reference <= self.sim_high)

    def record(self) -> dict[str, object]:
        """JSON-ready: non-finite numbers as None; a median not reached (an open bound) has its
        ``_not_reached`` flag true (:data:`senotwin.analysis.survival.NOT_REACHED_SUFFIX`)."""
        return json_record(asdict(self), ("simulated", "sim_low", "sim_high")) | {
            "holds": self.holds
        }


def involves(pd_by: pd.Series, what: str) -> np.ndarray:
    """Which progressions (``pd_by`` texts such as 'target+new') involved ``what`` (a key of
    :data:`PD_PATTERN`; 'nontarget_or_new': non-target growth or a new lesion)."""
    parts = pd_by.str.split("+")
    if what == "nontarget_or_new":
        return np.asarray(parts.apply(lambda p: "nontarget" in p or "new" in p), dtype=bool)
    return np.asarray(parts.apply(lambda p: what in p), dtype=bool)


def pd_pattern_checks(rows: pd.DataFrame) -> list[TrialCheck]:
    """Per arm, the share of RECIST progressions (``pd_by`` not empty) involving each
    determinant of :data:`PD_PATTERN`, with its Wilson interval."""
    out = []
    for arm, g in rows.groupby("arm", sort=False):
        pd_by = g["pd_by"].fillna("").astype(str)
        pd_by = pd_by[pd_by != ""]
        if pd_by.empty:
            continue
        for what, (ref, label) in PD_PATTERN.items():
            k = int(involves(pd_by, what).sum())
            share, low, high = wilson(k, len(pd_by))
            out.append(
                TrialCheck(
                    f"progressions in which {label}",
                    str(arm),
                    "%",
                    100 * share,
                    100 * low,
                    100 * high,
                    100 * ref,
                    PD_PATTERN_SOURCE,
                    len(pd_by),
                )
            )
    return out


def post_progression_check(trial: TrialSpec, rows: pd.DataFrame) -> TrialCheck | None:
    """The control arm's Kaplan-Meier median survival after RECIST progression (months; death
    censored at the follow-up) against the cited median of the trial file's ``survival``."""
    pp = trial.post_progression
    arm = trial.control.name
    g = rows[(rows["arm"] == arm) & (rows["pd_by"].fillna("").astype(str) != "")]
    if pp is None or g.empty:
        return None
    after = (g["os_days"] - g["pfs_days"]).clip(lower=0.0).to_numpy(dtype=float)
    km = kaplan_meier(after / DAYS_PER_MONTH, g["os_event"].to_numpy(dtype=bool))
    return TrialCheck(
        "median survival after progression",
        arm,
        "months",
        km.median,
        km.median_lower if math.isfinite(km.median_lower) else math.nan,
        km.median_upper,
        pp.median_months,
        (
            f"the cited median the death hazard was set from: {pp.source.rstrip('. ')}"
            + (
                f"; the control arm's rate is calibrated on it ({pp.rate_factor_source}), so this "
                "row shows fit"
                if pp.rate_factor != 1.0
                else ""
            )
        ),
        km.n,
    )


def trial_checks(trial: TrialSpec, rows: pd.DataFrame) -> list[TrialCheck]:
    """Every check of a trial run's rows (ITT); none for rows without RECIST progression
    records (``pd_by``)."""
    if "pd_by" not in rows:
        return []
    ok = rows[rows["status"] == "success"] if "status" in rows else rows
    pps = post_progression_check(trial, ok)
    return pd_pattern_checks(ok) + ([pps] if pps is not None else [])


def checks_text(checks: list[TrialCheck]) -> list[str]:
    """Lines for the terminal: each check's simulated value (CI), its reference and verdict."""
    lines = []
    for c in checks:
        verdict = "holds" if c.holds else "MISS"
        lines.append(
            f"  {c.arm:<8} {c.check}: {c.simulated:.1f} ({c.sim_low:.1f}-{c.sim_high:.1f}) vs "
            f"{c.reference:.1f} {c.unit} [{verdict}; n {c.n}]"
        )
    for src in dict.fromkeys(c.source for c in checks):
        lines.append(f"  source: {src}")
    return lines
