"""Dose units and body context: a dose in mg/kg, mg/m2, mg, Gy or kBq converted to a drug's
canonical unit (checked with pint), for a human or mouse reference body. Below the drug library's
users (PK/PD and the regimen language) so neither imports the other for it."""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import pint

from senotwin._errors import ValidationError
from senotwin._suggest import did_you_mean
from senotwin.therapy.drugs import CANONICAL_UNIT, DoseSchedule, Drug, Species, units

UNIT_EXAMPLES = {
    "mass": ("mg/kg", "ug/kg", "g/kg", "mg/m2", "mg", "g", "ug"),
    "radiation": ("Gy", "cGy"),
    "activity": ("kBq/kg", "MBq/kg", "Bq/kg", "kBq", "MBq"),
}
KNOWN_UNITS = tuple(u for group in UNIT_EXAMPLES.values() for u in group)


@dataclass(frozen=True)
class Body:
    """Body used to convert mg/m2 (Km = weight/BSA) and absolute doses to per-kg doses."""

    species: Literal["human", "mouse"] = "human"

    @property
    def weight_kg(self) -> float:
        """Reference body weight (FDA 2005 starting-dose guidance: human 60-70 kg, mouse 20 g)."""
        return 70.0 if self.species == "human" else 0.02

    @property
    def km(self) -> float:
        """Km factor (kg/m2): human 37, mouse 3 (FDA 2005 guidance, Table 1)."""
        return 37.0 if self.species == "human" else 3.0


def _pint_unit(text: str) -> pint.Unit:
    norm = text.replace("µ", "u").replace("μ", "u").replace("^", "**")
    norm = re.sub(r"(?<=[a-zA-Z])([23])$", r"**\1", norm)
    if not re.fullmatch(r"[A-Za-z]+(\*\*[23])?(/[A-Za-z]+(\*\*[23])?)?", norm):
        raise ValueError(f"unit {text!r} is not of the form UNIT or UNIT/UNIT")
    return units().parse_units(norm)


@lru_cache(maxsize=512)  # a pure function of the text; pint's parser costs ~8 ms a call
def _dimension(text: str) -> str:
    """'mass_per_mass', 'mass_per_area', 'mass', 'radiation', 'activity_per_mass', 'activity'."""
    ureg = units()
    try:
        u = _pint_unit(text)
    except (pint.errors.PintError, ValueError, TypeError, AttributeError, SyntaxError):
        return "unknown"
    dims = ureg.Quantity(1, u).dimensionality
    num, _, den = text.partition("/")
    if not dims and den:
        try:
            nd = ureg.Quantity(1, _pint_unit(num)).dimensionality
            dd = ureg.Quantity(1, _pint_unit(den)).dimensionality
        except (pint.errors.PintError, ValueError, TypeError, AttributeError, SyntaxError):
            return "unknown"
        return "mass_per_mass" if nd == dd == ureg.Quantity(1, "kg").dimensionality else "unknown"
    table = {
        "mass_per_area": "mg/m**2",
        "mass": "mg",
        "radiation": "Gy",
        "activity_per_mass": "kBq/kg",
        "activity": "kBq",
    }
    for name, ref in table.items():
        if dims == ureg.Quantity(1, ref).dimensionality:
            return name
    return "unknown"


_KIND_DIMS = {
    "mass": ("mass_per_mass", "mass_per_area", "mass"),
    "radiation": ("radiation",),
    "activity": ("activity_per_mass", "activity"),
}


def unit_problem(unit: str, drug: Drug) -> str | None:
    """Why ``unit`` cannot dose ``drug`` (None when it can)."""
    dim = _dimension(unit)
    if dim == "unknown":
        hint = did_you_mean(unit, KNOWN_UNITS)
        allowed = ", ".join(UNIT_EXAMPLES[drug.dose_kind])
        return f"unknown dose unit {unit!r}" + (hint or f" (a {drug.id} dose is in {allowed})")
    if dim not in _KIND_DIMS[drug.dose_kind]:
        allowed = ", ".join(UNIT_EXAMPLES[drug.dose_kind])
        what = {"mass": "by mass", "radiation": "in Gy", "activity": "by activity"}
        return f"{drug.id} is dosed {what[drug.dose_kind]} ({allowed}), not in {unit!r}"
    return None


def canonical_dose(amount: float, unit: str, drug: Drug, *, body: Body, where: str) -> float:
    """``amount unit`` of ``drug`` in its canonical unit (mg/kg, Gy or kBq/kg)."""
    problem = unit_problem(unit, drug)
    if problem:
        raise ValidationError(f"{where}: {problem}")
    ureg = units()
    q = ureg.Quantity(amount, _pint_unit(unit))
    dim = _dimension(unit)
    if dim == "mass_per_mass":
        return float(q.to("mg/kg").magnitude)
    if dim == "mass_per_area":
        return float(q.to("mg/m**2").magnitude) / body.km
    if dim == "mass":
        return float(q.to("mg").magnitude) / body.weight_kg
    if dim == "radiation":
        return float(q.to("Gy").magnitude)
    if dim == "activity_per_mass":
        return float(q.to("kBq/kg").magnitude)
    return float(q.to("kBq").magnitude) / body.weight_kg


def dose_limit_problem(amount: float, unit: str, drug: Drug, *, body: Body) -> str | None:
    """Why ``amount unit`` exceeds ``drug``'s dose limit for ``body`` (None when it does not).

    The limit is the drug record's ``multiple_of_reference`` times its reference dose, both in
    the canonical unit for the same body (so mg/m2 and per-kg doses compare fairly).
    """
    limit = drug.max_dose()
    ref = drug.reference_dose
    ref_canonical = canonical_dose(ref.amount, ref.unit, drug, body=body, where=drug.id)
    dose = canonical_dose(amount, unit, drug, body=body, where=drug.id)
    top = limit.multiple_of_reference * ref_canonical
    if dose <= top * (1 + 1e-9):
        return None
    canon = CANONICAL_UNIT[drug.dose_kind]
    # the limit in the unit the dose was written in too (a dose in mg/m2 against mg/kg alone
    # left the reader converting); the conversion is linear, so the dose's ratio carries it
    same = _pint_unit(unit) == _pint_unit(canon)
    written = "" if same else f" = {_plain(top * amount / dose, 4)} {unit}"
    return (
        f"dose {amount:g} {unit} of {drug.id} is above its limit of {_plain(top, 3)} {canon}"
        f"{written} "
        f"({limit.multiple_of_reference:g}x its reference dose of {ref.amount:g} {ref.unit}, "
        f"{body.species} body; rationale: 'senotwin drugs show {drug.id}')"
    )


def _plain(x: float, digits: int) -> str:
    """``x`` to ``digits`` significant digits without an exponent below a million (a mouse's
    metformin limit read '2.5e+04 mg/kg'; ux52)."""
    return f"{float(f'{x:.{digits}g}'):g}"


def body_for_scenario(scenario: str | None) -> Body:
    """The body a scenario's regimens are dosed in: a mouse for ``mouse_*`` scenarios (mouse
    host contexts), else the human reference adult."""
    return Body("mouse") if scenario and scenario.startswith("mouse_") else Body()


def range_bound(text: str, drug: Drug, body: Body) -> float:
    """A dose-range bound or total of the library ("100 mg/m2") in the canonical unit for
    ``body``; a malformed one is refused at load, so this raises only on a hand-made drug."""
    value = _bound_or_problem(text, drug, body)
    if isinstance(value, str):  # the library refuses such a bound at load (dose_range_problem)
        raise ValidationError(f"{drug.id}: dose range bound {value}")
    return value


def _bound_or_problem(text: str, drug: Drug, body: Body) -> float | str:
    """A dose-range bound ("100 mg/m2") in the canonical unit for ``body``, or why it is not
    one (not 'AMOUNT UNIT', not a positive amount, a unit that cannot dose ``drug``)."""
    amount, _, unit = text.strip().partition(" ")
    try:
        value = float(amount)
    except ValueError:
        return f"{text!r} is not 'AMOUNT UNIT' (e.g. '100 mg/m2')"
    if not (math.isfinite(value) and value > 0):
        return f"{text!r} is not a positive dose"
    if problem := unit_problem(unit.strip(), drug):
        return f"{text!r}: {problem}"
    return canonical_dose(value, unit.strip(), drug, body=body, where=f"{drug.id} dose range")


def dose_range_problem(drug: Drug) -> str | None:
    """Why a dose range of ``drug`` is malformed in its doses (None when none is), naming the
    drug, the field and the value: every ``min``/``max`` is 'AMOUNT UNIT' in a unit of the
    drug's dose kind, ``min <= max``, and each schedule lies inside its range's min..max (what
    a regimen is held to), compared per kg of the species' reference body."""
    for species, rng in drug.dose_ranges.items():
        body = Body(species)
        where = f"{drug.id}: dose_ranges.{species}"
        entries = [("", rng.min, rng.max)]
        entries += [(f".schedules[{k}]", s.min, s.max) for k, s in enumerate(rng.schedules)]
        outer: tuple[float, float] | None = None
        for field, low_text, high_text in entries:
            low = _bound_or_problem(low_text, drug, body)
            if isinstance(low, str):
                return f"{where}{field}.min {low}"
            high = _bound_or_problem(high_text, drug, body)
            if isinstance(high, str):
                return f"{where}{field}.max {high}"
            if low > high * (1 + 1e-9):
                return (
                    f"{where}{field}.min {low_text!r} is above its max {high_text!r} "
                    f"(min <= max, compared per kg of the {species} reference body)"
                )
            if outer is None:
                outer = (low, high)
                continue
            if low < outer[0] * (1 - 1e-9) or high > outer[1] * (1 + 1e-9):
                bad, text = ("min", low_text) if low < outer[0] * (1 - 1e-9) else ("max", high_text)
                return (
                    f"{where}{field}.{bad} {text!r} is outside the range's {rng.min} to "
                    f"{rng.max} (a schedule lies inside its range, the doses a regimen is "
                    "held to)"
                )
        if rng.cumulative is not None:
            total = _bound_or_problem(rng.cumulative.max, drug, body)
            if isinstance(total, str):
                return f"{where}.cumulative.max {total}"
            if outer is not None and total < outer[1] * (1 - 1e-9):
                return (
                    f"{where}.cumulative.max {rng.cumulative.max!r} is below one dose's max "
                    f"{rng.max!r} (a course's total is at least one dose)"
                )
    return None


def cumulative_problem(amounts: Sequence[float], drug: Drug, *, body: Body) -> str | None:
    """Why ``drug``'s doses (canonical unit for ``body``) add up to more than the cumulative
    dose its label characterises (None when they do not, or where no limit is given). Human
    bodies only, as for schedules."""
    rng = drug.dose_ranges.get(body.species)
    if body.species != "human" or rng is None or rng.cumulative is None:
        return None
    limit = range_bound(rng.cumulative.max, drug, body)
    total = float(sum(amounts))
    if total <= limit * (1 + 1e-9):
        return None
    unit = rng.cumulative.max.split()[-1]
    per_unit = range_bound(f"1 {unit}", drug, body)
    source = source_in_brief(rng.cumulative.source, drug.id)
    return (
        f"{drug.id} {total / per_unit:.4g} {unit} in all is above the {rng.cumulative.max} "
        f"cumulative dose its label characterises ({source})"
    )


#: characters of a range's source that a message quotes (a whole source runs to ~1,000)
SOURCE_HEAD = 140


def source_in_brief(source: str, drug: str) -> str:
    """A range's source as a message quotes it: its citation up to the first quotation (at most
    :data:`SOURCE_HEAD` characters, cut at a word) and where to read it whole (an off-label
    message quoted sources of ~1,000 characters)."""
    head = source
    for mark in (": '", " '", ': "', ' "'):
        cut = head.find(mark)
        if cut > 0:
            head = head[:cut]
    if len(head) > SOURCE_HEAD:
        head = head[:SOURCE_HEAD].rsplit(" ", 1)[0]
    head = head.rstrip(" ,;:(")
    if head == source.rstrip(" ,;:("):
        return source
    return f"{head} ...; in full: senotwin drugs show {drug}"


def off_label_problem(
    amount: float, unit: str, route: str, drug: Drug, *, body: Body
) -> str | None:
    """Why one administration is off-label for ``body``'s species (None when it is on-label).

    Human: the drug needs human PK with a source and a human dose range, the route must be one
    used in humans and the dose inside the labelled or studied range (compared per kg of the
    reference adult, so mg, mg/kg and mg/m2 compare fairly). Mouse, the same way: a drug with a
    mouse range is held to its routes and doses. A drug without one is not range-checked in a
    mouse, except that a human dose is refused (:func:`_human_dose_in_mouse`).
    """
    if body.species == "human":
        why = drug.human_problem()
        if why:
            return f"{why}: it is not available for human scenarios"
    rng = drug.dose_ranges.get(body.species)
    if rng is None:
        return _human_dose_in_mouse(amount, unit, drug) if body.species == "mouse" else None
    where = f"{body.species} range {rng.min} to {rng.max} ({source_in_brief(rng.source, drug.id)})"
    if route not in rng.routes:
        return (
            f"{drug.id} is not given {route!r} in "
            f"{'mice' if body.species == 'mouse' else 'humans'} (routes: "
            f"{', '.join(rng.routes)}; {source_in_brief(rng.source, drug.id)})"
        )
    dose = canonical_dose(amount, unit, drug, body=body, where=drug.id)
    low, high = range_bound(rng.min, drug, body), range_bound(rng.max, drug, body)
    if dose < low * (1 - 1e-9) or dose > high * (1 + 1e-9):
        return f"dose {amount:g} {unit} of {drug.id} is outside its labelled or studied {where}"
    return None


def labelled_units(drug: Drug, species: Species = "human") -> tuple[str, ...]:
    """The units ``drug``'s labelled or studied range for ``species`` writes its doses in (its
    bounds' and its schedules' bounds', in order of first use; empty without a range)."""
    rng = drug.dose_ranges.get(species)
    if rng is None:
        return ()
    bounds = [rng.min, rng.max, *(b for s in rng.all_schedules() for b in (s.min, s.max))]
    return tuple(dict.fromkeys(b.split()[-1] for b in bounds))


def per_area_note(amount: float, unit: str, drug: Drug, *, body: Body) -> str | None:
    """A human dose per m2 of a drug whose labelled range doses it only flat (mg) or per kg
    (pembrolizumab 200 mg/m2): runs, but says the label's units and the conversion used, the
    reference adult's body surface (:class:`Body`: weight / Km). None for any other dose."""
    if body.species != "human" or _dimension(unit) != "mass_per_area":
        return None
    labelled = labelled_units(drug, body.species)
    if not labelled or not {_dimension(u) for u in labelled} <= {"mass", "mass_per_mass"}:
        return None
    per_kg = canonical_dose(amount, unit, drug, body=body, where=drug.id)
    return (
        f"{drug.id} {amount:g} {unit}: its labelled or studied doses are in "
        f"{' or '.join(labelled)}, not per m2; converted at the reference adult's "
        f"{body.weight_kg / body.km:.2f} m2 ({body.weight_kg:g} kg, Km {body.km:g} kg/m2) to "
        f"{per_kg * body.weight_kg:.4g} mg ({per_kg:.3g} mg/kg)"
    )


def schedule_problem(
    times: Sequence[float],
    amounts: Sequence[float],
    drug: Drug,
    *,
    body: Body,
    routes: Sequence[str] | None = None,
) -> str | None:
    """Why ``drug`` dosed at ``times`` (days) with ``amounts`` (canonical unit for ``body``)
    and, where given, ``routes`` (one a dose) fits none of its labelled schedules for
    ``body``'s species (None when one fits, or when the range has none): a schedule fits when
    every dose lies inside its bounds and, for a schedule tied to routes, is given by one of
    them, no two doses come closer than its interval, with an on/off cycle no cycle-long window
    holds more doses than one cycle gives (:func:`~senotwin.therapy.drugs.doses_in_on_days`:
    dosed at the interval from the cycle's start while before ``on``), and with a cap
    (``max_doses``) the drug is given no more times than that. So 222 mg/m2 nab-paclitaxel
    weekly (a 3-weekly dose) is named, and so are 60 daily 2 Gy fractions (no weekend breaks,
    twice a 30-fraction course) and tocilizumab 162 mg weekly iv (a subcutaneous schedule).
    Human bodies only: a mouse experiment follows its paper (three times a week is 2- and 3-day
    gaps around the mouse range's mean spacing)."""
    if body.species != "human":
        return None
    rng = drug.dose_ranges.get(body.species)
    schedules = rng.all_schedules() if rng is not None else ()
    if rng is None or not schedules or not times:
        return None
    if routes is not None and len(routes) != len(times):
        raise ValueError(f"{len(routes)} routes for {len(times)} doses: give one a dose")
    if any(_fits(times, amounts, s, drug, body, routes) for s in schedules):
        return None
    gaps = sorted({round(b - a, 3) for a, b in itertools.pairwise(times)})
    # gaps under a day in hours (tid's 8 h, not 0.333 d), the others in days
    hours = [f"{round(g * 24, 1):g}" for g in gaps if g < 1]
    days = [f"{g:g}" for g in gaps if g >= 1]
    said = [f"{', '.join(v)} {u}" for v, u in ((hours, "h"), (days, "d")) if v]
    spacing = "every " + ", ".join(said) if gaps else "once"
    unit = rng.min.split()[-1]  # said in the range's unit (mg/m2), not the canonical mg/kg
    per_unit = range_bound(f"1 {unit}", drug, body)
    doses = sorted({float(f"{a / per_unit:.4g}") for a in amounts})
    # the routes where a schedule is tied to some (a route is then part of the fit)
    by = (
        f" by {' and '.join(dict.fromkeys(routes))}"
        if routes and any(s.routes is not None for s in schedules)
        else ""
    )
    return (
        f"{drug.id} {', '.join(f'{d:g}' for d in doses)} {unit} {spacing}{by} fits none of its "
        f"labelled {body.species} schedules ({'; '.join(s.label() for s in schedules)}; "
        f"{source_in_brief(rng.source, drug.id)})"
    )


def _fits(
    times: Sequence[float],
    amounts: Sequence[float],
    sched: DoseSchedule,
    drug: Drug,
    body: Body,
    routes: Sequence[str] | None = None,
) -> bool:
    """Whether every dose keeps to ``sched`` (bounds, routes, cap, interval, cycle;
    schedule_problem)."""
    low, high = range_bound(sched.min, drug, body), range_bound(sched.max, drug, body)
    if any(a < low * (1 - 1e-9) or a > high * (1 + 1e-9) for a in amounts):
        return False
    if (
        sched.routes is not None
        and routes is not None
        and any(r not in sched.routes for r in routes)
    ):
        return False
    if (cap := sched.cap()) is not None and len(times) > cap:
        return False
    every = sched.interval_day()
    if any(b - a < every - 1e-6 for a, b in itertools.pairwise(times)):
        return False
    cycle, per_cycle = sched.on_off_days(), sched.per_cycle()
    if cycle is None or per_cycle is None:
        return True
    length = cycle[1]
    ordered = sorted(times)  # doses in each cycle-long window from a dose, by bisection
    return all(
        bisect.bisect_left(ordered, t + length - 1e-6) - k <= per_cycle
        for k, t in enumerate(ordered)
    )


def species_note(drug: Drug, *, body: Body) -> str | None:
    """A note where ``drug`` is dosed in a mouse although it does not act on the mouse form of
    its target (its ``mouse_reactivity``; tocilizumab, a human antibody): it runs, with the
    potency the library gives it (the human target's), so the run overstates it. None
    otherwise."""
    known = drug.mouse_reactivity
    if body.species != "mouse" or known is None or known.reactive:
        return None
    return (
        f"species: {drug.id} does not act on its target in mice ({known.why}); the model gives "
        "it the effect it has on the human target, so this mouse scenario overstates it"
    )


def _human_dose_in_mouse(amount: float, unit: str, drug: Drug) -> str | None:
    """Why ``amount unit`` given to a mouse is a human dose of ``drug`` (None when it is not):
    a dose per body (mg, g, ug) or per m2 that lies inside the drug's human range for the
    reference adult (pembrolizumab 200 mg, cisplatin 75 mg/m2). Per-kg doses, and flat doses far
    below a human's (an antibody's 0.2 mg per mouse), are not judged: without a mouse range
    the library has no mouse dose to compare them with."""
    rng = drug.dose_ranges.get("human")
    if rng is None or _dimension(unit) not in ("mass", "mass_per_area"):
        return None
    human = Body()
    dose = canonical_dose(amount, unit, drug, body=human, where=drug.id)
    low, high = range_bound(rng.min, drug, human), range_bound(rng.max, drug, human)
    if dose < low * (1 - 1e-9) or dose > high * (1 + 1e-9):
        return None
    return (
        f"dose {amount:g} {unit} of {drug.id} is a human dose (inside its human range "
        f"{rng.min} to {rng.max}, {source_in_brief(rng.source, drug.id)}) and the library gives "
        "no mouse range for it; "
        "dose a mouse per kg (mg/kg) or per mouse"
    )
