"""Clinical endpoints from a simulated time course: RECIST 1.1 response, PFS and OS.

RECIST 1.1 (Eisenhauer et al., Eur J Cancer 2009;45:228) on the simulated longest diameter of
the (single, spherical) lesion, assessed at scheduled scans: CR = the lesion disappears (diameter
below ``cr_diameter_mm``, a detection limit we state), PR = at least 30 % decrease from baseline,
PD = at least 20 % increase over the nadir (smallest value so far, baseline included) *and* at
least 5 mm absolute increase, SD otherwise. Best overall response is the best response recorded
before progression (unconfirmed; SD needs ``min_sd_days``). PFS is the first scan showing PD (or
death); OS is the time the tumour burden first reaches a lethal burden (stated in
:class:`EndpointRules`), censored at the end of follow-up. Trial patients
(:func:`trial_endpoints`: target lesions, a scan calendar, confirmation) die by a
:class:`DeathHazard` instead, which rises with their current sum of target diameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from numbers import Real
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from senotwin._errors import ValidationError, check_type
from senotwin.model.readouts import readouts_for
from senotwin.therapy.toxicity import CHAINS, nadirs_on_treatment

if TYPE_CHECKING:
    from senotwin.model.spec import ModelSpec

Response = Literal["CR", "PR", "SD", "PD", "NE"]
_RANK: dict[str, int] = {"CR": 0, "PR": 1, "SD": 2, "PD": 3, "NE": 4}


#: each numeric endpoint rule: (name, what is allowed, test of a finite value)
_RULE_LIMITS: tuple[tuple[str, str, Callable[[float], bool]], ...] = (
    ("scan_every_days", "a positive number", lambda v: v > 0),
    ("cr_diameter_mm", "a positive number", lambda v: v > 0),
    ("pr_fraction", "a fraction in (0, 1)", lambda v: 0 < v < 1),
    ("pd_fraction", "a positive number", lambda v: v > 0),
    ("pd_min_mm", "a number >= 0", lambda v: v >= 0),
    ("min_sd_days", "a number >= 0", lambda v: v >= 0),
    ("lethal_burden", "a positive number or None", lambda v: v > 0),
)


@dataclass(frozen=True)
class EndpointRules:
    """Thresholds of the endpoints, with why each value.

    * ``scan_every_days``: tumour assessment every 6 weeks (common RECIST trial schedule).
    * ``cr_diameter_mm``: 1 mm — below imaging detection (~5e5 cells); assumed, because a
      simulated lesion never reaches exactly zero.
    * ``lethal_burden`` (1e9 cells): None, the default, takes the simulated model's own
      (:mod:`senotwin.model.readouts`: ~1e12 cells for the physical-units model; 3e10, an
      assumed stand-in below its capacity, for the legacy model), as ``cohort run`` does; a
      fixed 30 used to be the default for every model, so Python cohorts of the default model
      died at 3e10 cells where the CLI's lived (audit s42).
    """

    scan_every_days: float = 42.0
    cr_diameter_mm: float = 1.0
    pr_fraction: float = 0.30
    pd_fraction: float = 0.20
    pd_min_mm: float = 5.0
    min_sd_days: float = 42.0
    lethal_burden: float | None = None
    diameter: str = "tumour_diameter_mm"
    burden: str = "tumour_burden"

    def __post_init__(self) -> None:
        # every rule is checked: pr_fraction=1.5 or a value given as text ran and read wrong
        for name, allowed, ok in _RULE_LIMITS:
            v = getattr(self, name)
            if name == "lethal_burden" and v is None:
                continue
            check_type(v, Real, name=f"endpoint rule {name}", what=allowed)
            if not (math.isfinite(v) and ok(v)):
                raise ValidationError(f"endpoint rule {name} must be {allowed}, got {v}")
        for name in ("diameter", "burden"):
            check_type(getattr(self, name), str, name=f"endpoint rule {name}", what="a column name")

    def for_columns(self, columns: Collection[str]) -> EndpointRules:
        """These rules with the lethal burden of the model whose run has ``columns`` where none
        was given (its read-outs'); unchanged when one was."""
        if self.lethal_burden is not None:
            return self
        return replace(self, lethal_burden=readouts_for(columns).lethal_burden)


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
    if rules.lethal_burden is None:
        raise ValidationError(
            "the endpoint rules carry no lethal burden: take the model's with "
            "rules.for_columns(run_table.columns), or give lethal_burden (1e9 cells)"
        )
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

    def __post_init__(self) -> None:
        check_type(self.rules, EndpointRules, name="rules", what="EndpointRules(...)")

    def __call__(self, result: Any) -> dict[str, Any]:
        return self.from_columns(result.table)

    def from_columns(self, table: Mapping[str, Any]) -> dict[str, Any]:
        """The record from a run's columns (a run table, or column name -> array: what the
        cohort runner's prepared fast path hands over, with no table per run)."""
        if self.rules.diameter in table and self.rules.burden in table:
            diameter = np.asarray(table[self.rules.diameter], dtype=float)
            burden = np.asarray(table[self.rules.burden], dtype=float)
        else:  # a model without the named columns: its generic read-outs (1e9 cells, mm)
            read = readouts_for(table.keys())
            diameter, burden = read.diameter(table), read.burden(table)
        rules = self.rules.for_columns(table.keys())
        ep = patient_endpoints(np.asarray(table["time"], dtype=float), diameter, burden, rules)
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

    def for_model(self, spec: ModelSpec) -> EndpointReducer:
        """This reducer with the lethal burden of ``spec`` where none was given, so that the
        cohort's manifest records the number its patients died at."""
        return replace(
            self, rules=self.rules.for_columns([*spec.species_ids, *spec.observable_ids])
        )

    def describe(self) -> str:
        return f"endpoints {self.rules!r}"


# ---- RECIST 1.1 as trials apply it (multi-lesion disease, new lesions, confirmation) -------------
#: exponent of the metastasis size distribution N(size >= y) ~ y^-alpha. With exponential growth
#: the colony-size distribution is a straight line on log-log axes whose slope is the ratio of the
#: growth rates of primary and metastases (quantitative-sources metastasis_colony_size_law); with
#: seeding proportional to the number of cancer cells and metastases growing like the disease the
#: exponent is 1 (derived; the seeding proportionality is assumed).
NEW_LESION_ALPHA = 1.0

#: within-patient spread of lesion net growth rates: the SD of a lesion's deviation from the
#: patient's typical lesion, as a multiple of the patient's untreated net growth rate.
#: Calibrated (session 37, scripts/lesion_spread_fit.py) on what 341 RECIST progressions of
#: consecutive trial patients involved (target growth 53 %, non-target growth or new lesions
#: 84 %, new lesions 62 %; quantitative-sources recist_progression_new_lesions), every arm of the
#: library trials simulated (four cohort draws, pooled) and re-read over a grid: 0.6
#: (pseudo-likelihood; 0.55-0.65 within 1.92; a one-draw coarse grid gave 0.5 first). It was
#: 1.07, derived from 408 untreated pulmonary metastases in 21 patients
#: (lesion_growth_spread_within_patient), which made target growth part of only 27-37 % of the
#: simulated progressions.
LESION_GROWTH_SPREAD = 0.6
#: Gauss-Hermite nodes of the expectation over occult lesions' growth deviations
_NEW_LESION_NODES = 48


#: a target lesion smaller than this (mm) is recorded as gone (0 mm) by the trial read;
#: **calibrated** (session 36) on the liu2019 cohort's CR among responders (13 of 31): a profile
#: at the recorded immune optimum over 2-5 mm, argmin 3.5 mm (95 %: 2.5-5 mm, open at the top of
#: the sourced range), held-out cohorts' nllh 11.20 -> 6.05 (docs/calibration.md "Session 36").
#: The range 2-5 mm is sourced: RECIST 1.1 records a target too small to measure at 5 mm and one
#: the reader judges gone at 0 mm, on slices <= 5 mm; CT sees solid 3 mm lung nodules 60-80 % of
#: the time and liver metastases of 1-5 mm 8 % (quantitative-sources ct_detection_*)
DETECT_MM = 3.5


@dataclass(frozen=True)
class TrialRules:
    """How a trial assesses tumours (RECIST 1.1, Eisenhauer et al. Eur J Cancer 2009;45:228).

    ``schedule``: (until_day, every_days) segments of the scan calendar, e.g. q6w to week 18,
    q9w to week 45, then q12w. ``confirm_days``: a CR/PR counts only when a later scan at least
    this long after it shows the same or a better response (4 weeks, RECIST 1.1 for trials with
    response as an endpoint). ``min_sd_days``: SD must be seen at least this long after
    randomisation. ``detect_mm``: a target lesion below this is recorded as gone (0 mm)
    (:data:`DETECT_MM`, calibrated); ``too_small_mm``: a lesion still seen but smaller is
    recorded at this default (RECIST 1.1 5 mm rule). ``follow_days``: OS and PFS are censored
    here (data cut-off).
    ``lesion_growth_spread``: lesions of one patient grow at different net rates, each deviating
    from the model lesion (the patient's typical lesion) by ``spread`` x the patient's untreated
    net growth rate x a standard normal draw (:data:`LESION_GROWTH_SPREAD`; 0 = every lesion
    follows the model lesion, the law the liu2019 calibration was made on).
    ``nontarget_progression``: non-target lesions progress unequivocally when their volume rises
    as much as a 20 % diameter increase means, 1.2^3 = +73 % over its nadir (RECIST 1.1 as the
    RECIST working group reads it for non-target disease).
    ``read_cv``: measurement error of a target lesion's diameter read (coefficient of variation,
    lognormal, independent per lesion and scan, the baseline read included; ``read_z`` in the
    baseline holds the standard normals); 0 = exact reads, the default (the session-25
    prototype of a smoothed liu2019 objective reads with 0.05, derived from same-day repeat CT:
    quantitative-sources ct_diameter_repeat_read).
    ``median_follow_days``: the trial's published median follow-up at its data cut-off. A second
    read of the best overall response uses only the scans up to that day
    (``best_response_at_median_follow`` and its unconfirmed twin). A trial's ORR and CR count the
    responses confirmed by its cut-off, and a patient was followed for about this long, while
    the simulation follows everyone for ``follow_days``. inf = no second read: it equals the
    best response.
    """

    schedule: tuple[tuple[float, float], ...] = ((126.0, 42.0), (315.0, 63.0), (1.0e9, 84.0))
    confirm_days: float = 28.0
    min_sd_days: float = 42.0
    pr_fraction: float = 0.30
    pd_fraction: float = 0.20
    pd_min_mm: float = 5.0
    detect_mm: float = DETECT_MM
    too_small_mm: float = 5.0
    follow_days: float = 730.0
    new_lesion_alpha: float = NEW_LESION_ALPHA
    lesion_growth_spread: float = 0.0
    nontarget_progression: bool = False
    read_cv: float = 0.0
    median_follow_days: float = math.inf

    def __post_init__(self) -> None:
        if not self.schedule:
            raise ValidationError("trial rules: the scan schedule needs at least one segment")
        last = 0.0
        for until, every in self.schedule:
            if not (math.isfinite(every) and every > 0) or not until > last:
                raise ValidationError(
                    f"trial rules: schedule segment (until {until}, every {every}) must have "
                    "every > 0 and increasing 'until' days"
                )
            last = until
        for name in (
            "confirm_days",
            "min_sd_days",
            "follow_days",
            "lesion_growth_spread",
            "read_cv",
            "detect_mm",
        ):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise ValidationError(f"trial rule {name} must be a number >= 0, got {v}")
        if not self.median_follow_days > 0:  # NaN fails too
            raise ValidationError(
                f"trial rule median_follow_days must be a number > 0 (inf: no second read), "
                f"got {self.median_follow_days}"
            )
        if not self.detect_mm <= self.too_small_mm:
            raise ValidationError(
                f"trial rule detect_mm {self.detect_mm} must not exceed too_small_mm "
                f"{self.too_small_mm} (a lesion seen but too small to measure is recorded at it)"
            )


def trial_scan_days(rules: TrialRules, t_end: float) -> np.ndarray:
    """Scheduled assessment days after randomisation up to ``t_end`` (segments in order)."""
    days: list[float] = []
    t = 0.0
    for until, every in rules.schedule:
        while True:
            nxt = t + every
            if nxt > until + 1e-9 or nxt > t_end + 1e-9:
                break
            days.append(nxt)
            t = nxt
        if t >= t_end:
            break
    return np.asarray(days, dtype=float)


@dataclass(frozen=True)
class DeathHazard:
    """Death hazard of a virtual patient (per day): before and after RECIST progression, scaled
    by the patient's current disease burden.

    ``pre_per_day`` before progression (and again once no cancer cell is left),
    ``post_per_day`` from progression on; ECOG 1 multiplies both by ``ecog_hr``; the hazard is
    multiplied by exp(``burden_per_mm`` x (B(t) - ``burden_ref_mm``)), B(t) the sum of the
    patient's target-lesion diameters (true sizes, mm) at t, so the two rates are those of a
    patient at the reference burden (``burden_per_mm`` 0: no burden term). ``source`` says where
    the numbers come from (:mod:`senotwin.trial.clinical`).
    """

    pre_per_day: float
    post_per_day: float
    ecog_hr: float = 1.0
    source: str = ""
    burden_per_mm: float = 0.0
    burden_ref_mm: float = 0.0

    def __post_init__(self) -> None:
        for name in ("pre_per_day", "post_per_day", "ecog_hr", "burden_per_mm", "burden_ref_mm"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise ValidationError(f"death hazard {name} must be a number >= 0, got {v}")

    def death_day(
        self,
        progression_day: float,
        ecog: float,
        u: float,
        cure_day: float = math.inf,
        burden: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> float:
        """Day of death for uniform draw ``u`` (inverse of the cumulative hazard).
        ``cure_day``: from then on no cancer cell is left, and the hazard is the one before
        progression again (the post-progression hazard is that of growing disease).
        ``burden``: (days, sum of target diameters in mm) of the patient's course, needed when
        ``burden_per_mm`` > 0 (linear between the days, its last value after them)."""
        if self.burden_per_mm > 0.0:
            if burden is None:
                raise ValidationError(
                    f"death hazard with burden_per_mm {self.burden_per_mm} needs the patient's "
                    "burden course (days, sum of target diameters in mm)"
                )
            return self._death_day_burden(progression_day, ecog, u, cure_day, *burden)
        scale = self.ecog_hr**ecog
        target = -math.log(max(u, 1e-300))
        pre, post = self.pre_per_day * scale, self.post_per_day * scale
        cum_at_pd = pre * progression_day if math.isfinite(progression_day) else math.inf
        if target <= cum_at_pd:
            return target / pre if pre > 0 else math.inf
        after_pd = max(cure_day - progression_day, 0.0)
        cum_at_cure = cum_at_pd + (post * after_pd if post > 0 else 0.0)
        if target <= cum_at_cure:
            return progression_day + (target - cum_at_pd) / post
        if not math.isfinite(cure_day) or pre <= 0:
            return math.inf
        return max(cure_day, progression_day) + (target - cum_at_cure) / pre

    def _death_day_burden(
        self,
        progression_day: float,
        ecog: float,
        u: float,
        cure_day: float,
        days: np.ndarray,
        burden_mm: np.ndarray,
    ) -> float:
        """:meth:`death_day` with the burden term: the cumulative hazard by the trapezoid rule
        on the course's days (with progression and extinction added as break points), then
        constant at its last value."""
        t = np.asarray(days, dtype=float)
        b = np.asarray(burden_mm, dtype=float)
        if t.ndim != 1 or t.size < 2 or b.shape != t.shape or not np.all(np.isfinite(b)):
            raise ValidationError("the death hazard's burden course needs matching 1-D arrays")
        breaks = [x for x in (progression_day, cure_day) if math.isfinite(x) and t[0] < x < t[-1]]
        grid = np.union1d(t, breaks) if breaks else t
        mult = np.exp(
            np.minimum(self.burden_per_mm * (np.interp(grid, t, b) - self.burden_ref_mm), 50.0)
        )
        scale = self.ecog_hr**ecog

        def base(x: np.ndarray) -> np.ndarray:
            post = (x >= progression_day) & (x < cure_day)
            return scale * np.where(post, self.post_per_day, self.pre_per_day)

        mid = 0.5 * (grid[1:] + grid[:-1])
        rate_l = base(mid) * mult[:-1]
        rate_r = base(mid) * mult[1:]
        cum = np.concatenate(([0.0], np.cumsum(0.5 * (rate_l + rate_r) * np.diff(grid))))
        target = -math.log(max(u, 1e-300))
        k = int(np.searchsorted(cum, target))
        if k < grid.size:
            # inside [grid[k-1], grid[k]]: the hazard is linear there, so solve the quadratic
            if k == 0:
                return float(grid[0])
            h0, h1, dt = rate_l[k - 1], rate_r[k - 1], grid[k] - grid[k - 1]
            need = target - cum[k - 1]
            slope = (h1 - h0) / dt
            if abs(slope) * dt < 1e-9 * max(h0, 1e-300):
                return float(grid[k - 1] + need / h0)
            x = (-h0 + math.sqrt(max(h0 * h0 + 2.0 * slope * need, 0.0))) / slope
            return float(grid[k - 1] + min(max(x, 0.0), dt))
        last = float(base(np.array([grid[-1]]))[0] * mult[-1])
        return float(grid[-1] + (target - cum[-1]) / last) if last > 0 else math.inf


def new_lesion_day(
    times: np.ndarray,
    volume_ratio: np.ndarray,
    n_lesions: float,
    u: float,
    alpha: float,
    spread_per_day: float = 0.0,
    until: float = math.inf,
) -> float:
    """Day the first new lesion becomes visible (NaN if none within the run).

    Seeding model: metastases seeded by an exponentially growing disease have sizes with
    N(size >= y) ~ y^-alpha (:data:`NEW_LESION_ALPHA`); the patient's visible lesions at baseline
    fix the scale, so the occult lesions already present at entry are n_lesions x^-alpha (x =
    volume relative to the visibility threshold). Each grows like the disease (volume ratio R)
    times exp(delta t), delta ~ N(0, ``spread_per_day``) (lesion-level heterogeneity; 0: every
    lesion follows R). An occult lesion is visible once x R(s) exp(delta s) >= 1 at some s <= t,
    so the expected number visible by t is n_lesions E_delta[max(M_delta(t), 1)^alpha - 1],
    M_delta = the running maximum of R exp(delta s) (Gauss-Hermite over delta). A new lesion
    appears when that intensity passes -ln(u). Without spread, a disease that never regrows above
    its baseline seeds no visible lesion; with it, a shrinking disease can. ``until``: the
    disease's extinction day (no live cancer cell left): the deviations stop growing then.
    """
    t = np.asarray(times, dtype=float)
    logr = np.log(np.maximum(np.asarray(volume_ratio, dtype=float), 1e-300))
    if spread_per_day > 0.0:
        x, w = np.polynomial.hermite_e.hermegauss(_NEW_LESION_NODES)
        w = w / w.sum()
        grown = np.minimum(t, until)
        logm = np.maximum.accumulate(logr[None, :] + spread_per_day * x[:, None] * grown, axis=1)
        per_node = np.expm1(alpha * np.minimum(np.maximum(logm, 0.0), 700.0))
        cum = n_lesions * (w @ per_node)
    else:
        logm = np.maximum.accumulate(logr)
        cum = n_lesions * np.expm1(alpha * np.maximum(logm, 0.0))
    need = -math.log(max(u, 1e-300))
    hit = np.nonzero(cum > need)[0]
    if hit.size == 0:
        return math.nan
    k = int(hit[0])
    if k == 0:
        return float(t[0])
    c0, c1 = cum[k - 1], cum[k]
    return float(t[k - 1] + (need - c0) * (t[k] - t[k - 1]) / (c1 - c0))


def lesion_spread_per_day(baseline: Mapping[str, Any], rules: TrialRules) -> float:
    """SD (per day) of a lesion's net growth-rate deviation: ``rules.lesion_growth_spread`` x the
    patient's untreated net growth rate ln 2 / ``doubling_days`` (0 without spread)."""
    if rules.lesion_growth_spread <= 0.0:
        return 0.0
    doubling = float(baseline.get("doubling_days", math.nan))
    if not (math.isfinite(doubling) and doubling > 0):
        raise ValidationError(
            f"trial rules ask for lesion-level growth spread {rules.lesion_growth_spread}, but the "
            f"patient's untreated doubling_days is {doubling!r}; allowed: a positive number (trial "
            "populations with a plausibility filter record it)"
        )
    return rules.lesion_growth_spread * math.log(2.0) / doubling


def _recorded(lesions_mm: np.ndarray, rules: TrialRules) -> float:
    """Sum of target diameters as a reader records it (gone = 0, too small = the 5 mm default)."""
    rec = np.where(lesions_mm < rules.detect_mm, 0.0, np.maximum(lesions_mm, rules.too_small_mm))
    return float(rec.sum())


def trial_endpoints(
    times: np.ndarray,
    diameter: np.ndarray,
    baseline: dict[str, Any],
    rules: TrialRules,
    hazard: DeathHazard,
    live: np.ndarray | None = None,
) -> dict[str, Any]:
    """RECIST 1.1 endpoints of one trial patient from the model lesion's diameter course.

    ``baseline`` holds the patient's target lesion diameters (``lesions_mm``), the number of
    visible lesions (``n_lesions``: targets + non-targets), ECOG (0/1) and two uniform draws
    (``u_new``, ``u_death``; the same in every arm: paired arms). Every target lesion follows
    the model lesion's relative volume course (its diameter ratio), times its own growth
    deviation when ``rules.lesion_growth_spread`` > 0 (``lesion_z``, ``nontarget_z``: one
    standard-normal draw per lesion, the same in every arm; ``doubling_days``: the patient's
    untreated doubling time). Timepoint response: PD if the recorded sum rises >= 20 % and >= 5
    mm over its nadir, non-target disease progresses unequivocally (``nontarget_progression``)
    or a new lesion is visible (``pd_by`` says which); CR if
    every target is gone; PR if the sum is >= 30 % below baseline; SD otherwise. Best overall
    response needs a confirming scan >= ``confirm_days`` later (unconfirmed PR/CR count as SD);
    SD needs ``min_sd_days``; ``best_response_unconfirmed`` counts a CR/PR seen once (the ORR
    definition of trials that publish unconfirmed responses). PFS: first PD scan or death,
    censored at the last scan (data cut-off ``follow_days``). OS: death from ``hazard`` (its
    burden term on the true sum of the target lesions' diameters), censored at ``follow_days``.
    ``awaiting_confirmation``: a better CR/PR first seen too late to be confirmed before the
    cut-off (the waterfall's best change shows it; the best overall response does not).
    ``response_day``: a confirmed responder's first CR/PR scan (duration of response runs from
    it to ``pfs_days``; NaN for a non-responder); ``nadir_day``: the scan with the smallest
    recorded sum before any PD (0 when none fell below the baseline sum).
    ``live``: the lesion's live cancer cells (visible + HLA class I-negative) on ``times``; when
    given, a lesion that falls below one of them is extinct (:func:`extinct_course`): every
    lesion it stands for (targets, non-targets, occult seeds) stops growing then, and a patient
    who progressed before that dies at the pre-progression rate from that day on.
    """
    t = np.asarray(times, dtype=float)
    d = np.asarray(diameter, dtype=float)
    if t.ndim != 1 or t.size < 2 or d.shape != t.shape or not d[0] > 0:
        raise ValidationError("trial endpoints need matching 1-D time and positive diameter arrays")
    gone = math.inf
    if live is not None:
        d, gone = extinct_course(t, d, live)
    lesions = np.asarray(baseline["lesions_mm"], dtype=float)
    ratio = d / d[0]
    t_run = float(t[-1])
    spread = lesion_spread_per_day(baseline, rules)
    z_target = _lesion_draws(baseline, "lesion_z", lesions.size, spread > 0.0)
    n_nontarget = int(baseline.get("n_nontarget", 0)) if rules.nontarget_progression else 0
    z_nontarget = _lesion_draws(baseline, "nontarget_z", n_nontarget, spread > 0.0)
    new_day = new_lesion_day(
        t,
        ratio**3,
        float(baseline["n_lesions"]),
        float(baseline["u_new"]),
        rules.new_lesion_alpha,
        spread,
        until=gone,
    )
    horizon = min(t_run, rules.follow_days)
    scans = trial_scan_days(rules, horizon)
    f_scan = np.interp(scans, t, ratio)
    reads = _read_errors(baseline, rules, scans.size, lesions.size)
    base_sum = _recorded(lesions * reads[0], rules)
    nadir = base_sum
    nt_nadir = 1.0  # non-target volume relative to baseline (equal weights: sizes not recorded)
    nt_pd = (1.0 + rules.pd_fraction) ** 3
    responses: list[str] = []
    sums: list[float] = []
    pd_day = math.nan
    pd_by = ""
    for k, (ts, f) in enumerate(zip(scans, f_scan, strict=True)):
        grown = min(float(ts), gone)  # an extinct disease's lesions stop deviating too
        s = _recorded(lesions * f * np.exp(spread * z_target * grown / 3.0) * reads[k + 1], rules)
        nt = float(np.mean(f**3 * np.exp(spread * z_nontarget * grown))) if n_nontarget else 1.0
        why = [
            name
            for name, hit in (
                ("target", s - nadir >= rules.pd_min_mm and s >= (1 + rules.pd_fraction) * nadir),
                ("nontarget", n_nontarget > 0 and nt >= nt_pd * nt_nadir),
                ("new", not math.isnan(new_day) and new_day <= ts),
            )
            if hit
        ]
        if why:
            pd_day, pd_by = float(ts), "+".join(why)
            responses.append("PD")
            sums.append(s)
            break
        nt_nadir = min(nt_nadir, nt)
        if s == 0.0:
            resp = "CR"
        elif s <= (1 - rules.pr_fraction) * base_sum:
            resp = "PR"
        else:
            resp = "SD"
        responses.append(resp)
        sums.append(s)
        nadir = min(nadir, s)
    ecog = float(baseline.get("ecog", 0.0))
    burden = None
    if hazard.burden_per_mm > 0.0:  # true target sizes on the run's days (no read error)
        grown = np.minimum(t, gone)[:, None]
        burden = (
            t,
            (lesions[None, :] * ratio[:, None] * np.exp(spread * z_target * grown / 3.0)).sum(1),
        )
    death = hazard.death_day(
        pd_day if not math.isnan(pd_day) else math.inf,
        ecog,
        float(baseline["u_death"]),
        cure_day=gone,
        burden=burden,
    )
    # scans after death do not happen
    keep = [i for i, ts in enumerate(scans[: len(responses)]) if ts < death]
    responses = [responses[i] for i in keep]
    sums = [sums[i] for i in keep]
    seen = scans[: len(responses)]
    best = _best_confirmed(seen, responses, rules)
    best_unconfirmed = _best_confirmed(seen, responses, rules, confirm=False)
    k = int(np.searchsorted(seen, rules.median_follow_days, side="right"))  # scans by then
    best_at = _best_confirmed(seen[:k], responses[:k], rules)
    best_unconfirmed_at = _best_confirmed(seen[:k], responses[:k], rules, confirm=False)
    pending = _awaiting_confirmation(seen, responses, rules, best) if death > horizon else ""
    changes = [100.0 * (s - base_sum) / base_sum for s, r in zip(sums, responses, strict=True)]
    pfs_event = False
    if responses and responses[-1] == "PD":
        pfs, pfs_event = float(seen[-1]), True
    elif death <= horizon:
        pfs, pfs_event = death, True
    else:
        pfs = float(seen[-1]) if len(seen) else 0.0
    os_event = death <= rules.follow_days
    # the response's start (duration of response runs from it) and the scan of the smallest sum
    # before any PD (day 0: no scan fell below the baseline sum)
    response_day = next(
        (float(ts) for ts, r in zip(seen, responses, strict=True) if r in ("CR", "PR")), math.nan
    )
    pre = [(s, float(ts)) for ts, s, r in zip(seen, sums, responses, strict=True) if r != "PD"]
    nadir_day = min(pre)[1] if pre and min(pre)[0] < base_sum else 0.0
    return {
        "best_response": best,
        "best_response_unconfirmed": best_unconfirmed,
        "best_response_at_median_follow": best_at,
        "best_response_unconfirmed_at_median_follow": best_unconfirmed_at,
        "best_change_pct": float(min(changes)) if changes else math.nan,
        "pfs_days": pfs,
        "pfs_event": pfs_event,
        "os_days": float(death) if os_event else float(rules.follow_days),
        "os_event": bool(os_event),
        "baseline_mm": base_sum,
        "new_lesion_day": new_day,
        "pd_by": pd_by if pfs_event and responses and responses[-1] == "PD" else "",
        "scans": len(responses),
        "awaiting_confirmation": pending,
        "extinction_day": gone,
        "response_day": response_day if best in ("CR", "PR") else math.nan,
        "nadir_day": nadir_day,
    }


def extinction_day(times: np.ndarray, live: np.ndarray) -> float:
    """First day the live cancer cells (visible + HLA class I-negative) fall below one cell
    (inf: never). The ODE carries fractions of a cell and regrows from 1e-10 of one; a lesion
    with no whole cancer cell left is extinct."""
    below = np.nonzero(np.asarray(live) < 1.0)[0]
    return float(times[below[0]]) if below.size else math.inf


def extinct_course(
    times: np.ndarray, diameter: np.ndarray, live: np.ndarray
) -> tuple[np.ndarray, float]:
    """The lesion's diameter course under the extinction rule, and its extinction day (inf:
    never): from the first day below one live cancer cell the diameter keeps its running
    minimum (no regrowth from the ODE's sub-cellular remnant; what is left shrinks on)."""
    t = np.asarray(times, dtype=float)
    d = np.array(diameter, dtype=float)
    if np.shape(live) != t.shape:
        raise ValidationError("the extinction rule needs live cancer cells on the run's times")
    gone = extinction_day(t, live)
    if math.isfinite(gone):
        k = int(np.searchsorted(t, gone))
        d[k:] = np.minimum.accumulate(d[k:])
    return d, gone


def _lesion_draws(baseline: Mapping[str, Any], key: str, n: int, needed: bool) -> np.ndarray:
    """The patient's standard-normal draws of ``n`` lesions' growth deviations (zeros when no
    spread is asked for); a clear error when the spread needs draws the baseline lacks."""
    if not needed or n == 0:
        return np.zeros(n)
    z = np.asarray(baseline.get(key, ()), dtype=float)
    if z.shape != (n,) or not np.all(np.isfinite(z)):
        raise ValidationError(
            f"trial baseline {key} = {baseline.get(key)!r}: lesion-level growth spread needs "
            f"{n} finite standard-normal draws (one per lesion; draw_baseline records them)"
        )
    return z


def _read_errors(
    baseline: Mapping[str, Any], rules: TrialRules, scans: int, lesions: int
) -> np.ndarray:
    """Multiplicative read errors of each target lesion at the baseline and every scan
    ((scans + 1) x lesions; ones when ``rules.read_cv`` is 0), from the baseline's ``read_z``."""
    if rules.read_cv <= 0.0:
        return np.ones((scans + 1, lesions))
    z = np.asarray(baseline.get("read_z", ()), dtype=float)
    if z.ndim != 2 or z.shape[0] < scans + 1 or z.shape[1] < lesions or not np.all(np.isfinite(z)):
        raise ValidationError(
            f"trial baseline read_z of shape {z.shape}: read_cv {rules.read_cv} needs finite "
            f"standard normals of shape at least ({scans + 1}, {lesions}) (baseline and every "
            "scan x target lesions)"
        )
    return np.asarray(np.exp(rules.read_cv * z[: scans + 1, :lesions]))


def _awaiting_confirmation(
    scans: np.ndarray, responses: list[str], rules: TrialRules, best: Response
) -> str:
    """The best CR/PR seen too late to be confirmed before the data cut-off ('' if none).

    A response first seen at the last scan(s) before the cut-off has no scan >= confirm_days
    after it: RECIST does not count it (the best overall response stays the confirmed one), but
    the waterfall's best change shows it (e.g. -100 % labelled PR).
    """
    if not responses or responses[-1] == "PD":
        return ""
    last = float(scans[-1])
    for resp in ("CR", "PR"):
        if _RANK[resp] >= _RANK[best]:
            break
        for ts, r in zip(scans, responses, strict=True):
            if r == resp and last - float(ts) < rules.confirm_days:
                return resp
    return ""


def _best_confirmed(
    scans: np.ndarray, responses: list[str], rules: TrialRules, *, confirm: bool = True
) -> Response:
    """Best overall response with confirmation of CR/PR and the SD minimum duration.

    ``confirm=False``: the unconfirmed best response (a CR/PR seen at one scan counts), the
    definition some trials publish their ORR under; SD still needs ``min_sd_days``.
    """
    best: Response = "NE"
    for i, (ts, resp) in enumerate(zip(scans, responses, strict=True)):
        cand: Response
        if resp in ("CR", "PR") and not confirm:
            cand = resp  # type: ignore[assignment]
        elif resp in ("CR", "PR"):
            later = [
                r
                for tj, r in zip(scans[i + 1 :], responses[i + 1 :], strict=True)
                if tj - ts >= rules.confirm_days
            ]
            ok = bool(later) and _RANK[later[0]] <= _RANK[resp if resp == "CR" else "PR"]
            demoted = resp == "CR" and bool(later) and later[0] == "PR"  # CR then PR: PR at best
            cand = "PR" if demoted else (resp if ok else "SD")  # type: ignore[assignment]
            if cand == "SD" and ts < rules.min_sd_days:
                cand = "NE"
        elif resp == "SD":
            cand = "SD" if ts >= rules.min_sd_days else "NE"
        else:
            cand = "PD"
        if _RANK[cand] < _RANK[best]:
            best = cand
    return best


def live_cancer_cells(table: Any) -> np.ndarray | None:
    """Live cancer cells (visible ``C`` + HLA class I-negative ``Ci``) of a run table, for the
    extinction rule; None for a model without them (the legacy model)."""
    if "C" not in table or "Ci" not in table:
        return None
    return np.asarray(table["C"], dtype=float) + np.asarray(table["Ci"], dtype=float)


@dataclass(frozen=True)
class TrialEndpointReducer:
    """Cohort reducer for trial patients: RECIST 1.1 endpoints from the model lesion's course
    and the patient's baseline (target lesions, lesion count, ECOG, paired random draws).

    ``needs_patient``: the cohort runner passes the patient's baseline record as the second
    argument.
    """

    rules: TrialRules = TrialRules()
    hazard: DeathHazard = DeathHazard(0.0, 0.0)
    needs_patient: bool = True

    def __call__(self, result: Any, baseline: dict[str, Any] | None = None) -> dict[str, Any]:
        if baseline is None:
            raise ValidationError("trial endpoints need the patient's baseline (trial population)")
        table = result.table
        read = readouts_for(table)
        live = live_cancer_cells(table)
        rec = trial_endpoints(
            table["time"].to_numpy(), read.diameter(table), baseline, self.rules, self.hazard, live
        )
        # the blood counts while on treatment: trial arms dose until progression
        return rec | nadirs_on_treatment(table, rec["pfs_days"])

    def empty(self) -> dict[str, Any]:
        return {
            "best_response": "NE",
            "best_response_unconfirmed": "NE",
            "best_response_at_median_follow": "NE",
            "best_response_unconfirmed_at_median_follow": "NE",
            "best_change_pct": math.nan,
            "pfs_days": math.nan,
            "pfs_event": False,
            "os_days": math.nan,
            "os_event": False,
            "baseline_mm": math.nan,
            "new_lesion_day": math.nan,
            "pd_by": "",
            "scans": 0,
            "awaiting_confirmation": "",
            "extinction_day": math.nan,
            "response_day": math.nan,
            "nadir_day": math.nan,
            **{f"{c.prefix}_{what}": math.nan for c in CHAINS for what in ("nadir", "grade")},
        }

    def describe(self) -> str:
        return f"trial endpoints {self.rules!r} {self.hazard!r} extinct below one live cell"
