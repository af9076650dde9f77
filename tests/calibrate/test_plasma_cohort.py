"""Plasma IL-6 / IL-8 of lung-cancer patients (CancerSEEK Table S6 extract): the shipped data,
the left-censored quantile estimate, and the default model's plasma cytokines over a year
against the patients' range (issue 11: 'plasma IL-6 and IL-8 stay within the ranges measured
in cancer patients')."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from senotwin._errors import ValidationError
from senotwin.calibrate.plasma_cohort import (
    Censored,
    SecretionFit,
    cancer_cell_secretion_fit,
    cdf_left_censored,
    censored_quantile,
    healthy_baseline,
    healthy_plasma_cytokines,
    lognormal_left_censored,
    lung_plasma_cytokines,
    patient_range,
)
from senotwin.model.qsp import load_qsp
from senotwin.model.spec import CalibratedProvenance
from senotwin.sim.options import SolverOptions
from senotwin.sim.result import SimulationResult
from senotwin.sim.scenario import run_scenario


def test_extract_holds_the_104_lung_cancer_patients_by_stage() -> None:
    table = lung_plasma_cytokines()
    assert len(table) == 104 and table["patient_id"].is_unique
    assert table["ajcc_stage"].value_counts().to_dict() == {"I": 46, "III": 31, "II": 27}
    il8 = Censored.parse(table["il8_pg_ml"])
    il6 = Censored.parse(table["il6_pg_ml"])
    assert (il8.detected.size, il6.detected.size) == (50, 29)
    assert il8.detected.max() == pytest.approx(37.01) and il6.detected.max() == pytest.approx(76.32)


def test_healthy_extract_holds_the_812_controls_with_their_ages() -> None:
    table = healthy_plasma_cytokines()
    assert len(table) == 812 and table["sample_id"].is_unique
    age = table["age"].astype(int)
    assert (age.min(), age.max()) == (17, 88)
    assert ((age <= 30).sum(), (age >= 65).sum()) == (286, 209)
    il6 = Censored.parse(table["il6_pg_ml"])
    il8 = Censored.parse(table["il8_pg_ml"])
    assert (il6.detected.size, il8.detected.size) == (185, 190)
    assert il6.detected.max() == pytest.approx(356.64) and il8.detected.max() == pytest.approx(
        343.08
    )
    # the healthy median lies below detection; the upper quantiles are the documented numbers
    assert censored_quantile(il6, 0.5) is None
    assert [censored_quantile(il6, q) for q in (0.75, 0.9, 0.95)] == [3.49, 6.67, 10.29]


def test_censored_lognormal_recovers_a_known_distribution() -> None:
    rng = np.random.default_rng(0)
    x = np.exp(rng.normal(np.log(1.5), np.log(3.0), 4000))
    limit = np.where(rng.random(4000) < 0.5, 3.0, 3.6)  # two assay batches
    below = x < limit
    fit = lognormal_left_censored(Censored(np.where(below, limit, x), below))
    assert below.mean() > 0.6  # mostly below detection, like the healthy controls
    assert fit.median == pytest.approx(1.5, rel=0.05) and fit.gsd == pytest.approx(3.0, rel=0.05)
    assert fit.median_low < 1.5 < fit.median_high
    with pytest.raises(ValidationError, match="two detected"):
        lognormal_left_censored(Censored(np.array([1.0, 2.0]), np.array([True, False])))


def test_healthy_plasma_il6_does_not_rise_with_age_in_this_assay() -> None:
    """The numbers docs/quantitative-sources.yaml (cancerseek_healthy_controls_il6_il8) quotes."""
    young, old = healthy_baseline("IL6", 0, 30), healthy_baseline("IL6", 65)
    assert (young.n, old.n) == (286, 209)
    assert young.median == pytest.approx(1.74, abs=0.01)
    assert old.median == pytest.approx(1.50, abs=0.01)
    assert old.median_low < young.median < old.median_high  # no age rise
    assert healthy_baseline("IL6").median == pytest.approx(1.51, abs=0.01)
    il8_young, il8_old = healthy_baseline("IL8", 0, 30), healthy_baseline("IL8", 65)
    assert il8_old.median == pytest.approx(5.02, abs=0.01)
    assert il8_young.median_high < il8_old.median_low  # IL-8 does rise with age
    with pytest.raises(ValidationError, match="no healthy control"):
        healthy_baseline("IL6", 100)


def test_without_censoring_the_estimate_is_the_empirical_distribution() -> None:
    data = Censored(np.arange(1.0, 11.0), np.zeros(10, dtype=bool))
    _xs, below, at_or_below = cdf_left_censored(data)
    assert np.allclose(at_or_below, np.arange(1, 11) / 10)
    assert np.allclose(below, np.arange(0, 10) / 10)
    assert [censored_quantile(data, q) for q in (0.1, 0.5, 0.95)] == [1.0, 5.0, 10.0]


def test_values_below_a_limit_count_below_it_not_at_it() -> None:
    # 5 and 10 measured, two samples below a limit of 3: half the mass lies below 3
    data = Censored(np.array([5.0, 10.0, 3.0, 3.0]), np.array([False, False, True, True]))
    _xs, below, at_or_below = cdf_left_censored(data)
    assert np.allclose(below, [0.5, 0.75]) and np.allclose(at_or_below, [0.75, 1.0])
    assert censored_quantile(data, 0.5) is None  # the median is below detection
    assert censored_quantile(data, 0.6) == 5.0 and censored_quantile(data, 0.8) == 10.0


def test_a_limit_above_every_measurement_carries_no_information() -> None:
    measured = Censored(np.array([2.0, 4.0, 6.0]), np.zeros(3, dtype=bool))
    with_high_limit = Censored(np.array([2.0, 4.0, 6.0, 100.0]), np.array([0, 0, 0, 1], bool))
    assert np.allclose(cdf_left_censored(measured)[2], cdf_left_censored(with_high_limit)[2])


def test_bad_cells_and_quantiles_are_rejected() -> None:
    with pytest.raises(ValidationError, match="'<limit'"):
        Censored.parse(pd.Series(["1.0", "n.d."]))
    with pytest.raises(ValidationError, match="quantile q"):
        censored_quantile(Censored(np.array([1.0]), np.array([False])), 1.5)
    with pytest.raises(ValidationError, match="at least one detected"):
        cdf_left_censored(Censored(np.array([3.0]), np.array([True])))
    with pytest.raises(ValidationError, match="cytokine must be one of"):
        patient_range("TNF")


def test_patient_ranges_are_the_documented_numbers() -> None:
    """docs/calibration.md and docs/quantitative-sources.yaml quote these values."""
    il8, il6 = patient_range("IL8"), patient_range("IL6")
    assert il8.low is None and il8.median == pytest.approx(8.89)
    assert il8.high == pytest.approx(35.04) and patient_range("IL8", 0.25, 0.75).high == 12.65
    assert il6.median == pytest.approx(3.03) and il6.high == pytest.approx(38.62)
    assert patient_range("IL6", 0.25, 0.75).high == pytest.approx(9.24)


@cache
def _default_year() -> SimulationResult:
    grid = np.arange(366, dtype=float)
    res = run_scenario(
        "default", days=365.0, solver=SolverOptions(engine="fast", atol=1e-6, t_eval=grid)
    )
    assert res.ok, res.message
    return res


@pytest.mark.parametrize(("cytokine", "column"), [("IL6", "IL6_p"), ("IL8", "IL8_p")])
def test_default_plasma_cytokines_stay_within_the_patients_5_to_95_percent_range(
    cytokine: str, column: str
) -> None:
    """Every day of the default year lies between the 5th and 95th percentile of the stage I-III
    lung-cancer patients (a 5th percentile below detection bounds nothing from below; the
    Kaplan-Meier estimate puts the mass below detection at the smallest detected value, so a
    5th percentile equal to it -- IL-6: 3.03, with limits 3.04-3.47 just above it -- is below
    detection too)."""
    series = _default_year().table[column].to_numpy()
    rng = patient_range(cytokine)
    smallest = Censored.parse(lung_plasma_cytokines()[f"{cytokine.lower()}_pg_ml"]).detected.min()
    low = rng.low if rng.low is not None and rng.low > smallest else 0.0
    assert series.max() <= rng.high, (cytokine, series.max(), rng)
    assert series.min() >= low, (cytokine, series.min(), rng)


@cache
def _secretion_fit(cytokine: str) -> SecretionFit:
    return cancer_cell_secretion_fit(cytokine)


def test_cancer_cell_il8_rate_is_the_plasma_fit() -> None:
    """qsp.yaml's cancer-cell IL-8 rate and its interval are what the censored fit of the 104
    patients against the aged controls gives now (docs/calibration.md quotes them); the profile
    closes on both sides and the fitted excess of a stage I lesion is ~1 pg/mL."""
    fit = _secretion_fit("IL8")
    param = {p.id: p for p in load_qsp().parameters}[fit.parameter]
    assert fit.parameter == "s_il8_C" and isinstance(param.provenance, CalibratedProvenance)
    assert param.value == pytest.approx(fit.value, rel=0.02)
    assert fit.low is not None and fit.high is not None and fit.low < fit.value < fit.high
    assert param.provenance.interval == pytest.approx((fit.low, fit.high), rel=0.02)
    assert param.provenance.identifiable
    assert (fit.n, fit.detected) == (104, 50)
    assert 0.5 < fit.excess_stage_i < 5.0


def test_cancer_cell_il6_rate_is_the_plasma_fit() -> None:
    """The same fit for IL-6 gives ~1.7e-5 pg/cell/day (docs/calibration.md); qsp.yaml carries it
    as calibrated with its interval since session 10 (it was an assumed 2e-6, outside the
    interval), with the growth boost relative to the cancer cells' own IL-6 signal. 1.66e-5
    (5.78e-6 - 3.17e-5) since session 15 (1.84e-5, 6.53e-6 - 2.96e-5 before C_max became derived,
    1.5e11 -> 2.0e11 cells: a stage's lesion is reached later, with more stromal SASP IL-6).
    1.93e-5 (1.97e-6 - 2.82e-5) since PD-1 engagement became a brake (session 15, immune: tissue
    rates re-derived; the lesion table's immune populations start in proportion to the 2 mm
    lesion): a wider interval, the lower end no longer closed near the value. 1.26e-5
    (2.93e-6 - 3.00e-5) since dead cells are cleared at the measured apoptotic-cell rate
    (session 18, k_clear_dead 0.1 -> 8/day: a stage diameter holds more live cancer cells).
    1.21e-5 (2.97e-6 - 2.99e-5) since the bystander death became half-maximal at the measured
    1 nM (session 20, EC50_ifng_death) and k_byst was refitted. 2.22e-5 (4.19e-6 - 2.87e-5)
    since k_byst and k_exh were recalibrated on liu2019 (session 24: 0.265 -> 0.42, 0.104 ->
    0.135) and the tissue rates re-derived: a flat likelihood across a wide interval. 2.03e-5
    (4.94e-6 - 2.82e-5) since the liu2019 refit on 1000 virtual patients (session 25: k_byst
    0.55, k_exh 0.164) and the tissue rates re-derived. 1.956e-5 (6.135e-6 - 2.785e-5) since the
    measured effector CD8 contraction and its liu2019 refit (session 27: k_byst 1.0, k_exh
    0.193), tissue rates re-derived, alternated to convergence. 1.993e-5 (5.213e-6 - 2.804e-5)
    since melanoma's doubling time became 61 d and liu2019 was refitted (session 32, mel61: k_exh
    0.1747), tissue rates re-derived. 2.084e-5 (4.992e-6 - 2.808e-5) since liu2019 was refitted on
    the mean of four virtual cohorts (session 34, ms4: k_exh 0.1586), tissue rates re-derived."""
    fit = _secretion_fit("IL6")
    assert fit.parameter == "s_il6_C" and (fit.n, fit.detected) == (104, 29)
    assert fit.value == pytest.approx(2.084e-5, rel=0.05)
    assert fit.low is not None and fit.high is not None
    assert fit.low == pytest.approx(4.992e-6, rel=0.05) and fit.high == pytest.approx(
        2.808e-5, rel=0.05
    )
    param = {p.id: p for p in load_qsp().parameters}["s_il6_C"]
    assert isinstance(param.provenance, CalibratedProvenance)
    assert param.value == pytest.approx(fit.value, rel=0.02)
    assert param.provenance.interval == pytest.approx((fit.low, fit.high), rel=0.02)
    assert param.provenance.identifiable


def test_secretion_fit_names_the_allowed_cytokines() -> None:
    with pytest.raises(ValidationError, match="cytokine must be one of"):
        cancer_cell_secretion_fit("TNF")
