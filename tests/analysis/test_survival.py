"""KM, Cox HR and log-rank against naive implementations and lifelines on a known case."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from senotwin._errors import ValidationError
from senotwin.analysis.survival import (
    SUMMARY_UNITS,
    arm_summary,
    compare,
    json_record,
    kaplan_meier,
    summary_records,
    survival_at,
    wilson,
)

# Freireich et al. 1963 (6-MP vs placebo remission times in acute leukaemia, weeks) -- the
# classic textbook case (Cox 1972); placebo: all relapsed.
DRUG_T = np.array([6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35.0])
DRUG_E = np.array([1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0], dtype=bool)
PLAC_T = np.array([1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23.0])
PLAC_E = np.ones(21, dtype=bool)


def _naive_km(t: np.ndarray, e: np.ndarray) -> dict[float, float]:
    s, out = 1.0, {}
    for u in np.unique(t[e]):
        at_risk = np.sum(t >= u)
        d = np.sum((t == u) & e)
        s *= 1 - d / at_risk
        out[float(u)] = s
    return out


def _naive_cox_breslow(t, e, x) -> float:
    def nll(beta: float) -> float:
        ll = 0.0
        for u in np.unique(t[e]):
            dead = (t == u) & e
            risk = t >= u
            ll += beta * x[dead].sum() - dead.sum() * math.log(np.exp(beta * x[risk]).sum())
        return -ll

    return float(optimize.minimize_scalar(nll, bounds=(-5, 5), method="bounded").x)


def test_km_matches_product_limit_and_textbook_median() -> None:
    km = kaplan_meier(DRUG_T, DRUG_E)
    naive = _naive_km(DRUG_T, DRUG_E)
    for u, s in naive.items():
        k = int(np.searchsorted(km.times, u))
        assert km.survival[k] == pytest.approx(s, abs=1e-12)
    assert km.survival[np.searchsorted(km.times, 6.0)] == pytest.approx(18 / 21)
    assert km.median == 23.0  # textbook value for the 6-MP arm
    assert km.median_lower <= 23.0 and km.n == 21 and km.events == 9
    assert np.all(km.lower <= km.survival + 1e-12) and np.all(km.upper >= km.survival - 1e-12)
    assert kaplan_meier(PLAC_T, PLAC_E).median == 8.0


def test_hr_and_logrank_on_the_freireich_data() -> None:
    cmp = compare(DRUG_T, DRUG_E, PLAC_T, PLAC_E)
    # log-rank chi-square 16.79 (textbook, e.g. Kleinbaum & Klein), p = 4.17e-5
    assert cmp.logrank_p == pytest.approx(stats.chi2.sf(16.79, 1), rel=0.02)
    # Cox with Efron ties: log HR -1.572 (R coxph default on the gehan data: coef 1.572 for
    # placebo vs 6-MP); with Breslow ties -1.509
    assert math.log(cmp.hr) == pytest.approx(-1.572, abs=0.002)
    assert cmp.hr_lower < cmp.hr < cmp.hr_upper
    # the naive Breslow partial likelihood reproduces the Breslow-ties textbook value
    t = np.r_[DRUG_T, PLAC_T]
    e = np.r_[DRUG_E, PLAC_E]
    x = np.r_[np.ones(21), np.zeros(21)]
    assert _naive_cox_breslow(t, e, x) == pytest.approx(-1.509, abs=0.002)


def test_separated_comparison_is_not_estimable() -> None:
    """One patient an arm, the event on one side only: the Cox estimate runs off to 0 (it was
    printed as HR 0.00 (0.00-NR)); it is reported as not estimable, the log-rank p kept."""
    cmp = compare(np.array([30.0]), np.array([0.0]), np.array([10.0]), np.array([1.0]))
    assert math.isnan(cmp.hr) and math.isnan(cmp.hr_lower) and math.isnan(cmp.hr_upper)
    assert 0.0 < cmp.logrank_p <= 1.0


def test_no_events_compare_nothing() -> None:
    """No event in either arm: no HR and no log-rank p (it was printed as p 1.0, as if a test
    had found no difference; audit, session 40)."""
    cmp = compare(np.array([30.0, 40.0]), np.zeros(2), np.array([10.0, 20.0]), np.zeros(2))
    assert all(math.isnan(v) for v in (cmp.hr, cmp.hr_lower, cmp.hr_upper, cmp.logrank_p))


def test_wilson_interval() -> None:
    p, lo, hi = wilson(5, 20)
    assert p == 0.25
    assert (lo, hi) == pytest.approx((0.1119, 0.4687), abs=1e-4)


def test_arm_summary_counts_failures_and_uses_reference() -> None:
    rows = []
    for arm, tt, ee in (("placebo", PLAC_T, PLAC_E), ("drug", DRUG_T, DRUG_E)):
        for i, (ti, ei) in enumerate(zip(tt, ee, strict=True)):
            rows.append(
                {
                    "patient": i,
                    "arm": arm,
                    "status": "success",
                    "best_response": "PR" if arm == "drug" and i < 7 else "SD",
                    "pfs_days": ti,
                    "pfs_event": ei,
                    "os_days": ti,
                    "os_event": ei,
                }
            )
    rows.append(rows[-1] | {"patient": 99, "status": "failed"})
    s = arm_summary(pd.DataFrame(rows)).set_index("arm")
    assert s.loc["drug", "n"] == 22 and s.loc["drug", "n_failed"] == 1
    assert s.loc["drug", "n_analysed"] == 21
    assert s.loc["drug", "ORR"] == pytest.approx(7 / 21)
    assert s.loc["drug", "median_pfs"] == 23.0
    assert math.log(s.loc["drug", "hr_pfs"]) == pytest.approx(-1.572, abs=0.002)
    assert math.isnan(s.loc["placebo", "hr_pfs"])


def test_wilson_bounds_are_exact_at_zero_and_all() -> None:
    assert wilson(0, 6)[1] == 0.0
    assert wilson(6, 6)[2] == 1.0
    assert wilson(0, 6)[2] == pytest.approx(0.3903342879021653)


def test_survival_at_a_known_exponential_median() -> None:
    """Exponential event times with median 150 d: the curve reads ~0.5 at 150 d with a CI that
    holds 0.5; an arm whose median is twice as long reads ~0.71 there, its CI far above 0.5."""
    rng = np.random.default_rng(7)
    median = 150.0
    for scale, expected, holds_half in ((1.0, 0.5, True), (2.0, 2**-0.5, False)):
        d = rng.exponential(scale * median / math.log(2), 1000)
        km = kaplan_meier(d, np.ones(d.size, dtype=bool))
        s, lo, hi = survival_at(km, median)
        assert s == pytest.approx(expected, abs=0.05)
        assert lo < s < hi and hi - lo < 0.1
        assert (lo <= 0.5 <= hi) is holds_half


def test_survival_at_reads_the_step_and_refuses_the_unobserved() -> None:
    km = kaplan_meier(np.array([5.0, 10.0, 20.0, 30.0]), np.array([1, 1, 0, 0], dtype=bool))
    assert survival_at(km, 4.0) == (1.0, 1.0, 1.0)
    assert survival_at(km, 10.0)[0] == pytest.approx(0.5)  # the step at 10 counts at 10
    assert survival_at(km, 9.99)[0] == pytest.approx(0.75)
    assert all(math.isnan(x) for x in survival_at(km, 31.0))  # past the last, censored
    ended = kaplan_meier(np.array([5.0, 10.0]), np.ones(2, dtype=bool))
    assert survival_at(ended, 99.0) == (0.0, 0.0, 0.0)  # everyone had the event
    with pytest.raises(ValidationError, match="allowed a finite time >= 0"):
        survival_at(km, -1.0)


def test_json_tells_a_median_not_reached_from_no_value() -> None:
    """Both were null in `cohort summary --json` (the table printed NR for one; audit s42 M3):
    strict JSON keeps null and flags the median not reached beside it."""
    import json

    rows = []
    for i in range(6):
        common = {"patient": i, "best_response": "SD", "os_days": 50.0, "os_event": False}
        rows += [
            common | {"arm": "a", "status": "success", "pfs_days": 10.0 + i, "pfs_event": True},
            common | {"arm": "b", "status": "success", "pfs_days": 50.0, "pfs_event": False},
            common | {"arm": "c", "status": "failed", "pfs_days": 0.0, "pfs_event": False},
        ]
    records = {r["arm"]: r for r in summary_records(arm_summary(pd.DataFrame(rows)))}
    json.loads(json.dumps(records), parse_constant=pytest.fail)  # strict: no Infinity, NaN
    a, b, c = records["a"], records["b"], records["c"]
    assert a["median_pfs"] in (12.0, 13.0) and a["median_pfs_not_reached"] is False
    assert b["median_pfs"] is None and b["median_pfs_not_reached"] is True  # NR
    assert b["median_pfs_high"] is None and b["median_pfs_high_not_reached"] is True
    assert c["median_pfs"] is None and c["median_pfs_not_reached"] is False  # no patient
    assert c["hr_pfs"] is None and "hr_pfs_not_reached" not in c  # not estimable: no value
    # every number has its unit (bounds: their estimate's)
    numbers = {k.removesuffix("_low").removesuffix("_high") for k, v in a.items()}
    numbers -= {"arm"} | {k for k in numbers if k.endswith("_not_reached")}
    assert numbers == set(SUMMARY_UNITS)
    assert SUMMARY_UNITS["ORR"].startswith("fraction") and SUMMARY_UNITS["median_pfs"] == "days"


def test_json_record_flags_dicts_of_medians_and_cleans_numpy() -> None:
    rec = json_record(
        {
            "m": {"x": math.inf, "y": 2.0, "z": math.nan},
            "v": np.float64(math.inf),
            "n": np.int64(3),
        },
        ("m", "v"),
    )
    assert rec == {
        "m": {"x": None, "y": 2.0, "z": None},
        "m_not_reached": {"x": True, "y": False, "z": False},
        "v": None,
        "v_not_reached": True,
        "n": 3,
    }
