"""Score the shipped liu2019 optimum on virtual cohorts of several sizes and seeds (session 25).

The liu2019 objective simulates a cohort of ``n`` virtual patients with common random numbers
``seed``; its value at a fixed point varies with the seed (Monte Carlo noise). This prints, per
``n``, every seed's nllh, their mean and sd (ddof 1) and the seconds per evaluation, to choose
the cohort size of a refit (docs/calibration.md, "Session 25 (bign)").

    python scripts/liu2019_cohort_noise.py --n 240 1000 2000 --seeds 0 1 2 3 --workers 2
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from senotwin.trial.ici_fit import IciObjective, shipped_start, start_vector


def score(job: tuple[int, int]) -> tuple[int, int, float, float]:
    """(n, seed, nllh of the shipped optimum, wall seconds) for one cohort."""
    n, seed = job
    obj = IciObjective(n=n, seed=seed)  # cohort set-up is not timed: a fit pays it once
    t0 = time.perf_counter()
    value = obj(start_vector(shipped_start()[0]))
    return n, seed, value, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[240, 1000, 2000], help="cohort sizes")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3], help="cohort seeds")
    ap.add_argument("--workers", type=int, default=1, help="evaluations run in parallel")
    a = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress in logs
    if min(a.n) < 9 or a.workers < 1 or len(a.seeds) < 2:
        raise SystemExit("need every --n >= 9, --workers >= 1 and at least 2 --seeds")
    if not shipped_start():
        raise SystemExit("no shipped liu2019 optimum (calibrate/data/ici_cohorts/fit.json)")
    jobs = [(n, s) for n in a.n for s in a.seeds]
    with ProcessPoolExecutor(max_workers=a.workers) as pool:
        rows = []
        for n, seed, value, seconds in pool.map(score, jobs):
            print(f"n {n} seed {seed}: nllh {value:.4f} ({seconds:.1f} s)")
            rows.append((n, value, seconds))
    print("n | mean nllh | sd across seeds | s/evaluation")
    for n in a.n:
        v = np.array([r[1] for r in rows if r[0] == n])
        s = np.array([r[2] for r in rows if r[0] == n])
        print(f"{n} | {v.mean():.2f} | {v.std(ddof=1):.2f} | {s.mean():.1f}")


if __name__ == "__main__":
    main()
