"""Fast engine: a JIT-compiled right-hand side integrated by LSODA (SciPy ``odeint``).

The model's RHS is generated from its lowered expression trees and compiled with numba
(:mod:`senotwin.sim.codegen`) once per process and spec, so an evaluation costs microseconds and
each observable is computed once — unlike libRoadRunner, which inlines nested assignment rules
(115,000 expression nodes for the TME model) and needs ~25 s to load it. LSODA switches between
non-stiff and stiff (BDF) methods automatically with its own finite-difference Jacobian. Doses,
infusion changes, parameter steps and spec events restart the integration at their times, as in
the reference engine; rates see max(y, 0) for non-negative species and those species are
reported clipped at 0. Failures (excess work, non-finite values) come back as data.
"""

from __future__ import annotations

import threading
import time as _time
import warnings

import numpy as np
from scipy.integrate import ODEintWarning, odeint

from senotwin.model.compile import CompiledModel, compile_spec
from senotwin.sim.codegen import compiled_rhs
from senotwin.sim.engines import EngineOutput, EngineRun, begin_segment
from senotwin.sim.result import SolverStats, Status

MAX_STEPS = 200_000
SUCCESS = "Integration successful."
# LSODA keeps its state in Fortran COMMON blocks: one integration at a time per process.
_LSODA_LOCK = threading.Lock()


def run_fast(run: EngineRun) -> EngineOutput:
    """Integrate one run piece-wise with the compiled RHS and LSODA."""
    started = _time.perf_counter()
    comp = compile_spec(run.flat.spec)
    rhs = compiled_rhs(run.flat).fn
    p = run.p.copy()
    y = run.y0.copy()
    n_s = len(y)
    clip = comp.clip
    times: list[np.ndarray] = []
    blocks: list[np.ndarray] = []
    nfev = njev = 0
    status: Status = "success"
    message = "integration successful"
    for k, seg in enumerate(run.segments):
        start = begin_segment(comp, run, k, y, p)
        y, p, u, pts = start.y, start.p, start.u, start.points
        if seg.end > seg.start:
            grid = np.unique(np.concatenate([[seg.start], pts, [seg.end]]))
            with _LSODA_LOCK, warnings.catch_warnings():
                warnings.simplefilter("ignore", ODEintWarning)
                sol, info = odeint(
                    rhs,
                    y,
                    grid,
                    args=(p, u, clip),
                    rtol=run.rtol,
                    atol=run.atol,
                    mxstep=MAX_STEPS,
                    full_output=True,
                    printmessg=False,
                )
            nfev += int(info["nfe"][-1]) if len(info["nfe"]) else 0
            njev += int(info["nje"][-1]) if len(info["nje"]) else 0
            if info["message"] != SUCCESS or not np.all(np.isfinite(sol)):
                status = "failed"
                why = info["message"] if info["message"] != SUCCESS else _nonfinite(comp, sol)
                message = f"integration failed in [{seg.start:g}, {seg.end:g}] day: {why}"
                break
            keep = np.isin(grid, pts)
            ys = sol[keep].T
            ys = np.where(clip[:, None], np.maximum(ys, 0.0), ys)
            times.append(pts)
            blocks.append(np.vstack([ys, comp.observable_table(pts, ys, p)]).T)
            y = sol[-1].copy()
        elif pts.size:
            yc = np.repeat(y[:, None], pts.size, 1)
            times.append(pts)
            blocks.append(np.vstack([yc, comp.observable_table(pts, yc, p)]).T)
    t_all = np.concatenate(times) if times else np.zeros(0)
    n_cols = n_s + len(comp.flat.observables)
    v_all = np.concatenate(blocks, axis=0) if blocks else np.zeros((0, n_cols))
    stats = SolverStats(
        segments=len(run.segments),
        rhs_evaluations=nfev,
        jacobian_evaluations=njev,
        wall_seconds=_time.perf_counter() - started,
    )
    return EngineOutput(t_all, v_all, status, message, stats, "lsoda+numba")


def _nonfinite(comp: CompiledModel, sol: np.ndarray) -> str:
    """Which species went non-finite first (sol: times x species)."""
    row, col = np.argwhere(~np.isfinite(sol))[0]
    return f"species {comp.species[col]!r} became {sol[row, col]} (non-finite value)"
