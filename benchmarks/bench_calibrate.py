"""Benchmark calibration: objective evaluations per second on the fast engine vs a plain
libRoadRunner loop on the same PEtab problem, and the time of one full multi-start fit.

The libRoadRunner loop loads the problem's exported SBML once, then per evaluation sets the
estimated parameters and the condition's initial amounts, simulates at the measurement times and
computes the same Gaussian negative log-likelihood in numpy (no senotwin code in the loop). Both
sides use rtol 1e-8 / atol 1e-10 and are run in the same process, so the ratio is comparable on
a busy machine. Usage:

    python benchmarks/bench_calibrate.py [--problem galvis2019] [--evals 200] [--starts 50]

Observables of the form ``X`` or ``X * c`` (lin, log or log10 scale) are supported by the loop
(galvis2019, mariathasan2018, mariathasan2018_mc38).

``--starts 0`` skips the multi-start fit.
"""

from __future__ import annotations

import argparse
import math
import re
import tempfile
import time
from pathlib import Path

import numpy as np
import roadrunner

from senotwin.calibrate import Objective, export_problem, get_problem
from senotwin.calibrate.fit import fit_problem
from senotwin.calibrate.petab_io import FILES


def _roadrunner_loop(problem, directory: Path, values: dict[str, float], evals: int) -> float:
    """Evaluations per second of a plain libRoadRunner objective (one condition per run)."""
    rr = roadrunner.RoadRunner(str(directory / FILES["sbml"]))
    rr.integrator.relative_tolerance = 1e-8
    rr.integrator.absolute_tolerance = 1e-10
    spec_params = set(problem.spec.parameter_ids)
    floating = list(rr.model.getFloatingSpeciesIds())
    table = problem.measurements
    obs_formula, obs_scale = {}, {}
    for o in problem.observables:  # "X" or "X * number" (the caliper volume is "V_T * 1000")
        m = re.fullmatch(r"\s*([A-Za-z_]\w*)\s*(?:\*\s*([0-9.eE+-]+))?\s*", o.formula)
        if m is None:
            raise SystemExit(f"observable {o.id}: the plain loop handles 'X' or 'X * c' only")
        obs_formula[o.id] = m.group(1)
        obs_scale[o.id] = float(m.group(2) or 1.0)
    transform = {o.id: o.transformation for o in problem.observables}
    sigma = {o.id: o.sigma for o in problem.observables}
    conds = {}
    for cid, overrides in problem.conditions.items():
        rows = table[table["simulationConditionId"] == cid]
        if rows.empty:  # a held-back-only condition is not simulated by the objective either
            continue
        times = np.unique(np.concatenate([[0.0], rows["time"].to_numpy(float)]))
        conds[cid] = (overrides, rows, times)

    def one() -> float:
        total = 0.0
        for overrides, rows, times in conds.values():
            rr.resetAll()
            for pid, v in values.items():
                if pid in spec_params:
                    rr[pid] = v
            for target, raw in overrides.items():
                v = values[raw] if isinstance(raw, str) else float(raw)
                if target in floating:  # setValue("init(X)") would regenerate the model (~1 s)
                    rr.model.setFloatingSpeciesInitAmounts([floating.index(target)], [v])
                else:
                    rr[target] = v
            rr.reset()
            ids = list(dict.fromkeys(obs_formula.values()))
            out = rr.simulate(times=list(times), selections=["time", *ids])
            sim = {name: np.asarray(out[:, k + 1]) for k, name in enumerate(ids)}
            for oid, sel in rows.groupby("observableId"):
                pred = obs_scale[oid] * np.interp(
                    sel["time"].to_numpy(float), times, sim[obs_formula[oid]]
                )
                s = sigma[oid]
                sd = values[s] if isinstance(s, str) else float(s)
                y = sel["measurement"].to_numpy(float)
                if transform[oid] != "lin":
                    f = np.log if transform[oid] == "log" else np.log10
                    y, pred = f(y), f(np.maximum(pred, 1e-300))
                r = (y - pred) / sd
                total += float(np.sum(0.5 * math.log(2 * math.pi * sd * sd) + 0.5 * r * r))
        return total

    one()
    t0 = time.perf_counter()
    for _ in range(evals):
        one()
    return evals / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problem", default="galvis2019")
    ap.add_argument("--evals", type=int, default=200)
    ap.add_argument("--starts", type=int, default=50)
    args = ap.parse_args()
    problem = get_problem(args.problem)
    values = problem.nominal()
    objective = Objective(problem)
    objective.nllh(values)  # compile once
    t0 = time.perf_counter()
    for _ in range(args.evals):
        objective.nllh(values)
    fast = args.evals / (time.perf_counter() - t0)
    with tempfile.TemporaryDirectory() as tmp:
        export_problem(problem, Path(tmp))
        rr_rate = _roadrunner_loop(problem, Path(tmp), values, args.evals)
    print(f"problem {problem.name}: {len(problem.measurements)} measurements")
    print(f"objective evaluations/s, fast engine:        {fast:8.1f}")
    print(f"objective evaluations/s, plain libRoadRunner: {rr_rate:8.1f}")
    print(f"ratio fast / libRoadRunner:                   {fast / rr_rate:8.2f}")
    if args.starts > 0:
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        fit = fit_problem(objective, starts=args.starts, seed=0)
        print(
            f"multi-start fit, {args.starts} starts + nominal: {time.perf_counter() - t0:.1f} s "
            f"wall, {time.process_time() - cpu0:.1f} s CPU, {fit.evaluations} simulations, "
            f"{fit.converged} starts at the best nllh {fit.nllh:.2f}"
        )


if __name__ == "__main__":
    main()
