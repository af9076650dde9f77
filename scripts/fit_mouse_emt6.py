"""Fit the mouse EMT6 context to Mariathasan 2018 and write the fit record and its figure.

Usage: python scripts/fit_mouse_emt6.py [--starts N] [--max-nfev N] [--seed S] [--workers W]
       [--png PATH]
Writes src/senotwin/calibrate/data/mariathasan2018/fit.json (best values, cost, every start's
cost for the waterfall, per-arm goodness of fit and held-back prediction error) and the PNG of
the fitted and predicted curves over the per-mouse data (default docs/figures/mouse_emt6_fit.png).
Copy the best values into model/qsp.py (MOUSE_EMT6_FIT, MOUSE_TREATMENT_START) to ship them.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from senotwin._io import atomic_write_text
from senotwin.calibrate.mouse_fit import BOUNDS, arm_summary, fit, plot_fit

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src/senotwin/calibrate/data/mariathasan2018/fit.json"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--starts", type=int, default=20)
    ap.add_argument("--max-nfev", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--png", default=str(ROOT / "docs/figures/mouse_emt6_fit.png"))
    args = ap.parse_args()
    t0 = time.perf_counter()
    result = fit(starts=args.starts, seed=args.seed, max_nfev=args.max_nfev, workers=args.workers)
    seconds = time.perf_counter() - t0
    summary = arm_summary(result.best)
    record = {
        "data_set": "mariathasan2018",
        "method": "scipy least_squares (trf), multi-start (shipped values + Latin hypercube), "
        "log parameters, finite differences, fast engine",
        "starts": args.starts + 1,
        "seed": args.seed,
        "max_nfev": args.max_nfev,
        "seconds": round(seconds, 1),
        "bounds": BOUNDS,
        "best": result.best,
        "cost": result.cost,
        "points": result.n_points,
        "start_costs": sorted(result.starts),
        "arms": summary.to_dict(orient="records"),
    }
    atomic_write_text(OUT, json.dumps(record, indent=1) + "\n")
    Path(args.png).parent.mkdir(parents=True, exist_ok=True)
    plot_fit(result.best, args.png)
    print(summary.to_string())
    print(f"cost {result.cost:.1f} on {result.n_points} points, {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
