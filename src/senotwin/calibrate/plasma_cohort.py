"""Plasma IL-6 and IL-8 of lung-cancer patients and of healthy controls (Cohen 2018, CancerSEEK
Table S6, same assay): the shipped per-person extracts and their distributions, for checking the
model's plasma cytokines against the values measured in patients and for the host baseline.
Values below an assay's limit of detection are kept as censored ("<limit"); quantiles come from
a Kaplan-Meier estimate for left-censored data, and a central value below detection from a
censored log-normal fit, so a detection limit is never read as a measured concentration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO

import numpy as np
import pandas as pd
from scipy import optimize, stats

from senotwin._errors import ValidationError
from senotwin._hessian import observed_information
from senotwin.calibrate.datasets import data_text

DATASET = "cohen2018_plasma"
CITATION = (
    "Cohen JD, Li L, Wang Y, et al. Detection and localization of surgically resectable cancers "
    "with a multi-analyte blood test. Science 2018;359:926-930, Table S6 (plasma protein "
    "concentrations per patient)"
)
#: column of the extract for each cytokine (pg/mL)
CYTOKINES = {"IL6": "il6_pg_ml", "IL8": "il8_pg_ml"}


@dataclass(frozen=True)
class Censored:
    """Measurements with a below-detection flag: ``value`` is the concentration where detected
    and the assay's detection limit where not."""

    value: np.ndarray
    below_limit: np.ndarray

    @classmethod
    def parse(cls, cells: pd.Series) -> Censored:
        """Read cells such as ``12.76`` (measured) or ``<8.268`` (below that limit)."""
        text = cells.astype(str).str.strip()
        below = text.str.startswith("<").to_numpy()
        try:
            value = text.str.lstrip("<").astype(float).to_numpy()
        except ValueError as exc:
            raise ValidationError(
                f"plasma cytokine cells must be numbers or '<limit'; got {exc}"
            ) from exc
        return cls(value=value, below_limit=below)

    @property
    def detected(self) -> np.ndarray:
        return np.asarray(self.value[~self.below_limit])


def lung_plasma_cytokines() -> pd.DataFrame:
    """The 104 lung-cancer patients of CancerSEEK (AJCC stage I-III, plasma before surgery):
    ``patient_id``, ``ajcc_stage``, ``il6_pg_ml``, ``il8_pg_ml`` as text ("<limit" when below
    detection)."""
    return pd.read_csv(StringIO(data_text(DATASET, "lung_plasma_cytokines.csv")), dtype=str)


def healthy_plasma_cytokines() -> pd.DataFrame:
    """The 812 healthy controls of CancerSEEK (Table S6 'Normal' rows, ages from Table S4):
    ``sample_id``, ``age`` (years), ``il6_pg_ml``, ``il8_pg_ml`` as text ("<limit" when below
    detection)."""
    return pd.read_csv(StringIO(data_text(DATASET, "healthy_plasma_cytokines.csv")), dtype=str)


@dataclass(frozen=True)
class LogNormalFit:
    """Maximum-likelihood log-normal of a left-censored sample: ``median`` and ``gsd``
    (geometric standard deviation) with the 95 % Wald interval of the median."""

    n: int
    detected: int
    median: float
    gsd: float
    median_low: float
    median_high: float

    @property
    def mean(self) -> float:
        return float(self.median * np.exp(np.log(self.gsd) ** 2 / 2))


def lognormal_left_censored(data: Censored) -> LogNormalFit:
    """Fit a log-normal to measurements left-censored at their own limits (a value below limit
    L contributes P(X < L), a detected one its density): the standard parametric estimate when
    most of a sample lies below detection (Helsel, 'Statistics for censored environmental
    data')."""
    if np.any(data.value <= 0.0):
        raise ValidationError("a log-normal fit needs positive values and limits")
    if np.sum(~data.below_limit) < 2:
        raise ValidationError("a censored log-normal fit needs at least two detected values")
    z = np.log(data.value)
    cens = data.below_limit

    def nllh(p: np.ndarray) -> float:
        mu, log_s = p
        s = np.exp(log_s)
        u = (z - mu) / s
        return float(-np.where(cens, stats.norm.logcdf(u), stats.norm.logpdf(u) - log_s).sum())

    start = np.array([np.log(np.median(data.value)), 0.0])
    res = optimize.minimize(
        nllh, start, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-10}
    )
    mu, log_s = res.x
    # Wald interval of mu from the observed information (central differences)
    hess = observed_information(nllh, res.x)
    se_mu = float(np.sqrt(np.linalg.inv(hess)[0, 0]))
    return LogNormalFit(
        n=int(z.size),
        detected=int(np.sum(~cens)),
        median=float(np.exp(mu)),
        gsd=float(np.exp(np.exp(log_s))),
        median_low=float(np.exp(mu - 1.96 * se_mu)),
        median_high=float(np.exp(mu + 1.96 * se_mu)),
    )


def healthy_baseline(cytokine: str, min_age: int = 0, max_age: int = 200) -> LogNormalFit:
    """Plasma ``cytokine`` ('IL6' or 'IL8') of the healthy controls aged ``min_age``..``max_age``
    (inclusive): the censored log-normal fit (most controls lie below detection)."""
    if cytokine not in CYTOKINES:
        raise ValidationError(f"cytokine must be one of {sorted(CYTOKINES)}; got {cytokine!r}")
    table = healthy_plasma_cytokines()
    age = table["age"].astype(int)
    chosen = table[(age >= min_age) & (age <= max_age)]
    if chosen.empty:
        raise ValidationError(f"no healthy control aged {min_age}-{max_age}")
    return lognormal_left_censored(Censored.parse(chosen[CYTOKINES[cytokine]]))


def cdf_left_censored(data: Censored) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kaplan-Meier estimates of P(X < x) and P(X <= x) at each distinct detected value x
    (ascending), for data censored from the left at varying limits (the reverse-time
    Kaplan-Meier of Helsel, 'Statistics for censored environmental data'). A value below
    limit L counts as X < L."""
    if data.value.size == 0 or not np.any(~data.below_limit):
        raise ValidationError("a censored distribution needs at least one detected value")
    xs = np.unique(data.detected)[::-1]  # descending: the 'time' axis runs downwards in x
    below_strict = np.empty_like(xs)  # P(X < x) just below each detected value
    survival = 1.0
    for i, x in enumerate(xs):
        # at risk at x: the observations known to lie at or below x (detected <= x, or below a
        # limit <= x); one below a higher limit left the risk set when x passed under it
        at_risk = np.sum(data.value <= x)
        events = np.sum((~data.below_limit) & (data.value == x))
        survival *= 1.0 - events / at_risk
        below_strict[i] = survival
    # P(X <= x_i) is P(X < x_{i-1}) for the next larger detected value (1 at the largest)
    at_or_below = np.concatenate(([1.0], below_strict[:-1]))
    return xs[::-1], below_strict[::-1], at_or_below[::-1]


def censored_quantile(data: Censored, q: float) -> float | None:
    """The ``q`` quantile of a left-censored sample: the smallest detected value whose estimated
    P(X <= x) reaches ``q``; None where the quantile lies below every detected value (only an
    upper bound, the smallest detected value, is known)."""
    if not 0.0 < q < 1.0:
        raise ValidationError(f"quantile q must lie in (0, 1); got {q!r}")
    xs, below, at_or_below = cdf_left_censored(data)
    if below[0] >= q:
        return None
    reached = np.nonzero(at_or_below >= q - 1e-12)[0]
    return float(xs[reached[0]])


@dataclass(frozen=True)
class PatientRange:
    """A cytokine's plasma distribution among the patients (pg/mL); ``low`` is None when the
    lower quantile is below detection."""

    cytokine: str
    n: int
    detected: int
    low: float | None
    median: float | None
    high: float
    maximum: float
    q_low: float
    q_high: float


def patient_range(cytokine: str, q_low: float = 0.05, q_high: float = 0.95) -> PatientRange:
    """Plasma ``cytokine`` ('IL6' or 'IL8') of the lung-cancer patients: the ``q_low`` and
    ``q_high`` quantiles, median and largest detected value."""
    if cytokine not in CYTOKINES:
        raise ValidationError(f"cytokine must be one of {sorted(CYTOKINES)}; got {cytokine!r}")
    data = Censored.parse(lung_plasma_cytokines()[CYTOKINES[cytokine]])
    high = censored_quantile(data, q_high)
    if high is None:
        raise ValidationError(f"the {q_high} quantile of plasma {cytokine} is below detection")
    return PatientRange(
        cytokine=cytokine,
        n=int(data.value.size),
        detected=int(data.detected.size),
        low=censored_quantile(data, q_low),
        median=censored_quantile(data, 0.5),
        high=high,
        maximum=float(data.detected.max()),
        q_low=q_low,
        q_high=q_high,
    )


# ---- cancer-cell secretion from the patients' plasma excess over healthy controls -------------
#: lesion diameter (mm, mean and SD) of resected NSCLC by nodal status (quantitative-sources
#: nsclc_tumour_size_nodal_status, BMC Cancer 2010;10:474): N0M0 for stage I, node-positive or
#: metastatic ("other status") for stages II and III -- stage II is mostly N1 in the AJCC 7th
#: edition (T2b/T3 N0 are the rest), an approximation stated in docs/calibration.md
STAGE_DIAMETER_MM: dict[str, tuple[float, float]] = {
    "I": (37.17, 21.34),
    "II": (45.75, 23.19),
    "III": (45.75, 23.19),
}
#: the model parameters each cytokine's fit sets: (cancer-cell rate, SASP rate, plasma clearance)
SECRETION_PARAMETERS: dict[str, tuple[str, str, str]] = {
    "IL6": ("s_il6_C", "s_il6_sen", "k_cl_il6"),
    "IL8": ("s_il8_C", "s_il8_sen", "k_cl_il8"),
}
_DIAMETER_NODES = 600  # grid over each stage's (truncated normal) diameter distribution


@dataclass(frozen=True)
class SecretionFit:
    """Maximum-likelihood cancer-cell secretion rate ``value`` (pg/cell/day) of ``parameter``
    with its 95 % profile-likelihood interval (``low``, ``high``; None where the profile does
    not rise by 1.92 inside the searched decade range), the negative log-likelihood at the
    optimum and the plasma excess (pg/mL) it gives for a lesion of the stage I mean diameter."""

    cytokine: str
    parameter: str
    value: float
    low: float | None
    high: float | None
    nllh: float
    n: int
    detected: int
    excess_stage_i: float


def untreated_lesion_table() -> pd.DataFrame:
    """The model's untreated aged lung lesion grown from the imaging detection limit: cancer
    cells (``C``) and SASP secretion in cell equivalents (``sasp``) by diameter (mm), daily up to
    the largest diameter it reaches within 2500 days. Every immune population (tumour CD8, blood
    CD8, TDLN DCs, MDSC, PMN, NK) starts in the scenario's proportion to its cancer cells: since
    session 15 PD-1 engagement only brakes killing, and the big lesion's blood CD8 pool and DCs
    rejected a detection-limit lesion (before, only the tumour CD8 were scaled)."""
    from senotwin.model.qsp import load_qsp
    from senotwin.model.scenarios import get_scenario
    from senotwin.sim.options import SolverOptions
    from senotwin.sim.scenario import run_scenario

    spec = get_scenario("aged_lung_untreated").load()
    p = {q.id: q.value for q in load_qsp().parameters}
    c0 = p["rho_cell"] * p["V_detect"]
    initial = {s.id: s.initial for s in spec.species}
    scale = c0 / initial["C"]
    immune = ("T8", "T8x", "T8b", "mDC", "MDSC", "PMN", "NK")
    grid = np.arange(2501, dtype=float)
    res = run_scenario(
        "aged_lung_untreated",
        overrides={"C": c0} | {k: initial[k] * scale for k in immune},
        days=2500.0,
        solver=SolverOptions(engine="fast", atol=1e-6, t_eval=grid),
    )
    if not res.ok:
        raise ValidationError(f"the untreated lesion did not integrate: {res.message}")
    t = res.table
    table = pd.DataFrame(
        {"diameter": t["diameter"], "C": t["C"] + t["Ci"], "sasp": t["sasp_secretion"]}
    )
    table = table.iloc[: int(np.argmax(table["diameter"].to_numpy())) + 1]
    grows = len(table) > 1 and np.all(np.diff(table["diameter"].to_numpy()) > 0)
    if not grows:
        raise ValidationError("the untreated lesion must grow monotonically to tabulate it")
    return table


def _stage_excess_per_rate(
    cytokine: str, table: pd.DataFrame, values: dict[str, float]
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per stage: weights of a fine diameter grid under the cited (truncated normal) diameter
    distribution -- between the detection limit and the largest untreated lesion -- and the plasma
    excess (pg/mL) per unit cancer-cell rate and from the fixed SASP rate at each node -- the
    model's plasma expression f_drain * secretion / (V_c * k_cl) with no IL-6 blockade."""
    _, sen_rate, k_cl = SECRETION_PARAMETERS[cytokine]
    scale = values["f_drain"] / (values["V_c"] * values[k_cl])
    d = np.linspace(float(table["diameter"].min()), float(table["diameter"].max()), _DIAMETER_NODES)
    out = {}
    for stage, (mean, sd) in STAGE_DIAMETER_MM.items():
        w = stats.norm.pdf(d, mean, sd)
        cells = np.interp(d, table["diameter"], table["C"])
        sasp = np.interp(d, table["diameter"], table["sasp"])
        out[stage] = (w / w.sum(), scale * cells, scale * values[sen_rate] * sasp)
    return out


@dataclass(frozen=True)
class SecretionLikelihood:
    """The plasma likelihood of one cancer-cell secretion rate (:func:`secretion_likelihood`):
    ``nllh(log10 rate)``, and the fixed parts the fit's summary reads (qsp.yaml values, the
    untreated lesion table, the patients' values)."""

    nllh: Callable[[float], float]
    values: dict[str, float]
    table: pd.DataFrame
    data: Censored


def secretion_likelihood(cytokine: str) -> SecretionLikelihood:
    """Negative log-likelihood of log10 of the cancer-cell secretion rate of ``cytokine``
    ('IL6' -> s_il6_C, 'IL8' -> s_il8_C) over the 104 stage I-III lung-cancer patients (the
    model of :func:`cancer_cell_secretion_fit`); a one-dimensional function, so a posterior
    can be sampled from it exactly on a grid."""
    from senotwin.model.qsp import load_qsp

    if cytokine not in SECRETION_PARAMETERS:
        raise ValidationError(
            f"cytokine must be one of {sorted(SECRETION_PARAMETERS)}; got {cytokine!r}"
        )
    values = {q.id: q.value for q in load_qsp().parameters}
    base = healthy_baseline(cytokine, 65)
    mu, sig = np.log(base.median), np.log(base.gsd)
    patients = lung_plasma_cytokines()
    data = Censored.parse(patients[CYTOKINES[cytokine]])
    stages = patients["ajcc_stage"].to_numpy()
    table = untreated_lesion_table()
    nodes = _stage_excess_per_rate(cytokine, table, values)

    def nllh(log_rate: float) -> float:
        rate = 10.0**log_rate
        total = 0.0
        for stage, (w, per_rate, fixed) in nodes.items():
            pick = stages == stage
            obs, below = data.value[pick][:, None], data.below_limit[pick][:, None]
            rest = obs - (rate * per_rate + fixed)[None, :]  # baseline left per node
            pos = np.maximum(rest, 1e-300)
            z = (np.log(pos) - mu) / sig
            dens = np.where(rest > 0, stats.norm.pdf(z) / (pos * sig), 0.0)
            cdf = np.where(rest > 0, stats.norm.cdf(z), 0.0)
            lik = np.where(below, cdf, dens) @ w
            total -= float(np.sum(np.log(np.maximum(lik, 1e-300))))
        return total

    return SecretionLikelihood(nllh, values, table, data)


def cancer_cell_secretion_fit(cytokine: str) -> SecretionFit:
    """Fit the cancer-cell secretion rate of ``cytokine`` ('IL6' -> s_il6_C, 'IL8' -> s_il8_C)
    to the 104 stage I-III lung-cancer patients: each patient's plasma value is the aged host
    baseline (the censored log-normal of the healthy controls aged >= 65) plus the model's
    plasma excess of an untreated lesion whose diameter follows the cited distribution of the
    patient's stage. The SASP rate, drainage share, clearance and blood volume stay at their
    qsp.yaml values (only their combination with the fitted rate is identifiable)."""
    lik = secretion_likelihood(cytokine)
    nllh, values, table, data = lik.nllh, lik.values, lik.table, lik.data

    bounds = (-9.0, -1.0)
    grid = np.linspace(*bounds, 81)
    start = float(grid[int(np.argmin([nllh(g) for g in grid]))])
    res = optimize.minimize_scalar(
        nllh, bounds=(max(bounds[0], start - 0.1), min(bounds[1], start + 0.1)), method="bounded"
    )
    best, best_nllh = float(res.x), float(res.fun)

    def edge(side: float) -> float | None:
        end = bounds[0] if side < 0 else bounds[1]
        if nllh(end) - best_nllh < 1.92:
            return None
        root = optimize.brentq(lambda g: nllh(g) - best_nllh - 1.92, *sorted((best, end)))
        return float(10.0**root)

    mean_d = STAGE_DIAMETER_MM["I"][0]
    cells, sasp = (float(np.interp(mean_d, table["diameter"], table[k])) for k in ("C", "sasp"))
    c_rate, sen_rate, k_cl = SECRETION_PARAMETERS[cytokine]
    scale = values["f_drain"] / (values["V_c"] * values[k_cl])
    return SecretionFit(
        cytokine=cytokine,
        parameter=c_rate,
        value=float(10.0**best),
        low=edge(-1.0),
        high=edge(1.0),
        nllh=best_nllh,
        n=int(data.value.size),
        detected=int(data.detected.size),
        excess_stage_i=scale * (10.0**best * cells + values[sen_rate] * sasp),
    )
