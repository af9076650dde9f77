"""Fast engine: generated, JIT-compiled model functions integrated by a compiled Rodas5P.

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

:class:`FastPlan` holds everything about a run that does not depend on the parameter vector or
the initial state (compiled functions, segment starts, output times), so cohorts and validation
prepare an arm once and then integrate many patients with no per-run Python set-up.
"""

from __future__ import annotations

import time as _time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from senotwin.model.compile import CompiledModel, FlatModel, compile_spec
from senotwin.model.schedule import Schedule
from senotwin.sim import rosenbrock as ros
from senotwin.sim.codegen import CompiledFast, compiled_fast
from senotwin.sim.engines import EngineOutput, EngineRun, points_in
from senotwin.sim.inputs import Segment, resolve
from senotwin.sim.inputs import plan as plan_segments
from senotwin.sim.result import SolverStats, Status

MAX_STEPS = 500_000  # step attempts per segment
METHOD = "rodas5p+numba"
_WHY = {
    ros.TOO_MANY_STEPS: f"more than {MAX_STEPS} steps (excess work)",
    ros.STEP_TOO_SMALL: "step size too small (the solution changes faster than time resolves)",
    ros.SINGULAR: "the iteration matrix is repeatedly singular",
    ros.NON_FINITE: "the state became non-finite (it blew up)",
}


@dataclass(frozen=True)
class _Start:
    """What happens at a segment's start, as slots (same order of effects as begin_segment)."""

    start: float
    end: float
    steps: tuple[tuple[int, float], ...]  # parameter slot <- value
    u: np.ndarray  # infusion rates into each species
    events: bool
    jumps: tuple[tuple[int, float], ...]  # species slot += amount
    points: np.ndarray  # output times inside the segment


class FastPlan:
    """One run's structure — model, segments, output times, tolerances — prepared once;
    :meth:`run` integrates it for a parameter vector and an initial state.

    Results are those of ``run_fast`` on the same inputs, bit for bit (``run_fast`` is this).
    """

    def __init__(
        self,
        flat: FlatModel,
        segments: Sequence[Segment],
        t_eval: np.ndarray,
        rtol: float,
        atol: float,
    ) -> None:
        self.flat = flat
        self.comp: CompiledModel = compile_spec(flat.spec)
        self.fast: CompiledFast = compiled_fast(flat)
        self.segments = tuple(segments)
        self.t_eval = np.asarray(t_eval, dtype=float)
        self.rtol = float(rtol)
        self.atol = float(atol)
        s_idx = {s: i for i, s in enumerate(flat.species)}
        p_idx = {pid: i for i, pid in enumerate(flat.parameters)}
        n = len(flat.species)
        starts = []
        for k, seg in enumerate(self.segments):
            u = np.zeros(n)
            for sid, rate in seg.inputs:
                u[s_idx[sid]] = rate
            starts.append(
                _Start(
                    seg.start,
                    seg.end,
                    tuple((p_idx[pid], value) for pid, value in seg.parameters),
                    u,
                    seg.events,
                    tuple((s_idx[sid], amount) for sid, amount in seg.jumps),
                    points_in(self.t_eval, seg, last=k == len(self.segments) - 1),
                )
            )
        self._starts = tuple(starts)
        self.n_cols = n + len(flat.observables)
        self._n_obs = len(flat.observables)
        # a process that changes no species is invisible in dy/dt: its rate needs the slow check
        self._quick_check = bool(np.all(np.any(self.comp.stoichiometry != 0, axis=0)))

    def _begin(self, k: int, y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Apply segment ``k``'s start (as :func:`senotwin.sim.engines.begin_segment`)."""
        st = self._starts[k]
        p = p.copy()
        for i, value in st.steps:
            p[i] = value
        y = self.comp.apply_events_at(st.start, y, p) if st.events else y.copy()
        for i, amount in st.jumps:
            y[i] += amount
        return np.where(self.comp.clip, np.maximum(y, 0.0), y), p

    def _start_problem(
        self, run_p: np.ndarray, run_y0: np.ndarray, y: np.ndarray, p: np.ndarray
    ) -> str | None:
        """start_problem()'s verdict: the compiled functions screen the started state (y, p);
        only a state they find non-finite (or a model they cannot screen) goes to Python, which
        names the quantity."""
        st = self._starts[0]
        if self._quick_check and self.fast.start_finite(st.start, y, p, st.u, self._n_obs):
            return None
        from senotwin.sim.simulate import start_problem  # simulate imports the engines

        return start_problem(
            EngineRun(
                self.flat, run_p, run_y0, self.segments, self.t_eval, self.rtol, self.atol, None
            )
        )

    def run(self, p: np.ndarray, y0: np.ndarray, *, check_start: bool = True) -> EngineOutput:
        """Integrate from ``y0`` with parameters ``p`` (engine vectors; neither is modified).

        ``check_start``: a run whose observables or rates are not finite once started (t=0
        actions applied) fails as data naming the quantity, as simulate() does for every engine.
        """
        started = _time.perf_counter()
        fast = self.fast
        clip = self.comp.clip
        out = np.empty((self.t_eval.size, self.n_cols))
        filled = 0
        counters = np.zeros(ros.N_STATS, dtype=np.int64)
        status: Status = "success"
        message = "integration successful"
        y, q = y0, p
        begun = 0
        for k, st in enumerate(self._starts):
            y, q = self._begin(k, y, q)
            if k == 0 and check_start:
                problem = self._start_problem(p, y0, y, q)
                if problem is not None:
                    empty = np.zeros((0, self.n_cols))
                    return EngineOutput(
                        np.zeros(0), empty, "failed", problem, SolverStats(), "not started"
                    )
            begun += 1
            code, reached, rows = fast.integrate(
                y,
                st.start,
                st.end,
                st.points,
                q,
                st.u,
                clip,
                fast.autonomous,
                self.rtol,
                self.atol,
                MAX_STEPS,
                out[filled : filled + st.points.size],
                counters,
            )
            if code != ros.OK:
                status = "failed"
                message = (
                    f"integration failed in [{st.start:g}, {st.end:g}] day near t={reached:g}: "
                    f"{_WHY[code]}"
                )
                break
            if not np.all(np.isfinite(y)):
                status = "failed"
                why = _nonfinite(self.comp, y)
                message = f"integration failed in [{st.start:g}, {st.end:g}] day: {why}"
                break
            filled += rows
        stats = SolverStats(
            segments=len(self.segments),
            rhs_evaluations=int(counters[ros.NFEV]),
            jacobian_evaluations=int(counters[ros.NJEV]),
            lu_decompositions=int(counters[ros.NLU]),
            wall_seconds=_time.perf_counter() - started,
        )
        if begun == 1:
            times = self._starts[0].points[:filled]
        else:
            times = np.concatenate([st.points for st in self._starts[:begun]])[:filled]
        return EngineOutput(times, out[:filled], status, message, stats, METHOD)


def prepare_arm(
    flat: FlatModel,
    schedule: Schedule,
    grid: np.ndarray,
    t_end: float,
    *,
    params: Mapping[str, float],
    initial: Mapping[str, float],
    blocks: Mapping[str, float],
    rtol: float,
    atol: float,
) -> tuple[FastPlan, np.ndarray, np.ndarray]:
    """One arm (a schedule and its settings) prepared for many patients: its plan and the
    engine's parameter and initial-state vectors (range checks are the caller's business)."""
    segments = plan_segments(schedule, [at for _, at, _ in flat.events], t_end)
    inputs = resolve(
        flat, params=dict(params), initial=dict(initial), blocks=dict(blocks), check_ranges=False
    )
    return FastPlan(flat, segments, grid, rtol, atol), inputs.p, inputs.y0


def run_fast(run: EngineRun) -> EngineOutput:
    """Integrate one run piece-wise with the compiled model and Rodas5P (start checked)."""
    plan = FastPlan(run.flat, run.segments, run.t_eval, run.rtol, run.atol)
    return plan.run(run.p, run.y0)


def _nonfinite(comp: CompiledModel, y: np.ndarray) -> str:
    """Which species is non-finite."""
    col = int(np.flatnonzero(~np.isfinite(y))[0])
    return f"species {comp.species[col]!r} became {y[col]} (non-finite value)"
