"""Blood-count toxicity of a library trial's arms, read beside the published adverse events.

A trial arm whose regimen carries a drug with a published neutropenia model (therapy.toxicity:
nab-paclitaxel's Friberg chain, Chen 2014) simulates each virtual patient's absolute neutrophil
count with the published between-patient spread of that model (:data:`ANC_SPREAD`: baseline ANC,
transit time and drug slope, and the slope's rise at age >= 65) and the patient's age, over the
time the patient is on treatment (randomisation to progression or the end of follow-up: trial
arms dose until progression). The nadir's CTCAE grade gives, per arm, the share of patients with
grade >= 3 and grade 4 neutropenia, an evaluation beside the trial's published adverse-event
rates (nothing is fitted to them). Blood counts do not act back on the tumour model, so this is a
read on the patients the trial run simulated, one short run each (the regimen's PK and chain).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from senotwin._errors import ValidationError
from senotwin.sim import SolverOptions, prepare_scenario, simulate
from senotwin.therapy.language import parse_regimen
from senotwin.therapy.toxicity import ANC_SPREAD, count_1e9_per_l, grade
from senotwin.trial.spec import TrialSpec

#: seed-sequence tag of the blood-count draws: a stream of their own, so that adding them moved
#: no other draw of the trial's patients; the same patient has the same marrow in every arm
STREAM = 0xB100D
#: time step of the blood-count read (days): the ANC nadir of a weekly dose is a broad trough
STEP_DAYS = 0.25
#: the per-patient blood-count read a trial run writes beside its comparison
BLOOD_FILE = "blood_counts.csv"
#: columns of :func:`blood_counts`
COLUMNS = ("arm", "patient", "age", "window_days", "anc_nadir", "anc_grade")


@dataclass(frozen=True)
class _Arm:
    """An arm's compiled therapy model, ready for per-patient runs."""

    name: str
    setup: object  # senotwin.sim.ScenarioSetup
    slopes: tuple[str, ...]  # the drug slopes of the neutropenia chain (anc_slope_*)


def _arms(trial: TrialSpec) -> list[_Arm]:
    """The arms whose regimen carries a neutropenia chain, each compiled once."""
    out = []
    for arm in trial.arms:
        if arm.regimen == "none":
            continue
        setup = prepare_scenario(
            trial.scenario, regimen=parse_regimen(arm.regimen), days=trial.rules.follow_days
        )
        ids = setup.spec.parameter_ids
        if "anc_base" not in ids:
            continue
        slopes = tuple(sorted(p for p in ids if p.startswith("anc_slope_")))
        out.append(_Arm(arm.name, setup, slopes))
    return out


def patient_marrow(
    defaults: Mapping[str, float], slopes: tuple[str, ...], age: float, seed: int, patient: int
) -> dict[str, float]:
    """One patient's neutropenia-model parameters: each of :data:`ANC_SPREAD`'s log-normal
    spreads around its model value (``defaults``), the drug slopes times the age factor at
    >= 65 years; drawn from the patient's own stream (seed, patient index)."""
    rng = np.random.default_rng([seed, patient, STREAM])
    z = rng.standard_normal(3)
    s = ANC_SPREAD
    out = {
        "anc_base": defaults["anc_base"] * math.exp(s.base_sigma * z[0]),
        "anc_mtt": defaults["anc_mtt"] * math.exp(s.mtt_sigma * z[1]),
    }
    factor = math.exp(s.slope_sigma * z[2]) * (s.age_factor if age >= s.age_cut else 1.0)
    out |= {k: defaults[k] * factor for k in slopes}
    return out


def blood_counts(trial: TrialSpec, rows: pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """Per patient-arm of ``rows`` (a trial run's) whose arm has a neutropenia model: age, the
    days on treatment read (to PFS, else to the end of follow-up), the ANC nadir over them
    (10^9/L) and its CTCAE grade. Empty (with :data:`COLUMNS`) when no arm has one."""
    for col in ("arm", "patient", "status", "pfs_days", "b_age"):
        if col not in rows.columns:
            raise ValidationError(f"trial rows lack {col!r} (not a trial run's rows?)")
    records = []
    follow = float(trial.rules.follow_days)
    for arm in _arms(trial):
        setup = arm.setup
        spec = setup.spec  # type: ignore[attr-defined]
        defaults = {p.id: p.value for p in spec.parameters}
        grid = np.arange(0.0, follow + 1e-9, STEP_DAYS)
        solver = SolverOptions(engine="fast", t_eval=grid)
        mine = rows[(rows["arm"] == arm.name) & (rows["status"] == "success")]
        for rec in mine.itertuples(index=False):
            window = float(rec.pfs_days) if math.isfinite(rec.pfs_days) else follow
            marrow = patient_marrow(defaults, arm.slopes, float(rec.b_age), seed, int(rec.patient))
            res = simulate(
                spec,
                params=dict(setup.params) | marrow,  # type: ignore[attr-defined]
                initial=setup.initial,  # type: ignore[attr-defined]
                regimen=setup.schedule,  # type: ignore[attr-defined]
                t_end=follow,
                solver=solver,
                check_ranges=False,
                throw=True,
            )
            t = res.table["time"].to_numpy()
            anc = res.table["tox_anc"].to_numpy()[t <= window + 1e-9]
            nadir = float(count_1e9_per_l(anc.min()))
            records.append(
                (arm.name, int(rec.patient), float(rec.b_age), window, nadir, grade(nadir))
            )
    return pd.DataFrame.from_records(records, columns=list(COLUMNS))
