"""Clinical endpoints from a simulated time course: RECIST 1.1 response, PFS and OS.

RECIST 1.1 (Eisenhauer et al., Eur J Cancer 2009;45:228) on the simulated longest diameter of
the (single, spherical) lesion, assessed at scheduled scans: CR = the lesion disappears (diameter
below ``cr_diameter_mm``, a detection limit we state), PR = at least 30 % decrease from baseline,
PD = at least 20 % increase over the nadir (smallest value so far, baseline included) *and* at
least 5 mm absolute increase, SD otherwise. Best overall response is the best response recorded
before progression (unconfirmed; SD needs ``min_sd_days``). PFS is the first scan showing PD (or
death); OS is the time the tumour burden first reaches a lethal burden (stated in
:class:`EndpointRules`), censored at the end of follow-up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from senotwin._errors import ValidationError
from senotwin.model.readouts import readouts_for

Response = Literal["CR", "PR", "SD", "PD", "NE"]
_RANK: dict[str, int] = {"CR": 0, "PR": 1, "SD": 2, "PD": 3, "NE": 4}


@dataclass(frozen=True)
class EndpointRules:
    """Thresholds of the endpoints, with why each value.

    * ``scan_every_days``: tumour assessment every 6 weeks (common RECIST trial schedule).
    * ``cr_diameter_mm``: 1 mm — below imaging detection (~5e5 cells); assumed, because a
      simulated lesion never reaches exactly zero.
    * ``lethal_burden``: 30 model units = 3e10 tumour cells (~30 cm^3). The model's single lesion
      stands for the whole disease and saturates near its capacity K_T = 30, so the classical
      ~1e12-cell lethal burden is out of reach; 3e10 is an assumed, stated stand-in.
    """

    scan_every_days: float = 42.0
    cr_diameter_mm: float = 1.0
    pr_fraction: float = 0.30
    pd_fraction: float = 0.20
    pd_min_mm: float = 5.0
    min_sd_days: float = 42.0
    lethal_burden: float = 30.0
    diameter: str = "tumour_diameter_mm"
    burden: str = "tumour_burden"

    def __post_init__(self) -> None:
        for name in ("scan_every_days", "lethal_burden"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise ValidationError(f"endpoint rule {name} must be a positive number, got {v}")


@dataclass(frozen=True)
class PatientEndpoints:
    """Endpoints of one patient in one arm."""

    best_response: Response
    best_change_pct: float  # best (most negative) % change of diameter from baseline before PD
    pfs_days: float
    pfs_event: bool
    os_days: float
    os_event: bool
    baseline_mm: float
    final_burden: float


def scan_times(t_end: float, rules: EndpointRules) -> np.ndarray:
    """Scheduled assessment times after baseline: every ``scan_every_days`` up to t_end."""
    return np.arange(rules.scan_every_days, t_end + 1e-9, rules.scan_every_days)


def _interp(times: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    return np.interp(at, times, values)


def death_time(times: np.ndarray, burden: np.ndarray, lethal: float) -> float:
    """First time the burden reaches ``lethal`` (linear interpolation), or NaN if it never does."""
    above = np.nonzero(burden >= lethal)[0]
    if above.size == 0:
        return math.nan
    k = int(above[0])
    if k == 0:
        return float(times[0])
    t0, t1, b0, b1 = times[k - 1], times[k], burden[k - 1], burden[k]
    return float(t0 + (lethal - b0) * (t1 - t0) / (b1 - b0))


def recist_response(
    baseline: float, nadir: float, current: float, rules: EndpointRules
) -> Response:
    """Response at one scan from the baseline, the nadir so far and the current diameter."""
    if current < rules.cr_diameter_mm:
        return "CR"
    if current - nadir >= rules.pd_min_mm and current >= (1 + rules.pd_fraction) * nadir:
        return "PD"
    if current <= (1 - rules.pr_fraction) * baseline:
        return "PR"
    return "SD"


def patient_endpoints(
    times: np.ndarray,
    diameter: np.ndarray,
    burden: np.ndarray,
    rules: EndpointRules,
) -> PatientEndpoints:
    """RECIST best response, PFS and OS of one simulated time course (times start at 0)."""
    t = np.asarray(times, dtype=float)
    d = np.asarray(diameter, dtype=float)
    b = np.asarray(burden, dtype=float)
    if t.ndim != 1 or t.size < 2 or d.shape != t.shape or b.shape != t.shape:
        raise ValidationError("endpoints need matching 1-D time, diameter and burden arrays")
    t_end = float(t[-1])
    death = death_time(t, b, rules.lethal_burden)
    follow = t_end if math.isnan(death) else death
    scans = scan_times(follow, rules)
    scans = scans[scans <= follow]
    d_scan = _interp(t, d, scans)
    baseline = float(d[0])
    nadir = baseline
    best: Response = "NE"
    best_change = math.nan
    pfs = math.nan
    for ts, cur in zip(scans, d_scan, strict=True):
        resp = recist_response(baseline, nadir, float(cur), rules)
        if resp == "PD":
            pfs = float(ts)
            if best == "NE":
                best = "PD"
            break
        if resp == "SD" and ts < rules.min_sd_days:
            resp = "NE"
        if _RANK[resp] < _RANK[best]:
            best = resp
        change = 100.0 * (float(cur) - baseline) / baseline
        best_change = change if math.isnan(best_change) else min(best_change, change)
        nadir = min(nadir, float(cur))
    os_event = not math.isnan(death)
    if math.isnan(pfs) and os_event:
        pfs = death
    pfs_event = not math.isnan(pfs)
    if math.isnan(best_change):
        best_change = 100.0 * (float(d_scan[0]) - baseline) / baseline if d_scan.size else math.nan
    return PatientEndpoints(
        best_response=best,
        best_change_pct=float(best_change),
        pfs_days=float(pfs) if pfs_event else t_end,
        pfs_event=pfs_event,
        os_days=float(death) if os_event else t_end,
        os_event=os_event,
        baseline_mm=baseline,
        final_burden=float(b[-1]),
    )


@dataclass(frozen=True)
class EndpointReducer:
    """Cohort reducer: one simulation -> its endpoints as a flat record (picklable).

    Reads the rules' diameter and burden columns where the run has them (legacy model), else
    the model's generic read-outs (:mod:`senotwin.model.readouts`: 1e9 cells, mm).
    """

    rules: EndpointRules = EndpointRules()

    def __call__(self, result: Any) -> dict[str, Any]:
        table = result.table
        if {self.rules.diameter, self.rules.burden} <= set(table.columns):
            diameter = table[self.rules.diameter].to_numpy()
            burden = table[self.rules.burden].to_numpy()
        else:  # a model without the named columns: its generic read-outs (1e9 cells, mm)
            read = readouts_for(table)
            diameter, burden = read.diameter(table), read.burden(table)
        ep = patient_endpoints(table["time"].to_numpy(), diameter, burden, self.rules)
        return {
            "best_response": ep.best_response,
            "best_change_pct": ep.best_change_pct,
            "pfs_days": ep.pfs_days,
            "pfs_event": ep.pfs_event,
            "os_days": ep.os_days,
            "os_event": ep.os_event,
            "baseline_mm": ep.baseline_mm,
            "final_burden": ep.final_burden,
        }

    def empty(self) -> dict[str, Any]:
        """The record of a patient-arm without a usable simulation."""
        return {
            "best_response": "NE",
            "best_change_pct": math.nan,
            "pfs_days": math.nan,
            "pfs_event": False,
            "os_days": math.nan,
            "os_event": False,
            "baseline_mm": math.nan,
            "final_burden": math.nan,
        }

    def describe(self) -> str:
        return f"endpoints {self.rules!r}"
