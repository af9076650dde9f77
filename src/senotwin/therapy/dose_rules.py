"""Protocol dose modifications driven by the simulated blood counts (therapy.toxicity).

As chemotherapy protocols do: a dose of a myelosuppressive drug is held (not given) when the
ANC on its day is below ``hold_below`` (1.0 x 10^9/L), and after a nadir of grade
``reduce_after_grade`` (4: ANC < 0.5) since the drug's previous dose, this and every later dose
of that drug drop one level (``level`` x the starting dose; at most ``max_reductions`` levels).
A drug that kills platelets (navitoclax) is watched the same way on the platelet count:
held below ``platelet_hold_below`` (50 x 10^9/L, CTCAE grade 3), reduced after a grade-4 nadir
(< 25). Decisions are taken in time order, each on a simulation that already carries the
earlier ones (a dose only changes what comes after it), so at most one run per scheduled dose
is needed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from senotwin._errors import ValidationError
from senotwin.model.schedule import Schedule
from senotwin.model.spec import ModelSpec
from senotwin.therapy.drugs import DrugLibrary, library
from senotwin.therapy.language import DosingEvent
from senotwin.therapy.toxicity import CHAINS, count_1e9_per_l

#: the rule's source (the thresholds are the protocol conventions the issue names)
RULES_SOURCE = (
    "hold below ANC 1.0e9/L and reduce one level after grade 4 (CTCAE v5); one level = 25% of "
    "the starting dose as in the Abraxane (100 -> 75 -> 50 mg/m2) and Alimta (75% of the "
    "previous dose) labels. Platelets: hold below 50e9/L (CTCAE grade 3) and reduce one level "
    "after grade 4 (< 25e9/L), assumed: no navitoclax hold rule was read; a phase 1 protocol's "
    "table (J Clin Oncol 2012;30:2401, Table A2: hold < 50,000/uL) is the template"
)


@dataclass(frozen=True)
class DoseRules:
    """When to hold and when to reduce doses of myelosuppressive and platelet-killing drugs."""

    hold_below: float = 1.0
    reduce_after_grade: int = 4
    level: float = 0.25
    max_reductions: int = 2
    platelet_hold_below: float = 50.0

    def __post_init__(self) -> None:
        if not 0 < self.hold_below < 10:
            raise ValidationError(
                f"hold_below must be an ANC in (0, 10) 1e9/L, got {self.hold_below}"
            )
        if not 0 < self.platelet_hold_below < 150:
            raise ValidationError(
                "platelet_hold_below must be a platelet count in (0, 150) 1e9/L, got "
                f"{self.platelet_hold_below}"
            )
        if self.reduce_after_grade not in (1, 2, 3, 4):
            raise ValidationError("reduce_after_grade must be a CTCAE grade 1-4")
        if not 0 < self.level < 1 or self.max_reductions < 0:
            raise ValidationError("level must be in (0, 1) and max_reductions >= 0")


#: the DoseRules field holding each watched chain's hold threshold (by record prefix)
_HOLD = {"anc": "hold_below", "plt": "platelet_hold_below"}


@dataclass(frozen=True)
class RuleOutcome:
    """The doses actually given and what the rules changed (one line per change)."""

    events: tuple[DosingEvent, ...]
    changes: tuple[str, ...]
    table: pd.DataFrame


def apply_dose_rules(
    events: Sequence[DosingEvent],
    run: Callable[[tuple[DosingEvent, ...]], pd.DataFrame],
    rules: DoseRules,
    lib: DrugLibrary | None = None,
) -> RuleOutcome:
    """Simulate with ``run`` (events -> table with 'time' and the watched counts, 'tox_anc' and
    'tox_platelets', in cells/uL) and apply ``rules`` (thresholds in 10^9/L)."""
    lib = lib or library()
    current = sorted(events, key=lambda e: (e.time, e.drug))
    counts_of = {e.drug: tuple(c for c in CHAINS if c.lowers(lib.get(e.drug))) for e in current}
    watched = {d for d, cs in counts_of.items() if cs}
    start = {d: next(e.amount for e in current if e.drug == d) for d in watched}
    levels = dict.fromkeys(watched, 0)
    changes: list[str] = []
    decided = 0  # events before this index are final
    while True:
        table = run(tuple(current))
        if not watched or not any(c.observable in table for c in CHAINS):
            return RuleOutcome(tuple(current), tuple(changes), table)
        t = table["time"].to_numpy()
        values = {
            c.observable: count_1e9_per_l(table[c.observable].to_numpy())
            for c in CHAINS
            if c.observable in table
        }
        change = None
        for i in range(decided, len(current)):
            e = current[i]
            prev = max((x.time for x in current[:i] if x.drug == e.drug), default=0.0)
            for c in counts_of[e.drug]:
                if c.observable not in values:
                    continue
                series = values[c.observable]
                now = float(np.interp(e.time, t, series))
                window = series[(t > prev) & (t <= e.time)]
                nadir = float(window.min()) if window.size else now
                limit = getattr(rules, _HOLD[c.prefix])
                if now < limit:
                    change = (i, "hold", c, now)
                    break
                if (
                    c.grade(nadir) >= rules.reduce_after_grade
                    and levels[e.drug] < rules.max_reductions
                ):
                    change = (i, "reduce", c, nadir)
                    break
            if change is not None:
                break
            decided = i + 1
        if change is None:
            return RuleOutcome(tuple(current), tuple(changes), table)
        i, kind, c, value = change
        e = current[i]
        if kind == "hold":
            limit = getattr(rules, _HOLD[c.prefix])
            changes.append(f"day {e.time:g}: {e.drug} held ({c.label} {value:.2f}e9/L < {limit:g})")
            del current[i]
        else:
            levels[e.drug] += 1
            factor = 1 - rules.level * levels[e.drug]
            new = start[e.drug] * factor
            changes.append(
                f"day {e.time:g}: {e.drug} reduced to {factor:.0%} of the starting dose "
                f"(grade {c.grade(value)} {c.label} nadir, {value:.2f}e9/L)"
            )
            current = [
                replace(x, amount=new) if x.drug == e.drug and j >= i else x
                for j, x in enumerate(current)
            ]
            decided = i + 1


@dataclass(frozen=True)
class EventTherapy:
    """A shared therapy model given exactly ``events`` (the doses the rules let through)."""

    shared: object  # a SharedTherapy (compile_for(spec) -> (ModelSpec, Schedule))
    events: tuple[DosingEvent, ...]

    def compile_for(self, spec: ModelSpec) -> tuple[ModelSpec, Schedule]:
        """The shared therapy model and the schedule of ``events``."""
        from senotwin.therapy.pkpd import dose_for

        tspec, schedule = self.shared.compile_for(spec)  # type: ignore[attr-defined]
        lib = library()
        doses = tuple(dose_for(lib.get(e.drug), e.amount, e.route, e.time) for e in self.events)
        return tspec, replace(schedule, doses=doses)
