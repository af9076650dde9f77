"""liu2019 objective along one shared model parameter: at a fixed population, or profiled.

Usage: python scripts/ici_shared_scan.py PARAM V1 V2 ... [--n 60] [--seed 0] [--refit EVALS]
Population: the shipped liu2019 fit's population values (its shared values too, unless PARAM
is one of them). Prints, per value: nllh, ORR (CR count), responders by CD8 tertile and PFS at
3 / 6 / 12 months, so a structural change can be judged against the stored fit before a refit.
With ``--refit EVALS`` it is a profile likelihood: at each value the fit's quantities are
re-optimised (Nelder-Mead, 0.15 x bounds simplex, EVALS evaluations) from the better of the
shipped optimum and the neighbouring value's optimum, walking outward from the value nearest
the model's own; it then prints each value's rise above the profile minimum and the 95 %
interval (rise 1.92, log-linear crossing; 'open' where the ends of the values do not reach it).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Mapping
from typing import Any

import numpy as np

from senotwin.calibrate.profile import THRESHOLD_95
from senotwin.model.qsp import load_qsp
from senotwin.trial.ici_fit import (
    ICI_PARAMETERS,
    IciObjective,
    goodness,
    nelder_mead,
    start_vector,
    stored_fit,
    survival_at,
)


class HeldObjective(IciObjective):
    """The liu2019 objective with model parameters held at given values for every patient."""

    def __init__(self, held: Mapping[str, float], n: int, seed: int) -> None:
        super().__init__(n=n, seed=seed)
        self.held = {f"{k}.value": float(v) for k, v in held.items()}

    def statistics(self, values: Mapping[str, float]) -> dict[str, Any]:
        return super().statistics({**values, **self.held})


def row(v: float, sim: Mapping[str, Any], nllh: float) -> str:
    pfs = " / ".join(f"{survival_at(sim['pfs'], m):.2f}" for m in (3.0, 6.0, 12.0))
    ter = "/".join(str(t["responders"]) for t in sim["tertiles"])
    return (
        f"{v:>10.3g} | {nllh:.2f} | {100 * sim['orr']:.1f} % ({sim['recist']['CR']}) "
        f"| {ter} | {pfs}"
    )


def crossing(values: list[float], rise: list[float], side: int) -> float | None:
    """Where the rise first exceeds the threshold walking from the minimum towards one end
    (log-linear interpolation); None = open on that side."""
    i = int(np.argmin(rise))
    idx = range(i - 1, -1, -1) if side < 0 else range(i + 1, len(values))
    prev = i
    for j in idx:
        if rise[j] > THRESHOLD_95:
            a, b = math.log10(values[prev]), math.log10(values[j])
            t = (THRESHOLD_95 - rise[prev]) / (rise[j] - rise[prev])
            return float(10 ** (a + t * (b - a)))
        prev = j
    return None


def profile(a: argparse.Namespace, stored: dict[str, float]) -> None:
    values = sorted(a.values)
    model_value = float(load_qsp().parameter(a.param).value)
    centre = int(np.argmin([abs(math.log10(v / model_value)) for v in values]))
    shipped_x = start_vector(stored)
    best: dict[int, tuple[float, np.ndarray]] = {}
    order = [centre, *range(centre - 1, -1, -1), *range(centre + 1, len(values))]
    for k in order:
        obj = HeldObjective({a.param: values[k]}, a.n, a.seed)
        starts = [shipped_x] + [best[j][1] for j in (k - 1, k + 1) if j in best]
        x0 = min(starts, key=obj)
        f0 = obj(x0)
        xb = nelder_mead(obj, x0, max_evaluations=a.refit)
        best[k] = (obj(xb), xb)
        fitted = ", ".join(f"{p} {v:.4g}" for p, v in obj.values(xb).items())
        print(f"{values[k]:>10.3g}: start {f0:.2f} -> profile {best[k][0]:.2f} ({fitted})")
    print_profile(a.param, values, [best[k][0] for k in range(len(values))], digits=2)


def print_profile(param: str, values: list[float], nllh: list[float], digits: int) -> None:
    """Print a profile's minimum, each value's rise above it and the 95 % interval (rise 1.92,
    :func:`crossing`); shared with scripts/mouse_parameter_profile.py."""
    m = min(nllh)
    rise = [f - m for f in nllh]
    print(f"profile minimum {m:.{digits}f} at {param} {values[int(np.argmin(nllh))]:g}")
    for v, r in zip(values, rise, strict=True):
        print(f"{v:>10.3g}: rise {r:.{digits}f}")
    lo, hi = (crossing(values, rise, s) for s in (-1, 1))
    ends = ("open" if c is None else f"{c:.3g}" for c in (lo, hi))
    span = f"values {values[0]:g}-{values[-1]:g}"
    print(f"95 % profile interval of {param}: {' - '.join(ends)} ({span})")


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress in logs
    ap = argparse.ArgumentParser()
    ap.add_argument("param")
    ap.add_argument("values", nargs="+", type=float)
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--refit", type=int, default=0, help="Nelder-Mead evaluations per value")
    a = ap.parse_args()
    if a.refit < 0 or any(not v > 0 for v in a.values):
        raise SystemExit("need --refit >= 0 and positive values")
    stored = {p["parameter"]: p["best"] for p in stored_fit()["parameters"]}
    stored = {k: v for k, v in stored.items() if not k.startswith(f"{a.param}.")}
    if a.refit:
        if any(p.parameter == a.param for p in ICI_PARAMETERS):
            raise SystemExit(f"{a.param} is fitted by liu2019: profile it within the fit")
        profile(a, stored)
        return
    obj = IciObjective(n=a.n, seed=a.seed)
    print(f"{a.param:>10} | nllh | ORR (CR) | tertile responders | PFS 3 / 6 / 12 mo")
    for v in a.values:
        sim = obj.statistics({**stored, f"{a.param}.value": v})
        print(row(v, sim, goodness(sim, obj.target)["nllh"]))


if __name__ == "__main__":
    main()
