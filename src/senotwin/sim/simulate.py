"""simulate(): one pure function from (spec, overrides, regimen, times, tolerances) to a result.

Inputs are validated up front (unknown names get the closest valid ones, out-of-range values
name their plausible range); numerical failures come back as a 'failed' result unless
``throw=True``. ``simulate_batch`` runs many parameter sets on one grid without building a
table per run (what cohorts and the benchmark use).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np
import pandas as pd

import senotwin
from senotwin._errors import SimulationError, ValidationError
from senotwin.model.compile import flatten
from senotwin.model.schedule import ScheduleLike, as_schedule
from senotwin.model.spec import ModelSpec
from senotwin.sim import fast as _fast  # noqa: F401  (registers the 'fast' engine)
from senotwin.sim import reference as _reference  # noqa: F401  (registers 'reference')
from senotwin.sim import roadrunner_engine as _roadrunner  # noqa: F401  (registers 'roadrunner')
from senotwin.sim.engines import EngineRun, get_engine
from senotwin.sim.inputs import check_schedule, plan, resolve
from senotwin.sim.result import BatchResult, RunProvenance, SimulationResult


def default_grid(t_end: float) -> np.ndarray:
    """Default output times: at least 101 points, one per day for runs longer than 100 days."""
    return np.linspace(0.0, t_end, max(101, math.floor(t_end) + 1))


def _check_numbers(t_end: float, rtol: float, atol: float) -> None:
    for name, value in (("t_end", t_end), ("rtol", rtol), ("atol", atol)):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value <= 0
        ):
            raise ValidationError(f"{name} must be a positive finite number, got {value!r}")
    if rtol >= 1:
        raise ValidationError(f"rtol must be < 1, got {rtol}")


def _grid(t_eval: Sequence[float] | np.ndarray | None, t_end: float) -> np.ndarray:
    if t_eval is None:
        return default_grid(t_end)
    grid = np.asarray(t_eval, dtype=float)
    if grid.ndim != 1 or grid.size == 0:
        raise ValidationError("t_eval must be a non-empty 1-D sequence of times")
    if not np.all(np.isfinite(grid)) or np.any(np.diff(grid) <= 0):
        raise ValidationError("t_eval must be finite and strictly increasing")
    if grid[0] < 0 or grid[-1] > t_end:
        raise ValidationError(f"t_eval must lie within [0, t_end={t_end}]")
    return grid


def simulate(
    spec: ModelSpec,
    *,
    params: Mapping[str, float] | None = None,
    initial: Mapping[str, float] | None = None,
    regimen: ScheduleLike | None = None,
    t_end: float,
    t_eval: Sequence[float] | np.ndarray | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    engine: str = "reference",
    blocks: Mapping[str, float] | None = None,
    method: str | None = None,
    check_ranges: bool = True,
    throw: bool = False,
) -> SimulationResult:
    """Simulate ``spec`` from 0 to ``t_end`` days and return a SimulationResult.

    ``params``/``initial`` override parameter values / initial amounts; ``blocks`` maps a
    blockable entity to the fraction of its activity removed (1.0 = knockout); ``regimen`` is a
    Schedule or a list of Dose/Infusion/Step. ``check_ranges`` rejects parameter values outside
    their plausible range. ``throw=True`` raises SimulationError instead of returning 'failed'.
    """
    _check_numbers(t_end, rtol, atol)
    runner = get_engine(engine)
    flat = flatten(spec)
    grid = _grid(t_eval, t_end)
    schedule = as_schedule(regimen)
    check_schedule(flat, schedule)
    inputs = resolve(flat, params=params, initial=initial, blocks=blocks, check_ranges=check_ranges)
    segments = plan(schedule, [at for _, at, _ in flat.events], t_end)
    out = runner(
        EngineRun(flat, inputs.p, inputs.y0, segments, grid, float(rtol), float(atol), method)
    )
    obs_ids = tuple(oid for oid, _ in flat.observables)
    spec_obs_order = spec.observable_ids
    table = pd.DataFrame(out.values, columns=[*flat.species, *obs_ids])
    table = table[[*flat.species, *spec_obs_order]]
    table.insert(0, "time", out.times)
    prov = RunProvenance(
        model_id=spec.id,
        model_digest=spec.digest(),
        engine=engine,
        method=out.method,
        rtol=float(rtol),
        atol=float(atol),
        t_end=float(t_end),
        senotwin_version=senotwin.__version__,
        params=MappingProxyType({k: float(v) for k, v in (params or {}).items()}),
        initial=MappingProxyType({k: float(v) for k, v in (initial or {}).items()}),
        blocks=MappingProxyType({k: float(v) for k, v in (blocks or {}).items()}),
        regimen=schedule.describe(),
    )
    result = SimulationResult(
        table=table,
        status=out.status,
        message=out.message,
        stats=out.stats,
        provenance=prov,
        species=flat.species,
        observables=spec_obs_order,
    )
    if throw and not result.ok:
        raise SimulationError(f"{spec.id}: {result.message}")
    return result


def simulate_batch(
    spec: ModelSpec,
    param_sets: Sequence[Mapping[str, float]],
    *,
    t_end: float,
    t_eval: Sequence[float] | np.ndarray | None = None,
    regimen: ScheduleLike | None = None,
    initial: Mapping[str, float] | None = None,
    blocks: Mapping[str, float] | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    engine: str = "fast",
    method: str | None = None,
    check_ranges: bool = True,
) -> BatchResult:
    """Run one model for many parameter sets on one grid; failed runs are NaN rows + status."""
    _check_numbers(t_end, rtol, atol)
    runner = get_engine(engine)
    flat = flatten(spec)
    grid = _grid(t_eval, t_end)
    schedule = as_schedule(regimen)
    check_schedule(flat, schedule)
    segments = plan(schedule, [at for _, at, _ in flat.events], t_end)
    obs_ids = tuple(oid for oid, _ in flat.observables)
    columns = (*flat.species, *obs_ids)
    values = np.full((len(param_sets), grid.size, len(columns)), np.nan)
    status: list = []
    messages: list[str] = []
    for i, ps in enumerate(param_sets):
        inputs = resolve(flat, params=ps, initial=initial, blocks=blocks, check_ranges=check_ranges)
        out = runner(
            EngineRun(flat, inputs.p, inputs.y0, segments, grid, float(rtol), float(atol), method)
        )
        values[i, : out.values.shape[0]] = out.values
        status.append(out.status)
        messages.append(out.message)
    return BatchResult(grid, columns, values, tuple(status), tuple(messages), engine)
