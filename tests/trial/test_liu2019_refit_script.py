"""scripts/liu2019_refit.py: its starts come from the shipped posterior under the fit's own ids,
and the local search it shares with fit_ici stays within the bounds and moves by its step."""

from __future__ import annotations

import numpy as np
import pytest

from senotwin.trial.ici_fit import (
    ICI_PARAMETERS,
    TRANSFERABLE,
    ensemble_column,
    nelder_mead,
    start_vector,
)
from tests.scripts_loader import load_script

REFIT = load_script("liu2019_refit")


def test_ensemble_columns_name_shared_values_and_transferable_centres_by_parameter() -> None:
    assert ensemble_column("k_byst.value") == "k_byst"
    assert ensemble_column("k_kill.centre") == "k_kill" and "k_kill.centre" in TRANSFERABLE
    assert ensemble_column("N_ag.centre") == "N_ag.centre"  # melanoma-specific: kept by id
    assert ensemble_column("N_ag.spread") == "N_ag.spread"


def test_every_shipped_draw_is_a_start_point_of_the_fit() -> None:
    points = REFIT.draws()
    assert len(points) >= 50
    ids = {p.id for p in ICI_PARAMETERS}
    assert all(set(pt) == ids for pt in points)
    x = start_vector(points[0])  # refuses a missing or non-positive log-scaled value
    assert x.shape == (len(ICI_PARAMETERS),) and np.all(np.isfinite(x))


class _Bowl:
    """A cheap stand-in for IciObjective: a quadratic bowl with its minimum at ``centre`` and
    the box [0, 1]^2 as bounds; counts its calls."""

    def __init__(self, centre: tuple[float, float]) -> None:
        self.centre = np.array(centre)
        self.calls: list[np.ndarray] = []

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(2), np.ones(2)

    def __call__(self, x: np.ndarray) -> float:
        self.calls.append(np.array(x, dtype=float))
        return float(np.sum((np.asarray(x) - self.centre) ** 2))


def test_nelder_mead_finds_an_inner_minimum() -> None:
    bowl = _Bowl((0.3, 0.6))
    x = nelder_mead(bowl, np.array([0.8, 0.2]), max_evaluations=300)  # type: ignore[arg-type]
    assert x == pytest.approx([0.3, 0.6], abs=0.01)


def test_nelder_mead_result_is_clipped_to_the_bounds() -> None:
    bowl = _Bowl((1.5, -0.5))  # minimum outside the box
    x = nelder_mead(bowl, np.array([0.5, 0.5]), max_evaluations=300)  # type: ignore[arg-type]
    assert np.all(x >= 0.0) and np.all(x <= 1.0)
    assert x == pytest.approx([1.0, 0.0], abs=0.02)


@pytest.mark.parametrize("step", [0.15, 0.08])
def test_nelder_mead_first_simplex_steps_by_step_times_the_bound_width_towards_the_far_bound(
    step: float,
) -> None:
    bowl = _Bowl((0.5, 0.5))
    x0 = np.array([0.2, 0.9])
    nelder_mead(bowl, x0, max_evaluations=3, step=step)  # type: ignore[arg-type]
    first = bowl.calls[:3]
    assert first[0] == pytest.approx(x0)
    assert first[1] == pytest.approx([0.2 + step, 0.9])  # below the middle: steps up
    assert first[2] == pytest.approx([0.2, 0.9 - step])  # above the middle: steps down
