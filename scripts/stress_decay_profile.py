"""Fit and profile the inducer-exposure decay d_stress on MONET1's measured size course (issue 11).

``d_stress`` spreads a chemotherapy course's cited cancer-cell loss in time (k_cyto and k_tis
scale with it, so the per-course loss stays the cited one). This fits (d_stress, k_clear_dead,
s) jointly -- s the senescent share of a course's removed cells, at the cited per-course loss --
by least squares against the Claret 2014 MONET1 drug effect on the measured diameter
(``scripts/chemo_split_fit.py``'s problem), then profiles d_stress and k_clear_dead (the other
two refitted at each point; 95 %: n/2 ln(SSE / SSE_min) <= 1.92, the misfit as the error, as
for the split). A profile that stays inside at one end bounds a value from one side only,
which is not a value. ``--grid`` prints the split-refitted SSE on a (d_stress, k_clear_dead)
grid first; ``--k-clear-dead V`` holds the clearance at V and fits and profiles (d_stress, s);
``--set NAME=VALUE`` holds any other parameter at VALUE in both arms (a what-if: e.g. lung
``w_il6_growth`` with the ``k_grow`` that ``scripts/derive_tissue_growth.py --set`` gives for it,
the session-17 profile of the SASP growth boost); ``--trial NAME`` fits the typical patient of a
library trial (``chemo_split_fit.trial_patient``: its baseline's prior centres, no outcome).
No library trial's outcome is used.

    python scripts/stress_decay_profile.py [--grid] [--k-clear-dead 8] [--set w_il6_growth=1]
        [--trial keynote189]
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from chemo_split_fit import CITED_LOSS, DAYS, Problem, claret_effect, trial_patient
from scipy.optimize import brentq, minimize, minimize_scalar

CHI2_95 = 1.92  # half the 95 % chi-square quantile with one degree of freedom
D_STRESS = (0.05, 0.08, 0.12, 0.16, 0.2, 0.25, 0.35, 0.5, 0.8, 1.2, 2.0, 4.0)
K_CLEAR = (0.03, 0.06, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 2.0, 4.0, 8.0)


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


class StressProblem:
    """SSE of the MONET1 course as a function of (d_stress, k_clear_dead, s) at the cited loss."""

    def __init__(
        self, scenario: str, engine: str | None, held: dict[str, float] | None = None
    ) -> None:
        self.scenario, self.engine = scenario, engine
        self.held = dict(held or {})  # other parameters held at these values in both arms
        self._problems: dict[tuple[float, float], Problem] = {}

    def problem(self, d_stress: float, k_clear_dead: float) -> Problem:
        """The treated/untreated pair with both values (and the held ones) in both arms."""
        key = (round(d_stress, 12), round(k_clear_dead, 12))
        if key not in self._problems:
            params = self.held | {"d_stress": d_stress, "k_clear_dead": k_clear_dead}
            self._problems[key] = Problem(self.scenario, params, engine=self.engine)
        return self._problems[key]

    def sse(self, d_stress: float, k_clear_dead: float, split: float) -> float:
        """Sum of squared differences from the Claret course (diameter ln units)."""
        return self.problem(d_stress, k_clear_dead).sse(CITED_LOSS, split)

    def best_split(self, d_stress: float, k_clear_dead: float) -> tuple[float, float]:
        """The split minimising the SSE at (d_stress, k_clear_dead), and that SSE."""
        res = minimize_scalar(
            lambda x: self.sse(d_stress, k_clear_dead, _logistic(x)),
            bounds=(-7.0, 3.0),
            method="bounded",
            options={"xatol": 1e-4},
        )
        return _logistic(res.x), float(res.fun)

    def fit(self, x0: list[float], fixed: dict[str, float]) -> tuple[dict[str, float], float]:
        """Least squares over the free ones of (log d_stress, log k_clear_dead, logit s)."""
        names = [n for n in ("d_stress", "k_clear_dead") if n not in fixed]

        def unpack(x: np.ndarray) -> dict[str, float]:
            vals = dict(fixed) | {n: math.exp(v) for n, v in zip(names, x, strict=False)}
            return vals | {"s": _logistic(x[-1])}

        def objective(x: np.ndarray) -> float:
            v = unpack(x)
            return self.sse(v["d_stress"], v["k_clear_dead"], v["s"])

        res = minimize(
            objective,
            x0=np.array(x0),
            method="Nelder-Mead",
            options={"xatol": 1e-4, "fatol": 1e-9, "maxfev": 4000},
        )
        return unpack(res.x), float(res.fun)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="aged_lung_untreated")
    ap.add_argument("--engine", default="fast", help="simulation engine (default: fast)")
    ap.add_argument("--k-clear-dead", type=float, default=None, help="hold it at this value")
    ap.add_argument("--grid", action="store_true")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--trial", default=None, help="the typical patient of this library trial")
    args = ap.parse_args()
    other: dict[str, float] = {}
    if args.trial:
        args.scenario, other = trial_patient(args.trial)
    for pair in args.set:
        name, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--set {pair!r}: expected NAME=VALUE")
        other[name] = float(value)
    sp = StressProblem(args.scenario, args.engine, other)
    n = len(DAYS)
    print(f"scenario {args.scenario}; cited loss {CITED_LOSS:.3f}; engine {args.engine}")
    print(f"held in both arms: {other or 'nothing'}")
    if args.grid:
        for ds in D_STRESS:
            row = np.round([sp.best_split(ds, k)[1] for k in K_CLEAR], 5).tolist()
            print(f"  d_stress {ds:5.2f}: SSE at k_clear_dead {K_CLEAR}:", row)
    held = {} if args.k_clear_dead is None else {"k_clear_dead": args.k_clear_dead}
    starts = [(0.2, 0.8, 0.3), (0.35, 0.3, 0.33), (1.0, 2.0, 0.3), (0.1, 0.1, 0.4)]
    fits = [
        sp.fit([math.log(d)] + ([] if held else [math.log(k)]) + [math.log(s / (1 - s))], held)
        for d, k, s in starts
    ]
    best, sse_min = min(fits, key=lambda f: f[1])
    ds, kcd, s = best["d_stress"], best["k_clear_dead"], best["s"]
    print(f"fit: d_stress {ds:.4f}/day, k_clear_dead {kcd:.4f}/day, s {s:.4f} (SSE {sse_min:.6f})")
    print("  starts:", [(round(f[0]["d_stress"], 4), round(f[1], 6)) for f in fits])
    print("  model effect:", np.round(sp.problem(ds, kcd).effect(CITED_LOSS, s), 3).tolist())
    print("  Claret:      ", np.round(claret_effect(DAYS), 3).tolist())
    total = CITED_LOSS * ds
    print(f"  k_tis = s x loss x d_stress = {s * total:.5f}/day; k_cyto {(1 - s) * total:.5f}/day")
    profiles = (("d_stress", D_STRESS),) + (() if held else (("k_clear_dead", K_CLEAR),))
    for name, grid in profiles:
        print(f"profile of {name} (95 %: excess <= 0):")
        other = "k_clear_dead" if name == "d_stress" else "d_stress"
        excesses = []
        for v in grid:
            x0 = ([] if held else [math.log(best[other])]) + [math.log(s / (1 - s))]
            fit, sse = sp.fit(x0, held | {name: v})
            excess = n / 2 * math.log(sse / sse_min) - CHI2_95
            excesses.append(excess)
            print(
                f"  {name} {v:6.3f}: {other} {fit[other]:.4f}, s {fit['s']:.4f}, SSE {sse:.6f}, "
                f"excess {excess:+.2f}"
            )
        if held and name == "d_stress":
            print(f"  95 % interval of d_stress: {interval(sp, kcd, sse_min, ds, excesses)}")


def interval(
    sp: StressProblem, kcd: float, sse_min: float, best: float, excesses: list[float]
) -> str:
    """The d_stress profile's 95 % ends (s refitted; clearance held at ``kcd``), each solved
    between the best value and the nearest grid point beyond it with a positive excess; an end
    the grid does not close is reported open."""
    n = len(DAYS)

    def excess(log_d: float) -> float:
        return n / 2 * math.log(sp.best_split(math.exp(log_d), kcd)[1] / sse_min) - CHI2_95

    ends = []
    for side in (-1, 1):
        beyond = [
            v for v, e in zip(D_STRESS, excesses, strict=True) if e > 0 and (v - best) * side > 0
        ]
        if not beyond:
            ends.append("open")
            continue
        edge = max(beyond) if side < 0 else min(beyond)
        a, b = sorted((math.log(best), math.log(edge)))
        ends.append(f"{math.exp(brentq(excess, a, b, xtol=1e-4)):.4f}")
    return "-".join(ends)


if __name__ == "__main__":
    main()
