"""scripts/stress_decay_profile.py and the MONET1 problem it shares with chemo_split_fit: a
d_stress given as a what-if must set the course total, not only the simulation."""

from __future__ import annotations

import sys

import pytest

from tests.scripts_loader import SCRIPTS, load_script, sibling_imports


@pytest.fixture(scope="module")
def scripts():
    sys.path.insert(0, str(SCRIPTS))  # the scripts import each other by module name
    try:
        yield load_script("chemo_split_fit"), load_script("stress_decay_profile")
    finally:
        sys.path.remove(str(SCRIPTS))


def test_a_given_d_stress_spreads_the_same_cited_loss(scripts) -> None:
    split_fit, _ = scripts
    fast = split_fit.Problem("aged_lung_untreated", {"d_stress": 0.2}, engine="fast")
    slow = split_fit.Problem("aged_lung_untreated", {"d_stress": 0.05}, engine="fast")
    assert fast.d_stress == 0.2 and slow.d_stress == 0.05
    early_fast = fast.effect(split_fit.CITED_LOSS, 0.3)[0]
    early_slow = slow.effect(split_fit.CITED_LOSS, 0.3)[0]
    # the same per-course loss, delivered faster when the exposure decays faster
    assert early_fast < early_slow < 0.0


def test_holding_both_rates_fits_the_share_alone(scripts) -> None:
    _, profile = scripts
    sp = profile.StressProblem("aged_lung_untreated", "fast")
    share, sse = sp.best_split(0.2, 1.0)
    held, sse_held = sp.fit([0.0], {"d_stress": 0.2, "k_clear_dead": 1.0})
    assert held["d_stress"] == 0.2 and held["k_clear_dead"] == 1.0
    assert held["s"] == pytest.approx(share, abs=2e-3)
    assert sse_held == pytest.approx(sse, rel=1e-3)
    assert 0.0 < share < 1.0 and sse < sp.sse(0.2, 1.0, 0.9)


def test_a_held_parameter_reaches_both_arms(scripts) -> None:
    _, profile = scripts
    base = profile.StressProblem("aged_lung_untreated", "fast")
    held = profile.StressProblem("aged_lung_untreated", "fast", {"w_il6_growth": 0.0})
    assert held.problem(0.2, 1.0).params["w_il6_growth"] == 0.0
    # without the SASP's IL-6 growth boost the course's senescent cells no longer slow the
    # regrowth, so the same (d_stress, clearance, share) fits the course differently
    assert held.sse(0.2, 1.0, 0.3) != pytest.approx(base.sse(0.2, 1.0, 0.3), rel=1e-3)


def test_profile_ends_interpolate_and_say_open() -> None:
    with sibling_imports():
        prof = load_script("monet_parameter_profile")
    values = [1.0, 2.0, 4.0, 8.0]
    # minimum at the first value: the lower end is open, the upper end sits where the excess
    # crosses zero, log-linearly between 2 and 4
    lo, hi = prof.ends(values, [-1.92, -1.0, 1.0, 3.0])
    assert lo == "open" and float(hi) == pytest.approx(2.0 * 2**0.5, rel=1e-3)
    assert prof.ends(values, [1.0, -1.92, -1.0, 2.0]) == ("1.27", "5.04")  # 2^0.342, 4 x 2^(1/3)
