"""Dosing and perturbation schedules: bolus doses, infusions and parameter steps.

A Schedule is plain data that engines integrate piece-wise: the solver is restarted at every
time where something changes, so no dose is ever a pulse inside the right-hand side (a stiff
solver taking large steps would skip it). The richer regimen language produces Schedules.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from senotwin._errors import ValidationError


def _check_time(value: float, what: str) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise ValidationError(f"{what}: time must be a finite number >= 0, got {value!r}")


@dataclass(frozen=True)
class Dose:
    """A bolus: at ``time`` add ``amount`` (species unit) to species ``target``."""

    time: float
    target: str
    amount: float

    def __post_init__(self) -> None:
        _check_time(self.time, f"dose of {self.target}")
        if not math.isfinite(self.amount):
            raise ValidationError(f"dose of {self.target}: amount must be finite")


@dataclass(frozen=True)
class Infusion:
    """A constant input ``rate`` (species unit per day) into ``target`` during [start, end)."""

    start: float
    end: float
    target: str
    rate: float

    def __post_init__(self) -> None:
        _check_time(self.start, f"infusion into {self.target}")
        _check_time(self.end, f"infusion into {self.target}")
        if self.end <= self.start:
            raise ValidationError(
                f"infusion into {self.target}: end {self.end} must be after start {self.start}"
            )
        if not math.isfinite(self.rate):
            raise ValidationError(f"infusion into {self.target}: rate must be finite")


@dataclass(frozen=True)
class Step:
    """From ``time`` on, parameter ``parameter`` takes ``value`` (piecewise-constant input).

    Block fractions are parameters too: ``Step(10, "block_NFKB", 0.8)`` starts an 80 % block of
    NF-kB at day 10 (see ``senotwin.model.block_id``).
    """

    time: float
    parameter: str
    value: float

    def __post_init__(self) -> None:
        _check_time(self.time, f"step of {self.parameter}")
        if not math.isfinite(self.value):
            raise ValidationError(f"step of {self.parameter}: value must be finite")


@dataclass(frozen=True)
class Schedule:
    """Everything that happens at given times during a run."""

    doses: tuple[Dose, ...] = ()
    infusions: tuple[Infusion, ...] = ()
    steps: tuple[Step, ...] = ()
    name: str = ""

    def times(self) -> tuple[float, ...]:
        """All times at which the integration must restart, sorted."""
        ts = {d.time for d in self.doses} | {s.time for s in self.steps}
        for inf in self.infusions:
            ts |= {inf.start, inf.end}
        return tuple(sorted(ts))

    def describe(self) -> str:
        """A one-line summary for run provenance."""
        return (
            f"{len(self.doses)} dose(s), {len(self.infusions)} infusion(s), "
            f"{len(self.steps)} step(s)" + (f" [{self.name}]" if self.name else "")
        )


Regimen = Schedule | Iterable[Dose | Infusion | Step]


def as_schedule(regimen: Regimen | None) -> Schedule:
    """Normalise None, a Schedule, or an iterable of Dose/Infusion/Step into a Schedule."""
    if regimen is None:
        return Schedule()
    if isinstance(regimen, Schedule):
        return regimen
    doses, infusions, steps = [], [], []
    for item in regimen:
        if isinstance(item, Dose):
            doses.append(item)
        elif isinstance(item, Infusion):
            infusions.append(item)
        elif isinstance(item, Step):
            steps.append(item)
        else:
            raise ValidationError(f"regimen item {item!r} is not a Dose, Infusion or Step")
    return Schedule(tuple(doses), tuple(infusions), tuple(steps))


@dataclass(frozen=True)
class Segment:
    """What to do at ``start`` before integrating to ``end``."""

    start: float
    end: float
    jumps: tuple[tuple[str, float], ...] = ()  # (species, added amount)
    events: bool = False  # apply the spec's own events scheduled at start
    parameters: tuple[tuple[str, float], ...] = ()  # parameter values set from start on
    inputs: tuple[tuple[str, float], ...] = field(default=())  # species -> total input rate


def plan(schedule: Schedule, event_times: Iterable[float], t_end: float) -> tuple[Segment, ...]:
    """Cut [0, t_end] at every action time; the last segment may have zero length (t_end)."""
    ts = sorted(
        {0.0, *(t for t in schedule.times() if t <= t_end)} | {t for t in event_times if t <= t_end}
    )
    event_set = set(event_times)
    segments = []
    for i, t in enumerate(ts):
        end = ts[i + 1] if i + 1 < len(ts) else t_end
        jumps = tuple((d.target, d.amount) for d in schedule.doses if d.time == t)
        params = tuple((s.parameter, s.value) for s in schedule.steps if s.time == t)
        rates: dict[str, float] = {}
        for inf in schedule.infusions:
            if inf.start <= t < inf.end:
                rates[inf.target] = rates.get(inf.target, 0.0) + inf.rate
        segments.append(
            Segment(t, end, jumps, t in event_set, params, tuple(sorted(rates.items())))
        )
    return tuple(segments)
