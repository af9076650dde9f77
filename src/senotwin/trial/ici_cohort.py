"""A virtual anti-PD-1 melanoma cohort simulated with common random numbers (CRN).

Every virtual patient ``i`` draws, once, from its own stream (``patient_rng(seed, i)``): the
trial baseline (target lesions, ECOG, paired uniforms of :func:`draw_baseline`) and one vector
of standard normals for the population's priors. Population parameters under fit (the centre
and spread of a trait) map these fixed draws to values, so the simulated cohort -- and every
statistic of it -- is a deterministic function of the fitted parameters (no redraws: the
plausibility filter excludes, it does not resample). Each patient is run twice on the fast
engine: an untreated lead-in (the pre-treatment biopsy: intratumoural CD8 per cancer cell, and
the doubling time of the plausibility filter) and the treated course scored by RECIST 1.1
(:func:`senotwin.analysis.endpoints.trial_endpoints`) with the Liu 2019 death hazard. A lesion
whose live cancer cells fall below one cell is extinct (the trial library's rule,
:func:`senotwin.analysis.endpoints.extinct_course`): it does not regrow from the ODE's fraction
of a cell, and a patient who progressed before it lives on at the pre-progression death rate.

The population's proliferation centre (the ``k_grow`` prior's median) is not the tissue's shipped
rate, which is derived at qsp.yaml's immune values: for every set of population values simulated
it is derived again at that set's typical patient
(:func:`senotwin.cohort.population.typical_growth`), so the typical untreated lesion doubles in
the tissue's cited time whatever immune arm the candidate gives it (before session 18 a candidate
with k_kill 1.5 met a melanoma rate derived at 0.9).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd

from senotwin._errors import ValidationError, check_seed
from senotwin.analysis.endpoints import DeathHazard, TrialRules, trial_endpoints, trial_scan_days
from senotwin.cohort.baseline import BaselineDisease, baseline_overrides, draw_baseline
from senotwin.cohort.population import (
    GROWTH_TRAIT,
    PopulationSpec,
    _bounds,
    _cholesky,
    patient_rng,
    qsp_population,
    typical_growth,
)
from senotwin.model.compile import InitialRules, flatten, initial_rules
from senotwin.model.scenarios import get_scenario
from senotwin.model.schedule import Schedule
from senotwin.sim.engines import EngineOutput
from senotwin.sim.scenario import prepare_scenario
from senotwin.sim.tissue_growth import carried_tissue
from senotwin.trial.clinical import LIU2019_HAZARD
from senotwin.trial.tissue import melanoma_invisible, melanoma_tps

#: endpoints kept per read when diameters are read with error (``CohortDesign.reads``)
READ_KEYS = ("best_response", "pfs_days", "pfs_event", "os_days", "os_event")
#: spawn key of a patient's read-error stream (``patient_rng(seed, i, READ_STREAM)``)
READ_STREAM = 1
#: the biopsy readout: effector CD8 T cells per cancer cell in the lesion after the lead-in
BIOPSY_DAYS = 56.0
DOUBLING_LIMITS = (15.0, 730.0)  # the population preset's plausibility bounds (days)
#: the fewest virtual patients a design takes: response is read by CD8 tertile
MIN_PATIENTS = 3


@dataclass(frozen=True)
class CohortDesign:
    """What is simulated: scenario, regimen, patients, assessment and death hazard.

    ``regimen``: regimen-language text of the treated course, or ``"none"`` for no treatment
    (as a trial file's untreated arm). ``n``: virtual patients.
    ``rules``: RECIST calendar (TrialRules). ``baseline``: the pool trial patients are drawn
    from (no selection; melanoma's immune-invisible share classes and PD-L1 share bins,
    :func:`senotwin.trial.tissue.melanoma_invisible`,
    :func:`~senotwin.trial.tissue.melanoma_tps`). ``step_days``: output grid of the treated
    course. ``reads``: with ``rules.read_cv`` > 0, each patient's treated course is also read
    this many times with independent diameter read errors (``read_*`` columns: the
    smoothed statistic of :func:`senotwin.trial.ici_fit.cohort_statistics`); the endpoint
    columns stay the exact read.
    """

    scenario: str = "aged_melanoma_untreated"
    regimen: str = "pembrolizumab 2 mg/kg iv q21d d0-d714"
    n: int = 150
    seed: int = 0
    rules: TrialRules = field(default_factory=TrialRules)
    baseline: BaselineDisease = field(
        default_factory=lambda: BaselineDisease(
            invisible_classes=melanoma_invisible(), pdl1_bins=melanoma_tps()
        )
    )
    hazard: DeathHazard = LIU2019_HAZARD
    step_days: float = 3.0
    reads: int = 1

    def __post_init__(self) -> None:
        if self.n < MIN_PATIENTS:
            raise ValidationError(
                f"virtual cohort n = {self.n}; allowed: >= {MIN_PATIENTS} (tertiles)"
            )
        check_seed(self.seed)
        if isinstance(self.reads, bool) or not isinstance(self.reads, int) or self.reads < 1:
            raise ValidationError(f"reads = {self.reads!r}; allowed: a whole number >= 1")
        if not (math.isfinite(self.step_days) and 0 < self.step_days <= 7):
            raise ValidationError(f"step_days = {self.step_days}; allowed: (0, 7]")


@dataclass(frozen=True)
class _Prepared:
    """One run structure prepared once: engine plan, default vectors, parameter slots."""

    plan: object  # senotwin.sim.fast.FastPlan
    p: np.ndarray
    y0: np.ndarray
    slots: Mapping[str, int]
    species: Mapping[str, int]
    columns: tuple[str, ...]
    rules: InitialRules  # initial amounts that follow a patient's parameters
    explicit: frozenset[str]  # species the scenario gives an initial amount: rules leave them


def _prepare(
    spec: object,
    schedule: Schedule,
    params: Mapping[str, float],
    initial: Mapping[str, float],
    t_end: float,
    step: float,
) -> _Prepared:
    from senotwin.sim.fast import prepare_arm  # numba: only where the fast engine runs

    flat = flatten(spec)  # type: ignore[arg-type]
    grid = np.arange(0.0, t_end + 1e-9, step)
    if grid[-1] < t_end:
        grid = np.append(grid, t_end)
    plan, p, y0 = prepare_arm(
        flat,
        schedule,
        grid,
        t_end,
        params=params,
        initial=initial,
        blocks={},
        rtol=1e-6,
        atol=1e-9,
    )
    slots = {pid: i for i, pid in enumerate(flat.parameters)}
    species = {sid: i for i, sid in enumerate(flat.species)}
    columns = (*flat.species, *(oid for oid, _ in flat.observables))
    return _Prepared(plan, p, y0, slots, species, columns, initial_rules(flat), frozenset(initial))


class VirtualCohort:
    """The CRN virtual cohort of a design and a population (see the module docstring)."""

    def __init__(self, design: CohortDesign, population: PopulationSpec | None = None) -> None:
        self.design = design
        self.population = population or qsp_population()
        sc = get_scenario(design.scenario)
        self.spec = sc.load()
        self._setup = prepare_scenario(design.scenario)
        names = [p.parameter for p in self.population.priors]
        for pid in names:
            if pid not in self.spec.parameter_ids:
                raise ValidationError(f"population prior names unknown parameter {pid!r}")
        self._names = names
        self.tissue = carried_tissue(sc)

    @cached_property
    def draws(self) -> tuple[list[dict[str, object]], np.ndarray]:
        """(baselines, correlated standard normals n x priors): the fixed random numbers."""
        chol = _cholesky(self.population)
        bases, zs = [], []
        for i in range(self.design.n):
            rng = patient_rng(self.design.seed, i)
            bases.append(draw_baseline(self.design.baseline, rng))
            zs.append(chol @ rng.standard_normal(len(self._names)))
        if self.design.rules.read_cv > 0:  # a stream of its own: the draws above stay as they were
            scans = trial_scan_days(self.design.rules, self.design.rules.follow_days).size
            for i, base in enumerate(bases):
                size = (self.design.reads, scans + 1, len(base["lesions_mm"]))  # type: ignore[arg-type]
                base["read_z"] = patient_rng(self.design.seed, i, READ_STREAM).standard_normal(size)
        return bases, np.asarray(zs)

    @cached_property
    def _runs(self) -> tuple[_Prepared, _Prepared]:
        from senotwin.therapy.dosing import body_for_scenario
        from senotwin.therapy.language import apply_regimen, parse_regimen

        spec, schedule = self.spec, Schedule()  # regimen "none": no treatment
        if self.design.regimen != "none":
            body = body_for_scenario(self.design.scenario)
            plan = apply_regimen(self.spec, parse_regimen(self.design.regimen, body=body))
            spec, schedule = plan.spec, plan.schedule
        base, init = dict(self._setup.params), dict(self._setup.initial)
        lead = _prepare(spec, Schedule(), base, init, BIOPSY_DAYS, BIOPSY_DAYS / 4)
        treat = _prepare(
            spec, schedule, base, init, self.design.rules.follow_days, self.design.step_days
        )
        return lead, treat

    def values(
        self, centres: Mapping[str, float] | None = None, spreads: Mapping[str, float] | None = None
    ) -> pd.DataFrame:
        """Per patient parameter values: centre x exp(spread x z), clipped to the prior's
        bounds (lognormal priors); loguniform/uniform priors map z through the normal CDF."""
        from scipy import special

        centres = dict(centres or {})
        spreads = dict(spreads or {})
        _, z = self.draws
        cols = {}
        for k, prior in enumerate(self.population.priors):
            pid = prior.parameter
            lo, hi = _bounds(self.spec, prior)
            if prior.distribution == "lognormal":
                default = (
                    prior.centre
                    if prior.centre is not None
                    else float(self._setup.params.get(pid, self.spec.parameter(pid).value))
                )
                c = centres.get(pid, default)
                s = spreads.get(pid, prior.spread)
                v = c * np.exp(s * z[:, k])
            else:
                u = special.ndtr(z[:, k])
                v = (
                    lo + u * (hi - lo)
                    if prior.distribution == "uniform"
                    else np.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
                )
            cols[pid] = np.clip(v, lo, hi)
        return pd.DataFrame(cols)

    def simulate(
        self,
        centres: Mapping[str, float] | None = None,
        spreads: Mapping[str, float] | None = None,
        shared: Mapping[str, float] | None = None,
    ) -> pd.DataFrame:
        """One row per virtual patient: biopsy CD8 score, doubling time, plausible, RECIST
        endpoints (best response, PFS, OS in days). ``shared``: model parameter values set
        for every patient (a fitted property that does not vary between patients). The
        ``k_grow`` centre is derived at these values
        (:func:`senotwin.cohort.population.typical_growth`)."""
        for pid in shared or {}:
            if pid not in self.spec.parameter_ids:
                raise ValidationError(f"shared parameter {pid!r} is not a model parameter")
        lead, treat = self._runs
        growth = typical_growth(
            self.population,
            self.tissue,
            {**(centres or {}), **(shared or {})},
            baseline=self.design.baseline,
        )
        if growth is not None:
            centres = {**dict(centres or {}), GROWTH_TRAIT: growth}
        values = self.values(centres, spreads)
        bases, _ = self.draws
        rows = []
        for i in range(self.design.n):
            fixed, initial = baseline_overrides(self.spec, self.design.baseline, bases[i])
            params = {**values.iloc[i].to_dict(), **dict(shared or {}), **fixed}
            row: dict[str, object] = {"patient": i, **{f"p_{k}": v for k, v in params.items()}}
            score, doubling, pdl1 = self._lead_in(lead, params, initial)
            row |= {"cd8_score": score, "doubling_days": doubling, "pdl1_biopsy": pdl1}
            lo, hi = DOUBLING_LIMITS
            row["plausible"] = bool(lo <= doubling <= hi)
            if row["plausible"]:
                row |= self._treated(
                    treat, params, initial, {**bases[i], "doubling_days": doubling}
                )
            rows.append(row)
        return pd.DataFrame(rows)

    @staticmethod
    def _vectors(
        run: _Prepared, params: Mapping[str, float], initial: Mapping[str, float]
    ) -> tuple[np.ndarray, np.ndarray]:
        p = run.p.copy()
        for k, v in params.items():
            p[run.slots[k]] = float(v)
        y0 = run.rules.apply(p, run.y0, keep=run.explicit | initial.keys()).copy()
        for k, v in initial.items():
            y0[run.species[k]] = float(v)
        return p, y0

    def _lead_in(
        self, run: _Prepared, params: Mapping[str, float], initial: Mapping[str, float]
    ) -> tuple[float, float, float]:
        """(CD8 score, doubling days, PD-L1 per PD-L1-positive cancer cell) at the pre-treatment
        biopsy; the PD-L1 is the surface level then (``PDL1_d`` x ``A_C``: the constitutive trait
        times its IFN-gamma induction), not the trait alone. Since session 31 the share of
        positive cells (``pdl1_share``, the patient's TPS) is a separate trait: a bulk read of the
        biopsy would be this level x that share."""
        p, y0 = self._vectors(run, params, initial)
        out = run.plan.run(p, y0)  # type: ignore[attr-defined]
        if out.status != "success":
            return math.nan, math.nan, math.nan
        c = run.columns
        last = out.values[-1]
        n0, n1 = out.values[0, c.index("N_tumour")], last[c.index("N_tumour")]
        growth = math.log(n1 / n0) if n0 > 0 and n1 > 0 else -math.inf
        doubling = BIOPSY_DAYS * math.log(2) / growth if growth > 0 else math.inf
        score = float(last[c.index("T8")] / max(last[c.index("N_tumour")], 1.0))
        pdl1 = float(last[c.index("PDL1_d")] * p[run.slots["A_C"]])
        return score, doubling, pdl1

    def _treated(
        self,
        run: _Prepared,
        params: Mapping[str, float],
        initial: Mapping[str, float],
        base: Mapping[str, object],
    ) -> dict[str, object]:
        p, y0 = self._vectors(run, params, initial)
        out = run.plan.run(p, y0)  # type: ignore[attr-defined]
        if out.status != "success":
            return {"best_response": "NE", "status": out.message}
        return self._endpoints(run, out, base)

    def _endpoints(
        self, run: _Prepared, out: EngineOutput, base: Mapping[str, object]
    ) -> dict[str, object]:
        """RECIST and survival endpoints of one successful treated run (a diagnostic subclass
        adds its own read-outs of ``out`` here)."""
        col = run.columns
        d = out.values[:, col.index("diameter")]
        live = out.values[:, col.index("C")] + out.values[:, col.index("Ci")]
        rules = self.design.rules
        exact = {k: v for k, v in base.items() if k != "read_z"}
        ends = trial_endpoints(
            out.times, d, exact, replace(rules, read_cv=0.0), self.design.hazard, live=live
        )
        keys = ("best_response", "best_change_pct", "pfs_days", "pfs_event", "os_days", "os_event")
        row = {k: ends[k] for k in (*keys, "extinction_day")}
        if rules.read_cv > 0:
            reads = [
                trial_endpoints(
                    out.times, d, {**exact, "read_z": z}, rules, self.design.hazard, live=live
                )
                for z in np.asarray(base["read_z"])
            ]
            row |= {f"read_{k}": tuple(r[k] for r in reads) for k in READ_KEYS}
        return row


def tertile_of(values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Tertile (0 low, 1 mid, 2 high) of each value by rank within the set (ties by order)."""
    x = np.asarray(values, dtype=float)
    ranks = np.argsort(np.argsort(x, kind="stable"), kind="stable")
    return np.minimum((3 * ranks) // max(x.size, 1), 2).astype(int)


def biopsy_pdl1_summary(rows: pd.DataFrame) -> dict[str, object]:
    """Adaptive resistance in a simulated cohort (:meth:`VirtualCohort.simulate` rows): among
    plausible patients with a best response, Spearman of the biopsy CD8 score against the
    biopsy PD-L1 (trait x IFN-gamma induction) and against the PD-L1 trait alone, the median
    and 5-95 % induction fold, and responders (CR/PR) by tertile of biopsy PD-L1 and of CD8
    score -- what the cohorts' CD8-CD274 correlation and response-by-CD274 are compared with."""
    from scipy import stats

    ok = rows[rows["plausible"] & rows["best_response"].isin(("CR", "PR", "SD", "PD"))]
    if len(ok) < 3:
        raise ValidationError(f"biopsy PD-L1 summary needs >= 3 scored patients, got {len(ok)}")
    cd8 = ok["cd8_score"].to_numpy(float)
    biopsy = ok["pdl1_biopsy"].to_numpy(float)
    fold = biopsy / ok["p_PDL1_per_C"].to_numpy(float)
    resp = ok["best_response"].isin(("CR", "PR")).to_numpy()

    def by(values: np.ndarray) -> list[tuple[int, int]]:
        ter = tertile_of(values)
        return [(int(resp[ter == k].sum()), int((ter == k).sum())) for k in range(3)]

    return {
        "patients": len(ok),
        "spearman_biopsy": float(stats.spearmanr(cd8, biopsy).statistic),
        "spearman_trait": float(stats.spearmanr(cd8, ok["p_PDL1_per_C"]).statistic),
        "induction_fold": tuple(float(np.percentile(fold, q)) for q in (5, 50, 95)),
        "responders_by_pdl1": by(biopsy),
        "responders_by_cd8": by(cd8),
    }
