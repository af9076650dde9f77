"""scripts/liu2019_predictive_check.py: the statistics the liu2019 fit scores, read alike from a
virtual cohort and from the observed one, and predictive p-values that see a misfit."""

from __future__ import annotations

import pytest

from senotwin.calibrate.sample import shipped_ensemble
from tests.scripts_loader import load_script

ppc = load_script("liu2019_predictive_check")


def _curve(rates: dict[float, float]) -> dict:
    return {"landmarks": [{"month": m, "survival": s, "se": 0.05} for m, s in rates.items()]}


def _stats(observed: bool, cr: int) -> dict:
    tertiles = [{"tertile": k, "responders": 10 + k, "n": 25} for k in range(3)]
    return {
        ("cd8_score" if observed else "tertiles"): (
            {"tertiles": tertiles} if observed else tertiles
        ),
        "recist": {"CR": cr, "PR": 20 - cr, "SD": 10, "PD": 40},
        "pfs": _curve({3.0: 0.6, 6.0: 0.5, 12.0: 0.4}),
        "os": _curve({12.0: 0.75, 24.0: 0.55}),
    }


def test_statistics_are_read_alike_from_simulated_and_observed_cohorts() -> None:
    sim, obs = ppc.statistics(_stats(False, 5), False), ppc.statistics(_stats(True, 5), True)
    assert sim.keys() == obs.keys()
    assert obs["ORR"] == (20 / 70, 70) and obs["CR among responders"] == (0.25, 20)
    assert obs["SD among non-responders"] == (10 / 50, 50)
    assert obs["response, CD8 tertile 3"] == (12 / 25, 25)
    assert obs["OS at 24 months"] == (0.55, 0.05)


def test_predictive_p_values_see_a_misfit() -> None:
    """Draws that match the observed statistics give large p; a CR share four times lower than
    observed gives p near 0 there and leaves the others alone."""
    obs = ppc.statistics(_stats(True, 8), True)
    same = [ppc.statistics(_stats(False, 8), False)] * 10
    rows = {r["statistic"]: r for r in ppc.predictive(same, obs, seed=0)}
    assert all(r["p_two_sided"] > 0.3 for r in rows.values())
    low = [ppc.statistics(_stats(False, 2), False)] * 10
    rows = {r["statistic"]: r for r in ppc.predictive(low, obs, seed=0)}
    assert rows["CR among responders"]["p_two_sided"] < 0.01
    assert rows["ORR"]["p_two_sided"] > 0.3
    lo, mid, hi = rows["CR among responders"]["predictive_5_50_95"]
    assert lo <= mid <= hi < obs["CR among responders"][0]


def test_draws_carry_the_held_quantities() -> None:
    values = ppc.draw_values(100)
    held = dict(shipped_ensemble().provenance.get("fixed") or {})
    assert len(values) == -(-len(shipped_ensemble().table) // 100)
    for v in values:
        assert {pid: v[pid] for pid in held} == pytest.approx(held)
        assert "s_il8_C" not in v and "k_kill.centre" in v
