"""Profile likelihoods and practical identifiability (Raue et al. 2009 Bioinformatics 25:1923).

For each fitted parameter the profile walks outwards from the optimum on the parameter's scale,
re-optimising all other parameters at each step, until the negative log-likelihood has risen by
more than the 95% threshold (chi2 with 1 degree of freedom: 3.84 / 2 = 1.92 in nllh) or the
bound is reached. The 95% confidence interval is where the profile crosses the threshold; a
side that never crosses before the bound leaves the interval open and the parameter
*practically non-identifiable* from these data.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2

from senotwin._errors import ValidationError
from senotwin.calibrate.fit import FitResult, local_fit
from senotwin.calibrate.objective import Objective

#: rise of the negative log-likelihood that bounds the 95% profile-likelihood interval
THRESHOLD_95 = float(chi2.ppf(0.95, 1) / 2)
#: each profile step is this much longer than the previous one
GROWTH = 1.5


@dataclass(frozen=True)
class Profile:
    """One parameter's profile: values (linear scale) and nllh along it, the 95% interval
    (None on a side where the profile stays below the threshold up to the bound)."""

    parameter: str
    best: float
    values: tuple[float, ...]
    nllh: tuple[float, ...]
    ci_low: float | None
    ci_high: float | None
    lower_bound: float
    upper_bound: float

    @property
    def identifiable(self) -> bool:
        """Both sides of the interval closed inside the bounds."""
        return self.ci_low is not None and self.ci_high is not None


def _crossing(x0: float, f0: float, x1: float, f1: float, level: float) -> float:
    if f1 == f0:
        return x1
    return x0 + (level - f0) * (x1 - x0) / (f1 - f0)


def profile_parameter(
    objective: Objective,
    fit: FitResult,
    parameter: str,
    *,
    steps: int = 14,
    max_nfev: int = 60,
) -> Profile:
    """Profile of ``parameter`` around the best fit (``steps`` points at most per side: the
    first 1/100 of the bounds' width, each next 1.5 times longer, 14 steps span the width)."""
    ids = list(fit.parameter_ids)
    if parameter not in ids:
        raise ValidationError(f"parameter {parameter!r} was not fitted (fitted: {', '.join(ids)})")
    j = ids.index(parameter)
    p = objective.estimated[j]
    lo, hi = objective.bounds()
    best_x = objective.to_vector(fit.best)
    ref = fit.nllh
    free = np.ones(best_x.size, bool)
    free[j] = False
    first_step = (hi[j] - lo[j]) / 100.0  # then 1.5-fold longer each step (fine near the optimum)
    points: list[tuple[float, float]] = [(float(best_x[j]), ref)]
    ends: dict[int, float | None] = {}
    for direction in (-1, 1):
        x = best_x.copy()
        prev = (float(best_x[j]), ref)
        ends[direction] = None
        step = first_step
        for _ in range(steps):
            target = x[j] + direction * step
            step *= GROWTH
            at_bound = target <= lo[j] or target >= hi[j]
            x[j] = min(max(target, lo[j]), hi[j])
            x, nllh, _, _, _ = local_fit(objective, x, free=free, max_nfev=max_nfev)
            points.append((float(x[j]), nllh))
            if math.isfinite(nllh) and nllh - ref > THRESHOLD_95:
                ends[direction] = _crossing(prev[0], prev[1] - ref, x[j], nllh - ref, THRESHOLD_95)
                break
            prev = (float(x[j]), nllh)
            if at_bound:
                break
    points.sort()
    scaled = np.array([q[0] for q in points])
    values = tuple(float(p.from_scale(v)) for v in scaled)
    low = ends[-1]
    high = ends[1]
    return Profile(
        parameter=parameter,
        best=float(fit.best[parameter]),
        values=values,
        nllh=tuple(q[1] for q in points),
        ci_low=None if low is None else float(p.from_scale(low)),
        ci_high=None if high is None else float(p.from_scale(high)),
        lower_bound=p.lower,
        upper_bound=p.upper,
    )


def profile_all(
    objective: Objective,
    fit: FitResult,
    *,
    steps: int = 14,
    max_nfev: int = 60,
    progress: Callable[[tuple[Profile, ...]], None] | None = None,
) -> tuple[Profile, ...]:
    """Profiles of every fitted parameter (``progress`` is called after each one)."""
    done: list[Profile] = []
    for pid in fit.parameter_ids:
        done.append(profile_parameter(objective, fit, pid, steps=steps, max_nfev=max_nfev))
        if progress is not None:
            progress(tuple(done))
    return tuple(done)
