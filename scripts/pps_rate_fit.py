"""Calibrate a library trial's post-progression death rate on its cited median (issue 13).

The rate after progression (``trial.clinical.trial_hazard``) is solved so that a *typical*
patient has the cited median post-progression survival (PPS) of the trial's disease and line.
The simulated control arm is not that typical patient: its diseases are larger or grow faster
after progression, and its PPS falls short (the ``trial run`` check). This solves the factor
``f`` on that rate so that the control arm's Kaplan-Meier survival after RECIST progression is
0.5 at the cited median. Several cohort draws are pooled; the courses are simulated once and
only the death hazard changes. The target is the cited PPS, a number from outside the trial;
nothing published by the trial is read. Prints ``f`` and the lines for the trial file's
``survival`` block.

    python scripts/pps_rate_fit.py --trial keynote189 [--n 200] [--seeds 0 1 2 3]
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
from scipy import optimize
from trial_lesion_sensitivity import reread, simulate_courses

from senotwin.analysis.survival import kaplan_meier, survival_at
from senotwin.trial.clinical import trial_hazard
from senotwin.trial.library import get_trial
from senotwin.trial.spec import DAYS_PER_MONTH, TrialSpec


def pps_at(table: pd.DataFrame, months: float) -> float:
    """Kaplan-Meier survival after RECIST progression at ``months`` (progressors of ``table``;
    death censored at the follow-up)."""
    g = table[table["pd_by"].fillna("").astype(str) != ""]
    after = (g["os_days"] - g["pfs_days"]).clip(lower=0.0).to_numpy(dtype=float)
    km = kaplan_meier(after / DAYS_PER_MONTH, g["os_event"].to_numpy(dtype=bool))
    return survival_at(km, months)[0]


def fit_factor(trial: TrialSpec, n: int, seeds: Sequence[int]) -> tuple[float, float, int]:
    """(f, pooled PPS survival at the cited median with f, progressors) for the control arm."""
    pp = trial.post_progression
    if pp is None:
        raise SystemExit(f"{trial.id} has no cited post-progression survival to calibrate on")
    plain = replace(trial, post_progression=replace(pp, rate_factor=1.0, rate_factor_source=""))
    base = trial_hazard(plain)
    runs = []
    for seed in seeds:
        rows, courses = simulate_courses(trial, n, seed)
        control = rows[rows["arm"] == trial.control.name]
        runs.append((control, courses))

    def pooled(f: float) -> pd.DataFrame:
        hz = replace(base, post_per_day=base.post_per_day * f)
        return pd.concat(
            [reread(trial, rows, courses, trial.rules, hz) for rows, courses in runs],
            ignore_index=True,
        )

    def gap(log_f: float) -> float:
        return pps_at(pooled(math.exp(log_f)), pp.median_months) - 0.5

    log_f = optimize.brentq(gap, math.log(0.2), math.log(5.0), xtol=1e-3)
    f = float(np.round(math.exp(log_f), 3))
    table = pooled(f)
    return f, pps_at(table, pp.median_months), int((table["pd_by"] != "").sum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trial", default="keynote189")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    args = ap.parse_args()
    trial = get_trial(args.trial)
    f, s, k = fit_factor(trial, args.n, args.seeds)
    assert trial.post_progression is not None
    print(
        f"{trial.id}: factor {f:g} on the typical-course post-progression rate; control arm PPS "
        f"survival at the cited {trial.post_progression.median_months:g} months {s:.3f} "
        f"({k} progressors, n {args.n} x seeds {args.seeds})"
    )
    print(f"  post_progression_rate_factor: {f:g}")
    print(
        "  rate_factor_source: calibrated: scripts/pps_rate_fit.py --trial "
        f"{trial.id} --n {args.n} --seeds {' '.join(map(str, args.seeds))}"
    )


if __name__ == "__main__":
    main()
