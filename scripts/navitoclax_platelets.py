"""Fit navitoclax's kill of circulating platelets on the cycle-1 platelet drops (issue 13 item 1).

No published drug term of a navitoclax platelet model was readable (Kaefer 2014's parameter
table was not reached; docs/quantitative-sources.yaml navitoclax_platelet_drops). The library's
platelet chain (therapy.toxicity: Guo 2023's marrow, the measured 216 h lifespan in four age
classes, the drug killing the older three) has one drug parameter, ``plt_kill_navitoclax``
(L/mg/day, times the library's navitoclax plasma concentration). This script

* fits it by least squares on the **fit set**: the mean maximal cycle-1 drop of the platelet
  count in the CLL phase 1 on days 1-14 of 21 (12 / 57 / 68 / 70 % at 10 / 110 / 200 / 250 mg;
  Roberts, ASH 2009 abstract 883), one simulated typical patient per dose;
* gives its 95 % profile interval (F test on the residual sum of squares, 1 parameter);
* then, with nothing refitted, prints the **check set**: the same study's continuous arm after a
  100 mg x 7 d lead-in (52 / 63 / 63 / 68 % at 125 / 200 / 250 / 300 mg), the pooled ASCO 2009
  medians at 200 mg (nadir 33 % of baseline on 14/21, 46 % after a lead-in; lead-ins there were
  150 mg in two of the three studies, 100 mg in the third: 150 mg is used) and the nadir day
  (days 3-5 on 14/21, Blood 2008 abstracts 2108 and 3177).

Last, a population read against a grade rate (a check; nothing fitted): 200 patients drawing
Guo 2023's between-patient spread of the baseline count (CV 28.3 %) and of the feedback
(CV 46.9 %), on 325 mg daily after a 150 mg x 7 d lead-in; the share reaching CTCAE grade >= 3
(< 50e9/L) in the first 28 days, beside Rudin 2012's 41 % grade III-IV over the whole treatment
(39 SCLC patients). No spread of the drug's own potency was read, so this is a lower bound.

The rule, written before the first run: the chain is adopted on its sources; the fit set sets
the slope; the check set is reported whatever it shows.

    python scripts/navitoclax_platelets.py
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.stats import f as f_dist

from senotwin.sim import SolverOptions, prepare_scenario, simulate
from senotwin.therapy.language import parse_regimen
from senotwin.therapy.toxicity import PLT_OBS, PLT_SPREAD, PLT_SYSTEM, platelet_grade

SCENARIO = "aged_lung_untreated"  # the chain does not depend on the lesion: any human scenario
PARAM = "plt_kill_navitoclax"
FIT = {10: 0.12, 110: 0.57, 200: 0.68, 250: 0.70}  # 14/21, mean maximal cycle-1 drop
CHECK_CD = {125: 0.52, 200: 0.63, 250: 0.63, 300: 0.68}  # 100 mg x 7 d lead-in, then daily


def fourteen_of_21(dose: float) -> str:
    return f"navitoclax {dose:g} mg po qd d0-d13"


def lead_in(dose: float, lead: float = 100.0) -> str:
    return f"navitoclax {lead:g} mg po qd d0-d6; navitoclax {dose:g} mg po qd d7-d27"


class Runner:
    """Regimens on one therapy structure (compiled once): only doses and the slope change."""

    def course(
        self,
        text: str,
        slope: float,
        days: float,
        base: float | None = None,
        gamma: float | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(time, platelets as a fraction of baseline) of ``text`` at ``slope``; ``base`` (cells/uL)
        and ``gamma`` give a patient its own chain, started at its own steady state."""
        setup = prepare_scenario(SCENARIO, regimen=parse_regimen(text), days=days)
        grid = np.arange(0.0, days + 1e-9, 0.05)
        params = {**setup.params, PARAM: slope}
        if base is not None:  # the chain's initial amounts follow plt_base (its steady state)
            params["plt_base"] = base
        if gamma is not None:
            params["plt_gamma"] = gamma
        res = simulate(
            setup.spec,
            params=params,
            initial=setup.initial,
            regimen=setup.schedule,
            t_end=days,
            solver=SolverOptions(engine="fast", t_eval=grid),
            check_ranges=False,
            throw=True,
        )
        plt = res.table[PLT_OBS].to_numpy()
        return res.table["time"].to_numpy(), plt / plt[0]

    def drop(self, text: str, slope: float, days: float) -> tuple[float, float]:
        """(maximal drop, day of the nadir) over the first ``days``."""
        t, rel = self.course(text, slope, days)
        i = int(np.argmin(rel))
        return float(1.0 - rel[i]), float(t[i])


def main() -> None:
    run = Runner()

    def ssr(log_slope: float) -> float:
        s = math.exp(log_slope)
        return sum((run.drop(fourteen_of_21(d), s, 21.0)[0] - y) ** 2 for d, y in FIT.items())

    best = minimize_scalar(ssr, bounds=(math.log(1e-3), math.log(1e3)), method="bounded")
    slope, s_min = math.exp(best.x), float(best.fun)
    n = len(FIT)
    limit = s_min * (1.0 + f_dist.ppf(0.95, 1, n - 1) / (n - 1))
    grid = np.linspace(best.x - 3.0, best.x + 3.0, 121)
    inside = [math.exp(g) for g in grid if ssr(g) <= limit]
    print(f"fit set (14/21, days 0-21): slope {slope:.4g} L/mg/day, SSR {s_min:.3g}")
    print(f"95% profile interval (F test, n {n}, 1 parameter): {min(inside):.3g}-{max(inside):.3g}")
    for d, y in FIT.items():
        got, day = run.drop(fourteen_of_21(d), slope, 21.0)
        print(f"  14/21 {d:>4} mg: drop {got:.3f} (observed {y:.2f}), nadir day {day:.1f}")
    print("check set (not fitted): 100 mg x 7 d lead-in, then daily (days 0-28)")
    for d, y in CHECK_CD.items():
        got, day = run.drop(lead_in(d), slope, 28.0)
        print(f"  lead-in + {d:>4} mg: drop {got:.3f} (observed {y:.2f}), nadir day {day:.1f}")
    got14, _ = run.drop(fourteen_of_21(200), slope, 21.0)
    got_cd, _ = run.drop(lead_in(200, 150.0), slope, 28.0)
    print(
        f"ASCO 2009 medians at 200 mg: nadir {1 - got14:.0%} of baseline on 14/21 (observed 33 %), "
        f"{1 - got_cd:.0%} after a 150 mg lead-in (observed 46 %)"
    )
    t, rel = run.course("navitoclax 325 mg po qd d0-d13 x2 cycles of 21d", slope, 42.0)
    print(
        f"325 mg days 1-14 of 21, two cycles: nadir {rel.min():.0%} of baseline on day "
        f"{t[np.argmin(rel)]:.1f}; day 21 {np.interp(21, t, rel):.0%}; "
        f"cycle 2 nadir {rel[t >= 21].min():.0%}"
    )

    rng = np.random.default_rng(0)
    n = 200
    sigma = dict(PLT_SPREAD.sigmas)  # Guo 2023's CVs on the log scale
    bases = PLT_SYSTEM[0][1] * np.exp(rng.normal(0.0, sigma["plt_base"], n))
    gammas = PLT_SYSTEM[2][1] * np.exp(rng.normal(0.0, sigma["plt_gamma"], n))
    nadirs = []
    for b, g in zip(bases, gammas, strict=True):
        _, rel = run.course(lead_in(325, 150.0), slope, 28.0, base=float(b), gamma=float(g))
        nadirs.append(rel.min() * b / 1000.0)  # 10^9/L
    grades = np.array([platelet_grade(x) for x in nadirs])
    print(
        f"population ({n}, Guo 2023 spread of baseline and feedback), 325 mg after a 150 mg "
        f"lead-in, days 0-28: grade >= 3 in {np.mean(grades >= 3):.0%}, grade 4 in "
        f"{np.mean(grades >= 4):.0%}; median nadir {np.median(nadirs):.0f}e9/L (Rudin 2012: "
        "grade III-IV in 41 % of 39 SCLC patients over the whole treatment)"
    )


if __name__ == "__main__":
    main()
