"""Fast engine: generated, JIT-compiled model functions integrated by a compiled RODAS4.

The model's right-hand side and observables are generated from its lowered
expression trees and compiled with numba (:mod:`senotwin.sim.codegen`) once per process and
model structure; the Rosenbrock integrator (:mod:`senotwin.sim.rosenbrock`) runs each segment
as machine code, so no Python runs between the start and the end of a segment. (libRoadRunner
inlines nested assignment rules — 115,000 expression nodes for the legacy TME model — and needs
~25 s to load it; here each observable is computed once per evaluation.) Doses, infusion changes,
parameter steps and spec events restart the integration at their times, as in the reference
engine; rates see max(y, 0) for non-negative species and those species are reported clipped at
0. Failures (excess work, non-finite values) come back as data with the rows of the segments
completed before the failing one (as in the other engines).
"""

from __future__ import annotations

import time as _time

import numpy as np

from senotwin.model.compile import CompiledModel, compile_spec
from senotwin.sim import rosenbrock as ros
from senotwin.sim.codegen import compiled_fast
from senotwin.sim.engines import EngineOutput, EngineRun, begin_segment
from senotwin.sim.result import SolverStats, Status

MAX_STEPS = 500_000  # step attempts per segment
METHOD = "rodas4+numba"
_WHY = {
    ros.TOO_MANY_STEPS: f"more than {MAX_STEPS} steps (excess work)",
    ros.STEP_TOO_SMALL: "step size too small (the solution changes faster than time resolves)",
    ros.SINGULAR: "the iteration matrix is repeatedly singular",
    ros.NON_FINITE: "the state became non-finite (it blew up)",
}


def run_fast(run: EngineRun) -> EngineOutput:
    """Integrate one run piece-wise with the compiled model and RODAS4."""
    started = _time.perf_counter()
    comp = compile_spec(run.flat.spec)
    fast = compiled_fast(run.flat)
    p = run.p.copy()
    y = run.y0.copy()
    n_s = len(y)
    n_cols = n_s + len(comp.flat.observables)
    clip = comp.clip
    out = np.empty((run.t_eval.size, n_cols))
    filled = 0
    planned: list[np.ndarray] = []
    counters = np.zeros(ros.N_STATS, dtype=np.int64)
    status: Status = "success"
    message = "integration successful"
    for k, seg in enumerate(run.segments):
        start = begin_segment(comp, run, k, y, p)
        y, p, u, pts = start.y, start.p, start.u, start.points
        planned.append(pts)
        view = out[filled : filled + pts.size]
        code, reached, rows = fast.integrate(
            y,
            seg.start,
            seg.end,
            pts,
            p,
            u,
            clip,
            fast.autonomous,
            run.rtol,
            run.atol,
            MAX_STEPS,
            view,
            counters,
        )
        if code != ros.OK:
            status = "failed"
            message = (
                f"integration failed in [{seg.start:g}, {seg.end:g}] day near t={reached:g}: "
                f"{_WHY[code]}"
            )
            break
        if not np.all(np.isfinite(y)):
            status = "failed"
            why = _nonfinite(comp, y)
            message = f"integration failed in [{seg.start:g}, {seg.end:g}] day: {why}"
            break
        filled += rows
    stats = SolverStats(
        segments=len(run.segments),
        rhs_evaluations=int(counters[ros.NFEV]),
        jacobian_evaluations=int(counters[ros.NJEV]),
        lu_decompositions=int(counters[ros.NLU]),
        wall_seconds=_time.perf_counter() - started,
    )
    times = np.concatenate(planned)[:filled] if planned else np.zeros(0)
    return EngineOutput(times, out[:filled], status, message, stats, METHOD)


def _nonfinite(comp: CompiledModel, y: np.ndarray) -> str:
    """Which species is non-finite."""
    col = int(np.flatnonzero(~np.isfinite(y))[0])
    return f"species {comp.species[col]!r} became {y[col]} (non-finite value)"
