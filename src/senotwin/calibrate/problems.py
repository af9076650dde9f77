"""Named calibration problems (a registry) and the problem of a scenario's own simulation.

``senotwin calibrate --problem NAME`` resolves names here: the shipped data sets
(``calibrate/data/<name>/``, each with a README) are built-ins; add others with
:func:`register_problem`. :func:`scenario_problem` turns any scenario into a problem whose
"measurements" are the scenario's own simulation at a few times (synthetic data: a fit must
recover the nominal values), which is what ``senotwin petab export --scenario`` writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from senotwin._errors import ValidationError, check_type
from senotwin._registry import Registry
from senotwin._suggest import did_you_mean
from senotwin.calibrate.problem import FitParameter, Problem, Readout
from senotwin.model.spec import ModelSpec
from senotwin.sim.options import SolverOptions
from senotwin.sim.scenario import ScenarioLike, prepare_scenario


@dataclass(frozen=True)
class NamedProblem:
    """A registered calibration problem: name, builder, one-line description, reference.

    ``fit``: a problem that is not a PEtab problem (a simulated virtual cohort scored by
    summary statistics) fits itself: ``fit(starts=, seed=, out=)`` returns its JSON summary,
    and ``build`` raises a ValidationError saying so.
    """

    name: str
    build: Callable[[], Problem]
    description: str
    reference: str
    fit: Callable[..., dict[str, Any]] | None = None


def _builtin_problems(registry: Registry[NamedProblem]) -> None:
    from senotwin.calibrate.datasets import builtin_problems

    for record in builtin_problems():
        registry.register(record)


#: every named calibration problem, built-ins always present (see :mod:`senotwin._registry`)
PROBLEMS: Registry[NamedProblem] = Registry("calibration problem", _builtin_problems)


def register_problem(record: NamedProblem, *, replace: bool = False) -> NamedProblem:
    """Add a named problem; an existing name needs ``replace=True``."""
    return PROBLEMS.register(record, replace=replace)


def get_problem(name: str) -> Problem:
    """Build the problem called ``name`` (a shipped data set, or one added by
    :func:`register_problem`).

    ``liu2019``, a simulated virtual cohort of the trial layer, is registered with the shipped
    data sets (by the package root, as this layer may not import trial); it fits itself
    (``PROBLEMS.get("liu2019").fit``) and has no PEtab form, so building it raises."""
    check_type(name, str, name="name", what="a calibration problem name such as 'galvis2019' (str)")
    return PROBLEMS.get(name).build()


def problem_names() -> tuple[str, ...]:
    """Registered problem names: the shipped data sets, ``liu2019`` and any added ones."""
    return PROBLEMS.names()


def _default_estimates(spec: ModelSpec, values: dict[str, float]) -> list[str]:
    """Assumed magnitudes with a positive plausible range: what calibration is for."""
    out = []
    for p in spec.parameters:
        kind = getattr(p.provenance, "kind", "")
        rng = p.range
        if kind == "assumed" and rng is not None and 0 < rng[0] <= values[p.id] <= rng[1]:
            out.append(p.id)
    return out


def scenario_problem(
    scenario: ScenarioLike,
    *,
    observables: Sequence[str] | None = None,
    times: Sequence[float] | None = None,
    estimate: Sequence[str] | None = None,
    relative_sigma: float = 0.1,
    engine: str = "fast",
) -> Problem:
    """A problem whose measurements are ``scenario``'s own simulation (noise-free).

    ``observables``: model species/observables measured (default: every species); ``times``:
    measurement days (default: 6 evenly spaced after 0 over the scenario's duration);
    ``estimate``: parameters to fit (default: every ``assumed`` one with a positive plausible
    range), bounded by their plausible range on log10 scale; sigma is ``relative_sigma`` times
    the largest absolute value of each observable over the times.
    """
    if not 0 < relative_sigma < 10:
        raise ValidationError(f"relative_sigma = {relative_sigma}; allowed: a number in (0, 10)")
    setup = prepare_scenario(scenario)
    spec = setup.spec
    known = [*spec.species_ids, *spec.observable_ids]
    obs = list(observables) if observables else list(spec.species_ids)
    for o in obs:
        if o not in known:
            raise ValidationError(
                f"unknown observable {o!r} of {spec.id}{did_you_mean(o, known)} (a species or "
                "an observable of the model)"
            )
    grid = np.asarray(
        times if times is not None else np.linspace(0, setup.days, 7)[1:], dtype=float
    )
    if grid.size == 0 or np.any(grid < 0) or np.any(np.diff(grid) <= 0):
        raise ValidationError("times must be a non-empty increasing list of days >= 0")
    values = {p.id: float(p.value) for p in spec.parameters} | dict(setup.params)
    est = list(estimate) if estimate is not None else _default_estimates(spec, values)
    params = []
    for pid in est:
        if pid not in spec.parameter_ids:
            raise ValidationError(
                f"unknown parameter {pid!r} to estimate{did_you_mean(pid, spec.parameter_ids)}"
            )
        spec.parameter(pid).check_variable("estimated (--estimate)")
        rng = spec.parameter(pid).range
        nom = values[pid]
        if rng is None or rng[0] <= 0:
            lo, hi = (nom / 10, nom * 10) if nom > 0 else (1e-6, 1.0)
        else:
            lo, hi = min(rng[0], nom), max(rng[1], nom)
        params.append(FitParameter(pid, lo, hi, nom if nom > 0 else lo, scale="log10"))
    t_grid = np.unique(np.concatenate([[0.0], grid]))
    res = setup.run(
        solver=SolverOptions(engine=engine, t_eval=t_grid), check_ranges=False, throw=True
    )
    table = res.table.set_index("time").loc[grid]
    rows = []
    observable_defs = []
    for o in obs:
        series = table[o].to_numpy(dtype=float)
        sigma = relative_sigma * float(np.max(np.abs(series))) or relative_sigma
        observable_defs.append(Readout(f"obs_{o}", o, sigma, "lin", name=o))
        rows += [
            {
                "observableId": f"obs_{o}",
                "simulationConditionId": "c0",
                "time": float(t),
                "measurement": float(v),
            }
            for t, v in zip(grid, series, strict=True)
        ]
    return Problem(
        name=f"{setup.name}_synthetic",
        spec=spec,
        observables=tuple(observable_defs),
        measurements=pd.DataFrame(rows),
        parameters=tuple(params),
        conditions=MappingProxyType({"c0": MappingProxyType({})}),
        params=MappingProxyType(dict(setup.params)),
        initial=MappingProxyType(dict(setup.initial)),
        description=(
            f"synthetic data: the {setup.name} scenario's own simulation ({engine} engine) at "
            f"{len(grid)} times; sigma = {relative_sigma:g} x max |value| per observable"
        ),
        reference="senotwin scenario " + setup.name,
    )
