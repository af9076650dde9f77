"""simulate(): one pure function from (spec, overrides, regimen, duration, solver) to a result.

Inputs are validated up front (unknown names get the closest valid ones, out-of-range values
name their plausible range); numerical failures come back as a 'failed' result unless
``throw=True``. ``simulate_batch`` runs many parameter sets on one grid without building a
table per run (what cohorts and the benchmark use).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

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
from senotwin.sim.options import SolverOptions
from senotwin.sim.options import default_grid as default_grid
from senotwin.sim.result import BatchResult, RunProvenance, SimulationResult


def _check_t_end(t_end: float) -> None:
    if (
        isinstance(t_end, bool)
        or not isinstance(t_end, int | float)
        or not math.isfinite(t_end)
        or t_end <= 0
    ):
        raise ValidationError(f"t_end must be a positive finite number, got {t_end!r}")


def simulate(
    spec: ModelSpec,
    *,
    params: Mapping[str, float] | None = None,
    initial: Mapping[str, float] | None = None,
    blocks: Mapping[str, float] | None = None,
    regimen: ScheduleLike | None = None,
    t_end: float,
    solver: SolverOptions | None = None,
    check_ranges: bool = True,
    throw: bool = False,
    **options: Any,
) -> SimulationResult:
    """Simulate ``spec`` from 0 to ``t_end`` days and return a SimulationResult.

    ``params``/``initial`` override parameter values / initial amounts; ``blocks`` maps a
    blockable entity to the fraction of its activity removed (1.0 = knockout); ``regimen`` is a
    Schedule or a list of Dose/Infusion/Step. ``solver`` holds engine, tolerances, method and
    output times; loose keywords (``engine=``, ``rtol=``, ...) are SolverOptions fields applied
    on top of it. ``check_ranges`` rejects parameter values outside their plausible range.
    ``throw=True`` raises SimulationError instead of returning 'failed'.
    """
    _check_t_end(t_end)
    opts = SolverOptions.of(solver, **options)
    runner = get_engine(opts.engine)
    flat = flatten(spec)
    grid = opts.grid(t_end)
    schedule = as_schedule(regimen)
    check_schedule(flat, schedule)
    inputs = resolve(flat, params=params, initial=initial, blocks=blocks, check_ranges=check_ranges)
    segments = plan(schedule, [at for _, at, _ in flat.events], t_end)
    out = runner(
        EngineRun(flat, inputs.p, inputs.y0, segments, grid, opts.rtol, opts.atol, opts.method)
    )
    obs_ids = tuple(oid for oid, _ in flat.observables)
    spec_obs_order = spec.observable_ids
    table = pd.DataFrame(out.values, columns=[*flat.species, *obs_ids])
    table = table[[*flat.species, *spec_obs_order]]
    table.insert(0, "time", out.times)
    prov = RunProvenance(
        model_id=spec.id,
        model_digest=spec.digest(),
        engine=opts.engine,
        method=out.method,
        rtol=opts.rtol,
        atol=opts.atol,
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
    regimen: ScheduleLike | None = None,
    initial: Mapping[str, float] | None = None,
    blocks: Mapping[str, float] | None = None,
    solver: SolverOptions | None = None,
    check_ranges: bool = True,
    **options: Any,
) -> BatchResult:
    """Run one model for many parameter sets on one grid; failed runs are NaN rows + status.

    ``solver`` and loose solver keywords as in :func:`simulate`, but the engine defaults to
    'fast' (batches are what the compiled engine is for).
    """
    _check_t_end(t_end)
    opts = SolverOptions.of(
        solver if solver is not None else SolverOptions(engine="fast"), **options
    )
    runner = get_engine(opts.engine)
    flat = flatten(spec)
    grid = opts.grid(t_end)
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
            EngineRun(flat, inputs.p, inputs.y0, segments, grid, opts.rtol, opts.atol, opts.method)
        )
        values[i, : out.values.shape[0]] = out.values
        status.append(out.status)
        messages.append(out.message)
    return BatchResult(grid, columns, values, tuple(status), tuple(messages), opts.engine)
