"""Do the Liu 2019 data prefer another between-patient spread of the reinvigoration burst?

A conditional profile, nothing is fitted: every virtual patient draws its burst (``n_reinv``,
divisions of a reinvigorated progenitor-exhausted CD8 T cell) lognormally around the liu2019
fit's centre with a spread that is *assumed* (``cohort.population``, sigma of ln 0.3). This
scores the stored fit's six values with that spread set to each ``--spreads`` value: the mean
nllh over the fit's cohorts (its seeds and size; common random numbers, so the differences
between spreads carry little cohort noise) and over ``--held-out`` cohorts of other seeds. A
spread whose nllh is more than 1.92 above the best is outside the conditional 95 % set (the
other six held at the fit, so the set is narrower than a full profile's).

    python scripts/liu2019_burst_spread.py [--spreads 0.1 0.3 1.0] [--held-out 4 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from senotwin.cohort.population import qsp_population
from senotwin.trial.ici_fit import (
    ICI_PARAMETERS,
    MeanObjective,
    PopulationParameter,
    stored_fit,
    stored_values,
)

#: the burst's spread as a population quantity (bounds: a burst the same in everyone to one
#: spanning about three orders of magnitude of progeny between the 5th and 95th percentile)
SPREAD = PopulationParameter(
    "n_reinv", "spread", 0.01, 1.5, 0.3, "lin", "between-patient sigma of ln n_reinv"
)


def assumed_spread() -> float:
    """The spread the shipped population gives ``n_reinv`` (its prior)."""
    return next(p.spread for p in qsp_population().priors if p.parameter == "n_reinv")


def profile(spreads: list[float], seeds: list[int], n: int) -> dict[float, float]:
    """Mean nllh over ``seeds`` at the stored values with each burst spread."""
    params = (*ICI_PARAMETERS, SPREAD)
    values = stored_values()
    out = {}
    with MeanObjective(n, seeds, parameters=params) as obj:
        for s in spreads:
            x = np.array([p.to_x(values[p.id]) for p in ICI_PARAMETERS] + [SPREAD.to_x(s)])
            out[s] = obj(x)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--spreads", type=float, nargs="+", default=[0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 1.0]
    )
    ap.add_argument("--held-out", type=int, nargs="*", default=[4, 5])
    args = ap.parse_args(argv)
    record = stored_fit()
    n, seeds = int(record["virtual_patients"]), [int(s) for s in record["seeds"]]
    print(
        f"stored liu2019 fit: n {n}, seeds {seeds}, recorded nllh {record['nllh']:.4f}; "
        f"assumed spread {assumed_spread()}"
    )
    t0 = time.perf_counter()
    fit = profile(args.spreads, seeds, n)
    held = profile(args.spreads, args.held_out, n) if len(args.held_out) >= 2 else {}
    best = min(fit.values())
    print("spread | fit-cohort mean nllh | excess over the best | held-out mean nllh")
    for s in args.spreads:
        h = f"{held[s]:.3f}" if held else "-"
        print(f"{s:g} | {fit[s]:.3f} | {fit[s] - best:.2f} | {h}")
    inside = [s for s in args.spreads if fit[s] - best < 1.92]
    print(
        f"conditional 95 % set on the grid: {min(inside):g}-{max(inside):g} "
        f"({time.perf_counter() - t0:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
