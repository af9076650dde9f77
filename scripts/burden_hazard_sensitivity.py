"""Sensitivity of the library trials' survival endpoints to the death hazard's burden term.

The coefficient (``trial.clinical.BURDEN_PER_MM``, ln 1.05 / 10 mm) is derived from one cited
joint model with low confidence; its sourced range runs 0.0025-0.0113 per mm
(quantitative-sources ``death_hazard_tumour_burden``). This runs each trial once per coefficient
(0 = no burden term, the range's ends and the shipped value; the post-progression rate solved
again for each, so a typical patient keeps the cited median) on the same patients and prints the
OS rows beside the published values. A sensitivity analysis: the shipped value is not chosen
from it (docs/trials.md).

    python scripts/burden_hazard_sensitivity.py [--trials keynote189 impassion130] [--n 200]
"""

from __future__ import annotations

import argparse
import math
import tempfile

import pandas as pd

from senotwin.trial.clinical import BURDEN_PER_MM, trial_hazard
from senotwin.trial.library import get_trial, trials
from senotwin.trial.run import compare_trial, load_trial_rows, run_trial

BETAS = (0.0, 0.0025, BURDEN_PER_MM, 0.0113)
ENDPOINTS = ("median OS", "OS at 12 months", "HR OS", "HR PFS")


def os_rows(name: str, n: int, seed: int, beta: float, workers: int) -> pd.DataFrame:
    """The ITT and subgroup survival rows of one trial run with burden coefficient ``beta``."""
    t = get_trial(name)
    with tempfile.TemporaryDirectory() as tmp:
        run_trial(t, n, tmp, seed=seed, workers=workers, hazard=trial_hazard(t, beta))
        comp = compare_trial(t, load_trial_rows(tmp)).table
    keep = comp[comp["endpoint"].isin(ENDPOINTS)].copy()
    keep.insert(0, "beta_per_mm", beta)
    keep.insert(0, "trial", name)
    return keep


def _fmt(v: float) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", nargs="+", default=[t.id for t in trials()])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    table = pd.concat(
        [
            os_rows(name, args.n, args.seed, beta, args.workers)
            for name in args.trials
            for beta in BETAS
        ],
        ignore_index=True,
    )
    for (trial, pop, arm, ep), g in table.groupby(
        ["trial", "population", "arm", "endpoint"], sort=False
    ):
        sims = "  ".join(
            f"{r.beta_per_mm:.4f}: {_fmt(r.simulated)} ({_fmt(r.sim_low)}-{_fmt(r.sim_high)})"
            for r in g.itertuples()
        )
        pub = _fmt(g.published.iloc[0])
        print(f"{trial:<13} {pop:<14} {arm:<7} {ep:<16} {sims}  | published {pub}")


if __name__ == "__main__":
    main()
