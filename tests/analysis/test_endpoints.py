"""RECIST 1.1 / PFS / OS on hand-built diameter curves (hand-computed expectations)."""

from __future__ import annotations

import math
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from senotwin._errors import ValidationError
from senotwin.analysis.endpoints import (
    EndpointRules,
    death_time,
    patient_endpoints,
    recist_response,
)

RULES = EndpointRules(scan_every_days=42.0, lethal_burden=30.0)
T = np.arange(0.0, 253.0)  # daily, scans at 42, 84, ..., 252


def _course(diam_at_scans: list[float], burden: np.ndarray | None = None):
    scans = np.arange(0.0, 43.0 * 0 + 42.0 * len(diam_at_scans), 42.0)
    d = np.interp(T, scans, diam_at_scans)
    b = np.full(T.shape, 0.1) if burden is None else burden
    return patient_endpoints(T, d, b, RULES)


def test_recist_single_scan_rules() -> None:
    assert recist_response(20.0, 20.0, 0.5, RULES) == "CR"
    assert recist_response(20.0, 20.0, 14.0, RULES) == "PR"  # -30 % exactly
    assert recist_response(20.0, 20.0, 14.1, RULES) == "SD"
    # +20 % over nadir but only +4 mm: not PD (5 mm rule)
    assert recist_response(20.0, 20.0, 24.0, RULES) == "SD"
    assert recist_response(20.0, 20.0, 25.0, RULES) == "PD"
    # growth from a small nadir: +50 % but +3 mm is SD
    assert recist_response(20.0, 6.0, 9.0, RULES) == "PR"
    assert recist_response(20.0, 6.0, 11.0, RULES) == "PD"


def test_partial_response_then_progression() -> None:
    # baseline 20, scans: 42 -> 13 (PR), 84 -> 12, 126 -> 18 (+6 mm, +50 % over nadir 12: PD)
    ep = _course([20, 13, 12, 18, 20, 22, 24])
    assert ep.best_response == "PR"
    assert ep.pfs_days == 126.0 and ep.pfs_event
    assert ep.best_change_pct == pytest.approx(-40.0)
    assert not ep.os_event and ep.os_days == 252.0


def test_stable_disease_is_censored() -> None:
    ep = _course([20, 21, 22, 21, 20, 21, 22])
    assert ep.best_response == "SD"
    assert not ep.pfs_event and ep.pfs_days == 252.0


def test_early_progression_is_pd() -> None:
    ep = _course([20, 30, 40, 50, 60, 70, 80])
    assert ep.best_response == "PD" and ep.pfs_days == 42.0
    assert ep.best_change_pct == pytest.approx(50.0)


def test_complete_response() -> None:
    ep = _course([20, 8, 0.5, 0.4, 0.3, 0.3, 0.3])
    assert ep.best_response == "CR" and not ep.pfs_event


def test_death_is_interpolated_and_ends_pfs() -> None:
    burden = np.linspace(1.0, 51.0, T.size)  # reaches 30 at t = 29/50 * 252
    t_death = 29.0 / 50.0 * 252.0
    assert death_time(T, burden, 30.0) == pytest.approx(t_death)
    ep = _course([20, 20.5, 21, 21.5, 22, 22.5, 23], burden)
    assert ep.os_event and ep.os_days == pytest.approx(t_death)
    assert ep.pfs_event and ep.pfs_days == pytest.approx(t_death)
    assert math.isnan(death_time(T, np.ones(T.size), 30.0))


def test_bad_input() -> None:
    with pytest.raises(ValidationError):
        patient_endpoints(T, T[:-1], T, RULES)
    with pytest.raises(ValidationError):
        EndpointRules(lethal_burden=0.0)


# ---- RECIST 1.1 as trials apply it ---------------------------------------------------------
from senotwin.analysis.endpoints import (  # noqa: E402
    NEW_LESION_ALPHA,
    DeathHazard,
    TrialRules,
    new_lesion_day,
    trial_endpoints,
    trial_scan_days,
)

TRULES = TrialRules(schedule=((1.0e9, 42.0),), follow_days=252.0)
NO_DEATH = DeathHazard(0.0, 0.0)
TT = np.arange(0.0, 253.0)


def _trial(
    ratio_at_scans: list[float],
    *,
    lesions=(40.0, 30.0),
    n_lesions=2,
    u_new=1e-12,
    u_death=0.5,
    hazard=NO_DEATH,
    rules=TRULES,
    read_z=None,
) -> dict:
    """Endpoints when the model lesion's diameter ratio passes the given values at days 0, 42, ...

    ``u_new`` 1e-12 needs a cumulative new-lesion intensity of 27.6: no new lesions.
    """
    days = 42.0 * np.arange(len(ratio_at_scans))
    d = 20.0 * np.interp(TT, days, ratio_at_scans)
    base = {
        "lesions_mm": list(lesions),
        "n_lesions": n_lesions,
        "ecog": 0,
        "u_new": u_new,
        "u_death": u_death,
    }
    if read_z is not None:
        base["read_z"] = read_z
    return trial_endpoints(TT, d, base, rules, hazard)


def test_scan_calendar_follows_the_segments() -> None:
    rules = TrialRules(schedule=((126.0, 42.0), (315.0, 63.0), (1e9, 84.0)))
    assert trial_scan_days(rules, 500.0).tolist() == [42, 84, 126, 189, 252, 315, 399, 483]


def test_response_needs_confirmation_at_4_weeks() -> None:
    # -40 % at day 42 then back to -10 % at day 84: unconfirmed PR -> SD
    assert _trial([1, 0.6, 0.9, 0.9, 0.9, 0.9, 0.9])["best_response"] == "SD"
    # -40 % at 42 and -35 % at 84: confirmed PR
    assert _trial([1, 0.6, 0.65, 0.65, 0.65, 0.65, 0.65])["best_response"] == "PR"


def test_progression_needs_20_percent_and_5_mm_over_the_nadir() -> None:
    ep = _trial([1, 0.7, 0.7, 0.86, 0.86, 0.86, 0.86])  # 49 -> 60.2 mm: +23 %, +11 mm
    assert ep["pfs_event"] and ep["pfs_days"] == 126.0
    small = _trial([1, 1.3, 1.3, 1.3, 1.3, 1.3, 1.3], lesions=(12.0,), n_lesions=1)
    assert not small["pfs_event"]  # +30 % but +3.6 mm: not PD
    assert small["pfs_days"] == 252.0  # censored at the last scan


def test_vanished_lesions_are_a_complete_response_and_tiny_ones_count_5_mm() -> None:
    assert _trial([1, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01])["best_response"] == "CR"
    # 0.12 x 40/30 mm = 4.8 and 3.6 mm: still seen, recorded at 5 mm each (-86 %, PR not CR)
    ep = _trial([1, 0.12, 0.12, 0.12, 0.12, 0.12, 0.12])
    assert ep["best_response"] == "PR"
    assert ep["best_change_pct"] == pytest.approx(100 * (10 - 70) / 70)
    # 0.1: 4 mm still seen (5 mm), 3 mm below DETECT_MM and gone (0 mm): -93 %, still PR
    ep = _trial([1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
    assert ep["best_response"] == "PR"
    assert ep["best_change_pct"] == pytest.approx(100 * (5 - 70) / 70)


def test_new_lesions_follow_the_seeding_law() -> None:
    t = np.arange(0.0, 101.0)
    r = np.exp(0.01 * t)  # volume ratio
    u = 0.5
    day = new_lesion_day(t, r, 4.0, u, NEW_LESION_ALPHA)
    # 4 (R - 1) = ln 2  ->  R = 1 + ln2/4, t = ln R / 0.01
    assert day == pytest.approx(math.log(1 + math.log(2) / 4) / 0.01, rel=1e-3)
    assert math.isnan(new_lesion_day(t, np.exp(-0.01 * t), 4.0, 0.01, 1.0))  # shrinking


def test_new_lesion_is_progression_even_when_targets_shrink_later() -> None:
    ep = _trial([1, 1.1, 0.8, 0.8, 0.8, 0.8, 0.8], n_lesions=6, u_new=0.6)
    assert ep["pfs_event"] and ep["pfs_days"] == 42.0 and ep["best_response"] == "PD"


def test_what_therapy_does_after_progression_changes_no_endpoint() -> None:
    """Trials stop therapy at confirmed progression, the model's arms dose to the protocol's end.
    The two are equivalent because every endpoint reads the course only up to the PD scan: a
    response after progression (continued dosing) changes nothing (docs/trials.md)."""
    h = DeathHazard(pre_per_day=1e-4, post_per_day=2e-3, ecog_hr=1.5)
    stopped = _trial([1, 0.7, 0.7, 0.86, 0.9, 1.0, 1.1], hazard=h, n_lesions=3, u_new=0.3)
    continued = _trial([1, 0.7, 0.7, 0.86, 0.3, 0.1, 0.05], hazard=h, n_lesions=3, u_new=0.3)
    assert stopped["pfs_event"] and stopped["pfs_days"] == 126.0
    assert stopped["best_response"] == continued["best_response"] == "PR"
    for key in ("best_change_pct", "pfs_days", "pfs_event", "os_days", "os_event", "scans"):
        assert stopped[key] == continued[key], key


def test_death_hazard_before_and_after_progression() -> None:
    h = DeathHazard(pre_per_day=0.001, post_per_day=0.01, ecog_hr=2.0)
    u = math.exp(-0.05)  # cumulative hazard 0.05
    assert h.death_day(math.inf, 0, u) == pytest.approx(50.0)
    assert h.death_day(20.0, 0, u) == pytest.approx(20 + (0.05 - 0.02) / 0.01)
    assert h.death_day(math.inf, 1, u) == pytest.approx(25.0)
    assert DeathHazard(0.0, 0.0).death_day(10.0, 0, 0.3) == math.inf


def test_death_hazard_returns_to_the_pre_progression_rate_after_a_cure() -> None:
    h = DeathHazard(pre_per_day=0.001, post_per_day=0.01)
    u = math.exp(-0.05)  # cumulative hazard 0.05: 0.02 before progression at day 20
    assert h.death_day(20.0, 0, u, cure_day=math.inf) == pytest.approx(23.0)
    # cured at day 22: 0.02 + 0.02 by then, the remaining 0.01 at the pre rate (10 days)
    assert h.death_day(20.0, 0, u, cure_day=22.0) == pytest.approx(32.0)
    assert h.death_day(20.0, 0, u, cure_day=30.0) == pytest.approx(23.0)  # died first
    assert h.death_day(20.0, 0, u, cure_day=10.0) == pytest.approx(50.0)  # never at the post rate
    assert DeathHazard(0.0, 0.01).death_day(20.0, 0, u, cure_day=22.0) == math.inf


def test_death_hazard_scales_with_the_current_disease_burden() -> None:
    """A burden at the reference gives the piecewise rates; 10 mm more multiplies the hazard by
    exp(10 beta); a course that changes is integrated (the trapezoid is exact for a linear
    hazard); the burden course is required, and its last value holds after the run."""
    beta = math.log(1.05) / 10.0
    h = DeathHazard(0.001, 0.01, burden_per_mm=beta, burden_ref_mm=80.0)
    plain = DeathHazard(0.001, 0.01)
    u = math.exp(-0.05)
    days = np.linspace(0.0, 400.0, 41)
    at_ref = (days, np.full_like(days, 80.0))
    for pd, cure in ((math.inf, math.inf), (20.0, math.inf), (20.0, 22.0), (15.5, 33.3)):
        assert h.death_day(pd, 0, u, cure, burden=at_ref) == pytest.approx(
            plain.death_day(pd, 0, u, cure), rel=1e-9
        )
    bigger = (days, np.full_like(days, 90.0))
    assert h.death_day(math.inf, 0, u, burden=bigger) == pytest.approx(50.0 / 1.05, rel=1e-9)
    # beyond the course's last day the hazard keeps its last value: 0.05 at 0.001 x 1.05
    short = (np.array([0.0, 10.0]), np.array([90.0, 90.0]))
    assert h.death_day(math.inf, 0, u, burden=short) == pytest.approx(50.0 / 1.05, rel=1e-9)
    # a burden falling linearly from 80 + x: the hazard is convex in time, so dying earlier than
    # at the mean burden, later than at the start; larger draws die later
    falling = (days, 120.0 - 0.1 * days)
    t_fall = h.death_day(math.inf, 0, u, burden=falling)
    assert 50.0 / math.exp(40 * beta) < t_fall < 50.0
    assert h.death_day(math.inf, 0, math.exp(-0.02), burden=falling) < t_fall
    with pytest.raises(ValidationError, match="burden course"):
        h.death_day(20.0, 0, u)
    with pytest.raises(ValidationError, match="burden_per_mm"):
        DeathHazard(0.001, 0.01, burden_per_mm=-0.1)


def test_trial_endpoints_give_a_larger_disease_an_earlier_death() -> None:
    """With the burden term, the same course and draws on larger target lesions die sooner; a
    responder's shrinking disease lives longer than the same patient with a stable one."""
    h = DeathHazard(1e-3, 1e-2, burden_per_mm=math.log(1.05) / 10.0, burden_ref_mm=70.0)
    small = _trial([1, 1, 1, 1, 1, 1, 1], hazard=h, lesions=(40.0, 30.0), u_death=0.85)
    large = _trial([1, 1, 1, 1, 1, 1, 1], hazard=h, lesions=(120.0, 90.0), u_death=0.85)
    assert small["os_days"] == pytest.approx(-math.log(0.85) / 1e-3, rel=1e-6)  # at the reference
    assert large["os_days"] < small["os_days"]
    shrinking = _trial(
        [1, 0.5, 0.4, 0.4, 0.4, 0.4, 0.4], hazard=h, lesions=(40.0, 30.0), u_death=0.7
    )
    assert shrinking["os_days"] > small["os_days"]


def test_death_ends_scans_and_is_the_pfs_event() -> None:
    h = DeathHazard(pre_per_day=math.log(2) / 100.0, post_per_day=0.0)
    ep = _trial([1, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95], hazard=h, u_death=0.5)
    assert ep["os_event"] and ep["os_days"] == pytest.approx(100.0)
    assert ep["pfs_event"] and ep["pfs_days"] == pytest.approx(100.0)
    assert ep["scans"] == 2  # days 42 and 84 only


def test_trial_rules_reject_bad_schedules() -> None:
    with pytest.raises(ValidationError, match="schedule"):
        TrialRules(schedule=())
    with pytest.raises(ValidationError, match="every > 0"):
        TrialRules(schedule=((100.0, 0.0),))
    with pytest.raises(ValidationError, match="follow_days"):
        TrialRules(follow_days=-1.0)
    with pytest.raises(ValidationError, match="detect_mm"):
        TrialRules(detect_mm=-0.5)
    with pytest.raises(ValidationError, match=r"must not exceed too_small_mm 5\.0"):
        TrialRules(detect_mm=6.0)


def test_a_target_below_the_calibrated_detection_size_is_read_as_gone() -> None:
    """DETECT_MM (3.5 mm, calibrated on liu2019) splits a small target into gone (0 mm) and
    seen but too small to measure (the RECIST 5 mm default); a larger one keeps its size."""
    from senotwin.analysis.endpoints import DETECT_MM, _recorded

    rules = TrialRules()
    assert rules.detect_mm == DETECT_MM == 3.5
    assert _recorded(np.array([3.4, 3.6, 12.0]), rules) == pytest.approx(0.0 + 5.0 + 12.0)
    assert _recorded(np.array([3.4]), replace(rules, detect_mm=2.0)) == pytest.approx(5.0)


def test_the_unconfirmed_best_response_counts_a_response_seen_once() -> None:
    """A PR seen once: unconfirmed PR, confirmed SD (or PD when progression follows at once,
    before the SD minimum); a confirmed PR or CR is the same under both definitions."""
    once = _trial([1, 0.6, 0.9, 0.9, 0.9, 0.9, 0.9])
    assert (once["best_response"], once["best_response_unconfirmed"]) == ("SD", "PR")
    # PR at day 42, PD at 84 (+20 % and +5 mm over the nadir): no SD >= 42 d before it either
    rules = TrialRules(schedule=((1.0e9, 42.0),), follow_days=252.0, min_sd_days=60.0)
    gone = _trial([1, 0.6, 1.0, 1.0], rules=rules)
    assert (gone["best_response"], gone["best_response_unconfirmed"]) == ("PD", "PR")
    held = _trial([1, 0.6, 0.65, 0.65, 0.65, 0.65, 0.65])
    assert held["best_response"] == held["best_response_unconfirmed"] == "PR"
    cr = _trial([1, 0.6, 0.01, 0.6, 0.6, 0.6, 0.6])  # PR, CR once, then regrowth (PD)
    assert (cr["best_response"], cr["best_response_unconfirmed"]) == ("PR", "CR")
    flat = _trial([1, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9])
    assert flat["best_response"] == flat["best_response_unconfirmed"] == "SD"


def test_a_response_first_seen_at_the_last_scan_awaits_confirmation() -> None:
    """Read-back of the KEYNOTE-189 waterfall: patients at -100 % labelled PR are CRs first
    seen at the last scan before the data cut-off (no confirming scan is possible); the
    waterfall measure and the CR rule agree, and the record says what awaits confirmation."""
    # PR from day 42 on, every target gone at day 252 only (the last scan before cut-off)
    ep = _trial([1, 0.6, 0.6, 0.6, 0.6, 0.6, 0.01])
    assert ep["best_response"] == "PR"
    assert ep["best_change_pct"] == pytest.approx(-100.0)
    assert ep["awaiting_confirmation"] == "CR"
    # gone from day 210 on: confirmed at 252, nothing awaits
    done = _trial([1, 0.6, 0.6, 0.6, 0.6, 0.01, 0.01])
    assert done["best_response"] == "CR" and done["awaiting_confirmation"] == ""
    # a first PR at the last scan: SD, awaiting a PR confirmation
    late = _trial([1, 0.9, 0.9, 0.9, 0.9, 0.9, 0.6])
    assert late["best_response"] == "SD" and late["awaiting_confirmation"] == "PR"


def test_response_start_and_nadir_scan_give_duration_of_response() -> None:
    """A confirmed PR first seen at day 84, deepest at 126, PD at 210: the response runs from
    84 (duration 126 days) and the nadir scan is 126; a non-responder has no response day and a
    disease never below its baseline sum has its nadir at day 0."""
    ep = _trial([1, 0.8, 0.6, 0.5, 0.55, 0.7, 0.7])  # 0.5 x 70 = 35 mm nadir, 49 mm: +40 %
    assert ep["best_response"] == "PR" and ep["pfs_event"] and ep["pfs_days"] == 210.0
    assert ep["response_day"] == 84.0 and ep["nadir_day"] == 126.0
    sd = _trial([1, 0.9, 0.85, 0.85, 0.85, 0.85, 0.85])
    assert sd["best_response"] == "SD" and math.isnan(sd["response_day"])
    assert sd["nadir_day"] == 84.0
    grow = _trial([1, 1.1, 1.3, 1.3, 1.3, 1.3, 1.3])
    assert grow["nadir_day"] == 0.0 and math.isnan(grow["response_day"])


# ---- lesion-level heterogeneity: new lesions and non-target progression -------------------------
from scipy import stats as _stats  # noqa: E402

from senotwin.analysis.endpoints import LESION_GROWTH_SPREAD, lesion_spread_per_day  # noqa: E402


def _expected_new_lesions(n: float, k: float, sd: float, t: float) -> float:
    """n E[(exp((delta - k) t) - 1)^+], delta ~ N(0, sd): occult lesions (Pareto, alpha 1) of a
    disease shrinking at rate k that have become visible by day t (closed form)."""
    mu, v = -k * t, sd * t
    return n * (
        math.exp(mu + v * v / 2) * _stats.norm.cdf((mu + v * v) / v) - _stats.norm.cdf(mu / v)
    )


def test_a_shrinking_disease_seeds_new_lesions_with_lesion_level_spread() -> None:
    """Before: a disease that never regrows above baseline could not progress by a new lesion.
    Occult lesions that grow faster than the disease shrinks now cross visibility, with the
    probability 1 - exp(-expected count) of the closed form."""
    t = np.arange(0.0, 366.0)
    shrinking = np.exp(-0.01 * t)
    sd = 0.006
    assert math.isnan(new_lesion_day(t, shrinking, 4.0, 1e-9, 1.0))  # old law: never
    lam = _expected_new_lesions(4.0, 0.01, sd, 365.0)
    assert 0.1 < lam < 20.0
    p_new = 1.0 - math.exp(-lam)
    # u just above exp(-lam) -> the threshold is reached within the year; just below -> never
    assert new_lesion_day(t, shrinking, 4.0, math.exp(-lam) * 1.02, 1.0, sd) <= 365.0
    assert math.isnan(new_lesion_day(t, shrinking, 4.0, math.exp(-lam) * 0.98, 1.0, sd))
    # the day itself: expected count at it equals -ln u
    u = 0.75
    day = new_lesion_day(t, shrinking, 4.0, u, 1.0, sd)
    assert _expected_new_lesions(4.0, 0.01, sd, day) == pytest.approx(-math.log(u), rel=1e-2)
    # deterministic given the seed: the share of 2,000 paired uniforms that progress is p_new
    us = np.random.default_rng(7).random(2000)
    hits = [not math.isnan(new_lesion_day(t, shrinking, 4.0, float(x), 1.0, sd)) for x in us]
    assert np.mean(hits) == pytest.approx(p_new, abs=0.03)
    assert hits == [
        not math.isnan(new_lesion_day(t, shrinking, 4.0, float(x), 1.0, sd)) for x in us
    ]


def test_spread_without_lesion_deviation_is_the_old_seeding_law() -> None:
    t = np.arange(0.0, 101.0)
    r = np.exp(0.01 * t)
    assert new_lesion_day(t, r, 4.0, 0.5, 1.0, 0.0) == new_lesion_day(t, r, 4.0, 0.5, 1.0)


HET = TrialRules(
    schedule=((1.0e9, 42.0),),
    follow_days=252.0,
    lesion_growth_spread=LESION_GROWTH_SPREAD,
    nontarget_progression=True,
)


def _het(ratio_at_scans, live=None, **base_extra) -> dict:
    days = 42.0 * np.arange(len(ratio_at_scans))
    d = 20.0 * np.interp(TT, days, ratio_at_scans)
    base = {
        "lesions_mm": [40.0, 30.0],
        "n_lesions": 3,
        "n_nontarget": 1,
        "ecog": 0,
        "u_new": 1e-12,
        "u_death": 0.5,
        "doubling_days": 100.0,
        "lesion_z": [0.0, 0.0],
        "nontarget_z": [0.0],
    } | base_extra
    return trial_endpoints(TT, d, base, HET, NO_DEATH, live)


def test_a_fast_non_target_lesion_is_unequivocal_progression_while_targets_shrink() -> None:
    # targets shrink 20 % in diameter (volume x0.51) by day 42 and stay; a non-target lesion
    # with a deviation of +3 SD grows at 3 x 1.07 x ln2/100 = 0.0223/day over that course
    ep = _het([1, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8], nontarget_z=[3.0])
    rate = 3.0 * LESION_GROWTH_SPREAD * math.log(2) / 100.0
    days = (42, 84, 126, 168, 210, 252)
    nt = [0.8**3 * math.exp(rate * d) for d in days]
    nadirs = np.minimum.accumulate([1.0, *nt])[:-1]  # the nadir before each scan
    first = next(d for d, v, low in zip(days, nt, nadirs, strict=True) if v >= 1.728 * low)
    assert ep["pfs_event"] and ep["pd_by"] == "nontarget" and ep["pfs_days"] == first
    # the same patient with an average non-target lesion: stable disease, no progression
    calm = _het([1, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8])
    assert not calm["pfs_event"] and calm["pd_by"] == "" and calm["best_response"] == "SD"


def test_a_target_lesion_growing_faster_than_the_others_ends_the_response() -> None:
    ep = _het([1, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6], lesion_z=[3.0, -1.0])
    assert ep["pfs_event"] and ep["pd_by"].startswith("target")
    still = _het([1, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6])
    assert still["best_response"] == "PR" and not still["pfs_event"]


def test_lesion_spread_needs_the_patients_doubling_time_and_draws() -> None:
    assert lesion_spread_per_day({"doubling_days": 100.0}, HET) == pytest.approx(
        LESION_GROWTH_SPREAD * math.log(2) / 100.0
    )
    assert lesion_spread_per_day({}, TRULES) == 0.0
    with pytest.raises(ValidationError, match="doubling_days"):
        _het([1, 1, 1], doubling_days=math.nan)
    with pytest.raises(ValidationError, match="lesion_z"):
        _het([1, 1, 1], lesion_z=[0.0])
    with pytest.raises(ValidationError, match="lesion_growth_spread"):
        TrialRules(lesion_growth_spread=-1.0)


def _reducer_run(live: np.ndarray, ratio_at_scans: list[float]) -> dict:
    """The trial runner's reducer on a hand-built physical-units run table (2 target lesions)."""
    import pandas as pd

    from senotwin.analysis.endpoints import TrialEndpointReducer
    from senotwin.model.readouts import QSP

    days = 42.0 * np.arange(len(ratio_at_scans))
    table = pd.DataFrame({c: np.zeros(TT.size) for c in QSP.needs})
    table["time"] = TT
    table["diameter"] = 20.0 * np.interp(TT, days, ratio_at_scans)
    table["C"], table["Ci"] = 0.9 * live, 0.1 * live
    base = {"lesions_mm": [40.0, 30.0], "n_lesions": 2, "ecog": 0, "u_new": 1e-12, "u_death": 0.5}
    return TrialEndpointReducer(TRULES, NO_DEATH)(SimpleNamespace(table=table), base)


def test_trial_runner_lesion_below_one_live_cell_does_not_regrow() -> None:
    """The lesion shrinks to a fifth by day 84 and regrows past baseline by day 252. When its
    live cancer cells (C + Ci) fall below one cell on day 100, the recorded diameter keeps its
    minimum from then on: a PR with no progression. The same course with one live cell or more
    throughout regrows and progresses on its target sum (scan day 168: 3x the nadir)."""
    ratio = [1.0, 0.5, 0.2, 0.2, 0.6, 1.0, 1.4]
    gone = np.where(TT < 100, 1e9 * np.exp(-0.2 * TT), 1e-3 * np.exp(0.05 * (TT - 100)))
    extinct = _reducer_run(gone, ratio)
    assert extinct["extinction_day"] == 100.0
    assert extinct["best_response"] == "PR" and not extinct["pfs_event"]
    assert extinct["pd_by"] == "" and extinct["best_change_pct"] == pytest.approx(-80.0)
    alive = _reducer_run(np.maximum(gone, 1.0), ratio)  # never below one cell
    assert alive["extinction_day"] == math.inf
    assert alive["pfs_event"] and alive["pd_by"] == "target" and alive["pfs_days"] == 168.0
    assert alive["best_response"] == "PR" and alive["best_change_pct"] == pytest.approx(-80.0)


def test_extinct_course_keeps_the_running_minimum_and_checks_shapes() -> None:
    from senotwin.analysis.endpoints import extinct_course

    t = np.array([0.0, 10.0, 20.0, 30.0, 40.0])
    d, day = extinct_course(t, np.array([10.0, 8.0, 6.0, 7.0, 5.0]), np.array([9, 2, 0.5, 3, 9]))
    assert day == 20.0 and list(d) == [10.0, 8.0, 6.0, 6.0, 5.0]  # shrinks on, never regrows
    same, never = extinct_course(t, np.array([10.0, 8.0, 6.0, 7.0, 5.0]), np.full(5, 1.0))
    assert never == math.inf and list(same) == [10.0, 8.0, 6.0, 7.0, 5.0]
    with pytest.raises(ValidationError, match="live cancer cells"):
        extinct_course(t, np.ones(5), np.ones(4))


def test_an_extinct_disease_stops_every_lesion_growing() -> None:
    """Targets (+3 SD) and the non-target lesion (+3 SD) outgrow a stable model lesion and
    progress; once the live cancer cells fall below one cell (day 30) their deviations stop
    growing too and no lesion -- target, non-target or occult seed -- progresses."""
    ratio = [1, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]
    fast = {"lesion_z": [3.0, 3.0], "nontarget_z": [3.0], "u_new": 0.01}
    grows = _het(ratio, **fast)
    assert grows["pfs_event"] and grows["pd_by"]
    live = np.where(TT < 30, 1e6, 0.5)
    stops = _het(ratio, live=live, **fast)
    assert stops["extinction_day"] == 30.0
    assert not stops["pfs_event"] and stops["pd_by"] == "" and math.isnan(stops["new_lesion_day"])


def test_read_errors_scale_each_lesion_read_and_zero_errors_are_exact() -> None:
    """read_cv: every lesion's diameter read is multiplied by exp(cv z) (baseline row 0)."""
    rules = replace(TRULES, read_cv=0.05)
    ratios = [1, 0.72, 0.72, 0.72, 0.72, 0.72, 0.72]  # -28 %: SD when read exactly
    exact = _trial(ratios)
    assert exact["best_response"] == "SD"
    zero = _trial(ratios, rules=rules, read_z=np.zeros((7, 2)))
    assert zero == exact
    # every later read 1 sd low (x 0.951): -31.5 %, a confirmed PR
    low = np.vstack([np.zeros((1, 2)), -np.ones((6, 2))])
    assert _trial(ratios, rules=rules, read_z=low)["best_response"] == "PR"
    assert _trial(ratios, rules=rules, read_z=low)["best_change_pct"] == pytest.approx(
        100 * (0.72 * math.exp(-0.05) - 1)
    )


def test_read_errors_need_enough_draws_and_a_valid_cv() -> None:
    rules = replace(TRULES, read_cv=0.05)
    with pytest.raises(ValidationError, match="read_z"):
        _trial([1, 1, 1, 1, 1, 1, 1], rules=rules)
    with pytest.raises(ValidationError, match=r"read_z of shape \(3, 2\)"):
        _trial([1, 1, 1, 1, 1, 1, 1], rules=rules, read_z=np.zeros((3, 2)))
    with pytest.raises(ValidationError, match="read_cv"):
        TrialRules(read_cv=-0.1)


def test_a_second_read_counts_only_responses_confirmed_by_the_median_follow_up() -> None:
    """``median_follow_days``: the best response from the scans up to the trial's published
    median follow-up. A CR first seen at day 168 and confirmed at 210 is a CR by day 210 and a
    PR by day 168 (the earlier PR, confirmed at 84); without the read it equals the full read."""
    course = [1, 0.6, 0.6, 0.5, 0.01, 0.01, 0.01]  # PR from 42, CR from 168
    full = _trial(course)
    assert full["best_response"] == full["best_response_at_median_follow"] == "CR"
    assert full["best_response_unconfirmed_at_median_follow"] == "CR"
    late = _trial(course, rules=replace(TRULES, median_follow_days=210.0))
    assert late["best_response"] == late["best_response_at_median_follow"] == "CR"
    early = _trial(course, rules=replace(TRULES, median_follow_days=170.0))
    assert early["best_response"] == "CR"  # the full follow-up is unchanged
    assert early["best_response_at_median_follow"] == "PR"
    assert early["best_response_unconfirmed_at_median_follow"] == "CR"  # seen once by then
    none = _trial(course, rules=replace(TRULES, median_follow_days=30.0))  # before any scan
    assert none["best_response_at_median_follow"] == "NE"
    for bad in (0.0, -1.0, math.nan):
        with pytest.raises(ValidationError, match="median_follow_days"):
            TrialRules(median_follow_days=bad)


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"pr_fraction": 1.5}, ValidationError, r"pr_fraction must be a fraction in \(0, 1\)"),
        ({"pr_fraction": "0.3"}, TypeError, r"pr_fraction must be .*, got str '0.3'"),
        ({"pd_fraction": 0.0}, ValidationError, r"pd_fraction must be a positive number"),
        ({"cr_diameter_mm": -1.0}, ValidationError, r"cr_diameter_mm must be a positive"),
        ({"min_sd_days": -42.0}, ValidationError, r"min_sd_days must be a number >= 0"),
        ({"pd_min_mm": math.nan}, ValidationError, r"pd_min_mm must be a number >= 0"),
        ({"diameter": 5}, TypeError, r"diameter must be a column name, got int 5"),
    ],
)
def test_every_endpoint_rule_is_checked(
    change: dict[str, object], error: type[Exception], message: str
) -> None:
    """Only scan_every_days and lethal_burden were checked: pr_fraction=1.5 (no response could
    be partial) or a rule given as text was taken and read wrong later (audit s51)."""
    with pytest.raises(error, match=rf"^endpoint rule {message}"):
        EndpointRules(**change)  # type: ignore[arg-type]


def test_an_endpoint_reducer_takes_rules_only() -> None:
    """EndpointReducer({'pr_fraction': 0.3}) was accepted and failed at the first patient."""
    from senotwin.analysis.endpoints import EndpointReducer

    with pytest.raises(TypeError, match=r"^rules must be EndpointRules\(...\), got dict "):
        EndpointReducer({"pr_fraction": 0.3})  # type: ignore[arg-type]
