"""Engine protocol and registry: an engine integrates a prepared run piece-wise.

An engine receives the lowered model, resolved vectors, the segment plan and the output grid,
and returns an :class:`EngineOutput` (columns = species then observables). It never raises for
numerical failure: it returns status 'failed' with a message and the rows it completed.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from senotwin._errors import ValidationError
from senotwin._registry import Registry
from senotwin._suggest import did_you_mean
from senotwin.model.compile import CompiledModel, FlatModel
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


@dataclass(frozen=True)
class Engine:
    """A registered engine: name, the function integrating a run, what it is, its reference."""

    name: str
    run: EngineFn
    description: str
    reference: str
    #: the engine fails a run whose start is not finite itself, exactly as start_problem() says
    #: (simulate() then skips its own, slower, check)
    checks_start: bool = False
    #: the integration methods ``SolverOptions.method`` may name; () = the engine has one method
    #: of its own and takes none; None = not declared (any name is passed on to the engine)
    methods: tuple[str, ...] | None = None


def _lazy(module: str, attr: str) -> EngineFn:
    """An engine function imported on first call, so listing engines loads no solver."""

    def run(job: EngineRun) -> EngineOutput:
        fn: EngineFn = getattr(importlib.import_module(module), attr)
        return fn(job)

    run.__name__ = run.__qualname__ = attr
    return run


#: the methods of SciPy's solve_ivp (the reference engine's ``method``; LSODA when None)
SCIPY_METHODS = ("LSODA", "BDF", "Radau", "RK45", "RK23", "DOP853")


def check_method(engine: str, method: str) -> None:
    """Refuse a ``method`` the engine does not integrate with, before any run: the fast and
    RoadRunner engines ignored it and the reference engine failed the run with SciPy's message."""
    record = ENGINES.get(engine)
    if record.methods is None or method in record.methods:
        return
    if not record.methods:
        others = [f"{e.name!r} ({', '.join(e.methods)})" for e in ENGINES.records() if e.methods]
        raise ValidationError(
            f"method {method!r}: engine {engine!r} has one integration method of its own, so it "
            f"takes none; leave method=None"
            + (f", or choose engine {' or '.join(others)}" if others else "")
        )
    raise ValidationError(
        f"unknown method {method!r} of engine {engine!r}{did_you_mean(method, record.methods)} "
        f"(choose from: {', '.join(record.methods)}; None = {record.methods[0]})"
    )


def _builtin_engines(registry: Registry[Engine]) -> None:
    registry.register(
        Engine(
            "reference",
            _lazy("senotwin.sim.reference", "run_reference"),
            "SciPy solve_ivp (LSODA, BDF or Radau) on the numpy right-hand side; readable",
            "Virtanen et al. 2020 Nat Methods 17:261 (SciPy 1.0); Petzold 1983 SIAM J Sci Stat "
            "Comput 4:136 (LSODA)",
            methods=SCIPY_METHODS,
        )
    )
    registry.register(
        Engine(
            "fast",
            _lazy("senotwin.sim.fast", "run_fast"),
            "numba-compiled right-hand side integrated by a compiled Rodas5P (Rosenbrock method)",
            "Lam, Pitrou & Seibert 2015 LLVM-HPC (Numba); Hairer & Wanner 1996 Solving ODEs II "
            "§VI.4 (RODAS); Steinebach 2023 BIT Numer Math 63:27 (Rodas5P); "
            "Sandu et al. 1997 Atmos Environ 31:3459",
            checks_start=True,
            methods=(),
        )
    )
    registry.register(
        Engine(
            "roadrunner",
            _lazy("senotwin.sim.roadrunner_engine", "run_roadrunner"),
            "libRoadRunner (LLVM-compiled SBML, CVODE) on the model's exported SBML",
            "Welsh et al. 2023 Bioinformatics 39:btac770 (libRoadRunner 2.0); Hindmarsh et al. "
            "2005 ACM TOMS 31:363 (SUNDIALS CVODE)",
            methods=(),
        )
    )


#: every engine, built-ins always present (see :mod:`senotwin._registry`)
ENGINES: Registry[Engine] = Registry("engine", _builtin_engines)


def register_engine(
    name: str,
    fn: EngineFn,
    *,
    reference: str,
    description: str = "",
    replace: bool = False,
    methods: tuple[str, ...] | None = None,
) -> Engine:
    """Add an engine under ``name``; an existing name needs ``replace=True``. ``methods``: the
    ``SolverOptions.method`` names it takes (() = none; None = any, passed on unchecked)."""
    record = Engine(name, fn, description, reference, methods=methods)
    return ENGINES.register(record, replace=replace)


def get_engine(name: str) -> EngineFn:
    """The engine function called ``name``; unknown names list the registered ones."""
    return ENGINES.get(name).run


def engine_names() -> tuple[str, ...]:
    """Registered engine names."""
    return ENGINES.names()


def engine_help() -> str:
    """Help text of ``--engine`` options, generated from the registry."""
    return f"Simulation engine: {ENGINES.choices_text()}."


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
