"""Virtual populations: parameter priors, correlated immune-aging traits, plausibility filter.

A virtual patient is a set of parameter values drawn around a scenario (tissue, host age and
inducer contexts set the centres) from priors bounded by each parameter's plausible range. Immune
aging traits are drawn jointly (Gaussian copula) because they share one cause in a host. A
candidate is kept only if its *untreated* course is plausible (tumour volume doubling time and
immune composition within stated bounds); rejected candidates are redrawn from the patient's own
random stream, so patient ``i`` is the same whatever worker or chunk computes it.
Optionally, :func:`inclusion_mask` selects from a plausible pool so that an observable follows a
target distribution (probability of inclusion, Allen et al. CPT Pharmacometrics Syst Pharmacol
2016;5:140).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from numbers import Real
from typing import TYPE_CHECKING, Literal

import numpy as np
from scipy import special, stats

from senotwin._errors import ValidationError, check_type
from senotwin.cohort.baseline import (
    BaselineDisease,
    baseline_overrides,
    draw_baseline,
    selection_weights,
)
from senotwin.model.spec import ModelSpec
from senotwin.sim.options import SolverOptions
from senotwin.sim.simulate import simulate
from senotwin.sim.tissue_growth import growth_at

if TYPE_CHECKING:
    from senotwin.cohort.plausible_fast import FastPlausibility

Distribution = Literal["lognormal", "loguniform", "uniform"]


@dataclass(frozen=True)
class Prior:
    """How one parameter varies between patients.

    ``lognormal``: median = ``centre`` or else the scenario value, ``spread`` = sigma of
    ln(value) (about the coefficient of variation for spread <= 0.4). ``loguniform``/``uniform``:
    over [low, high]. Values are truncated to [low, high], which default to the parameter's
    plausible range.
    """

    parameter: str
    distribution: Distribution = "lognormal"
    spread: float = 0.3
    low: float | None = None
    high: float | None = None
    rationale: str = ""
    centre: float | None = None  # lognormal median; None = the scenario's value (calibrated)

    def __post_init__(self) -> None:
        if self.centre is not None and not (math.isfinite(self.centre) and self.centre >= 0):
            raise ValidationError(
                f"prior of {self.parameter}: centre must be a number >= 0 (0: the trait is off "
                f"in every patient), got {self.centre}"
            )
        if self.distribution not in ("lognormal", "loguniform", "uniform"):
            raise ValidationError(
                f"prior of {self.parameter}: unknown distribution {self.distribution!r} "
                "(allowed: lognormal, loguniform, uniform)"
            )
        if not (math.isfinite(self.spread) and self.spread >= 0):
            raise ValidationError(f"prior of {self.parameter}: spread must be >= 0")


@dataclass(frozen=True)
class Correlation:
    """Correlation (on the copula's normal scale) between two varied parameters, and why."""

    a: str
    b: str
    rho: float
    rationale: str

    def __post_init__(self) -> None:
        if not -1.0 < self.rho < 1.0:
            raise ValidationError(f"correlation {self.a}~{self.b}: rho must lie in (-1, 1)")


@dataclass(frozen=True)
class Plausibility:
    """Bounds on untreated behaviour that every virtual patient must satisfy.

    ``untreated_params``/``untreated_initial`` remove the inducer (no therapy, no stress) so the
    check sees the natural course. ``doubling_days``: untreated tumour-volume doubling time
    measured over ``days`` (NSCLC volume-doubling times span ~1 month to > 1 year: Detterbeck &
    Gibson, J Thorac Oncol 2008;3:781); a shrinking tumour is implausible for a patient who
    presents with cancer. ``bounds``: (observable, low, high) at day ``days``.
    """

    days: float = 56.0
    doubling_days: tuple[float, float] = (15.0, 730.0)
    bounds: tuple[tuple[str, float, float], ...] = (("effector_suppressor_ratio", 0.2, 5.0),)
    burden: str = "tumour_burden"
    untreated_params: tuple[tuple[str, float], ...] = (("stress_src", 0.0),)
    untreated_initial: tuple[tuple[str, float], ...] = (("stress", 0.0),)
    max_tries: int = 50

    def __post_init__(self) -> None:
        lo, hi = self.doubling_days
        if not 0 < lo < hi:
            raise ValidationError(
                f"plausibility: doubling_days must be 0 < low < high, got {lo, hi}"
            )
        if self.days <= 0 or self.max_tries < 1:
            raise ValidationError("plausibility: days must be > 0 and max_tries >= 1")


#: the largest selection pool drawn at once (each pool patient's baseline is held in memory,
#: about 3.5 kB and 0.2 ms each: 1,000,000 is about 3.5 GB and 3.5 minutes)
MAX_SELECTION_POOL = 1_000_000


def select_population(
    pop: PopulationSpec, n: int, *, seed: int, oversample: int = 20, max_pool: int = 200_000
) -> PopulationSpec:
    """Probability-of-inclusion selection of ``n`` trial patients from a drawn pool.

    Pool patient ``i`` uses stream ``patient_rng(seed, i)`` (its baseline is the first thing
    drawn from it), is kept with probability weight_i / max(weight) and the first ``n`` kept make
    the cohort. The selected pool indices and the acceptance rate go into the manifest.
    """
    bd = pop.baseline
    if bd is None:
        raise ValidationError("selection needs a population with a trial baseline (baseline=...)")
    if n < 1:
        raise ValidationError(f"selection needs n >= 1, got {n}")
    size = max(n * oversample, 200)
    if size > MAX_SELECTION_POOL:
        raise ValidationError(
            f"selecting n = {n:,} trial patients draws a pool of {size:,} ({oversample} per "
            f"patient), held in memory: at most {MAX_SELECTION_POOL // oversample:,} patients per "
            "selected cohort (run several seeds for more)"
        )
    while True:
        pool = [draw_baseline(bd, patient_rng(seed, i)) for i in range(size)]
        w = selection_weights(bd, pool)
        p = w / w.max()
        keep = np.nonzero(np.random.default_rng([seed, 1729]).random(size) < p)[0]
        if keep.size >= n or size >= max_pool:
            break
        size = min(size * 4, max_pool)
    if keep.size < n:
        raise ValidationError(
            f"selection kept {keep.size} of {size} pool patients, fewer than n = {n}: the "
            "trial's baseline lies far outside the pool (check sld_median_mm and the shares)"
        )
    chosen = tuple(int(i) for i in keep[:n])
    info = {
        "method": "probability of inclusion (Allen et al. CPT Pharmacometrics Syst "
        "Pharmacol 2016;5:140)",
        "pool": size,
        "accepted": int(keep.size),
        "acceptance_rate": float(keep.size / size),
        "seed": seed,
    }
    return replace(pop, selected=chosen, selection=info)


@dataclass(frozen=True)
class PopulationSpec:
    """Priors, their correlations and the plausibility filter of a virtual population."""

    priors: tuple[Prior, ...]
    correlations: tuple[Correlation, ...] = ()
    plausibility: Plausibility | None = field(default_factory=Plausibility)
    baseline: BaselineDisease | None = None  # trial patients: measurable disease at entry
    selected: tuple[int, ...] = ()  # pool indices kept by probability-of-inclusion selection
    selection: Mapping[str, object] | None = None  # how they were selected (for the manifest)

    def pool_index(self, index: int) -> int:
        """Pool index (random stream) of cohort patient ``index`` (itself without selection)."""
        if not self.selected:
            return index
        if not 0 <= index < len(self.selected):
            raise ValidationError(
                f"patient {index} is beyond the {len(self.selected)} selected virtual patients"
            )
        return self.selected[index]

    def describe(self) -> dict[str, object]:
        """JSON-friendly description (for manifests and report provenance)."""
        return {
            "baseline": None if self.baseline is None else self.baseline.describe(),
            "selection": None if self.selection is None else dict(self.selection),
            "selected": list(self.selected),
            "priors": [
                {
                    "parameter": p.parameter,
                    "distribution": p.distribution,
                    "spread": p.spread,
                    "low": p.low,
                    "high": p.high,
                    "rationale": p.rationale,
                    "centre": p.centre,
                }
                for p in self.priors
            ],
            "correlations": [
                {"a": c.a, "b": c.b, "rho": c.rho, "rationale": c.rationale}
                for c in self.correlations
            ],
            "plausibility": None
            if self.plausibility is None
            else {
                "days": self.plausibility.days,
                "doubling_days": list(self.plausibility.doubling_days),
                "bounds": [list(b) for b in self.plausibility.bounds],
                "max_tries": self.plausibility.max_tries,
            },
        }


# ---- TME presets -------------------------------------------------------------------------------
_IMMUNE_AGE = ("nk_func_age", "t_func_age", "t_supply_age", "clear_age", "mdsc_age", "treg_age")

_TME_PRIORS: tuple[tuple[str, float, str], ...] = (
    (
        "r_T",
        0.4,
        "tumour growth varies widely (doubling 1-12 months, Detterbeck 2008)",
    ),
    (
        "K_T",
        0.3,
        "carrying capacity (vascular/ECM support) differs between lesions; assumed",
    ),
    ("nk_tissue", 0.3, "NK infiltration differs between patients of one tissue; assumed CV 30%"),
    ("k_t_cd8", 0.3, "tumour immunogenicity (neoantigen load) sets CD8 killing; assumed CV 30%"),
    ("k_t_nk", 0.3, "NK-ligand expression of tumour cells; assumed CV 30%"),
    ("pd1_level", 0.3, "PD-1 engagement per PD-L1 varies with the T-cell repertoire; assumed"),
    ("k_tis", 0.3, "share of tumour cells entering senescence after therapy; assumed CV 30%"),
    ("s_il6_sen", 0.3, "SASP strength per senescent cell varies (review 2.2); assumed CV 30%"),
    ("s_ccl2_sen", 0.3, "SASP strength per senescent cell varies (review 2.2); assumed CV 30%"),
    ("k_ld", 0.3, "pace of deep senescence (LINE-1) varies; assumed CV 30%"),
)

_AGE_SPREAD = {"young": 0.15, "aged": 0.3}

TME_CORRELATIONS: tuple[Correlation, ...] = (
    Correlation(
        "nk_func_age",
        "t_func_age",
        0.5,
        "immunosenescence lowers NK and T-cell function together in one host (review Fig. 1, "
        "2.1.1 refs 9, 23); strength assumed",
    ),
    Correlation(
        "t_func_age",
        "t_supply_age",
        0.5,
        "thymic involution and T-cell dysfunction co-occur with age (review 2.1.1); assumed",
    ),
    Correlation(
        "mdsc_age",
        "treg_age",
        0.4,
        "inflammaging expands both suppressor lineages (review 2.1.1 refs 37-38, 56-57); assumed",
    ),
    Correlation(
        "clear_age",
        "nk_func_age",
        0.5,
        "senescent-cell removal is largely NK-mediated (review 3.2; Karin et al. 2019); assumed",
    ),
    Correlation(
        "s_il6_sen",
        "s_ccl2_sen",
        0.6,
        "IL-6 and CCL2 are NF-kB targets secreted by the same senescent cells (review 2.2.1)",
    ),
)


def _check_preset(age: object, cv: float) -> None:
    """A preset's age context and spread scale, refused by name (a text cv reached numpy)."""
    if age not in _AGE_SPREAD:
        raise ValidationError(f"age preset must be 'young' or 'aged', got {age!r}")
    check_type(cv, Real, name="cv", what="a number >= 0 (0.3 = 30 %)")
    if not (math.isfinite(cv) and cv >= 0):
        raise ValidationError(
            f"cv (between-patient coefficient of variation, --cv) must be a number >= 0 "
            f"(0.3 = 30 %), got {cv}"
        )


def tme_population(*, age: Literal["young", "aged"] = "aged", cv: float = 0.3) -> PopulationSpec:
    """The legacy TME model's preset (``legacy_*`` scenarios; :func:`population_for` picks the
    preset of any scenario's model): tumour, immune and SASP traits vary; immune-aging traits
    co-vary.

    Centres come from the scenario (tissue and age contexts). Aged hosts are more heterogeneous
    in immune function than young ones (spread 0.3 vs 0.15 on the log scale; assumed).
    """
    _check_preset(age, cv)
    priors = [
        Prior(pid, "lognormal", spread * cv / 0.3, rationale=why)
        for pid, spread, why in _TME_PRIORS
    ]
    priors += [
        Prior(
            pid,
            "lognormal",
            _AGE_SPREAD[age] * cv / 0.3,
            rationale=f"immune aging differs between {age} hosts; assumed",
        )
        for pid in _IMMUNE_AGE
    ]
    return PopulationSpec(tuple(priors), TME_CORRELATIONS, Plausibility())


# ---- presets of the physical-units (default) model ----------------------------------------------
# Every prior is truncated to the parameter's declared ``range:`` in qsp.yaml (docs/qsp-model.md).
# lognormal: between-patient variation around the scenario's value (spread = sigma of ln);
# loguniform: the trait spans its whole cited range between patients (PD-L1 expression).
#: between-patient sigma (ln scale) of chemotherapy kill: the SD of ln KDE, 0.679, of the
#: first-line carboplatin-paclitaxel NSCLC TGI fit the library's kill per exposure comes from
#: (Claret 2014 MONET1; quantitative-sources tgi_kill_nsclc_platinum_doublet); it replaced
#: Claret 2009's colorectal 5-FU value 0.73 (tgi_kill_iiv)
CHEMO_KILL_SIGMA = 0.679
#: between-patient sigma (ln scale) of the proliferation rate of trial patients: the spread of
#: untreated lung-cancer volume-doubling times in three CT series, sigma of ln VDT 0.78 (I-ELCAP,
#: median 98 d, IQR width 108 d), 0.73 (Wilson, IQR 236-630 d), 0.73 (Hasegawa solid, mean
#: 149 +/- 125 d); their mean (quantitative-sources nsclc_vdt_spread). The trial library applies
#: it (trial.run.select_trial_patients); the preset keeps its assumed 0.4, on which the liu2019
#: melanoma calibration was made (no melanoma spread is cited)
LUNG_GROWTH_SIGMA = 0.75
_QSP_PRIORS: tuple[tuple[str, Distribution, float, str], ...] = (
    (
        "k_grow",
        "lognormal",
        0.4,
        "untreated volume-doubling times span months to a year within one tissue "
        "(nsclc_vdt_henschke 98 d to nsclc_vdt_series_table 357 d); spread assumed (trial "
        "patients: LUNG_GROWTH_SIGMA, cited)",
    ),
    (
        "PDL1_per_C",
        "loguniform",
        0.0,
        "tumour PD-L1 ranges from negative to high between patients (qsp_pd1_pdl1_expression: "
        "3e3-2.24e5 molecules per cell); spread over the whole range",
    ),
    ("PD1_per_T", "lognormal", 0.3, "PD-1 per CD8 T cell varies between repertoires; assumed"),
    (
        "N_ag",
        "lognormal",
        0.4,
        "tumour-specific naive CD8 precursors follow neoantigen load and repertoire "
        "(qsp_tcr_repertoire); spread assumed",
    ),
    ("k_kill", "lognormal", 0.3, "per-CTL killing (qsp_tcell_killing, ctl_killing_in_vivo)"),
    (
        "k_tis",
        "lognormal",
        CHEMO_KILL_SIGMA,
        "chemotherapy sensitivity (senescence share) varies between patients as the drug-kill "
        "constant KD of the Claret 2009 TGI model (quantitative-sources tgi_kill_iiv)",
    ),
    (
        "k_cyto",
        "lognormal",
        CHEMO_KILL_SIGMA,
        "chemotherapy sensitivity (cytotoxic kill) varies between patients as KD of the Claret "
        "2009 TGI model (quantitative-sources tgi_kill_iiv)",
    ),
    ("s_il6_sen", "lognormal", 0.3, "SASP strength per senescent cell varies; assumed CV 30%"),
    ("s_ccl2_sen", "lognormal", 0.3, "SASP strength per senescent cell varies; assumed CV 30%"),
    ("k_ld", "lognormal", 0.3, "pace of deep senescence varies; assumed CV 30%"),
    ("dep_bcl2", "lognormal", 0.3, "reliance on BCL-2/BCL-xL differs between tumours; assumed"),
    (
        "r_treg",
        "lognormal",
        0.5,
        "intratumoural Tregs per CD8 T cell differ between tumours; median = the model value "
        "(0: brake off) unless calibrated (liu2019); spread assumed",
    ),
    (
        "n_reinv",
        "lognormal",
        0.3,
        "divisions of a reinvigorated progenitor-exhausted CD8 T cell; median = the model value "
        "(0: no burst) unless calibrated (liu2019); spread assumed: the Liu 2019 data's "
        "conditional 95 % set at the fit is 0.1-0.6, best at 0.3 (docs/calibration.md, "
        "Session 40 (burst))",
    ),
)
_QSP_IMMUNE_AGE = ("k_rem", "naive_age", "IL6_base")

QSP_CORRELATIONS: tuple[Correlation, ...] = (
    Correlation(
        "k_tis",
        "k_cyto",
        0.9,
        "one drug sensitivity per patient (the TGI model's single KD) drives both the senescent "
        "and the killed share of a course; strength assumed",
    ),
    Correlation(
        "s_il6_sen",
        "s_ccl2_sen",
        0.6,
        "IL-6 and CCL2 are NF-kB targets secreted by the same senescent cells (review 2.2.1)",
    ),
    Correlation(
        "k_rem",
        "naive_age",
        0.5,
        "innate senescent-cell removal and the naive T-cell pool decline together with immune "
        "aging in one host (Karin 2019; thymic involution); strength assumed",
    ),
    Correlation(
        "k_rem",
        "IL6_base",
        -0.4,
        "inflammaging: hosts with more baseline IL-6 clear senescent cells worse; assumed",
    ),
)


def with_prior_spread(
    pop: PopulationSpec, parameter: str, spread: float, rationale: str
) -> PopulationSpec:
    """``pop`` with the lognormal prior of ``parameter`` given another spread (sigma of ln)."""
    if not (math.isfinite(spread) and spread >= 0):
        raise ValidationError(f"prior spread of {parameter!r} must be >= 0, got {spread!r}")
    if not any(p.parameter == parameter for p in pop.priors):
        raise ValidationError(f"population has no prior of {parameter!r}")
    priors = tuple(
        replace(p, spread=spread, rationale=rationale) if p.parameter == parameter else p
        for p in pop.priors
    )
    return replace(pop, priors=priors)


#: the proliferation trait whose centre is derived at a population's typical patient
GROWTH_TRAIT = "k_grow"


def typical_growth(
    pop: PopulationSpec,
    tissue: str | None,
    values: Mapping[str, float] | None = None,
    baseline: BaselineDisease | None = None,
) -> float | None:
    """The ``k_grow`` centre of ``pop``'s typical patient: ``tissue``'s rate derived
    (:func:`senotwin.sim.tissue_growth.growth_at`, memoised) at every lognormal prior's centre
    (other than ``k_grow``'s) and at the median PD-L1 share of ``baseline`` (else ``pop``'s;
    none: qsp.yaml's), overridden by ``values`` (a candidate's centres, shared values or a
    posterior member's), so that patient's untreated lesion doubles in the cited time whatever
    immune values it carries. None where ``tissue`` is None, ``pop`` has no ``k_grow`` prior, or
    ``values`` sets ``k_grow`` itself (the caller's)."""
    values = dict(values or {})
    if tissue is None or GROWTH_TRAIT in values:
        return None
    if not any(p.parameter == GROWTH_TRAIT for p in pop.priors):
        return None
    typical = {
        p.parameter: float(p.centre)
        for p in pop.priors
        if p.distribution == "lognormal" and p.centre is not None and p.parameter != GROWTH_TRAIT
    }
    bd = baseline or pop.baseline
    if bd is not None:
        typical[bd.pdl1_param] = bd.median_pdl1
    return growth_at(tissue, tuple(sorted((typical | values).items())))


def qsp_population(*, age: Literal["young", "aged"] = "aged", cv: float = 0.3) -> PopulationSpec:
    """The physical-units model's preset: tumour, immunogenicity and SASP traits vary inside
    each parameter's declared range; immune-aging traits co-vary (spread larger when aged).

    The plausibility filter keeps untreated volume-doubling times within 15-730 days (burden
    ``N_tumour``, cells).
    """
    _check_preset(age, cv)
    priors = [
        Prior(pid, dist, spread * cv / 0.3, rationale=why) for pid, dist, spread, why in _QSP_PRIORS
    ]
    priors += [
        Prior(
            pid,
            "lognormal",
            _AGE_SPREAD[age] * cv / 0.3,
            rationale=f"immune aging differs between {age} hosts; assumed",
        )
        for pid in _QSP_IMMUNE_AGE
    ]
    return PopulationSpec(
        tuple(priors), QSP_CORRELATIONS, Plausibility(bounds=(), burden="N_tumour")
    )


def population_for(
    spec: ModelSpec, *, age: Literal["young", "aged"] = "aged", cv: float = 0.3
) -> PopulationSpec:
    """The preset population of the model ``spec`` is (physical-units or legacy TME model)."""
    check_type(spec, ModelSpec, name="spec", what="a ModelSpec (prepare_scenario(name).spec)")
    if "N_tumour" in spec.observable_ids:
        return qsp_population(age=age, cv=cv)
    return tme_population(age=age, cv=cv)


def check_population(spec: ModelSpec, pop: PopulationSpec) -> None:
    """Every prior names a parameter with usable bounds; correlations form a valid matrix."""
    names = [p.parameter for p in pop.priors]
    if len(set(names)) != len(names):
        raise ValidationError(f"population: a parameter has two priors ({names})")
    for p in pop.priors:
        if p.parameter not in spec.parameter_ids:
            raise ValidationError(f"population: unknown parameter {p.parameter!r} in a prior")
        spec.parameter(p.parameter).check_variable("given a prior (population)")
        lo, hi = _bounds(spec, p)
        if not lo <= hi:
            raise ValidationError(f"prior of {p.parameter}: low {lo} > high {hi}")
        if p.distribution == "loguniform" and lo <= 0:
            raise ValidationError(
                f"prior of {p.parameter}: a loguniform prior needs a positive lower bound, got {lo}"
            )
        if p.distribution == "uniform" and not (math.isfinite(lo) and math.isfinite(hi)):
            raise ValidationError(f"prior of {p.parameter}: a uniform prior needs finite bounds")
    _cholesky(pop)
    if pop.plausibility is not None:
        for obs, lo, hi in pop.plausibility.bounds:
            if obs not in spec.observable_ids and obs not in spec.species_ids:
                raise ValidationError(f"plausibility: unknown observable {obs!r}")
            if not lo < hi:
                raise ValidationError(f"plausibility bound of {obs}: low must be < high")


def _bounds(spec: ModelSpec, prior: Prior) -> tuple[float, float]:
    rng = spec.parameter(prior.parameter).range
    lo = prior.low if prior.low is not None else (rng[0] if rng else -math.inf)
    hi = prior.high if prior.high is not None else (rng[1] if rng else math.inf)
    return float(lo), float(hi)


def _cholesky(pop: PopulationSpec) -> np.ndarray:
    names = [p.parameter for p in pop.priors]
    corr = np.eye(len(names))
    for c in pop.correlations:
        for x in (c.a, c.b):
            if x not in names:
                raise ValidationError(f"correlation {c.a}~{c.b}: {x!r} has no prior")
        i, j = names.index(c.a), names.index(c.b)
        corr[i, j] = corr[j, i] = c.rho
    try:
        return np.linalg.cholesky(corr)
    except np.linalg.LinAlgError:
        raise ValidationError(
            "population: the correlations do not form a valid (positive definite) matrix"
        ) from None


def patient_rng(seed: int, index: int, *stream: int) -> np.random.Generator:
    """Random stream of patient ``index``: SeedSequence(seed) spawned child number ``index``
    (``stream``: a further child of it, for draws added later without moving the first)."""
    key = (index, *stream)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def sample_candidate(
    spec: ModelSpec, pop: PopulationSpec, base: Mapping[str, float], rng: np.random.Generator
) -> dict[str, float]:
    """One candidate parameter set around ``base`` (scenario values), inside every bound.

    A draw outside the bounds is redrawn (up to 100 times, then clipped), so truncation does not
    pile patients on the range edges.
    """
    sampler = CandidateSampler.of(spec, pop, base)
    return sampler.as_dict(sampler.draw([rng])[0])


@dataclass(frozen=True)
class CandidateSampler:
    """:func:`sample_candidate` for many patients at once: the population's constants (Cholesky
    factor, bounds, centres) computed once, each patient's normals drawn from its own stream,
    the transforms done per trait over all patients. Values are those of drawing the patients
    one at a time, bit for bit (same stream use, same float operations)."""

    names: tuple[str, ...]
    chol: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    centre: np.ndarray
    spread: np.ndarray
    lognormal: np.ndarray  # bool per trait
    uniform: np.ndarray
    loguniform: np.ndarray
    log_lo: np.ndarray  # ln(low), ln(high) of loguniform traits (0 elsewhere)
    log_hi: np.ndarray

    @classmethod
    def of(
        cls, spec: ModelSpec, pop: PopulationSpec, base: Mapping[str, float]
    ) -> CandidateSampler:
        bounds = [_bounds(spec, p) for p in pop.priors]
        centres = [
            float(p.centre)
            if p.centre is not None
            else float(base.get(p.parameter, spec.parameter(p.parameter).value))
            for p in pop.priors
        ]
        kind = [p.distribution for p in pop.priors]
        logu = np.array([k == "loguniform" for k in kind], dtype=bool)
        return cls(
            tuple(p.parameter for p in pop.priors),
            _cholesky(pop),
            np.array([lo for lo, _ in bounds], dtype=float),
            np.array([hi for _, hi in bounds], dtype=float),
            np.array(centres, dtype=float),
            np.array([p.spread for p in pop.priors], dtype=float),
            np.array([k == "lognormal" for k in kind], dtype=bool),
            np.array([k == "uniform" for k in kind], dtype=bool),
            logu,
            np.array([math.log(lo) if g else 0.0 for (lo, _), g in zip(bounds, logu, strict=True)]),
            np.array([math.log(hi) if g else 0.0 for (_, hi), g in zip(bounds, logu, strict=True)]),
        )

    def _values(self, z: np.ndarray) -> np.ndarray:
        """Trait values of correlated normals ``z`` (patients x traits)."""
        values = np.zeros_like(z)
        exp = np.frompyfunc(math.exp, 1, 1)  # math.exp, as one patient at a time computed it
        ln = self.lognormal & (self.centre > 0)
        if ln.any():
            e = exp(self.spread[ln] * z[:, ln]).astype(float)
            values[:, ln] = self.centre[ln] * e
        off = self.lognormal & ~(self.centre > 0)
        values[:, off] = self.centre[off]
        if (self.uniform | self.loguniform).any():
            u = special.ndtr(z)
            un = self.uniform
            values[:, un] = self.lo[un] + u[:, un] * (self.hi[un] - self.lo[un])
            lu = self.loguniform
            if lu.any():
                arg = self.log_lo[lu] + u[:, lu] * (self.log_hi[lu] - self.log_lo[lu])
                values[:, lu] = exp(arg).astype(float)
        return values

    def _normals(self, rng: np.random.Generator) -> np.ndarray:
        return np.asarray(self.chol @ rng.standard_normal(len(self.names)), dtype=float)

    def draw(self, rngs: Sequence[np.random.Generator]) -> np.ndarray:
        """One candidate per stream (rows), each redrawn from its own stream while outside
        the bounds (up to 100 draws, then clipped)."""
        k = len(self.names)
        if not rngs:
            return np.zeros((0, k))
        values = self._values(np.array([self._normals(r) for r in rngs]).reshape(len(rngs), k))
        outside = np.flatnonzero(~np.all((self.lo <= values) & (values <= self.hi), axis=1))
        for _ in range(99):
            if outside.size == 0:
                break
            z = np.array([self._normals(rngs[int(i)]) for i in outside]).reshape(outside.size, k)
            values[outside] = self._values(z)
            inside = np.all((self.lo <= values[outside]) & (values[outside] <= self.hi), axis=1)
            outside = outside[~inside]
        return np.minimum(np.maximum(values, self.lo), self.hi)

    def as_dict(self, row: np.ndarray) -> dict[str, float]:
        """Parameter -> value of one candidate row."""
        return {name: float(v) for name, v in zip(self.names, row.tolist(), strict=True)}


@dataclass(frozen=True)
class PlausibilityCheck:
    """Untreated behaviour of one candidate and whether it passed."""

    passed: bool
    doubling_days: float
    values: Mapping[str, float]
    reason: str


def check_plausible(
    spec: ModelSpec,
    plaus: Plausibility,
    params: Mapping[str, float],
    initial: Mapping[str, float],
    *,
    engine: str = "reference",
) -> PlausibilityCheck:
    """Simulate the untreated course and test it against the bounds."""
    p = dict(params)
    p.update({k: v for k, v in plaus.untreated_params if k in spec.parameter_ids})
    y0 = dict(initial)
    y0.update({k: v for k, v in plaus.untreated_initial if k in spec.species_ids})
    res = simulate(
        spec,
        params=p,
        initial=y0,
        t_end=plaus.days,
        solver=SolverOptions(engine=engine, t_eval=(0.0, plaus.days)),
        check_ranges=False,
    )
    if not res.ok:
        return PlausibilityCheck(False, math.nan, {}, f"untreated run failed: {res.message}")
    b0, b1 = (float(x) for x in res.table[plaus.burden].to_numpy()[[0, -1]])
    last = res.table.iloc[-1]
    values = {obs: float(last[obs]) for obs, _, _ in plaus.bounds}
    return plausibility_verdict(plaus, b0, b1, values)


def plausibility_verdict(
    plaus: Plausibility, b0: float, b1: float, values: Mapping[str, float]
) -> PlausibilityCheck:
    """The filter's verdict on an untreated run: burden at the start and at ``plaus.days``, and
    the bounded observables at ``plaus.days``."""
    growth = math.log(b1 / b0) if b0 > 0 and b1 > 0 else -math.inf
    doubling = plaus.days * math.log(2) / growth if growth > 0 else math.inf
    values = dict(values)
    lo, hi = plaus.doubling_days
    if not lo <= doubling <= hi:
        return PlausibilityCheck(
            False, doubling, values, f"untreated doubling time {doubling:.3g} d not in [{lo}, {hi}]"
        )
    for obs, olo, ohi in plaus.bounds:
        if not olo <= values[obs] <= ohi:
            return PlausibilityCheck(
                False, doubling, values, f"untreated {obs}={values[obs]:.3g} not in [{olo}, {ohi}]"
            )
    return PlausibilityCheck(True, doubling, values, "plausible")


@dataclass(frozen=True)
class VirtualPatient:
    """One patient: index, parameter values, draws needed and the untreated check.

    Trial patients also carry initial-state overrides (the lesion size at entry) and their
    baseline record (:func:`draw_baseline`).
    """

    index: int
    params: Mapping[str, float]
    tries: int
    plausible: bool
    doubling_days: float
    reason: str
    initial: Mapping[str, float] = field(default_factory=dict)
    baseline: Mapping[str, object] | None = None


def draw_patient(
    spec: ModelSpec,
    pop: PopulationSpec,
    *,
    base_params: Mapping[str, float],
    base_initial: Mapping[str, float],
    seed: int,
    index: int,
    engine: str = "reference",
) -> VirtualPatient:
    """Patient ``index`` of the population seeded by ``seed`` (same on every worker).

    Candidates are drawn from the patient's own stream until one passes the plausibility
    filter; after ``max_tries`` rejections the last candidate is returned as not plausible.
    """
    return draw_patients(
        spec,
        pop,
        base_params=base_params,
        base_initial=base_initial,
        seed=seed,
        indices=[index],
        engine=engine,
    )[0]


def draw_patients(
    spec: ModelSpec,
    pop: PopulationSpec,
    *,
    base_params: Mapping[str, float],
    base_initial: Mapping[str, float],
    seed: int,
    indices: Sequence[int],
    engine: str = "reference",
) -> list[VirtualPatient]:
    """Patients ``indices`` as :func:`draw_patient` draws each, drawn together: the sampler's
    constants computed once, every round of candidates transformed trait by trait over all
    patients still looking for one, and (fast engine) the untreated checks run on one
    prepared plan."""
    rngs = [patient_rng(seed, pop.pool_index(i)) for i in indices]
    bases: list[dict[str, object] | None] = [None] * len(rngs)
    fixed: list[dict[str, float]] = [{} for _ in rngs]
    initial: list[dict[str, float]] = [{} for _ in rngs]
    if pop.baseline is not None:
        for k, rng in enumerate(rngs):
            bases[k] = base = draw_baseline(pop.baseline, rng)
            fixed[k], initial[k] = baseline_overrides(spec, pop.baseline, base)
    sampler = CandidateSampler.of(spec, pop, base_params)
    plaus = pop.plausibility
    check = None if plaus is None else _plausibility_checker(spec, plaus, engine)
    out: list[VirtualPatient | None] = [None] * len(rngs)
    pending = list(range(len(rngs)))
    tries = 0
    while pending:
        tries += 1
        rows = sampler.draw([rngs[k] for k in pending])
        left = []
        for k, row in zip(pending, rows, strict=True):
            cand = dict(base_params) | sampler.as_dict(row) | fixed[k]
            if plaus is None or check is None:
                out[k] = VirtualPatient(
                    indices[k], cand, tries, True, math.nan, "no plausibility filter",
                    initial[k], bases[k],
                )  # fmt: skip
                continue
            verdict = check(cand, dict(base_initial) | initial[k])
            if verdict.passed or tries >= plaus.max_tries:
                out[k] = VirtualPatient(
                    indices[k], cand, tries, verdict.passed, verdict.doubling_days,
                    verdict.reason, initial[k], bases[k],
                )  # fmt: skip
            else:
                left.append(k)
        pending = left
    return [vp for vp in out if vp is not None]


#: prepared fast checks by (id of the spec, filter); each holds its spec, so an id is not reused
_FAST_CHECKS: dict[tuple[int, Plausibility], FastPlausibility] = {}


def _plausibility_checker(
    spec: ModelSpec, plaus: Plausibility, engine: str
) -> Callable[[Mapping[str, float], Mapping[str, float]], PlausibilityCheck]:
    """check_plausible for one (spec, filter, engine); on the fast engine, the untreated run is
    planned once and each candidate integrated from vectors (same numbers as simulate())."""
    if engine == "fast":
        from senotwin.cohort.plausible_fast import FastPlausibility

        hit = _FAST_CHECKS.get((id(spec), plaus))
        if hit is None or hit.spec is not spec:
            if len(_FAST_CHECKS) >= 8:
                _FAST_CHECKS.pop(next(iter(_FAST_CHECKS)))
            hit = _FAST_CHECKS[(id(spec), plaus)] = FastPlausibility(spec, plaus)
        return hit

    def check(params: Mapping[str, float], initial: Mapping[str, float]) -> PlausibilityCheck:
        return check_plausible(spec, plaus, params, initial, engine=engine)

    return check


# ---- probability of inclusion (Allen et al. 2016) ------------------------------------------------
def inclusion_mask(
    values: np.ndarray,
    target_pdf: stats.rv_continuous | stats._distn_infrastructure.rv_frozen,
    *,
    rng: np.random.Generator,
) -> np.ndarray:
    """Select plausible patients so that ``values`` follow ``target_pdf`` (Allen et al. 2016).

    Each patient is kept with probability p_i = s * target(x_i) / pool(x_i), where pool is a
    Gaussian kernel density of the plausible pool and s the largest scale keeping every p_i <= 1
    (the paper's scale factor chosen to keep as many patients as possible).
    """
    p = inclusion_probability(values, target_pdf)
    return rng.random(p.size) < p


def inclusion_probability(
    values: np.ndarray,
    target_pdf: stats.rv_continuous | stats._distn_infrastructure.rv_frozen,
) -> np.ndarray:
    """p_i of :func:`inclusion_mask`: target density / kernel density of the pool, max 1."""
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or x.size < 5 or not np.all(np.isfinite(x)):
        raise ValidationError("inclusion_mask needs at least 5 finite values of the observable")
    pool = stats.gaussian_kde(x)(x)
    ratio = target_pdf.pdf(x) / pool
    if not np.any(ratio > 0):
        raise ValidationError("the target distribution gives zero density to every pool value")
    return np.asarray(ratio / ratio.max(), dtype=float)
