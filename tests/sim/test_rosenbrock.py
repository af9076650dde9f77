"""The fast engine's Rodas5P integrator: linear algebra (dense and static sparse LU), accuracy
on problems with known solutions (stiff, time-dependent) and dense output (failures as data:
tests/sim/test_simulate)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm

from senotwin.model.io import spec_from_dict
from senotwin.model.spec import ModelSpec
from senotwin.sim import simulate
from senotwin.sim.rosenbrock import (
    PIVOT_TOL,
    lu_factor,
    lu_solve,
    lu_structure,
    sparse_lu_factor,
    sparse_lu_solve,
)

ASSUMED = {"kind": "assumed", "rationale": "test value"}


def _par(pid: str, value: float) -> dict[str, object]:
    return {"id": pid, "value": value, "unit": "1", "provenance": ASSUMED}


def stiff_linear() -> ModelSpec:
    """x' = -1000 x + 999 y, y' = -y: eigenvalues -1000 and -1 (stiffness ratio 1000)."""
    return spec_from_dict(
        {
            "id": "stiff_linear",
            "species": [
                {"id": "x", "unit": "1", "initial": 2.0},
                {"id": "y", "unit": "1", "initial": 1.0},
            ],
            "parameters": [_par("a", 1000.0), _par("b", 999.0), _par("c", 1.0)],
            "processes": [
                {"id": "px", "expression": "b * y - a * x", "stoichiometry": {"x": 1}},
                {"id": "py", "expression": "c * y", "stoichiometry": {"y": -1}},
            ],
        }
    )


def forced() -> ModelSpec:
    """z' = exp(-t): z = 1 - exp(-t) (the rate reads model time)."""
    return spec_from_dict(
        {
            "id": "forced",
            "species": [{"id": "z", "unit": "1", "initial": 0.0}],
            "parameters": [_par("one", 1.0)],
            "processes": [
                {"id": "in", "expression": "one * exp(-time)", "stoichiometry": {"z": 1}}
            ],
        }
    )


def test_lu_matches_numpy_including_a_pivot() -> None:
    rng = np.random.default_rng(0)
    for a in (rng.normal(size=(7, 7)), np.array([[0.0, 2.0, 1.0], [1.0, 1.0, 0.0], [3.0, 0, 1]])):
        b = rng.normal(size=a.shape[0])
        lu, piv, x = a.copy(), np.zeros(a.shape[0], dtype=np.int64), b.copy()
        assert lu_factor(lu, piv)
        lu_solve(lu, piv, x)
        np.testing.assert_allclose(x, np.linalg.solve(a, b), rtol=1e-10)


def test_lu_reports_a_singular_matrix() -> None:
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    assert not lu_factor(a, np.zeros(2, dtype=np.int64))


def _columns(pattern: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows, rptr): the rows of each column's nonzeros, as the integrator's Jacobian layout."""
    rows = [np.flatnonzero(pattern[:, j]) for j in range(pattern.shape[1])]
    rptr = np.cumsum([0, *(len(r) for r in rows)]).astype(np.int64)
    return np.concatenate(rows).astype(np.int64), rptr


def test_sparse_lu_orders_an_arrow_matrix_without_fill_in_and_solves_it() -> None:
    """Row and column 0 full (an 'arrow'): pivoting on 0 first would fill the whole matrix;
    the Markowitz order takes it (nearly) last, so the factors keep the pattern."""
    n = 6
    pattern = np.eye(n, dtype=bool)
    pattern[0, :] = pattern[:, 0] = True
    rows, rptr = _columns(pattern)
    order, lptr, lrows, uptr, ucols = lu_structure(n, rows, rptr)
    assert list(order).index(0) >= n - 2  # the full row and column among the last two
    assert len(lrows) + len(ucols) + n == pattern.sum()  # no fill-in
    rng = np.random.default_rng(1)
    a = np.where(pattern, rng.normal(size=(n, n)), 0.0) + 4.0 * np.eye(n)
    b = rng.normal(size=n)
    lu, dinv, x = a.copy(), np.zeros(n), b.copy()
    assert sparse_lu_factor(lu, order, lptr, lrows, uptr, ucols, dinv)
    sparse_lu_solve(lu, order, lptr, lrows, uptr, ucols, dinv, x)
    np.testing.assert_allclose(x, np.linalg.solve(a, b), rtol=1e-12)


def test_sparse_lu_records_fill_in_and_refuses_a_small_pivot() -> None:
    # a cycle 0 -> 1 -> 2 -> 0: eliminating any pivot first fills one entry
    pattern = np.eye(3, dtype=bool) | np.roll(np.eye(3, dtype=bool), 1, axis=1)
    rows, rptr = _columns(pattern)
    order, lptr, lrows, uptr, ucols = lu_structure(3, rows, rptr)
    assert len(lrows) + len(ucols) + 3 == pattern.sum() + 1
    a = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.0, 4.0]])
    b = np.array([1.0, -2.0, 0.5])
    lu, dinv, x = a.copy(), np.zeros(3), b.copy()
    assert sparse_lu_factor(lu, order, lptr, lrows, uptr, ucols, dinv)
    sparse_lu_solve(lu, order, lptr, lrows, uptr, ucols, dinv, x)
    np.testing.assert_allclose(x, np.linalg.solve(a, b), rtol=1e-12)
    # a pivot below PIVOT_TOL x its column: the caller must pivot (dense LU)
    small = np.array([[0.5 * PIVOT_TOL, 1.0], [1.0, 1.0]])
    rows, rptr = _columns(np.ones((2, 2), dtype=bool))
    structure = lu_structure(2, rows, rptr)
    assert not sparse_lu_factor(small, *structure, np.zeros(2))


@pytest.mark.parametrize(("rtol", "bound", "steps"), [(1e-6, 1e-5, 200), (1e-10, 1e-8, 1200)])
def test_stiff_linear_system_matches_the_matrix_exponential(
    rtol: float, bound: float, steps: int
) -> None:
    grid = np.linspace(0.0, 5.0, 51)
    res = simulate(stiff_linear(), t_end=5.0, t_eval=grid, engine="fast", rtol=rtol, atol=1e-12)
    assert res.ok, res.message
    mat = np.array([[-1000.0, 999.0], [0.0, -1.0]])
    exact = np.array([expm(mat * t) @ [2.0, 1.0] for t in grid])
    got = res.table[["x", "y"]].to_numpy()
    assert np.max(np.abs(got - exact) / np.abs(exact)) < bound
    # one Jacobian per step; an explicit method needs > 2,500 steps here (stability: h < 2/1000)
    assert res.stats.jacobian_evaluations < steps


def test_time_dependent_rate_and_dense_output() -> None:
    grid = np.linspace(0.0, 10.0, 1001)  # many output points per step: interpolated
    res = simulate(forced(), t_end=10.0, t_eval=grid, engine="fast", rtol=1e-8, atol=1e-12)
    assert res.ok, res.message
    np.testing.assert_allclose(res.table["z"], 1.0 - np.exp(-grid), rtol=1e-6, atol=1e-10)
    assert res.stats.jacobian_evaluations < 200  # far fewer steps than output points


def test_dense_output_is_as_accurate_inside_long_steps_as_at_their_ends() -> None:
    """Rodas5P's own 4th-order dense output: a cubic Hermite interpolant through its ~35 steps
    was 100x off at rtol 1e-6 (3.6e-5 relative) at the 1001 output times."""
    grid = np.linspace(0.0, 5.0, 1001)
    res = simulate(stiff_linear(), t_end=5.0, t_eval=grid, engine="fast", rtol=1e-6, atol=1e-12)
    assert res.ok, res.message
    mat = np.array([[-1000.0, 999.0], [0.0, -1.0]])
    exact = np.array([expm(mat * t) @ [2.0, 1.0] for t in grid])
    np.testing.assert_allclose(res.table[["x", "y"]].to_numpy(), exact, rtol=2e-6)
    assert res.stats.jacobian_evaluations < 50  # 35 steps (RODAS4 took 81)


def zero_stress_feeds_cells() -> ModelSpec:
    """A stress signal that stays exactly 0 gates a flow out of ~1e9 growing cells."""
    return spec_from_dict(
        {
            "id": "zero_stress",
            "species": [
                {"id": "s", "unit": "1", "initial": 0.0},
                {"id": "c", "unit": "1", "initial": 5.0e9},
                {"id": "x", "unit": "1", "initial": 0.0},
            ],
            "parameters": [_par("g", 0.007), _par("k", 0.3), _par("d", 0.05), _par("ds", 1.0)],
            "processes": [
                {"id": "decay", "expression": "ds * s", "stoichiometry": {"s": -1}},
                {"id": "grow", "expression": "g * c", "stoichiometry": {"c": 1}},
                {"id": "enter", "expression": "k * s * c", "stoichiometry": {"c": -1, "x": 1}},
                {"id": "die", "expression": "d * x", "stoichiometry": {"x": -1}},
            ],
        }
    )


def test_a_species_that_stays_zero_picks_up_no_rounding_from_cell_counts() -> None:
    """The stage matrix is pivoted in error-weighted variables: raw pivoting chose the cell row
    for the stress column and left ~1e-17 of rounding in the stress, which the ~1e9 cells grew
    into phantom cells in x (the no-senescence scenario showed 1e-7 senescent cells)."""
    grid = np.linspace(0.0, 365.0, 41)
    res = simulate(
        zero_stress_feeds_cells(), t_end=365.0, t_eval=grid, engine="fast", rtol=1e-9, atol=1e-12
    )
    assert res.ok, res.message
    assert np.all(res.table[["s", "x"]].to_numpy() == 0.0)
    np.testing.assert_allclose(res.table["c"], 5.0e9 * np.exp(0.007 * grid), rtol=1e-7)
