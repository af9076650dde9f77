"""Regenerate the shipped fit result of a calibration problem (what the demo report draws).

Multi-start fit (Latin-hypercube starts plus the nominal values), profile likelihoods of every
fitted parameter and the fit curves, written to
src/senotwin/calibrate/data/<problem>/fit_result.json with the problem's fingerprint (the report
flags the result as stale when the problem changes). The galvis2019 fit takes ~5-10 minutes on
two busy cores.

    python scripts/calibration_results.py [--problem galvis2019] [--starts 50] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime

from senotwin._io import atomic_write_text
from senotwin.calibrate import Objective, get_problem
from senotwin.calibrate.fit import fit_problem
from senotwin.calibrate.objective import fit_curves
from senotwin.calibrate.profile import profile_all
from senotwin.calibrate.shipped import fit_record, shipped_path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problem", default="galvis2019")
    ap.add_argument("--starts", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    problem = get_problem(args.problem)
    objective = Objective(problem)
    t0 = time.perf_counter()
    fit = fit_problem(objective, starts=args.starts, seed=args.seed)
    profiles = profile_all(objective, fit)
    took = time.perf_counter() - t0
    design = {
        "starts": args.starts,
        "seed": args.seed,
        "command": f"senotwin calibrate --problem {args.problem} --starts {args.starts} "
        f"--seed {args.seed} --profiles",
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "seconds": round(took, 1),
    }
    doc = fit_record(problem, fit, profiles, fit_curves(objective, fit.best), design)
    out = shipped_path(args.problem)
    atomic_write_text(out, json.dumps(doc, indent=1, default=float) + "\n")
    print(f"{args.problem}: nllh {fit.nllh:.2f}, {fit.converged}/{len(fit.starts)} starts at the")
    print(f"best fit, {took:.0f} s -> {out}")
    for p in profiles:
        print(f"  {p.parameter}: {p.best:.4g}  95% CI {p.ci_low} - {p.ci_high}")


if __name__ == "__main__":
    main()
