"""Trial-like baseline disease: what a virtual trial patient brings at entry, and its selection.

Measurable disease (target lesions of at least 10 mm summing to the SLD, non-target lesions),
PD-L1 status (tumour-cell TPS and SP142 immune-cell status), ECOG and age are drawn from a broad
pool (:class:`BaselineDisease`, :func:`draw_baseline`) and set the patient's model starts
(:func:`baseline_overrides`); :func:`selection_weights` gives each pool patient its probability
of inclusion so that the selected cohort follows the trial's reported baseline distributions
(Allen et al. CPT Pharmacometrics Syst Pharmacol 2016;5:140; the selection itself is
``cohort.population.select_population``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from senotwin._errors import ValidationError
from senotwin.model.spec import ModelSpec


@dataclass(frozen=True)
class BaselineDisease:
    """Measurable disease at trial entry: the pool it is drawn from and the trial's targets.

    A virtual trial patient has 1-5 target lesions (each >= ``min_target_mm``, RECIST 1.1
    measurability) whose diameters add up to the sum of longest diameters (SLD), non-target
    lesions, PD-L1 status (the share of PD-L1-positive cancer cells, the model's ``pdl1_share``:
    the tumour proportion score / 100, at or above ``pdl1_threshold``), ECOG 0/1 and age.
    The *pool* is broad (SLD lognormal, median ``pool_sld_median_mm``, sigma ``pool_sld_sigma``;
    targets 1 + Poisson(``pool_extra_targets``) capped at 5; non-targets
    Poisson(``pool_nontarget``);
    PD-L1 share from ``pdl1_bins``, a tissue's measured TPS distribution (piecewise log-uniform;
    default: lung, :data:`LUNG_TPS_BINS`); ECOG 0/1 even; age uniform 18-90: assumed breadths);
    :func:`select_population` then keeps pool patients with a probability that makes
    the kept ones follow the trial's reported baseline (``sld_median_mm``/``sld_sigma``,
    ``pdl1_positive_share`` and ``pdl1_high_share`` (PD-L1 strata: at or above
    ``pdl1_threshold`` and ``pdl1_high_threshold``), ``ecog1_share``,
    ``age_median``/``age_range``; None = not selected on).
    The model lesion stands for the patient's average target lesion (mean volume); every lesion
    follows its relative course. Tumour CD8 T cells at entry (``cd8_species``) scale with the
    lesion (the scenario's CD8 per cancer cell) times a per-patient infiltration factor,
    lognormal with median ``cd8_median`` (the tissue's infiltration relative to the scenario's)
    and sigma ``cd8_sigma``: tumours of one type range from immune deserts to inflamed
    (quantitative-sources cd8_density_by_cancer_type, nsclc_pdl1_til_types). PD-L1 is drawn
    jointly with that factor (Gaussian copula, correlation ``cd8_pdl1_rho`` on the normal scale;
    its marginal is unchanged, so the pool's PD-L1 strata stay exact). The PD-L1 level of a
    positive cell (``PDL1_per_C``) is the population prior's, not the baseline's.
    ``pdl1_ic_share``: where a trial's PD-L1 status is scored on tumour-infiltrating immune
    cells (IMpassion130: SP142 IC >= 1 %), the share of patients it reports positive. A patient
    is immune-cell positive when a second normal score, correlated ``pdl1_ic_rho`` with the one
    behind its cancer-cell share (a measured TC x IC cross-table gives it), lies in that top
    share; its own random number comes from a child stream spawned only then, so every other
    draw is unchanged. ``pdl1_ic_cd8_rho``: that score's correlation with the patient's CD8
    infiltration factor too (measured where immune-cell PD-L1 and infiltration were scored on
    the same tumours; None: only through the cancer-cell share, pdl1_ic_rho x cd8_pdl1_rho).
    ``invisible_classes``: per-patient share of cancer cells that CD8 T cells cannot recognise
    (HLA class I-negative), as (share of patients, lowest, highest invisible share) classes of a
    tissue's HLA class I immunohistochemistry; a patient's class is drawn with the class shares,
    its invisible share uniformly inside the class. That share of the lesion's cancer cells
    starts as ``invisible_species`` (empty: every cancer cell visible). When the model has the
    per-division escape probability ``escape_param`` (model/qsp.yaml ``mu_esc``), the visible
    cells also carry the escaped daughters their history made: :func:`escaped_share`.
    """

    sld_median_mm: float | None = None
    sld_sigma: float = 0.6
    pdl1_positive_share: float | None = None
    ecog1_share: float | None = None
    age_median: float | None = None
    age_range: tuple[float, float] = (18.0, 90.0)
    pdl1_threshold: float = 0.01
    pdl1_bins: tuple[tuple[float, float, float], ...] = ()  # () = LUNG_TPS_BINS
    pdl1_high_share: float | None = None
    pdl1_high_threshold: float = 0.5
    pdl1_ic_share: float | None = None
    pdl1_ic_rho: float | None = None
    pdl1_ic_cd8_rho: float | None = None
    min_target_mm: float = 10.0
    max_targets: int = 5
    pool_sld_median_mm: float = 80.0
    pool_sld_sigma: float = 0.9
    pool_extra_targets: float = 1.0
    pool_nontarget: float = 2.0
    cell_density_param: str = "rho_cell"
    capacity_param: str = "C_max"
    lesion_species: str = "C"
    pdl1_param: str = "pdl1_share"
    cd8_species: tuple[str, ...] = ("T8", "T8x")
    cd8_sigma: float = 1.0
    cd8_median: float = 1.0
    cd8_pdl1_rho: float = 0.0
    invisible_classes: tuple[tuple[float, float, float], ...] = ()
    invisible_species: str = "Ci"
    escape_param: str = "mu_esc"
    source: str = ""

    def __post_init__(self) -> None:
        for name in ("sld_median_mm", "age_median", "pool_sld_median_mm", "min_target_mm"):
            v = getattr(self, name)
            if v is not None and not (math.isfinite(v) and v > 0):
                raise ValidationError(f"baseline {name} must be a positive number, got {v!r}")
        for name in ("pdl1_positive_share", "pdl1_high_share", "ecog1_share", "pdl1_ic_share"):
            v = getattr(self, name)
            if v is not None and not (math.isfinite(v) and 0.0 <= v <= 1.0):
                raise ValidationError(f"baseline {name} must be a share in [0, 1], got {v!r}")
        for name in ("sld_sigma", "pool_sld_sigma"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise ValidationError(f"baseline {name} must be > 0, got {v!r}")
        if not (math.isfinite(self.cd8_sigma) and self.cd8_sigma >= 0):
            raise ValidationError(f"baseline cd8_sigma must be >= 0, got {self.cd8_sigma!r}")
        if not (math.isfinite(self.cd8_median) and self.cd8_median > 0):
            raise ValidationError(f"baseline cd8_median must be > 0, got {self.cd8_median!r}")
        if not (math.isfinite(self.cd8_pdl1_rho) and -1.0 < self.cd8_pdl1_rho < 1.0):
            raise ValidationError(
                f"baseline cd8_pdl1_rho must lie in (-1, 1), got {self.cd8_pdl1_rho!r}"
            )
        if (self.pdl1_ic_share is None) != (self.pdl1_ic_rho is None) or not (
            self.pdl1_ic_rho is None
            or (math.isfinite(self.pdl1_ic_rho) and -1 < self.pdl1_ic_rho <= 1)
        ):
            raise ValidationError(
                f"baseline pdl1_ic_share {self.pdl1_ic_share!r} and pdl1_ic_rho "
                f"{self.pdl1_ic_rho!r}: give both or neither; the correlation lies in (-1, 1]"
            )
        if self.pdl1_ic_cd8_rho is not None:
            if not (math.isfinite(self.pdl1_ic_cd8_rho) and -1.0 < self.pdl1_ic_cd8_rho < 1.0):
                raise ValidationError(
                    f"baseline pdl1_ic_cd8_rho must lie in (-1, 1), got {self.pdl1_ic_cd8_rho!r}"
                )
            if self.pdl1_ic_rho is None:
                raise ValidationError(
                    f"baseline pdl1_ic_cd8_rho {self.pdl1_ic_cd8_rho!r} needs an immune-cell "
                    "PD-L1 status (pdl1_ic_share and pdl1_ic_rho)"
                )
            ic_weights(self.pdl1_ic_rho, self.pdl1_ic_cd8_rho, self.cd8_pdl1_rho)
        if self.pdl1_high_share is not None:
            pos = self.pdl1_positive_share
            if pos is None or self.pdl1_high_share > pos:
                raise ValidationError(
                    f"baseline pdl1_high_share {self.pdl1_high_share} needs a "
                    f"pdl1_positive_share >= it (got {pos}): the high stratum is part of the "
                    "positive one"
                )
        lo, hi = self.age_range
        if not 0 < lo < hi:
            raise ValidationError(f"baseline age_range must be 0 < low < high, got {lo, hi}")
        check_tps_bins(self.pdl1_bins)
        bins = self.tps_bins
        plo, phi = bins[0][0], bins[-1][1]
        if not plo < self.pdl1_threshold < self.pdl1_high_threshold < phi:
            raise ValidationError(
                f"baseline pdl1_threshold {self.pdl1_threshold} and pdl1_high_threshold "
                f"{self.pdl1_high_threshold} must lie inside the PD-L1 share range {plo, phi} of "
                "pdl1_bins, in order"
            )
        if self.pdl1_positive_share is not None:
            shares = pdl1_pool_shares(self)
            if min(shares) <= 0.0:
                raise ValidationError(
                    f"baseline pdl1_bins give a PD-L1 stratum no pool patient (negative, positive, "
                    f"high = {shares}); selecting on pdl1_positive_share needs each above 0"
                )
        check_invisible_classes(self.invisible_classes)
        if not 1 <= self.max_targets <= 5:
            raise ValidationError("baseline max_targets must be 1-5 (RECIST 1.1: at most 5)")

    @property
    def tps_bins(self) -> tuple[tuple[float, float, float], ...]:
        """The pool's PD-L1 share bins, their patient shares normalised to add up to 1."""
        bins = self.pdl1_bins or LUNG_TPS_BINS
        total = sum(m for _, _, m in bins)
        return tuple((lo, hi, m / total) for lo, hi, m in bins)

    @property
    def median_pdl1(self) -> float:
        """The pool's median PD-L1 share (the typical patient's: :func:`typical_growth`); the
        pool's, before any selection on the PD-L1 strata (KEYNOTE-189's selected strata would
        put it at 9.0 % instead of the lung pool's 9.9 %)."""
        return tps_quantile(self.tps_bins, 0.5)

    def describe(self) -> dict[str, object]:
        """JSON-friendly description (manifest)."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


#: tumour proportion score (TPS) of lung cancer in practice: 0 / 1-4 / 5-49 / >= 50 % = 0.357 /
#: 0.073 / 0.236 / 0.334 of 19,558 patients (quantitative-sources pdl1_tps_lung_realworld), the
#: >= 50 % stratum split 50-90 / 90-100 % as 0.572 / 0.428 (pdl1_tps_nsclc_high_stratum_split);
#: (lowest share, highest share, share of patients), log-uniform inside each bin (assumed), the
#: < 1 % row over 0.1-1 %. The pool where a baseline names no tissue distribution.
LUNG_TPS_BINS: tuple[tuple[float, float, float], ...] = (
    (0.001, 0.01, 0.357),
    (0.01, 0.05, 0.073),
    (0.05, 0.5, 0.236),
    (0.5, 0.9, 0.191),
    (0.9, 1.0, 0.143),
)


def check_tps_bins(bins: Sequence[Sequence[float]]) -> None:
    """Each bin is (lowest, highest PD-L1-positive share, share of patients) with
    0 < lowest < highest <= 1, bins contiguous and ascending, patient shares adding up to 1
    (within 0.005: published percentages are rounded)."""
    if not bins:
        return
    for k, b in enumerate(bins):
        ok = len(b) == 3 and all(isinstance(x, int | float) and math.isfinite(x) for x in b)
        if not ok or not (0.0 < b[0] < b[1] <= 1.0 and b[2] >= 0.0):
            raise ValidationError(
                f"PD-L1 share bin {tuple(b)!r}: must be (lowest, highest share of PD-L1-positive "
                "cancer cells, share of patients) with 0 < lowest < highest <= 1 and share >= 0"
            )
        if k and b[0] != bins[k - 1][1]:
            raise ValidationError(
                f"PD-L1 share bins must be contiguous and ascending: bin {k} starts at {b[0]}, "
                f"the one before ends at {bins[k - 1][1]}"
            )
    total = sum(b[2] for b in bins)
    if abs(total - 1.0) > 0.005:
        raise ValidationError(
            f"PD-L1 share bins: the shares of patients add up to {total:g}; allowed: 1 (+-0.005)"
        )


def tps_cdf(bins: Sequence[Sequence[float]], x: float) -> float:
    """Share of patients whose PD-L1-positive share is below ``x`` (piecewise log-uniform)."""
    acc = 0.0
    for lo, hi, m in bins:
        if x >= hi:
            acc += m
        elif x > lo:
            acc += m * math.log(x / lo) / math.log(hi / lo)
    return min(1.0, acc)


def tps_quantile(bins: Sequence[Sequence[float]], u: float) -> float:
    """The PD-L1-positive share at cumulative patient share ``u`` (inverse of :func:`tps_cdf`)."""
    acc = 0.0
    for lo, hi, m in bins:
        if m > 0 and u < acc + m:
            return float(lo * (hi / lo) ** ((u - acc) / m))
        acc += m
    return float(bins[-1][1])


def check_invisible_classes(classes: Sequence[Sequence[float]]) -> None:
    """Each class is (share of patients, low, high) with 0 <= low <= high <= 1; shares sum to 1."""
    if not classes:
        return
    for c in classes:
        ok = len(c) == 3 and all(isinstance(x, int | float) and math.isfinite(x) for x in c)
        if not ok or not (0.0 <= c[0] <= 1.0 and 0.0 <= c[1] <= c[2] <= 1.0):
            raise ValidationError(
                f"baseline invisible_classes entry {tuple(c)!r}: must be (share of patients in "
                "[0, 1], low, high) with 0 <= low <= high <= 1"
            )
    total = sum(c[0] for c in classes)
    if abs(total - 1.0) > 1e-6:
        raise ValidationError(
            f"baseline invisible_classes: the shares of patients add up to {total:g}; allowed: 1"
        )


def draw_invisible(classes: Sequence[Sequence[float]], u_class: float, u_share: float) -> float:
    """Invisible share of a patient from two uniforms: the class by its cumulative share of
    patients, then the share uniformly inside the class's [low, high]."""
    acc = 0.0
    for share, lo, hi in classes:
        acc += share
        if u_class < acc:
            return float(lo + u_share * (hi - lo))
    _, lo, hi = classes[-1]
    return float(lo + u_share * (hi - lo))


def draw_baseline(bd: BaselineDisease, rng: np.random.Generator) -> dict[str, object]:
    """One pool patient's disease at entry (see :class:`BaselineDisease`).

    The CD8 infiltration factor, the immune-invisible share and the lesions' growth deviations
    (``lesion_z`` per target, ``nontarget_z`` per non-target lesion: standard normal, read by
    :func:`senotwin.analysis.endpoints.trial_endpoints`) come from child streams spawned off
    ``rng`` (consuming none of its numbers), so every other draw of the patient is what it was
    without them.
    """
    (child,) = rng.spawn(1)
    z_cd8 = float(child.standard_normal())
    invisible = 0.0
    (child2,) = rng.spawn(1)  # spawned either way: the lesions' stream below is the third child
    if bd.invisible_classes:
        u = child2.random(2)
        invisible = draw_invisible(bd.invisible_classes, float(u[0]), float(u[1]))
    cd8 = float(bd.cd8_median * math.exp(bd.cd8_sigma * z_cd8))
    sld = float(
        np.clip(
            bd.pool_sld_median_mm * math.exp(bd.pool_sld_sigma * rng.standard_normal()),
            bd.min_target_mm,
            400.0,
        )
    )
    n_t = int(min(bd.max_targets, 1 + rng.poisson(bd.pool_extra_targets)))
    n_t = max(1, min(n_t, int(sld // bd.min_target_mm)))
    w = rng.dirichlet(np.full(n_t, 2.0))
    lesions = bd.min_target_mm + (sld - bd.min_target_mm * n_t) * w
    n_nt = int(rng.poisson(bd.pool_nontarget))
    (child3,) = rng.spawn(1)  # lesion-level growth deviations: a stream of their own
    z_lesion = child3.standard_normal(n_t + n_nt)
    u_pdl1 = float(rng.random())
    if bd.cd8_pdl1_rho != 0.0:  # same uniform marginal, correlated with the CD8 factor
        rho = bd.cd8_pdl1_rho
        z = rho * z_cd8 + math.sqrt(1.0 - rho * rho) * float(special.ndtri(u_pdl1))
        u_pdl1 = float(special.ndtr(z))
    pdl1 = tps_quantile(bd.tps_bins, u_pdl1)
    return {
        "sld_mm": float(lesions.sum()),
        "lesions_mm": [float(x) for x in lesions],
        "n_target": n_t,
        "n_nontarget": n_nt,
        "n_lesions": n_t + n_nt,
        "pdl1": pdl1,
        "pdl1_positive": int(pdl1 >= bd.pdl1_threshold),
        "pdl1_high": int(pdl1 >= bd.pdl1_high_threshold),
        "pdl1_stratum": int(pdl1 >= bd.pdl1_threshold) + int(pdl1 >= bd.pdl1_high_threshold),
        **(
            {}
            if bd.pdl1_ic_share is None
            else {"pdl1_ic_positive": _ic_positive(bd, u_pdl1, z_cd8, rng)}
        ),
        "ecog": int(rng.random() < 0.5),
        "age": float(rng.uniform(18.0, 90.0)),
        "u_new": float(rng.random()),
        "u_death": float(rng.random()),
        "lesion_z": [float(z) for z in z_lesion[:n_t]],
        "nontarget_z": [float(z) for z in z_lesion[n_t:]],
        "cd8_infiltration": cd8,
        "invisible": invisible,
    }


def ic_weights(tc_rho: float, cd8_rho: float, tc_cd8_rho: float) -> tuple[float, float, float]:
    """Weights (a, b, c) of z_ic = a z_tc + b z_cd8 + c eps (eps independent) that give the
    immune-cell score correlation ``tc_rho`` with the cancer-cell score and ``cd8_rho`` with the
    CD8 factor, when those two correlate ``tc_cd8_rho``; an error names the three when no
    such score exists (the correlation matrix is not positive definite)."""
    det = 1.0 - tc_cd8_rho * tc_cd8_rho
    a = (tc_rho - cd8_rho * tc_cd8_rho) / det
    b = (cd8_rho - tc_rho * tc_cd8_rho) / det
    explained = a * a + b * b + 2.0 * a * b * tc_cd8_rho
    if not explained < 1.0 + 1e-12:
        raise ValidationError(
            f"baseline pdl1_ic_rho {tc_rho!r} and pdl1_ic_cd8_rho {cd8_rho!r} are impossible with "
            f"a cancer-cell PD-L1 / CD8 correlation of {tc_cd8_rho:.3g} (the three correlations "
            "must form a positive-definite matrix)"
        )
    return a, b, math.sqrt(max(0.0, 1.0 - explained))


def _ic_positive(bd: BaselineDisease, u_pdl1: float, z_cd8: float, rng: np.random.Generator) -> int:
    """Immune-cell PD-L1 status: 1 when a normal score correlated ``pdl1_ic_rho`` with the
    cancer-cell share's (``u_pdl1``) and ``pdl1_ic_cd8_rho`` with the CD8 factor (``z_cd8``)
    lies in the top ``pdl1_ic_share`` (a fourth child stream)."""
    assert bd.pdl1_ic_share is not None and bd.pdl1_ic_rho is not None
    (child4,) = rng.spawn(1)
    r = bd.pdl1_ic_rho
    if bd.pdl1_ic_cd8_rho is None:  # through the cancer-cell share only
        a, b, c = r, 0.0, math.sqrt(max(0.0, 1.0 - r * r))
    else:
        a, b, c = ic_weights(r, bd.pdl1_ic_cd8_rho, bd.cd8_pdl1_rho)
    z_tc = float(special.ndtri(min(max(u_pdl1, 1e-12), 1.0 - 1e-12)))
    z_ic = a * z_tc + b * z_cd8 + c * float(child4.standard_normal())
    return int(z_ic >= float(special.ndtri(1.0 - bd.pdl1_ic_share)))


def escaped_share(mu: float, cells: float) -> float:
    """Expected share of escaped cells in a lesion of ``cells`` grown from one cell when each
    division gives an escaped daughter with probability ``mu`` and escape is neutral (the
    Luria-Delbrueck mean for synchronous generations: mu x log2(cells)); a lower bound where
    CD8 pressure already selected the escapers before diagnosis."""
    if not (math.isfinite(mu) and 0.0 <= mu <= 1.0) or cells < 0:
        raise ValidationError(f"escape probability {mu!r} per division must lie in [0, 1]")
    return min(1.0, mu * math.log2(cells)) if cells > 1.0 else 0.0


def baseline_missing(spec: ModelSpec, bd: BaselineDisease) -> list[str]:
    """Names a trial baseline sets patients through (:func:`baseline_overrides`: cell density,
    capacity, PD-L1 share, the lesion species) that ``spec`` lacks; legacy and textbook models
    lack them all."""
    params = [bd.cell_density_param, bd.capacity_param, bd.pdl1_param]
    return [p for p in params if p not in spec.parameter_ids] + (
        [] if bd.lesion_species in spec.species_ids else [bd.lesion_species]
    )


def baseline_overrides(
    spec: ModelSpec, bd: BaselineDisease, base: Mapping[str, object]
) -> tuple[dict[str, float], dict[str, float]]:
    """(parameter overrides, initial-state overrides) of a trial patient: its PD-L1-positive share,
    the model lesion = the mean target-lesion volume in cells (at most half the capacity), and
    its tumour CD8 T cells = the spec's CD8 per cancer cell x cells x the patient's infiltration
    factor (patients drawn before the factor existed have none: factor 1); the patient's
    immune-invisible share of those cells starts as ``bd.invisible_species``."""
    rho = spec.parameter(bd.cell_density_param).value
    cap = spec.parameter(bd.capacity_param).value
    lesions = np.asarray(base["lesions_mm"], dtype=float)
    mean_ml = float(np.mean(math.pi / 6.0 * lesions**3)) / 1000.0
    cells = min(mean_ml * rho, 0.5 * cap)
    initial = {bd.lesion_species: cells}
    start = {s.id: s.initial for s in spec.species}
    invisible = float(base.get("invisible", 0.0))  # type: ignore[arg-type]
    if bd.escape_param in spec.parameter_ids:  # escaped daughters of the lesion's history
        escaped = escaped_share(spec.parameter(bd.escape_param).value, cells)
        invisible += (1.0 - invisible) * escaped
    if invisible > 0.0:
        if bd.invisible_species not in start:
            raise ValidationError(
                f"baseline draws an immune-invisible share but the model has no species "
                f"{bd.invisible_species!r}"
            )
        initial = {
            bd.lesion_species: cells * (1.0 - invisible),
            bd.invisible_species: cells * invisible,
        }
    c0 = start.get(bd.lesion_species, 0.0)
    factor = float(base.get("cd8_infiltration", 1.0))  # type: ignore[arg-type]
    for sid in bd.cd8_species:
        if sid in start and c0 > 0:
            initial[sid] = start[sid] * cells / c0 * factor
    return {bd.pdl1_param: float(base["pdl1"])}, initial  # type: ignore[arg-type]


def _lognormal_pdf(x: np.ndarray, median: float, sigma: float) -> np.ndarray:
    return np.asarray(stats.lognorm(s=sigma, scale=median).pdf(x), dtype=float)


def pdl1_pool_shares(bd: BaselineDisease) -> tuple[float, float, float]:
    """Shares of the pool (its PD-L1 share bins) below the positive threshold, positive but
    below the high threshold, and high (exact: the pool is drawn here)."""
    bins = bd.tps_bins
    neg = tps_cdf(bins, bd.pdl1_threshold)
    high = 1.0 - tps_cdf(bins, bd.pdl1_high_threshold)
    return neg, 1.0 - neg - high, high


def _pdl1_stratum_ratio(bd: BaselineDisease, pdl1: np.ndarray) -> np.ndarray:
    """Target share / pool share of each patient's PD-L1 stratum (negative, positive, and --
    when the trial reports it -- high within positive)."""
    pool_neg, pool_mid, pool_high = pdl1_pool_shares(bd)
    pos = float(bd.pdl1_positive_share)  # type: ignore[arg-type]
    if bd.pdl1_high_share is None:
        ratios = (
            (1.0 - pos) / pool_neg,
            pos / (pool_mid + pool_high),
            pos / (pool_mid + pool_high),
        )
    else:
        high = bd.pdl1_high_share
        ratios = ((1.0 - pos) / pool_neg, (pos - high) / pool_mid, high / pool_high)
    stratum = (pdl1 >= bd.pdl1_threshold).astype(int) + (pdl1 >= bd.pdl1_high_threshold)
    return np.asarray(ratios)[stratum]


def selection_weights(bd: BaselineDisease, pool: Sequence[Mapping[str, object]]) -> np.ndarray:
    """Probability of inclusion (up to one scale) of each pool patient: the product over the
    selected traits of target density / pool density (Allen et al. 2016; the pool densities are
    known exactly because the pool is drawn here, so no kernel estimate is needed)."""
    w = np.ones(len(pool))
    sld = np.array([float(p["sld_mm"]) for p in pool])  # type: ignore[arg-type]
    if bd.sld_median_mm is not None:
        w *= _lognormal_pdf(sld, bd.sld_median_mm, bd.sld_sigma) / _lognormal_pdf(
            sld, bd.pool_sld_median_mm, bd.pool_sld_sigma
        )
    if bd.pdl1_positive_share is not None:
        w *= _pdl1_stratum_ratio(bd, np.array([float(p["pdl1"]) for p in pool]))  # type: ignore[arg-type]
    if bd.ecog1_share is not None:
        ecog = np.array([int(p["ecog"]) for p in pool])  # type: ignore[call-overload]
        w *= np.where(ecog == 1, bd.ecog1_share / 0.5, (1 - bd.ecog1_share) / 0.5)
    if bd.age_median is not None:
        age = np.array([float(p["age"]) for p in pool])  # type: ignore[arg-type]
        lo, hi = bd.age_range
        sd = (hi - lo) / 5.0
        a, b = (lo - bd.age_median) / sd, (hi - bd.age_median) / sd
        w *= stats.truncnorm(a, b, loc=bd.age_median, scale=sd).pdf(age) * (90.0 - 18.0)
    return w
