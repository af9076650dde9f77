"""Re-run the trial library with the liu2019-calibrated population and print the change.

Usage: python scripts/ici_trial_rerun.py [--n N] [--seed S] [--workers W] [--fit FIT_JSON]

Every library trial runs twice on the same selected virtual patients (same seed): once with the
preset population and once with the calibrated one (the transferable part of the liu2019 fit:
per-CTL killing centre, reinvigoration burst and the between-patient spread of N_ag; the
melanoma N_ag centre is not transferred to other tissues). The library's own runs
(`senotwin trial run`) use the calibrated population of the shipped fit. Nothing is fitted to
the trials' outcomes: both are predictions.
Prints one markdown row per trial, population, arm and endpoint: preset, calibrated, published.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import replace
from pathlib import Path

import pandas as pd

from senotwin.analysis.endpoints import TrialEndpointReducer
from senotwin.cohort.population import qsp_population
from senotwin.cohort.runner import run_cohort
from senotwin.cohort.store import load_rows
from senotwin.trial.clinical import LIU2019_HAZARD
from senotwin.trial.ici_fit import stored_fit, transferable_population
from senotwin.trial.library import trials
from senotwin.trial.run import compare_trial, trial_config


def _run(trial, n: int, seed: int, workers: int, population=None) -> pd.DataFrame:
    config = trial_config(trial, n, seed=seed)
    if population is not None:
        config = replace(config, population=replace(config.population, priors=population.priors))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cohort"
        run_cohort(
            config, out, reducer=TrialEndpointReducer(trial.rules, LIU2019_HAZARD), workers=workers
        )
        table = compare_trial(trial, load_rows(out)).table
    return table


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--fit", type=Path, default=None, help="fit.json (default: the shipped fit)")
    args = ap.parse_args()
    record = json.loads(args.fit.read_text()) if args.fit else stored_fit()
    pop = transferable_population({p["parameter"]: p["best"] for p in record["parameters"]})
    print("| trial | population | arm | endpoint | preset | calibrated | published |")
    print("|---|---|---|---|---|---|---|")
    for trial in trials():
        # trial_config already carries the shipped calibration: the preset is set explicitly
        before = _run(trial, args.n, args.seed, args.workers, qsp_population())
        after = _run(trial, args.n, args.seed, args.workers, pop)
        for (_, a), (_, b) in zip(before.iterrows(), after.iterrows(), strict=True):
            if a["endpoint"] == "DCR":
                continue

            def cell(r: pd.Series) -> str:
                return f"{r['simulated']:.3g} ({r['sim_low']:.3g}-{r['sim_high']:.3g})"

            pub = (
                "-" if a["published"] is None or pd.isna(a["published"]) else f"{a['published']:g}"
            )
            print(
                f"| {trial.id} | {a['population']} | {a['arm']} | {a['endpoint']} | {cell(a)} | "
                f"{cell(b)} | {pub} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
