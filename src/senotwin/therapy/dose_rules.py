"""Protocol dose modifications driven by the simulated blood counts (therapy.toxicity).

As the weekly nab-paclitaxel labels do (:data:`RULES_SOURCE`): a cycle's first dose of a
myelosuppressive drug waits a week (``delay_days``, the drug's later doses move with it) while
the ANC on its day is below ``cycle_hold_below`` (1.5 x 10^9/L); a dose within a cycle is
withheld (skipped) below ``hold_below`` (0.5); after grade ``reduce_after_grade`` (4: ANC < 0.5)
lasting more than ``reduce_after_days`` (7) since the drug's previous dose, this and every later
dose drop one level (``level`` x the starting dose; at most ``max_reductions`` levels); a cycle
that would wait more than ``max_delay_days`` (21) stops the drug. A drug
that kills platelets (navitoclax) is watched the same way on the platelet count (100 / 50 x
10^9/L, reduced after any grade-3 count). A dose opens a cycle when it is the drug's first, or
follows the drug's previous planned dose by 14 days or more, or by more than the drug's
shortest planned interval (d1, 8, 15 q28d: days 1 and 29 open cycles). Decisions are taken in
time order, each on a simulation that already carries the earlier ones (a dose only changes
what comes after it), so the runs needed are one plus one per change.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

from senotwin._errors import ValidationError
from senotwin.model.schedule import Schedule
from senotwin.model.spec import ModelSpec
from senotwin.therapy.drugs import DrugLibrary, library
from senotwin.therapy.language import DosingEvent
from senotwin.therapy.toxicity import CHAINS, BloodChain, count_1e9_per_l, lab_factor

#: where the thresholds come from (quantitative-sources nab_paclitaxel_dose_modification_rules)
RULES_SOURCE = (
    "weekly nab-paclitaxel labels: no course starts with ANC < 1,500/uL or platelets < "
    "100,000/uL (Abraxane US label; Japanese package insert, weekly 3-in-4 schedule: the "
    "course is postponed until recovery); a dose within a course is withheld below ANC 500/uL "
    "or platelets 50,000/uL (Japanese insert; US label pancreatic Table 4, day 8); ANC < 500/uL "
    "for more than 7 days or platelets < 50,000/uL: the next doses one level lower, 100 -> 75 "
    "-> 50 mg/m2 (US label NSCLC Table 2; 25 % of the starting dose per level, as Alimta's 75 "
    "%). Assumed: the one-week delay step (the labels say 'until recovery', checked weekly "
    "here), stopping the drug after a 3-week wait (no rule read), that a withheld dose is "
    "skipped, and that navitoclax follows the same platelet rules (none of its own was read; a "
    "phase 1 table, J Clin Oncol 2012;30:2401, Table A2, holds < 50,000/uL)"
)

#: the factor between a laboratory value of a blood count on a day and the model's count
Lab = Callable[[BloodChain, float], float]

#: a dose this long after the drug's previous planned dose opens a cycle (q14d, q21d courses)
CYCLE_GAP_DAYS = 14.0


@dataclass(frozen=True)
class DoseRules:
    """When to delay, withhold and reduce doses of myelosuppressive and platelet-killing drugs
    (counts in 10^9/L, durations in days)."""

    cycle_hold_below: float = 1.5
    hold_below: float = 0.5
    reduce_after_grade: int = 4
    reduce_after_days: float = 7.0
    level: float = 0.25
    max_reductions: int = 2
    delay_days: float = 7.0
    max_delay_days: float = 21.0
    platelet_cycle_hold_below: float = 100.0
    platelet_hold_below: float = 50.0
    platelet_reduce_after_grade: int = 3
    platelet_reduce_after_days: float = 0.0

    def __post_init__(self) -> None:
        for name, high in (
            ("cycle_hold_below", 10),
            ("hold_below", 10),
            ("platelet_cycle_hold_below", 150),
            ("platelet_hold_below", 150),
        ):
            value = getattr(self, name)
            if not 0 < value < high:
                what = "an ANC" if high == 10 else "a platelet count"
                raise ValidationError(f"{name} must be {what} in (0, {high}) 1e9/L, got {value}")
        for cycle, within in (
            ("cycle_hold_below", "hold_below"),
            ("platelet_cycle_hold_below", "platelet_hold_below"),
        ):
            if getattr(self, cycle) < getattr(self, within):
                raise ValidationError(
                    f"{cycle} ({getattr(self, cycle)}) must be >= {within} "
                    f"({getattr(self, within)}): a course starts on a count a dose within it "
                    "would pass"
                )
        for name in ("reduce_after_grade", "platelet_reduce_after_grade"):
            if getattr(self, name) not in (1, 2, 3, 4):
                raise ValidationError(
                    f"{name} must be a CTCAE grade 1-4, got {getattr(self, name)!r}"
                )
        for name in ("reduce_after_days", "platelet_reduce_after_days"):
            if not 0 <= getattr(self, name) < 365:
                raise ValidationError(f"{name} must be days in [0, 365), got {getattr(self, name)}")
        if not 0 < self.delay_days <= 28:
            raise ValidationError(f"delay_days must be in (0, 28] days, got {self.delay_days}")
        if not self.delay_days <= self.max_delay_days <= 365:
            raise ValidationError(
                f"max_delay_days must be in [delay_days ({self.delay_days:g}), 365] days, got "
                f"{self.max_delay_days}"
            )
        if not 0 < self.level < 1 or self.max_reductions < 0:
            raise ValidationError("level must be in (0, 1) and max_reductions >= 0")

    def describe(self) -> dict[str, object]:
        """The thresholds and their source, for a cohort's manifest."""
        return asdict(self) | {"source": RULES_SOURCE}

    def text(self) -> str:
        """The rules in words (``trial show``)."""
        return (
            f"a course waits {self.delay_days:g} days while the ANC is < {self.cycle_hold_below:g}"
            f"e9/L (platelets < {self.platelet_cycle_hold_below:g}e9/L) and the drug stops after "
            f"a {self.max_delay_days:g}-day wait; a dose within a course is withheld below "
            f"{self.hold_below:g}e9/L (platelets {self.platelet_hold_below:g}e9/L); later doses "
            f"drop one level ({self.level:.0%} of the starting dose, at most "
            f"{self.max_reductions}) after ANC grade {self.reduce_after_grade} lasting over "
            f"{self.reduce_after_days:g} days (platelets grade {self.platelet_reduce_after_grade})"
        )

    def thresholds(self, chain: BloodChain) -> tuple[float, float, int, float]:
        """A chain's cycle-start hold, within-cycle hold, the grade that reduces the dose and
        the days it must last since the drug's previous dose."""
        if chain.prefix == "plt":
            return (
                self.platelet_cycle_hold_below,
                self.platelet_hold_below,
                self.platelet_reduce_after_grade,
                self.platelet_reduce_after_days,
            )
        return (
            self.cycle_hold_below,
            self.hold_below,
            self.reduce_after_grade,
            self.reduce_after_days,
        )


def eligibility(rules: DoseRules) -> dict[str, float]:
    """Per blood-count chain (by prefix) the baseline count (10^9/L) at which a course may
    start: the label's "do not administer with baseline neutrophils < 1,500/uL", which trials
    apply at enrolment."""
    return {c.prefix: rules.thresholds(c)[0] for c in CHAINS}


def patient_lab(seed: int, patient: int) -> Lab:
    """A patient's laboratory: the measured count of a chain on a day is the model's times
    :func:`~senotwin.therapy.toxicity.lab_factor` (the source model's residual error, from the
    patient's own stream); on day 0 the count the patient was enrolled on (the model's)."""

    def lab(chain: BloodChain, day: float) -> float:
        if day <= 0:
            return 1.0
        return lab_factor(seed, patient, CHAINS.index(chain), day)

    return lab


@dataclass(frozen=True)
class RuleOutcome:
    """The doses actually given and what the rules changed (one line per change, its day and
    kind: 'delayed', 'held', 'reduced' or 'stopped')."""

    events: tuple[DosingEvent, ...]
    changes: tuple[str, ...]
    table: pd.DataFrame
    days: tuple[float, ...] = ()
    kinds: tuple[str, ...] = ()


def opens_cycle(events: Sequence[DosingEvent]) -> tuple[bool, ...]:
    """Whether each of ``events`` (sorted by time) opens a cycle of its drug (module doc)."""
    times: dict[str, list[float]] = {}
    for e in events:
        times.setdefault(e.drug, []).append(e.time)
    shortest = {d: min(np.diff(ts), default=math.inf) for d, ts in times.items()}
    out = []
    prev: dict[str, float] = {}
    for e in events:
        gap = e.time - prev.get(e.drug, -math.inf)
        out.append(gap >= CYCLE_GAP_DAYS or gap > shortest[e.drug] + 1e-9)
        prev[e.drug] = e.time
    return tuple(out)


def apply_dose_rules(
    events: Sequence[DosingEvent],
    run: Callable[[tuple[DosingEvent, ...]], pd.DataFrame],
    rules: DoseRules,
    lib: DrugLibrary | None = None,
    *,
    horizon: float,
    lab: Lab | None = None,
    until: Callable[[pd.DataFrame], float] | None = None,
) -> RuleOutcome:
    """Simulate with ``run`` (events -> table with 'time' and the watched counts, 'tox_anc' and
    'tox_platelets', in cells/uL) and apply ``rules`` (thresholds in 10^9/L): delays and holds
    read the count on each dose's day as a laboratory would measure it (``lab``: the factor
    between the measured and the model's count of a chain on a day; None: the model's count),
    a reduction the time the model's count spent below its grade; a delay that moves a
    dose past ``horizon`` (the run's last day) drops it. ``until`` (a run's table -> day) stops
    the decisions at that day of each run: a trial's progression, after which treatment would
    end, so the doses the model keeps giving then are left as planned."""
    lib = lib or library()
    current = sorted(events, key=lambda e: (e.time, e.drug))
    opens = list(opens_cycle(current))
    counts_of = {e.drug: tuple(c for c in CHAINS if c.lowers(lib.get(e.drug))) for e in current}
    watched = {d for d, cs in counts_of.items() if cs}
    start = {d: next(e.amount for e in current if e.drug == d) for d in watched}
    levels = dict.fromkeys(watched, 0)
    changes: list[str] = []
    days: list[float] = []
    kinds: list[str] = []
    waits: dict[str, tuple[int, float]] = {}  # drug -> (doses given before its cycle, days)
    decided = 0  # events before this index are final
    while True:
        table = run(tuple(current))
        if not watched or not any(c.observable in table for c in CHAINS):
            break
        stop = math.inf if until is None else until(table)
        change = _first_change(current, opens, decided, table, counts_of, levels, rules, lab, stop)
        if change is None:
            break
        i, kind, c, value = change
        e = current[i]
        days.append(e.time)
        kinds.append(kind)
        cycle_limit, limit, _, _ = rules.thresholds(c)
        if kind == "delayed":
            # the same cycle waits again when no dose of the drug was given since its last wait
            before = sum(x.drug == e.drug for x in current[:i])
            streak, waited = waits.get(e.drug, (-1, 0.0))
            waited = (waited if streak == before else 0.0) + rules.delay_days
            waits[e.drug] = (before, waited)
            if waited > rules.max_delay_days:
                kinds[-1] = "stopped"
                changes.append(
                    f"day {e.time:g}: {e.drug} stopped (its cycle waited "
                    f"{waited - rules.delay_days:g} days; {c.label} {value:.2f}e9/L < "
                    f"{cycle_limit:g})"
                )
                keep = [j for j, x in enumerate(current) if not (x.drug == e.drug and j >= i)]
                current, opens = [current[j] for j in keep], [opens[j] for j in keep]
                decided = i
                continue
            changes.append(
                f"day {e.time:g}: {e.drug} cycle delayed {rules.delay_days:g} days "
                f"({c.label} {value:.2f}e9/L < {cycle_limit:g})"
            )
            delay = rules.delay_days
            moved = [
                (replace(x, time=x.time + delay) if x.drug == e.drug and j >= i else x, o)
                for j, (x, o) in enumerate(zip(current, opens, strict=True))
            ]
            moved = [m for m in moved if m[0].time <= horizon]
            moved.sort(key=lambda m: (m[0].time, m[0].drug))
            current, opens = [m[0] for m in moved], [m[1] for m in moved]
            decided = i
        elif kind == "held":
            changes.append(f"day {e.time:g}: {e.drug} held ({c.label} {value:.2f}e9/L < {limit:g})")
            del current[i], opens[i]
            decided = i
        else:
            levels[e.drug] += 1
            factor = 1 - rules.level * levels[e.drug]
            changes.append(
                f"day {e.time:g}: {e.drug} reduced to {factor:.0%} of the starting dose "
                f"(grade {c.grade(value)} {c.label} nadir, {value:.2f}e9/L)"
            )
            current = [
                replace(x, amount=start[e.drug] * factor) if x.drug == e.drug and j >= i else x
                for j, x in enumerate(current)
            ]
            decided = i + 1
    return RuleOutcome(tuple(current), tuple(changes), table, tuple(days), tuple(kinds))


def _first_change(
    current: Sequence[DosingEvent],
    opens: Sequence[bool],
    decided: int,
    table: pd.DataFrame,
    counts_of: dict[str, tuple[BloodChain, ...]],
    levels: dict[str, int],
    rules: DoseRules,
    lab: Lab | None,
    stop: float,
) -> tuple[int, str, BloodChain, float] | None:
    """The first undecided dose before day ``stop`` the rules change: (index, kind, chain, the
    count it read)."""
    t = table["time"].to_numpy()
    step = np.diff(t, prepend=t[0])  # each sample stands for the time since the one before
    values = {
        c.observable: count_1e9_per_l(table[c.observable].to_numpy())
        for c in CHAINS
        if c.observable in table
    }
    for i in range(decided, len(current)):
        e = current[i]
        if e.time >= stop:
            return None
        prev = max((x.time for x in current[:i] if x.drug == e.drug), default=0.0)
        for c in counts_of[e.drug]:
            if c.observable not in values:
                continue
            series = values[c.observable]
            now = float(np.interp(e.time, t, series)) * (1.0 if lab is None else lab(c, e.time))
            cycle_limit, limit, reduce_grade, reduce_days = rules.thresholds(c)
            if opens[i] and now < cycle_limit:
                return i, "delayed", c, now
            if not opens[i] and now < limit:
                return i, "held", c, now
            window = (t > prev) & (t <= e.time)
            low = window & (series < c.bound(reduce_grade))
            if (
                low.any()
                and float(step[low].sum()) > reduce_days
                and levels[e.drug] < rules.max_reductions
            ):
                return i, "reduced", c, float(series[window].min())
    return None


#: what dose_summary records, and its values for a patient-arm with no result
DOSE_COLUMNS = {
    "cycles_delayed": 0,
    "doses_held": 0,
    "dose_stopped": False,
    "dose_reductions": 0,
    "dose_intensity": math.nan,
    "dose_changes": "",
    "lab_draws": 0,
    **{f"{c.prefix}_lab{what}": math.nan for c in CHAINS for what in ("", "_grade", "_worsened")},
}


def dose_summary(
    planned: Sequence[DosingEvent],
    outcome: RuleOutcome,
    until: float = math.inf,
    lib: DrugLibrary | None = None,
    lab: Lab | None = None,
) -> dict[str, object]:
    """What the rules changed before day ``until`` (on treatment: trial arms dose until
    progression): cycles delayed, doses withheld, reduction steps, the relative dose intensity
    of the drugs they watch (amount given / amount planned before ``until``, mean over those
    drugs; NaN with none planned), the changes in words, and per watched count the worst
    laboratory value (10^9/L) and its CTCAE grade over the draws the rules read (each dose
    day, held and delayed ones included; ``lab`` as in :func:`apply_dose_rules`)."""
    lib = lib or library()
    watched = {e.drug for e in planned if any(c.lowers(lib.get(e.drug)) for c in CHAINS)}
    lowered = [c for c in CHAINS if any(c.lowers(lib.get(d)) for d in watched)]
    ratios = []
    for drug in sorted(watched):
        plan = sum(e.amount for e in planned if e.drug == drug and e.time < until)
        if plan > 0:
            given = sum(e.amount for e in outcome.events if e.drug == drug and e.time < until)
            ratios.append(given / plan)
    before = [k for k, day in zip(outcome.kinds, outcome.days, strict=True) if day < until]
    changes = [c for c, day in zip(outcome.changes, outcome.days, strict=True) if day < until]
    draws = sorted({e.time for e in outcome.events if e.drug in watched}.union(outcome.days))
    draws = [d for d in draws if d < until]
    return {**DOSE_COLUMNS, **_worst_labs(outcome.table, lowered, draws, lab)} | {
        "lab_draws": len(draws),
        "cycles_delayed": before.count("delayed"),
        "doses_held": before.count("held"),
        "dose_stopped": "stopped" in before,
        "dose_reductions": before.count("reduced"),
        "dose_intensity": float(np.mean(ratios)) if ratios else math.nan,
        "dose_changes": "; ".join(changes),
    }


def _worst_labs(
    table: pd.DataFrame, chains: Sequence[BloodChain], days: Sequence[float], lab: Lab | None
) -> dict[str, float]:
    """Per chain the lowest laboratory value (10^9/L) on ``days``, its grade, and that grade
    where it is worse than the baseline's (day 0, the enrolment count; else 0), as trial
    laboratory tables count abnormalities "worsened from baseline" (absent: no draw, or a
    chain the run does not carry)."""
    out: dict[str, float] = {}
    for c in chains:
        if not days or c.observable not in table:
            continue
        t = table["time"].to_numpy()
        series = table[c.observable].to_numpy()
        model = count_1e9_per_l(np.interp(days, t, series))
        factors = np.array([1.0 if lab is None else lab(c, d) for d in days])
        worst = float(np.min(model * factors))
        grade = c.grade(worst)
        baseline = c.grade(float(count_1e9_per_l(np.interp(0.0, t, series))))
        out |= {
            f"{c.prefix}_lab": worst,
            f"{c.prefix}_lab_grade": grade,
            f"{c.prefix}_lab_worsened": grade if grade > baseline else 0,
        }
    return out


@dataclass(frozen=True)
class EventTherapy:
    """A shared therapy model given exactly ``events`` (the doses the rules let through)."""

    shared: object  # a SharedTherapy (compile_for(spec) -> (ModelSpec, Schedule))
    events: tuple[DosingEvent, ...]

    def compile_for(self, spec: ModelSpec) -> tuple[ModelSpec, Schedule]:
        """The shared therapy model and the schedule of ``events``."""
        from senotwin.therapy.pkpd import event_doses

        tspec, schedule = self.shared.compile_for(spec)  # type: ignore[attr-defined]
        return tspec, replace(schedule, doses=event_doses(self.events))
