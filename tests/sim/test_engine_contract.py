"""Contract every registered engine keeps: a run depends only on its own inputs.

Engines may cache compiled models between calls (the fast engine its JIT, libRoadRunner its
loaded instance), but nothing a run sets (infusion inputs, parameter steps, doses, state) may
leak into the next run (the infusion outlasts the run, so its input is still set when
B returns). Each engine runs A (plain), B (infusion, dose and step), then A again.
"""

from __future__ import annotations

import numpy as np
import pytest

from senotwin.model import load_fixture
from senotwin.sim import Dose, Infusion, Schedule, Step, engine_names, simulate

GRID = np.linspace(0.0, 40.0, 21)
BUSY = Schedule(
    doses=(Dose(5.0, "T", 1.0e6),),
    infusions=(Infusion(0.0, 100.0, "E", 2.0e5),),
    steps=(Step(10.0, "p", 0.2),),
)


def _run(engine: str, regimen: Schedule | None) -> np.ndarray:
    res = simulate(
        load_fixture("kuznetsov1994"),
        t_end=40.0,
        t_eval=GRID,
        regimen=regimen,
        engine=engine,
        rtol=1e-8,
        atol=1e-6,
    )
    assert res.ok, (engine, res.message)
    return res.table.drop(columns="time").to_numpy()


def test_every_builtin_engine_is_registered() -> None:
    assert {"reference", "fast", "roadrunner"} <= set(engine_names())


@pytest.mark.parametrize("engine", engine_names())
def test_a_run_after_a_busy_run_is_identical_to_the_first(engine: str) -> None:
    first = _run(engine, None)
    busy = _run(engine, BUSY)
    again = _run(engine, None)
    assert not np.allclose(busy, first)  # B really differs, so a leak would show
    np.testing.assert_array_equal(again, first)
