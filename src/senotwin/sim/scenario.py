"""run_scenario(): the one way to run a named scenario (or a model) with overrides and a regimen.

It merges the scenario's parameters and initial state with the caller's overrides, compiles a
drug regimen onto the model when one is given (anything with ``compile_for(spec)``, such as a
parsed :class:`senotwin.therapy.language.Regimen`), picks the duration and hands the run to
:func:`senotwin.sim.simulate` with one :class:`SolverOptions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real
from typing import Protocol, runtime_checkable

from senotwin._errors import ValidationError, check_type
from senotwin._suggest import did_you_mean
from senotwin.model.scenarios import Scenario, default_scenario, get_scenario
from senotwin.model.schedule import Schedule, ScheduleLike, as_schedule
from senotwin.model.spec import ModelSpec
from senotwin.sim.inputs import number
from senotwin.sim.options import SolverOptions
from senotwin.sim.result import SimulationResult
from senotwin.sim.simulate import MAPPING, check_days, simulate


@runtime_checkable
class Treatment(Protocol):
    """Something that turns a model into (model with the treatment's parts, dosing schedule)."""

    def compile_for(self, spec: ModelSpec) -> tuple[ModelSpec, Schedule]:
        """The model extended for this treatment and the schedule of its doses."""
        ...


ScenarioLike = str | Scenario | ModelSpec | None


def as_scenario(scenario: ScenarioLike) -> Scenario:
    """A Scenario from a registered name, a Scenario, a bare ModelSpec, or None (the default)."""
    if scenario is None:
        return default_scenario()
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, ModelSpec):
        spec = scenario
        return Scenario(spec.id, spec.name or spec.id, lambda: spec)
    check_type(
        scenario, str, name="scenario", what="a scenario name (str), a Scenario or a ModelSpec"
    )
    return get_scenario(scenario)


def split_overrides(
    spec: ModelSpec, overrides: Mapping[str, float]
) -> tuple[dict[str, float], dict[str, float]]:
    """Sort ``NAME -> value`` into (parameter values, initial amounts) by the model's ids."""
    params: dict[str, float] = {}
    initial: dict[str, float] = {}
    for name, value in overrides.items():
        if name in spec.parameter_ids:
            p = spec.parameter(name)
            number(value, f"parameter {name}")  # a str or None failed in the format below
            if value != p.value:  # a unit conversion set to another number is a mistake
                p.check_variable(f"set to {value:g} (--set or overrides)")
            params[name] = value
        elif name in spec.species_ids:
            initial[name] = value
        else:
            hint = did_you_mean(name, [*spec.parameter_ids, *spec.species_ids])
            raise ValidationError(f"{spec.id} has no parameter or species {name!r}{hint}")
    return params, initial


@dataclass(frozen=True)
class ScenarioSetup:
    """A scenario resolved for running: model (with the regimen's drugs), inputs, schedule.

    Plain data (picklable), so cohort and sensitivity workers receive it once.
    """

    name: str
    spec: ModelSpec
    params: Mapping[str, float]
    initial: Mapping[str, float]
    schedule: Schedule
    days: float
    check_ranges: bool = True  # False for a context of another host (see Scenario)

    def run(
        self,
        *,
        params: Mapping[str, float] | None = None,
        blocks: Mapping[str, float] | None = None,
        solver: SolverOptions | None = None,
        check_ranges: bool = True,
        throw: bool = False,
    ) -> SimulationResult:
        """Simulate this setup; ``params`` replace the setup's parameter values where given
        (plausible ranges are checked unless the setup or the caller turns the check off)."""
        return simulate(
            self.spec,
            params=dict(self.params) | dict(params or {}),
            initial=self.initial,
            blocks=blocks,
            regimen=self.schedule,
            t_end=self.days,
            solver=solver,
            check_ranges=check_ranges and self.check_ranges,
            throw=throw,
        )


def prepare_scenario(
    scenario: ScenarioLike = None,
    *,
    overrides: Mapping[str, float] | None = None,
    regimen: Treatment | ScheduleLike | None = None,
    days: float | None = None,
) -> ScenarioSetup:
    """Resolve a scenario, compile the regimen and merge overrides (nothing is simulated)."""
    sc = as_scenario(scenario)
    check_type(overrides, (Mapping, type(None)), name="overrides", what=MAPPING)
    check_type(days, (Real, type(None)), name="days", what="a number of days or None")
    spec = sc.load()
    bind = getattr(regimen, "for_scenario", None)
    if callable(bind) and (scenario is None or isinstance(scenario, str)):
        # a registered scenario names its species (mouse_*): the regimen is dosed in it; a
        # model or a Scenario object built by the caller keeps the regimen's own body
        regimen = bind(sc.name)
    if isinstance(regimen, Treatment):
        spec, schedule = regimen.compile_for(spec)
    else:
        schedule = as_schedule(regimen)
    p_over, y_over = split_overrides(spec, overrides or {})
    return ScenarioSetup(
        sc.name,
        spec,
        dict(sc.params) | p_over,
        dict(sc.initial) | y_over,
        schedule,
        check_days(sc.days if days is None else days, name="days"),
        sc.check_ranges,
    )


def run_scenario(
    scenario: ScenarioLike = None,
    *,
    overrides: Mapping[str, float] | None = None,
    blocks: Mapping[str, float] | None = None,
    regimen: Treatment | ScheduleLike | None = None,
    days: float | None = None,
    solver: SolverOptions | None = None,
    check_ranges: bool = True,
    throw: bool = False,
) -> SimulationResult:
    """Run ``scenario`` (a name, a Scenario, a ModelSpec, or None for the default scenario).

    ``overrides`` maps parameter or species names to values (species: initial amounts) on top of
    the scenario's; ``blocks`` maps entities to the fraction of activity removed; ``regimen`` is
    a parsed drug regimen (``senotwin.parse_regimen(...)``) or a Schedule; ``days`` defaults to
    the scenario's duration; ``solver`` holds engine, tolerances and output times.
    """
    check_type(blocks, (Mapping, type(None)), name="blocks", what=MAPPING)
    setup = prepare_scenario(scenario, overrides=overrides, regimen=regimen, days=days)
    return setup.run(blocks=blocks, solver=solver, check_ranges=check_ranges, throw=throw)
