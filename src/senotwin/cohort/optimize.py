"""Schedule search: dose, start day, duration and order of drugs under a toxicity constraint.

Each drug acts through a named model entity (a *lever*: the fraction of the entity blocked while
the drug is on), switched on at its start day and off after its duration, on top of the
scenario (for ``default``: one chemotherapy course at day 0, so the search explores the
"one-two punch" of the review's section 5). The objective is the mean over a small virtual cohort
(paired patients from :mod:`senotwin.cohort.population`) of log10(final / initial tumour burden);
lower is better. Search: optuna TPE (seeded). Toxicity is a stated surrogate (assumed):
sum over drugs of weight x level x days / 90, plus level_i x level_j x overlap days / 90 for
every pair given together; schedules above ``max_toxicity`` are infeasible.
The best feasible schedules are re-reported with a bootstrap 95 % CI over patients and the
share of patients with >= 30 % diameter shrinkage.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from senotwin._errors import ValidationError
from senotwin.cohort.population import VirtualPatient, draw_patient, tme_population
from senotwin.model.compile import block_id
from senotwin.model.schedule import Schedule, Step
from senotwin.sim import SolverOptions, daily, prepare_scenario, simulate


@dataclass(frozen=True)
class Lever:
    """How a drug acts in the search: blocks ``entity`` by up to ``max_level`` while given."""

    name: str
    entity: str
    max_level: float
    tox_weight: float
    rationale: str
    kind: Literal["block"] = "block"


LEVERS: Mapping[str, Lever] = {
    lv.name: lv
    for lv in (
        Lever(
            "ici", "PDCD1", 0.95, 1.0, "anti-PD-1/PD-L1 blocks PD-1 engagement (review 4, Table 2)"
        ),
        Lever(
            "senolytic",
            "BCL2_FAMILY",
            0.95,
            1.5,
            "BCL-2-family inhibitors (navitoclax/ABT-263) open senescent-cell apoptosis "
            "(review 3.2.1); platelet toxicity: higher weight (assumed)",
        ),
        Lever("senomorphic", "NFKB", 0.9, 0.7, "NF-kB inhibition represses the SASP (Table 1)"),
        Lever("anti_il6", "IL6", 0.95, 0.7, "anti-IL-6/IL-6R antibodies (review 4)"),
        Lever("ccr2i", "CCR2", 0.95, 0.7, "CCR2 antagonists block myeloid recruitment (review 4)"),
        Lever("cxcr2i", "CXCR2", 0.95, 0.7, "CXCR2 antagonists block MDSC/TAN recruitment"),
    )
}


@dataclass(frozen=True)
class DrugCourse:
    """One drug in a schedule: level (fraction blocked), start day and duration in days."""

    drug: str
    level: float
    start: float
    days: float


@dataclass(frozen=True)
class ScheduleOutcome:
    """A candidate schedule with its cohort-level outcome and uncertainty."""

    administrations: tuple[DrugCourse, ...]
    order: tuple[str, ...]
    toxicity: float
    feasible: bool
    mean_log_ratio: float  # mean over patients of log10(final / initial burden)
    ci_low: float
    ci_high: float
    response_rate: float  # share with >= 30 % best diameter shrinkage
    trial: int


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


def toxicity(admins: Sequence[DrugCourse]) -> float:
    """The stated toxicity surrogate (see the module docstring)."""
    tox = sum(LEVERS[a.drug].tox_weight * a.level * a.days / 90.0 for a in admins)
    for i, a in enumerate(admins):
        for b in admins[i + 1 :]:
            overlap = max(0.0, min(a.start + a.days, b.start + b.days) - max(a.start, b.start))
            tox += a.level * b.level * overlap / 90.0
    return float(tox)


def schedule_of(admins: Sequence[DrugCourse]) -> Schedule:
    """Steps that switch each drug's block on at its start and off after its duration."""
    steps = []
    for a in admins:
        bid = block_id(LEVERS[a.drug].entity)
        steps += [Step(a.start, bid, a.level), Step(a.start + a.days, bid, 0.0)]
    return Schedule(steps=tuple(steps), name="+".join(a.drug for a in admins))


class _Cohort:
    """The small virtual cohort every schedule is evaluated on (drawn once)."""

    def __init__(
        self, scenario: str, patients: int, seed: int, horizon: float, engine: str
    ) -> None:
        self.setup = prepare_scenario(scenario, days=horizon)
        self.solver = SolverOptions(engine=engine, t_eval=daily(horizon))
        pop = tme_population()
        self.patients: list[VirtualPatient] = [
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

    def outcomes(self, schedule: Schedule) -> tuple[np.ndarray, np.ndarray]:
        """Per patient: log10(final/initial burden) and best % diameter change (NaN if failed)."""
        logs, changes = [], []
        for pt in self.patients:
            res = simulate(
                self.setup.spec,
                params=pt.params,
                initial=self.setup.initial,
                regimen=schedule,
                t_end=self.setup.days,
                solver=self.solver,
                check_ranges=False,
            )
            if not res.ok:
                logs.append(math.nan)
                changes.append(math.nan)
                continue
            b = res.table["tumour_burden"].to_numpy()
            d = res.table["tumour_diameter_mm"].to_numpy()
            logs.append(math.log10(max(b[-1], 1e-12) / b[0]))
            changes.append(100.0 * (d.min() - d[0]) / d[0])
        return np.array(logs), np.array(changes)


def _summarise(
    cohort: _Cohort,
    admins: tuple[DrugCourse, ...],
    *,
    max_toxicity: float,
    seed: int,
    trial: int,
) -> ScheduleOutcome:
    logs, changes = cohort.outcomes(schedule_of(admins))
    ok = np.isfinite(logs)
    rng = np.random.default_rng(seed)
    vals = logs[ok]
    if vals.size:
        boots = rng.choice(vals, size=(2000, vals.size), replace=True).mean(axis=1)
        lo, hi = (float(x) for x in np.percentile(boots, [2.5, 97.5]))
        mean = float(vals.mean())
        rr = float(np.mean(changes[ok] <= -30.0))
    else:
        mean = lo = hi = rr = math.nan
    tox = toxicity(admins)
    order = tuple(a.drug for a in sorted(admins, key=lambda a: (a.start, a.drug)))
    return ScheduleOutcome(admins, order, tox, tox <= max_toxicity, mean, lo, hi, rr, trial)


def optimize_schedule(
    scenario: str,
    drugs: Sequence[str],
    *,
    horizon: float = 180.0,
    budget: int = 40,
    patients: int = 8,
    seed: int = 0,
    max_toxicity: float = 2.0,
    engine: str = "reference",
    keep: int = 3,
) -> OptimizationResult:
    """Search dose level, start day and duration of each drug (order follows from the starts)."""
    import optuna

    unknown = [d for d in drugs if d not in LEVERS]
    if unknown or not drugs:
        raise ValidationError(
            f"unknown drug lever(s) {unknown}; choose from {', '.join(sorted(LEVERS))}"
        )
    if len(set(drugs)) != len(drugs):
        raise ValidationError(f"each drug may appear once, got {list(drugs)}")
    if not (math.isfinite(horizon) and horizon >= 14):
        raise ValidationError(f"horizon must be at least 14 days, got {horizon}")
    if budget < 1 or patients < 2:
        raise ValidationError("budget must be >= 1 and patients >= 2")
    cohort = _Cohort(scenario, patients, seed, horizon, engine)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed))
    seen: dict[int, tuple[DrugCourse, ...]] = {}

    def objective(trial: optuna.Trial) -> float:
        admins = []
        for d in drugs:
            lv = LEVERS[d]
            level = trial.suggest_float(f"{d}_level", 0.1, lv.max_level)
            start = trial.suggest_float(f"{d}_start", 0.0, horizon - 7.0)
            days = trial.suggest_float(f"{d}_days", 7.0, horizon)
            admins.append(DrugCourse(d, level, start, min(days, horizon - start)))
        admins_t = tuple(admins)
        seen[trial.number] = admins_t
        logs, _ = cohort.outcomes(schedule_of(admins_t))
        value = float(np.nanmean(logs)) if np.isfinite(logs).any() else 10.0
        excess = toxicity(admins_t) - max_toxicity
        return value + (10.0 + 10.0 * excess if excess > 0 else 0.0)

    study.optimize(objective, n_trials=budget)
    ranked = sorted(
        (t for t in study.trials if t.value is not None), key=lambda t: float(t.value or 0.0)
    )
    best = tuple(
        _summarise(cohort, seen[t.number], max_toxicity=max_toxicity, seed=seed, trial=t.number)
        for t in ranked[:keep]
    )
    reference = _summarise(cohort, (), max_toxicity=max_toxicity, seed=seed, trial=-1)
    return OptimizationResult(
        best, reference, budget, patients, seed, float(horizon), float(max_toxicity)
    )
