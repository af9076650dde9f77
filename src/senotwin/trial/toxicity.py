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
from pathlib import Path

import numpy as np
import pandas as pd

from senotwin._errors import ValidationError
from senotwin.sim import ScenarioSetup, SolverOptions, prepare_scenario, simulate
from senotwin.therapy.language import parse_regimen
from senotwin.therapy.pkpd import patient_clearance
from senotwin.therapy.toxicity import (
    ANC_SPREAD,
    CTCAE_ANC,
    CTCAE_PLT,
    PLT_OBS,
    PLT_SPREAD,
    MarrowSpread,
    count_1e9_per_l,
    grade,
    platelet_grade,
)
from senotwin.trial.spec import ADVERSE_EVENTS, TrialSpec

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


#: the figure of the blood-count read a trial run writes beside blood_counts.csv
BLOOD_FIGURE = "blood_counts.png"


def plot_blood_counts(trial: TrialSpec, blood: pd.DataFrame, path: str | Path) -> Path:
    """Per chain the arms' nadir distributions (10^9/L, log scale: one dot per patient) with the
    CTCAE grade bounds, and each arm's published grade >= 3 rate beside the simulated one in the
    panel's title; written atomically to ``path``."""
    import io

    from matplotlib.figure import Figure

    from senotwin._io import atomic_write_bytes

    chains = [c for c in CHAINS if blood[f"{c.prefix}_nadir"].notna().any()]
    if not chains:
        raise ValidationError("no blood-count read to plot (no arm carries a blood-count model)")
    fig = Figure(figsize=(5.5 * len(chains), 4.6))
    axes = fig.subplots(1, len(chains), squeeze=False)[0]
    published = {a.name: a.published for a in trial.arms}
    for ax, chain in zip(axes, chains, strict=True):
        col = f"{chain.prefix}_nadir"
        arms = [a for a in trial.arms if blood.loc[blood["arm"] == a.name, col].notna().any()]
        rng = np.random.default_rng(0)  # the dots' horizontal jitter only
        ticks = []
        for i, arm in enumerate(arms):
            values = blood.loc[blood["arm"] == arm.name, col].dropna().to_numpy()
            ax.scatter(i + rng.uniform(-0.25, 0.25, values.size), values, s=6, alpha=0.5)
            share = 100.0 * float(np.mean(values < _bound(chain, 3)))
            pub = [
                a.percent
                for a in published[arm.name].adverse_events
                if a.min_grade == 3 and ADVERSE_EVENTS[a.event] == chain.name
            ]
            said = f"grade >= 3: {share:.1f} %" + (f"\npublished {pub[0]:g} %" if pub else "")
            ticks.append(f"{arm.label}\n{said}")
        for g in (1, 2, 3, 4):  # a count below the line is of that grade or worse
            ax.axhline(_bound(chain, g), color="grey", lw=0.6, ls=":")
            ax.text(
                len(arms) - 0.45,
                _bound(chain, g),
                f"< {_bound(chain, g):g}: grade {g}",
                fontsize=6,
                va="top",
            )
        ax.set_yscale("log")
        ax.set_xticks(range(len(arms)), ticks, fontsize=7)
        ax.set_xlim(-0.6, len(arms) + 0.1)
        ax.set_ylabel(f"{chain.prefix.upper()} nadir on treatment (10^9/L)")
        ax.set_title(f"{trial.id}: {chain.name}", fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return atomic_write_bytes(Path(path), buf.getvalue())


def _bound(chain: BloodChain, grade: int) -> float:
    """The count (10^9/L) below which ``chain``'s CTCAE grade is at least ``grade``."""
    bounds = CTCAE_ANC if chain.prefix == "anc" else CTCAE_PLT
    return next(b for g, b in bounds if g == grade)
