"""Engine inputs: user overrides (parameters, initial state, blocks) resolved into vectors with
checks, and a Schedule cut into the segments that engines integrate piece-wise."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from senotwin._errors import ValidationError
from senotwin._suggest import did_you_mean
from senotwin.kb.loader import shipped_id
from senotwin.model.compile import FlatModel, block_id, initial_rules
from senotwin.model.schedule import Schedule


def _hint(name: str, options: tuple[str, ...] | list[str]) -> str:
    return did_you_mean(name, options)


@dataclass(frozen=True)
class RunInputs:
    """Parameter vector (spec parameters then block fractions) and initial state."""

    p: np.ndarray
    y0: np.ndarray


@dataclass(frozen=True)
class _Slots:
    """Name -> vector slot lookups of one lowered model (built once per model)."""

    p_index: Mapping[str, int]  # spec parameters and block fractions
    ranges: Mapping[str, tuple[float, float] | None]  # spec parameters only
    s_index: Mapping[str, int]


_SLOTS: dict[str, _Slots] = {}


def _slots(flat: FlatModel) -> _Slots:
    key = flat.spec.digest()
    hit = _SLOTS.get(key)
    if hit is None:
        if len(_SLOTS) >= 64:
            _SLOTS.pop(next(iter(_SLOTS)))
        hit = _SLOTS[key] = _Slots(
            {pid: i for i, pid in enumerate(flat.parameters)},
            {p.id: p.range for p in flat.spec.parameters},
            {sid: i for i, sid in enumerate(flat.species)},
        )
    return hit


def resolve(
    flat: FlatModel,
    *,
    params: Mapping[str, float] | None,
    initial: Mapping[str, float] | None,
    blocks: Mapping[str, float] | None,
    check_ranges: bool,
) -> RunInputs:
    """Check every override name and value and build the engine vectors. A species with an
    initial expression starts at its value for the run's parameters (before blocks), unless
    ``initial`` gives its amount."""
    spec = flat.spec
    p = np.array(flat.values, dtype=float)
    y0 = np.array(flat.initial, dtype=float)
    slots = _slots(flat)
    p_index = slots.p_index
    ranges = slots.ranges
    for name, value in (params or {}).items():
        if name not in ranges:
            raise ValidationError(
                f"unknown parameter {name!r}" + _hint(name, list(spec.parameter_ids))
            )
        v = number(value, f"parameter {name}")
        rng = ranges[name]
        if check_ranges and rng is not None and not rng[0] <= v <= rng[1]:
            raise ValidationError(
                f"parameter {name}={v} is outside its plausible range [{rng[0]}, {rng[1]}]"
            )
        default = p[p_index[name]]
        if check_ranges and rng is None and default >= 0 > v:
            raise ValidationError(
                f"parameter {name}={v}: must be >= 0 (it has no declared range and its model "
                f"value {default:g} is not negative)"
            )
        p[p_index[name]] = v
    # species whose initial amount is an expression of parameters follow this run's values,
    # unless the run gives their amount itself
    y0 = initial_rules(flat).apply(p, y0, keep=initial or ())
    s_index = slots.s_index
    for name, value in (initial or {}).items():
        if name not in s_index:
            raise ValidationError(
                f"unknown species {name!r} in initial state" + _hint(name, list(flat.species))
            )
        v = number(value, f"initial value of {name}")
        if v < 0:
            raise ValidationError(f"initial value of {name} must be >= 0, got {v}")
        y0[s_index[name]] = v
    for name, fraction in (blocks or {}).items():
        entity = block_entity(name, flat.entities)
        f = number(fraction, f"block of {entity}")
        if not 0.0 <= f <= 1.0:
            raise ValidationError(f"block of {entity} must be a fraction in [0, 1], got {f}")
        p[p_index[block_id(entity)]] = f
    return RunInputs(p, y0)


def block_entity(name: str, entities: Sequence[str]) -> str:
    """The model entity a block names: its tag, or a knowledge-base name or alias of it
    (PD-L1 and B7-H1 are CD274). Unresolved, 'PD-L1' was told 'did you mean PDCD1' -- PD-1,
    another molecule (audit, session 41)."""
    if name in entities:
        return name
    target = shipped_id(name)
    if target in entities:
        return str(target)
    raise ValidationError(
        f"unknown entity {name!r} to block"
        + (
            f" (the knowledge base knows it as {target}, which this model does not represent)"
            if target
            else _hint(name, list(entities))
        )
        + (f" (blockable: {', '.join(entities)})" if entities else "")
    )


def check_schedule(flat: FlatModel, schedule: Schedule) -> None:
    """Every dose/infusion targets a species, every step a parameter or block fraction."""
    species = list(flat.species)
    for d in schedule.doses:
        if d.target not in species:
            raise ValidationError(
                f"dose targets unknown species {d.target!r}" + _hint(d.target, species)
            )
    for inf in schedule.infusions:
        if inf.target not in species:
            raise ValidationError(
                f"infusion targets unknown species {inf.target!r}" + _hint(inf.target, species)
            )
    params = list(flat.parameters)
    for s in schedule.steps:
        if s.parameter not in params:
            raise ValidationError(
                f"step sets unknown parameter {s.parameter!r}" + _hint(s.parameter, params)
            )
        if s.parameter.startswith("block_") and not 0.0 <= s.value <= 1.0:
            raise ValidationError(f"step of {s.parameter}: a block fraction must be in [0, 1]")


def number(value: object, what: str) -> float:
    """``value`` as a float, refused unless it is a finite number (``what`` names it)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
        raise ValidationError(f"{what}: expected a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValidationError(f"{what}: value must be finite, got {v}")
    return v


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
