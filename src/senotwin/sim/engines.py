"""Engine protocol and registry: an engine integrates a prepared run piece-wise.

An engine receives the lowered model, resolved vectors, the segment plan and the output grid,
and returns an :class:`EngineOutput` (columns = species then observables). It never raises for
numerical failure: it returns status 'failed' with a message and the rows it completed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from senotwin._errors import ValidationError
from senotwin.model.compile import CompiledModel, FlatModel
from senotwin.model.expr import closest
from senotwin.sim.inputs import Segment
from senotwin.sim.result import SolverStats, Status


@dataclass(frozen=True)
class EngineRun:
    """Everything an engine needs for one run."""

    flat: FlatModel
    p: np.ndarray
    y0: np.ndarray
    segments: tuple[Segment, ...]
    t_eval: np.ndarray
    rtol: float
    atol: float
    method: str | None


@dataclass(frozen=True)
class EngineOutput:
    """Rows computed (times, values[time, species+observables]), status and statistics."""

    times: np.ndarray
    values: np.ndarray
    status: Status
    message: str
    stats: SolverStats
    method: str


EngineFn = Callable[[EngineRun], EngineOutput]

_ENGINES: dict[str, EngineFn] = {}


def register_engine(name: str, fn: EngineFn) -> None:
    """Add an engine under ``name``."""
    _ENGINES[name] = fn


def get_engine(name: str) -> EngineFn:
    """The engine called ``name``; unknown names list the registered ones."""
    if name not in _ENGINES:
        close = closest(name, _ENGINES)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValidationError(
            f"unknown engine {name!r}{hint} (known: {', '.join(sorted(_ENGINES))})"
        )
    return _ENGINES[name]


def engine_names() -> tuple[str, ...]:
    """Registered engine names."""
    return tuple(sorted(_ENGINES))


def points_in(t_eval: np.ndarray, seg: Segment, *, last: bool) -> np.ndarray:
    """Output times of a segment: [start, end), and the end itself for the last segment."""
    if last:
        return t_eval[(t_eval >= seg.start) & (t_eval <= seg.end)]
    return t_eval[(t_eval >= seg.start) & (t_eval < seg.end)]


@dataclass(frozen=True)
class SegmentStart:
    """State, parameters, inputs and output times of a segment once its start is applied."""

    y: np.ndarray
    p: np.ndarray
    u: np.ndarray
    points: np.ndarray


def begin_segment(
    comp: CompiledModel, run: EngineRun, k: int, y: np.ndarray, p: np.ndarray
) -> SegmentStart:
    """Apply segment ``k``'s start — parameter steps, infusion rates, spec events, dose jumps,
    clipping of non-negative species — identically for every engine."""
    seg = run.segments[k]
    s_idx = {s: i for i, s in enumerate(comp.species)}
    p_idx = {pid: i for i, pid in enumerate(comp.parameters)}
    p = p.copy()
    for pid, value in seg.parameters:
        p[p_idx[pid]] = value
    u = np.zeros(len(y))
    for sid, rate in seg.inputs:
        u[s_idx[sid]] = rate
    y = comp.apply_events_at(seg.start, y, p) if seg.events else y.copy()
    for sid, amount in seg.jumps:
        y[s_idx[sid]] += amount
    y = np.where(comp.clip, np.maximum(y, 0.0), y)
    return SegmentStart(y, p, u, points_in(run.t_eval, seg, last=k == len(run.segments) - 1))
