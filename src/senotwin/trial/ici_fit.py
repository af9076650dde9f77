"""Calibration problem ``liu2019``: the virtual melanoma population's checkpoint response fitted
on the Liu 2019 anti-PD-1 cohort; Hugo 2016 and Riaz 2017 predicted, not fitted.

Fitted: a few *population* parameters (the centre and between-patient spread of a trait's
lognormal prior; :data:`ICI_PARAMETERS`) of the ``aged_melanoma_untreated`` context under
anti-PD-1. Data (the shipped summary extract, :mod:`senotwin.trial.ici_data`): response rate by
tertile of a CD8 expression score (model side: tertiles of the virtual patients' biopsy CD8 per
cancer cell), the RECIST best-response split (CR among responders, SD among non-responders),
PFS at 3, 6 and 12 months and OS at 12 and 24 months. The virtual cohort uses common random numbers
(:mod:`senotwin.trial.ici_cohort`), so the objective is deterministic; it is still a step
function of the parameters (counts of virtual patients), hence a derivative-free optimiser
(Nelder-Mead, multi-start). Held back, decided before any fit: Hugo 2016 and Riaz 2017
(anti-PD-1 melanoma; ORR, response by tertile, OS) and Van Allen 2015 (anti-CTLA-4 melanoma; a
cross-drug prediction with PFS). Miao 2018 (kidney) is predicted outside this problem, as a
cross-tissue test of the tissue transfer (:mod:`senotwin.trial.ici_transfer`). No library
trial's outcome enters. The virtual patients' proliferation centre is derived for every candidate
at its own immune values (:func:`senotwin.cohort.population.typical_growth`), fitted
and held-back cohorts alike.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from senotwin._errors import ValidationError, check_seed
from senotwin.analysis.endpoints import TrialRules
from senotwin.cohort.population import PopulationSpec, Prior, qsp_population, typical_growth
from senotwin.model.qsp import TISSUES
from senotwin.trial.ici_cohort import READ_KEYS, CohortDesign, VirtualCohort, tertile_of
from senotwin.trial.ici_data import cohort, km_summary, os_by_response
from senotwin.trial.spec import DAYS_PER_MONTH

if TYPE_CHECKING:
    from senotwin.calibrate.problems import NamedProblem

PROBLEM = "liu2019"
FIT_COHORT = "liu"
#: landmark months of PFS in the objective (nearly independent points of the KM curve)
PFS_LANDMARKS = (3.0, 6.0, 12.0)
#: landmark months of OS in the objective. Not 6 months: the virtual cohort's early deaths are
#: set by the piecewise-constant Liu death hazard (``trial/clinical.py``; 7.3e-5/day before
#: progression, which is first seen at the 12-week scan), not by any fitted immune quantity
#: (session 14: OS at 6 months 0.92-0.95 over k_kill 0.7-2 x N_ag centre 1.5e4-3e5, observed 0.85)
OS_LANDMARKS = (12.0, 24.0)
#: assessment calendar of the virtual cohorts: restaging every 12 weeks (assumed: the Liu
#: cohort's median time to best response is 82.5 days, per-patient TimeToBR of the shipped data);
#: 25 months of follow-up (24-month landmark). Every lesion follows the model lesion (no
#: lesion-level growth spread, no non-target progression): with the library trials' spread
#: (LESION_GROWTH_SPREAD) a lesion keeps its untreated growth deviation under immune regression,
#: so complete responses vanish (session 10: 3 CR of 58 at that refit's optimum, 24 with the
#: spread off; docs/calibration.md)
RULES = TrialRules(schedule=((1.0e9, 84.0),), follow_days=760.0)
#: the read every fit and posterior record was scored with before records stated theirs (session
#: 36): a target lesion below 2 mm recorded as gone
LEGACY_READ = {"detect_mm": 2.0}


def read_record(rules: TrialRules = RULES) -> dict[str, float]:
    """What a fit or posterior record stores of the RECIST read it was scored with: a record
    scored with another read than the current one is stale (its nllh is another objective's)."""
    return {"detect_mm": float(rules.detect_mm)}


@dataclass(frozen=True)
class PopulationParameter:
    """A fitted population quantity: the ``centre`` or ``spread`` of a lognormal prior, or a
    ``value`` shared by every patient (a model parameter that does not vary between them)."""

    parameter: str
    kind: Literal["centre", "spread", "value"]
    lower: float
    upper: float
    nominal: float
    scale: Literal["log10", "lin"]
    name: str

    @property
    def id(self) -> str:
        return f"{self.parameter}.{self.kind}"

    def to_x(self, value: float) -> float:
        return math.log10(value) if self.scale == "log10" else value

    def from_x(self, x: float) -> float:
        return 10.0**x if self.scale == "log10" else x


#: what is fitted: antigen-specific precursor frequency (mean and spread between patients) and
#: per-CTL killing (mean); bounds = the parameters' declared plausible ranges in qsp.yaml
ICI_PARAMETERS: tuple[PopulationParameter, ...] = (
    PopulationParameter(
        "N_ag",
        "centre",
        1.0e4,
        5.0e5,
        2.09e5,
        "log10",
        "median antigen-specific naive CD8 precursors (cells)",
    ),
    PopulationParameter(
        "N_ag", "spread", 0.05, 1.5, 0.4, "lin", "between-patient sigma of ln N_ag"
    ),
    PopulationParameter(
        "k_kill", "centre", 0.5, 2.0, 0.9, "log10", "median cancer cells killed per CTL per day"
    ),
    PopulationParameter(
        "r_treg",
        "centre",
        0.001,
        0.5,
        0.001,
        "log10",
        "median intratumoural Tregs per CD8 T cell (nominal 0.001: brake nearly off)",
    ),
    PopulationParameter(
        "n_reinv",
        "centre",
        0.0,
        6.0,
        0.0,
        "lin",
        "median divisions of a reinvigorated progenitor-exhausted CD8 T cell (nominal 0: none)",
    ),
    PopulationParameter(
        "k_byst",
        "value",
        1.0e-3,
        1.0,
        0.1,
        "log10",
        "maximal IFN-gamma/TNF bystander death rate of HLA class I-negative cancer cells "
        "(1/day; shared by every patient; nominal 0.1: assumed before the fit)",
    ),
    PopulationParameter(
        "k_exh",
        "value",
        0.02,
        0.5,
        0.1,
        "log10",
        "maximal exhaustion rate of CD8 T cells under sustained antigen (1/day; shared by every "
        "patient; nominal 0.1: QSP-IO's estimated k_Tcell, assumed before session 22's fit)",
    ),
)

#: held-back cohorts and the regimen each is simulated with (stated before fitting)
HELD_BACK: Mapping[str, tuple[str, str]] = {
    "hugo": ("pembrolizumab 2 mg/kg iv q21d d0-d714", "anti-PD-1, melanoma (Hugo 2016)"),
    "riaz": ("nivolumab 3 mg/kg iv q14d d0-d714", "anti-PD-1, melanoma (Riaz 2017)"),
    "van_allen": (
        "ipilimumab 3 mg/kg iv q21d d0-d63",
        "anti-CTLA-4, melanoma (Van Allen 2015): a cross-drug prediction",
    ),
}
NOT_PREDICTED: Mapping[str, str] = {
    "miao": "kidney (ccRCC): not a melanoma cohort, so not predicted by this fit's problem; "
    "it is predicted as a cross-tissue test of the trial library's tissue transfer "
    "(`senotwin trial heldback miao`)",
}
FIT_REGIMEN = "pembrolizumab 2 mg/kg iv q21d d0-d714"


def fitted_population(values: Mapping[str, float]) -> PopulationSpec:
    """The preset population with the fitted centres and spreads put into its priors."""
    base = qsp_population()
    priors = []
    for p in base.priors:
        centre = values.get(f"{p.parameter}.centre")
        spread = values.get(f"{p.parameter}.spread")
        if centre is None and spread is None:
            priors.append(p)
            continue
        priors.append(
            replace(
                p,
                spread=p.spread if spread is None else float(spread),
                centre=p.centre if centre is None else float(centre),
                rationale=f"calibrated on Liu 2019 anti-PD-1 melanoma ({PROBLEM}); {p.rationale}",
            )
        )
    return replace(base, priors=tuple(priors))


#: fitted quantities that carry over to other tissues: per-CTL killing, the proliferative burst
#: of reinvigorated progenitor-exhausted cells (both T-cell properties) and the between-patient
#: spread of antigen-specific precursors; the melanoma precursor centre does not (melanoma has
#: among the highest mutational burdens, so its antigenicity is not another tissue's), nor does
#: the Treg load as it is: both go through the tissue transfer (trial.tissue.transfer), scaled by
#: the tissue's antigenicity and its Tregs per CD8 relative to melanoma (session 18; before, the
#: Treg load was not carried at all and trial patients met the fitted kill without its brake)
TRANSFERABLE = ("k_kill.centre", "N_ag.spread", "n_reinv.centre")


def ensemble_column(pid: str) -> str:
    """Column of a fitted quantity in a liu2019 posterior ensemble TSV: transferable centres and
    shared values under the model parameter's own name (what ``--ensemble`` consumers apply),
    the other population quantities under their id."""
    base, kind = pid.split(".")
    if kind == "value" or (pid in TRANSFERABLE and kind == "centre"):
        return base
    return pid


def transferable_population(values: Mapping[str, float]) -> PopulationSpec:
    """The preset population with the transferable part of a liu2019 fit (other tissues)."""
    return fitted_population({k: v for k, v in values.items() if k in TRANSFERABLE})


def calibrated_population() -> PopulationSpec:
    """The human virtual population of the trial library: the preset population with the
    transferable part of the shipped liu2019 fit (:data:`TRANSFERABLE`)."""
    return transferable_population(stored_values())


def stored_fit() -> dict[str, Any]:
    """The shipped liu2019 fit record (``calibrate/data/ici_cohorts/fit.json``)."""
    import json
    from importlib import resources

    path = resources.files("senotwin.calibrate") / "data" / "ici_cohorts" / "fit.json"
    if not path.is_file():
        raise ValidationError(
            "no shipped liu2019 fit: run `senotwin calibrate --problem liu2019 --out DIR` and "
            "copy DIR/fit.json to calibrate/data/ici_cohorts/"
        )
    record: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return record


def stored_values() -> dict[str, float]:
    """The stored fit's best value of each fitted quantity (e.g. ``k_kill.centre``)."""
    return {p["parameter"]: float(p["best"]) for p in stored_fit()["parameters"]}


def shipped_start() -> list[dict[str, float]]:
    """The shipped optimum as a start point (empty when no fit is shipped); a quantity the
    shipped fit did not fit (one added since) starts at its nominal value."""
    try:
        params = stored_fit()["parameters"]
    except ValidationError:
        return []
    point = {p["parameter"]: float(p["best"]) for p in params}
    return [{p.id: point.get(p.id, p.nominal) for p in ICI_PARAMETERS}]


def split(values: Mapping[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """(centres, spreads) by model parameter."""
    centres = {k.split(".")[0]: v for k, v in values.items() if k.endswith(".centre")}
    spreads = {k.split(".")[0]: v for k, v in values.items() if k.endswith(".spread")}
    return centres, spreads


def shared(values: Mapping[str, float]) -> dict[str, float]:
    """Model parameter values shared by every patient (``.value`` entries)."""
    return {k.split(".")[0]: v for k, v in values.items() if k.endswith(".value")}


def _read_rows(ok: pd.DataFrame) -> pd.DataFrame:
    """One row per read of every patient (``read_*`` columns of a cohort read with error, see
    :class:`senotwin.trial.ici_cohort.CohortDesign`) in place of the exact read's endpoints."""
    cols = [f"read_{k}" for k in READ_KEYS]
    out = ok.drop(columns=[*READ_KEYS, *cols]).join(ok[cols].explode(cols))
    out = out.rename(columns={f"read_{k}": k for k in READ_KEYS})
    return out.astype({"pfs_days": float, "os_days": float, "pfs_event": bool, "os_event": bool})


def cohort_statistics(rows: pd.DataFrame, *, reads: bool = True) -> dict[str, Any]:
    """ORR, response by biopsy-CD8 tertile, PFS/OS KM summaries of simulated patients. A cohort
    read with error (``read_*`` columns; ``reads`` False ignores them) is scored over every read
    of every patient, its counts divided by the reads per patient (expected counts, fractional):
    the expectation over read errors, so a patient near a RECIST threshold counts in part."""
    ok = rows[rows["plausible"] & rows["best_response"].isin(("CR", "PR", "SD", "PD", "NE"))]
    ok = ok[ok["pfs_days"].notna()]
    if len(ok) < 3:
        raise ValidationError(f"only {len(ok)} plausible virtual patients ran: cannot score")
    ok = ok.assign(tertile=tertile_of(ok["cd8_score"].to_numpy()))
    per = 1
    if reads and "read_best_response" in ok.columns:
        per = len(ok["read_best_response"].iloc[0])
        ok = _read_rows(ok)

    def count(mask: np.ndarray) -> int | float:
        return int(mask.sum()) if per == 1 else float(mask.sum()) / per

    resp = ok["best_response"].isin(("CR", "PR")).to_numpy()
    ter = ok["tertile"].to_numpy()
    return {
        "n": len(ok) // per,
        "excluded": len(rows) - len(ok) // per,
        "recist": {
            r: count((ok["best_response"] == r).to_numpy()) for r in ("CR", "PR", "SD", "PD")
        },
        "orr": float(resp.mean()),
        "tertiles": [
            {"tertile": k, "responders": count(resp[ter == k]), "n": int((ter == k).sum()) // per}
            for k in range(3)
        ],
        "pfs": km_summary(
            ok["pfs_days"].to_numpy(float) / DAYS_PER_MONTH, ok["pfs_event"].to_numpy(float)
        ),
        "os": km_summary(
            ok["os_days"].to_numpy(float) / DAYS_PER_MONTH, ok["os_event"].to_numpy(float)
        ),
        "os_by_response": os_by_response(
            ok["best_response"].to_numpy(object),
            ok["os_days"].to_numpy(float) / DAYS_PER_MONTH,
            ok["os_event"].to_numpy(float),
        ),
    }


def survival_at(summary: Mapping[str, Any], month: float) -> float:
    """KM survival at ``month`` from a :func:`km_summary` (landmark months only)."""
    for lm in summary["landmarks"]:
        if abs(lm["month"] - month) < 1e-9:
            return float(lm["survival"])
    raise ValidationError(f"no KM landmark at {month} months")


#: how the virtual patients' proliferation centre is set (the fit record's provenance)
GROWTH_RULE = (
    "k_grow stays derived, now per candidate: the population's k_grow centre is the tissue's rate "
    "derived (sim.tissue_growth.derive_k_grow) at each evaluated set's typical patient (its "
    "centres and shared values), so the typical untreated lesion doubles in the cited time; "
    "before session 18 it was the tissue rate derived at qsp.yaml's immune values"
)


def growth_record(
    cohort: VirtualCohort, centres: Mapping[str, float], fixed: Mapping[str, float]
) -> dict[str, Any] | None:
    """JSON record of the proliferation centre ``cohort`` derives at these values (None: not
    derived) beside its tissue's shipped rate."""
    growth = typical_growth(
        cohort.population, cohort.tissue, {**centres, **fixed}, baseline=cohort.design.baseline
    )
    if growth is None or cohort.tissue is None:
        return None
    tissue = TISSUES[cohort.tissue]
    return {
        "tissue": tissue.name,
        "k_grow": growth,
        "cited_days": tissue.doubling_days,
        "tissue_value": tissue.k_grow,
    }


def _binomial_deviance(r: int, n: int, p: float) -> float:
    """G^2 = 2 [r ln(r / np) + (n - r) ln((n - r) / n(1 - p))] (0 ln 0 = 0)."""
    return _multinomial_deviance((r, n - r), (p, 1.0 - p))


def _multinomial_deviance(counts: Sequence[int], p: Sequence[float]) -> float:
    """G^2 = 2 sum_k o_k ln(o_k / (N p_k)) of observed ``counts`` against shares ``p``
    (0 ln 0 = 0)."""
    n = sum(counts)
    return 2.0 * sum(o * math.log(o / (n * q)) for o, q in zip(counts, p, strict=True) if o > 0)


def _landmark_terms(sim: Mapping[str, Any], obs: Mapping[str, Any], ep: str) -> dict[str, float]:
    """((S_sim - S_obs) / Greenwood SE)^2 at the objective's landmarks of ``ep`` (SE floored at
    0.02) where the observed curve reaches them."""
    months = PFS_LANDMARKS if ep == "pfs" else OS_LANDMARKS
    out: dict[str, float] = {}
    for m in months:
        lm = next((x for x in obs[ep]["landmarks"] if abs(x["month"] - m) < 1e-9), None)
        if lm is not None:
            z = (survival_at(sim[ep], m) - lm["survival"]) / max(lm["se"], 0.02)
            out[f"{ep}_{m:g}m"] = z * z
    return out


def _pd_os_terms(sim: Mapping[str, Any], obs: Mapping[str, Any]) -> dict[str, float]:
    """The OS landmarks of :data:`OS_LANDMARKS` within the patients recorded PD, scored as
    :func:`_landmark_terms` (session 19, pre-registered): a fit whose progressing patients are
    later eradicated and live on at the pre-progression death rate misses the observed PD
    group's deaths. No term where either side has no PD patient with OS (the RECIST terms
    already score a PD-less cohort)."""
    s, o = sim.get("os_by_response", {}).get("PD"), obs.get("os_by_response", {}).get("PD")
    if s is None or o is None:
        return {}
    return {f"pd_{k}": v for k, v in _landmark_terms({"os": s}, {"os": o}, "os").items()}


def _recist_terms(sim: Mapping[str, Any], obs: Mapping[str, Any]) -> dict[str, float]:
    """The RECIST best-response split beyond responder vs not (which the tertile terms count):
    CR among CR + PR and SD among SD + PD, binomial G^2 with the simulated share shrunk by
    0.5 / 1. With the responder binomial they make the multinomial deviance of the four
    counts (exactly so without the shrinkage)."""
    s, o = sim["recist"], obs["recist"]
    out = {}
    for name, (a, b) in (
        ("recist_cr_of_responders", ("CR", "PR")),
        ("recist_sd_of_nonresp", ("SD", "PD")),
    ):
        p = (s[a] + 0.5) / (s[a] + s[b] + 1.0)
        out[name] = _binomial_deviance(o[a], o[a] + o[b], p)
    return out


def goodness(sim: Mapping[str, Any], obs: Mapping[str, Any]) -> dict[str, Any]:
    """Deviance terms of simulated vs observed: response by tertile (binomial G^2, simulated
    share shrunk by 0.5 / 1 so that 0 and 1 stay finite), the RECIST split within responders
    and non-responders (:func:`_recist_terms`), PFS and OS landmarks ((S_sim - S_obs) /
    Greenwood SE)^2 where the cohort has them, the same OS landmarks within the PD patients
    (:func:`_pd_os_terms`); ``nllh`` = half their sum."""
    terms: dict[str, float] = {}
    if "recist" in obs:  # a survival-only cohort (padron) scores its landmarks alone
        for ts, to in zip(sim["tertiles"], obs["cd8_score"]["tertiles"], strict=True):
            p = (ts["responders"] + 0.5) / (ts["n"] + 1.0)
            terms[f"tertile{to['tertile']}"] = _binomial_deviance(to["responders"], to["n"], p)
        terms |= _recist_terms(sim, obs)
    for ep in ("pfs", "os"):
        if ep in obs:
            terms |= _landmark_terms(sim, obs, ep)
    terms |= _pd_os_terms(sim, obs)
    return {"terms": terms, "deviance": sum(terms.values()), "nllh": 0.5 * sum(terms.values())}


#: reads per patient of the smoothed objective (``IciObjective(read_cv=...)``): the expectation
#: over read errors by 32 fixed draws per patient (session 25 prototype; not the shipped fit's)
SMOOTH_READS = 32


class IciObjective:
    """nllh of the Liu fit as a function of the log/lin-scaled parameter vector (cached).
    ``read_cv`` > 0 (prototype, session 25; the shipped fit uses 0): every target diameter is
    read with that measurement error, ``reads`` times per patient, and the statistics are the
    expectation over the reads (:func:`cohort_statistics`), so one patient crossing a RECIST
    threshold moves them gradually instead of by a whole count. ``detect_mm``: the read's
    'recorded as gone' size in place of :data:`RULES`' (its profile, session 36)."""

    def __init__(
        self,
        n: int = 150,
        seed: int = 0,
        parameters: Sequence[PopulationParameter] = ICI_PARAMETERS,
        *,
        read_cv: float = 0.0,
        reads: int = SMOOTH_READS,
        detect_mm: float | None = None,
    ) -> None:
        if not (math.isfinite(read_cv) and 0.0 <= read_cv < 1.0):
            raise ValidationError(f"read_cv = {read_cv!r}; allowed: 0 <= read_cv < 1")
        self.parameters = tuple(parameters)
        self.target = cohort(FIT_COHORT)
        rules = replace(RULES, read_cv=read_cv)
        if detect_mm is not None:
            rules = replace(rules, detect_mm=detect_mm)
        design = CohortDesign(
            regimen=FIT_REGIMEN, n=n, seed=seed, rules=rules, reads=reads if read_cv else 1
        )
        self.cohort = VirtualCohort(design)
        self.evaluations = 0
        self._cache: dict[tuple[float, ...], float] = {}

    def values(self, x: Sequence[float] | np.ndarray) -> dict[str, float]:
        return {p.id: p.from_x(float(v)) for p, v in zip(self.parameters, x, strict=True)}

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        lo = np.array([p.to_x(p.lower) for p in self.parameters])
        hi = np.array([p.to_x(p.upper) for p in self.parameters])
        return lo, hi

    def statistics(self, values: Mapping[str, float]) -> dict[str, Any]:
        centres, spreads = split(values)
        return cohort_statistics(self.cohort.simulate(centres, spreads, shared(values)))

    def growth(self, values: Mapping[str, float]) -> dict[str, Any] | None:
        """The derived proliferation centre the cohort meets at ``values``."""
        return growth_record(self.cohort, split(values)[0], shared(values))

    def __call__(self, x: Sequence[float] | np.ndarray) -> float:
        lo, hi = self.bounds()
        xc = np.clip(np.asarray(x, dtype=float), lo, hi)
        penalty = float(np.sum((np.asarray(x) - xc) ** 2)) * 1e3  # outside the bounds
        key = tuple(np.round(xc, 10))
        if key not in self._cache:  # the clipped point's own nllh, without any point's penalty
            self.evaluations += 1
            self._cache[key] = self._nllh(xc)
        return self._cache[key] + penalty

    def _nllh(self, xc: np.ndarray) -> float:
        """The nllh of a point inside the bounds (uncached)."""
        return float(goodness(self.statistics(self.values(xc)), self.target)["nllh"])

    def close(self) -> None:
        """Nothing to stop (one cohort, this process); :class:`MeanObjective` stops its own."""

    def __enter__(self) -> IciObjective:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _cohort_server(conn: Any, n: int, seed: int, parameters: Sequence[PopulationParameter]) -> None:
    """One cohort's nllh on demand (a forked process): receives a vector, sends its nllh, or
    the exception that stopped it (re-raised by the caller, which would otherwise wait)."""
    obj = IciObjective(n=n, seed=seed, parameters=parameters)
    while (x := conn.recv()) is not None:
        try:
            conn.send(float(obj(x)))
        except Exception as exc:  # any failure goes back to the caller
            conn.send(exc)


class MeanObjective(IciObjective):
    """The mean nllh over several same-size cohorts (common random numbers per seed, one forked
    process each): the optimum no single cohort's noise places (session 32: the seed-0 optimum
    is not the four-cohort minimum). Statistics and growth are the first seed's cohort's.
    ``close()`` (or ``with``) stops the processes."""

    def __init__(
        self,
        n: int,
        seeds: Sequence[int],
        parameters: Sequence[PopulationParameter] = ICI_PARAMETERS,
    ) -> None:
        if len(seeds) < 2 or len(set(seeds)) != len(seeds):
            raise ValidationError(f"seeds {list(seeds)!r}: need two or more distinct seeds")
        super().__init__(n=n, seed=seeds[0], parameters=parameters)
        self.seeds = tuple(int(s) for s in seeds)
        import multiprocessing as mp

        ctx = mp.get_context("fork")
        self._conns = []
        for seed in self.seeds:
            here, there = ctx.Pipe()
            ctx.Process(
                target=_cohort_server, args=(there, n, seed, self.parameters), daemon=True
            ).start()
            there.close()  # the child's end: a dead child then ends recv() with EOFError
            self._conns.append(here)

    def _nllh(self, xc: np.ndarray) -> float:
        """The mean of the cohorts' nllh (clipping, penalty and cache as IciObjective)."""
        for conn in self._conns:
            conn.send(xc)
        got = [conn.recv() for conn in self._conns]
        for value in got:
            if isinstance(value, BaseException):
                raise value
        return float(np.mean(got))

    def close(self) -> None:
        for conn in self._conns:
            conn.send(None)
        self._conns = []


def record_objective(record: Mapping[str, Any]) -> IciObjective:
    """The objective a fit record was fitted on: the mean over its ``seeds`` (since session 34,
    ms4) or its one ``seed``'s cohort; use it with ``with`` (the mean's processes stop on exit)."""
    n, seeds = int(record["virtual_patients"]), [int(s) for s in record.get("seeds", ())]
    return MeanObjective(n, seeds) if seeds else IciObjective(n=n, seed=int(record["seed"]))


@dataclass(frozen=True)
class IciFit:
    """Best values, every start's result, conditional intervals, goodness and predictions."""

    values: dict[str, float]
    nllh: float
    starts: list[dict[str, Any]]
    intervals: dict[str, tuple[float | None, float | None]]
    fitted: dict[str, Any]
    predictions: dict[str, dict[str, Any]]
    evaluations: int
    seconds: float
    n: int
    seed: int
    seeds: tuple[int, ...] = ()  # the cohorts whose mean nllh was fitted (none: ``seed``'s)


def start_vector(
    point: Mapping[str, float], parameters: Sequence[PopulationParameter] = ICI_PARAMETERS
) -> np.ndarray:
    """A start point (values keyed by parameter id, e.g. ``k_kill.centre``) on the fit's scales,
    clipped to the bounds; a missing or non-positive log-scaled value is refused by name."""
    out = []
    for p in parameters:
        if p.id not in point:
            raise ValidationError(
                f"start point lacks {p.id!r}; a liu2019 start needs {[q.id for q in parameters]}"
            )
        v = float(point[p.id])
        if p.scale == "log10" and not v > 0:
            raise ValidationError(f"start point {p.id} = {v!r}: must be > 0 (fitted on log10)")
        out.append(min(max(p.to_x(v), p.to_x(p.lower)), p.to_x(p.upper)))
    return np.array(out)


def _lhs(k: int, lo: np.ndarray, hi: np.ndarray, seed: int) -> np.ndarray:
    sampler = stats.qmc.LatinHypercube(d=lo.size, seed=seed)
    return np.asarray(lo + sampler.random(k) * (hi - lo))


def scan_interval(
    objective: IciObjective, x_best: np.ndarray, best: float, k: int, points: int = 9
) -> tuple[float | None, float | None]:
    """Conditional 95 % interval of parameter ``k`` (others at the optimum): where the nllh
    rises by chi2_1(0.95)/2 = 1.92 along a 1-D scan to each bound; None = not crossed (open)."""
    lo, hi = objective.bounds()
    p = objective.parameters[k]
    out: list[float | None] = []
    for end in (lo[k], hi[k]):
        found: float | None = None
        for t in np.linspace(0.0, 1.0, points)[1:]:
            x = x_best.copy()
            x[k] = x_best[k] + t * (end - x_best[k])
            if objective(x) - best > 1.92:
                found = p.from_x(float(x[k]))
                break
        out.append(found)
    return out[0], out[1]


def predict(
    values: Mapping[str, float], name: str, *, n: int = 150, seed: int = 1
) -> dict[str, Any]:
    """Simulated vs observed for a held-back cohort (no refit): ORR, response by tertile,
    median PFS/OS, and the deviance terms."""
    if name not in HELD_BACK:
        raise ValidationError(f"cohort {name!r} is not held back; held back: {list(HELD_BACK)}")
    regimen, what = HELD_BACK[name]
    centres, spreads = split(values)
    vc = VirtualCohort(CohortDesign(regimen=regimen, n=n, seed=seed, rules=RULES))
    sim = cohort_statistics(vc.simulate(centres, spreads, shared(values)))
    out = compare_cohort(sim, cohort(name), what, regimen)
    out["k_grow_centre"] = growth_record(vc, centres, shared(values))
    return out


def landmark_pairs(sim: Mapping[str, Any], obs: Mapping[str, Any]) -> list[dict[str, float]]:
    """Simulated and observed survival at each landmark month both curves report, with the
    observed Greenwood SE and its 95 % band (clipped to 0-1): the tail a median hides (a
    durable-response plateau shows here)."""
    by_month = {float(lm["month"]): lm for lm in sim.get("landmarks", [])}
    return [
        {
            "month": float(lm["month"]),
            "sim": float(by_month[float(lm["month"])]["survival"]),
            "obs": float(lm["survival"]),
            "obs_se": float(lm["se"]),
            "obs_low": max(float(lm["survival"]) - 1.96 * float(lm["se"]), 0.0),
            "obs_high": min(float(lm["survival"]) + 1.96 * float(lm["se"]), 1.0),
        }
        for lm in obs.get("landmarks", [])
        if float(lm["month"]) in by_month
    ]


def compare_cohort(
    sim: Mapping[str, Any], obs: Mapping[str, Any], what: str, regimen: str
) -> dict[str, Any]:
    """Simulated cohort statistics beside an observed cohort's (ORR, tertiles, RECIST counts,
    medians with their errors and the goodness of fit): the record of a fitted or held-back
    cohort, used by the liu2019 fit and the cross-tissue held-back predictions. A cohort without
    RECIST (``not_comparable`` in its extract, e.g. padron) is compared on PFS and OS only; its
    simulated response is kept, marked not comparable with the extract's reasons."""
    out: dict[str, Any] = {"what": what, "regimen": regimen, "orr_sim": sim["orr"]}
    if "recist" in obs:
        out |= {
            "orr_obs": obs["orr"],
            "orr_error": sim["orr"] - obs["orr"],
            "tertile_orr_sim": [t["responders"] / max(t["n"], 1) for t in sim["tertiles"]],
            "tertile_orr_obs": [
                t["responders"] / max(t["n"], 1) for t in obs["cd8_score"]["tertiles"]
            ],
            "recist_sim": sim["recist"],
            "recist_obs": obs["recist"],
            "n_sim": sim["n"],
            "n_obs": obs["recist_evaluable"],
        }
    else:
        out |= {
            "recist_sim": sim["recist"],
            "n_sim": sim["n"],
            "n_obs": obs["patients"],
            "not_comparable": dict(obs["not_comparable"]),
        }
    for ep in ("pfs", "os"):
        med_sim = sim[ep]["median_months"]
        out[f"median_{ep}_sim"] = med_sim
        if ep in obs:
            med_obs = obs[ep]["median_months"]
            out[f"median_{ep}_obs"] = med_obs
            out[f"median_{ep}_obs_ci"] = obs[ep]["median_ci"]
            out[f"median_{ep}_error"] = (
                None if med_sim is None or med_obs is None else med_sim - med_obs
            )
            out[f"landmarks_{ep}"] = landmark_pairs(sim[ep], obs[ep])
    out["goodness"] = goodness(sim, obs)
    out["sim"] = sim
    return out


def drawn_text(prediction: Mapping[str, Any]) -> str:
    """How a prediction's simulated patients relate to those drawn: '' when none was left out,
    else ' of N drawn; K left out by the plausibility filter ...' (read after the count)."""
    left_out = int(prediction.get("sim", {}).get("excluded", 0))
    if not left_out:
        return ""
    return (
        f" of {prediction['n_sim'] + left_out} drawn; {left_out} left out by the plausibility "
        "filter (untreated doubling 15-730 days) or without a result"
    )


def nelder_mead(
    obj: IciObjective, x0: np.ndarray, *, max_evaluations: int, step: float = 0.15
) -> np.ndarray:
    """Nelder-Mead from ``x0`` with an initial simplex of ``step`` x each bound's width (each
    vertex stepping towards the far bound); the result clipped to the bounds (fit_ici's local
    search, also the liu2019 refit's polish with a smaller step)."""
    lo, hi = obj.bounds()
    simplex = np.array(
        [x0]
        + [
            x0
            + np.eye(x0.size)[j] * step * (hi - lo)[j] * (1 if x0[j] < (lo[j] + hi[j]) / 2 else -1)
            for j in range(x0.size)
        ]
    )
    res = optimize.minimize(
        obj,
        x0,
        method="Nelder-Mead",
        options={
            "initial_simplex": simplex,
            "maxfev": max_evaluations,
            "xatol": 1e-3,
            "fatol": 1e-3,
        },
    )
    return np.asarray(np.clip(res.x, lo, hi))


def fit_ici(
    *,
    starts: int = 4,
    seed: int = 0,
    n: int = 150,
    max_evaluations: int = 60,
    predict_n: int = 150,
    scan_points: int = 9,
    initial: Sequence[Mapping[str, float]] = (),
    progress: Any = None,
    seeds: Sequence[int] = (),
) -> IciFit:
    """Multi-start Nelder-Mead (nominal, then each point of ``initial`` -- e.g. the shipped
    optimum or a posterior draw, keyed by parameter id -- then ``starts`` Latin-hypercube starts)
    on the Liu data, conditional intervals, the fitted cohort's statistics and the held-back
    predictions. ``seeds`` (two or more) fits the mean nllh over those cohorts instead of
    ``seed``'s (:class:`MeanObjective`; the statistics are the first seed's cohort's)."""
    check_seed(seed)
    if starts < 0 or n < 9 or max_evaluations < 2 or scan_points < 2:
        raise ValidationError("need starts >= 0, n >= 9, max_evaluations >= 2 and scan_points >= 2")
    if seeds:
        with MeanObjective(n, seeds) as mean:
            return _fit(
                mean,
                starts,
                seeds[0],
                n,
                max_evaluations,
                predict_n,
                scan_points,
                initial,
                progress,
            )
    obj = IciObjective(n=n, seed=seed)
    return _fit(obj, starts, seed, n, max_evaluations, predict_n, scan_points, initial, progress)


def _fit(
    obj: IciObjective,
    starts: int,
    seed: int,
    n: int,
    max_evaluations: int,
    predict_n: int,
    scan_points: int,
    initial: Sequence[Mapping[str, float]],
    progress: Any,
) -> IciFit:
    """fit_ici's work on a built objective (one cohort or the mean over several)."""
    t0 = time.perf_counter()
    lo, hi = obj.bounds()
    nominal = np.array([p.to_x(p.nominal) for p in obj.parameters])
    given = [start_vector(point, obj.parameters) for point in initial]
    x0s = [nominal, *given, *(_lhs(starts, lo, hi, seed) if starts else [])]
    results: list[dict[str, Any]] = []
    for k, x0 in enumerate(x0s):
        xb = nelder_mead(obj, x0, max_evaluations=max_evaluations)
        results.append({"start": k, "nllh": float(obj(xb)), "x": xb, "values": obj.values(xb)})
        if progress is not None:
            progress(f"start {k}: nllh {results[-1]['nllh']:.3f}")
    results.sort(key=lambda r: r["nllh"])
    best = results[0]
    intervals = {
        p.id: scan_interval(obj, best["x"], best["nllh"], j, scan_points)
        for j, p in enumerate(obj.parameters)
    }
    values = best["values"]
    fitted = compare_cohort(obj.statistics(values), obj.target, "fitted: Liu 2019", FIT_REGIMEN)
    nominal_stats = compare_cohort(
        obj.statistics(obj.values(nominal)),
        obj.target,
        "nominal (before the fit): Liu 2019",
        FIT_REGIMEN,
    )
    fitted["k_grow_centre"] = obj.growth(values)
    nominal_stats["k_grow_centre"] = obj.growth(obj.values(nominal))
    fitted["nominal"] = nominal_stats
    preds = {name: predict(values, name, n=predict_n) for name in HELD_BACK}
    return IciFit(
        values=values,
        nllh=best["nllh"],
        starts=[{k: v for k, v in r.items() if k != "x"} for r in results],
        intervals=intervals,
        fitted=fitted,
        predictions=preds,
        evaluations=obj.evaluations,
        seconds=time.perf_counter() - t0,
        n=n,
        seed=seed,
        seeds=obj.seeds if isinstance(obj, MeanObjective) else (),
    )


REFERENCE = (
    "Liu D et al. Nat Med 2019;25:1916 (fitted); Hugo W et al. Cell 2016;165:35, Riaz N et al. "
    "Cell 2017;171:934, Van Allen EM et al. Science 2015;350:207 (held back); per-patient data "
    "as curated by PredictioR, shipped as summary numbers only (calibrate/data/ici_cohorts)"
)
DESCRIPTION = (
    "virtual melanoma population under anti-PD-1 (N_ag centre and spread; k_kill, r_treg, n_reinv "
    "centres; shared bystander rate k_byst and exhaustion rate k_exh) fitted to Liu 2019 response "
    "by CD8 tertile and PFS; "
    "Hugo 2016, Riaz 2017, Van Allen 2015 predicted"
)


def _no_petab() -> Any:
    raise ValidationError(
        f"{PROBLEM} is a simulated-cohort problem (summary statistics of a virtual cohort), not "
        "a PEtab problem: run it with `senotwin calibrate --problem liu2019`"
    )


def summary(fit: IciFit) -> dict[str, Any]:
    """JSON-ready record of a fit (what ``calibrate --problem liu2019`` prints and stores)."""
    params = []
    for p in ICI_PARAMETERS:
        lo, hi = fit.intervals[p.id]
        params.append(
            {
                "parameter": p.id,
                "name": p.name,
                "best": fit.values[p.id],
                "nominal": p.nominal,
                "lower_bound": p.lower,
                "upper_bound": p.upper,
                "ci_low": lo,
                "ci_high": hi,
                "interval": "conditional (others at the optimum), delta nllh 1.92",
            }
        )
    from senotwin.model.scenarios import get_scenario

    return {
        "problem": PROBLEM,
        "model_digest": get_scenario(CohortDesign().scenario).load().numbers_digest(),
        "read": read_record(),
        "fitted_cohort": FIT_COHORT,
        "held_back": {k: v[1] for k, v in HELD_BACK.items()},
        "not_predicted": dict(NOT_PREDICTED),
        "virtual_patients": fit.n,
        "seed": fit.seed,
        **({"seeds": list(fit.seeds)} if fit.seeds else {}),
        "k_grow": GROWTH_RULE,
        "nllh": fit.nllh,
        "evaluations": fit.evaluations,
        "seconds": fit.seconds,
        "starts": fit.starts,
        "parameters": params,
        "fitted": fit.fitted,
        "predictions": fit.predictions,
    }


def run_problem(
    *,
    starts: int = 1,
    seed: int = 0,
    out: Any = None,
    n: int = 1000,
    max_evaluations: int = 30,
    predict_n: int = 90,
    scan_points: int = 5,
    initial: Sequence[Mapping[str, float]] | None = None,
    progress: Any = None,
    seeds: Sequence[int] = (),
) -> dict[str, Any]:
    """Fit, predict and (with ``out``) write fit.json and figure.png (defaults: the shipped fit's
    1000 virtual patients -- at 60 and 240 the optimum fitted its own cohort's luck, sessions 21
    and 25 -- and 30 evaluations per start, about 6-9 s per evaluation).
    ``initial`` None starts from the shipped optimum too (a refit never ignores it)."""
    from pathlib import Path

    from senotwin._io import atomic_write_bytes, atomic_write_text

    fit = fit_ici(
        starts=starts,
        seed=seed,
        n=n,
        max_evaluations=max_evaluations,
        predict_n=predict_n,
        scan_points=scan_points,
        initial=shipped_start() if initial is None else initial,
        progress=progress,
        seeds=seeds,
    )
    record = summary(fit)
    if out is not None:
        d = Path(out)
        d.mkdir(parents=True, exist_ok=True)
        atomic_write_text(d / "fit.json", json_text(record))
        atomic_write_bytes(d / "figure.png", figure_png(record))
    return record


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON: {type(value).__name__}")


def json_text(record: Mapping[str, Any]) -> str:
    """A fit record as indented JSON (numpy scalars as numbers)."""
    import json

    return json.dumps(record, indent=1, default=_plain) + "\n"


def _wilson(k: int, n: int) -> tuple[float, float]:
    if n == 0:
        return (math.nan, math.nan)
    z, p = 1.96, k / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (c - h, c + h)


def figure_png(record: Mapping[str, Any]) -> bytes:
    """Simulated vs observed: PFS and OS at landmark months (observed +/- 1.96 Greenwood SE)
    and response rate by CD8-score tertile (observed with Wilson 95 % intervals), for the
    fitted cohort and every held-back one."""
    from io import BytesIO

    from matplotlib import rcParams
    from matplotlib.figure import Figure

    rows = [("liu (fitted)", record["fitted"], cohort(FIT_COHORT))]
    rows += [(f"{k} (predicted)", v, cohort(k)) for k, v in record["predictions"].items()]
    colours = rcParams["axes.prop_cycle"].by_key()["color"]
    fig = Figure(figsize=(15, 4.6))
    axes = fig.subplots(1, 3)
    for ax, ep in zip(axes[:2], ("pfs", "os"), strict=True):
        for c, (label, rec, obs) in enumerate(rows):
            col = colours[c % len(colours)]
            sim = rec["sim"][ep]["landmarks"]
            ax.step(
                [0] + [lm["month"] for lm in sim],
                [1] + [lm["survival"] for lm in sim],
                where="post",
                color=col,
                label=f"{label}: simulated",
            )
            if ep in obs:
                lms = obs[ep]["landmarks"]
                ax.errorbar(
                    [lm["month"] for lm in lms],
                    [lm["survival"] for lm in lms],
                    yerr=[1.96 * lm["se"] for lm in lms],
                    fmt="o",
                    color=col,
                    capsize=2,
                    label=f"{label}: observed",
                )
        ax.set_xlabel("months")
        ax.set_ylabel(f"{ep.upper()} (Kaplan-Meier)")
        ax.set_ylim(0, 1.05)
        ax.legend(fontsize=6)
    ax = axes[2]
    width = 0.8 / len(rows)
    for c, (label, rec, obs) in enumerate(rows):
        col = colours[c % len(colours)]
        x = np.arange(3) + (c - (len(rows) - 1) / 2) * width
        ax.bar(
            x,
            rec["tertile_orr_sim"],
            width * 0.9,
            color=col,
            alpha=0.45,
            label=f"{label}: simulated",
        )
        tert = obs["cd8_score"]["tertiles"]
        lo_hi = [_wilson(t["responders"], t["n"]) for t in tert]
        y = [t["responders"] / t["n"] for t in tert]
        ax.errorbar(
            x,
            y,
            yerr=[
                [yy - a for yy, (a, _) in zip(y, lo_hi, strict=True)],
                [b - yy for yy, (_, b) in zip(y, lo_hi, strict=True)],
            ],
            fmt="o",
            color=col,
            capsize=2,
            label=f"{label}: observed",
        )
    ax.set_xticks(range(3), ["low", "mid", "high"])
    ax.set_xlabel("CD8 tertile\n(data: expression score; model: biopsy CD8 per cancer cell)")
    ax.set_ylabel("response rate (CR + PR)")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=6)
    fig.tight_layout()
    buf = BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()


def named_problem() -> NamedProblem:
    """``liu2019`` as a calibration-problem record: fits itself, has no PEtab form. The package
    root adds it to ``senotwin.calibrate.problems.PROBLEMS`` with the shipped data sets."""
    from senotwin.calibrate.problems import NamedProblem

    return NamedProblem(PROBLEM, _no_petab, DESCRIPTION, REFERENCE, run_problem)


def register() -> None:
    """Put ``liu2019`` back in the calibration-problem registry if it was unregistered
    (idempotent; no longer needed first: it is registered with the built-ins)."""
    from senotwin.calibrate.problems import problem_names, register_problem

    if PROBLEM not in problem_names():
        register_problem(named_problem())


__all__ = [
    "HELD_BACK",
    "ICI_PARAMETERS",
    "NOT_PREDICTED",
    "IciFit",
    "IciObjective",
    "Prior",
    "ensemble_column",
    "fit_ici",
    "fitted_population",
    "nelder_mead",
    "predict",
]
