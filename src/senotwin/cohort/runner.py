"""Virtual-cohort runner on Dask distributed: paired arms, Parquet shards, resumable.

Patients are cut into chunks (one Dask task each). Every patient draws its parameters from its own
random stream (``SeedSequence(seed, spawn_key=(index,))``), so results are identical for any
number of workers or chunk layout. Every arm sees the same virtual patients (paired arms). Each
finished chunk is written as a Parquet shard (temporary file, then rename) and the manifest is
rewritten atomically, so after a ``kill -9`` a resumed run skips finished chunks and neither loses
nor duplicates a patient. A failed integration is a row with its status and message, never an
abort. The fast engine keeps one loaded model per worker process (cached by spec digest), so
the model loads once per worker, not per task.

The runner stores what a *reducer* extracts from each simulation (for example the endpoints of
:mod:`senotwin.analysis.endpoints`), and optionally per-patient time courses.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import os
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from numbers import Real
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast, runtime_checkable

import numpy as np
import pandas as pd

import senotwin
from senotwin._errors import (
    ArgumentTypeError,
    SenotwinError,
    SenotwinWarning,
    ValidationError,
    check_seed,
    check_type,
)
from senotwin._io import atomic_write_bytes
from senotwin._suggest import closest, did_you_mean
from senotwin.cohort.baseline import BaselineDisease, baseline_missing
from senotwin.cohort.population import (
    PopulationSpec,
    VirtualPatient,
    check_population,
    draw_patients,
    with_prior_spread,
)
from senotwin.cohort.store import (
    COLUMNS,
    check_resumable,
    load_rows,
    prepare_output,
    shard_name,
    write_manifest,
)
from senotwin.model.compile import FlatModel, InitialRules, flatten, initial_rules
from senotwin.model.schedule import Schedule, Step
from senotwin.model.spec import ModelSpec
from senotwin.sim.engines import EngineOutput, get_engine
from senotwin.sim.inputs import check_schedule, resolve
from senotwin.sim.options import SolverOptions
from senotwin.sim.result import SimulationResult
from senotwin.sim.scenario import prepare_scenario
from senotwin.sim.simulate import check_days, late_actions, output_problem, simulate
from senotwin.therapy.dose_rules import (
    DOSE_COLUMNS,
    DoseRules,
    RuleOutcome,
    apply_dose_rules,
    dose_summary,
    eligibility,
    patient_lab,
)
from senotwin.therapy.language import DosingEvent

if TYPE_CHECKING:
    from senotwin.sim.fast import FastPlan


class DifferentCohort(ValidationError):
    """A resume found another cohort's run in the folder (other options, reader or model)."""


FORMAT = "senotwin-cohort/1"
# LSODA (Fortran COMMON blocks) and a shared RoadRunner instance: one run at a time per process
_NOT_THREAD_SAFE = frozenset({"fast", "roadrunner"})
_SIM_LOCK = threading.Lock()


@runtime_checkable
class Reducer(Protocol):
    """Turns one simulation into a flat record of numbers/strings (e.g. clinical endpoints).

    A reducer that also has ``from_columns(columns)`` — the same record from a mapping of column
    name ('time', species, observables) to 1-D arrays — lets the fast engine's prepared path run
    without building a table per patient-arm. One with ``for_model(spec)`` is bound to the
    scenario's model before the run (rules that take the model's numbers, e.g. its lethal
    burden), and the bound reducer is the one recorded.
    """

    def __call__(self, result: SimulationResult) -> dict[str, Any]: ...

    def describe(self) -> str: ...

    def empty(self) -> dict[str, Any]: ...


#: what a CohortArm's regimen may be, for a wrong type's message
ARM_REGIMEN = (
    "a Schedule (regimen-language text goes in language=, as arm_from_text('NAME=TEXT') does)"
)
NAME_VALUES = "a mapping of names to numbers, or a tuple of (name, number) pairs"


def _pairs(value: object, *, name: str) -> tuple[tuple[str, float], ...]:
    """An arm's blocks or params as (name, number) pairs; a mapping gives its items sorted, as
    the arms of ``--arm`` text have them."""
    items = (
        sorted(value.items(), key=lambda kv: str(kv[0])) if isinstance(value, Mapping) else value
    )
    check_type(items, (tuple, list), name=name, what=NAME_VALUES)
    pairs: list[tuple[str, float]] = []
    for i, pair in enumerate(cast("Sequence[Any]", items)):
        if not (
            isinstance(pair, tuple | list)
            and len(pair) == 2
            and isinstance(pair[0], str)
            and isinstance(pair[1], Real)
            and not isinstance(pair[1], bool)
        ):
            raise ArgumentTypeError(
                f"{name}[{i}] must be a (name, number) pair, got {type(pair).__name__} {pair!r}"
            )
        pairs.append((pair[0], cast(float, pair[1])))
    return tuple(pairs)


@dataclass(frozen=True)
class CohortArm:
    """One treatment arm: a schedule plus constant blocks and parameter overrides.

    ``blocks`` and ``params`` are (name, value) pairs; a mapping is taken too (kept as its items,
    sorted by name). Regimen-language text goes in ``language``, not ``regimen``.
    """

    name: str
    regimen: Schedule = field(default_factory=Schedule)
    blocks: tuple[tuple[str, float], ...] = ()
    params: tuple[tuple[str, float], ...] = ()
    text: str = ""
    language: str = ""  # regimen-language text (drugs with PK/PD), compiled in make_job

    def __post_init__(self) -> None:
        check_type(self.name, str, name="name", what="an arm name such as 'control' (str)")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.+\-]*", self.name):
            raise ValidationError(
                f"arm name {self.name!r} must start with a letter or digit and use only "
                "letters, digits, '_', '.', '+', '-'"
            )
        # checked here: a text regimen or a dict of params failed mid-run, deep in the runner
        check_type(self.regimen, Schedule, name="regimen", what=ARM_REGIMEN)
        for name in ("blocks", "params"):
            object.__setattr__(self, name, _pairs(getattr(self, name), name=name))

    def describe(self) -> dict[str, object]:
        # a regimen-language arm's doses are compiled from ``language`` in make_job: its own
        # schedule is empty, and its repr read as an empty regimen in the manifest (audit s42)
        own = not self.language or bool(self.regimen.times())
        return {
            "name": self.name,
            "text": self.text,
            "language": self.language,
            "regimen": repr(self.regimen) if own else None,
            "blocks": dict(self.blocks),
            "params": dict(self.params),
        }


#: what a cohort's population may be, for a wrong type's message
POPULATION = "a PopulationSpec (population_for(prepare_scenario(name).spec))"


@dataclass(frozen=True)
class CohortConfig:
    """What to simulate: scenario, population, arms, seed, horizon, engine and tolerances."""

    scenario: str
    n: int
    arms: tuple[CohortArm, ...]
    population: PopulationSpec
    seed: int = 0
    t_end: float | None = None  # default: the scenario's duration
    step_days: float = 1.0  # output grid
    engine: str = "fast"
    rtol: float = 1e-6
    atol: float = 1e-9
    chunk_size: int = 0  # 0 = automatic
    keep_timecourses: tuple[str, ...] = ()  # columns kept per patient (empty = none)
    allow_off_label: bool = False  # run regimen doses outside the labelled range (recorded)
    #: parameter sets (e.g. a posterior ensemble); each patient draws one from its own stream.
    #: An entry ``NAME.spread`` sets the spread (sigma of ln) of NAME's lognormal prior for the
    #: patients of that member (a posterior draw of a between-patient spread)
    ensemble: tuple[tuple[tuple[str, float], ...], ...] = ()
    ensemble_source: str = ""  # where the sets came from (a file name), for the manifest
    #: each patient draws their own clearance of every drug with a cited spread
    #: (therapy.pkpd.patient_clearance); else every patient has the typical PK
    pk_spread: bool = False
    #: each patient draws their own marrow for every blood-count chain the model carries
    #: (therapy.toxicity.patient_marrows, with the patient's age where the baseline has one)
    blood_spread: bool = False
    #: delay, withhold and reduce the doses of drugs that lower a blood count, per patient-arm,
    #: on its own laboratory values (therapy.dose_rules); regimen-language arms only
    dose_rules: DoseRules | None = None

    def __post_init__(self) -> None:
        check_type(
            self.scenario, str, name="scenario", what="a scenario name such as 'default' (str)"
        )
        check_type(self.n, int, name="n", what="a whole number >= 1 (patients)")
        check_type(self.seed, int, name="seed", what="a whole number >= 0")
        check_type(self.arms, (tuple, list), name="arms", what="a tuple of CohortArm")
        for i, arm in enumerate(self.arms):
            check_type(
                arm, CohortArm, name=f"arms[{i}]", what="a CohortArm (or arm_from_text(text))"
            )
        check_type(self.population, PopulationSpec, name="population", what=POPULATION)
        check_type(self.t_end, (Real, type(None)), name="t_end", what="a number of days or None")
        for name, number in (
            ("step_days", self.step_days),
            ("rtol", self.rtol),
            ("atol", self.atol),
        ):
            check_type(number, Real, name=name, what="a number > 0")
        check_type(self.engine, str, name="engine", what="an engine name such as 'fast' (str)")
        check_type(
            self.chunk_size, int, name="chunk_size", what="a whole number >= 0 (0 = automatic)"
        )
        check_type(self.keep_timecourses, (tuple, list), name="keep_timecourses", what=COLUMNS)
        check_size_seed(self.n, self.seed)
        check_ensemble(self.ensemble)
        check_type(
            self.dose_rules, (DoseRules, type(None)), name="dose_rules", what="DoseRules or None"
        )
        if not self.arms:
            raise ValidationError("a cohort needs at least one arm")
        names = [a.name for a in self.arms]
        if len(set(names)) != len(names):
            twice = sorted({n for n in names if names.count(n) > 1})
            raise ValidationError(  # "got ['a', 'a']" named neither the option nor the arm (ux53)
                f"arm names (--arm NAME=...) must be unique: {', '.join(map(repr, twice))} "
                "given more than once"
            )
        if self.chunk_size < 0:
            raise ValidationError(
                f"chunk_size (--chunk-size, patients per task) must be >= 0 (0 = automatic), "
                f"got {self.chunk_size!r}"
            )
        if not (math.isfinite(self.step_days) and self.step_days > 0):
            raise ValidationError("step_days must be a positive number")
        if self.t_end is not None:
            check_days(self.t_end, name="days (t_end)")
        get_engine(self.engine)  # an unknown engine fails here, before any patient is run
        for name, tol in (("rtol", self.rtol), ("atol", self.atol)):
            if not (math.isfinite(tol) and 0 < tol < 1):
                raise ValidationError(f"{name} must be a number in (0, 1), got {tol!r}")

    def describe(self) -> dict[str, object]:
        """JSON-friendly description; its hash identifies the cohort for --resume."""
        return {
            "scenario": self.scenario,
            "n": self.n,
            "arms": [a.describe() for a in self.arms],
            **({"allow_off_label": True} if self.allow_off_label else {}),
            "population": self.population.describe(),
            "seed": self.seed,
            "t_end": self.t_end,
            "step_days": self.step_days,
            "engine": self.engine,
            "rtol": self.rtol,
            "atol": self.atol,
            "keep_timecourses": list(self.keep_timecourses),
            **({"ensemble": self._ensemble_record()} if self.ensemble else {}),
            **({"pk_spread": True} if self.pk_spread else {}),
            **({"blood_spread": True} if self.blood_spread else {}),
            **({"dose_rules": self.dose_rules.describe()} if self.dose_rules else {}),
        }

    def _ensemble_record(self) -> dict[str, object]:
        values = json.dumps([list(m) for m in self.ensemble])
        return {
            "source": self.ensemble_source,
            "members": len(self.ensemble),
            "parameters": [k for k, _ in self.ensemble[0]],
            "digest": hashlib.sha256(values.encode()).hexdigest()[:16],
        }


#: spawn-key tag of the stream that picks a patient's ensemble member (apart from its traits)
_MEMBER_STREAM = 0x656E73


#: the largest cohort a run takes: 100,000 patients per arm is about 5 hours of CPU per arm on
#: the fast engine, and far past any trial; a mistyped size (1e8) filled memory for minutes and
#: wrote nothing
MAX_PATIENTS = 100_000


def check_size_seed(n: object, seed: object) -> None:
    """A cohort's size (1 <= n <= MAX_PATIENTS) and seed (>= 0), checked before any patient is
    drawn."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValidationError(f"cohort size n (--n) must be a positive integer, got {n!r}")
    if n > MAX_PATIENTS:
        raise ValidationError(
            f"cohort size n (--n) = {n:,} is too large: at most {MAX_PATIENTS:,} virtual patients "
            "per run (run several seeds for more)"
        )
    check_seed(seed)


def check_workers(workers: object) -> None:
    """The embedded cluster's worker count (>= 1), checked before anything starts."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValidationError(f"--workers must be a positive integer, got {workers!r}")


def check_ensemble(ensemble: Sequence[Sequence[tuple[str, float]]]) -> None:
    """Every member sets the same parameters, each to a finite number."""
    if not ensemble:
        return
    names = [k for k, _ in ensemble[0]]
    if not names:
        raise ValidationError("ensemble: a member sets no parameter")
    for i, member in enumerate(ensemble):
        if [k for k, _ in member] != names:
            raise ValidationError(
                f"ensemble member {i} sets {[k for k, _ in member]}; every member must set {names}"
            )
        for k, v in member:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValidationError(f"ensemble member {i}: {k} = {v!r}; allowed: a finite number")


#: suffix of an ensemble entry that sets a prior's spread instead of a parameter value
SPREAD = ".spread"


def member_population(pop: PopulationSpec, member: Mapping[str, float]) -> PopulationSpec:
    """``pop`` with the prior spreads an ensemble member sets (entries ``NAME.spread``)."""
    for key, value in member.items():
        if key.endswith(SPREAD):
            name = key[: -len(SPREAD)]
            pop = with_prior_spread(pop, name, value, f"ensemble member: {key} = {value:.4g}")
    return pop


def ensemble_member(config: CohortConfig, index: int) -> int:
    """The ensemble member (row) cohort patient ``index`` runs with, or -1 without an ensemble.

    Drawn uniformly from a stream of its own, keyed by the patient's pool index, so the
    patient's traits (and its trial baseline) are the same with or without an ensemble, and
    the draw is the same on any number of workers or chunk layout.
    """
    if not config.ensemble:
        return -1
    key = (config.population.pool_index(index), _MEMBER_STREAM)
    rng = np.random.default_rng(np.random.SeedSequence(config.seed, spawn_key=key))
    return int(rng.integers(len(config.ensemble)))


@dataclass(frozen=True)
class _Job:
    """Everything a worker needs (sent once per worker, then referenced by every chunk)."""

    spec: ModelSpec
    params: Mapping[str, float]
    initial: Mapping[str, float]
    config: CohortConfig
    t_end: float
    solver: SolverOptions
    reducer: Reducer
    #: what compiling the arms' regimens noted ('arm NAME: off-label schedule: ...'), recorded
    #: in the manifest and warned about (a note never stops a run)
    notes: tuple[str, ...] = ()
    #: each arm's regimen-language administrations as planned (empty for other arms): the
    #: first doses of its compiled schedule, which dose rules change per patient
    events: tuple[tuple[DosingEvent, ...], ...] = ()


@dataclass(frozen=True)
class CohortRun:
    """Outcome of run_cohort: where it is, counts, and the manifest. ``n_failed`` patient-arms
    have no result (status not 'success'); ``n_implausible`` of them are patients with no
    plausible draw (status 'implausible'), the rest failed to integrate or raised."""

    out: Path
    n_patients: int
    n_rows: int
    n_failed: int
    chunks_run: int
    chunks_reused: int
    seconds: float
    manifest: Mapping[str, Any]
    n_implausible: int = 0

    def failures(self) -> str:
        """The failed patient-arms in words, implausible draws apart from integration failures."""
        return (
            f"{self.n_failed} failed patient-arms ({self.n_implausible} without a plausible "
            f"patient draw, {self.n_failed - self.n_implausible} failed to integrate)"
        )


# ---- worker side -------------------------------------------------------------------------------
def _simulate_arm(job: _Job, patient: VirtualPatient, arm: CohortArm) -> SimulationResult:
    kwargs: dict[str, Any] = {
        "params": dict(patient.params) | dict(arm.params),
        "initial": dict(job.initial) | dict(patient.initial),
        "regimen": arm.regimen,
        "blocks": dict(arm.blocks),
        "t_end": job.t_end,
        "solver": job.solver,
        "check_ranges": False,
    }
    with warnings.catch_warnings():
        # actions after the horizon were reported once, by make_job, not once per patient
        warnings.simplefilter("ignore", SenotwinWarning)
        if job.solver.engine in _NOT_THREAD_SAFE:
            with _SIM_LOCK:
                return simulate(job.spec, **kwargs)
        return simulate(job.spec, **kwargs)


def _simulate_ruled(
    job: _Job, patient: VirtualPatient, arm: CohortArm, planned: tuple[DosingEvent, ...]
) -> tuple[SimulationResult, RuleOutcome]:
    """One patient-arm under the job's dose rules: re-run with the doses they hold or reduce
    (the arm's compiled schedule opens with ``planned``'s doses; the rest are kept), so the
    result is the last run's, carrying every change; a trial reducer's progression ends the
    decisions (later doses stay as planned: treatment would have stopped). Returns the result
    and the rules' outcome."""
    from senotwin.therapy.pkpd import event_doses

    assert job.config.dose_rules is not None
    own = arm.regimen.doses[len(event_doses(planned)) :]
    last: list[SimulationResult] = []

    def run(given: tuple[DosingEvent, ...]) -> pd.DataFrame:
        regimen = replace(arm.regimen, doses=(*event_doses(given), *own))
        last[:] = [_simulate_arm(job, patient, replace(arm, regimen=regimen))]
        return last[0].table if last[0].ok else pd.DataFrame()

    def progression(table: pd.DataFrame) -> float:
        """The run's progression day, after which a trial stops treating (inf if it failed)."""
        return _progression_day(_reduce(job.reducer, last[0], patient)) if last[0].ok else math.inf

    lab = patient_lab(job.config.seed, patient.index)
    outcome = apply_dose_rules(
        planned,
        run,
        job.config.dose_rules,
        horizon=job.t_end,
        lab=lab,
        until=progression if getattr(job.reducer, "needs_patient", False) else None,
    )
    return last[0], outcome


def _progression_day(record: Mapping[str, Any]) -> float:
    """A reducer record's PFS day (trial reducers), else no bound."""
    pfs = record.get("pfs_days", math.nan)
    return float(pfs) if isinstance(pfs, Real) and math.isfinite(pfs) else math.inf


def _draw_range(job: _Job, start: int, stop: int) -> list[VirtualPatient]:
    """Patients [start, stop) drawn together (:func:`draw_patients`); if that fails, one at a
    time, so a patient whose draw fails is a row saying why and the others are unaffected."""
    try:
        return _draw_many(job, range(start, stop))
    except _ERRORS:
        out = []
        for index in range(start, stop):
            try:
                out.append(_draw_many(job, [index])[0])
            except _ERRORS as exc:
                why = f"error: {exc}"
                out.append(VirtualPatient(index, dict(job.params), 0, False, math.nan, why))
        return out


def _draw_many(job: _Job, indices: Sequence[int]) -> list[VirtualPatient]:
    """The patients ``indices`` of the population (under the lock on a non-thread-safe engine)."""
    cfg = job.config
    groups: dict[int, list[int]] = {}
    for i in indices:  # patients of one ensemble member share a base parameter set
        groups.setdefault(ensemble_member(cfg, i), []).append(i)

    def draw() -> list[VirtualPatient]:
        drawn: dict[int, VirtualPatient] = {}
        for member, group in groups.items():
            sets = dict(cfg.ensemble[member]) if member >= 0 else {}
            base = dict(job.params) | {k: v for k, v in sets.items() if not k.endswith(SPREAD)}
            for vp in draw_patients(
                job.spec,
                member_population(cfg.population, sets),
                base_params=base,
                base_initial=job.initial,
                seed=cfg.seed,
                indices=group,
                engine=cfg.engine,
            ):
                drawn[vp.index] = vp
        if cfg.pk_spread or cfg.blood_spread:  # own clearances and marrow, own streams
            drawn = {i: _own_pharmacology(job, vp) for i, vp in drawn.items()}
        return [drawn[i] for i in indices]

    if cfg.engine in _NOT_THREAD_SAFE:
        with _SIM_LOCK:
            return draw()
    return draw()


def _own_pharmacology(job: _Job, vp: VirtualPatient) -> VirtualPatient:
    """``vp`` with their own clearances (``pk_spread``) and blood-count marrow
    (``blood_spread``, the slope's age factor read with the baseline's age; with dose rules,
    baseline counts at which a course may start, as trials enrol)."""
    from senotwin.therapy.pkpd import patient_clearance
    from senotwin.therapy.toxicity import patient_marrows

    cfg = job.config
    own: dict[str, float] = {}
    if cfg.pk_spread:
        own |= patient_clearance(job.spec, cfg.seed, vp.index)
    if cfg.blood_spread:
        age = float((vp.baseline or {}).get("age", math.nan))  # type: ignore[arg-type]
        # with dose rules, a patient whose first course could not start is not enrolled
        floors = eligibility(cfg.dose_rules) if cfg.dose_rules else None
        own |= patient_marrows(job.spec, age, cfg.seed, vp.index, floors)
    return replace(vp, params=dict(vp.params) | own)


_ERRORS = (SenotwinError, ValueError, ArithmeticError, RuntimeError)
#: trial-baseline fields written to every row as ``b_<field>`` (lists such as lesions are not)
_BASELINE_COLUMNS = (
    "sld_mm",
    "n_target",
    "n_nontarget",
    "pdl1",
    "pdl1_positive",
    "pdl1_high",
    "pdl1_stratum",
    "pdl1_ic_positive",
    "ecog",
    "age",
    "cd8_infiltration",
    "invisible",
)


def _baseline_columns(patient: VirtualPatient) -> dict[str, float]:
    if patient.baseline is None:
        return {}
    return {
        f"b_{k}": float(patient.baseline[k])  # type: ignore[arg-type]
        for k in _BASELINE_COLUMNS
        if k in patient.baseline
    }


def _reduce(reducer: Reducer, res: SimulationResult, patient: VirtualPatient) -> dict[str, Any]:
    """The reducer's record; trial reducers (``needs_patient``) also get the patient's baseline
    and untreated doubling time (``doubling_days``: lesion-level growth spread scales with it)."""
    if getattr(reducer, "needs_patient", False):
        base = dict(patient.baseline or {}) | {"doubling_days": patient.doubling_days}
        return reducer(res, base)  # type: ignore[call-arg]
    return reducer(res)


@dataclass(frozen=True)
class _ArmPlan:
    """One arm prepared once per worker for the fast engine: its integration plan, engine
    vectors with the arm's settings applied, and where each patient parameter goes."""

    plan: FastPlan
    p: np.ndarray  # model values, then the arm's parameters and blocks
    y0: np.ndarray
    slots: Mapping[str, int]  # spec parameter -> slot of p
    species: Mapping[str, int]  # species -> slot of y0 (trial patients set their lesion)
    fixed: frozenset[str]  # parameters the arm sets: they win over the patient's values
    columns: tuple[str, ...]  # engine output columns: species, then observables
    column_index: Mapping[str, int]  # column -> its position in the engine output
    names: frozenset[str]  # 'time' and the columns
    rules: InitialRules  # initial amounts that follow the parameters (a patient's own)
    explicit: frozenset[str]  # species the job gives an initial amount: rules leave them


_PLANS: dict[int, tuple[_Job, tuple[_ArmPlan, ...]]] = {}  # by id(job), the job kept alive


def _arm_plans(job: _Job) -> tuple[_ArmPlan, ...] | None:
    """The arms of ``job`` prepared for the fast path (once per worker process and job), or
    None when the path does not apply (another engine, or a reducer without from_columns)."""
    if job.solver.engine != "fast" or not callable(getattr(job.reducer, "from_columns", None)):
        return None
    hit = _PLANS.get(id(job))
    if hit is not None and hit[0] is job:
        return hit[1]
    from senotwin.sim.fast import prepare_arm  # numba: only where the fast engine runs

    flat = flatten(job.spec)
    grid = job.solver.grid(job.t_end)
    slots = {pid: i for i, pid in enumerate(flat.parameters) if pid in job.spec.parameter_ids}
    columns = (*flat.species, *(oid for oid, _ in flat.observables))
    plans = []
    for arm in job.config.arms:
        fast_plan, p, y0 = prepare_arm(
            flat,
            arm.regimen,
            grid,
            job.t_end,
            params=dict(arm.params),
            initial=dict(job.initial),
            blocks=dict(arm.blocks),
            rtol=job.solver.rtol,
            atol=job.solver.atol,
        )
        fixed = frozenset(k for k, _ in arm.params)
        species = {sid: i for i, sid in enumerate(flat.species)}
        index = {c: i for i, c in enumerate(columns)}
        names = frozenset(("time", *columns))
        plans.append(
            _ArmPlan(
                fast_plan,
                p,
                y0,
                slots,
                species,
                fixed,
                columns,
                index,
                names,
                initial_rules(flat),
                frozenset(job.initial),
            )
        )
    _PLANS.clear()  # one job per worker at a time
    _PLANS[id(job)] = (job, tuple(plans))
    return tuple(plans)


def _fast_arm(ap: _ArmPlan, patient: VirtualPatient) -> EngineOutput | None:
    """One patient-arm on the prepared path, or None where simulate() must speak (a parameter
    it would reject: unknown name, not a finite float)."""
    p = ap.p.copy()
    for name, value in patient.params.items():
        if name in ap.fixed:
            continue
        slot = ap.slots.get(name)
        if slot is None or type(value) is not float or not math.isfinite(value):
            return None
        p[slot] = value
    y0 = ap.y0
    if ap.rules and not ap.rules.parameters.isdisjoint(patient.params):
        try:  # the patient's own values of what an initial expression reads
            y0 = ap.rules.apply(p, y0, keep=ap.explicit | patient.initial.keys())
        except ValidationError:
            return None
    if patient.initial:
        y0 = y0.copy()
        for name, value in patient.initial.items():
            slot = ap.species.get(name)
            if slot is None or type(value) is not float or not math.isfinite(value) or value < 0:
                return None
            y0[slot] = value
    with _SIM_LOCK:
        out = ap.plan.run(p, y0)
    if out.status == "success":
        problem = output_problem(out.times, out.values, ap.columns)
        if problem is not None:
            return replace(out, status="failed", message=f"integration failed: {problem}")
    return out


class _RunColumns(Mapping[str, np.ndarray]):
    """Column name -> values of one run: a view into the engine output made when a reducer
    asks for the column (a reducer reads a few of the model's ~50 columns)."""

    __slots__ = ("_index", "_names", "_out")

    def __init__(self, index: Mapping[str, int], out: EngineOutput, names: frozenset[str]) -> None:
        self._index = index
        self._out = out
        self._names = names

    def keys(self) -> frozenset[str]:  # type: ignore[override]
        """The column names, as a set made once per arm (reducers test which columns exist)."""
        return self._names

    def __getitem__(self, name: str) -> np.ndarray:
        if name == "time":
            return self._out.times
        return self._out.values[:, self._index[name]]

    def __contains__(self, name: object) -> bool:
        return name == "time" or name in self._index

    def __iter__(self) -> Iterator[str]:
        yield "time"
        yield from self._index

    def __len__(self) -> int:
        return 1 + len(self._index)


def _columns(ap: _ArmPlan, out: EngineOutput) -> Mapping[str, np.ndarray]:
    """Column name -> values of one run (views into the engine output, no copy)."""
    return _RunColumns(ap.column_index, out, ap.names)


def run_chunk(job: _Job, start: int, stop: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate patients [start, stop) in every arm: (one row per patient-arm, time courses).

    With the fast engine every arm is prepared once per worker and patients are integrated
    from parameter vectors with no table per run; the rows are those of the general path. An
    arm under dose rules takes the general path (it re-runs with each change).
    """
    rows: list[dict[str, Any]] = []
    courses: list[pd.DataFrame] = []
    varied = [p.parameter for p in job.config.population.priors]
    plans = _arm_plans(job)
    # with dose rules every row says what they changed (nothing, for an arm they do not watch)
    unruled = dict(DOSE_COLUMNS) if job.config.dose_rules else {}
    empty = job.reducer.empty() | unruled
    for patient in _draw_range(job, start, stop):
        index = patient.index
        base = {
            "patient": index,
            "tries": patient.tries,
            "untreated_doubling_days": patient.doubling_days,
            **({"member": ensemble_member(job.config, index)} if job.config.ensemble else {}),
            **{f"p_{k}": float(patient.params.get(k, math.nan)) for k in varied},
            **_baseline_columns(patient),
        }
        for k, arm in enumerate(job.config.arms):
            row = {**base, "arm": arm.name}
            if not patient.plausible:
                rows.append(row | {"status": "implausible", "message": patient.reason} | empty)
                continue
            planned = job.events[k] if job.config.dose_rules and job.events else ()
            out = _fast_arm(plans[k], patient) if plans is not None and not planned else None
            if out is not None:
                row |= {"status": out.status, "message": out.message}
                if out.status == "success":
                    cols = _columns(plans[k], out)  # type: ignore[index]
                    row |= job.reducer.from_columns(cols) | unruled  # type: ignore[attr-defined]
                    if job.config.keep_timecourses:
                        courses.append(_course(index, arm.name, cols, job.config))
                else:
                    row |= empty
                rows.append(row)
                continue
            outcome = None
            try:
                if planned:
                    res, outcome = _simulate_ruled(job, patient, arm, planned)
                else:
                    res = _simulate_arm(job, patient, arm)
            except _ERRORS as exc:
                rows.append(row | {"status": "error", "message": str(exc)} | empty)
                continue
            row |= {"status": res.status, "message": res.message}
            if not res.ok:
                rows.append(row | empty)
                continue
            row |= _reduce(job.reducer, res, patient)
            if outcome is not None:  # on treatment: before progression where the row says it
                lab = patient_lab(job.config.seed, index)
                row |= dose_summary(planned, outcome, _progression_day(row), lab=lab)
            else:
                row |= unruled
            rows.append(row)
            if job.config.keep_timecourses:
                tc = res.table[["time", *job.config.keep_timecourses]].copy()
                tc.insert(0, "arm", arm.name)
                tc.insert(0, "patient", index)
                courses.append(tc)
    table = pd.DataFrame(rows)
    tcs = pd.concat(courses, ignore_index=True) if courses else pd.DataFrame()
    return table, tcs


def _shard_task(job: _Job, start: int, stop: int) -> tuple[bytes, bytes]:
    """The Dask task: run_chunk's rows and kept time courses (b"" if none) as Parquet bytes,
    encoded on the worker, so the client only writes them and a shard travels as one buffer."""
    table, courses = run_chunk(job, start, stop)
    return _parquet(table), (b"" if courses.empty else _parquet(courses))


def _cold_structure(job: _Job) -> bool:
    """True when the fast engine will run ``job`` and its structure is not in the disk cache."""
    if job.solver.engine != "fast":
        return False
    from senotwin.sim.codegen import cache_dir, is_compiled

    return cache_dir() is not None and not is_compiled(flatten(job.spec))


def _compile_task(job: _Job) -> bool:
    """The Dask task that compiles ``job``'s structure into the disk cache (False if it failed:
    the shards then compile and report as before)."""
    from senotwin.sim.codegen import _compile_in_worker  # precompile's worker, reused

    return _compile_in_worker(flatten(job.spec))


def _parquet(df: pd.DataFrame) -> bytes:
    """A table as the bytes of a Parquet file (no index), as every shard is stored."""
    buffer = io.BytesIO()
    df.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _course(
    index: int, arm: str, cols: Mapping[str, np.ndarray], config: CohortConfig
) -> pd.DataFrame:
    """A kept time course (patient, arm, time, the kept columns), as the general path keeps it."""
    tc = pd.DataFrame({c: cols[c] for c in ("time", *config.keep_timecourses)})
    tc.insert(0, "arm", arm)
    tc.insert(0, "patient", index)
    return tc


# ---- client side -------------------------------------------------------------------------------
def model_identity(job: _Job) -> str:
    """Identity of the model a job runs: its (therapy) model's equations and numbers and the
    scenario's parameter and initial values. A cohort resumed on another model (the drug library
    or a parameter changed since it began) would join shards of two models."""
    text = json.dumps(
        {"spec": job.spec.digest(), "params": dict(job.params), "initial": dict(job.initial)},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cohort_digest(config: CohortConfig, reducer: Reducer, model: str) -> str:
    """Identity of a cohort (configuration + reducer + ``model_identity``) recorded in the
    manifest for --resume."""
    text = json.dumps(
        {"config": config.describe(), "reducer": reducer.describe(), "model": model},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def config_differences(stored: Mapping[str, Any], config: CohortConfig) -> str:
    """What differs between a manifest's stored configuration and ``config``, in words: each
    differing scalar setting as ``name stored -> new``, a differing compound one (arms,
    population, ensemble) by name; when the settings agree, the endpoint reader differs."""
    now = json.loads(json.dumps(config.describe(), sort_keys=True, default=str))
    parts = []
    for key in sorted(set(stored) | set(now)):
        a, b = stored.get(key), now.get(key)
        if a == b:
            continue
        scalar = all(v is None or isinstance(v, (str, int, float, bool)) for v in (a, b))
        verb = "differ" if key.endswith("s") else "differs"
        was, now_ = (repr(d[key]) if key in d else "(not set)" for d in (stored, now))
        parts.append(f"{key} {was} -> {now_}" if scalar else f"{key} {verb}")
    return "; ".join(parts)


def cohort_differences(
    old: Mapping[str, Any], config: CohortConfig, reducer: Reducer, model: str
) -> str:
    """What differs between a manifest's stored cohort and this one, in words: the settings
    (``config_differences``), the endpoint reader, and the model (with the versions that ran)."""
    parts = [config_differences(old.get("config", {}), config)]
    stored_reducer = old.get("reducer")
    now_reducer = json.loads(json.dumps(reducer.describe(), sort_keys=True, default=str))
    if stored_reducer is not None and stored_reducer != now_reducer:
        parts.append("another endpoint reader")
    if old.get("model") != model and not _settings_change_the_model(old.get("config", {}), config):
        was, now = old.get("versions", {}).get("senotwin", "an unknown version"), versions()
        when = (
            f"senotwin {was} then and now: a change between releases"
            if was == now["senotwin"]
            else f"senotwin {was} then, {now['senotwin']} now"
        )
        unrecorded = "; the run recorded no model identity" if "model" not in old else ""
        parts.append(
            "another model: its drugs, parameters or equations changed since the run began "
            f"({when}{unrecorded})"
        )
    return "; ".join(p for p in parts if p) or "the same settings, another endpoint reader"


def _settings_change_the_model(stored: Mapping[str, Any], config: CohortConfig) -> bool:
    """Whether the stored and the new settings give different models by themselves (other arms
    compile other drugs; another scenario has other values), so a differing model identity
    says nothing about the library having changed."""
    now = json.loads(json.dumps(config.describe(), sort_keys=True, default=str))
    return any(stored.get(key) != now.get(key) for key in ("arms", "scenario"))


def chunks_of(n: int, chunk_size: int) -> list[tuple[int, int]]:
    """Patient ranges [start, stop) of ``chunk_size`` (the last may be shorter)."""
    return [(s, min(s + chunk_size, n)) for s in range(0, n, chunk_size)]


def _auto_chunk(n: int, workers: int) -> int:
    # ~4 tasks per worker keeps every worker busy to the end; a task costs ~13 ms of CPU (client
    # ~6: shard, manifest, scheduler; worker ~7: Parquet, Dask; session 24) against ~2 ms per
    # patient on the fast engine, so chunks grow with the cohort, up to 200 patients (~0.4 s of
    # work: a kill loses little, progress is smooth)
    return max(1, min(200, math.ceil(n / (max(workers, 1) * 4))))


def versions() -> dict[str, str]:
    """Versions of senotwin and the libraries a cohort depends on (for provenance)."""
    out = {"senotwin": senotwin.__version__, "numpy": np.__version__, "pandas": pd.__version__}
    for mod in ("dask", "distributed", "roadrunner", "scipy", "pyarrow"):
        try:
            out[mod] = str(__import__(mod).__version__)
        except (ImportError, AttributeError):
            out[mod] = "unavailable"
    return out


def check_scheduler_address(address: str) -> None:
    """A scheduler address looks like tcp://HOST:PORT (or tls://, inproc://)."""
    if not re.fullmatch(r"(tcp|tls|inproc|ucx)://[^\s:/]+(:\d{1,5})?(/.*)?", address):
        raise ValidationError(
            f"--scheduler {address!r} is not a Dask scheduler address (expected tcp://HOST:PORT)"
        )


def _validate(job: _Job) -> None:
    flat = flatten(job.spec)
    check_population(job.spec, job.config.population)
    if getattr(job.reducer, "needs_patient", False) and job.config.population.baseline is None:
        raise ValidationError(
            "trial endpoints need trial patients: give the population a baseline (e.g. "
            "'senotwin cohort run --trial NAME' or 'senotwin trial run NAME')"
        )
    for arm in job.config.arms:
        _check_arm(flat, job.params, job.initial, arm)
    if job.config.ensemble:
        varied = {p.parameter for p in job.config.population.priors}
        unknown = [
            k
            for k, _ in job.config.ensemble[0]
            if k not in job.spec.parameter_ids
            and not (k.endswith(SPREAD) and k[: -len(SPREAD)] in varied)
        ]
        if unknown:
            raise ValidationError(
                f"ensemble: {unknown} are not parameters of {job.spec.id} (scenario "
                f"{job.config.scenario!r}) nor NAME.spread of a prior of the population"
            )
    cols = set(job.spec.species_ids) | set(job.spec.observable_ids)
    for c in job.config.keep_timecourses:
        if c not in cols:
            raise ValidationError(f"keep_timecourses: unknown species or observable {c!r}")


def check_cohort_scenario(
    scenario: str, baseline: BaselineDisease | None = None, *, trial: str = ""
) -> None:
    """Refuse a mouse scenario: the population's priors are human (blood volume, clearances,
    immune ranges), and a mouse context failed per patient with 'V_c=2.0 is outside [4500,
    5500]' (audit, session 41). With a trial ``baseline``, refuse a model that lacks what trial
    patients are set through: on a legacy scenario every patient failed as 'without a plausible
    patient draw' with "unknown parameter 'rho_cell'" in the shards (audit, session 42)."""
    from senotwin.therapy.dosing import body_for_scenario

    if body_for_scenario(scenario).species != "human":
        raise ValidationError(
            f"scenario {scenario!r} is a mouse experiment; virtual cohorts draw human "
            "patients, so they need a human scenario (senotwin scenarios list; run a mouse "
            "scenario with simulate or treat compare)"
        )
    if baseline is None:
        return
    spec = prepare_scenario(scenario).spec
    if missing := baseline_missing(spec, baseline):
        who = f"trial {trial!r}" if trial else "trial patients"
        raise ValidationError(
            f"{who} cannot run on scenario {scenario!r}: its model {spec.id!r} lacks "
            f"{', '.join(missing)}, through which trial patients' target lesions and PD-L1 are "
            "set (legacy and textbook models carry no trial machinery); use a scenario of the "
            f"qsp model, e.g. the trial's own (senotwin trial show {trial or 'NAME'})"
        )


def check_action_arms(scenario: str, arms: Sequence[CohortArm]) -> None:
    """Check the actions of ``arms`` (blocked entities, set parameters and their values) on
    ``scenario``'s model before a job starts; an error names the arm."""
    flat = flatten(prepare_scenario(scenario).spec)
    for arm in arms:
        _check_arm(flat, {}, {}, arm)


def _check_arm(
    flat: FlatModel, params: Mapping[str, float], initial: Mapping[str, float], arm: CohortArm
) -> None:
    """One arm's schedule, parameters and blocks on the model; errors say 'arm X: ...'."""
    try:
        check_schedule(flat, arm.regimen)
        resolve(
            flat,
            params=dict(params) | dict(arm.params),
            initial=dict(initial),
            blocks=dict(arm.blocks),
            check_ranges=True,
        )
    except ValidationError as exc:
        raise ValidationError(f"arm {arm.name!r}: {exc}") from None


def make_job(config: CohortConfig, reducer: Reducer) -> _Job:
    """Resolve the scenario and validate arms and population (before any work starts)."""
    check_cohort_scenario(config.scenario, config.population.baseline)
    setup = prepare_scenario(config.scenario, days=config.t_end)
    t_end = check_days(setup.days, name="days")
    grid = np.arange(0.0, t_end + 1e-9, config.step_days)
    if grid[-1] < t_end:
        grid = np.append(grid, t_end)
    solver = SolverOptions(engine=config.engine, rtol=config.rtol, atol=config.atol, t_eval=grid)
    spec = setup.spec
    notes: tuple[str, ...] = ()
    events: tuple[tuple[DosingEvent, ...], ...] = ()
    if any(a.language for a in config.arms):
        spec, config, notes, events = _compile_language_arms(spec, config)
    bind = getattr(reducer, "for_model", None)
    if callable(bind):  # rules that depend on the model (a lethal burden) take its numbers
        reducer = bind(spec)
    job = _Job(spec, setup.params, setup.initial, config, t_end, solver, reducer, notes, events)
    _validate(job)
    for note in notes:
        warnings.warn(note, SenotwinWarning, stacklevel=2)
    for arm in config.arms:
        late = late_actions(arm.regimen, t_end)
        if late is not None:
            warnings.warn(f"arm {arm.name}: {late}", SenotwinWarning, stacklevel=2)
    return job


def _compile_language_arms(
    spec: ModelSpec, config: CohortConfig
) -> tuple[ModelSpec, CohortConfig, tuple[str, ...], tuple[tuple[DosingEvent, ...], ...]]:
    """Compile regimen-language arms onto one shared therapy model (every arm's drugs in it);
    also the notes of their schedules ('arm NAME: off-label schedule: ...'), which the arms'
    compiled doses alone would lose, and each arm's administrations (what dose rules change)."""
    from senotwin.therapy.dosing import body_for_scenario
    from senotwin.therapy.language import apply_regimen, parse_regimen

    body = body_for_scenario(config.scenario)
    regs = {
        a.name: parse_regimen(a.language, body=body, allow_off_label=config.allow_off_label)
        for a in config.arms
        if a.language
    }
    drugs = sorted({d.id for r in regs.values() for d in r.drugs()})
    arms = []
    notes: list[str] = []
    events = []
    shared: ModelSpec | None = None
    for arm in config.arms:
        try:  # an off-label refusal (known only with the scenario's body) names its arm
            plan = apply_regimen(spec, regs.get(arm.name), extra_drugs=drugs)
        except ValidationError as exc:
            raise ValidationError(f"arm {arm.name}: {exc}") from None
        notes += [f"arm {arm.name}: {n}" for n in plan.schedule.notes]
        events.append(tuple(plan.events))
        if shared is not None and plan.spec.digest() != shared.digest():
            raise ValidationError("arms compiled to different therapy models (drug library bug)")
        shared = plan.spec
        sched = Schedule(
            doses=(*plan.schedule.doses, *arm.regimen.doses),
            infusions=arm.regimen.infusions,
            steps=arm.regimen.steps,
            name=plan.schedule.name or arm.regimen.name,
        )
        arms.append(replace(arm, regimen=sched))
    if shared is None:
        raise ValidationError("a cohort needs at least one arm")
    return shared, replace(config, arms=tuple(arms)), tuple(notes), tuple(events)


def open_client(
    scheduler: str | None, workers: int, processes: bool
) -> tuple[Any, Any]:  # (client, cluster or None)
    """A Dask client: an existing scheduler, or an embedded LocalCluster (one thread/worker)."""
    import dask
    from distributed import Client, LocalCluster

    dask.config.set(
        {
            "distributed.worker.daemon": False,
            "logging.distributed": "error",
            # the workers' statistical profiler samples every 10 ms: CPU the patients need
            "distributed.worker.profile.enabled": False,
            # housekeeping timers of every process (scheduler + client here, each worker and
            # its nanny) wake them 50 times a second by default; a cohort's tasks last seconds
            "distributed.admin.tick.interval": "500ms",
            "distributed.admin.system-monitor.interval": "2s",
            "distributed.worker.memory.monitor-interval": "1s",
            # the nanny's default MALLOC_TRIM_THRESHOLD_ fixes glibc's mmap threshold at 128 kB,
            # so every run's ~190 kB output array is mapped and page-faulted afresh: ~10 % more
            # CPU per patient-arm than the same integration outside Dask
            "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
        }
    )
    if scheduler is not None:
        check_scheduler_address(scheduler)
        try:
            client = Client(scheduler, timeout="5s")
        except (OSError, TimeoutError) as exc:
            raise ValidationError(
                f"cannot reach the Dask scheduler at {scheduler}: {exc}"
            ) from None
        return client, None
    if workers < 1:
        raise ValidationError(f"--workers must be >= 1, got {workers}")
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=processes,
        dashboard_address="127.0.0.1:0",  # loopback, any free port: never clashes with 8787
        silence_logs=logging.CRITICAL,
    )
    return Client(cluster), cluster


def close_client(client: Any, cluster: Any) -> None:
    """Close the client, then its embedded cluster, with Dask's INFO and WARNING records held
    back: an in-process worker (``processes=False``) whose comm the scheduler closed first
    logged 'Batched Comm Closed' with a CommClosedError traceback on a successful run (the
    LocalCluster's own ``silence_logs`` ends before its workers do). Errors still show."""
    log = logging.getLogger("distributed")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        client.close()
        if cluster is not None:
            cluster.close()
    finally:
        log.setLevel(level)


def run_cohort(
    config: CohortConfig,
    out: str | Path,
    *,
    reducer: Reducer,
    workers: int = 2,
    scheduler: str | None = None,
    resume: bool = False,
    processes: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> CohortRun:
    """Run (or finish, with ``resume=True``) a cohort into ``out``; see the module docstring.

    Returns a :class:`CohortRun` (where it is, patient and failure counts, the manifest); the
    patient-arm rows are on disk in ``out`` (:func:`load_rows`)."""
    started = time.perf_counter()
    check_type(config, CohortConfig, name="config", what="a CohortConfig")
    check_type(out, (str, os.PathLike), name="out", what="the path of the output folder")
    what = "an endpoint reducer such as EndpointReducer() (with __call__, describe and empty)"
    check_type(reducer, Reducer, name="reducer", what=what)
    check_type(workers, int, name="workers", what="a whole number >= 1")
    check_type(scheduler, (str, type(None)), name="scheduler", what="a Dask address or None")
    out = Path(out)
    if scheduler is not None:
        check_scheduler_address(scheduler)
    else:
        check_workers(workers)
    check_resumable(out, resume=resume)  # before the model is built
    job = make_job(config, reducer)
    reducer = job.reducer  # bound to the scenario's model (for_model): what the manifest records
    model = model_identity(job)
    digest = cohort_digest(config, reducer, model)
    created = not out.exists()
    old = prepare_output(out, resume=resume)
    if old is not None and old.get("digest") != digest:
        what = cohort_differences(old, config, reducer, model)
        raise DifferentCohort(
            f"{out} holds a different cohort ({what}); use the same options to resume or "
            "choose another --out"
        )
    chunk = int(old["chunk_size"]) if old else (config.chunk_size or _auto_chunk(config.n, workers))
    plan = chunks_of(config.n, chunk)
    shard_dir, tc_dir = out / "shards", out / "timecourses"
    if config.keep_timecourses:  # only when asked: an empty folder read as courses missing
        tc_dir.mkdir(exist_ok=True)
    for stale in [*shard_dir.glob(".*.tmp"), *tc_dir.glob(".*.tmp")]:
        stale.unlink(missing_ok=True)
    done: set[tuple[int, int]] = set()
    for s, e in plan:  # shards present but possibly missing from the manifest (killed in between)
        if (shard_dir / shard_name(s, e)).exists():
            done.add((s, e))
    reused = len(done)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "digest": digest,
        "model": model,
        "config": config.describe(),
        "reducer": reducer.describe(),
        "t_end": job.t_end,
        "chunk_size": chunk,
        "chunks": [list(c) for c in plan],
        "done": sorted(list(c) for c in done),
        "status": "running",
        "versions": versions(),
        "created": old.get("created") if old else time.strftime("%Y-%m-%dT%H:%M:%S"),
        "notes": list(job.notes),
    }
    todo = [c for c in plan if c not in done]
    client = cluster = None
    if todo:
        try:
            client, cluster = open_client(scheduler, workers, processes)
        except SenotwinError:
            if created:
                for sub in (shard_dir, tc_dir, out):
                    if sub.exists():
                        sub.rmdir()
            raise
    write_manifest(out, manifest)
    n_done = sum(e - s for s, e in done)
    if progress:
        progress(n_done, config.n)
    if client is not None:
        try:
            [job_f] = client.scatter([job], broadcast=True)
            from distributed import as_completed

            if _cold_structure(job) and len(client.scheduler_info().get("workers", {})) > 1:
                # one worker compiles the model into the disk cache; the others then load it,
                # instead of every worker compiling the same structure at once
                client.submit(_compile_task, job_f, pure=False).result()

            futures = {client.submit(_shard_task, job_f, s, e, pure=False): (s, e) for s, e in todo}
            for fut in as_completed(futures):
                s, e = futures[fut]
                table, courses = fut.result()
                if courses:  # written whole before the shard (resumable runs read them back)
                    atomic_write_bytes(tc_dir / shard_name(s, e), courses, immediate=True)
                atomic_write_bytes(shard_dir / shard_name(s, e), table, immediate=True)
                done.add((s, e))
                manifest["done"] = sorted(list(c) for c in done)
                write_manifest(out, manifest)
                n_done += e - s
                if progress:
                    progress(n_done, config.n)
        finally:
            close_client(client, cluster)
    table = load_rows(out, columns=("status",))  # every shard readable, no patient twice
    manifest["status"] = "complete"
    manifest["seconds_last_run"] = time.perf_counter() - started
    write_manifest(out, manifest)
    n_failed = int((table["status"] != "success").sum())
    return CohortRun(
        out,
        config.n,
        len(table),
        n_failed,
        len(todo),
        reused,
        time.perf_counter() - started,
        manifest,
        int((table["status"] == "implausible").sum()),
    )


# ---- arms from text ------------------------------------------------------------------------------
ACTIONS = ("block", "set", "step", "dose")


def _is_action(item: str) -> bool:
    """An action item, or one meant as an action: a NAME=VALUE item whose first word is close
    to an action ('blok PDCD1=0.9', which the regimen grammar read as an unknown drug with no
    hint; the action reader names it with its suggestion)."""
    word = item.split(maxsplit=1)[0].lower() if item.split() else ""
    return item == "none" or word in ACTIONS or ("=" in item and bool(closest(word, ACTIONS)))


def _actions(name: str, text: str) -> CohortArm:
    """An action list, each action read by the regimen grammar's tokenizer (caret errors)."""
    from senotwin.model.schedule import Dose
    from senotwin.therapy.language import Scanner

    blocks: dict[str, float] = {}
    params: dict[str, float] = {}
    steps: list[Step] = []
    doses: list[Dose] = []
    for col, item in enumerate(p.strip() for p in text.split(";")):
        if not item or item == "none":
            continue
        scan = Scanner(item, source=f"arm {name!r}, action {col + 1}")
        kind = scan.name("an action (block, set, step or dose)").lower()
        if kind not in ACTIONS:
            raise scan.fail(f"unknown action {kind!r}{did_you_mean(kind, ACTIONS)}", 0)
        act = scan.setting(value=True, day=None)
        scan.done()
        target, v = act.name, float(act.value or 0.0)
        if kind in ("block", "set") and act.day is not None:
            raise scan.fail(f"'{kind}' holds for the whole run; use 'step' for a time")
        if kind in ("step", "dose") and act.day is None:
            raise scan.fail(f"'{kind}' needs a day, e.g. {kind} {target}={v:g}@14")
        if kind == "block":
            blocks[target] = v
        elif kind == "set":
            params[target] = v
        elif kind == "step":
            steps.append(Step(float(act.day or 0.0), target, v))
        else:
            doses.append(Dose(float(act.day or 0.0), target, v))
    return CohortArm(
        name,
        Schedule(doses=tuple(doses), steps=tuple(steps), name=name),
        tuple(sorted(blocks.items())),
        tuple(sorted(params.items())),
        text,
    )


def arm_from_text(spec_text: str) -> CohortArm:
    """``NAME=REGIMEN`` -> CohortArm.

    REGIMEN is ``none`` (control), a ';'-separated action list (``block PDCD1=0.9``,
    ``set k_senolytic=0.3``, ``step k_senolytic=0.5@14``, ``dose stress=1@0``), or text of the
    regimen language (:func:`senotwin.therapy.language.parse_regimen`). Actions and regimen
    items do not mix in one arm.
    """
    name, sep, text = spec_text.partition("=")
    name, text = name.strip(), text.strip()
    if not sep or not name:
        raise ValidationError(f"--arm {spec_text!r} is not of the form NAME=REGIMEN")
    items = [p.strip() for p in text.split(";") if p.strip()]
    if not items or any(_is_action(p) for p in items):
        return _actions(name, text)
    from senotwin.therapy.language import parse_regimen

    parse_regimen(text)  # syntax errors surface here, naming line and column
    return CohortArm(name, Schedule(name=name), text=text, language=text)
