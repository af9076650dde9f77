"""Fit dead-cell clearance with the senescent share to the measured MONET1 size course (issue 11).

The model's lesion diameter counts dead cells until they are cleared (``k_clear_dead``), so how
fast a chemotherapy course shrinks the *measured* size depends on that rate as well as on the
senescent share ``s`` of the course's removed cells (``scripts/chemo_split_fit.py``, whose
problem and Claret 2014 course this reuses). At the cited per-course loss (held fixed:
measured) this fits (k_clear_dead, s) jointly by least squares of ln(D_treated / D_untreated)
against the Claret drug effect on the weekly grid of the six cycles, then profiles
k_clear_dead (s re-fitted at each value; 95 %: n/2 ln(SSE / SSE_min) <= 1.92, the misfit as
the error, as for the split alone). No library trial is used.

    python scripts/dead_clearance_fit.py [--scenario aged_lung_untreated]
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from chemo_split_fit import CITED_LOSS, DAYS, Problem, claret_effect
from scipy.optimize import brentq, minimize, minimize_scalar

CHI2_95 = 1.92  # half the 95 % chi-square quantile with one degree of freedom


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


class JointProblem:
    """SSE of the MONET1 course as a function of (k_clear_dead, s) at the cited loss."""

    def __init__(self, scenario: str, fixed: dict[str, float] | None = None) -> None:
        self.scenario = scenario
        self.fixed = dict(fixed or {})  # other values held in both arms (e.g. d_stress)
        self._problems: dict[float, Problem] = {}

    def problem(self, k_clear_dead: float) -> Problem:
        """The scenario's treated/untreated pair with ``k_clear_dead`` in both arms."""
        key = round(k_clear_dead, 12)
        if key not in self._problems:
            params = self.fixed | {"k_clear_dead": k_clear_dead}
            self._problems[key] = Problem(self.scenario, params)
        return self._problems[key]

    def sse(self, k_clear_dead: float, split: float) -> float:
        """Sum of squared differences from the Claret course at the cited loss."""
        return self.problem(k_clear_dead).sse(CITED_LOSS, split)

    def best_split(self, k_clear_dead: float) -> tuple[float, float]:
        """The split minimising the SSE at ``k_clear_dead``, and that SSE."""
        res = minimize_scalar(
            lambda x: self.sse(k_clear_dead, _logistic(x)),
            bounds=(-7.0, 3.0),
            method="bounded",
            options={"xatol": 1e-3},
        )
        return _logistic(res.x), float(res.fun)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="aged_lung_untreated")
    args = ap.parse_args()
    joint = JointProblem(args.scenario)
    print(f"scenario {args.scenario}; cited per-course loss {CITED_LOSS:.3f}")
    print("Claret drug effect:", np.round(claret_effect(DAYS), 3).tolist())
    res = minimize(
        lambda x: joint.sse(math.exp(x[0]), _logistic(x[1])),
        x0=[math.log(0.2), 0.0],
        method="Nelder-Mead",
        options={"xatol": 1e-3, "fatol": 1e-7},
    )
    kcd, split = math.exp(res.x[0]), _logistic(res.x[1])
    sse_min = float(res.fun)
    print(f"joint fit: k_clear_dead = {kcd:.4f}/day, s = {split:.3f} (SSE {sse_min:.5f})")
    print("  model effect:", np.round(joint.problem(kcd).effect(CITED_LOSS, split), 3).tolist())
    n = len(DAYS)

    def excess(log_k: float) -> float:
        return n / 2 * math.log(joint.best_split(math.exp(log_k))[1] / sse_min) - CHI2_95

    bounds = []
    for far in (math.log(kcd / 20.0), math.log(kcd * 20.0)):
        if excess(far) <= 0.0:
            bounds.append(None)  # open: the course does not exclude this end
            continue
        bounds.append(math.exp(brentq(excess, min(far, res.x[0]), max(far, res.x[0]), xtol=0.01)))
    print(f"  95 % profile interval of k_clear_dead: {bounds[0]} - {bounds[1]}")
    for k in [b for b in bounds if b is not None]:
        s_k, sse_k = joint.best_split(k)
        print(f"    at {k:.4f}/day: s = {s_k:.3f} (SSE {sse_k:.5f})")
    d_stress = joint.problem(kcd).d_stress
    total = CITED_LOSS * d_stress
    print(
        f"  k_tis = s x loss x d_stress = {split * total:.4f}/day; "
        f"k_cyto = {(1 - split) * total:.4f}/day"
    )


if __name__ == "__main__":
    main()
