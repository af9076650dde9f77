"""Every computation of ``senotwin demo``: simulations, the validation suite, therapy arms, the
virtual trial and the sensitivity ranking. The report draws the :class:`DemoResults`; it runs
nothing itself, so a new section that needs a new number gets it here.

Simulations, validation, therapy arms, the trial and the sensitivity ranking run on the default
(physical-units) model.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from senotwin.analysis.endpoints import EndpointReducer, EndpointRules
from senotwin.analysis.sensitivity import SensitivityResult, run_sensitivity
from senotwin.analysis.survival import arm_summary
from senotwin.analysis.therapy import Comparison, compare_arms
from senotwin.analysis.validation import ValidationReport, run_validation
from senotwin.analysis.validation.load import Case, load_cases
from senotwin.cohort.population import qsp_population
from senotwin.cohort.runner import (
    CohortConfig,
    arm_from_text,
    cohort_digest,
    make_job,
    model_identity,
    run_cohort,
)
from senotwin.cohort.store import clear_run, load_rows, load_timecourses, read_manifest
from senotwin.kb import load as load_kb
from senotwin.kb.loader import KnowledgeBase
from senotwin.model.readouts import QSP
from senotwin.model.scenarios import get_scenario
from senotwin.model.spec import ModelSpec
from senotwin.sc.stratify_eval import Evaluation, demo_evaluation
from senotwin.sim import SolverOptions, run_scenario
from senotwin.sim.options import daily

DEFAULT_SCENARIO = "default"
#: the dual effect: each arm with the senescent secretome on and off (block of entity SASP)
DUAL_SCENARIOS = (
    ("acute_young", "acute: young host, one transient senescence pulse"),
    ("chronic_aged", "chronic: aged host, persistent stromal senescence"),
)
SASP_OFF = {"SASP": 1.0}
DUAL_DAYS = 365.0

# Therapy arms of review section 4 (Fig. 6) on the aged lung host without the default scenario's
# built-in chemotherapy course, so chemotherapy comes only from the regimens and every arm gets
# the same doxorubicin: two labelled 3-weekly courses of 60 mg/m2 (120 mg/m2, 0.81x the exposure
# of the 2 mg/kg = 74 mg/m2 d0,d7 given until session 45, which fits none of the labelled
# schedules). The senolytic follows each course by 10 days (d10-d14 of each 21-day cycle) and, in
# the one-two punch, anti-PD-L1 follows each senolytic block by 3 days; rapamycin spans both
# cycles (d0-d41). The demo's arms are checked to draw no off-label schedule note.
THERAPY_SCENARIO = "aged_lung_untreated"
THERAPY_DAYS = 150.0
CHEMO = "doxorubicin 60 mg/m2 iv q3w d0-d21"
NAVITOCLAX_PER_COURSE = "navitoclax 325 mg po qd d10-d14 x2 cycles of 21d"
THERAPY_ARMS: Mapping[str, str] = {
    "chemotherapy": CHEMO,
    "+ senomorphic (rapamycin)": f"{CHEMO}; rapamycin 2 mg po qd d0-d41",
    "+ senolytic (navitoclax)": f"{CHEMO}; {NAVITOCLAX_PER_COURSE}",
    "+ anti-PD-L1": f"{CHEMO}; anti-pd-l1 1200 mg iv q3w d14-d35",
    "one-two punch": f"{CHEMO}; {NAVITOCLAX_PER_COURSE}; anti-pd-l1 1200 mg iv q3w d17-d38",
}

# The virtual trial: scenario ``default`` (aged host, lung tumour, one chemotherapy course at day
# 0) and the review's sequencing questions (section 5) as arms written in the regimen language, so
# every drug comes from the drug library (PK, PD targets, toxicity proxies).
SENOLYTIC = "navitoclax 325 mg po qd d14-d27"
COHORT_ARMS = (
    ("chemo", "none"),
    ("chemo+antiPD1", "anti-pd-1 200 mg iv q3w d14-d299"),
    ("chemo-senolytic", SENOLYTIC),
    ("chemo-senolytic-antiPD1", f"{SENOLYTIC}; anti-pd-1 200 mg iv q3w d28-d299"),
)
SENSITIVITY_METRICS = ("final_burden", "sasp_net_effect")
#: endpoints of the trial on the default model: OS at its ~1e12-cell lethal burden
TRIAL_RULES = EndpointRules(lethal_burden=QSP.lethal_burden)
SENSITIVITY_DAYS = 150.0


def scenario_table(name: str, *, days: float | None = None) -> pd.DataFrame:
    """Simulate a registered scenario on a daily grid (reference engine) and return its table."""
    sc = get_scenario(name)
    t_end = float(days if days is not None else sc.days)
    solver = SolverOptions(rtol=1e-5, atol=1e-8, t_eval=daily(t_end))
    return run_scenario(sc, days=t_end, solver=solver, throw=True).table


def senescent_half_life(table: pd.DataFrame) -> float:
    """Days from the senescent-cell peak until half of the peak is left (NaN: never halves)."""
    s = QSP.senescent(table)
    t = table["time"].to_numpy()
    peak = int(np.argmax(s))
    below = np.nonzero(s[peak:] <= s[peak] / 2)[0]
    return float(t[peak + below[0]] - t[peak]) if below.size else math.nan


@dataclass(frozen=True)
class DualArm:
    """One arm of the dual effect, with the senescent secretome on and off."""

    scenario: str
    label: str
    on: pd.DataFrame
    off: pd.DataFrame

    @property
    def half_lives(self) -> tuple[float, float]:
        """Senescent-cell half-life (days) with the SASP on and off."""
        return senescent_half_life(self.on), senescent_half_life(self.off)

    @property
    def final_volumes(self) -> tuple[float, float]:
        """Lesion volume (mL) at the end with the SASP on and off."""
        return float(self.on["V_T"].iloc[-1]), float(self.off["V_T"].iloc[-1])


def dual_effect_runs(*, days: float = DUAL_DAYS) -> tuple[DualArm, ...]:
    """The acute and chronic arms, each run with the SASP on and off (entity SASP blocked)."""
    out = []
    for name, label in DUAL_SCENARIOS:
        sc = get_scenario(name)
        solver = SolverOptions(rtol=1e-6, atol=1e-6, t_eval=daily(days))
        on = run_scenario(sc, days=days, solver=solver, throw=True).table
        off = run_scenario(sc, days=days, solver=solver, blocks=SASP_OFF, throw=True).table
        out.append(DualArm(name, label, on, off))
    return tuple(out)


@dataclass(frozen=True)
class CohortResults:
    """A finished cohort read back: manifest, one row per patient-arm, arm summary, courses."""

    directory: Path
    manifest: Mapping[str, Any]
    rows: pd.DataFrame
    summary: pd.DataFrame
    courses: pd.DataFrame
    rules: EndpointRules


def load_cohort_results(
    directory: str | Path, *, rules: EndpointRules | None = None
) -> CohortResults:
    """Read a cohort directory and summarise its arms (ORR, DCR, PFS/OS, HR) for drawing."""
    path = Path(directory)
    rows = load_rows(path)
    return CohortResults(
        directory=path,
        manifest=read_manifest(path),
        rows=rows,
        summary=arm_summary(rows),
        courses=load_timecourses(path),
        rules=rules if rules is not None else TRIAL_RULES,
    )


def demo_cohort(
    out: str | Path,
    *,
    n: int = 36,
    seed: int = 2025,
    workers: int = 2,
    engine: str = "fast",
    t_end: float | None = 300.0,
) -> Path:
    """Run the demo trial into ``out`` (resumes if it is already there) and return ``out``.

    The fast engine: on the physical-units model the SciPy reference engine is ~20x slower per
    run (docs/qsp-model.md), which made the trial the demo's longest step."""
    config = CohortConfig(
        scenario=DEFAULT_SCENARIO,
        n=n,
        arms=tuple(arm_from_text(f"{name}={text}") for name, text in COHORT_ARMS),
        population=qsp_population(age="aged"),
        seed=seed,
        t_end=t_end,
        engine=engine,
        keep_timecourses=("diameter",),
    )
    out = Path(out)
    reducer = EndpointReducer(TRIAL_RULES)
    job = make_job(config, reducer)  # what run_cohort records: its bound reader and model
    if (out / "manifest.json").exists() and read_manifest(out).get("digest") != cohort_digest(
        config, job.reducer, model_identity(job)
    ):
        clear_run(out)  # an older demo cohort: rebuild it
    run_cohort(
        config,
        out,
        reducer=reducer,
        workers=workers,
        resume=(out / "manifest.json").exists(),
    )
    return out


@dataclass(frozen=True)
class DemoResults:
    """Everything the demo report draws."""

    kb: KnowledgeBase
    model: ModelSpec
    default_scenario: str
    default_run: pd.DataFrame
    dual_runs: tuple[DualArm, ...]
    validation: ValidationReport
    therapy: Comparison
    therapy_arms: Mapping[str, str]
    cohort: CohortResults
    sensitivity: SensitivityResult
    sensitivity_days: float
    sensitivity_model: ModelSpec  # the model the sensitivity ranking ran on
    stratify: Evaluation | None = None  # real ICI cohorts; None when their files are absent
    # the other models validation cases run on (mouse, vaccine site): the report names their codes
    validation_models: tuple[ModelSpec, ...] = ()
    # a library trial (senotwin.trial.run.TrialOutcome), run by 'senotwin demo' above this layer
    library_trial: Any = None
    # the cross-tissue held-back cohorts' predictions (senotwin.trial.ici_transfer), by name; run
    # by 'senotwin demo' above this layer
    heldback: Any = None


def validation_models(cases: Sequence[Case] | None = None) -> tuple[ModelSpec, ...]:
    """Every model the validation cases run on (the default one and its overlays: the EMT6
    mouse, the vaccine site), once each, so the report can name each code its table prints.
    ``cases``: the cases already loaded (default: the shipped file is read)."""
    specs: dict[str, ModelSpec] = {}
    for case in load_cases() if cases is None else cases:
        spec = case.scenario.load()
        specs.setdefault(spec.id, spec)
    return tuple(specs.values())


def run_demo_analysis(
    cohort_dir: str | Path,
    *,
    n: int = 36,
    seed: int = 2025,
    workers: int = 2,
    sens_samples: int = 24,
    null_draws: int = 20,
    ensemble: str | Path | None = None,
    ensemble_members: int = 40,
    progress: Callable[[str], None] | None = None,
) -> DemoResults:
    """Run the demo's simulations, validation (with each case's robustness over the first
    ``ensemble_members`` sets of ``ensemble`` when given), therapy arms, trial (into
    ``cohort_dir``) and sensitivity ranking; ``progress`` is told what starts next."""
    say = progress or (lambda _msg: None)
    say("knowledge base and model")
    kb = load_kb()
    model = get_scenario(DEFAULT_SCENARIO).load()
    say("time courses of the default scenario and the dual effect")
    default_run = scenario_table(DEFAULT_SCENARIO)
    dual = dual_effect_runs()
    say(
        f"validation suite and its null test ({null_draws} random parameter sets)"
        + (f", robustness over {ensemble_members} ensemble sets" if ensemble is not None else "")
    )
    cases = load_cases()  # read once: the suite runs them and the report names their models
    validation = run_validation(
        cases=cases,
        null=null_draws,
        seed=seed,
        ensemble=ensemble,
        members=ensemble_members if ensemble is not None else None,
    )
    say("therapy arms")
    therapy = compare_arms(THERAPY_SCENARIO, THERAPY_ARMS, days=THERAPY_DAYS, rtol=1e-5, atol=1e-8)
    say(f"virtual trial ({n} patients x {len(COHORT_ARMS)} arms)")
    cohort = load_cohort_results(demo_cohort(cohort_dir, n=n, seed=seed, workers=workers))
    say("sensitivity ranking")
    sens = run_sensitivity(
        DEFAULT_SCENARIO,
        method="prcc",
        metrics=SENSITIVITY_METRICS,
        n=sens_samples,
        seed=seed,
        t_end=SENSITIVITY_DAYS,
    )
    say("stratification of real checkpoint-inhibitor cohorts")
    strat = demo_evaluation()
    return DemoResults(
        kb=kb,
        model=model,
        default_scenario=DEFAULT_SCENARIO,
        default_run=default_run,
        dual_runs=dual,
        validation=validation,
        therapy=therapy,
        therapy_arms=dict(THERAPY_ARMS),
        cohort=cohort,
        sensitivity=sens,
        sensitivity_days=SENSITIVITY_DAYS,
        sensitivity_model=model,
        stratify=strat,
        validation_models=validation_models(cases),
    )
