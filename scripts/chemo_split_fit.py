"""Fit the senescent/killed split of a chemotherapy course to the measured size course (issue 13).

Claret et al. 2014 (MONET1: carboplatin AUC 6 + paclitaxel 200 mg/m2 q3w, first-line
nonsquamous NSCLC; quantitative-sources tgi_kill_nsclc_platinum_doublet) fitted the typical
patient's *measured* sum of diameters as TS(t) = BASE exp(KL t - KDE/lambda (1 - exp(-lambda t))):
the drug's effect on the measured size is ln(TS / TS_untreated) = -KDE/lambda (1 - exp(-lambda t)).
The model's lesion diameter counts live, senescent and dead cells; cells a course removes leave
the scan at ``k_clear_dead`` (dead) or at the saturable innate removal (senescent), so the
drug's effect on the *measured* size depends on where the removed cells go. This script
simulates the typical (nominal) patient of a scenario with and without the MONET1 regimen and
fits the two chemotherapy constants, the per-course loss of cancer cells
``L = (k_tis + k_cyto) / d_stress`` and the senescent share ``s = k_tis / (k_tis + k_cyto)``, by
least squares of the model's ln(D_treated / D_untreated) against the Claret drug effect on the
weekly grid of the six cycles (days 7-126). No library trial is used: MONET1 is not one, and
the regimen is MONET1's. The split's 95 % interval is its profile with the misfit as the error
(Gaussian, sigma estimated: n/2 ln(SSE(s) / SSE_min) <= 1.92), conditional on the cited loss.
``--grid`` prints the objective on a grid first. ``--trial NAME`` simulates the typical patient
of a library trial instead of the scenario's nominal one: the trial's scenario with the prior
centres its patients are drawn around under the liu2019 point fit (``--immune fit``: the
tissue-carried precursors and Treg load, ``k_grow`` re-derived at them), from the trial path's
own :func:`senotwin.trial.run.trial_config`; the trial's *baseline* only (no outcome is used).

    python scripts/chemo_split_fit.py [--scenario aged_lung_untreated] [--trial keynote189] [--grid]
"""

from __future__ import annotations

import argparse
import math

import numpy as np
import pandas as pd
from chemo_tgi_check import KDE, LAMBDA, REGIMEN  # the Claret 2014 course, one place
from scipy.optimize import brentq, minimize

from senotwin.model.scenarios import get_scenario
from senotwin.sim.simulate import simulate
from senotwin.therapy.dosing import body_for_scenario
from senotwin.therapy.language import apply_regimen, parse_regimen
from senotwin.trial.library import get_trial
from senotwin.trial.run import trial_config

DAYS = np.arange(7.0, 127.0, 7.0)
CITED_LOSS = 3 * KDE * 21.0  # ln units of volume per standard course (k_cyto's formula)


def claret_effect(t: np.ndarray) -> np.ndarray:
    """The drug's effect on the typical measured diameter, ln(TS / TS untreated)."""
    return -KDE / LAMBDA * (1.0 - np.exp(-LAMBDA * t))


def trial_patient(trial: str) -> tuple[str, dict[str, float]]:
    """The scenario and the prior centres of ``trial``'s patients under the liu2019 point fit
    (what :func:`senotwin.trial.run.trial_config` gives every patient before its spread)."""
    spec = get_trial(trial)
    pop = trial_config(spec, 20, seed=0, immune="fit").population
    return spec.scenario, {p.parameter: float(p.centre) for p in pop.priors if p.centre is not None}


class Problem:
    """The scenario's nominal patient, treated and untreated, as a function of (L, s)."""

    def __init__(
        self, scenario: str, params: dict[str, float] | None = None, engine: str | None = None
    ) -> None:
        spec = get_scenario(scenario).load()
        self.solver = {} if engine is None else {"engine": engine}  # None: simulate's default
        self.plan = apply_regimen(spec, parse_regimen(REGIMEN, body=body_for_scenario(scenario)))
        self.params = dict(params or {})  # other values held fixed in both arms (a what-if)
        self.d_stress = self.params.get("d_stress", self.plan.spec.parameter("d_stress").value)
        untreated = simulate(
            self.plan.spec, t_end=130.0, params=self.params, check_ranges=False, **self.solver
        )
        self.base = self._diameter(untreated.table)

    @staticmethod
    def _diameter(table: pd.DataFrame) -> np.ndarray:
        t = table["time"].to_numpy()
        vol = (table[["C", "Ci", "Se", "Sl", "Sd", "D"]].sum(axis=1)).to_numpy()
        return np.interp(DAYS, t, np.cbrt(vol))

    def effect(self, loss: float, split: float) -> np.ndarray:
        """ln(D_treated / D_untreated) on DAYS with per-course loss ``loss`` and share ``split``."""
        total = loss * self.d_stress
        params = self.params | {"k_tis": split * total, "k_cyto": (1.0 - split) * total}
        table = simulate(
            self.plan.spec,
            t_end=130.0,
            params=params,
            regimen=self.plan.schedule,
            check_ranges=False,
            **self.solver,
        ).table
        return np.log(self._diameter(table) / self.base)

    def sse(self, loss: float, split: float) -> float:
        """Sum of squared differences from the Claret course (diameter ln units)."""
        return float(np.sum((self.effect(loss, split) - claret_effect(DAYS)) ** 2))


def profile_interval(prob: Problem, best: float, sse_min: float) -> tuple[float, float]:
    """95 % interval of the split at the cited loss: n/2 ln(SSE / SSE_min) = 1.92 on each side."""
    n = len(DAYS)

    def excess(s: float) -> float:
        return n / 2 * math.log(prob.sse(CITED_LOSS, s) / sse_min) - 1.92

    return brentq(excess, 1e-4, best, xtol=1e-4), brentq(excess, best, 0.99, xtol=1e-4)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="aged_lung_untreated")
    ap.add_argument("--grid", action="store_true")
    ap.add_argument("--trial", default=None, help="the typical patient of this library trial")
    ap.add_argument(
        "--no-cd8-kill",
        type=float,
        default=None,
        metavar="GROWTH_FACTOR",
        help="what-if: CD8 killing off in both arms (k_kill = k_byst = 0), proliferation times "
        "GROWTH_FACTOR to keep the untreated net doubling (0.58 on aged_lung_untreated)",
    )
    args = ap.parse_args()
    what_if: dict[str, float] = {}
    if args.trial:
        args.scenario, what_if = trial_patient(args.trial)
    if args.no_cd8_kill is not None:
        k_grow = what_if.get("k_grow", get_scenario(args.scenario).load().parameter("k_grow").value)
        what_if |= {"k_kill": 0.0, "k_byst": 0.0, "k_grow": k_grow * args.no_cd8_kill}
    prob = Problem(args.scenario, what_if)
    print(f"scenario {args.scenario}; cited per-course loss {CITED_LOSS:.3f}; held {what_if}")
    print("Claret drug effect:", np.round(claret_effect(DAYS), 3).tolist())
    spec = prob.plan.spec
    k_tis, k_cyto = spec.parameter("k_tis").value, spec.parameter("k_cyto").value
    shipped = (k_tis + k_cyto) / prob.d_stress, k_tis / (k_tis + k_cyto)
    print(f"shipped loss {shipped[0]:.3f}, split {shipped[1]:.3f}: SSE {prob.sse(*shipped):.4f}")
    print("  model effect:", np.round(prob.effect(*shipped), 3).tolist())
    if args.grid:
        for s in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.66):
            row = [prob.sse(CITED_LOSS * f, s) for f in (0.75, 1.0, 1.25, 1.5, 2.0)]
            print(f"split {s:4.2f}: SSE at loss x0.75/1/1.25/1.5/2:", np.round(row, 4).tolist())
    best_s = minimize(
        lambda x: prob.sse(CITED_LOSS, 1 / (1 + math.exp(-x[0]))),
        x0=[0.0],
        method="Nelder-Mead",
        options={"xatol": 1e-3, "fatol": 1e-7},
    )
    s1 = 1 / (1 + math.exp(-best_s.x[0]))
    print(f"split at the cited loss: s = {s1:.3f} (SSE {best_s.fun:.5f})")
    print("  model effect:", np.round(prob.effect(CITED_LOSS, s1), 3).tolist())
    lo, hi = profile_interval(prob, s1, best_s.fun)
    total = CITED_LOSS * prob.d_stress
    print(f"  95 % profile interval of s: {lo:.3f}-{hi:.3f}")
    print(
        f"  k_tis = s x loss x d_stress = {s1 * total:.4f}/day "
        f"({lo * total:.4f}-{hi * total:.4f}); k_cyto = {(1 - s1) * total:.4f}/day"
    )
    both = minimize(
        lambda x: prob.sse(CITED_LOSS * math.exp(x[0]), 1 / (1 + math.exp(-x[1]))),
        x0=[0.0, best_s.x[0]],
        method="Nelder-Mead",
        options={"xatol": 1e-3, "fatol": 1e-7},
    )
    f2, s2 = math.exp(both.x[0]), 1 / (1 + math.exp(-both.x[1]))
    print(
        f"loss and split free: loss x{f2:.3f} = {CITED_LOSS * f2:.3f}, s = {s2:.3f} "
        f"(SSE {both.fun:.5f})"
    )
    print("  model effect:", np.round(prob.effect(CITED_LOSS * f2, s2), 3).tolist())


if __name__ == "__main__":
    main()
