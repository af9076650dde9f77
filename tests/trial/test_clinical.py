"""The death hazard: the fit recovers known rates, and the shipped values are the Liu 2019 fit."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from senotwin._errors import ValidationError
from senotwin.trial.clinical import LIU2019_HAZARD, LIU_CLINICAL, fit_death_hazard, trial_hazard
from senotwin.trial.library import get_trial, trials
from senotwin.trial.spec import DAYS_PER_MONTH


def test_fit_recovers_piecewise_exponential_rates() -> None:
    rng = np.random.default_rng(0)
    n = 3000
    ecog = rng.random(n) < 0.4
    s = np.where(ecog, 1.8, 1.0)
    prog = rng.exponential(150.0, n)  # progression day
    death_pre = rng.exponential(1 / (2e-4 * s))
    death_post = prog + rng.exponential(1 / (3e-3 * s))
    death = np.where(death_pre < prog, death_pre, death_post)
    cens = np.full(n, 900.0)
    table = pd.DataFrame(
        {
            "survival_time_pfs": np.minimum(np.minimum(prog, death), cens) / DAYS_PER_MONTH,
            "event_occurred_pfs": (np.minimum(prog, death) < cens).astype(int),
            "survival_time_os": np.minimum(death, cens) / DAYS_PER_MONTH,
            "event_occurred_os": (death < cens).astype(int),
            "Tx_Start_ECOG": ecog.astype(int).astype(str),
        }
    )
    fit = fit_death_hazard(table)
    assert fit.hazard.pre_per_day == pytest.approx(2e-4, rel=0.15)
    assert fit.hazard.post_per_day == pytest.approx(3e-3, rel=0.1)
    assert fit.hazard.ecog_hr == pytest.approx(1.8, rel=0.15)
    lo, hi = fit.ci["post_per_day"]
    assert lo < 3e-3 < hi


def test_shipped_hazard_is_the_liu_fit() -> None:
    if not LIU_CLINICAL.exists():
        pytest.skip("reference data ../shared/data/ici not present")
    fit = fit_death_hazard(pd.read_csv(LIU_CLINICAL))
    assert fit.n == 73 and fit.deaths_after == 27
    for name in ("pre_per_day", "post_per_day", "ecog_hr"):
        assert getattr(LIU2019_HAZARD, name) == pytest.approx(getattr(fit.hazard, name), rel=1e-3)
    assert "calibrated" in LIU2019_HAZARD.source
    # post-progression median survival ~14.6 months (melanoma, anti-PD-1 era)
    assert math.log(2) / LIU2019_HAZARD.post_per_day / DAYS_PER_MONTH == pytest.approx(
        14.6, abs=0.2
    )


@pytest.mark.parametrize(
    ("name", "months"), [("keynote189", 6.5), ("impassion130", 12.1), ("impower133", 4.6)]
)
def test_library_trials_die_after_progression_at_their_cited_pace(name: str, months: float) -> None:
    """Chemotherapy-era patients: the cited median PPS of the trial's disease and line (not the
    melanoma anti-PD-1 cohort's 14.6 months) is that of a typical patient -- progressing at the
    trial's median baseline burden, then growing at the tissue's cited doubling time -- over
    the trial's ECOG mix (ECOG 0 patients live longer after progression, ECOG 1 shorter, by the
    Liu hazard ratio); before progression and ECOG stay the Liu fit."""
    from dataclasses import replace

    from senotwin.model.qsp import TISSUES
    from senotwin.model.scenarios import get_scenario
    from senotwin.sim.tissue_growth import carried_tissue
    from senotwin.trial.clinical import BURDEN_PER_MM

    calibrated = get_trial(name)
    pp = calibrated.post_progression
    assert pp is not None
    # the calibrated factor (scripts/pps_rate_fit.py) scales the typical-course rate, nothing else
    trial = replace(calibrated, post_progression=replace(pp, rate_factor=1.0))
    hazard = trial_hazard(trial)
    scaled = trial_hazard(calibrated)
    assert scaled.post_per_day == pytest.approx(pp.rate_factor * hazard.post_per_day)
    assert replace(scaled, post_per_day=hazard.post_per_day, source="") == replace(
        hazard, source=""
    )
    assert (pp.rate_factor != 1.0) == ("pps_rate_fit.py" in scaled.source)
    e1 = trial.baseline.ecog1_share
    assert e1 is not None and 0.3 < e1 < 0.7
    assert hazard.pre_per_day == LIU2019_HAZARD.pre_per_day
    assert hazard.ecog_hr == LIU2019_HAZARD.ecog_hr
    assert hazard.burden_per_mm == BURDEN_PER_MM > 0
    ref = trial.baseline.sld_median_mm or trial.baseline.pool_sld_median_mm
    assert hazard.burden_ref_mm == ref
    assert trial.post_progression is not None and trial.post_progression.source in hazard.source
    tissue = carried_tissue(get_scenario(trial.scenario))
    assert tissue is not None
    doubling = TISSUES[tissue].doubling_days
    # the typical course: at the reference until progression on day 100, then growing
    pd, t = 100.0, months * DAYS_PER_MONTH
    days = np.linspace(0.0, 1500.0, 30001)
    course = ref * 2.0 ** (np.maximum(days - pd, 0.0) / (3.0 * doubling))
    after = days[(days >= pd) & (days <= pd + t)]
    mult = np.exp(hazard.burden_per_mm * (np.interp(after, days, course) - ref))
    cum = hazard.post_per_day * float(np.sum(0.5 * (mult[1:] + mult[:-1]) * np.diff(after)))
    alive = [math.exp(-cum * hazard.ecog_hr**ecog) for ecog in (0, 1)]
    assert (1 - e1) * alive[0] + e1 * alive[1] == pytest.approx(0.5, abs=1e-4)
    assert alive[0] > 0.5 > alive[1]
    # the ECOG 0 patient whose draw is the median's dies then, and a larger disease sooner
    u = math.exp(-(hazard.pre_per_day * pd + cum))
    assert hazard.death_day(pd, 0.0, u, burden=(days, course)) == pytest.approx(pd + t, abs=0.5)
    assert hazard.death_day(pd, 0.0, u, burden=(days, course * 1.5)) < pd + t - 5.0
    # growing after progression shortens survival against a burden that stays put
    flat = np.full_like(days, ref)
    assert hazard.death_day(pd, 0.0, u, burden=(days, flat)) > pd + t + 5.0


def test_the_ecog0_rate_of_a_population_median() -> None:
    """Everyone ECOG 0 (or a hazard ratio of 1): the plain exponential; everyone ECOG 1: the
    rate divided by the ratio; a mixture lies between; bad input is refused by name."""
    from senotwin.trial.clinical import ecog0_rate

    assert ecog0_rate(100.0, 0.0, 1.7) == pytest.approx(math.log(2) / 100)
    assert ecog0_rate(100.0, 0.7, 1.0) == pytest.approx(math.log(2) / 100)
    assert ecog0_rate(100.0, 1.0, 1.7) == pytest.approx(math.log(2) / 100 / 1.7)
    assert math.log(2) / 170 < ecog0_rate(100.0, 0.5, 1.7) < math.log(2) / 100
    assert ecog0_rate(100.0, 0.5, 0.5) > math.log(2) / 100  # a protective "ratio" the other way
    with pytest.raises(ValidationError, match="ecog1_share"):
        ecog0_rate(100.0, 1.5, 1.7)


def test_every_library_trial_states_its_post_progression_survival() -> None:
    assert all(t.post_progression is not None for t in trials())
