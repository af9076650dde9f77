"""simulate(): one pure function from (spec, overrides, regimen, duration, solver) to a result.

Inputs are validated up front (unknown names get the closest valid ones, out-of-range values
name their plausible range); numerical failures come back as a 'failed' result unless
``throw=True``. ``simulate_batch`` runs many parameter sets on one grid without building a
table per run (what cohorts and the benchmark use).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace
from numbers import Real
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

import senotwin
from senotwin._errors import SenotwinWarning, SimulationError, ValidationError, check_type
from senotwin.model.compile import compile_spec, flatten
from senotwin.model.schedule import Schedule, ScheduleLike, as_schedule
from senotwin.model.spec import ModelSpec
from senotwin.sim.engines import ENGINES, EngineFn, EngineOutput, EngineRun, begin_segment
from senotwin.sim.inputs import check_schedule, plan, resolve
from senotwin.sim.options import SolverOptions
from senotwin.sim.options import default_grid as default_grid
from senotwin.sim.result import BatchResult, RunProvenance, SimulationResult, SolverStats

# Longest run simulate() accepts: 100 years. The model's processes describe a tumour and its
# microenvironment over days to years; a longer horizon has no meaning for it and only costs time
# and memory (one output row per day: 1e9 days would need ~100 GB).
MAX_DAYS = 36_500.0
#: shortest run length (days): one minute. The model's fastest processes take hours; a run of
#: 1e-300 days made the solver shrink its step below anything it can represent and fail after
#: about a minute of work on its evaluation limit.
MIN_DAYS = 1.0 / 1440.0
#: what simulate's model and its ``NAME -> value`` arguments may be, for a wrong type's message
SPEC = "a ModelSpec (senotwin.load_spec(path), or prepare_scenario(name).spec)"
MAPPING = "a mapping of names to values (dict) or None"
SETS = "a list of mappings of names to values (one dict per run)"


def check_days(value: object, *, name: str = "t_end") -> float:
    """``value`` as a run length in days: a finite number in [MIN_DAYS, MAX_DAYS], else a clear
    error."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
        raise ValidationError(f"{name} must be a number of days, got {value!r}")
    days = float(value)
    if not math.isfinite(days) or days <= 0:
        raise ValidationError(f"{name} must be a positive finite number of days, got {value!r}")
    if days < MIN_DAYS:
        raise ValidationError(
            f"{name} = {days:g} days is too short: at least {MIN_DAYS:.6f} days (one minute; the "
            "model's fastest processes take hours)"
        )
    if days > MAX_DAYS:
        raise ValidationError(
            f"{name} = {days:g} days is too long: at most {MAX_DAYS:g} days (100 years; the "
            "model describes a tumour over days to years)"
        )
    return days


def late_actions(schedule: Schedule, t_end: float) -> str | None:
    """A sentence naming the doses/infusions/steps scheduled after ``t_end`` (None if none).

    Such actions are never applied; simulate() says so with a SenotwinWarning.
    """
    late: list[tuple[float, str]] = [(d.time, f"dose of {d.target}") for d in schedule.doses]
    late += [(i.start, f"infusion into {i.target}") for i in schedule.infusions]
    late += [(s.time, f"step of {s.parameter}") for s in schedule.steps]
    late = sorted(x for x in late if x[0] > t_end)
    if not late:
        return None
    first_t, first = late[0]
    return (
        f"{len(late)} scheduled action(s) fall after the end of the run (day {t_end:g}) and are "
        f"not applied (first: {first} on day {first_t:g}); lengthen the run (--days) or drop them"
    )


def _warn_late(schedule: Schedule, t_end: float) -> None:
    message = late_actions(schedule, t_end)
    if message is not None:
        warnings.warn(message, SenotwinWarning, stacklevel=3)


def start_problem(run: EngineRun) -> str | None:
    """The first observable or process rate that is not finite once the run has started (t=0
    actions applied), named; None when all are finite.

    A rate of ``X / 0`` or an overflow makes every engine fail, each in its own way (an
    exception, 'success' with inf, a solver error); checking here makes them fail alike, as data.
    """
    comp = compile_spec(run.flat.spec)
    start = begin_segment(comp, run, 0, run.y0, run.p)
    y = np.where(comp.clip, np.maximum(start.y, 0.0), start.y)
    o: list[Any] = [0.0] * len(comp.observable_fns)
    checks = [
        *(
            (f"observable {oid!r}", f, i)
            for i, ((oid, _), f) in enumerate(
                zip(comp.flat.observables, comp.observable_fns, strict=True)
            )
        ),
        *(
            (f"rate of process {pid!r}", f, -1)
            for (pid, _, _), f in zip(comp.flat.processes, comp.rate_fns, strict=True)
        ),
    ]
    t0 = run.segments[0].start if run.segments else 0.0
    with np.errstate(all="ignore"):
        for label, fn, slot in checks:
            try:
                value = float(fn(t0, y, start.p, o))
            except (ArithmeticError, ValueError) as exc:
                return f"{label} cannot be evaluated at t={t0:g} day: {exc}"
            if not math.isfinite(value):
                return (
                    f"{label} is {value} at t={t0:g} day (a division by zero or an overflow in "
                    "its expression or parameters)"
                )
            if slot >= 0:
                o[slot] = value
    return None


def output_problem(times: np.ndarray, values: np.ndarray, columns: Sequence[str]) -> str | None:
    """The first column (species or observable) with a non-finite value, and when; or None."""
    bad = ~np.isfinite(values)
    if not bad.any():
        return None
    row, col = np.argwhere(bad)[0]
    return f"{columns[col]} became {values[row, col]} at t={times[row]:g} day (non-finite value)"


def _run_engine(
    runner: EngineFn, run: EngineRun, columns: Sequence[str], *, checks_start: bool = False
) -> EngineOutput:
    """Run ``runner``; a non-finite start or result is a 'failed' output naming the quantity
    (``checks_start``: the engine checks the start itself, see Engine.checks_start)."""
    problem = None if checks_start else start_problem(run)
    if problem is not None:
        empty = np.zeros((0, len(columns)))
        return EngineOutput(np.zeros(0), empty, "failed", problem, SolverStats(), "not started")
    out = runner(run)
    if out.status == "success":
        problem = output_problem(out.times, out.values, columns)
        if problem is not None:
            return replace(out, status="failed", message=f"integration failed: {problem}")
    return out


def run_table(
    times: np.ndarray,
    values: np.ndarray,
    species: Sequence[str],
    engine_obs: Sequence[str],
    spec_obs: Sequence[str],
) -> pd.DataFrame:
    """The wide run table — time, species, observables in the spec's order — from an engine's
    values (species, then observables in evaluation order), built as one block."""
    where = {oid: len(species) + k for k, oid in enumerate(engine_obs)}
    order = [*range(len(species)), *(where[o] for o in spec_obs)]
    data = np.empty((values.shape[0], 1 + len(order)))
    data[:, 0] = times
    data[:, 1:] = values[:, order]
    return pd.DataFrame(data, columns=["time", *species, *spec_obs], copy=False)


def run_units(spec: ModelSpec, species: Sequence[str]) -> Mapping[str, str]:
    """The unit of every column of a run table of ``spec``: time in days, then the species
    (``species``: the flattened model's, drug compartments included) and the observables."""
    declared = {s.id: s.unit for s in spec.species}
    units = {"time": spec.time_unit} | {sid: declared.get(sid, "") for sid in species}
    return MappingProxyType(units | {o.id: o.unit for o in spec.observables})


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
    check_type(spec, ModelSpec, name="spec", what=SPEC)
    for name, given in (("params", params), ("initial", initial), ("blocks", blocks)):
        check_type(given, (Mapping, type(None)), name=name, what=MAPPING)
    check_type(t_end, Real, name="t_end", what="a number of days")
    check_days(t_end)
    opts = SolverOptions.of(solver, **options)
    engine = ENGINES.get(opts.engine)
    flat = flatten(spec)
    grid = opts.grid(t_end)
    schedule = as_schedule(regimen)
    check_schedule(flat, schedule)
    _warn_late(schedule, t_end)
    inputs = resolve(flat, params=params, initial=initial, blocks=blocks, check_ranges=check_ranges)
    segments = plan(schedule, [at for _, at, _ in flat.events], t_end)
    obs_ids = tuple(oid for oid, _ in flat.observables)
    out = _run_engine(
        engine.run,
        EngineRun(flat, inputs.p, inputs.y0, segments, grid, opts.rtol, opts.atol, opts.method),
        (*flat.species, *obs_ids),
        checks_start=engine.checks_start,
    )
    spec_obs_order = spec.observable_ids
    table = run_table(out.times, out.values, flat.species, obs_ids, spec_obs_order)
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
        notes=schedule.notes,
    )
    result = SimulationResult(
        table=table,
        status=out.status,
        message=out.message,
        stats=out.stats,
        provenance=prov,
        species=flat.species,
        observables=spec_obs_order,
        units=run_units(spec, flat.species),
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
    initial_sets: Sequence[Mapping[str, float]] | None = None,
    **options: Any,
) -> BatchResult:
    """Run one model for many parameter sets on one grid; failed runs are NaN rows + status.

    ``solver`` and loose solver keywords as in :func:`simulate`, but the engine defaults to
    'fast' (batches are what the compiled engine is for). ``initial_sets``: per parameter set,
    initial amounts on top of ``initial`` (one mapping per set).
    """
    check_type(spec, ModelSpec, name="spec", what=SPEC)
    for name, sets in (("param_sets", param_sets), ("initial_sets", initial_sets)):
        if name == "initial_sets" and sets is None:
            continue
        check_type(sets, Sequence, name=name, what=SETS)
        for i, one in enumerate(sets):  # type: ignore[arg-type]
            check_type(one, Mapping, name=f"{name}[{i}]", what="a mapping of names to values")
    for name, given in (("initial", initial), ("blocks", blocks)):
        check_type(given, (Mapping, type(None)), name=name, what=MAPPING)
    check_type(t_end, Real, name="t_end", what="a number of days")
    check_days(t_end)
    if initial_sets is not None and len(initial_sets) != len(param_sets):
        raise ValidationError(
            f"initial_sets: {len(initial_sets)} given for {len(param_sets)} parameter sets"
        )
    opts = SolverOptions.of(
        solver if solver is not None else SolverOptions(engine="fast"), **options
    )
    engine = ENGINES.get(opts.engine)
    flat = flatten(spec)
    grid = opts.grid(t_end)
    schedule = as_schedule(regimen)
    check_schedule(flat, schedule)
    _warn_late(schedule, t_end)
    segments = plan(schedule, [at for _, at, _ in flat.events], t_end)
    obs_ids = tuple(oid for oid, _ in flat.observables)
    columns = (*flat.species, *obs_ids)
    values = np.full((len(param_sets), grid.size, len(columns)), np.nan)
    status: list = []
    messages: list[str] = []
    for i, ps in enumerate(param_sets):
        init = dict(initial or {}) | dict(initial_sets[i] if initial_sets is not None else {})
        inputs = resolve(flat, params=ps, initial=init, blocks=blocks, check_ranges=check_ranges)
        out = _run_engine(
            engine.run,
            EngineRun(flat, inputs.p, inputs.y0, segments, grid, opts.rtol, opts.atol, opts.method),
            columns,
            checks_start=engine.checks_start,
        )
        values[i, : out.values.shape[0]] = out.values
        status.append(out.status)
        messages.append(out.message)
    units = run_units(spec, flat.species)
    return BatchResult(
        grid, columns, values, tuple(status), tuple(messages), opts.engine, units=units
    )
