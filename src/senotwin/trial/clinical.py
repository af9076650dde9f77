"""Clinical parameters of virtual trial patients, calibrated on shipped patient data.

The death hazard (:class:`senotwin.analysis.endpoints.DeathHazard`) is fitted by maximum
likelihood on the Liu et al. (Nat Med 2019) anti-PD-1 melanoma cohort as shipped in the
project's reference data (``ici/liu_clinical.csv.gz``: PFS, OS and ECOG of 74 patients): a
piecewise-exponential model with one hazard before RECIST progression, one after, and an ECOG
hazard ratio. No trial's published outcomes (ORR, PFS, OS, HR) enter it. Its provenance is
``calibrated`` (data set + fit below); :data:`LIU2019_HAZARD` holds the fitted values so that the
package works without the data, and ``tests/trial/test_clinical.py`` refits them from the data.
A library trial's hazard (:func:`trial_hazard`) adds the cited post-progression survival of its
disease and a burden term, derived from a cited joint model (:data:`BURDEN_PER_MM`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import integrate, optimize

from senotwin._errors import ValidationError
from senotwin._hessian import observed_information
from senotwin.analysis.endpoints import DeathHazard
from senotwin.model.qsp import TISSUES
from senotwin.model.scenarios import get_scenario
from senotwin.sim.tissue_growth import carried_tissue
from senotwin.trial.spec import DAYS_PER_MONTH, TrialSpec

#: where the reference data lie relative to a checkout (tests skip when absent)
LIU_CLINICAL = Path("..") / "shared" / "data" / "ici" / "liu_clinical.csv.gz"


@dataclass(frozen=True)
class HazardFit:
    """Fitted death hazard with 95 % Wald intervals (log scale) and the data it used."""

    hazard: DeathHazard
    ci: dict[str, tuple[float, float]]
    n: int
    deaths_before: int
    deaths_after: int
    loglik: float


def _exposures(table: pd.DataFrame) -> pd.DataFrame:
    """Per patient: time at risk (days) and deaths before and after progression, ECOG 0/1."""
    need = {
        "survival_time_pfs",
        "event_occurred_pfs",
        "survival_time_os",
        "event_occurred_os",
        "Tx_Start_ECOG",
    }
    missing = need - set(table.columns)
    if missing:
        raise ValidationError(f"survival table lacks columns {sorted(missing)}")
    ecog = pd.to_numeric(table["Tx_Start_ECOG"], errors="coerce")
    t = table[ecog.notna()].copy()
    t["ecog"] = (ecog[ecog.notna()] >= 1).astype(float)
    pfs = t["survival_time_pfs"].astype(float) * DAYS_PER_MONTH
    os_ = t["survival_time_os"].astype(float) * DAYS_PER_MONTH
    pev = t["event_occurred_pfs"].astype(int) == 1
    oev = t["event_occurred_os"].astype(int) == 1
    death_first = pev & oev & (os_ - pfs < 0.05 * DAYS_PER_MONTH)  # PFS event was the death
    progressed = pev & ~death_first
    return pd.DataFrame(
        {
            "pre": np.where(death_first, os_, pfs),
            "d_pre": death_first.astype(float),
            "post": np.where(progressed, np.maximum(os_ - pfs, 0.0), 0.0),
            "d_post": (progressed & oev).astype(float),
            "ecog": t["ecog"].to_numpy(),
        }
    )


def fit_death_hazard(table: pd.DataFrame, *, source: str = "") -> HazardFit:
    """Maximum-likelihood piecewise-exponential death hazard (see the module docstring)."""
    x = _exposures(table)
    if len(x) < 10 or x["d_post"].sum() + x["d_pre"].sum() < 5:
        raise ValidationError("a death-hazard fit needs >= 10 patients and >= 5 deaths")

    def nll(theta: np.ndarray) -> float:
        lp, lq, b = theta
        s = np.exp(b * x["ecog"].to_numpy())
        pre, post = math.exp(lp), math.exp(lq)
        ll = (
            x["d_pre"] * np.log(pre * s)
            - pre * s * x["pre"]
            + x["d_post"] * np.log(post * s)
            - post * s * x["post"]
        )
        return -float(ll.sum())

    start = np.array([math.log(1e-4), math.log(3e-3), 0.0])
    res = optimize.minimize(
        nll, start, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000}
    )
    theta = res.x
    # Wald intervals from a finite-difference Hessian of the negative log-likelihood
    hess = observed_information(nll, theta)
    se = np.sqrt(np.clip(np.diag(np.linalg.inv(hess)), 0.0, None))
    names = ("pre_per_day", "post_per_day", "ecog_hr")
    ci = {
        n: (math.exp(v - 1.96 * s), math.exp(v + 1.96 * s))
        for n, v, s in zip(names, theta, se, strict=True)
    }
    hazard = DeathHazard(math.exp(theta[0]), math.exp(theta[1]), math.exp(theta[2]), source)
    return HazardFit(
        hazard, ci, len(x), int(x["d_pre"].sum()), int(x["d_post"].sum()), -float(res.fun)
    )


#: the fit on Liu 2019 (74 patients, 72 with ECOG 0-3) — refitted by tests/trial/test_clinical.py
LIU2019_SOURCE = (
    "calibrated: maximum-likelihood piecewise-exponential fit on Liu D et al. Nat Med "
    "2019;25:1916 (anti-PD-1, melanoma; PFS, OS, ECOG of the shipped cohort), "
    "senotwin.trial.clinical.fit_death_hazard"
)
LIU2019_HAZARD = DeathHazard(
    pre_per_day=7.292e-05, post_per_day=1.5606e-03, ecog_hr=1.699, source=LIU2019_SOURCE
)


def ecog0_rate(median_days: float, ecog1_share: float, ecog_hr: float) -> float:
    """The ECOG 0 exponential rate (/day) whose mixture with ECOG 1 patients (``ecog1_share`` of
    them at ``ecog_hr`` times the rate) has survival 0.5 at ``median_days``: a cited median of a
    whole population is the mixture's, so ECOG 1 patients must not be multiplied on top of it."""
    if not (median_days > 0 and 0.0 <= ecog1_share <= 1.0 and ecog_hr > 0):
        raise ValidationError(
            f"ecog0_rate needs median_days > 0, 0 <= ecog1_share <= 1 and ecog_hr > 0; got "
            f"{median_days!r}, {ecog1_share!r}, {ecog_hr!r}"
        )

    def surv(x: float) -> float:
        return (1 - ecog1_share) * math.exp(-x) + ecog1_share * math.exp(-ecog_hr * x) - 0.5

    # x = rate x median: ln 2 when everyone is ECOG 0; the root lies between ln 2 / max(1, hr)
    # and ln 2 / min(1, hr)
    lo, hi = math.log(2.0) / max(1.0, ecog_hr), math.log(2.0) / min(1.0, ecog_hr)
    x = lo if math.isclose(lo, hi) else optimize.brentq(surv, lo, hi, xtol=1e-12)
    return x / median_days


#: death-hazard rise per mm of the sum of target diameters: ln 1.05 / 10 mm (Kerioui 2022, lung
#: lesions; quantitative-sources death_hazard_tumour_burden)
BURDEN_PER_MM = math.log(1.05) / 10.0
BURDEN_SOURCE = (
    "derived: ln(1.05) / 10 mm = 0.00488 per mm of the sum of target diameters, from the joint "
    "model of Kerioui M et al. ESMO Open 2022;7:100346 (IMvigor211, 900 patients: a lung lesion "
    "10 mm larger raises the instantaneous risk of death 5 %; liver 12 %, lymph node 7 %); range "
    "0.0025 (Claret 2014 MONET1, NSCLC) to 0.0113 per mm; quantitative-sources "
    "death_hazard_tumour_burden"
)


def typical_burden_integral(
    days: float, ref_mm: float, doubling_days: float, burden_per_mm: float = BURDEN_PER_MM
) -> float:
    """Integral over ``days`` after progression of the burden multiplier of a typical patient:
    progressing at the reference burden, then growing with the tissue's untreated volume-doubling
    time (diameter x 2^(t / 3 doubling)). ``doubling_days`` inf: the burden stays put."""
    beta = burden_per_mm

    def mult(x: float) -> float:
        grown = 2.0 ** (x / (3.0 * doubling_days)) if math.isfinite(doubling_days) else 1.0
        return math.exp(min(beta * ref_mm * (grown - 1.0), 50.0))

    return float(integrate.quad(mult, 0.0, days, limit=200)[0])


def trial_hazard(trial: TrialSpec, burden_per_mm: float = BURDEN_PER_MM) -> DeathHazard:
    """The death hazard of a library trial's patients.

    The hazard rises with the patient's current sum of target diameters
    (:data:`BURDEN_PER_MM`), centred on the trial's median baseline sum (``sld_median_mm``; the
    population pool's median when the trial gives none): the rates below are those of a patient
    at that burden. After progression: the rate whose mixture over the trial's ECOG 0 / 1
    patients (``baseline.ecog1_share``, the trial's Table 1; even when not given) gives a typical
    patient the cited median post-progression survival of the trial's disease and line
    (``survival`` in the trial file; chemotherapy-era patients live shorter after progression
    than Liu 2019's anti-PD-1 melanoma cohort, 14.6 months). Assumed: the typical patient
    progresses at the reference burden (a typical first-line chemotherapy course bottoms out
    near 0.8 of its baseline and progresses 20 % above that) and then grows at the tissue's cited
    untreated doubling time; the cited median's population had the trial's ECOG mix. ECOG 1
    patients die at the Liu 2019 hazard ratio times the ECOG 0 rate (:func:`ecog0_rate`; until
    session 36 the cited median was taken as the ECOG 0 rate). Before progression and the ECOG
    hazard ratio: the Liu 2019 fit. A trial file without ``survival`` keeps the Liu 2019 hazard
    after progression too. Where the trial file has ``post_progression_rate_factor`` (session
    37, scripts/pps_rate_fit.py), the rate after progression is multiplied by it: calibrated so
    that the simulated control arm, not the typical patient, has the cited median.
    ``burden_per_mm``: another burden coefficient (a sensitivity analysis over its sourced
    range; the typical-course rate is solved again for it, the calibrated factor, fitted at
    :data:`BURDEN_PER_MM`, is kept).
    """
    if not (math.isfinite(burden_per_mm) and burden_per_mm >= 0):
        raise ValidationError(f"burden_per_mm must be a number >= 0, got {burden_per_mm!r}")
    bsrc = BURDEN_SOURCE if burden_per_mm == BURDEN_PER_MM else f"{burden_per_mm:g} per mm (set)"
    bd = trial.baseline
    ref = bd.sld_median_mm if bd.sld_median_mm is not None else bd.pool_sld_median_mm
    hr = LIU2019_HAZARD.ecog_hr
    pp = trial.post_progression
    if pp is None:
        return replace(
            LIU2019_HAZARD,
            burden_per_mm=burden_per_mm,
            burden_ref_mm=ref,
            source=f"{LIU2019_SOURCE}; burden: {bsrc}, reference {ref:g} mm",
        )
    share = 0.5 if bd.ecog1_share is None else float(bd.ecog1_share)
    median = pp.median_months * DAYS_PER_MONTH
    tissue = carried_tissue(get_scenario(trial.scenario))
    doubling = TISSUES[tissue].doubling_days if tissue is not None else math.inf
    x = ecog0_rate(median, share, hr) * median  # the mixture's cumulative hazard at the median
    return DeathHazard(
        pre_per_day=LIU2019_HAZARD.pre_per_day,
        post_per_day=pp.rate_factor
        * x
        / typical_burden_integral(median, ref, doubling, burden_per_mm),
        ecog_hr=hr,
        burden_per_mm=burden_per_mm,
        burden_ref_mm=ref,
        source=(
            f"after progression: median {pp.median_months:g} months for a typical patient over "
            f"the trial's ECOG mix ({share:g} ECOG 1 at hazard ratio {hr:g}; {pp.source}), "
            f"growing from {ref:g} mm with a {doubling:g}-day doubling time"
            + (
                f", times {pp.rate_factor:g} ({pp.rate_factor_source})"
                if pp.rate_factor != 1.0
                else ""
            )
            + "; burden: "
            f"{bsrc}, reference {ref:g} mm; before progression and ECOG: {LIU2019_SOURCE}"
        ),
    )
