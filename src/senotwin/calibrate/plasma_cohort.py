"""Plasma IL-6 and IL-8 of lung-cancer patients and of healthy controls (Cohen 2018, CancerSEEK
Table S6, same assay): the shipped per-person extracts and their distributions, for checking the
model's plasma cytokines against the values measured in patients and for the host baseline.
Values below an assay's limit of detection are kept as censored ("<limit"); quantiles come from
a Kaplan-Meier estimate for left-censored data, and a central value below detection from a
censored log-normal fit, so a detection limit is never read as a measured concentration."""

from __future__ import annotations

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
