"""Regenerate the shipped fit result of a calibration problem (what the demo report draws).

Multi-start fit (Latin-hypercube starts plus the nominal values), profile likelihoods of every
fitted parameter and the fit curves, written to
src/senotwin/calibrate/data/<problem>/fit_result.json with the problem's fingerprint (the report
flags the result as stale when the problem changes). Partial results (the starts and profiles
done so far) are written atomically to build/calibration/<problem>.progress.json after each
start and each profile, so a long run that is stopped still leaves its work. The galvis2019 fit
takes ~5-10 minutes on two busy cores; mariathasan2018 ~10-20 minutes.

    python scripts/calibration_results.py [--problem galvis2019] [--starts 50] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from senotwin._io import atomic_write_text
from senotwin.calibrate import Objective, get_problem
from senotwin.calibrate.fit import Start, fit_problem
from senotwin.calibrate.objective import fit_curves
from senotwin.calibrate.profile import Profile, profile_all
from senotwin.calibrate.shipped import fit_record, shipped_path

PROGRESS_DIR = Path("build") / "calibration"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problem", default="galvis2019")
    ap.add_argument("--starts", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-nfev", type=int, default=200, help="evaluations per local fit")
    ap.add_argument("--profile-nfev", type=int, default=60, help="per profile re-optimisation")
    args = ap.parse_args()
    problem = get_problem(args.problem)
    objective = Objective(problem)
    PROGRESS_DIR.mkdir(parents=True, exist_ok=True)
    progress_file = PROGRESS_DIR / f"{args.problem}.progress.json"
    t0 = time.perf_counter()

    def save(stage: str, payload: object) -> None:
        doc = {"problem": args.problem, "stage": stage, "seconds": time.perf_counter() - t0}
        atomic_write_text(
            progress_file, json.dumps(doc | {"done": payload}, default=float, indent=1) + "\n"
        )

    def on_start(done: tuple[Start, ...], planned: int) -> None:
        best = min(s.nllh for s in done)
        print(f"start {len(done)}/{planned}: nllh {done[-1].nllh:.2f} (best {best:.2f})")
        save(f"starts {len(done)}/{planned}", [asdict(s) for s in done])

    def on_profile(done: tuple[Profile, ...]) -> None:
        p = done[-1]
        print(f"profile {p.parameter}: 95% CI {p.ci_low} - {p.ci_high}")
        save(f"profiles {len(done)}", [asdict(q) for q in done])

    fit = fit_problem(
        objective, starts=args.starts, seed=args.seed, max_nfev=args.max_nfev, progress=on_start
    )
    print(f"fit: nllh {fit.nllh:.2f}, {fit.converged}/{len(fit.starts)} at the best")
    profiles = profile_all(objective, fit, max_nfev=args.profile_nfev, progress=on_profile)
    took = time.perf_counter() - t0
    design = {
        "starts": args.starts,
        "seed": args.seed,
        "max_nfev": args.max_nfev,
        "profile_nfev": args.profile_nfev,
        "command": f"python scripts/calibration_results.py --problem {args.problem} "
        f"--starts {args.starts} --seed {args.seed}",
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "seconds": round(took, 1),
        "simulations": objective.evaluations,
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
