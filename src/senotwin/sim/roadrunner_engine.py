"""RoadRunner engine: libRoadRunner (LLVM-compiled SBML + CVODE) on the model's exported SBML.

The peer the fast engine is checked and benchmarked against (``engine="roadrunner"``).

One RoadRunner instance per model and process, cached by the spec digest; between runs only
parameter values, infusion inputs, initial amounts and time are set (no reload, no resetAll).
Every run writes all of them before integrating, so nothing of a previous run (an infusion that
outlasted it, a parameter step) survives on the cached instance: runs are stateless. Doses, infusion
changes, parameter steps and spec events are applied between piece-wise ``simulate`` calls,
exactly as in the reference engine; infusions drive the ``input_<species>`` parameters of the
engine SBML. Reported non-negative species are clipped at 0 like in the reference engine. If
CVODE fails inside a segment, the rows of that segment are lost (RoadRunner returns nothing);
earlier segments are kept. RoadRunner's own log is set to fatal-only; messages come back as data.
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass

import numpy as np
import roadrunner

from senotwin.model.compile import CompiledModel, compile_spec
from senotwin.sim.engines import EngineOutput, EngineRun, begin_segment
from senotwin.sim.result import SolverStats, Status

MAX_STEPS = 100_000
# CVODE warnings would flood stderr for failing virtual patients; failures are reported as data.
roadrunner.Logger.setLevel(roadrunner.Logger.LOG_FATAL)


@dataclass(frozen=True)
class _Loaded:
    rr: roadrunner.RoadRunner
    param_index: np.ndarray  # int32 indices of flat.parameters in the RoadRunner model
    input_index: np.ndarray  # int32 indices of input_<species>
    species_index: np.ndarray  # int32 indices of flat.species
    compiled: CompiledModel


_CACHE: dict[str, _Loaded] = {}


def loaded_model(run: EngineRun) -> _Loaded:
    """The cached RoadRunner for this spec (loaded on first use in this process)."""
    spec = run.flat.spec
    key = spec.digest()
    hit = _CACHE.get(key)
    if hit is None:
        # imported here: the export layer is loaded only when this engine runs
        from senotwin.export.sbml import engine_sbml, input_id

        rr = roadrunner.RoadRunner(engine_sbml(spec))
        gids = list(rr.model.getGlobalParameterIds())
        fids = list(rr.model.getFloatingSpeciesIds())
        rr.timeCourseSelections = [
            "time",
            *run.flat.species,
            *(oid for oid, _ in run.flat.observables),
        ]
        rr.integrator.maximum_num_steps = MAX_STEPS
        hit = _Loaded(
            rr=rr,
            param_index=np.array([gids.index(p) for p in run.flat.parameters], dtype=np.int32),
            input_index=np.array(
                [gids.index(input_id(s)) for s in run.flat.species], dtype=np.int32
            ),
            species_index=np.array([fids.index(s) for s in run.flat.species], dtype=np.int32),
            compiled=compile_spec(spec),
        )
        if len(_CACHE) >= 16:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = hit
    return hit


def _uniform(grid: np.ndarray) -> bool:
    """True when the grid is evenly spaced (RoadRunner's start/end/points form is faster)."""
    if grid.size < 3:
        return grid.size == 2
    steps = np.diff(grid)
    return bool(np.allclose(steps, steps[0], rtol=1e-12, atol=0.0))


def run_roadrunner(run: EngineRun) -> EngineOutput:
    """Integrate one run piece-wise with libRoadRunner/CVODE; failures come back as data."""
    started = _time.perf_counter()
    lm = loaded_model(run)
    rr, model = lm.rr, lm.rr.model
    integ = rr.integrator
    if integ.relative_tolerance != run.rtol:
        integ.relative_tolerance = run.rtol
    if integ.absolute_tolerance != run.atol:
        integ.absolute_tolerance = run.atol
    comp = lm.compiled
    p = run.p.copy()
    y = run.y0.copy()
    n_s = len(y)
    u = np.zeros(n_s)
    times: list[np.ndarray] = []
    blocks: list[np.ndarray] = []
    status: Status = "success"
    message = "integration successful"
    # the cached instance still holds the last run's values: write every input, not only changes
    model.setGlobalParameterValues(lm.param_index, p)
    model.setGlobalParameterValues(lm.input_index, u)
    for k, seg in enumerate(run.segments):
        start = begin_segment(comp, run, k, y, p)
        y, pts = start.y, start.points
        if seg.parameters:
            p = start.p
            model.setGlobalParameterValues(lm.param_index, p)
        if not np.array_equal(start.u, u):
            u = start.u
            model.setGlobalParameterValues(lm.input_index, u)
        if seg.end > seg.start:
            if pts.size > 1 and pts[0] == seg.start and pts[-1] == seg.end:
                grid = pts  # common case: the output grid already spans the segment
            else:
                grid = np.unique(np.concatenate([pts, [seg.start, seg.end]]))
            model.setTime(seg.start)
            model.setFloatingSpeciesAmounts(lm.species_index, y)
            try:
                if _uniform(grid):
                    res = np.asarray(rr.simulate(seg.start, seg.end, grid.size))
                else:
                    res = np.asarray(rr.simulate(times=grid))
            except RuntimeError as exc:
                status = "failed"
                message = f"integration failed in [{seg.start:g}, {seg.end:g}] day: {exc}"
                break
            if not np.all(np.isfinite(res)):
                status = "failed"
                message = f"non-finite values in [{seg.start:g}, {seg.end:g}] day"
                break
            keep = slice(None) if grid is pts else np.isin(grid, pts)
            vals = res[keep, 1:]
            vals[:, :n_s] = np.where(comp.clip, np.maximum(vals[:, :n_s], 0.0), vals[:, :n_s])
            times.append(pts)
            blocks.append(vals)
            y = res[-1, 1 : 1 + n_s].copy()
        elif pts.size:
            yc = np.repeat(y[:, None], pts.size, 1)
            times.append(pts)
            blocks.append(np.vstack([yc, comp.observable_table(pts, yc, p)]).T)
    t_all = np.concatenate(times) if times else np.zeros(0)
    n_cols = n_s + len(comp.flat.observables)
    v_all = np.concatenate(blocks, axis=0) if blocks else np.zeros((0, n_cols))
    stats = SolverStats(segments=len(run.segments), wall_seconds=_time.perf_counter() - started)
    return EngineOutput(t_all, v_all, status, message, stats, "libroadrunner.cvode")
