"""Hessians of a scalar function: by finite differences (the observed information for Wald
intervals) and from a least-squares quadratic response surface (a noisy function's emulator)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from senotwin._errors import ValidationError


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


@dataclass(frozen=True)
class Quadratic:
    """q(x) = constant + gradient . (x - origin) + (x - origin)' hessian (x - origin) / 2."""

    origin: np.ndarray
    constant: float
    gradient: np.ndarray
    hessian: np.ndarray

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """q at one point (d,) or at each row of (n, d)."""
        dx = np.asarray(x, dtype=float) - self.origin
        return np.asarray(
            self.constant
            + dx @ self.gradient
            + 0.5 * np.einsum("...i,ij,...j", dx, self.hessian, dx)
        )

    def stationary_point(self) -> np.ndarray:
        """Where the gradient vanishes (the minimiser when the Hessian is positive definite)."""
        return np.asarray(self.origin - np.linalg.solve(self.hessian, self.gradient))


def fit_quadratic(x: np.ndarray, y: np.ndarray, origin: np.ndarray, scale: np.ndarray) -> Quadratic:
    """Full quadratic (1 + d + d(d+1)/2 coefficients) fitted to ``y`` at the rows of ``x`` by
    least squares, in the units (x - origin) / scale (for conditioning), returned in x's units:
    regression averages out noise that finite differences would amplify."""
    u = (np.asarray(x, dtype=float) - origin) / scale
    n, d = u.shape
    pairs = [(i, j) for i in range(d) for j in range(i, d)]
    design = np.column_stack([np.ones(n), u, *[u[:, i] * u[:, j] for i, j in pairs]])
    if n < design.shape[1]:
        raise ValidationError(
            f"a full quadratic in {d} dimensions needs >= {design.shape[1]} points"
        )
    coef = np.linalg.lstsq(design, np.asarray(y, dtype=float), rcond=None)[0]
    hess = np.zeros((d, d))
    for (i, j), b in zip(pairs, coef[1 + d :], strict=True):
        hess[i, j] = hess[j, i] = 2.0 * b if i == j else b
    return Quadratic(
        np.asarray(origin, dtype=float),
        float(coef[0]),
        coef[1 : 1 + d] / scale,
        hess / np.outer(scale, scale),
    )
