"""Finite-difference Hessian of a scalar function: the observed information for Wald intervals."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def observed_information(
    fun: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-4
) -> np.ndarray:
    """Central-difference Hessian of ``fun`` (a negative log-likelihood) at ``x``, step ``h``."""
    n = x.size
    eye = np.eye(n) * h
    hess = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            hess[i, j] = (
                fun(x + eye[i] + eye[j])
                - fun(x + eye[i] - eye[j])
                - fun(x - eye[i] + eye[j])
                + fun(x - eye[i] - eye[j])
            ) / (4 * h * h)
    return hess
