"""Profile of the RECIST read's 'recorded as gone' size on the liu2019 calibration cohort.

A target lesion smaller than ``TrialRules.detect_mm`` is recorded as gone (0 mm); a complete
response needs every target gone, so this size sets the split of responders into CR and PR and
nothing else the fit scores. The script scores the liu2019 nllh at the recorded immune optimum
(every fitted quantity at its recorded value) for each size on a grid, on the fit's cohorts
(mean over ``--seeds``) and on held-out cohorts (``--held-out``), and prints the fitted CR share
among responders beside the observed one. A conditional profile: the immune quantities are not
refitted at each size.

    python scripts/liu2019_detect_profile.py [--grid 2 5 0.25] [--n 1000]
        [--seeds 0 1 2 3] [--held-out 4 5] [--workers 2] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from senotwin.trial.ici_fit import IciObjective, goodness, start_vector, stored_fit

#: nllh rise of a 95 % interval of one parameter (chi-square 1 df / 2), as the fit's intervals
DELTA_95 = 1.92


def _recorded_x() -> np.ndarray:
    """The recorded optimum as the objective's scaled vector."""
    point = {p["parameter"]: float(p["best"]) for p in stored_fit()["parameters"]}
    return start_vector(point)


def _score(task: tuple[int, int, float]) -> dict[str, Any]:
    """nllh and CR share of one cohort (n, seed) read at one detection size."""
    n, seed, detect = task
    obj = IciObjective(n=n, seed=seed, detect_mm=detect)
    stats = obj.statistics(obj.values(_recorded_x()))
    good = goodness(stats, obj.target)
    rec = stats["recist"]
    resp = rec["CR"] + rec["PR"]
    return {
        "seed": seed,
        "detect_mm": detect,
        "nllh": float(good["nllh"]),
        "responders": resp,
        "cr_among_responders": rec["CR"] / resp if resp else float("nan"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", nargs=3, type=float, default=(2.0, 5.0, 0.25))
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3])
    ap.add_argument("--held-out", nargs="+", type=int, default=[4, 5])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    lo, hi, step = args.grid
    grid = [round(float(v), 6) for v in np.arange(lo, hi + step / 2, step)]
    seeds = [*args.seeds, *args.held_out]
    tasks = [(args.n, s, d) for d in grid for s in seeds]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(pool.map(_score, tasks))
    observed = IciObjective(n=9, seed=0).target
    o = observed["recist"]
    print(
        f"{len(rows)} cohort reads in {time.perf_counter() - t0:.0f} s; observed CR among "
        f"responders {o['CR']}/{o['CR'] + o['PR']}"
    )
    table = []
    for d in grid:
        fit = [r for r in rows if r["detect_mm"] == d and r["seed"] in args.seeds]
        held = [r for r in rows if r["detect_mm"] == d and r["seed"] in args.held_out]
        table.append(
            {
                "detect_mm": d,
                "fit_mean": float(np.mean([r["nllh"] for r in fit])),
                "held_out_mean": float(np.mean([r["nllh"] for r in held])),
                "cr_share_fit": float(np.mean([r["cr_among_responders"] for r in fit])),
            }
        )
    best = min(table, key=lambda r: r["fit_mean"])
    inside = [r["detect_mm"] for r in table if r["fit_mean"] <= best["fit_mean"] + DELTA_95]
    print("detect_mm  fit-mean  held-out-mean  CR/responders (fit cohorts)")
    for r in table:
        mark = " *" if r is best else ""
        print(
            f"{r['detect_mm']:8.2f}  {r['fit_mean']:8.3f}  {r['held_out_mean']:13.3f}  "
            f"{r['cr_share_fit']:.3f}{mark}"
        )
    at_two = next(r for r in table if r["detect_mm"] == grid[0])
    print(
        f"argmin {best['detect_mm']} mm; 95 % (within {DELTA_95}): {min(inside)}-{max(inside)} mm; "
        f"held-out mean {best['held_out_mean']:.3f} vs {at_two['held_out_mean']:.3f} "
        f"at {grid[0]} mm"
    )
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "table": table}, indent=1))


if __name__ == "__main__":
    main()
