"""The finite-difference observed information equals a quadratic's exact Hessian."""

import numpy as np

from senotwin._hessian import observed_information


def test_quadratic_hessian_is_recovered() -> None:
    a = np.array([[3.0, 0.5, -1.0], [0.5, 2.0, 0.25], [-1.0, 0.25, 4.0]])
    hess = observed_information(
        lambda x: float(0.5 * x @ a @ x + x.sum()), np.array([0.3, -1.0, 2.0])
    )
    np.testing.assert_allclose(hess, a, rtol=1e-6, atol=1e-6)


def test_quadratic_surface_is_recovered_exactly_without_noise() -> None:
    from senotwin._hessian import fit_quadratic

    rng = np.random.default_rng(0)
    a = np.array([[3.0, 0.5, -1.0], [0.5, 2.0, 0.25], [-1.0, 0.25, 4.0]])
    g, c0 = np.array([0.2, -0.1, 0.4]), np.array([1.0, -2.0, 0.5])
    x = c0 + rng.uniform(-1, 1, size=(40, 3))
    y = 7.0 + (x - c0) @ g + 0.5 * np.einsum("ni,ij,nj->n", x - c0, a, x - c0)
    q = fit_quadratic(x, y, origin=np.zeros(3), scale=np.array([1.0, 2.0, 0.5]))
    np.testing.assert_allclose(q.hessian, a, atol=1e-8)
    np.testing.assert_allclose(q(x), y, atol=1e-8)
    np.testing.assert_allclose(q.stationary_point(), c0 - np.linalg.solve(a, g), atol=1e-8)
