"""Upper-limit readouts: a ceiling row is a one-sided hinge, zero while the model is below it."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from senotwin._errors import ValidationError
from senotwin.calibrate import (
    FitParameter,
    Objective,
    Problem,
    Readout,
    export_problem,
    scenario_problem,
)

VALUES = {"beta": 0.3, "kappa": 0.9}
SIGMA = 0.2


@pytest.fixture(scope="module")
def karin() -> Problem:
    return scenario_problem(
        "karin2019", observables=["X"], estimate=["beta", "kappa"], times=[100, 250, 400, 600]
    )


def _with_ceiling(
    karin: Problem, fold: float, sigma: float | str = SIGMA, extra: tuple[FitParameter, ...] = ()
) -> Problem:
    """``karin`` plus a ceiling on X at ``fold`` x the model's X at VALUES, on every row."""
    obs = karin.observables[0]
    pred = Objective(karin).predict(VALUES)
    rows = karin.measurements.copy()
    rows["observableId"] = "X_ceiling"
    rows["measurement"] = pred * fold
    ceiling = Readout("X_ceiling", obs.formula, sigma, "log", limit="upper")
    return Problem(
        **{
            **karin.__dict__,
            "observables": (*karin.observables, ceiling),
            "measurements": pd.concat([karin.measurements, rows], ignore_index=True),
            "parameters": (*karin.parameters, *extra),
        }
    )


def test_below_the_ceiling_costs_nothing(karin: Problem) -> None:
    base = Objective(karin)
    below = Objective(_with_ceiling(karin, 10.0))
    n = len(karin.measurements)
    pred = below.predict(VALUES)
    sigma = below._sigmas(below.fit, VALUES)
    r = below._scaled_residuals(below.fit, pred, sigma)
    assert np.all(r[n:] == 0.0)
    assert below.nllh(VALUES) == pytest.approx(base.nllh(VALUES), rel=1e-12)
    assert below.chi2_of(pred, VALUES) == pytest.approx(base.chi2_of(pred[:n], VALUES))
    assert below.nllh_by_observable(VALUES)["X_ceiling"] == 0.0


def test_above_the_ceiling_the_penalty_grows(karin: Problem) -> None:
    base = Objective(karin).nllh(VALUES)
    rows = len(karin.measurements)
    extra = []
    for fold in (0.5, 0.1):
        objective = Objective(_with_ceiling(karin, fold))
        r = objective.residuals(objective.to_vector(VALUES))
        assert np.allclose(r[rows:], math.log(fold) / SIGMA)
        extra.append(objective.nllh(VALUES) - base)
        assert extra[-1] == pytest.approx(rows * 0.5 * (math.log(fold) / SIGMA) ** 2)
    assert 0 < extra[0] < extra[1]


def test_residuals_stay_the_likelihood_with_an_estimated_sigma(karin: Problem) -> None:
    problem = _with_ceiling(karin, 0.5, "sd", (FitParameter("sd", 0.01, 5, 0.3),))
    objective = Objective(problem)
    gaps = []
    for sd in (0.1, 0.3, 1.0):
        values = VALUES | {"sd": sd}
        r = objective.residuals(objective.to_vector(values))
        gaps.append(0.5 * float(r @ r) - objective.nllh(values))
    assert np.allclose(gaps, gaps[0])


def test_a_limit_is_validated_and_not_exported(karin: Problem, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="limit 'lower'"):
        Readout("x", "X", 0.1, limit="lower")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"X_ceiling is an upper limit.*PEtab v1"):
        export_problem(_with_ceiling(karin, 10.0), tmp_path / "p")
    assert not (tmp_path / "p").exists()
