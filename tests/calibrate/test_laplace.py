"""Laplace approximation from a quadratic response surface of a noisy objective: the emulator
recovers a known posterior covariance through the noise; flat directions get the uniform prior's
curvature; truncated Gaussian draws stay inside the bounds."""

from __future__ import annotations

import numpy as np
import pytest

from senotwin._errors import ValidationError
from senotwin._hessian import fit_quadratic
from senotwin.calibrate.sample import positive_hessian, truncated_normal, uniform_curvature
from senotwin.trial.ici_fit import _lhs


def _known(d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A correlated positive-definite Hessian (sds 0.5-2, neighbour correlations +-0.45), a
    centre."""
    rng = np.random.default_rng(seed)
    sd = np.linspace(0.5, 2.0, d)
    corr = np.eye(d)
    for i in range(d - 1):
        corr[i, i + 1] = corr[i + 1, i] = 0.45 * (-1) ** i
    cov = corr * np.outer(sd, sd)
    assert np.all(np.linalg.eigvalsh(cov) > 0)
    return np.linalg.inv(cov), rng.normal(size=d)


@pytest.mark.parametrize("d, points, noise", [(3, 80, 0.3), (7, 200, 0.5)])
def test_emulator_recovers_the_posterior_covariance_through_noise(
    d: int, points: int, noise: float
) -> None:
    """nllh = quadratic + Gaussian noise (the size of the liu2019 objective's step noise) on a
    Latin hypercube over +-2.5 sd: the fitted Hessian's inverse is the covariance within 15 %
    (Frobenius, relative) and every sd within 10 %."""
    h, centre = _known(d, seed=1)
    sd = np.sqrt(np.diag(np.linalg.inv(h)))
    lo, hi = centre - 2.5 * sd, centre + 2.5 * sd
    x = _lhs(points, lo, hi, seed=0)
    rng = np.random.default_rng(2)
    y = 20.0 + 0.5 * np.einsum("ni,ij,nj->n", x - centre, h, x - centre)
    y = y + rng.normal(scale=noise, size=points)
    q = fit_quadratic(x, y, origin=centre, scale=2.5 * sd)
    assert np.all(np.linalg.eigvalsh(q.hessian) > 0)
    cov, truth = np.linalg.inv(q.hessian), np.linalg.inv(h)
    assert np.linalg.norm(cov - truth) / np.linalg.norm(truth) < 0.15
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), sd, rtol=0.1)
    np.testing.assert_allclose(q.stationary_point(), centre, atol=0.2 * sd.max())


def test_uniform_curvature_is_one_over_the_variance_along_the_direction() -> None:
    lo, hi = np.zeros(2), np.array([1.0, 2.0])
    assert uniform_curvature(np.array([1.0, 0.0]), lo, hi) == pytest.approx(12.0)
    assert uniform_curvature(np.array([0.0, 3.0]), lo, hi) == pytest.approx(3.0)
    both = np.array([1.0, 1.0])  # (1/2)(1/12) + (1/2)(4/12) = 5/24
    assert uniform_curvature(both, lo, hi) == pytest.approx(24.0 / 5.0)


def test_positive_hessian_replaces_only_the_non_positive_directions() -> None:
    lo, hi = np.zeros(2), np.array([1.0, 2.0])
    rot = np.array([[1.0, 1.0], [1.0, -1.0]]) / np.sqrt(2.0)
    h = rot @ np.diag([5.0, -0.3]) @ rot.T
    fixed, replaced = positive_hessian(h, lo, hi)
    values = np.linalg.eigvalsh(fixed)
    assert len(replaced) == 1 and replaced[0]["eigenvalue"] == pytest.approx(-0.3)
    assert replaced[0]["prior_curvature"] == pytest.approx(24.0 / 5.0)
    np.testing.assert_allclose(sorted(values), [24.0 / 5.0, 5.0])
    same, none = positive_hessian(rot @ np.diag([5.0, 0.3]) @ rot.T, lo, hi)
    assert none == [] and np.allclose(same, rot @ np.diag([5.0, 0.3]) @ rot.T)


def test_truncated_normal_stays_inside_and_reports_the_mass_inside() -> None:
    lo, hi = np.array([0.0, -10.0]), np.array([10.0, 10.0])  # half of the first axis cut
    draws, acceptance = truncated_normal(np.zeros(2), np.eye(2), lo, hi, 2000, seed=3)
    assert draws.shape == (2000, 2)
    assert np.all((draws >= lo) & (draws <= hi))
    assert acceptance == pytest.approx(0.5, abs=0.03)
    again, _ = truncated_normal(np.zeros(2), np.eye(2), lo, hi, 2000, seed=3)
    np.testing.assert_array_equal(draws, again)
    with pytest.raises(ValidationError, match="too little mass"):
        truncated_normal(
            np.zeros(1), np.eye(1), np.array([9.0]), np.array([10.0]), 5, max_draws=5000
        )
