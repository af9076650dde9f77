"""Schedule search over drug-library regimens: dose, start day and duration under a toxicity limit.

Every searched drug is an entry of the drug library (:mod:`senotwin.therapy.drugs`, one
definition per drug). A candidate schedule is regimen-language text: each drug on one of the
labelled or studied schedules of its dose range for the scenario's species (``schedules``, each a
dose min/max paired with its interval and, where the source has one, an on/off cycle:
nab-paclitaxel 260 mg/m2 q21d or 100-125 mg/m2 weekly on days 1-21 of each 28-day cycle;
a flat range is one schedule per ``interval`` with the range's bounds), at a fraction of its
reference dose inside that schedule's own bounds, by its reference route where the schedule
allows it (else by the first route it allows: tocilizumab 162 mg weekly sc), from a start day for a
duration (a cycled schedule gives the whole cycles that fit in it, written 'x2 cycles of 21d'),
never past the schedule's cap on one course's doses (``max_doses``: radiotherapy's 30 fractions
of 2 Gy, a single 34 Gy fraction) nor past the cumulative dose the label characterises
(doxorubicin 500 mg/m2; the course is cut short to keep to both), compiled onto one
therapy model that carries every searched drug (so candidates differ only in their doses). The
search picks the schedule (categorical) and the level; each course names its schedule
(``DrugCourse.schedule``). A drug whose range gives no interval (none in the shipped library; a
user library's range may) falls back to about one terminal half-life (1-21 days; daily without
PK), and the result names it (``OptimizationResult.half_life_fallback``). The backdrop is the
scenario (for ``default``: one chemotherapy course at day 0, so the search explores the
"one-two punch" of the review's section 5). The objective is the mean over a small virtual
cohort (paired patients from :mod:`senotwin.cohort.population`) of log10(final / initial
tumour burden); lower is better. Search: optuna TPE (seeded). Doses stay inside each drug's
labelled or studied range for the scenario's species (human: ``dose_ranges.human``; a drug
without human PK is refused in a human scenario), so the level bounds are per drug
(``level_bounds``). Each patient has their own clearances and marrow (as trial patients:
``therapy.pkpd.patient_clearance``, ``therapy.toxicity.patient_marrows``) and, with ``dose_rules``
(on by default), receives a candidate as a protocol would give it: each course delayed, dose
withheld or reduced on their laboratory counts (:mod:`senotwin.therapy.dose_rules`), so a schedule
is judged as delivered. Neutropenia (therapy.toxicity, for drugs with a published model) and
thrombocytopenia (navitoclax's platelet chain) are constraints: a schedule with a dose-limiting
blood count (:func:`~senotwin.therapy.toxicity.dose_limiting`: grade-4 neutropenia for more than 7
days or grade-4 thrombocytopenia) in at least ``max_dlt_share`` of the patients (default a third,
the 3+3 design's toxic level) is infeasible. Toxicity is also the library's mechanism-based
toxicity proxies (``TOXICITY``: drug inhibition of NF-kB, mTOR, the BCL-2 family; tissue damage
from senolysis), each integrated over the run and divided by 90 days, summed, and averaged over
patients; schedules above ``max_toxicity`` are infeasible. A drug whose targets raise no proxy
in the library (checkpoint inhibitors, for instance) adds no toxicity. The best feasible schedules
are re-reported with a bootstrap 95 % CI over patients and the share of patients with >= 30 %
diameter shrinkage.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from numbers import Integral, Real

import numpy as np
import pandas as pd

from senotwin._errors import ValidationError, check_seed, check_type
from senotwin.cohort.population import VirtualPatient, draw_patient, population_for
from senotwin.cohort.runner import check_cohort_scenario
from senotwin.model.readouts import readouts_for
from senotwin.model.spec import ModelSpec
from senotwin.sim import SolverOptions, daily, prepare_scenario, simulate
from senotwin.sim.engines import get_engine
from senotwin.sim.result import SimulationResult
from senotwin.sim.simulate import check_days
from senotwin.therapy.dose_rules import (
    DoseRules,
    apply_dose_rules,
    dose_summary,
    eligibility,
    patient_lab,
)
from senotwin.therapy.dosing import Body, body_for_scenario, canonical_dose, range_bound
from senotwin.therapy.drugs import (
    SENOLYSIS_DAMAGE,
    TOXICITY,
    DoseSchedule,
    Drug,
    Species,
    doses_in_on_days,
    doses_per_day,
    frequency_text,
    get_drug,
)
from senotwin.therapy.language import (
    MAX_CYCLES,
    DosingEvent,
    TherapyPlan,
    apply_regimen,
    parse_regimen,
)
from senotwin.therapy.pkpd import event_doses, patient_clearance, tox_id
from senotwin.therapy.toxicity import (
    DLT_SHARE,
    DLT_SOURCE,
    PLT_OBS,
    count_1e9_per_l,
    dose_limiting,
    patient_marrows,
)

MIN_LEVEL = 0.1  # lowest dose searched, as a fraction of the reference dose
MIN_DAYS = 7  # shortest course searched (days)
TOX_DAYS = 90.0  # toxicity is proxy exposure per 90 days
#: the most schedules one search tries (``budget``) and virtual patients each is evaluated on
#: (``patients``): every schedule runs every patient over the horizon (with dose rules, again
#: where a rule changes a dose), about 0.02-0.04 s of one core per patient at the default 180 days
#: on the fast engine (measured: 200 schedules x 8 patients 68 s, 10 x 100 patients 39 s), so
#: both at their most are about 2 million runs, a day of the one core a search uses; with no
#: bound a mistyped 1e7 ran for ever
MAX_BUDGET = 2_000
MAX_EVAL_PATIENTS = 1_000


def level_bounds(drug: Drug, body: Body) -> tuple[float, float]:
    """Searched dose levels (fractions of the reference dose) that stay inside the drug's
    labelled or studied range for ``body``'s species (MIN_LEVEL-1 where none is given)."""
    if body.species == "human" and (why := drug.human_problem()):
        raise ValidationError(f"{why}: it cannot be optimised in a human scenario")
    rng = drug.dose_ranges.get(body.species)
    if rng is None:
        return MIN_LEVEL, 1.0
    return _levels(drug, body, rng.min, rng.max, what=f"its {body.species} range")


def _levels(
    drug: Drug, body: Body, low_text: str, high_text: str, *, what: str
) -> tuple[float, float]:
    """Dose bounds ("100 mg/m2") as fractions of the reference dose for ``body``: the floor is
    MIN_LEVEL (never above the top), the top at most the drug's dose limit."""
    ref = drug.reference_dose
    ref_dose = canonical_dose(ref.amount, ref.unit, drug, body=body, where=drug.id)
    low, high = (range_bound(x, drug, body) / ref_dose for x in (low_text, high_text))
    low, high = max(low, min(MIN_LEVEL, high)), min(high, drug.max_dose().multiple_of_reference)
    if low > high:
        raise ValidationError(f"{drug.id}: {what} {low_text}-{high_text} is empty")
    return low, high


@dataclass(frozen=True)
class ScheduleChoice:
    """One schedule the search may give a drug: dose levels (fractions of the reference dose,
    inside this schedule's own bounds), the interval (days), the on/off cycle (days dosed at the
    start of each cycle, cycle length; None without one), a label for the output, whether it
    is the half-life fallback of a range without a labelled interval and the most doses one
    course may give (``max_doses``; None: no cap)."""

    low: float
    high: float
    every: float
    on: float | None = None
    cycle: float | None = None
    label: str = ""
    fallback: bool = False
    max_doses: int | None = None
    #: the labelled cumulative dose in reference doses (None: none): a course at ``level`` gives
    #: at most ``cumulative / level`` doses
    cumulative: float | None = None
    #: the route the course is given by ('': the reference dose's; see course_route)
    route: str = ""

    def cap(self, level: float) -> int | None:
        """The most doses a course at ``level`` may give: the schedule's cap and the cumulative
        dose's, whichever is lower (None: neither)."""
        caps = [] if self.max_doses is None else [self.max_doses]
        if self.cumulative is not None:
            caps.append(max(1, math.floor(self.cumulative / level + 1e-9)))
        return min(caps) if caps else None


def schedule_choices(drug: Drug, body: Body) -> tuple[ScheduleChoice, ...]:
    """The schedules the search may give ``drug`` in ``body``'s species: one per labelled or
    studied schedule of its range (its dose bounds paired with its interval, on/off cycle and
    cap on a course's doses), else the range's bounds at the half-life fallback interval
    (``half_life_interval``)."""
    low, high = level_bounds(drug, body)  # refuses a drug without human PK in a human body
    rng = drug.dose_ranges.get(body.species)
    schedules = rng.all_schedules() if rng is not None else ()
    total = None
    if rng is not None and rng.cumulative is not None:
        ref = drug.reference_dose
        per_ref = canonical_dose(ref.amount, ref.unit, drug, body=body, where=drug.id)
        total = range_bound(rng.cumulative.max, drug, body) / per_ref
    if not schedules:
        every = float(half_life_interval(drug))
        label = f"{frequency_text(every)} (no labelled interval: the half-life fallback)"
        route = course_route(drug, body)
        return (
            ScheduleChoice(
                low, high, every, label=label, fallback=True, cumulative=total, route=route
            ),
        )
    out = []
    for s in schedules:
        what = f"its {body.species} schedule {s.label()}"
        lo, hi = _levels(drug, body, s.min, s.max, what=what)
        on, cycle = s.on_off_days() or (None, None)
        out.append(
            ScheduleChoice(
                lo,
                hi,
                s.interval_day(),
                on,
                cycle,
                s.label(),
                max_doses=s.cap(),
                cumulative=total,
                route=course_route(drug, body, s),
            )
        )
    return tuple(out)


def course_route(drug: Drug, body: Body, schedule: DoseSchedule | None = None) -> str:
    """The route a searched course is given by: the reference dose's where ``schedule`` (its
    ``routes``, else its range's for ``body``'s species) allows it, else the first it allows
    (tocilizumab's 162 mg weekly is subcutaneous; artesunate's mouse reference route, ip, is
    not a human one); '' for a drug without PK (radiation: no route is written)."""
    if drug.pk.model == "none":
        return ""
    rng = drug.dose_ranges.get(body.species)
    allowed: tuple[str, ...] = drug.routes
    if schedule is not None and schedule.routes is not None:
        allowed = schedule.routes
    elif rng is not None:
        allowed = rng.routes
    ref = drug.reference_dose.route
    return ref if ref in allowed else allowed[0]


def half_life_interval(drug: Drug) -> int:
    """The fallback interval for a drug without a labelled one: about one terminal half-life,
    1 to 21 days (daily without PK)."""
    if drug.pk.model == "none":
        return 1
    half_life = drug.pk.terminal_half_life_days()
    return int(min(21, max(1, round(half_life)))) if math.isfinite(half_life) else 21


def labelled_intervals(drug: Drug, species: Species = "human") -> tuple[float, ...]:
    """The labelled or studied intervals (days) of ``drug``'s dose range in ``species``; empty
    where the range gives none or there is no range."""
    rng = drug.dose_ranges.get(species)
    return rng.interval_days() if rng is not None else ()


def dosing_intervals(drug: Drug, species: Species = "human") -> tuple[float, ...]:
    """Days between doses the search may use: the labelled intervals of the drug's range in
    ``species``, else the half-life fallback alone (see ``half_life_interval``)."""
    return labelled_intervals(drug, species) or (float(half_life_interval(drug)),)


@dataclass(frozen=True)
class DrugCourse:
    """One drug in a schedule: dose level (fraction of its reference dose), start day, days,
    the dosing interval (days; one of ``dosing_intervals``) and, for a schedule with an on/off
    cycle, the days dosed at the start of each cycle (``on``) and the cycle length; ``schedule``
    names the library schedule the course follows, ``max_doses`` its cap on a course's doses
    (None: none; :meth:`within_cap` cuts the course to it) and ``route`` the route it is given
    by ('': the reference dose's; :func:`course_route`)."""

    drug: str
    level: float
    start: int
    days: int
    every: float
    on: float | None = None
    cycle: float | None = None
    schedule: str = ""
    max_doses: int | None = None
    route: str = ""

    def cycle_plan(self) -> tuple[float, int]:
        """(day of the last dose within a cycle, number of cycles) of a cycled course: the whole
        cycles whose doses fit in its ``days`` (at most MAX_CYCLES); a course shorter than one
        cycle's dosing days gives one cycle cut at its end."""
        if self.on is None or self.cycle is None:
            raise ValueError(f"{self.drug}: the course has no on/off cycle")
        last = (doses_in_on_days(self.on, self.every) - 1) * self.every
        if last > self.days - 1:
            return math.floor((self.days - 1) / self.every + 1e-9) * self.every, 1
        count = math.floor((self.days - 1 - last) / self.cycle + 1e-9) + 1
        return last, min(count, MAX_CYCLES)

    def per_day(self) -> int | None:
        """Doses a day when the course's interval divides a day (2 for 12 h, 3 for 8 h: written
        bid, tid, qid or qNh, each listed day that many times); None for one a day or fewer."""
        n = doses_per_day(self.every)
        return n if n is not None and n > 1 else None

    def _written(self) -> tuple[float, int]:
        """(last day written within a cycle, cycles) as :meth:`to_text` writes the course: an
        uncycled course is one 'cycle' of all its days; several a day (bid, tid, ...) lists
        whole days."""
        if self.on is None or self.cycle is None:
            return float(self.days - 1), 1
        last, count = self.cycle_plan()
        if self.per_day() is not None:  # bid, tid, qid, qNh dose each listed day n times
            last = math.floor(last + 1e-9)
        return last, count

    def dose_count(self) -> int:
        """How many doses the course's regimen text gives (as the regimen language expands it:
        bid is two a listed day, tid three, q4h six; a cycle's doses repeat in every cycle)."""
        last, count = self._written()
        if (n := self.per_day()) is not None:
            per_cycle = n * (math.floor(last) + 1)
        else:
            per_cycle = math.floor(last / self.every + 1e-9) + 1
        if self.on is not None and last == 0:
            per_cycle = 1  # written as a single day ('d0 x3 cycles of 21d')
        return per_cycle * count

    def within_cap(self) -> DrugCourse:
        """This course cut short (fewest days removed) so that its doses number at most
        ``max_doses``: a radiotherapy course never gives more fractions than its schedule."""
        if self.max_doses is None:
            return self
        days = self.days
        while days > 1 and replace(self, days=days).dose_count() > self.max_doses:
            days -= 1
        out = replace(self, days=days)
        if out.dose_count() > self.max_doses:
            raise ValidationError(
                f"{self.drug}: schedule {self.schedule or frequency_text(self.every)!r} gives "
                f"{out.dose_count()} doses in a one-day course, above its max_doses "
                f"{self.max_doses}"
            )
        return out

    def _written_dose(self, drug: Drug, body: Body | None) -> tuple[float, str]:
        """The course's dose as (amount, unit): in its schedule's unit for ``body``, else in the
        reference dose's."""
        ref = drug.reference_dose
        rng = drug.dose_ranges.get(body.species) if body is not None else None
        if body is None or rng is None:
            return ref.amount * self.level, ref.unit
        sched = next((s for s in rng.all_schedules() if s.label() == self.schedule), None)
        unit = (sched.min if sched is not None else rng.min).split()[-1]
        if unit == ref.unit:
            return ref.amount * self.level, ref.unit
        per_ref = canonical_dose(ref.amount, ref.unit, drug, body=body, where=drug.id)
        per_unit = range_bound(f"1 {unit}", drug, body)
        return self.level * per_ref / per_unit, unit

    def to_text(self, body: Body | None = None) -> str:
        """The course in the regimen language (an on/off cycle as 'x2 cycles of 21d'; a one-day
        course as its day alone, 'd12'). With ``body`` the dose is written in the unit of the
        course's schedule in that species (doxorubicin in mg/m2, pembrolizumab's q6w in mg), as
        a clinician writes it; without, in the unit of the drug's reference dose."""
        d = get_drug(self.drug)
        ref = d.reference_dose
        route = "" if d.pk.model == "none" else f" {self.route or ref.route}"
        amount, unit = self._written_dose(d, body)
        dose = f"{d.id} {amount:.4g} {unit}{route}"
        freq = frequency_text(self.every)
        if self.on is None or self.cycle is None:
            if self.days <= 1:  # a day range must end after it starts
                if self.per_day() is not None:  # one day, dosed n times
                    return f"{dose} {freq} d{self.start}"
                return f"{dose} d{self.start}"
            return f"{dose} {freq} d{self.start}-d{self.start + self.days - 1}"
        last, count = self._written()
        days = f"d{self.start}" if last == 0 else f"{freq} d{self.start}-d{self.start + last:g}"
        word = "cycle" if count == 1 else "cycles"
        return f"{dose} {days} x{count} {word} of {self.cycle:g}d"


def regimen_text(courses: Sequence[DrugCourse], body: Body | None = None) -> str:
    """A schedule in the regimen language ('' for no drug); doses in their schedules' units for
    ``body`` (see :meth:`DrugCourse.to_text`)."""
    return "; ".join(c.to_text(body) for c in courses)


@dataclass(frozen=True)
class ScheduleOutcome:
    """A candidate schedule with its cohort-level outcome and uncertainty."""

    courses: tuple[DrugCourse, ...]
    regimen: str
    order: tuple[str, ...]
    toxicity: float
    feasible: bool
    mean_log_ratio: float  # mean over patients of log10(final / initial burden)
    ci_low: float
    ci_high: float
    response_rate: float  # share with >= 30 % best diameter shrinkage
    trial: int
    anc_nadir: float | None = None  # mean over patients, 10^9/L (None: no neutropenia model)
    platelet_nadir: float | None = None  # mean over patients, 10^9/L (None: no platelet model)
    #: share of patients with a dose-limiting blood count (None: no blood-count model)
    dlt_share: float | None = None
    #: median relative dose intensity of the drugs the dose rules watch (None: rules off or
    #: no watched drug)
    dose_intensity: float | None = None


@dataclass(frozen=True)
class OptimizationResult:
    """Best schedules (feasible first), the untreated-backdrop reference and the settings."""

    best: tuple[ScheduleOutcome, ...]
    reference: ScheduleOutcome  # the scenario without any drug
    trials: int
    patients: int
    seed: int
    horizon: float
    max_toxicity: float
    #: the dose rules every candidate was given under (None: as written)
    dose_rules: DoseRules | None = None
    max_dlt_share: float = DLT_SHARE
    #: what a dose-limiting blood count is and where the limit comes from
    dlt_source: str = DLT_SOURCE
    #: searched drugs without a labelled interval, dosed once per terminal half-life instead
    half_life_fallback: tuple[str, ...] = ()


def toxicity_of(table: pd.DataFrame) -> float:
    """Sum of the library's toxicity proxies in one run, each integrated and divided by 90 d."""
    t = table["time"].to_numpy()
    names = [*TOXICITY, SENOLYSIS_DAMAGE]
    return float(sum(np.trapezoid(table[tox_id(n)].to_numpy(), t) for n in names) / TOX_DAYS)


@dataclass(frozen=True)
class _Outcomes:
    logs: np.ndarray  # per patient log10(final / initial burden), NaN if failed
    changes: np.ndarray  # per patient best % diameter change
    toxicity: float  # mean over patients of toxicity_of
    anc_nadir: float | None = None  # mean over patients of the ANC nadir (10^9/L)
    platelet_nadir: float | None = None  # mean over patients of the platelet nadir (10^9/L)
    dlt_share: float | None = None  # share of patients with a dose-limiting blood count
    dose_intensity: float | None = None  # median relative dose intensity (rules on)

    def too_toxic(self, max_dlt_share: float) -> bool:
        """True when at least ``max_dlt_share`` of the patients have a dose-limiting count."""
        return self.dlt_share is not None and self.dlt_share >= max_dlt_share


class _Cohort:
    """The small virtual cohort every schedule is evaluated on (drawn once, each patient with
    their own clearances and marrow), and the dose rules candidates are given under."""

    def __init__(
        self,
        scenario: str,
        drugs: tuple[str, ...],
        patients: int,
        seed: int,
        horizon: float,
        engine: str,
        rules: DoseRules | None = None,
    ) -> None:
        self.setup = prepare_scenario(scenario, days=horizon)
        self.drugs = drugs
        self.rules = rules
        self.seed = seed
        self.body = body_for_scenario(scenario)
        self.solver = SolverOptions(engine=engine, t_eval=daily(horizon))
        pop = population_for(self.setup.spec)
        drawn = [
            draw_patient(
                self.setup.spec,
                pop,
                base_params=self.setup.params,
                base_initial=self.setup.initial,
                seed=seed,
                index=i,
            )
            for i in range(patients)
        ]
        # the therapy model carries every searched drug, so its own parameters are known now
        tspec = apply_regimen(self.setup.spec, None, extra_drugs=drugs).spec
        floors = eligibility(rules) if rules is not None else None
        self.patients: list[VirtualPatient] = [
            replace(pt, params=dict(pt.params) | self._own(tspec, pt, floors)) for pt in drawn
        ]

    def _own(
        self, tspec: ModelSpec, pt: VirtualPatient, floors: dict[str, float] | None
    ) -> dict[str, float]:
        """``pt``'s own clearances and marrow (as trial patients; with rules, a baseline at
        which a course may start)."""
        age = float((pt.baseline or {}).get("age", math.nan))  # type: ignore[arg-type]
        return patient_clearance(tspec, self.seed, pt.index) | patient_marrows(
            tspec, age, self.seed, pt.index, floors
        )

    def _run(self, plan: TherapyPlan, pt: VirtualPatient) -> tuple[SimulationResult, float | None]:
        """``pt`` on ``plan``, under the dose rules where set (re-run with what they change),
        and the relative dose intensity they left (None: rules off or nothing watched)."""
        last: list[SimulationResult] = []

        def run(given: tuple[DosingEvent, ...]) -> pd.DataFrame:
            res = simulate(
                plan.spec,
                params=pt.params,
                initial=self.setup.initial,
                regimen=replace(plan.schedule, doses=event_doses(given)),
                t_end=self.setup.days,
                solver=self.solver,
                check_ranges=False,
            )
            last[:] = [res]
            return res.table if res.ok else pd.DataFrame()

        if self.rules is None or not plan.events:
            run(tuple(plan.events))
            return last[0], None
        lab = patient_lab(self.seed, pt.index)
        outcome = apply_dose_rules(plan.events, run, self.rules, horizon=self.setup.days, lab=lab)
        rdi = dose_summary(plan.events, outcome, lab=lab)["dose_intensity"]
        ok = isinstance(rdi, Real) and math.isfinite(rdi)
        return last[0], float(rdi) if ok else None  # type: ignore[arg-type]

    def outcomes(self, courses: Sequence[DrugCourse]) -> _Outcomes:
        """Run every patient on ``courses`` (on the therapy model carrying all searched drugs),
        under the dose rules where set."""
        text = regimen_text(courses, self.body)
        plan = apply_regimen(
            self.setup.spec,
            parse_regimen(text, body=self.body) if text else None,
            extra_drugs=self.drugs,
        )
        logs, changes, tox, nadirs, plts, dlts, rdis = [], [], [], [], [], [], []
        for pt in self.patients:
            res, rdi = self._run(plan, pt)
            if rdi is not None:
                rdis.append(rdi)
            if not res.ok:
                logs.append(math.nan)
                changes.append(math.nan)
                continue
            read = readouts_for(res.table)
            b = read.burden(res.table)
            d = read.diameter(res.table)
            logs.append(math.log10(max(b[-1], 1e-12) / b[0]))
            changes.append(100.0 * (d.min() - d[0]) / d[0])
            tox.append(toxicity_of(res.table))
            if "tox_anc" in res.table:
                nadirs.append(float(count_1e9_per_l(res.table["tox_anc"].min())))
            if PLT_OBS in res.table:
                plts.append(float(count_1e9_per_l(res.table[PLT_OBS].min())))
            dlt = dose_limiting(res.table)
            if dlt is not None:
                dlts.append(dlt)
        return _Outcomes(
            np.array(logs),
            np.array(changes),
            float(np.mean(tox)) if tox else 0.0,
            float(np.mean(nadirs)) if nadirs else None,
            float(np.mean(plts)) if plts else None,
            float(np.mean(dlts)) if dlts else None,
            float(np.median(rdis)) if rdis else None,
        )


def _summarise(
    cohort: _Cohort,
    courses: tuple[DrugCourse, ...],
    *,
    max_toxicity: float,
    max_dlt_share: float,
    seed: int,
    trial: int,
) -> ScheduleOutcome:
    out = cohort.outcomes(courses)
    ok = np.isfinite(out.logs)
    rng = np.random.default_rng(seed)
    vals = out.logs[ok]
    if vals.size:
        boots = rng.choice(vals, size=(2000, vals.size), replace=True).mean(axis=1)
        lo, hi = (float(x) for x in np.percentile(boots, [2.5, 97.5]))
        mean = float(vals.mean())
        rr = float(np.mean(out.changes[ok] <= -30.0))
    else:
        mean = lo = hi = rr = math.nan
    order = tuple(c.drug for c in sorted(courses, key=lambda c: (c.start, c.drug)))
    return ScheduleOutcome(
        courses,
        regimen_text(courses, cohort.body),
        order,
        out.toxicity,
        out.toxicity <= max_toxicity and not out.too_toxic(max_dlt_share),
        mean,
        lo,
        hi,
        rr,
        trial,
        out.anc_nadir,
        out.platelet_nadir,
        out.dlt_share,
        out.dose_intensity,
    )


def optimize_schedule(
    scenario: str,
    drugs: Sequence[str],
    *,
    horizon: float = 180.0,
    budget: int = 40,
    patients: int = 8,
    seed: int = 0,
    max_toxicity: float = 2.0,
    engine: str = "fast",
    keep: int = 3,
    dose_rules: DoseRules | None = DoseRules(),
    max_dlt_share: float = DLT_SHARE,
) -> OptimizationResult:
    """Search dose level, start day and duration of each library drug (order follows the starts).

    ``drugs``: drug ids or aliases of the library (a single name is one drug). ``dose_rules``:
    the protocol rules each patient is given a candidate under (None: every dose as written).
    ``max_dlt_share``: the share of patients with a dose-limiting blood count at which a
    schedule is too toxic (0-1]."""
    import optuna

    check_type(scenario, str, name="scenario", what="a scenario name such as 'default' (str)")
    if isinstance(drugs, str):  # one name, not its letters
        drugs = (drugs,)
    check_type(drugs, (list, tuple), name="drugs", what="a list of drug ids or aliases")
    for i, drug in enumerate(drugs):
        check_type(drug, str, name=f"drugs[{i}]", what="a drug id or alias (str)")
    check_type(horizon, Real, name="horizon", what="a number of days (at least 14)")
    for name, count, least in (("budget", budget, 1), ("patients", patients, 2), ("keep", keep, 1)):
        check_type(count, Integral, name=name, what=f"a whole number >= {least}")
    check_type(seed, int, name="seed", what="a whole number >= 0")
    check_type(max_toxicity, Real, name="max_toxicity", what="a number >= 0")
    check_type(max_dlt_share, Real, name="max_dlt_share", what="a share in (0, 1]")
    check_type(dose_rules, (DoseRules, type(None)), name="dose_rules", what="DoseRules or None")
    check_type(engine, str, name="engine", what="an engine name such as 'fast' (str)")
    check_cohort_scenario(scenario)  # the schedules are tried on virtual human patients
    if not drugs:
        raise ValidationError("name at least one drug of the library (senotwin drugs list)")
    ids = tuple(get_drug(d).id for d in drugs)  # unknown names get the closest library names
    if len(set(ids)) != len(ids):
        raise ValidationError(f"each drug may appear once, got {list(drugs)}")
    if not (math.isfinite(horizon) and horizon >= 14):
        raise ValidationError(f"horizon (--horizon) must be at least 14 days, got {horizon}")
    check_days(horizon, name="horizon")
    if not 1 <= budget <= MAX_BUDGET:
        raise ValidationError(
            f"budget (--budget, schedules tried) must be from 1 to {MAX_BUDGET:,}, got {budget}"
        )
    if not 2 <= patients <= MAX_EVAL_PATIENTS:
        raise ValidationError(
            "patients (--patients, virtual patients per evaluation) must be from 2 to "
            f"{MAX_EVAL_PATIENTS:,}, got {patients}"
        )
    if not (math.isfinite(max_toxicity) and max_toxicity >= 0):
        raise ValidationError(
            "max_toxicity (--max-toxicity) must be a finite number >= 0 (0 = no toxicity "
            f"allowed), got {max_toxicity!r}"
        )
    if not (math.isfinite(max_dlt_share) and 0 < max_dlt_share <= 1):
        raise ValidationError(
            "max_dlt_share (--max-dlt-share: the share of patients with a dose-limiting blood "
            f"count at which a schedule is too toxic) must lie in (0, 1], got {max_dlt_share!r}"
        )
    check_seed(seed)
    get_engine(engine)
    cohort = _Cohort(scenario, ids, patients, seed, horizon, engine, dose_rules)
    choices = {d: schedule_choices(get_drug(d), cohort.body) for d in ids}
    fallback = tuple(d for d in ids if choices[d][0].fallback)
    last_day = int(horizon)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed))
    seen: dict[int, tuple[DrugCourse, ...]] = {}

    def objective(trial: optuna.Trial) -> float:
        courses = []
        for d in ids:
            options = choices[d]
            k = (
                int(trial.suggest_categorical(f"{d}_schedule", list(range(len(options)))))
                if len(options) > 1
                else 0
            )
            opt = options[k]
            # one level parameter where every schedule has the same bounds (a flat range)
            shared = all((o.low, o.high) == (opt.low, opt.high) for o in options)
            name = f"{d}_level" if shared else f"{d}_level_{k}"
            level = opt.low if opt.low == opt.high else trial.suggest_float(name, opt.low, opt.high)
            start = trial.suggest_int(f"{d}_start", 0, last_day - MIN_DAYS)
            days = trial.suggest_int(f"{d}_days", MIN_DAYS, last_day)
            courses.append(
                DrugCourse(
                    d,
                    level,
                    start,
                    min(days, last_day - start),
                    opt.every,
                    opt.on,
                    opt.cycle,
                    opt.label,
                    opt.cap(level),
                    opt.route,
                ).within_cap()  # no more fractions than its cap, nor more than the label's total
            )
        courses_t = tuple(courses)
        seen[trial.number] = courses_t
        out = cohort.outcomes(courses_t)
        value = float(np.nanmean(out.logs)) if np.isfinite(out.logs).any() else 10.0
        excess = out.toxicity - max_toxicity
        penalty = 10.0 + 10.0 * excess if excess > 0 else 0.0
        return value + penalty + (10.0 if out.too_toxic(max_dlt_share) else 0.0)

    study.optimize(objective, n_trials=budget)
    ranked = sorted(
        (t for t in study.trials if t.value is not None), key=lambda t: float(t.value or 0.0)
    )

    def summary(courses: tuple[DrugCourse, ...], trial: int) -> ScheduleOutcome:
        return _summarise(
            cohort,
            courses,
            max_toxicity=max_toxicity,
            max_dlt_share=max_dlt_share,
            seed=seed,
            trial=trial,
        )

    best = tuple(summary(seen[t.number], t.number) for t in ranked[:keep])
    reference = summary((), -1)
    return OptimizationResult(
        best,
        reference,
        budget,
        patients,
        seed,
        float(horizon),
        float(max_toxicity),
        dose_rules,
        float(max_dlt_share),
        half_life_fallback=fallback,
    )
