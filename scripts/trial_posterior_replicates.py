"""A library trial's endpoints under the liu2019 posterior as replicate trials (issue 13 item 6).

``trial run --immune auto`` gives every virtual patient its own posterior draw: the posterior's
uncertainty about the *population* centres then acts as extra between-patient spread. This runs
the trial once per posterior draw instead -- every patient of replicate r carries draw r (its
centres, and the tissue's proliferation re-derived at them), the patients themselves (selection,
baseline, own trait draws) the same in every replicate -- and prints, per endpoint, the median and
the 5-95 % range of the simulated values over the replicates beside the published value, and the
share of replicates whose simulated 95 % CI holds the published value. That range is the
trial-level predictive uncertainty the posterior implies. An evaluation: nothing is fitted.

    python scripts/trial_posterior_replicates.py --trial keynote189 [--n 200] [--replicates 20]
        [--seed 0] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from senotwin.analysis.endpoints import TrialEndpointReducer
from senotwin.cohort.runner import CohortConfig, run_cohort
from senotwin.trial.clinical import trial_hazard
from senotwin.trial.library import get_trial
from senotwin.trial.run import compare_trial, load_trial_rows, posterior_staleness, trial_config

#: rows of the comparison that carry a value to summarise (ORR, medians, landmarks, HRs)
KEEP = ("ORR", "median PFS", "median OS", "HR PFS", "HR OS")


def replicate_configs(config: CohortConfig, replicates: int) -> list[tuple[int, CohortConfig]]:
    """(draw, the cohort with that one posterior member) for each replicate: draws spread evenly
    over the ensemble (rows ``r * len // replicates``); the patients are the config's own."""
    members = config.ensemble
    if not members:
        raise SystemExit("the trial's population took no posterior members (no antigen trait?)")
    if not 1 <= replicates <= len(members):
        raise SystemExit(f"--replicates {replicates}: allowed 1-{len(members)} (the draws)")
    step = len(members) // replicates
    return [(r * step, replace(config, ensemble=(members[r * step],))) for r in range(replicates)]


def replicate_tables(name: str, n: int, replicates: int, seed: int, workers: int) -> pd.DataFrame:
    """The comparison table of every replicate trial (columns ``replicate``, ``draw``)."""
    trial = get_trial(name)
    config = trial_config(trial, n, seed=seed, immune="posterior")
    reducer = TrialEndpointReducer(trial.rules, trial_hazard(trial))
    tables = []
    with tempfile.TemporaryDirectory() as tmp:
        for r, (draw, one) in enumerate(replicate_configs(config, replicates)):
            out = Path(tmp) / f"r{r}"
            run_cohort(one, out, reducer=reducer, workers=workers)
            table = compare_trial(trial, load_trial_rows(out)).table
            tables.append(table.assign(replicate=r, draw=draw))
    return pd.concat(tables, ignore_index=True)


def summarise(tables: pd.DataFrame) -> pd.DataFrame:
    """Per population, arm and endpoint: median and 5-95 % of the simulated value over the
    replicates, the published value, and the share of replicates whose 95 % CI holds it."""
    keep = tables[
        tables["endpoint"].isin(KEEP) | tables["endpoint"].str.contains(" at [0-9]", regex=True)
    ]
    rows: list[dict[str, Any]] = []
    for (pop, arm, endpoint), g in keep.groupby(["population", "arm", "endpoint"], sort=False):
        sim = g["simulated"].astype(float).replace([np.inf], np.nan)
        inside = g["published_in_sim_ci"].dropna()
        rows.append(
            {
                "population": pop,
                "arm": arm,
                "endpoint": endpoint,
                "median": float(np.nanmedian(sim)) if sim.notna().any() else np.nan,
                "q05": float(np.nanquantile(sim, 0.05)) if sim.notna().any() else np.nan,
                "q95": float(np.nanquantile(sim, 0.95)) if sim.notna().any() else np.nan,
                "not_reached": int(np.isinf(g["simulated"].astype(float)).sum()),
                "published": g["published"].iloc[0],
                "ci_holds_published": float(inside.astype(bool).mean()) if len(inside) else None,
                "replicates": len(g),
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trial", default="keynote189")
    ap.add_argument("--n", type=int, default=200, help="virtual patients per arm")
    ap.add_argument("--replicates", type=int, default=20, help="posterior draws, one per trial")
    ap.add_argument("--seed", type=int, default=0, help="patient selection (the same in all)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if note := posterior_staleness():
        print(f"note: {note}")
    t0 = time.perf_counter()
    tables = replicate_tables(args.trial, args.n, args.replicates, args.seed, args.workers)
    summary = summarise(tables)
    print(
        f"{args.trial}: {args.replicates} replicate trials x {args.n} patients per arm, one "
        f"posterior draw per trial ({time.perf_counter() - t0:.0f} s)"
    )
    print(
        "population     arm        endpoint         median (5-95 % over replicates)  "
        "published  CI holds it"
    )
    for rec in summary.to_dict(orient="records"):
        d = 2 if rec["endpoint"].startswith("HR") else 1
        pub = "-" if pd.isna(rec["published"]) else f"{rec['published']:.{d}f}"
        held = "-" if pd.isna(rec["ci_holds_published"]) else f"{rec['ci_holds_published']:.0%}"
        nr = f", not reached in {rec['not_reached']}" if rec["not_reached"] else ""
        print(
            f"{rec['population']:<14} {rec['arm']:<10} {rec['endpoint']:<16} "
            f"{rec['median']:.{d}f} ({rec['q05']:.{d}f}-{rec['q95']:.{d}f}){nr}  {pub}  {held}"
        )
    if args.json:
        args.json.write_text(
            json.dumps({"summary": summary.to_dict(orient="records")}, default=float, indent=1)
        )


if __name__ == "__main__":
    main()
