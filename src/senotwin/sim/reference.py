"""Reference engine: SciPy ``solve_ivp`` (LSODA by default, or BDF/Radau) on the numpy RHS.

Readable and obviously correct rather than fast. The Jacobian is the solver's own finite-
difference approximation. Rates are evaluated at max(y, 0) for non-negative species and the
reported states of those species are clipped at 0 (a stiff solver can undershoot by ~atol).
Doses, infusion changes, parameter steps and spec events restart the solver at their times.
A run that blows up or stalls stops with status "failed"; rows of the failed segment are lost.
"""

from __future__ import annotations

import time as _time
import warnings
from collections.abc import Callable

import numpy as np
from scipy.integrate import solve_ivp

from senotwin.model.compile import CompiledModel, compile_spec
from senotwin.sim.engines import EngineOutput, EngineRun, begin_segment
from senotwin.sim.result import SolverStats, Status

DEFAULT_METHOD = "LSODA"
MAX_RHS_EVALUATIONS = 2_000_000


class _Diverged(ArithmeticError):
    """Raised inside the RHS to stop a run that blew up or stalled."""


def _guarded(model: CompiledModel, budget: list[int]) -> Callable[..., np.ndarray]:
    """The RHS with a finiteness check and an evaluation budget (a stalled LSODA never ends)."""

    def rhs(t: float, y: np.ndarray, p: np.ndarray, u: np.ndarray) -> np.ndarray:
        budget[0] += 1
        if budget[0] > MAX_RHS_EVALUATIONS:
            raise _Diverged(f"more than {MAX_RHS_EVALUATIONS} right-hand-side evaluations")
        dy = model.rhs(t, y, p, u)
        if not np.all(np.isfinite(dy)):
            name = model.species[int(np.flatnonzero(~np.isfinite(dy))[0])]
            raise _Diverged(
                f"non-finite derivative of species {name!r} at t={t:g} day (the state blew up)"
            )
        return dy

    return rhs


def run_reference(run: EngineRun) -> EngineOutput:
    """Integrate one run piece-wise with SciPy; failures come back as status 'failed'."""
    started = _time.perf_counter()
    model = compile_spec(run.flat.spec)
    method = run.method or DEFAULT_METHOD
    p = run.p.copy()
    y = run.y0.copy()
    n_s = len(y)
    times: list[np.ndarray] = []
    blocks: list[np.ndarray] = []
    nfev = njev = nlu = 0
    status: Status = "success"
    message = "integration successful"
    budget = [0]
    rhs = _guarded(model, budget)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for k, seg in enumerate(run.segments):
            start = begin_segment(model, run, k, y, p)
            y, p, u, pts = start.y, start.p, start.u, start.points
            if seg.end > seg.start:
                grid = np.unique(np.concatenate([pts, [seg.start, seg.end]]))
                try:
                    sol = solve_ivp(
                        rhs,
                        (seg.start, seg.end),
                        y,
                        method=method,
                        t_eval=grid,
                        args=(p, u),
                        rtol=run.rtol,
                        atol=run.atol,
                    )
                except (ValueError, ArithmeticError, RuntimeError) as exc:
                    status = "failed"
                    message = f"integration failed in [{seg.start:g}, {seg.end:g}] day: {exc}"
                    break
                nfev += int(sol.nfev)
                njev += int(sol.njev)
                nlu += int(sol.nlu)
                done = sol.t
                ys = sol.y
                keep = np.isin(done, pts)
                ok = sol.status == 0 and np.all(np.isfinite(ys))
                if not ok:
                    finite = np.all(np.isfinite(ys), axis=0)
                    keep &= np.cumprod(finite).astype(bool)
                    times.append(done[keep])
                    blocks.append(_with_observables(model, done[keep], ys[:, keep], p))
                    last_t = done[finite][-1] if finite.any() else seg.start
                    status = "failed"
                    message = f"integration failed near t={last_t:g} day: {sol.message}"
                    break
                times.append(done[keep])
                blocks.append(_with_observables(model, done[keep], ys[:, keep], p))
                y = ys[:, -1].copy()
            elif pts.size:
                times.append(pts)
                blocks.append(_with_observables(model, pts, np.repeat(y[:, None], pts.size, 1), p))
    t_all = np.concatenate(times) if times else np.zeros(0)
    n_cols = n_s + len(model.flat.observables)
    v_all = np.concatenate(blocks, axis=0) if blocks else np.zeros((0, n_cols))
    stats = SolverStats(
        segments=len(run.segments),
        rhs_evaluations=nfev,
        jacobian_evaluations=njev,
        lu_decompositions=nlu,
        wall_seconds=_time.perf_counter() - started,
    )
    return EngineOutput(t_all, v_all, status, message, stats, f"scipy.{method}")


def _with_observables(
    model: CompiledModel, t: np.ndarray, ys: np.ndarray, p: np.ndarray
) -> np.ndarray:
    ys = np.where(model.clip[:, None], np.maximum(ys, 0.0), ys)
    obs = model.observable_table(t, ys, p)
    return np.vstack([ys, obs]).T
