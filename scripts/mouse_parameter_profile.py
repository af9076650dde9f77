"""Profile likelihood of one model parameter on a shipped mouse calibration problem (issue 11).

Usage: python scripts/mouse_parameter_profile.py PARAM V1 V2 ... [--problem mariathasan2018]
PARAM (a model parameter the problem does not fit, e.g. k_exh) is added to the problem as a fit
parameter over its declared range. Per value: the nllh with the problem's own fitted quantities
at the shipped optimum (conditional), then re-fitted (local least squares from the better of the
shipped optimum and the neighbouring value's optimum, walking outward from the value nearest the
model's own): the profile. Prints each value's rise above the profile minimum and the 95 %
interval (rise 1.92, log-linear crossing; 'open' where the ends of the values do not reach it).
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import replace

import numpy as np
from ici_shared_scan import print_profile

from senotwin.calibrate import Objective, get_problem
from senotwin.calibrate.fit import local_fit
from senotwin.calibrate.problem import FitParameter
from senotwin.calibrate.shipped import load_shipped_fit


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress in logs
    ap = argparse.ArgumentParser()
    ap.add_argument("param")
    ap.add_argument("values", nargs="+", type=float)
    ap.add_argument("--problem", default="mariathasan2018")
    ap.add_argument("--max-nfev", type=int, default=60, help="least-squares evaluations/value")
    a = ap.parse_args()
    problem = get_problem(a.problem)
    shipped = load_shipped_fit(problem)
    if shipped is None:
        raise SystemExit(f"no shipped fit of {a.problem}")
    if a.param in {p.id for p in problem.parameters}:
        raise SystemExit(f"{a.param} is fitted by {a.problem}: see its shipped profile")
    spec_param = problem.spec.parameter(a.param)
    if spec_param.range is None:
        raise SystemExit(f"{a.param} declares no range to profile over")
    lo, hi = (float(v) for v in spec_param.range)
    values = sorted(a.values)
    if values[0] < lo or values[-1] > hi:
        raise SystemExit(f"values must lie in {a.param}'s range [{lo:g}, {hi:g}]")
    if not values[0] > 0:
        raise SystemExit("values must be > 0 (the profile is read on a log scale)")
    model_value = float(problem.params.get(a.param, spec_param.value))
    # held at each value, never moved: bounds only need to hold the values (a range may start at 0)
    bounds = (min(values[0], model_value), max(values[-1], model_value))
    extra = FitParameter(a.param, *bounds, model_value, name=spec_param.name)
    obj = Objective(replace(problem, parameters=(*problem.parameters, extra)))
    best = dict(shipped.fit.best) | {a.param: model_value}
    j = len(obj.estimated) - 1
    free = np.ones(j + 1, bool)
    free[j] = False
    x_shipped = obj.to_vector(best)
    print(
        f"shipped optimum nllh {shipped.fit.nllh:.3f}; at {a.param} {model_value:g} now "
        f"{obj.nllh(obj.values(x_shipped)):.3f}"
    )
    centre = int(np.argmin([abs(math.log10(v / model_value)) for v in values]))
    order = [centre, *range(centre - 1, -1, -1), *range(centre + 1, len(values))]
    found: dict[int, tuple[float, np.ndarray]] = {}
    for k in order:
        starts = [x_shipped] + [found[i][1] for i in (k - 1, k + 1) if i in found]
        starts = [np.where(free, s, math.log10(values[k])) for s in starts]
        scored = [(obj.nllh(obj.values(s)), s) for s in starts]
        f_cond = scored[0][0]
        f0, x0 = min(scored, key=lambda t: t[0])
        x, f, _, _, _ = local_fit(obj, x0, free=free, max_nfev=a.max_nfev)
        f = obj.nllh(obj.values(x))
        if f > f0:  # keep the start if the local fit did not improve it
            f, x = f0, x0
        found[k] = (f, x)
        fitted = ", ".join(f"{p.id} {obj.values(x)[p.id]:.4g}" for p in obj.estimated[:j])
        print(f"{values[k]:>10.3g}: conditional {f_cond:.3f} -> profile {f:.3f} ({fitted})")
    print_profile(a.param, values, [found[k][0] for k in range(len(values))], digits=3)


if __name__ == "__main__":
    main()
