"""The model-ready drug library: knowledge-base agents with model targets, PK and PD.

Entries live in ``therapy/data/drugs.yaml`` (data, not code). Each names its kb agent, the model
targets it acts on (entity tags of the TME model, or the inducer-exposure species ``stress``), a
one- or two-compartment PK model with cited or assumed values, and Emax/Hill effects. Quantities
with units ("30 h", "25 L/kg") are parsed with pint and converted to the model's day-based units.
``library()`` validates the file once; ``get_drug`` resolves names and aliases with suggestions.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pint
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from senotwin._errors import ValidationError, check_type
from senotwin._suggest import did_you_mean
from senotwin._yaml import read_yaml
from senotwin.model.spec import Provenance

DoseKind = Literal["mass", "radiation", "activity"]
Route = Literal["iv", "po", "ip", "sc", "local"]
EffectKind = Literal["inhibit", "activate", "drive"]
Category = Literal[
    "senomorphic",
    "senolytic",
    "anti_cytokine",
    "myeloid_blocker",
    "checkpoint_inhibitor",
    "ici_partner",
    "senescence_inducer",
]
DRIVE_TARGET = "stress"
ROUTES: tuple[str, ...] = ("iv", "po", "ip", "sc", "local")
# canonical dose unit of each dose kind (what the PK model receives)
CANONICAL_UNIT: Mapping[str, str] = {"mass": "mg/kg", "radiation": "Gy", "activity": "kBq/kg"}


@cache
def units() -> pint.UnitRegistry:
    """The shared pint registry (built once; ~0.4 s)."""
    return pint.UnitRegistry()


@lru_cache(maxsize=4096)
def quantity(text: str, target: str, *, where: str) -> float:
    """Parse ``text`` ("30 h") with pint and return its magnitude in ``target`` units
    (remembered: dose rules compile thousands of doses per cohort from a few unit texts)."""
    ureg = units()
    try:
        q: Any = ureg.Quantity(text)
        return float(q.to(target).magnitude)
    except (pint.errors.PintError, ValueError, TypeError, AttributeError) as exc:
        raise ValidationError(f"{where}: {text!r} is not a quantity in {target} ({exc})") from None


# The library's reference adult: 70 kg, Km 37 kg/m2 (FDA 2005 starting-dose guidance, Table 1).
REFERENCE_WEIGHT_KG = 70.0
REFERENCE_KM = 37.0


@lru_cache(maxsize=1024)
def volume_per_kg(text: str, weight_kg: float) -> float:
    """A distribution volume in L/kg from "1.5 L/kg", "16.1 L" (per ``weight_kg``) or
    "11.5 L/m2" (per body-surface area of the reference adult, Km 37 kg/m2)."""
    norm = re.sub(r"m2$", "m**2", text.strip())
    ureg = units()
    try:
        q: Any = ureg.Quantity(norm)
    except (pint.errors.PintError, ValueError, TypeError, AttributeError) as exc:
        raise ValidationError(f"pk.volume: {text!r} is not a volume ({exc})") from None
    for target, scale in (("L/kg", 1.0), ("L", 1.0 / weight_kg), ("L/m**2", 1.0 / REFERENCE_KM)):
        try:
            return float(q.to(target).magnitude) * scale
        except pint.errors.DimensionalityError:
            continue
    raise ValidationError(f"pk.volume: {text!r} is not in L/kg, L or L/m2")


@dataclass(frozen=True)
class Toxicity:
    """A mechanism-based toxicity proxy: drug inhibition of ``entity`` (0 = none, 1 = full)."""

    entity: str
    description: str
    source: str


TOXICITY: dict[str, Toxicity] = {
    "immune_suppression": Toxicity(
        "NFKB",
        "immune suppression by NF-kB inhibition",
        "review 4.1: excessive inhibition of NF-kB may suppress immune function (infections, "
        "immune evasion)",
    ),
    "hepatorenal_load": Toxicity(
        "MTOR",
        "hepatic/renal load of mTOR inhibition",
        "review 4.1: mTORC1 inhibition may trigger adverse reactions in the liver and kidneys; "
        "kb curator note NOTE_C23_RAPAMYCIN_MTORC2",
    ),
    "thrombocytopenia": Toxicity(
        "BCL2_FAMILY",
        "thrombocytopenia from BCL-xL inhibition",
        "Wilson WH et al. Lancet Oncol 2010;11:1149 (navitoclax dose-limiting thrombocytopenia; "
        "platelet survival depends on BCL-xL)",
    ),
}
SENOLYSIS_DAMAGE = "senolysis_tissue_damage"
SENOLYSIS_SOURCE = (
    "review 4.2: removing the many senescent cells of aged tissue may disrupt tissue integrity, "
    "endothelial function and barriers (kb C206-C209)"
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class ReferenceDose(_Frozen):
    """The dose the PD parameters refer to (EC50 relative to its peak concentration)."""

    amount: float = Field(gt=0)
    unit: str
    route: Route


class DoseLimit(_Frozen):
    """The largest single dose accepted, as a multiple of the reference dose, and why.

    Guards against unit slips and doses no organism survives (a 1e9 mg/kg dose "succeeds"
    numerically; 1e300 stalls the solver). Not a clinical maximum tolerated dose.
    """

    multiple_of_reference: float = Field(gt=1, le=1000)
    provenance: Provenance


Species = Literal["human", "mouse"]


def _positive_time_problem(value: object) -> str | None:
    """Why ``value`` is not a positive time with its unit ("21 d", "12 h"); None when it is."""
    days = _days(value)
    if days is None or not (math.isfinite(days) and days > 0):
        return (
            f"{value!r} is not a positive number of days (give a time with its unit: "
            "'21 d', '1 week', '12 h')"
        )
    return None


def _days(value: object) -> float | None:
    """A time with its unit ("21 d", "12 h") in days; None for anything else (a bare number)."""
    if not isinstance(value, str):
        return None
    try:
        return quantity(value, "day", where="interval")
    except ValidationError:
        return None


#: doses a day the regimen language can give each listed day (``per_day``): the counts whose
#: hours between doses divide a day (24 h / n), written qd, bid, tid, qid or q{24/n}h
DOSES_PER_DAY = (1, 2, 3, 4, 6, 8, 12, 24)
_PER_DAY_WORDS = {1: "qd", 2: "bid", 3: "tid", 4: "qid"}


def per_day_text(per_day: int) -> str:
    """The frequency word of ``per_day`` doses a day: qd, bid, tid, qid, else q{24/n}h (q4h)."""
    if per_day not in DOSES_PER_DAY:
        raise ValueError(f"{per_day!r} doses a day: allowed {', '.join(map(str, DOSES_PER_DAY))}")
    return _PER_DAY_WORDS.get(per_day, f"q{24 // per_day}h")


def doses_per_day(every: float) -> int | None:
    """How many doses a day an interval of ``every`` days is (1 for a day, 3 for 8 h: one of
    DOSES_PER_DAY, compared with isclose); None for any other interval (2 d, 5 h)."""
    return next((n for n in DOSES_PER_DAY if math.isclose(every * n, 1.0)), None)


def frequency_text(every: float) -> str:
    """A dosing interval (days) as a regimen-language frequency: qd, bid, tid, qid or qNh for a
    day divided into equal doses (1, 1/2, 1/3, 1/4, 1/6, ... of a day; see DOSES_PER_DAY),
    qNd otherwise."""
    n = doses_per_day(every)
    return per_day_text(n) if n is not None else f"q{every:.4g}d"


def doses_in_on_days(on: float, every: float) -> int:
    """Doses of one cycle of an on/off schedule dosed at ``every`` days for its first ``on``
    days: on day 0, every, 2 every, ... before ``on``, i.e. ceil(on / every) (etoposide every 2
    days on days 1-5 is days 1, 3, 5: three). The schedule check (therapy.dosing) and the
    schedule search (cohort.optimize) both count a cycle with it."""
    return max(1, math.ceil(on / every - 1e-9))


class DoseSchedule(_Frozen):
    """One labelled or studied schedule of a dose range: a dose ``min``/``max`` paired with the
    ``interval`` it is given at and, where the source has one, an on/off cycle (dosed at the
    interval for the first ``on`` days of every ``cycle`` days, :func:`doses_in_on_days` doses a
    cycle: navitoclax daily on days 1-14 of 21 is ``interval: 1 d, on: 14 d, cycle: 21 d``) and
    a cap on the administrations of one course (``max_doses``: a radiotherapy course of 30
    fractions is ``max_doses: 30``; a single fraction is ``max_doses: 1``, whose interval, still
    given, then spaces no doses). ``routes``, where the source ties the schedule to a route
    (tocilizumab's 162 mg weekly is subcutaneous), are the routes it is given by (each one of
    the range's); left out, any of the range's routes. ``source`` quotes where it is stated;
    empty where the range's own source states it. Validated, with the drug named, by ``Drug``."""

    min: str
    max: str
    interval: str | int | float
    on: str | int | float | None = None
    cycle: str | int | float | None = None
    # bool first: YAML's `yes` stays a bool (and is refused) instead of becoming 1
    max_doses: bool | int | float | str | None = None
    routes: tuple[Route, ...] | None = Field(default=None, min_length=1)
    source: str = ""

    @model_validator(mode="before")
    @classmethod
    def _yaml_on_key(cls, value: object) -> object:
        """YAML 1.1 reads an unquoted ``on:`` key as the boolean true; take it as ``on``."""
        if isinstance(value, dict) and True in value and "on" not in value:
            value = {("on" if k is True else k): v for k, v in value.items()}
        return value

    def interval_day(self) -> float:
        """The interval in days."""
        return quantity(str(self.interval), "day", where="interval")

    def on_off_days(self) -> tuple[float, float] | None:
        """(on, cycle) in days; None for a schedule without an on/off cycle."""
        if self.on is None or self.cycle is None:
            return None
        return (
            quantity(str(self.on), "day", where="on"),
            quantity(str(self.cycle), "day", where="cycle"),
        )

    def cap(self) -> int | None:
        """The most administrations one course may have (None: no cap); a well-formed
        ``max_doses`` (see :meth:`max_doses_problem`)."""
        if self.max_doses is None or self.max_doses_problem() is not None:
            return None
        assert isinstance(self.max_doses, int)  # checked by max_doses_problem
        return self.max_doses

    def max_doses_problem(self) -> str | None:
        """Why ``max_doses`` is not a positive whole number (None when it is, or not given)."""
        value = self.max_doses
        if value is None or (isinstance(value, int) and not isinstance(value, bool) and value > 0):
            return None
        return (
            f"{value!r} is not a positive whole number of administrations (the most doses one "
            "course gives: 'max_doses: 30' for 30 fractions, 'max_doses: 1' for a single one)"
        )

    def per_cycle(self) -> int | None:
        """Doses in one cycle of an on/off schedule (:func:`doses_in_on_days`); None without
        a cycle."""
        cyc = self.on_off_days()
        return None if cyc is None else doses_in_on_days(cyc[0], self.interval_day())

    def label(self) -> str:
        """The schedule in words: '100 mg/m2 to 125 mg/m2 q7d on days 1-21 of each 28-day
        cycle'; '2 Gy qd on days 1-5 of each 7-day cycle, at most 30 doses'; '34 Gy once'; a
        schedule tied to a route names it ('162 mg sc q7d')."""
        dose = self.min if self.min == self.max else f"{self.min} to {self.max}"
        if self.routes is not None:
            dose += " " + " or ".join(self.routes)
        cap = self.cap()
        if cap == 1:
            return f"{dose} once"
        text = f"{dose} {frequency_text(self.interval_day())}"
        if (cyc := self.on_off_days()) is not None:
            text += f" on days 1-{cyc[0]:g} of each {cyc[1]:g}-day cycle"
        if cap is not None:
            text += f", at most {cap} doses"
        return text

    def time_problem(self) -> tuple[str, str] | None:
        """(field, why) when the interval or on/off cycle is not well formed (None when it is):
        positive times, ``on`` and ``cycle`` together, interval <= on <= cycle."""
        for name in ("interval", "on", "cycle"):
            value = getattr(self, name)
            if value is not None and (why := _positive_time_problem(value)):
                return name, why
        if (self.on is None) != (self.cycle is None):
            given, missing = ("on", "cycle") if self.cycle is None else ("cycle", "on")
            value = getattr(self, given)
            return given, (
                f"{value!r} is given without {missing} (an on/off cycle needs both: "
                "'on: 14 d, cycle: 21 d' for days 1-14 of 21)"
            )
        cyc = self.on_off_days()
        if cyc is not None:
            on, cycle = cyc
            if self.interval_day() > on * (1 + 1e-9):
                return "interval", (
                    f"{self.interval!r} is longer than on {self.on!r} (doses are given at the "
                    "interval within the on days, so interval <= on)"
                )
            if on > cycle * (1 + 1e-9):
                return "on", f"{self.on!r} is longer than cycle {self.cycle!r} (on <= cycle)"
        return None


class CumulativeLimit(_Frozen):
    """The most one patient's doses of a drug may add up to where its label characterises a
    cumulative toxicity only up to a total (doxorubicin's cardiomyopathy, 1-20 % at 300-500
    mg/m2): ``max`` ('500 mg/m2') with the ``source`` that states it."""

    max: str
    source: str = Field(min_length=10)


class DoseRange(_Frozen):
    """The labelled or studied dose range of one administration in a species, with its source.

    ``min``/``max`` are doses with units ("1 mg/kg", "1680 mg", "75 mg/m2"), compared per kg of
    the regimen's body; ``routes`` are the routes used in that species (ip is a mouse route).
    ``interval`` is the labelled or studied time between doses ("21 d", or several allowed ones
    such as ["7 d", "21 d"]), read from the same source; empty where the source gives none.
    ``schedules`` instead pair dose bounds with their interval and on/off cycle where the source
    does (:class:`DoseSchedule`; each inside ``min``..``max``, which a regimen is held to).
    ``cumulative`` is the total a course may reach where the label characterises a cumulative
    toxicity only that far (:class:`CumulativeLimit`). Validated, with the drug named, by
    ``Drug``."""

    min: str
    max: str
    routes: tuple[Route, ...] = Field(min_length=1)
    source: str = Field(min_length=10)
    interval: tuple[str | int | float, ...] = ()
    schedules: tuple[DoseSchedule, ...] = ()
    cumulative: CumulativeLimit | None = None

    @field_validator("interval", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        """One interval may be written alone ("21 d") instead of as a one-item list."""
        return (value,) if isinstance(value, (str, int, float)) else value

    def all_schedules(self) -> tuple[DoseSchedule, ...]:
        """The range's schedules: its ``schedules``, else one per flat ``interval`` with the
        range's own bounds (any dose of the range at any allowed interval); empty where the
        source gives no interval."""
        if self.schedules:
            return self.schedules
        return tuple(
            DoseSchedule(min=self.min, max=self.max, interval=i, source=self.source)
            for i in self.interval
        )

    def schedule_source(self, schedule: DoseSchedule) -> str:
        """Where ``schedule`` is stated: its own source, else the range's."""
        return schedule.source or self.source

    def interval_days(self) -> tuple[float, ...]:
        """The allowed intervals in days, shortest first, each once (empty: the source gives
        none)."""
        out: list[float] = []
        for s in self.all_schedules():
            days = s.interval_day()
            if not any(math.isclose(days, d) for d in out):
                out.append(days)
        return tuple(sorted(out))

    def interval_problem(self) -> str | None:
        """Why ``interval`` is not a list of distinct positive times (None when it is)."""
        if not self.interval and "interval" in self.model_fields_set:
            return "[] is empty (leave the field out where the source gives no schedule)"
        seen: list[float] = []
        for value in self.interval:
            if why := _positive_time_problem(value):
                return why
            days = _days(value)
            assert days is not None  # checked just above
            if any(math.isclose(days, s) for s in seen):
                return f"{value!r} is listed twice"
            seen.append(days)
        return None

    def schedules_problem(self) -> tuple[str, str] | None:
        """(field, why) when ``schedules`` is malformed in time (None when it is): not beside a
        flat ``interval``, none listed twice, each schedule's times (see
        :meth:`DoseSchedule.time_problem`), dose cap (:meth:`DoseSchedule.max_doses_problem`) and
        routes (the range's, each once). Dose bounds are checked in ``therapy.dosing``."""
        if not self.schedules:
            if "schedules" in self.model_fields_set:
                return "schedules", (
                    "[] is empty (leave the field out where the source pairs no doses with "
                    "intervals)"
                )
            return None
        if self.interval:
            return "interval", (
                f"{list(self.interval)!r} is given beside schedules (give each schedule's "
                "interval inside it, not both)"
            )
        seen: list[tuple[object, ...]] = []
        for k, s in enumerate(self.schedules):
            if found := s.time_problem():
                return f"schedules[{k}].{found[0]}", found[1]
            if why := s.max_doses_problem():
                return f"schedules[{k}].max_doses", why
            if s.routes is not None:
                bad = [r for r in s.routes if r not in self.routes]
                if bad or len(set(s.routes)) != len(s.routes):
                    return f"schedules[{k}].routes", (
                        f"{list(s.routes)!r}: each route once, and only the range's routes "
                        f"{list(self.routes)} (the schedule is given by some of them)"
                    )
            key = (s.min, s.max, s.interval_day(), s.on_off_days(), s.cap(), s.routes)
            if key in seen:
                return f"schedules[{k}]", f"{s.label()!r} is listed twice"
            seen.append(key)
        return None


# The default limits (used when a library entry gives no ``dose_limit``); assumed, see rationale.
DEFAULT_DOSE_MULTIPLE = 20.0
HIGH_DOSE_MULTIPLE = 100.0
_DEFAULT_LIMIT_WHY = (
    "the reference doses are active, tolerated doses; maximum tolerated doses of the library's "
    "agents lie within a few-fold of them, so 20x leaves room for dose exploration while "
    "rejecting unit slips (mg for ug) and doses no organism survives"
)
_HIGH_DOSE_LIMIT_WHY = (
    "a senomorphic with a high-dose (senolytic) effect, half-maximal at 8x the reference peak "
    "with Hill 2 (review 4.1 refs 188-189, modelled as an assumption): exploring that regime "
    "needs doses up to 100x the reference dose"
)


def default_dose_limit(high_dose: bool) -> DoseLimit:
    """The library's default dose limit (20x reference; 100x for drugs with a high-dose effect)."""
    multiple, why = (
        (HIGH_DOSE_MULTIPLE, _HIGH_DOSE_LIMIT_WHY)
        if high_dose
        else (DEFAULT_DOSE_MULTIPLE, _DEFAULT_LIMIT_WHY)
    )
    return DoseLimit.model_validate(
        {"multiple_of_reference": multiple, "provenance": {"kind": "assumed", "rationale": why}}
    )


class ClearanceSpread(_Frozen):
    """The between-patient spread of a drug's clearance in a published population-PK analysis:
    its CV (log-normal, omega^2 = ln(1 + CV^2)), with the source and how the CV was read."""

    cv: float = Field(gt=0, lt=2)
    source: str = Field(min_length=10)


class BloodPlasma(_Frozen):
    """A measured whole-blood / plasma concentration ratio, with its source."""

    value: float = Field(gt=0)
    source: str = Field(min_length=10)


class PK(_Frozen):
    """Compartmental PK: 'none' (instant), one or two compartments; first-order absorption;
    ``clearance_spread``: a cited between-patient spread of the clearance (trial patients draw
    their own, therapy.pkpd.patient_clearance).

    ``elimination_max`` ("7.5 mg/d", for the PK's weight) and ``elimination_km`` ("2.7 mg/L"),
    given together, add a saturable (Michaelis-Menten) elimination from the central compartment
    in parallel with the linear one, as population PK models of antibodies write target-mediated
    clearance (tocilizumab, Frey 2010): rate Vmax / V1 x C / (Km + C) in concentration units. The
    linear part (``half_life`` or ``clearance``) is then the clearance at concentrations far
    above Km, so :meth:`terminal_half_life_days` is the high-dose half-life and
    :meth:`low_concentration_half_life_days` the one far below Km."""

    model: Literal["none", "one_compartment", "two_compartment"]
    half_life: str | None = None
    volume: str | None = None
    clearance: str | None = None
    peripheral_volume: str | None = None
    intercompartmental_clearance: str | None = None
    weight: str | None = None
    ka: str | None = None
    bioavailability: dict[str, float] = Field(default_factory=dict)
    basis: Literal["human", "mouse"] = "human"
    provenance: Provenance
    clearance_spread: ClearanceSpread | None = None
    #: whole-blood / plasma concentration, where the PK was measured in whole blood (its
    #: concentrations are blood's; a potency is a plasma-side value, so its EC50 in the PK's
    #: units is the plasma EC50 times this); 1 = the PK is plasma's
    blood_plasma_ratio: BloodPlasma | None = None
    elimination_max: str | None = None  # "7.5 mg/d": saturable capacity for the PK's weight
    elimination_km: str | None = None  # "2.7 mg/L": its half-saturation concentration

    @model_validator(mode="after")
    def _complete(self) -> PK:
        needs: tuple[str, ...] = ()
        if self.model == "one_compartment":
            needs = ("half_life", "volume")
        elif self.model == "two_compartment":
            needs = ("clearance", "volume", "peripheral_volume", "intercompartmental_clearance")
            needs += ("weight",)
        missing = [n for n in needs if getattr(self, n) is None]
        if missing:
            raise ValueError(f"{self.model} PK needs {', '.join(missing)}")
        if self.clearance_spread is not None and self.model == "none":
            raise ValueError("clearance_spread needs a compartmental PK (model 'none' has none)")
        if (self.elimination_max is None) != (self.elimination_km is None):
            raise ValueError(
                "a saturable elimination needs both elimination_max and elimination_km"
            )
        if self.elimination_max is not None:
            if self.model == "none":
                raise ValueError("a saturable elimination needs a compartmental PK")
            if self.clearance_spread is not None:
                raise ValueError(
                    "clearance_spread with a saturable elimination is not supported (a patient's "
                    "clearance factor would move the linear part only; the source model's spread "
                    "of the capacity is its own)"
                )
            vmax, km = self.saturable_elimination() or (0.0, 0.0)
            if not (vmax > 0 and km > 0):
                raise ValueError("elimination_max and elimination_km must be above 0")
        for route, f in self.bioavailability.items():
            if route not in ROUTES or route == "iv":
                raise ValueError(f"bioavailability for {route!r}: give it for po, ip, sc or local")
            if not 0 < f <= 1:
                raise ValueError(f"bioavailability for {route} must be in (0, 1], got {f}")
        return self

    # ---- derived rate constants (per day; volumes in L/kg) -------------------------------
    @cached_property
    def _weight_kg(self) -> float:
        return quantity(self.weight, "kg", where="pk.weight") if self.weight else 1.0

    def central_volume(self) -> float:
        """Central volume in L/kg (a volume in L is per the PK weight, 70 kg unless given; one
        in L/m2 is per body-surface area of the reference adult, Km 37 kg/m2)."""
        if self.volume is None:
            return 1.0
        if self.model == "two_compartment":
            return quantity(self.volume, "L", where="pk.volume") / self._weight_kg
        return volume_per_kg(self.volume, self._weight_kg if self.weight else REFERENCE_WEIGHT_KG)

    def k10(self) -> float:
        """Elimination rate constant from the central compartment (1/day)."""
        if self.model == "one_compartment" and self.half_life is not None:
            return math.log(2) / quantity(self.half_life, "day", where="pk.half_life")
        if self.model == "two_compartment" and self.clearance and self.volume:
            cl = quantity(self.clearance, "L/day", where="pk.clearance")
            return cl / quantity(self.volume, "L", where="pk.volume")
        return 0.0

    def k12_k21(self) -> tuple[float, float]:
        """Distribution rate constants (1/day); zero for one compartment."""
        if self.model != "two_compartment" or not (
            self.intercompartmental_clearance and self.volume and self.peripheral_volume
        ):
            return 0.0, 0.0
        q = quantity(self.intercompartmental_clearance, "L/day", where="pk.q")
        v1 = quantity(self.volume, "L", where="pk.volume")
        v2 = quantity(self.peripheral_volume, "L", where="pk.peripheral_volume")
        return q / v1, q / v2

    def ka_per_day(self) -> float:
        """Absorption rate constant (1/day); 0 when the drug has no extravascular route."""
        return quantity(self.ka, "1/day", where="pk.ka") if self.ka else 0.0

    def saturable_elimination(self) -> tuple[float, float] | None:
        """(Vmax / V1 in mg/L/day, Km in mg/L) of the saturable elimination; None without one.
        The capacity is for the PK's weight (70 kg unless given), over its central volume."""
        if self.elimination_max is None or self.elimination_km is None:
            return None
        vmax = quantity(self.elimination_max, "mg/day", where="pk.elimination_max")
        km = quantity(self.elimination_km, "mg/L", where="pk.elimination_km")
        weight = self._weight_kg if self.weight else REFERENCE_WEIGHT_KG
        return vmax / (self.central_volume() * weight), km

    def _half_life(self, k10: float) -> float:
        """Terminal half-life (days) for the elimination rate constant ``k10``."""
        if k10 <= 0:
            return math.inf
        k12, k21 = self.k12_k21()
        s = k10 + k12 + k21
        beta = (s - math.sqrt(max(s * s - 4 * k10 * k21, 0.0))) / 2 if k12 > 0 else k10
        return math.log(2) / beta

    def terminal_half_life_days(self) -> float:
        """Terminal half-life in days (beta phase for two compartments); with a saturable
        elimination, the linear one (concentrations far above its Km: a high dose)."""
        return self._half_life(self.k10())

    def low_concentration_half_life_days(self) -> float:
        """Terminal half-life in days far below a saturable elimination's Km, where it adds
        Vmax / (V1 Km) to the linear rate constant (the terminal half-life without one)."""
        sat = self.saturable_elimination()
        return self._half_life(self.k10() + (sat[0] / sat[1] if sat else 0.0))


class Potency(_Frozen):
    """A measured molar potency (Kd, Ki, IC50 or EC50) at the target, with its source, and the
    tumour penetration (tumour / plasma concentration) that turns it into a plasma EC50.

    On a ``drive`` effect it is a cancer-cell growth IC50 measured over ``assay_days`` of
    continuous exposure (therapy.pkpd turns it into exposure per unit AUC)."""

    value: str  # "2.6 nM"
    kind: Literal["Kd", "Ki", "IC50", "EC50"]
    source: str = Field(min_length=10)
    penetration: float = Field(gt=0, le=1)
    penetration_why: str = Field(min_length=10)
    assay_days: float | None = Field(default=None, gt=0)

    def molar(self) -> float:
        """The potency in mol/L."""
        return quantity(self.value, "mol/L", where="potency.value")


class DriverSpread(_Frozen):
    """The between-patient CV (log-normal) of one driver PK constant."""

    field: Literal["v1", "v2", "transport_max"]
    cv: float = Field(gt=0, lt=3)


class DriverPK(_Frozen):
    """The PK a published neutropenia slope was estimated on, where it is not the library's: a
    slope belongs to the concentrations it was fitted with. A saturable three-compartment model
    in one patient's absolute units (Chen 2014's nab-paclitaxel: central ``v1``, saturable
    transport to ``v2``, linear exchange ``q`` with ``v3``, Michaelis-Menten elimination), given
    to the library's reference adult (70 kg, BSA 70/37 m2) and infused over ``infusion``."""

    v1: str  # "15.8 L"
    v2: str
    v3: str
    q: str  # "41.6 L/h"
    transport_max: str  # "325000 ug/h"
    transport_km: str  # "4260 ug/L"
    elimination_max: str
    elimination_km: str
    infusion: str  # "30 min"
    source: str = Field(min_length=10)
    #: the source model's between-patient spread of these constants (the elimination
    #: capacity's is the drug's ``pk.clearance_spread``, drawn once for both PKs)
    spread: tuple[DriverSpread, ...] = ()
    spread_source: str = ""

    @model_validator(mode="after")
    def _spread_sourced(self) -> DriverPK:
        """A spread names its source, once per constant."""
        fields = [s.field for s in self.spread]
        if len(set(fields)) != len(fields):
            raise ValueError(f"myelosuppression.pk.spread: a constant twice in {fields}")
        if self.spread and len(self.spread_source) < 10:
            raise ValueError("myelosuppression.pk.spread needs its spread_source")
        return self

    def values(self) -> dict[str, float]:
        """Model units: volumes in L, q in L/day, capacities in mg/day, constants in mg/L,
        infusion in days."""
        where = "myelosuppression.pk"
        out = {k: quantity(getattr(self, k), "L", where=f"{where}.{k}") for k in ("v1", "v2", "v3")}
        out["q"] = quantity(self.q, "L/day", where=f"{where}.q")
        for k in ("transport_max", "elimination_max"):
            out[k] = quantity(getattr(self, k), "mg/day", where=f"{where}.{k}")
        for k in ("transport_km", "elimination_km"):
            out[k] = quantity(getattr(self, k), "mg/L", where=f"{where}.{k}")
        out["infusion"] = quantity(self.infusion, "day", where=f"{where}.infusion")
        return out

    @model_validator(mode="after")
    def _positive(self) -> DriverPK:
        """Every constant parses in its unit and is above 0, refused at load."""
        bad = [k for k, v in self.values().items() if not v > 0]
        if bad:
            raise ValueError(f"myelosuppression.pk: {', '.join(bad)} must be above 0")
        return self


class Myelosuppression(_Frozen):
    """A published neutropenia model's drug term: linear inhibition of precursor proliferation
    per plasma concentration (Friberg 2002; system parameters in therapy.toxicity), on the
    concentrations of ``pk`` where the slope was fitted on a PK other than the library's."""

    slope: str  # "2.53 L/mg"
    source: str = Field(min_length=10)
    pk: DriverPK | None = None

    def slope_l_per_mg(self) -> float:
        """The slope in L/mg."""
        return quantity(self.slope, "L/mg", where="myelosuppression.slope")

    @model_validator(mode="after")
    def _positive(self) -> Myelosuppression:
        """A slope in L/mg above 0, refused at load rather than when a regimen compiles."""
        if not self.slope_l_per_mg() > 0:
            raise ValueError(f"myelosuppression.slope {self.slope!r} must be above 0 L/mg")
        return self


class PlateletKill(_Frozen):
    """A drug's kill of circulating platelets (navitoclax: BCL-xL keeps platelets alive): a
    death rate ``slope`` x plasma concentration on the older circulating platelets of the
    platelet chain (therapy.toxicity). No published drug term was readable, so it is fitted:
    ``dataset`` and ``fit`` say on what and how, ``interval`` is its 95% profile interval."""

    slope: str  # "1.4 L/mg/day"
    interval: tuple[str, str]
    dataset: str = Field(min_length=10)
    fit: str = Field(min_length=10)

    def slope_l_per_mg_day(self) -> float:
        """The slope in L/(mg day)."""
        return quantity(self.slope, "L/mg/day", where="platelet_kill.slope")

    def interval_l_per_mg_day(self) -> tuple[float, float]:
        """The 95% profile interval in L/(mg day)."""
        lo, hi = (quantity(v, "L/mg/day", where="platelet_kill.interval") for v in self.interval)
        return lo, hi

    @model_validator(mode="after")
    def _inside_interval(self) -> PlateletKill:
        """A positive slope inside its own interval, refused at load rather than when a regimen
        compiles."""
        slope, (lo, hi) = self.slope_l_per_mg_day(), self.interval_l_per_mg_day()
        if not 0 < lo <= slope <= hi:
            raise ValueError(
                f"platelet_kill.slope {self.slope!r} must be above 0 and inside its interval "
                f"{list(self.interval)} (low <= slope <= high)"
            )
        return self


class Effect(_Frozen):
    """One PD effect: Emax/Hill modulation of an entity, or concentration-driven exposure.

    Its EC50 is a measured molar ``potency`` (plasma EC50 = potency x molecular weight /
    tumour penetration) or, where none is entered, ``ec50_rel`` times the peak concentration of
    the drug's reference dose (an assumption: the reference dose is active by construction).
    A ``drive`` delivers ``exposure_per_reference_dose`` per reference dose or, with a measured
    growth IC50 as ``potency``, the exposure that IC50 implies (therapy.pkpd.drive_per_auc).
    """

    target: str
    kind: EffectKind
    emax: float = Field(default=1.0, gt=0)
    ec50_rel: float = Field(default=1.0, gt=0)
    hill: float = Field(default=1.0, gt=0, le=6)
    exposure_per_reference_dose: float = Field(default=0.0, ge=0)
    #: a cytotoxic drive that loses effect with time on chemotherapy (acquired resistance, the
    #: exp(-lambda t) term of the Claret 2009 tumour-growth-inhibition model; therapy.pkpd)
    acquired_resistance: bool = False
    high_dose: bool = False
    potency: Potency | None = None
    provenance: Provenance
    note: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Effect:
        if self.kind == "drive":
            if self.target != DRIVE_TARGET:
                raise ValueError(f"a 'drive' effect must target {DRIVE_TARGET!r}")
            if self.potency is not None:
                if self.exposure_per_reference_dose > 0:
                    raise ValueError(
                        "a 'drive' effect takes a growth IC50 (potency) or "
                        "exposure_per_reference_dose, not both"
                    )
                if self.potency.kind != "IC50" or self.potency.assay_days is None:
                    raise ValueError(
                        "a 'drive' effect's potency must be a growth IC50 with assay_days, got "
                        f"kind {self.potency.kind!r}, assay_days {self.potency.assay_days!r}"
                    )
            elif self.exposure_per_reference_dose <= 0:
                raise ValueError(
                    "a 'drive' effect needs exposure_per_reference_dose > 0 or a growth IC50 "
                    "(potency with assay_days)"
                )
        elif self.potency is not None and self.potency.assay_days is not None:
            raise ValueError("potency.assay_days applies to 'drive' effects (growth IC50) only")
        elif self.acquired_resistance:
            raise ValueError("acquired_resistance applies to 'drive' effects only")
        elif self.kind == "inhibit" and self.emax > 1:
            raise ValueError(f"an inhibiting effect needs emax <= 1, got {self.emax}")
        return self


class MouseReactivity(_Frozen):
    """Whether the drug acts on the mouse form of its target, where the library knows it does
    not (a human antibody that does not bind the mouse receptor): ``reactive`` and ``why``, the
    source that says so. Dosing such a drug in a mouse body runs with a note (the model gives
    it the human potency, so a mouse scenario overstates it; therapy.dosing.species_note)."""

    reactive: bool
    why: str = Field(min_length=10)


class Drug(_Frozen):
    """A library entry: kb agent, category, dosing, PK, PD effects and curator notes."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")
    kb_agent: str | None
    outside_review: str = ""
    aliases: tuple[str, ...] = ()
    category: Category
    dose_kind: DoseKind
    routes: tuple[Route, ...] = Field(min_length=1)
    reference_dose: ReferenceDose
    pk: PK
    effects: tuple[Effect, ...] = Field(min_length=1)
    kb_notes: tuple[str, ...] = ()
    dose_limit: DoseLimit | None = None  # None: the library default (see max_dose)
    dose_ranges: dict[Species, DoseRange] = Field(default_factory=dict)
    molecular_weight: str | None = None  # "150 kDa" or "974.6 g/mol"; needed by molar potencies
    myelosuppression: Myelosuppression | None = None  # neutropenia model (therapy.toxicity)
    platelet_kill: PlateletKill | None = None  # thrombocytopenia model (therapy.toxicity)
    #: None: not known to differ in mice; see MouseReactivity
    mouse_reactivity: MouseReactivity | None = None

    @field_validator("aliases")
    @classmethod
    def _lower(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(a.lower() for a in value)

    @model_validator(mode="after")
    def _check(self) -> Drug:
        if self.kb_agent is None and not self.outside_review:
            raise ValueError("give kb_agent, or outside_review saying why the agent is not in kb")
        if self.reference_dose.route not in self.routes:
            raise ValueError(f"reference_dose.route {self.reference_dose.route!r} not in routes")
        for route in self.routes:
            if route not in ("iv", "local") and self.pk.model != "none":
                if route not in self.pk.bioavailability:
                    raise ValueError(f"route {route!r} needs pk.bioavailability.{route}")
                if self.pk.ka is None:
                    raise ValueError(f"route {route!r} needs pk.ka (absorption)")
        if self.pk.model == "none" and any(e.kind != "drive" for e in self.effects):
            raise ValueError("a drug without PK (radiation) can only drive exposure")
        if self.pk.saturable_elimination() is not None and self.dose_kind != "mass":
            raise ValueError("a saturable elimination (mg/day, mg/L) needs a mass-dosed drug")
        if any(e.potency for e in self.effects) and (
            self.molecular_weight is None or self.dose_kind != "mass"
        ):
            raise ValueError("a molar potency needs molecular_weight (and a mass-dosed drug)")
        for sp, rng in self.dose_ranges.items():
            bad = [r for r in rng.routes if r not in self.routes]
            if bad:
                raise ValueError(f"dose_ranges.{sp}.routes {bad} not in routes {list(self.routes)}")
            if why := rng.interval_problem():
                raise ValueError(f"{self.id}: dose_ranges.{sp}.interval {why}")
            if found := rng.schedules_problem():
                raise ValueError(f"{self.id}: dose_ranges.{sp}.{found[0]} {found[1]}")
        from senotwin.therapy.dosing import dose_range_problem  # dosing imports this module

        if why := dose_range_problem(self):
            raise ValueError(why)
        return self

    def molar_mass(self) -> float:
        """Molecular weight in g/mol."""
        if self.molecular_weight is None:
            raise ValidationError(f"{self.id} has no molecular_weight")
        text = self.molecular_weight.replace("kDa", "kg/mol").replace("Da", "g/mol")
        return quantity(text, "g/mol", where=f"{self.id} molecular_weight")

    def plasma_ec50(self, effect: Effect) -> float | None:
        """The EC50 (mg/L) of an effect with a molar potency in the concentrations the drug's PK
        gives (plasma's; whole blood's where ``pk.blood_plasma_ratio`` says the PK was measured
        in blood, which scales it by that ratio); None without a potency."""
        if effect.potency is None:
            return None
        mg_per_l = effect.potency.molar() * self.molar_mass() * 1000.0
        ratio = self.pk.blood_plasma_ratio.value if self.pk and self.pk.blood_plasma_ratio else 1.0
        return mg_per_l * ratio / effect.potency.penetration

    def blood_factor_text(self) -> str:
        """' x blood/plasma R (source)' where the PK is whole blood's (the EC50's provenance
        says the factor ``plasma_ec50`` applied), else ''."""
        bp = self.pk.blood_plasma_ratio if self.pk else None
        return f" x blood/plasma {bp.value:g} ({bp.source})" if bp else ""

    def human_problem(self) -> str | None:
        """Why this drug cannot be given in a human scenario (None when it can).

        It can when its PK is human with a cited source (or it has no PK, like radiation) and it
        carries a human dose range with a source."""
        pk = self.pk
        if pk.model != "none" and (pk.basis != "human" or pk.provenance.kind != "citation"):
            why = "mouse PK" if pk.basis != "human" else f"PK {pk.provenance.kind}, not cited"
            return f"{self.id} has no human PK with a source ({why})"
        if "human" not in self.dose_ranges:
            return f"{self.id} has no labelled or studied human dose range in the library"
        return None

    def max_dose(self) -> DoseLimit:
        """This drug's dose limit: its own ``dose_limit`` or the library default."""
        if self.dose_limit is not None:
            return self.dose_limit
        return default_dose_limit(any(e.high_dose for e in self.effects))

    @property
    def key(self) -> str:
        """Identifier-safe form of the id, used in model species and parameter names."""
        return re.sub(r"[^a-z0-9]", "_", self.id)

    @property
    def targets(self) -> tuple[str, ...]:
        """Model targets in library order (entity tags, or 'stress')."""
        return tuple(dict.fromkeys(e.target for e in self.effects))

    def toxicities(self) -> tuple[str, ...]:
        """Toxicity proxies this drug raises, from its targets (see TOXICITY)."""
        inhibited = {e.target for e in self.effects if e.kind == "inhibit"}
        out = [name for name, tox in TOXICITY.items() if tox.entity in inhibited]
        if self.category == "senolytic" or any(e.high_dose for e in self.effects):
            out.append(SENOLYSIS_DAMAGE)
        return tuple(dict.fromkeys(out))

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary: targets, PK (model units), PD and dose ranges (each with its
        schedules in words, ``schedule_labels``)."""
        k12, k21 = self.pk.k12_k21()
        matrix = "whole blood" if self.pk.blood_plasma_ratio else "plasma"  # the PK's
        return {
            "id": self.id,
            "kb_agent": self.kb_agent,
            "outside_review": self.outside_review or None,
            "aliases": list(self.aliases),
            "category": self.category,
            "dose_kind": self.dose_kind,
            "dose_unit": CANONICAL_UNIT[self.dose_kind],
            "routes": list(self.routes),
            "reference_dose": self.reference_dose.model_dump(),
            "dose_limit": self.max_dose().model_dump(),
            # each range with its schedules in the regimen language's words ('850 mg tid')
            "dose_ranges": {
                k: v.model_dump() | {"schedule_labels": [s.label() for s in v.all_schedules()]}
                for k, v in self.dose_ranges.items()
            },
            "human_use": self.human_problem() or "available",
            "targets": list(self.targets),
            "pk": {
                "model": self.pk.model,
                "basis": self.pk.basis,
                "terminal_half_life_days": _finite_or_none(self.pk.terminal_half_life_days()),
                "central_volume_L_per_kg": self.pk.central_volume(),
                "k10_per_day": self.pk.k10(),
                "k12_per_day": k12,
                "k21_per_day": k21,
                "ka_per_day": self.pk.ka_per_day(),
                "bioavailability": dict(self.pk.bioavailability),
                "provenance": self.pk.provenance.model_dump(),
                "clearance_spread": (
                    self.pk.clearance_spread.model_dump() if self.pk.clearance_spread else None
                ),
                "blood_plasma_ratio": (
                    self.pk.blood_plasma_ratio.model_dump() if self.pk.blood_plasma_ratio else None
                ),
                "saturable_elimination": (
                    {
                        "elimination_max": self.pk.elimination_max,
                        "elimination_km": self.pk.elimination_km,
                        "vmax_mg_per_L_per_day": sat[0],
                        "km_mg_per_L": sat[1],
                        "low_concentration_half_life_days": (
                            self.pk.low_concentration_half_life_days()
                        ),
                    }
                    if (sat := self.pk.saturable_elimination())
                    else None
                ),
            },
            "pd": [
                e.model_dump()
                | (
                    {"ec50_mg_per_L": ec50, "ec50_in": matrix}
                    if (ec50 := self.plasma_ec50(e))
                    else {}
                )
                for e in self.effects
            ],
            "toxicity_proxies": list(self.toxicities()),
            "myelosuppression": (
                self.myelosuppression.model_dump() if self.myelosuppression else None
            ),
            "platelet_kill": self.platelet_kill.model_dump() if self.platelet_kill else None,
            "mouse_reactivity": (
                self.mouse_reactivity.model_dump() if self.mouse_reactivity else None
            ),
            "kb_notes": list(self.kb_notes),
        }


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


class DrugLibrary(_Frozen):
    """All drugs, checked for unique ids/aliases and model-valid targets."""

    drugs: tuple[Drug, ...]

    @model_validator(mode="after")
    def _unique(self) -> DrugLibrary:
        seen: dict[str, str] = {}
        for d in self.drugs:
            for name in (d.id, *d.aliases):
                if name in seen and seen[name] != d.id:
                    raise ValueError(f"name {name!r} used by both {seen[name]} and {d.id}")
                seen[name] = d.id
        return self

    @cached_property
    def index(self) -> dict[str, Drug]:
        """Lower-case id or alias -> drug."""
        out: dict[str, Drug] = {}
        for d in self.drugs:
            for name in (d.id, *d.aliases):
                out[name] = d
        return out

    def names(self) -> tuple[str, ...]:
        """Every accepted drug name (ids and aliases)."""
        return tuple(self.index)

    def get(self, name: str) -> Drug:
        """The drug called ``name`` (id or alias, case-insensitive); suggests close names."""
        key = name.strip().lower()
        if key in self.index:
            return self.index[key]
        hint = did_you_mean(key, self.names()) or " (`senotwin drugs list` lists the library)"
        raise ValidationError(f"unknown drug {name!r}{hint}")


def library_path() -> Path:
    """Path of the shipped library (package data)."""
    return Path(str(resources.files("senotwin.therapy") / "data" / "drugs.yaml"))


def load_library(path: str | Path | None = None) -> DrugLibrary:
    """Read and validate a drug library file (the shipped one by default)."""
    p = Path(path) if path is not None else library_path()
    raw = read_yaml(p, what="drug library")
    if not isinstance(raw, dict) or not isinstance(raw.get("drugs"), list):
        raise ValidationError(f"{p}: expected a mapping with a 'drugs' list")
    try:
        lib = DrugLibrary(drugs=tuple(raw["drugs"]))
    except ValueError as exc:
        raise ValidationError(f"{p}: invalid drug library: {exc}") from None
    return lib


@cache
def library() -> DrugLibrary:
    """The shipped library (validated once per process)."""
    return load_library()


def get_drug(name: str) -> Drug:
    """A drug of the shipped library by id or alias."""
    check_type(name, str, name="name", what="a drug id or alias (str)")
    return library().get(name)
