"""scripts/sen_escape_prototype.py: the transform adds ``k_sen_esc`` (derived from Roberson 2005's
1 in 1e6 within 10 days) and one process moving cancer-origin early senescent cells back to C
(nothing else); at rate 0 runs equal the shipped model's and a larger rate moves Sce into C
(session 29 esc)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from senotwin.model.qsp import load_mouse_qsp, load_qsp
from senotwin.sim.options import SolverOptions
from senotwin.sim.scenario import run_scenario
from tests.scripts_loader import load_script

SCRIPT = load_script("sen_escape_prototype")


@pytest.fixture
def restore() -> Iterator[None]:
    yield
    SCRIPT.uninstall()


def test_transform_adds_the_derived_rate_and_one_escape_process() -> None:
    shipped = load_qsp()
    old, new = shipped.model_dump(), SCRIPT.escaped(shipped).model_dump()
    added = [p for p in new["parameters"] if p not in old["parameters"]]
    assert [p["id"] for p in added] == [SCRIPT.PARAMETER]
    assert added[0]["value"] == pytest.approx(1.0e-7, rel=1e-6)  # -ln(1 - 1e-6) / 10 days
    assert added[0]["provenance"]["kind"] == "derived"
    processes = [p for p in new["processes"] if p not in old["processes"]]
    assert [p["stoichiometry"] for p in processes] == [{"Se": -1.0, "Sce": -1.0, "C": 1.0}]
    for key in ("species", "observables", "events"):
        assert new[key] == old[key]


def test_install_reaches_the_loaders(restore: None) -> None:
    SCRIPT.install(0.0)
    assert load_qsp().parameter(SCRIPT.PARAMETER).value == 0.0
    assert SCRIPT.PROCESS in {p.id for p in load_mouse_qsp().processes}
    SCRIPT.uninstall()
    assert SCRIPT.PARAMETER not in load_qsp().parameter_ids


def test_equal_at_rate_zero_and_escape_moves_sce_into_c(restore: None) -> None:
    solver = SolverOptions(engine="fast", t_eval=np.arange(0.0, 61.0, 1.0))
    shipped = run_scenario("default", days=60.0, solver=solver).table
    SCRIPT.install(0.0)
    zero = run_scenario("default", days=60.0, solver=solver).table
    for col in ("V_T", "C", "Se", "Sce"):
        np.testing.assert_allclose(zero[col], shipped[col], rtol=1e-6)
    SCRIPT.install(1.0e-3)  # the range's top, far above the measured rate
    fast = run_scenario("default", days=60.0, solver=solver).table
    assert fast["Sce"].iloc[-1] < zero["Sce"].iloc[-1]
    assert fast["C"].iloc[-1] > zero["C"].iloc[-1]
