"""The generated analytic Jacobian equals the derivative of the generated right-hand side, and
the integrator falls back to finite differences where there is none or it is not finite."""

from __future__ import annotations

import numpy as np
import pytest

from senotwin.model import get_scenario, load_fixture
from senotwin.model.compile import flatten
from senotwin.model.io import spec_from_dict
from senotwin.model.scenarios import scenario_names
from senotwin.model.spec import ModelSpec
from senotwin.sim import codegen, simulate
from senotwin.sim.codegen import compiled_fast

from .test_codegen import every_rule

ASSUMED = {"kind": "assumed", "rationale": "test value"}


def _par(pid: str, value: float) -> dict[str, object]:
    return {"id": pid, "value": value, "unit": "1", "provenance": ASSUMED}


def smooth_rules() -> ModelSpec:
    """Every construct the Jacobian generator differentiates: + - * / **, unary minus, exp,
    log, sqrt, hill with n = 1 and n = 2.5, min/max, time, chained observables."""
    return spec_from_dict(
        {
            "id": "smooth_rules",
            "species": [
                {"id": "A", "unit": "1", "initial": 1.5},
                {"id": "B", "unit": "1", "initial": 0.7},
                {"id": "C", "unit": "1", "initial": 2.0, "non_negative": False},
            ],
            "parameters": [_par("k", 0.3), _par("K", 1.2), _par("n", 2.5)],
            "observables": [
                {"id": "h", "expression": "hill(A + B, K, n)"},
                {"id": "q", "expression": "exp(-B) * log(1 + A) + sqrt(A * B) - A / (1 + B ** 2)"},
                {"id": "w", "expression": "min(A, B, 2 * C) + max(h, q) - (-C) ** 2 + A ** 1.7"},
            ],
            "processes": [
                {"id": "p1", "expression": "k * h * q", "stoichiometry": {"A": -1, "B": 2}},
                {"id": "p2", "expression": "k * w * (1 + 0.01 * time)", "stoichiometry": {"C": 1}},
                {
                    "id": "p3",
                    "expression": "hill(B, 0.5, 1) * C / (A + 1) / K",
                    "stoichiometry": {"A": 1, "C": -0.5},
                },
            ],
        }
    )


def _central(comp: codegen.CompiledFast, y: np.ndarray, p: np.ndarray, rel: float) -> np.ndarray:
    """Central differences of the compiled right-hand side, column by column (step ``rel``
    relative to the species)."""
    n = y.size
    u, up, down = np.zeros(n), np.empty(n), np.empty(n)
    out = np.zeros((n, n))
    for j in range(n):
        step = rel * max(abs(y[j]), 1e-3)
        hi, lo = y.copy(), y.copy()
        hi[j] += step
        lo[j] -= step
        comp.rhs(0.5, hi, p, u, up)
        comp.rhs(0.5, lo, p, u, down)
        out[:, j] = (up - down) / (hi[j] - lo[j])
    return out


def _check(spec: ModelSpec, states: int = 5, seed: int = 1) -> int:
    """Largest relative deviation of the analytic Jacobian from central differences at states
    scattered around the initial one (entries compared against their row's scale); returns
    the number of states checked (0 when the model has no analytic Jacobian)."""
    flat = flatten(spec)
    comp = compiled_fast(flat)
    p = np.array(flat.values, dtype=float)
    y0 = np.array(flat.initial, dtype=float)
    scale = np.where(np.abs(y0) > 0, np.abs(y0), 1.0)
    rng = np.random.default_rng(seed)
    n = y0.size
    for k in range(states):
        y = scale * rng.uniform(0.5, 1.5, size=n)
        jmat = np.zeros((n, n))
        if not comp.jacobian(0.5, y, p, np.zeros(n), jmat):
            return k
        # central differences lose digits to rounding where large rates cancel (the qsp
        # model's T8b row, de Pillis' T ~ 1e6; its NK row against species near one cell, where
        # even a 3 % step is rounding-bound: hence the 10 % step) and to truncation at large
        # steps: each entry is compared with the closest of six steps (a wrong derivative rule is
        # off at all)
        devs = []
        for rel in (1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 1e-4):
            ref = _central(comp, y, p, rel)
            floor = 1e-7 * np.abs(ref).max(axis=1, keepdims=True) + 1e-300
            devs.append(np.abs(jmat - ref) / (np.abs(ref) + floor))
        dev = np.min(devs, axis=0)
        assert dev.max() < 1e-4, (spec.id, np.unravel_index(dev.argmax(), dev.shape))
    return states


def test_the_analytic_jacobian_is_the_derivative_of_every_differentiated_construct() -> None:
    assert _check(smooth_rules(), states=20) == 20


@pytest.mark.parametrize("name", ["kuznetsov1994", "depillis2005", "karin2019"])
def test_the_fixture_models_jacobians_match_central_differences(name: str) -> None:
    assert _check(load_fixture(name)) == 5


def test_every_scenario_gets_a_jacobian_equal_to_central_differences_or_none() -> None:
    """Every scenario's model (the qsp model's human and mouse contexts, the legacy model):
    the analytic Jacobian where generated; the legacy model is too large and keeps finite
    differences."""
    seen: dict[str, int] = {}
    for name in scenario_names():
        sc = get_scenario(name)
        spec = sc.load()
        digest = spec.digest()
        if digest not in seen:
            seen[digest] = _check(spec, states=2)
        if name == "default":
            assert seen[digest] == 2
        if name == "legacy_default":
            assert seen[digest] == 0


def test_a_model_the_generator_does_not_differentiate_keeps_finite_differences() -> None:
    """hill() with a species in K and n and a species exponent: a stub, and the run's
    Jacobians are all finite differences (one RHS evaluation per column group)."""
    flat = flatten(every_rule())
    assert "def jac_q(t, y, p, u, jmat):\n    return False" in codegen.fast_source(flat)
    res = simulate(every_rule(), t_end=5.0, engine="fast", rtol=1e-8, atol=1e-10)
    assert res.ok, res.message
    groups = len(codegen.jacobian_groups(flat)[1]) - 1
    steps = res.stats.jacobian_evaluations
    assert res.stats.rhs_evaluations > steps * (groups + 1)


def _root_decay() -> ModelSpec:
    """dA/dt = -k sqrt(B) + ..., B starting at exactly 0: d sqrt(B)/dB is infinite there."""
    return spec_from_dict(
        {
            "id": "root_decay",
            "species": [
                {"id": "A", "unit": "1", "initial": 1.0},
                {"id": "B", "unit": "1", "initial": 0.0},
            ],
            "parameters": [_par("k", 0.3)],
            "processes": [
                {"id": "a_out", "expression": "k * A", "stoichiometry": {"A": -1, "B": 1}},
                {"id": "b_out", "expression": "k * sqrt(B)", "stoichiometry": {"B": -1}},
            ],
        }
    )


def test_a_non_finite_analytic_entry_sends_that_step_to_finite_differences() -> None:
    flat = flatten(_root_decay())
    comp = compiled_fast(flat)
    jmat = np.zeros((2, 2))
    p = np.array(flat.values)
    comp.jacobian(0.0, np.array([1.0, 0.0]), p, np.zeros(2), jmat)
    assert not np.isfinite(jmat[1, 1])
    res = simulate(_root_decay(), t_end=10.0, engine="fast", rtol=1e-8, atol=1e-10)
    ref = simulate(_root_decay(), t_end=10.0, engine="reference", rtol=1e-10, atol=1e-12)
    assert res.ok, res.message
    np.testing.assert_allclose(res.table["A"], ref.table["A"], rtol=1e-6)
    # the first step differenced its Jacobian (2 columns: 2 evaluations more than analytic)
    assert res.stats.rhs_evaluations > 8 * res.stats.jacobian_evaluations


def test_the_analytic_jacobian_saves_the_finite_difference_evaluations() -> None:
    """One RHS evaluation per stage and one per accepted step: no column differences."""
    sc = get_scenario("default")
    res = simulate(
        sc.load(), params=dict(sc.params), initial=dict(sc.initial), t_end=365.0, engine="fast"
    )
    assert res.ok, res.message
    # ~8 RHS evaluations per Jacobian on this trajectory (737 / 92 on main c546ba1, exactly at the
    # old bound 8 x jac + 1; 752 / 93 once k_tis was calibrated); a differenced Jacobian would
    # add one evaluation per species (17) to each, so 9 per Jacobian still tells them apart
    assert res.stats.rhs_evaluations <= 9 * res.stats.jacobian_evaluations
