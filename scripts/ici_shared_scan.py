"""liu2019 objective along one shared model parameter: at a fixed population, or profiled.

Usage: python scripts/ici_shared_scan.py PARAM V1 V2 ... [--n 60] [--seed 0] [--refit EVALS]
       [--held-out SEED]
Population: the shipped liu2019 fit's population values (its shared values too, unless PARAM
is one of them). Prints, per value: nllh, ORR (CR count), responders by CD8 tertile and PFS at
3 / 6 / 12 months, so a structural change can be judged against the stored fit before a refit.
With ``--refit EVALS`` it is a profile likelihood: at each value the fit's quantities are
re-optimised (Nelder-Mead, 0.15 x bounds simplex, EVALS evaluations) from the better of the
shipped optimum and the neighbouring value's optimum, walking outward from the value nearest
the model's own; it then prints each value's rise above the profile minimum and the 95 %
interval (rise 1.92, log-linear crossing; 'open' where the ends of the values do not reach it).
PARAM may also be a quantity the fit itself fits (e.g. ``n_reinv.centre``): with ``--refit`` it
is held at each value while the fit's other quantities are re-optimised (linear crossings for a
linear-scale quantity). ``--held-out SEED`` also scores each profile point on that seed's cohort.
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
    PopulationParameter,
    goodness,
    nelder_mead,
    start_vector,
    stored_values,
    survival_at,
)


def quantity(param: str) -> str:
    """The fit-quantity id of PARAM: itself if it names one (``n_reinv.centre``), else the
    model parameter's shared value (``k_byst`` -> ``k_byst.value``)."""
    return param if "." in param else f"{param}.value"


def fitted(param: str) -> PopulationParameter | None:
    """The liu2019 fit's quantity PARAM names, None if the fit does not fit it."""
    return next((p for p in ICI_PARAMETERS if p.id == quantity(param)), None)


class HeldObjective(IciObjective):
    """The liu2019 objective with quantities (ids, e.g. ``k_byst.value``) held at given values
    for every patient; the fit's quantities not held stay free."""

    def __init__(self, held: Mapping[str, float], n: int, seed: int) -> None:
        free = tuple(p for p in ICI_PARAMETERS if p.id not in held)
        super().__init__(n=n, seed=seed, parameters=free)
        self.held = {k: float(v) for k, v in held.items()}

    def statistics(self, values: Mapping[str, float]) -> dict[str, Any]:
        return super().statistics({**values, **self.held})


def row(v: float, sim: Mapping[str, Any], nllh: float) -> str:
    pfs = " / ".join(f"{survival_at(sim['pfs'], m):.2f}" for m in (3.0, 6.0, 12.0))
    ter = "/".join(str(t["responders"]) for t in sim["tertiles"])
    return (
        f"{v:>10.3g} | {nllh:.2f} | {100 * sim['orr']:.1f} % ({sim['recist']['CR']}) "
        f"| {ter} | {pfs}"
    )


def crossing(values: list[float], rise: list[float], side: int, log: bool = True) -> float | None:
    """Where the rise first exceeds the threshold walking from the minimum towards one end
    (log-linear interpolation, linear with ``log`` False); None = open on that side."""
    i = int(np.argmin(rise))
    idx = range(i - 1, -1, -1) if side < 0 else range(i + 1, len(values))
    prev = i
    for j in idx:
        if rise[j] > THRESHOLD_95:
            t = (THRESHOLD_95 - rise[prev]) / (rise[j] - rise[prev])
            if not log:
                return float(values[prev] + t * (values[j] - values[prev]))
            a, b = math.log10(values[prev]), math.log10(values[j])
            return float(10 ** (a + t * (b - a)))
        prev = j
    return None


def profile(a: argparse.Namespace, stored: dict[str, float]) -> None:
    values = sorted(a.values)
    qid, own = quantity(a.param), fitted(a.param)
    log = own is None or own.scale == "log10"
    reference = own_value(a.param, stored)
    distance = [abs(math.log10(v / reference)) if log else abs(v - reference) for v in values]
    centre = int(np.argmin(distance))
    best: dict[int, tuple[float, np.ndarray]] = {}
    order = [centre, *range(centre - 1, -1, -1), *range(centre + 1, len(values))]
    for k in order:
        obj = HeldObjective({qid: values[k]}, a.n, a.seed)
        starts = [start_vector(stored, obj.parameters)]
        starts += [best[j][1] for j in (k - 1, k + 1) if j in best]
        x0 = min(starts, key=obj)
        f0 = obj(x0)
        xb = nelder_mead(obj, x0, max_evaluations=a.refit)
        best[k] = (obj(xb), xb)
        found = ", ".join(f"{p} {v:.4g}" for p, v in obj.values(xb).items())
        print(f"{values[k]:>10.3g}: start {f0:.2f} -> profile {best[k][0]:.2f} ({found})")
        if a.held_out is not None:
            held_out = HeldObjective({qid: values[k]}, a.n, a.held_out)(xb)
            print(f"{values[k]:>10.3g}: held-out seed {a.held_out} nllh {held_out:.2f}")
    print_profile(a.param, values, [best[k][0] for k in range(len(values))], 2, log=log)


def own_value(param: str, stored: Mapping[str, float]) -> float:
    """PARAM's value in the shipped fit if the fit fits it, else in the model."""
    if fitted(param) is not None:
        return float(stored[quantity(param)])
    return float(load_qsp().parameter(param).value)


def print_profile(
    param: str, values: list[float], nllh: list[float], digits: int, log: bool = True
) -> None:
    """Print a profile's minimum, each value's rise above it and the 95 % interval (rise 1.92,
    :func:`crossing`); shared with scripts/mouse_parameter_profile.py."""
    m = min(nllh)
    rise = [f - m for f in nllh]
    print(f"profile minimum {m:.{digits}f} at {param} {values[int(np.argmin(nllh))]:g}")
    for v, r in zip(values, rise, strict=True):
        print(f"{v:>10.3g}: rise {r:.{digits}f}")
    lo, hi = (crossing(values, rise, s, log) for s in (-1, 1))
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
    ap.add_argument("--held-out", type=int, default=None, help="also score each point on SEED")
    a = ap.parse_args()
    own = fitted(a.param)
    lin = own is not None and own.scale == "lin"
    if a.refit < 0 or any(not (v >= 0 if lin else v > 0) for v in a.values):
        raise SystemExit(f"need --refit >= 0 and {'non-negative' if lin else 'positive'} values")
    if own is not None and any(not own.lower <= v <= own.upper for v in a.values):
        raise SystemExit(f"{own.id} values must lie in its fit bounds {own.lower:g}-{own.upper:g}")
    if a.held_out is not None and not a.refit:
        raise SystemExit("--held-out scores profile points: it needs --refit EVALS")
    stored = stored_values()
    if a.refit:
        if own is None and any(p.parameter == a.param for p in ICI_PARAMETERS):
            raise SystemExit(
                f"{a.param} is fitted by liu2019: name its quantity ({a.param}.centre)"
            )
        profile(a, stored)
        return
    stored = {k: v for k, v in stored.items() if k != quantity(a.param)}
    obj = IciObjective(n=a.n, seed=a.seed)
    print(f"{a.param:>10} | nllh | ORR (CR) | tertile responders | PFS 3 / 6 / 12 mo")
    for v in a.values:
        sim = obj.statistics({**stored, quantity(a.param): v})
        print(row(v, sim, goodness(sim, obj.target)["nllh"]))


if __name__ == "__main__":
    main()
