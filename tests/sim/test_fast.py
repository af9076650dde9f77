"""FastPlan: one prepared run integrated for many parameter vectors gives simulate()'s results."""

from __future__ import annotations

import numpy as np

from senotwin.model import load_fixture
from senotwin.model.compile import flatten
from senotwin.sim import Dose, Infusion, Schedule, Step, simulate
from senotwin.sim.fast import FastPlan
from senotwin.sim.inputs import plan, resolve

GRID = np.linspace(0.0, 40.0, 41)
BUSY = Schedule(
    doses=(Dose(5.0, "T", 1.0e6),),
    infusions=(Infusion(0.0, 100.0, "E", 2.0e5),),
    steps=(Step(10.0, "p", 0.2),),
)


def test_one_plan_many_vectors_equals_simulate_bit_for_bit() -> None:
    spec = load_fixture("kuznetsov1994")
    flat = flatten(spec)
    fast_plan = FastPlan(flat, plan(BUSY, [], 40.0), GRID, 1e-8, 1e-6)
    base = resolve(flat, params=None, initial=None, blocks=None, check_ranges=False)
    slot = flat.parameters.index("p")
    for p_value in (0.1, 0.3, 0.05):
        p = base.p.copy()
        p[slot] = p_value
        out = fast_plan.run(p, base.y0)
        ref = simulate(
            spec,
            params={"p": p_value},
            regimen=BUSY,
            t_end=40.0,
            t_eval=GRID,
            engine="fast",
            rtol=1e-8,
            atol=1e-6,
            check_ranges=False,
        )
        assert out.status == ref.status == "success"
        np.testing.assert_array_equal(out.times, ref.table["time"].to_numpy())
        order = [*flat.species, *(o for o, _ in flat.observables)]
        np.testing.assert_array_equal(out.values, ref.table[order].to_numpy())
    assert base.p[slot] == flat.values[slot]  # the plan never writes into its inputs


def test_start_check_is_one_compiled_call_and_names_the_quantity_when_it_fails() -> None:
    spec = load_fixture("kuznetsov1994")
    flat = flatten(spec)
    fast_plan = FastPlan(flat, plan(Schedule(), [], 40.0), GRID, 1e-8, 1e-6)
    base = resolve(flat, params=None, initial=None, blocks=None, check_ranges=False)
    n, u = len(flat.species), np.zeros(len(flat.species))
    n_obs = len(flat.observables)
    assert fast_plan.fast.start_finite(0.0, base.y0, base.p, u, n_obs)
    y_bad = base.y0.copy()
    y_bad[0] = np.nan
    assert not fast_plan.fast.start_finite(0.0, y_bad, base.p, u, n_obs)
    out = fast_plan.run(base.p, y_bad)
    assert out.status == "failed" and out.method == "not started"
    assert "is nan at t=0" in out.message and out.values.shape == (0, n + n_obs)
