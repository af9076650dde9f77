"""The finite-difference observed information equals a quadratic's exact Hessian."""

import numpy as np

from senotwin._hessian import observed_information


def test_quadratic_hessian_is_recovered() -> None:
    a = np.array([[3.0, 0.5, -1.0], [0.5, 2.0, 0.25], [-1.0, 0.25, 4.0]])
    hess = observed_information(
        lambda x: float(0.5 * x @ a @ x + x.sum()), np.array([0.3, -1.0, 2.0])
    )
    np.testing.assert_allclose(hess, a, rtol=1e-6, atol=1e-6)
