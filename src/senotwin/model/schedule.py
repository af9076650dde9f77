"""Dosing and perturbation schedules: bolus doses, infusions and parameter steps.

A Schedule is plain data that engines integrate piece-wise: the solver is restarted at every
time where something changes, so no dose is ever a pulse inside the right-hand side (a stiff
solver taking large steps would skip it). The regimen language (``senotwin.therapy``) produces
Schedules; engines (``senotwin.sim``) and exporters read them, so the type lives below both.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from numbers import Real

from senotwin._errors import ValidationError, check_type


def _is_number(value: object) -> bool:
    """A real number, not a bool (math.isfinite('1') raised a bare TypeError)."""
    return isinstance(value, Real) and not isinstance(value, bool)


def _check_time(value: float, what: str) -> None:
    if not (_is_number(value) and math.isfinite(value) and value >= 0):
        raise ValidationError(f"{what}: time must be a finite number >= 0, got {value!r}")


@dataclass(frozen=True)
class Dose:
    """A bolus: at ``time`` add ``amount`` (species unit) to species ``target``."""

    time: float
    target: str
    amount: float

    def __post_init__(self) -> None:
        _check_time(self.time, f"dose of {self.target}")
        if not (isinstance(self.amount, int | float) and math.isfinite(self.amount)):
            raise ValidationError(
                f"dose of {self.target}: amount must be a finite number >= 0, got {self.amount!r}"
            )
        if self.amount < 0:
            raise ValidationError(
                f"dose of {self.target}: amount must be >= 0 (a dose adds to the species), "
                f"got {self.amount!r}"
            )


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
        if not _is_number(self.rate) or not math.isfinite(self.rate):
            raise ValidationError(
                f"infusion into {self.target}: rate must be a finite number, got {self.rate!r}"
            )


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
        if not _is_number(self.value) or not math.isfinite(self.value):
            raise ValidationError(
                f"step of {self.parameter}: value must be a finite number, got {self.value!r}"
            )


@dataclass(frozen=True)
class Schedule:
    """Everything that happens at given times during a run."""

    doses: tuple[Dose, ...] = ()
    infusions: tuple[Infusion, ...] = ()
    steps: tuple[Step, ...] = ()
    name: str = ""
    #: what the run should say about how the regimen was applied (e.g. drug effects on
    #: targets the model does not represent); copied into the run's provenance
    notes: tuple[str, ...] = ()

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


ScheduleLike = Schedule | Iterable[Dose | Infusion | Step]


def as_schedule(regimen: ScheduleLike | None) -> Schedule:
    """Normalise None, a Schedule, or an iterable of Dose/Infusion/Step into a Schedule."""
    if regimen is None:
        return Schedule()
    if isinstance(regimen, Schedule):
        return regimen
    if isinstance(regimen, str):  # iterated, it failed on its first character
        raise ValidationError(
            f"regimen {regimen!r} is text: parse it first, e.g. senotwin.parse_regimen(text)"
        )
    check_type(
        regimen,
        Iterable,
        name="regimen",
        what="a parsed regimen (senotwin.parse_regimen), a Schedule or a list of Dose, Infusion "
        "and Step",
    )
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
