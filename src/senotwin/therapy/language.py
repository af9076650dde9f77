"""The regimen language: text and YAML regimens parsed into a Regimen, compiled to dosing events.

Text grammar (items separated by ';' or new lines, '#' starts a comment)::

    regimen  := item { (';' | NEWLINE) item }
    item     := DRUG dose { route | freq | days | cycles | anchor }     (each part at most once)
    dose     := NUMBER UNIT                    2 mg/kg · 60 mg/m2 · 100 mg · 2 Gy · 55 kBq/kg
    route    := 'iv' | 'po' | 'ip' | 'sc' | 'local'
    freq     := 'qd' | 'daily' | 'bid' | 'tid' | 'qid' | 'qod' | 'qw' | 'weekly'
              | 'q' NUMBER ('d' | 'w') | 'q' HOURS 'h'     HOURS: 1, 2, 3, 4, 6, 8, 12 or 24
    days     := day { ',' day }     day := 'd' NUMBER [ '-' ['d'] NUMBER ]
    cycles   := 'x' INTEGER ('cycle' | 'cycles') 'of' NUMBER 'd'
    anchor   := [ '+' NUMBER 'd' ] 'after' ('last' | 'first') DRUG

Examples: ``doxorubicin 2 mg/kg iv d0,d7; navitoclax 50 mg/kg po qd d10-d14; anti-PD-L1 10
mg/kg ip q3d d14-d35`` · ``radiation 2 Gy d0-d4`` · ``carboplatin 400 mg/m2 iv d0 x3 cycles of
21d`` · ``navitoclax 50 mg/kg po qd d0-d4 +7d after last doxorubicin``. A day range without a
frequency is daily; an interval frequency needs a range; days are relative to the anchor (day 0
without one). ``bid``, ``tid`` and ``qid`` give each listed day (a single day or every day of a
range) 2, 3 or 4 doses, at +0, +1/n, ... of the day; ``qNh`` gives it 24/N (``q8h`` is ``tid``,
``q12h`` is ``bid``, ``q24h`` is ``qd``; N must divide a day). To dose several times a day on
alternate days, list the days (``tid d0,d2,d4``). Units are checked with pint and must fit the
drug's dose kind (Gy only for radiation). Every error is a :class:`RegimenSyntaxError` naming the
line and column with a caret and, where it helps, the closest drug or unit.

The YAML form is a list of items with the same parts as fields (``drug, dose, route, every, days,
cycles, after``) under ``regimen:``, optionally with ``body: human|mouse``; its ``every`` also
takes an interval with its unit (``8 h``, ``21 d``, ``2 w``). ``apply_regimen``
turns a Regimen into a therapy ModelSpec (``sim.pkpd``) plus a Schedule of exact Dose events.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from senotwin._errors import ValidationError, check_type, excerpt
from senotwin._io import read_text
from senotwin._suggest import did_you_mean
from senotwin._yaml import load_yaml
from senotwin.model.schedule import Schedule
from senotwin.model.spec import ModelSpec
from senotwin.therapy.dosing import (
    UNIT_EXAMPLES,
    Body,
    body_for_scenario,
    canonical_dose,
    cumulative_problem,
    dose_limit_problem,
    off_label_problem,
    per_area_note,
    schedule_problem,
    species_note,
    unit_problem,
)
from senotwin.therapy.drugs import (
    CANONICAL_UNIT,
    DOSES_PER_DAY,
    ROUTES,
    Drug,
    DrugLibrary,
    library,
    per_day_text,
)

MAX_DAY = 3650.0
MAX_DOSES = 5000
MAX_CYCLES = 100  # most repeats one item may give ("x100 cycles of 21d")
FREQ_WORDS = {"qd": 1.0, "daily": 1.0, "qod": 2.0, "qw": 7.0, "weekly": 7.0}
#: frequencies that dose each listed day several times (``per_day``); qNh gives 24/N a day
PER_DAY_WORDS = {"bid": 2, "tid": 3, "qid": 4}
#: the hours qNh may name (N divides a day: 24 / N doses a day)
HOURS = tuple(24 // n for n in reversed(DOSES_PER_DAY))
#: the frequencies as an error lists them
FREQ_HELP = "qd, bid, tid, qid, qNh (N = 1, 2, 3, 4, 6, 8, 12 or 24), qod, qw, qNd or qNw"
_FREQ_FORM = re.compile(r"q[0-9.]+[dwh]", re.IGNORECASE)
_NUMBER = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_UNIT = re.compile(r"[A-Za-zµμ][A-Za-z0-9µμ/^*]*")
_WORD = re.compile(r"[^\s;,#]+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_GLUED_DOSE = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?:mg|ug|µg|μg|g|c?Gy|[kM]?Bq)")


class RegimenSyntaxError(ValidationError):
    """A regimen error at a position: the message shows the line with a caret under the column."""

    def __init__(
        self,
        message: str,
        text: str,
        pos: int,
        *,
        source: str = "regimen",
        where: str | None = None,
        whole: bool = False,
    ) -> None:
        pos = max(0, min(pos, len(text)))
        line_no = text.count("\n", 0, pos) + 1
        start = text.rfind("\n", 0, pos) + 1
        end = text.find("\n", pos)
        line = text[start : end if end >= 0 else len(text)]
        col = pos - start + 1
        self.text = text
        self.position = pos
        self.line = line_no
        self.column = col
        self.reason = message
        #: the error is about the regimen as a whole (empty, anchors that cannot be resolved),
        #: so its position 0 points at no item in particular
        self.whole = whole
        shown, at = line, col - 1
        if len(line) > 100:  # show a window around the column, not a 5,000-character line
            lo = max(0, at - 40)
            shown = (
                ("..." if lo else "") + line[lo : lo + 80] + ("..." if lo + 80 < len(line) else "")
            )
            at = at - lo + (3 if lo else 0)
        caret = " " * at + "^"
        head = where if where is not None else f"line {line_no}, column {col}"
        super().__init__(f"{source}: {head}: {message}\n  {shown}\n  {caret}")


@dataclass(frozen=True)
class DaySpec:
    """A day or an inclusive day range (relative to the item's anchor)."""

    start: float
    end: float | None = None


@dataclass(frozen=True)
class Cycles:
    """Repeat the item's days ``count`` times, every ``length`` days."""

    count: int
    length: float


@dataclass(frozen=True)
class Anchor:
    """Days count from ``offset`` days after the first/last dose of another drug."""

    drug: str
    which: Literal["first", "last"] = "last"
    offset: float = 0.0


@dataclass(frozen=True)
class Administration:
    """One regimen item: a drug, its dose (as written) and when it is given."""

    drug: str
    amount: float
    unit: str
    route: str
    days: tuple[DaySpec, ...] = (DaySpec(0.0),)
    every: float | None = None
    #: doses on each listed day (one of DOSES_PER_DAY), at +0, +1/per_day, ... of the day; more
    #: than one only with ``every`` 1 (bid, tid, qid, qNh)
    per_day: int = 1
    cycles: Cycles | None = None
    after: Anchor | None = None
    #: the item as the user wrote it (quoted in errors); not part of the item's identity
    written: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.per_day not in DOSES_PER_DAY:
            raise ValidationError(
                f"Administration.per_day is {self.per_day!r}; allowed: "
                f"{', '.join(map(str, DOSES_PER_DAY))} (doses on each listed day)"
            )
        if self.per_day > 1 and self.every != 1.0:
            raise ValidationError(
                f"Administration.per_day {self.per_day} ({per_day_text(self.per_day)}) needs "
                f"every=1.0 (each listed day), got {self.every!r}"
            )

    def relative_times(self) -> tuple[float, ...]:
        """Dosing days relative to the anchor, sorted (cycles expanded)."""
        base: list[float] = []
        for d in self.days:
            if d.end is None:
                base.append(d.start)
            else:
                step = self.every or 1.0
                n = math.floor((d.end - d.start) / step + 1e-9)
                base.extend(d.start + i * step for i in range(n + 1))
        if self.per_day > 1:
            base = [t + k / self.per_day for t in base for k in range(self.per_day)]
        cycles = self.cycles or Cycles(1, 0.0)
        return tuple(sorted(t + k * cycles.length for k in range(cycles.count) for t in base))

    def to_text(self) -> str:
        """Canonical text of this item (parses back to an equal Administration)."""
        parts = [self.drug, f"{_fmt(self.amount)} {self.unit}", self.route]
        if (freq := self.frequency_text()) is not None:
            parts.append(freq)
        parts.append(
            ",".join(
                f"d{_fmt(d.start)}" + (f"-d{_fmt(d.end)}" if d.end is not None else "")
                for d in self.days
            )
        )
        if self.cycles is not None:
            word = "cycle" if self.cycles.count == 1 else "cycles"
            parts.append(f"x{self.cycles.count} {word} of {_fmt(self.cycles.length)}d")
        if self.after is not None:
            parts.append(f"+{_fmt(self.after.offset)}d after {self.after.which} {self.after.drug}")
        return " ".join(parts)

    def frequency_text(self) -> str | None:
        """The canonical frequency word (bid, tid, qid, q{24/n}h, qd, qNd; None: none given)."""
        if self.per_day > 1:
            return per_day_text(self.per_day)
        if self.every is not None:
            return "qd" if self.every == 1 else f"q{_fmt(self.every)}d"
        return None


@dataclass(frozen=True)
class DosingEvent:
    """A resolved administration: absolute day, drug id, dose in canonical unit, route."""

    time: float
    drug: str
    amount: float
    unit: str
    route: str


@dataclass(frozen=True)
class Regimen:
    """A parsed regimen: items in order plus the body used for unit conversion.

    ``allow_off_label`` lets doses outside the drug's labelled or studied range for the body's
    species (and drugs without human PK in a human body) run; each is then said in the notes.
    """

    items: tuple[Administration, ...]
    body: Body = field(default_factory=Body)
    name: str = ""
    allow_off_label: bool = False

    def to_text(self) -> str:
        """Canonical text form ('; ' between items)."""
        return "; ".join(item.to_text() for item in self.items)

    def drugs(self, lib: DrugLibrary | None = None) -> tuple[Drug, ...]:
        """The library entries this regimen uses (in first-use order)."""
        lib = lib or library()
        return tuple(lib.get(i) for i in dict.fromkeys(it.drug for it in self.items))

    def off_label(self, lib: DrugLibrary | None = None) -> tuple[str, ...]:
        """One line per item that is off-label for this body's species (see off_label_problem)."""
        lib = lib or library()
        out = []
        for idx, item in enumerate(self.items):
            drug = lib.get(item.drug)
            why = off_label_problem(item.amount, item.unit, item.route, drug, body=self.body)
            if why:
                out.append(f"regimen item {idx + 1} ({item.written or item.to_text()}): {why}")
        return tuple(out)

    def unit_notes(self, lib: DrugLibrary | None = None) -> tuple[str, ...]:
        """One line per dose written per m2 of a drug labelled flat or per kg (see
        per_area_note), each said once: the label's units and the conversion used."""
        lib = lib or library()
        out = (
            per_area_note(item.amount, item.unit, lib.get(item.drug), body=self.body)
            for item in self.items
        )
        return tuple(dict.fromkeys(n for n in out if n))

    def species_notes(self, lib: DrugLibrary | None = None) -> tuple[str, ...]:
        """One line per drug dosed in a mouse body that does not act on the mouse target
        (see species_note)."""
        lib = lib or library()
        out = (species_note(drug, body=self.body) for drug in self.drugs(lib))
        return tuple(n for n in out if n)

    def events(
        self, lib: DrugLibrary | None = None, *, check_off_label: bool = True
    ) -> tuple[DosingEvent, ...]:
        """Every administration at its absolute day, sorted by time (anchors resolved).

        Refuses an off-label item (ValidationError naming the drug, dose, range and source)
        unless ``allow_off_label``; the parser skips that check (``check_off_label=False``)
        because the scenario, and so the species, is known only when the regimen is compiled."""
        lib = lib or library()
        off = self.off_label(lib) if check_off_label else ()
        if off and not self.allow_off_label:
            raise ValidationError(
                f"{off[0]}; to run it anyway, pass --allow-off-label (in Python: "
                "Regimen.allow_off_label)"
            )
        resolved = _item_times(self)
        out = []
        for idx, item in enumerate(self.items):
            drug = lib.get(item.drug)
            too_much = dose_limit_problem(item.amount, item.unit, drug, body=self.body)
            if too_much:
                raise ValidationError(f"regimen item {idx + 1}: {too_much}")
            amount = canonical_dose(item.amount, item.unit, drug, body=self.body, where=item.drug)
            for t in resolved[idx]:
                out.append(
                    DosingEvent(t, drug.id, amount, CANONICAL_UNIT[drug.dose_kind], item.route)
                )
        return tuple(sorted(out, key=lambda e: (e.time, e.drug)))

    def compile_for(self, spec: ModelSpec) -> tuple[ModelSpec, Schedule]:
        """The therapy model (``spec`` plus these drugs' PK/PD) and the dose schedule."""
        plan = apply_regimen(spec, self)
        return plan.spec, plan.schedule

    def for_scenario(self, scenario: str) -> Regimen:
        """This regimen dosed in the body of ``scenario``'s species (a 20 g mouse for the
        ``mouse_*`` scenarios): run_scenario binds it, so a regimen parsed without a body does
        not run a mouse experiment as if a human took the doses (audit, session 41)."""
        return replace(self, body=body_for_scenario(scenario))


def _fmt(x: float) -> str:
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))


# ---- text parser ------------------------------------------------------------------------------
class Scanner:
    """The regimen grammar's tokenizer: numbers, words, symbols and caret errors over a span.

    The text form of regimens, the CLI's ``--set``/``--block`` and the cohort action list all
    read their numbers, names and days with it, so they accept and reject the same things.
    """

    def __init__(self, text: str, start: int = 0, end: int | None = None, source: str = "") -> None:
        self.text = text
        self.pos = start
        self.end = len(text) if end is None else end
        self.source = source or "regimen"

    def fail(self, message: str, pos: int | None = None) -> RegimenSyntaxError:
        return RegimenSyntaxError(
            message, self.text, self.pos if pos is None else pos, source=self.source
        )

    def ws(self) -> None:
        while self.pos < self.end and self.text[self.pos] in " \t\r":
            self.pos += 1

    def at_end(self) -> bool:
        self.ws()
        return self.pos >= self.end

    def peek_word(self) -> str:
        m = _WORD.match(self.text, self.pos, self.end)
        return m.group(0) if m else ""

    def number(self, what: str) -> float:
        self.ws()
        m = _NUMBER.match(self.text, self.pos, self.end)
        if not m:
            found = self.peek_word() or (self.text[self.pos] if self.pos < self.end else "end")
            if self.text.startswith("-", self.pos) and _NUMBER.match(self.text, self.pos + 1):
                raise self.fail(f"{what} must be a number >= 0, found {found!r}")
            raise self.fail(f"expected {what} (a number), found {found!r}")
        try:
            value = float(m.group(0))
        except ValueError:
            raise self.fail(f"{excerpt(m.group(0))} is not a number") from None
        if not math.isfinite(value):
            raise self.fail(
                f"{what} {excerpt(m.group(0))} is not finite (numbers must lie within +-1.8e308)"
            )
        self.pos = m.end()
        return value

    def literal(self, word: str) -> bool:
        """Consume ``word`` (case-insensitive) when it stands as a whole word here."""
        self.ws()
        n = len(word)
        chunk = self.text[self.pos : self.pos + n]
        nxt = self.text[self.pos + n : self.pos + n + 1]
        if (
            self.pos + n <= self.end
            and chunk.lower() == word
            and (not nxt or not (nxt.isalnum() or nxt in "-_/"))
        ):
            self.pos += n
            return True
        return False

    def expect(self, word: str, context: str) -> None:
        if not self.literal(word):
            found = self.peek_word() or "end of item"
            raise self.fail(f"expected {word!r} {context}, found {found!r}")

    def symbol(self, char: str) -> bool:
        """Consume ``char`` when it is the next non-blank character."""
        self.ws()
        if self.pos < self.end and self.text[self.pos] == char:
            self.pos += 1
            return True
        return False

    def name(self, what: str) -> str:
        """An identifier-like name (letters, digits, '_', '.', '-'; not starting with a digit)."""
        self.ws()
        m = _NAME.match(self.text, self.pos, self.end)
        if not m:
            found = self.peek_word() or "end"
            raise self.fail(f"expected {what}, found {found!r}")
        self.pos = m.end()
        return m.group(0)

    def setting(self, *, value: bool | None = True, day: bool | None = False) -> Setting:
        """``NAME [= NUMBER] [@ [d]DAY]``; ``True`` = required, ``None`` = optional, ``False`` = no.

        Values and days are plain non-negative numbers, as everywhere in the grammar.
        """
        name = self.name("a name")
        amount: float | None = None
        if value is not False and self.symbol("="):
            amount = self.number(f"the value of {name}")
        elif value:
            raise self.fail(f"expected '=' and a value after {name!r}")
        when: float | None = None
        if day is not False and self.symbol("@"):
            self.ws()
            if self.pos < self.end and self.text[self.pos] in "dD":
                self.pos += 1
            when = self.number(f"the day of {name}")
        elif day:
            raise self.fail(f"expected '@DAY' after {name}={_fmt(amount or 0.0)}")
        return Setting(name, amount, when)

    def done(self) -> None:
        """Fail unless only blanks remain."""
        if not self.at_end():
            raise self.fail(f"unexpected {self.peek_word() or self.text[self.pos]!r}")


@dataclass(frozen=True)
class Setting:
    """``NAME=VALUE@DAY`` as read by :meth:`Scanner.setting` (absent parts are None)."""

    name: str
    value: float | None
    day: float | None


def parse_setting(
    text: str, *, source: str, value: bool | None = True, day: bool | None = False
) -> Setting:
    """One ``NAME=VALUE[@DAY]`` item (``--set``, ``--block``, cohort actions), caret errors."""
    scanner = Scanner(text, source=source)
    out = scanner.setting(value=value, day=day)
    scanner.done()
    return out


class _ItemParser(Scanner):
    """Recursive-descent parser for one item of the text form (positions are absolute)."""

    def __init__(
        self, text: str, start: int, end: int, lib: DrugLibrary, source: str, body: Body
    ) -> None:
        super().__init__(text, start, end, source)
        self.lib = lib
        self.body = body  # dose limits compare per-kg doses for this body
        self.anchor_name_pos = start

    # ---- item ------------------------------------------------------------------------------
    def drug_name(self) -> tuple[Drug, int]:
        """Words up to the dose; returns the drug and where its name started."""
        self.ws()
        start = self.pos
        words: list[tuple[int, str]] = []
        while True:
            self.ws()
            m = _WORD.match(self.text, self.pos, self.end)
            if not m:
                break
            word = m.group(0)
            if (
                _NUMBER.fullmatch(word)
                or _GLUED_DOSE.fullmatch(word)
                or (words and _NUMBER.match(word) and _GLUED_DOSE.match(word))
            ):
                break
            words.append((m.start(), word))
            self.pos = m.end()
        if not words:
            raise self.fail("expected a drug name", start)
        name = " ".join(w for _, w in words)
        key = name.lower()
        if key in self.lib.index:
            return self.lib.index[key], start
        # a known drug followed by something that is not a dose: point at the first extra word
        for cut in range(len(words) - 1, 0, -1):
            head = " ".join(w for _, w in words[:cut]).lower()
            if head in self.lib.index:
                raise self.fail(
                    f"expected a dose (e.g. '2 mg/kg') after {head!r}, found {words[cut][1]!r}",
                    words[cut][0],
                )
        raise self.fail(f"unknown drug {name!r}{did_you_mean(key, self.lib.names())}", start)

    def dose(self, drug: Drug) -> tuple[float, str]:
        self.ws()
        if self.pos >= self.end:
            raise self.fail(f"expected a dose (e.g. '2 mg/kg') after {drug.id!r}")
        amount_pos = self.pos
        amount = self.number("a dose amount")
        if amount <= 0:
            raise self.fail("the dose must be greater than 0", self.pos - 1)
        self.ws()
        upos = self.pos
        m = _UNIT.match(self.text, self.pos, self.end)
        if not m:
            raise self.fail(
                "expected a dose unit after the amount (e.g. "
                + ", ".join(UNIT_EXAMPLES[drug.dose_kind][:3])
                + ")"
            )
        unit = m.group(0)
        problem = unit_problem(unit, drug)
        if problem:
            raise self.fail(problem, upos)
        too_much = dose_limit_problem(amount, unit, drug, body=self.body)
        if too_much:
            raise self.fail(too_much, amount_pos)
        self.pos = m.end()
        return amount, _canonical_unit_text(unit)

    def item(self) -> Administration:
        drug, _ = self.drug_name()
        amount, unit = self.dose(drug)
        route: str | None = None
        every: float | None = None
        per_day = 1
        freq_pos = -1
        days: tuple[DaySpec, ...] | None = None
        cycles: Cycles | None = None
        after: Anchor | None = None
        seen: dict[str, int] = {}
        while not self.at_end():
            here = self.pos
            word = self.peek_word()
            low = word.lower()
            kind = self._part_kind(low)
            if kind is None:
                raise self.fail(
                    f"unexpected {word!r}: expected a route ({', '.join(ROUTES)}), a frequency "
                    f"({FREQ_HELP}), days (d0,d7 or d10-d14), cycles ('x3 cycles of 21d') "
                    "or an anchor ('+7d after last doxorubicin')"
                    + (
                        did_you_mean(low, [*ROUTES, *FREQ_WORDS, *PER_DAY_WORDS])
                        if low.isalpha()
                        else ""
                    )
                )
            if kind == "frequency" and kind in seen:
                raise self.fail(self._two_frequencies(self.word_at(seen[kind]), word))
            if kind in seen:
                raise self.fail(f"{kind} given twice in one item")
            seen[kind] = here
            if kind == "route":
                self.pos += len(word)
                route = low
            elif kind == "frequency":
                every, per_day = self.frequency()
                freq_pos = here
            elif kind == "days":
                days = self.days()
            elif kind == "cycles":
                cycles = self.cycles()
            else:
                after = self.anchor(drug)
        if route is None:
            route = drug.reference_dose.route if len(drug.routes) > 1 else drug.routes[0]
        elif route not in drug.routes:
            raise self.fail(
                f"{drug.id} is not given {route!r} (routes: {', '.join(drug.routes)})",
                seen["route"],
            )
        if days is None:
            days = (DaySpec(0.0),)
        if every is not None and per_day == 1 and all(d.end is None for d in days):
            raise self.fail(
                "a dosing interval needs a day range (e.g. 'q3d d14-d35'); for single days "
                "list them ('d0,d7')",
                freq_pos,
            )
        if cycles is not None and cycles.count > 1:
            one = Administration(
                drug.id, amount, unit, route, days, every, per_day
            ).relative_times()
            span = max(one) - min(one)
            if span >= cycles.length:
                raise self.fail(
                    f"doses of one cycle span {_fmt(span)} days, not shorter than the cycle "
                    f"length {_fmt(cycles.length)}d",
                    seen["cycles"],
                )
        item = Administration(drug.id, amount, unit, route, days, every, per_day, cycles, after)
        rel = item.relative_times()
        if len(set(rel)) != len(rel):
            raise self.fail("the same dosing time is listed twice", seen.get("days", self.pos))
        if len(rel) > MAX_DOSES or max(rel) > MAX_DAY:
            raise self.fail(
                f"schedule too long: at most {MAX_DOSES} doses within {MAX_DAY:g} days",
                seen.get("days", self.pos),
            )
        return item

    def word_at(self, pos: int) -> str:
        m = _WORD.match(self.text, pos, self.end)
        return m.group(0) if m else ""

    @staticmethod
    def _two_frequencies(first: str, second: str) -> str:
        """The error for two frequencies in one item; a several-a-day one beside an interval
        says how to dose it on some days only."""
        out = f"two frequencies in one item ({first!r} and {second!r}): give one ({FREQ_HELP})"
        several = [w for w in (first, second) if _is_per_day(w.lower())]
        if len(several) == 1:
            other = second if several[0] == first else first
            out += (
                f"; {several[0]} doses each listed day several times and takes no interval "
                f"({other!r}): to dose it every other day, list the days ('{several[0]} d0,d2,d4')"
            )
        return out

    @staticmethod
    def _part_kind(low: str) -> str | None:
        if low in ROUTES:
            return "route"
        if low in FREQ_WORDS or low in PER_DAY_WORDS or _FREQ_FORM.fullmatch(low):
            return "frequency"
        if re.match(r"d[0-9.]", low):
            return "days"
        if re.match(r"x[0-9]", low):
            return "cycles"
        if low.startswith("+") or low == "after":
            return "anchor"
        return None

    def frequency(self) -> tuple[float, int]:
        self.ws()
        for word, interval in FREQ_WORDS.items():
            if self.literal(word):
                return interval, 1
        for word, per_day in PER_DAY_WORDS.items():
            if self.literal(word):
                return 1.0, per_day
        start = self.pos
        self.pos += 1  # 'q'
        n = self.number("a dosing interval")
        unit = self.text[self.pos].lower() if self.pos < self.end else ""
        if unit not in ("d", "w", "h"):
            raise self.fail("expected 'd', 'w' or 'h' after the interval (e.g. q3d, q2w, q8h)")
        self.pos += 1
        if unit == "h":
            if n not in HOURS:
                days = f"; {_fmt(n)} h is q{_fmt(n / 24)}d" if n > 24 and n % 24 == 0 else ""
                raise self.fail(
                    f"q{_fmt(n)}h: the hours between doses must divide a day into equal doses: "
                    f"{', '.join(f'q{h}h' for h in HOURS)} (q8h is tid, q12h bid, q24h qd)" + days,
                    start,
                )
            return 1.0, 24 // int(n)
        if n <= 0:
            raise self.fail("the dosing interval must be greater than 0", start)
        return n * (7.0 if unit == "w" else 1.0), 1

    def days(self) -> tuple[DaySpec, ...]:
        out = []
        while True:
            self.ws()
            pos = self.pos
            if self.pos >= self.end or self.text[self.pos].lower() != "d":
                raise self.fail("expected a day like 'd7'")
            self.pos += 1
            start = self.number("a day")
            end = None
            if self.pos < self.end and self.text[self.pos] == "-":
                self.pos += 1
                if self.pos < self.end and self.text[self.pos].lower() == "d":
                    self.pos += 1
                end = self.number("the last day of the range")
                if end <= start:
                    raise self.fail(
                        f"day range d{_fmt(start)}-d{_fmt(end)} must end after it starts", pos
                    )
            if start > MAX_DAY or (end is not None and end > MAX_DAY):
                raise self.fail(f"days must be at most {MAX_DAY:g}", pos)
            out.append(DaySpec(start, end))
            self.ws()
            if self.pos < self.end and self.text[self.pos] == ",":
                self.pos += 1
                continue
            return tuple(out)

    def cycles(self) -> Cycles:
        self.ws()
        start = self.pos
        self.pos += 1  # 'x'
        n = self.number("the number of cycles")
        if not n.is_integer() or not 1 <= n <= MAX_CYCLES:
            raise self.fail(
                f"the number of cycles must be a whole number from 1 to {MAX_CYCLES}", start
            )
        if not (self.literal("cycles") or self.literal("cycle")):
            raise self.fail(f"expected 'cycles' after 'x{_fmt(n)}'")
        self.expect("of", "(as in 'x3 cycles of 21d')")
        length = self.number("the cycle length")
        if not (self.pos < self.end and self.text[self.pos] == "d"):
            raise self.fail("expected 'd' after the cycle length (e.g. 21d)")
        self.pos += 1
        if length <= 0:
            raise self.fail("the cycle length must be greater than 0", start)
        return Cycles(int(n), length)

    def anchor(self, drug: Drug) -> Anchor:
        self.ws()
        offset = 0.0
        if self.text[self.pos] == "+":
            self.pos += 1
            offset = self.number("an offset in days")
            if not (self.pos < self.end and self.text[self.pos] == "d"):
                raise self.fail("expected 'd' after the offset (e.g. +7d)")
            self.pos += 1
        self.expect("after", "(as in '+7d after last doxorubicin')")
        which: Literal["first", "last"]
        if self.literal("last"):
            which = "last"
        elif self.literal("first"):
            which = "first"
        else:
            raise self.fail(f"expected 'last' or 'first', found {self.peek_word() or 'end'!r}")
        self.ws()
        name_pos = self.pos
        rest = self.text[self.pos : self.end].strip()
        key = " ".join(rest.split()).lower()
        if not key:
            raise self.fail("expected the drug this item follows")
        if key not in self.lib.index:
            raise self.fail(f"unknown drug {rest!r}{did_you_mean(key, self.lib.names())}", name_pos)
        other = self.lib.index[key]
        self.anchor_name_pos = name_pos
        if other.id == drug.id:
            raise self.fail(f"{drug.id} cannot be anchored to itself", name_pos)
        self.pos = self.end
        return Anchor(other.id, which, offset)


def _is_per_day(low: str) -> bool:
    """Whether a frequency word doses each listed day more than once (bid, tid, qid, qNh)."""
    m = re.fullmatch(r"q([0-9.]+)h", low)
    return low in PER_DAY_WORDS or (
        m is not None and _NUMBER.fullmatch(m.group(1)) is not None and float(m.group(1)) < 24
    )


def _canonical_unit_text(unit: str) -> str:
    out = unit.replace("µ", "u").replace("μ", "u")
    return re.sub(r"\^?\*?\*?2$", "2", out) if out.endswith("2") else out


def _split_items(text: str) -> list[tuple[int, int]]:
    """(start, end) of every non-empty item; ';' and new lines separate, '#' starts a comment."""
    spans = []
    start = 0
    i = 0
    n = len(text)
    while i <= n:
        ch = text[i] if i < n else "\n"
        if ch == "#":
            j = text.find("\n", i)
            j = n if j < 0 else j
            if text[start:i].strip():
                spans.append((start, i))
            i = j
            start = j
            continue
        if ch in ";\n":
            if text[start:i].strip():
                spans.append((start, i))
            start = i + 1
        i += 1
    return spans


def parse_text(
    text: str, *, lib: DrugLibrary | None = None, body: Body | None = None, source: str = "regimen"
) -> Regimen:
    """Parse the text form into a Regimen (anchors checked against the regimen's drugs)."""
    if not isinstance(text, str):
        raise ValidationError(f"{source}: a regimen must be text, got {type(text).__name__}")
    lib = lib or library()
    body = body or Body()
    items: list[Administration] = []
    starts: list[int] = []
    anchors: list[tuple[int, Anchor]] = []
    for start, end in _split_items(text):
        parser = _ItemParser(text, start, end, lib, source, body)
        item = replace(parser.item(), written=" ".join(text[start:end].split()))
        items.append(item)
        starts.append(start + len(text[start:end]) - len(text[start:end].lstrip()))
        if item.after is not None:
            anchors.append((parser.anchor_name_pos, item.after))
    if not items:
        raise RegimenSyntaxError(
            "the regimen is empty (give at least one drug)", text, 0, source=source, whole=True
        )
    present = {it.drug for it in items}
    for pos, anchor in anchors:
        if anchor.drug not in present:
            raise RegimenSyntaxError(
                f"anchor drug {anchor.drug!r} is not given in this regimen",
                text,
                pos,
                source=source,
            )
    regimen = Regimen(tuple(items), body)
    try:
        regimen.events(lib, check_off_label=False)  # resolves anchors (cycles are errors)
    except ValidationError as exc:
        raise RegimenSyntaxError(str(exc), text, 0, source=source, whole=True) from None
    clash = repeated_dose(regimen)
    if clash is not None:
        first, second, day = clash
        raise RegimenSyntaxError(
            f"{items[second].drug} is already given on day {_fmt(day)} by item {first + 1} "
            f"(line {text.count(chr(10), 0, starts[first]) + 1}); give each dose once (one "
            "item with the total dose if you mean the sum)",
            text,
            starts[second],
            source=source,
        )
    return regimen


def repeated_dose(regimen: Regimen) -> tuple[int, int, float] | None:
    """(first item, second item, day) of the first drug dosed twice at one time, or None.

    Within one item a repeated day is a syntax error; across items it would silently stack.
    """
    seen: dict[tuple[str, float], int] = {}
    times = _item_times(regimen)
    for idx, item in enumerate(regimen.items):
        for t in times[idx]:
            key = (item.drug, round(t, 9))
            if key in seen and seen[key] != idx:
                return seen[key], idx, t
            seen.setdefault(key, idx)
    return None


def _item_times(regimen: Regimen) -> list[tuple[float, ...]]:
    """Absolute dosing days of every item, anchors resolved (a cycle of anchors is an error)."""
    items = regimen.items
    resolved: dict[int, tuple[float, ...]] = {}
    pending = list(range(len(items)))
    while pending:
        progress = False
        for idx in list(pending):
            item = items[idx]
            start = 0.0
            if item.after is not None:
                deps = [j for j, it in enumerate(items) if it.drug == item.after.drug]
                if any(j not in resolved for j in deps):
                    continue
                times = sorted(t for j in deps for t in resolved[j])
                ref = times[0] if item.after.which == "first" else times[-1]
                start = ref + item.after.offset
            resolved[idx] = tuple(start + t for t in item.relative_times())
            pending.remove(idx)
            progress = True
        if not progress:
            names = ", ".join(items[i].drug for i in pending)
            raise ValidationError(f"regimen: anchors form a cycle ({names})")
    return [resolved[i] for i in range(len(items))]


# ---- YAML form --------------------------------------------------------------------------------
_YAML_KEYS = ("drug", "dose", "route", "every", "days", "cycles", "after")


#: a YAML ``every`` written as an interval with its unit ('8 h', '21 d', '2 w')
_EVERY_INTERVAL = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(h|d|w)\s*", re.IGNORECASE)


def _yaml_every(every: str) -> str:
    """A YAML ``every`` as the text form's frequency: '8 h' -> 'q8h', '21 d' -> 'q21d' (YAML
    took 'tid' but not '8 h'); anything else as written, for the text parser to check."""
    m = _EVERY_INTERVAL.fullmatch(every)
    return f"q{m.group(1)}{m.group(2).lower()}" if m else every


def _yaml_item_text(raw: object, where: str) -> tuple[str, list[tuple[str, int, int]]]:
    """An item of the YAML form as a line of the text form, with the character span of each
    field in it (so an error in the line can be given back as the item's field)."""
    if not isinstance(raw, dict):
        raise ValidationError(f"{where}: an item must be a mapping with {', '.join(_YAML_KEYS)}")
    extra = set(raw) - set(_YAML_KEYS)
    if extra:
        raise ValidationError(
            f"{where}: unknown field(s) {sorted(map(str, extra))} "
            f"(allowed: {', '.join(_YAML_KEYS)})"
        )
    for key in ("drug", "dose"):
        if key not in raw:
            raise ValidationError(f"{where}: missing field {key!r}")
    parts: list[tuple[str, str]] = [("drug", str(raw["drug"])), ("dose", str(raw["dose"]))]
    if raw.get("route") is not None:
        parts.append(("route", str(raw["route"])))
    if raw.get("every") is not None:
        parts.append(("every", _yaml_every(str(raw["every"]))))
    days = raw.get("days")
    if isinstance(days, list):
        if not all(isinstance(d, int | float) and not isinstance(d, bool) for d in days):
            raise ValidationError(f"{where}.days: a list of day numbers, got {days!r}")
        parts.append(("days", ",".join(f"d{_fmt(float(d))}" for d in days)))
    elif isinstance(days, int | float) and not isinstance(days, bool):
        parts.append(("days", f"d{_fmt(float(days))}"))
    elif days is not None:
        parts.append(("days", str(days)))
    for key in ("cycles", "after"):
        if raw.get(key) is not None:
            parts.append((key, str(raw[key])))
    spans, at = [], 0
    for name, part in parts:
        spans.append((name, at, at + len(part)))
        at += len(part) + 1
    return " ".join(part for _, part in parts), spans


def _yaml_field_at(spans: list[tuple[str, int, int]], column: int) -> str | None:
    """The field of an item whose text holds a 0-based column (the end of a field counts: a
    missing word is reported just after the last one); None past every field."""
    for name, start, end in spans:
        if start <= column <= end:
            return name
    return None


def _unreadable(source: str) -> str:
    """Head of a YAML-form error: 'cannot read regimen', after the file name when there is one."""
    return "cannot read regimen" if source == "regimen" else f"{source}: cannot read regimen"


def _load_yaml(text: str, source: str) -> object:
    """The strict YAML loader, its errors headed like every YAML-form error."""
    try:
        return load_yaml(text, source=source)
    except ValidationError as exc:
        detail = str(exc).removeprefix(f"{source}: ").replace(" is not valid YAML:", ":")
        raise ValidationError(f"{_unreadable(source)}: malformed YAML: {detail}") from None


def _shown(value: object) -> str:
    return "empty" if value is None else repr(value)


def parse_yaml(data: object, *, lib: DrugLibrary | None = None, source: str = "regimen") -> Regimen:
    """Parse the YAML form ({regimen: [...], body: human|mouse} or a bare list of items)."""
    head = _unreadable(source)
    body = Body()
    items_raw: object = data
    if isinstance(data, dict):
        extra = set(data) - {"regimen", "body", "name"}
        if extra:
            raise ValidationError(
                f"{head}: unknown field(s) {sorted(map(str, extra))} (allowed: body, name, regimen)"
            )
        items_raw = data.get("regimen")
        b = data.get("body", "human")
        if b not in ("human", "mouse"):
            raise ValidationError(
                f"{head}: field 'body' is {_shown(b)}; allowed: 'human' or 'mouse'"
            )
        body = Body(b)
    if not isinstance(items_raw, list) or not items_raw:
        raise ValidationError(
            f"{head}: field 'regimen' is {_shown(items_raw)}; expected a non-empty list of items "
            f"with fields {', '.join(_YAML_KEYS)}"
        )
    items = [_yaml_item_text(raw, f"{head}: item {i + 1}") for i, raw in enumerate(items_raw)]
    text = "\n".join(item_text for item_text, _ in items)
    try:
        return parse_text(text, lib=lib, body=body, source=f"{source} (YAML items, one per line)")
    except RegimenSyntaxError as exc:
        if exc.whole:  # about the regimen, not a place in it
            raise ValidationError(f"{source}: {exc.reason}") from None
        item_text, spans = items[exc.line - 1]
        field = _yaml_field_at(spans, exc.column - 1)
        where = f"item {exc.line}" + (f", field {field!r}" if field else "")
        raise RegimenSyntaxError(
            exc.reason,
            item_text,
            exc.column - 1,
            source=source,
            where=where,
        ) from None


def parse_regimen(
    text_or_path: str | Path,
    *,
    lib: DrugLibrary | None = None,
    body: Body | None = None,
    allow_off_label: bool = False,
) -> Regimen:
    """Parse a regimen given as text, or as a path to a .yaml/.yml/.txt file.

    ``body`` is the body a text regimen is dosed in (a YAML file may say its own);
    ``allow_off_label`` marks the regimen so off-label doses run (and are noted)."""
    what = "a DrugLibrary or None (the shipped library, senotwin.drug_library())"
    check_type(lib, (DrugLibrary, type(None)), name="lib", what=what)
    what = "a Body (senotwin.therapy.dosing.Body(species='mouse')) or None (human)"
    check_type(body, (Body, type(None)), name="body", what=what)
    check_type(allow_off_label, bool, name="allow_off_label", what="True or False")
    reg = _parse_regimen(text_or_path, lib=lib, body=body)
    return replace(reg, allow_off_label=True) if allow_off_label else reg


def _parse_regimen(
    text_or_path: str | Path, *, lib: DrugLibrary | None, body: Body | None
) -> Regimen:
    if isinstance(text_or_path, Path) or (
        isinstance(text_or_path, str)
        and "\n" not in text_or_path
        and text_or_path.strip().lower().endswith((".yaml", ".yml", ".txt", ".regimen"))
    ):
        path = Path(text_or_path)
        try:
            content = read_text(path, what="regimen file", expected="regimen text or YAML")
        except ValidationError as exc:
            raise ValidationError(f"cannot read regimen: {exc}") from None
        if path.suffix.lower() in (".yaml", ".yml"):
            data = _load_yaml(content, str(path))
            return parse_yaml(data, lib=lib, source=str(path))
        return parse_text(content, lib=lib, body=body, source=str(path))
    if not isinstance(text_or_path, str):
        raise ValidationError(
            f"a regimen must be text or a path, got {type(text_or_path).__name__}"
        )
    stripped = text_or_path.lstrip()
    if stripped.startswith(("regimen:", "- drug:", "body:")):
        return parse_yaml(_load_yaml(text_or_path, "regimen"), lib=lib)
    return parse_text(text_or_path, lib=lib, body=body)


def regimen_to_yaml(regimen: Regimen) -> str:
    """The YAML form of a regimen (parses back to an equal Regimen)."""
    out = []
    for it in regimen.items:
        entry: dict[str, Any] = {
            "drug": it.drug,
            "dose": f"{_fmt(it.amount)} {it.unit}",
            "route": it.route,
        }
        if (freq := it.frequency_text()) is not None:
            entry["every"] = freq
        entry["days"] = ",".join(
            f"d{_fmt(d.start)}" + (f"-d{_fmt(d.end)}" if d.end is not None else "") for d in it.days
        )
        if it.cycles is not None:
            word = "cycle" if it.cycles.count == 1 else "cycles"
            entry["cycles"] = f"x{it.cycles.count} {word} of {_fmt(it.cycles.length)}d"
        if it.after is not None:
            entry["after"] = f"+{_fmt(it.after.offset)}d after {it.after.which} {it.after.drug}"
        out.append(entry)
    return yaml.safe_dump({"body": regimen.body.species, "regimen": out}, sort_keys=False)


# ---- compiling ------------------------------------------------------------------------------
@dataclass(frozen=True)
class TherapyPlan:
    """A regimen compiled for a model: the therapy ModelSpec and its exact Dose schedule."""

    spec: ModelSpec
    schedule: Schedule
    events: tuple[DosingEvent, ...]
    drugs: tuple[str, ...]


def apply_regimen(
    spec: ModelSpec,
    regimen: Regimen | str | Path | None,
    *,
    extra_drugs: Iterable[str] = (),
    lib: DrugLibrary | None = None,
) -> TherapyPlan:
    """Compile ``regimen`` for ``spec``: add the drugs' PK/PD and schedule every dose.

    ``extra_drugs`` adds drugs without doses (so arms of a comparison share one model).
    """
    from senotwin.therapy.pkpd import effect_notes, event_doses, therapy_spec

    lib = lib or library()
    reg = (
        regimen
        if isinstance(regimen, Regimen) or regimen is None
        else parse_regimen(regimen, lib=lib)
    )
    used = reg.drugs(lib) if reg is not None else ()
    drugs = {d.id: d for d in (*used, *(lib.get(n) for n in extra_drugs))}
    tspec = therapy_spec(spec, drugs.values())
    events = reg.events(lib) if reg is not None else ()
    doses = event_doses(events, lib)
    notes = effect_notes(spec, drugs.values())
    if reg is not None and reg.allow_off_label:
        notes += tuple(f"off-label (allowed): {line}" for line in reg.off_label(lib))
    if reg is not None:
        notes += reg.unit_notes(lib) + reg.species_notes(lib)
        notes += schedule_notes(events, reg.body, lib)
    schedule = Schedule(doses=doses, name=reg.to_text() if reg is not None else "", notes=notes)
    return TherapyPlan(tspec, schedule, events, tuple(sorted(drugs)))


_OFF_LABEL = re.compile(
    r"off-label schedule: (?P<drug>\S+) (?P<doses>[-+0-9.e]+(?:, [-+0-9.e]+)*) (?P<unit>\S+) "
    r"(?P<rest>(?:every .+? d|once)(?: by [a-z ]+?)? fits none of .*)",
    re.DOTALL,
)


def merge_schedule_notes(notes: Iterable[str]) -> tuple[str, ...]:
    """``notes`` with the off-label schedule notes of arms that differ only in their doses (a
    dose-response) merged into one that lists every dose, so the drug's schedule list is said
    once; other notes, and their order, are kept."""
    out: dict[str, list[float] | None] = {}
    keys: dict[str, tuple[str, str, str]] = {}
    for note in notes:
        m = _OFF_LABEL.fullmatch(note)
        if m is None:
            out.setdefault(note, None)
            continue
        key = f"{m['drug']}\0{m['unit']}\0{m['rest']}"
        keys[key] = (m["drug"], m["unit"], m["rest"])
        doses = out.setdefault(key, [])
        assert doses is not None
        doses += [float(d) for d in m["doses"].split(", ") if float(d) not in doses]
    merged = []
    for key, doses in out.items():
        if doses is None:
            merged.append(key)
        else:
            drug, unit, rest = keys[key]
            listed = ", ".join(f"{d:g}" for d in sorted(doses))
            merged.append(f"off-label schedule: {drug} {listed} {unit} {rest}")
    return tuple(merged)


def schedule_notes(events: Sequence[DosingEvent], body: Body, lib: DrugLibrary) -> tuple[str, ...]:
    """One note per drug whose doses fit none of its labelled schedules (a note, not a refusal:
    each dose may be in range while the schedule is not, e.g. a 3-weekly dose given weekly), and
    one per drug whose doses add up to more than its labelled cumulative dose."""
    out = []
    for drug_id in dict.fromkeys(e.drug for e in events):
        mine = [e for e in events if e.drug == drug_id]
        why = schedule_problem(
            [e.time for e in mine],
            [e.amount for e in mine],
            lib.get(drug_id),
            body=body,
            routes=[e.route for e in mine],
        )
        if why:
            out.append(f"off-label schedule: {why}")
        total = cumulative_problem([e.amount for e in mine], lib.get(drug_id), body=body)
        if total:
            out.append(f"above the labelled cumulative dose: {total}")
    return tuple(out)


@dataclass(frozen=True)
class SharedTherapy:
    """A regimen (or none) compiled onto a model that also carries ``drugs`` without doses.

    Arms of a comparison or a cohort run one therapy model this way, so an untreated arm and a
    treated arm differ only in their doses. Pass it as ``regimen=`` to ``run_scenario``.
    """

    regimen: Regimen | None
    drugs: tuple[str, ...] = ()

    def compile_for(self, spec: ModelSpec) -> tuple[ModelSpec, Schedule]:
        """The shared therapy model and this arm's dose schedule."""
        plan = apply_regimen(spec, self.regimen, extra_drugs=self.drugs)
        return plan.spec, plan.schedule


def describe_events(events: Iterable[DosingEvent]) -> list[Mapping[str, object]]:
    """JSON-ready list of dosing events."""
    return [
        {"day": e.time, "drug": e.drug, "dose": e.amount, "unit": e.unit, "route": e.route}
        for e in events
    ]
