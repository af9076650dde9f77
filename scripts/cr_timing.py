"""When do a library trial's simulated complete responses come, and what keeps them late?

Diagnosis only: nothing is fitted or tuned. Runs every arm of ``--trial`` once (``--n`` selected
patients, seed ``--seed``), keeping each lesion's course and composition. Two parts follow.

1. The CR %, re-read from the same courses at 6 months, at the trial's published median follow-up
   and at 24 months. It is re-read at the shipped lesion-level growth spread and with none, and
   at the shipped detection size (``DETECT_MM``) and at 5 mm, the top of its sourced range.
2. For the patients read as CR whose last cancer cell dies during the run (``extinction_day``):
   the residual lesion's diameter relative to baseline, and its senescent and dead shares, at the
   day of extinction and 2, 4 and 8 months later (medians).

    python scripts/cr_timing.py [--trial impassion130] [--n 200] [--seed 0]
"""

from __future__ import annotations

import argparse
import math
from dataclasses import replace

import numpy as np
import pandas as pd
from trial_lesion_sensitivity import reread, simulate_courses

from senotwin.analysis.endpoints import DETECT_MM, LESION_GROWTH_SPREAD
from senotwin.trial.library import get_trial
from senotwin.trial.spec import DAYS_PER_MONTH, TrialSpec

#: species of the lesion's composition (cancer cells, HLA-loss cancer cells, senescent, dead)
COMPOSITION = ("C", "Ci", "Se", "Sl", "Sd", "D")
#: days after the last cancer cell's death at which the residual lesion is read
AFTER_DAYS = (0.0, 60.0, 120.0, 240.0)


def cr_by_time(
    trial: TrialSpec,
    rows: pd.DataFrame,
    courses: dict[tuple[str, int], pd.DataFrame],
    *,
    spread: float,
    detect_mm: float,
    months: float,
) -> dict[str, float]:
    """Per arm, the CR % (confirmed) from the scans up to ``months``, at this spread and
    detection size."""
    rules = replace(
        trial.rules,
        lesion_growth_spread=spread,
        detect_mm=detect_mm,
        median_follow_days=months * DAYS_PER_MONTH,
    )
    ep = reread(trial, rows, courses, rules)
    return {
        str(arm): 100.0 * float((g["best_response_at_median_follow"] == "CR").mean())
        for arm, g in ep.groupby("arm", sort=False)
    }


def residual(rows: pd.DataFrame, courses: dict[tuple[str, int], pd.DataFrame]) -> pd.DataFrame:
    """For CR patients whose cancer cells die out: diameter / baseline and the senescent and dead
    shares of the lesion's cells, at :data:`AFTER_DAYS` after extinction (one row each)."""
    out = []
    done = rows[(rows["best_response"] == "CR") & np.isfinite(rows["extinction_day"])]
    for _, r in done.iterrows():
        g = courses[(r["arm"], r["patient"])].sort_values("time")
        d0 = float(g["diameter"].iloc[0])
        for dt in AFTER_DAYS:
            at = g[g["time"] >= float(r["extinction_day"]) + dt].head(1)
            if at.empty:
                continue
            x = at.iloc[0]
            cells = float(sum(x[s] for s in COMPOSITION))
            out.append(
                {
                    "arm": r["arm"],
                    "patient": r["patient"],
                    "after_days": dt,
                    "diameter_rel": float(x["diameter"]) / d0,
                    "senescent_share": float(x["Se"] + x["Sl"] + x["Sd"]) / cells
                    if cells > 0
                    else math.nan,
                    "dead_share": float(x["D"]) / cells if cells > 0 else math.nan,
                }
            )
    return pd.DataFrame(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trial", default="impassion130")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    trial = get_trial(args.trial)
    follow = trial.rules.median_follow_days / DAYS_PER_MONTH
    reads = [6.0, *([round(follow, 1)] if math.isfinite(follow) else []), 24.0]
    rows, courses = simulate_courses(trial, args.n, args.seed, keep=("diameter", *COMPOSITION))
    print(f"{trial.id}: CR % by arm, re-read at {' / '.join(f'{m:g}' for m in reads)} months")
    for spread in (LESION_GROWTH_SPREAD, 0.0):
        for detect in (DETECT_MM, 5.0):
            cells = []
            for months in reads:
                by_arm = cr_by_time(
                    trial, rows, courses, spread=spread, detect_mm=detect, months=months
                )
                cells.append(", ".join(f"{a} {v:.1f}" for a, v in by_arm.items()))
            print(f"  spread {spread:g}, detection {detect:g} mm: " + " | ".join(cells))
    res = residual(rows, courses)
    cr = rows[rows["best_response"] == "CR"]
    gone = cr.loc[np.isfinite(cr["extinction_day"]), "extinction_day"]
    print(
        f"CR patients: {len(cr)}; whose cancer cells die out: {len(gone)}"
        + (f", median day {gone.median():.0f}" if len(gone) else "")
    )
    if not res.empty:
        print("residual lesion after the last cancer cell (medians):")
        print(res.groupby("after_days")[["diameter_rel", "senescent_share", "dead_share"]].median())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
