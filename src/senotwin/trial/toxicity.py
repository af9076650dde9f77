"""Blood-count toxicity of a trial's arms, read beside the published adverse events.

A trial arm whose regimen carries a drug with a blood-count model (therapy.toxicity: the Friberg
neutropenia chain of nab-paclitaxel, Chen 2014; the platelet chain of navitoclax) simulates each
virtual patient's count with the published between-patient spread of that model
(:data:`~senotwin.therapy.toxicity.ANC_SPREAD`: baseline ANC, transit time, drug slope and the
slope's rise at age >= 65; :data:`~senotwin.therapy.toxicity.PLT_SPREAD`: baseline platelets and
feedback) and the patient's age, over the time the patient is on treatment (randomisation to
progression or the end of follow-up: trial arms dose until progression). The nadir's CTCAE grade
gives, per arm, the share of patients with grade >= 3 and grade 4 neutropenia (or
thrombocytopenia), an evaluation beside the trial's published adverse-event rates (nothing is
fitted to them). Blood counts do not act back on the tumour model, so this is a read on the
patients the trial run simulated, one short run each (the regimen's PK and chains).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from senotwin._errors import ValidationError
from senotwin.sim import ScenarioSetup, SolverOptions, prepare_scenario, simulate
from senotwin.therapy.language import parse_regimen
from senotwin.therapy.pkpd import patient_clearance
from senotwin.therapy.toxicity import (
    ANC_SPREAD,
    PLT_OBS,
    PLT_SPREAD,
    MarrowSpread,
    count_1e9_per_l,
    grade,
    platelet_grade,
)
from senotwin.trial.spec import TrialSpec

#: seed-sequence tag of the blood-count draws: a stream of their own, so that adding them moved
#: no other draw of the trial's patients; the same patient has the same marrow in every arm
STREAM = 0xB100D
#: time step of the blood-count read (days): the ANC nadir of a weekly dose is a broad trough
STEP_DAYS = 0.25
#: the per-patient blood-count read a trial run writes beside its comparison
BLOOD_FILE = "blood_counts.csv"


@dataclass(frozen=True)
class BloodChain:
    """A blood-count chain as the read sees it: the parameter that marks it in a therapy model,
    its between-patient spread, its observable, grading and column prefix."""

    name: str  # "neutropenia", "thrombocytopenia": the comparison's endpoint word
    marker: str
    spread: MarrowSpread
    observable: str
    grade: Callable[[float], int]
    prefix: str  # columns PREFIX_nadir (10^9/L), PREFIX_grade


#: the chains in their stream order (index 0 keeps the stream the ANC read first drew from)
CHAINS = (
    BloodChain("neutropenia", "anc_base", ANC_SPREAD, "tox_anc", grade, "anc"),
    BloodChain("thrombocytopenia", "plt_base", PLT_SPREAD, PLT_OBS, platelet_grade, "plt"),
)
#: columns of :func:`blood_counts` (a chain an arm lacks reads NaN)
COLUMNS = (
    "arm",
    "patient",
    "age",
    "window_days",
    *(f"{c.prefix}_{what}" for c in CHAINS for what in ("nadir", "grade")),
)


@dataclass(frozen=True)
class _Arm:
    """An arm's compiled therapy model, ready for per-patient runs."""

    name: str
    setup: ScenarioSetup
    chains: tuple[int, ...]  # indices into CHAINS of the chains its regimen carries


def _arms(trial: TrialSpec) -> list[_Arm]:
    """The arms whose regimen carries a blood-count chain, each compiled once."""
    out = []
    for arm in trial.arms:
        if arm.regimen == "none":
            continue
        setup = prepare_scenario(
            trial.scenario, regimen=parse_regimen(arm.regimen), days=trial.rules.follow_days
        )
        ids = setup.spec.parameter_ids
        chains = tuple(i for i, c in enumerate(CHAINS) if c.marker in ids)
        if chains:
            out.append(_Arm(arm.name, setup, chains))
    return out


def patient_marrow(
    defaults: Mapping[str, float], chain: int, age: float, seed: int, patient: int
) -> dict[str, float]:
    """One patient's parameters of blood-count chain ``chain`` (an index into :data:`CHAINS`):
    each of its spread's log-normal SDs around the model value (``defaults``), and its drug
    slopes (every parameter named with the spread's slope prefix) times the age factor from the
    spread's age on; drawn from the patient's own stream (seed, patient index, chain)."""
    s = CHAINS[chain].spread
    key = [seed, patient, STREAM] + ([chain] if chain else [])
    z = np.random.default_rng(key).standard_normal(len(s.sigmas) + 1)
    out = {pid: defaults[pid] * math.exp(sigma * z[i]) for i, (pid, sigma) in enumerate(s.sigmas)}
    factor = math.exp(s.slope_sigma * z[-1]) * (s.age_factor if age >= s.age_cut else 1.0)
    out |= {k: v * factor for k, v in defaults.items() if k.startswith(s.slope_prefix)}
    return out


def blood_counts(trial: TrialSpec, rows: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """Per patient-arm of ``rows`` (a trial run's) whose arm has a blood-count chain: age, the
    days on treatment read (to PFS, else to the end of follow-up), and per chain the nadir over
    them (10^9/L) and its CTCAE grade (NaN for a chain the arm lacks). Empty (with
    :data:`COLUMNS`) when no arm has one."""
    for col in ("arm", "patient", "status", "pfs_days", "b_age"):
        if col not in rows.columns:
            raise ValidationError(f"trial rows lack {col!r} (not a trial run's rows?)")
    records: list[dict[str, object]] = []
    follow = float(trial.rules.follow_days)
    grid = np.arange(0.0, follow + 1e-9, STEP_DAYS)
    solver = SolverOptions(engine="fast", t_eval=grid)
    for arm in _arms(trial):
        setup = arm.setup
        defaults = {p.id: p.value for p in setup.spec.parameters}
        mine = rows[(rows["arm"] == arm.name) & (rows["status"] == "success")]
        for rec in mine.itertuples(index=False):
            window = float(rec.pfs_days) if math.isfinite(rec.pfs_days) else follow
            age, patient = float(rec.b_age), int(rec.patient)
            params = dict(setup.params) | patient_clearance(setup.spec, seed, patient)
            for i in arm.chains:
                params |= patient_marrow(defaults, i, age, seed, patient)
            res = simulate(
                setup.spec,
                params=params,
                initial=setup.initial,
                regimen=setup.schedule,
                t_end=follow,
                solver=solver,
                check_ranges=False,
                throw=True,
            )
            on = res.table["time"].to_numpy() <= window + 1e-9
            record: dict[str, object] = {
                "arm": arm.name,
                "patient": patient,
                "age": age,
                "window_days": window,
            }
            for i, chain in enumerate(CHAINS):
                nadir = math.nan
                if i in arm.chains:
                    nadir = float(count_1e9_per_l(res.table[chain.observable].to_numpy()[on].min()))
                record[f"{chain.prefix}_nadir"] = nadir
                record[f"{chain.prefix}_grade"] = (
                    chain.grade(nadir) if i in arm.chains else math.nan
                )
            records.append(record)
    return pd.DataFrame.from_records(records, columns=list(COLUMNS))
