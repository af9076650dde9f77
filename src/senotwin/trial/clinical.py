"""Clinical parameters of virtual trial patients, calibrated on shipped patient data.

The death hazard (:class:`senotwin.analysis.endpoints.DeathHazard`) is fitted by maximum
likelihood on the Liu et al. (Nat Med 2019) anti-PD-1 melanoma cohort as shipped in the
project's reference data (``ici/liu_clinical.csv.gz``: PFS, OS and ECOG of 74 patients): a
piecewise-exponential model with one hazard before RECIST progression, one after, and an ECOG
hazard ratio. No trial's published outcomes (ORR, PFS, OS, HR) enter it. Its provenance is
``calibrated`` (data set + fit below); :data:`LIU2019_HAZARD` holds the fitted values so that the
package works without the data, and ``tests/trial/test_clinical.py`` refits them from the data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize

from senotwin._errors import ValidationError
from senotwin._hessian import observed_information
from senotwin.analysis.endpoints import DeathHazard
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


def trial_hazard(trial: TrialSpec) -> DeathHazard:
    """The death hazard of a library trial's patients.

    After progression: an exponential whose mixture over the trial's ECOG 0 / 1 patients
    (``baseline.ecog1_share``, the trial's Table 1; even when not given) has the cited median
    post-progression survival of the trial's disease and line (``survival`` in the trial file;
    chemotherapy-era patients live shorter after progression than Liu 2019's anti-PD-1 melanoma
    cohort, 14.6 months): the ECOG 0 rate from :func:`ecog0_rate`, ECOG 1 patients at the Liu
    2019 hazard ratio times it (until session 36 the cited median was taken as the ECOG 0 rate,
    which shortened the population's median by the hazard ratio a second time). Assumed: the
    cited median's population had the trial's ECOG mix. Before progression and the ECOG hazard
    ratio: the Liu 2019 fit. A trial file without ``survival`` keeps the Liu 2019 hazard.
    """
    pp = trial.post_progression
    if pp is None:
        return LIU2019_HAZARD
    e1 = trial.baseline.ecog1_share
    share = 0.5 if e1 is None else float(e1)
    hr = LIU2019_HAZARD.ecog_hr
    return DeathHazard(
        pre_per_day=LIU2019_HAZARD.pre_per_day,
        post_per_day=ecog0_rate(pp.median_months * DAYS_PER_MONTH, share, hr),
        ecog_hr=hr,
        source=(
            f"after progression: exponential, median {pp.median_months:g} months over the "
            f"trial's ECOG mix ({share:g} ECOG 1 at hazard ratio {hr:g}; {pp.source}); "
            f"before progression and ECOG: {LIU2019_SOURCE}"
        ),
    )
