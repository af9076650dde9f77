"""scripts/tumour_cd8_exit_prototype.py: the transform adds ``k_out_T`` (assumed) and one
antigen-gated exit per tumour CD8 species (nothing else), at rate 0 runs equal the shipped
model's, and with the rate the tumour CD8 of a cleared lesion fall faster (session 27 exit)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from senotwin.model.qsp import load_mouse_qsp, load_qsp
from senotwin.sim.options import SolverOptions
from senotwin.sim.scenario import run_scenario
from tests.scripts_loader import load_script

SCRIPT = load_script("tumour_cd8_exit_prototype")
CD8 = ("T8", "T8x", "T8r", "T8t")


@pytest.fixture
def restore() -> Iterator[None]:
    yield
    SCRIPT.uninstall()


def test_transform_adds_an_assumed_rate_and_one_exit_per_tumour_cd8() -> None:
    shipped = load_qsp()
    old, new = shipped.model_dump(), SCRIPT.exited(shipped).model_dump()
    added = [p for p in new["parameters"] if p not in old["parameters"]]
    assert [p["id"] for p in added] == [SCRIPT.PARAMETER]
    assert added[0]["value"] == 0.5
    assert added[0]["provenance"]["kind"] == "assumed"
    processes = [p for p in new["processes"] if p not in old["processes"]]
    assert [p["stoichiometry"] for p in processes] == [{x: -1.0} for x in CD8]
    assert all("(1 - C / (C + K_ag))" in p["expression"] for p in processes)
    for key in ("species", "observables", "events"):
        assert new[key] == old[key]


def test_install_reaches_every_loader_and_stacks_the_lesion(restore: None) -> None:
    SCRIPT.install(0.0, with_lesion=True)
    assert load_qsp().parameter(SCRIPT.PARAMETER).value == 0.0
    assert "V_lesion" in load_mouse_qsp().observable_ids
    SCRIPT.uninstall()
    assert SCRIPT.PARAMETER not in load_qsp().parameter_ids


def _cleared(days: float = 27.0) -> np.ndarray:
    """Tumour CD8 of a mouse EMT6 lesion with 1e6 effectors and its cancer cells gone (C 1 cell)."""
    solver = SolverOptions(engine="fast", t_eval=np.arange(0.0, days + 1.0, 1.0))
    t = run_scenario(
        "mouse_emt6_isotype", overrides={"C": 1.0, "T8": 1.0e6}, days=days, solver=solver
    ).table
    return t[list(CD8)].sum(axis=1).to_numpy()


def test_equal_at_rate_zero_and_cleared_lesions_lose_their_cd8_faster(restore: None) -> None:
    solver = SolverOptions(engine="fast", t_eval=np.arange(0.0, 28.0, 1.0))
    shipped = run_scenario("mouse_emt6_anti_pdl1", days=27.0, solver=solver).table
    base = _cleared()
    SCRIPT.install(0.0)
    zero = run_scenario("mouse_emt6_anti_pdl1", days=27.0, solver=solver).table
    for col in ("diameter", "V_T", *CD8, "C"):
        np.testing.assert_allclose(zero[col], shipped[col], rtol=1e-6)
    np.testing.assert_allclose(_cleared(), base, rtol=1e-6)
    SCRIPT.install()  # the assumed 0.5/day
    fast = _cleared()
    assert fast[-1] < 0.1 * base[-1]  # antigen gone: the exit dominates d_T8
