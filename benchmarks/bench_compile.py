"""Benchmark the fast engine's one-time cost: compiling model structures with an empty code cache,
against loading them from a warm one, and one after another against side by side, in one run.

A first run on a machine compiles each model structure the command meets (a validation run meets
about fifteen: drug regimens add PK species), so this cost is what a new user waits for. Every
measurement is a fresh Python process whose code cache ($SENOTWIN_CACHE_DIR) is a new empty
folder (cold) or the folder a cold process just filled (warm). The process simulates each
scenario for one day on the fast engine, either one after another (each first run compiles its
structure) or after ``senotwin.sim.codegen.precompile`` has compiled them in parallel processes
(as `senotwin validate` does); it reports the wall and CPU seconds of its own work (the CPU of
precompile's worker processes is not in it). Prints one line per figure and the ratios.
Usage:

    python benchmarks/bench_compile.py [--scenarios default mouse_emt6_isotype ...] [--repeats 1]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

_CHILD = """
import json, sys, time
from senotwin.model.compile import flatten
from senotwin.sim import SolverOptions, prepare_scenario

setups = [prepare_scenario(name, days=1.0) for name in sys.argv[2:]]
t0, c0 = time.perf_counter(), time.process_time()
if sys.argv[1] == "parallel":
    from senotwin.sim.codegen import precompile

    precompile([flatten(s.spec) for s in setups])
for setup in setups:
    setup.run(solver=SolverOptions(engine="fast"), check_ranges=False)
print(json.dumps({"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0}))
"""


def _run(cache: str, mode: str, scenarios: list[str]) -> dict[str, float]:
    env = {**os.environ, "SENOTWIN_CACHE_DIR": cache}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, *scenarios],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def _median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scenarios",
        nargs="+",
        default=["default", "mouse_emt6_isotype", "legacy_default"],
        help="scenarios whose structures are compiled (distinct structures show the parallelism)",
    )
    parser.add_argument("--repeats", type=int, default=1, help="runs per figure (medians)")
    args = parser.parse_args()
    runs: dict[str, list[dict[str, float]]] = {"serial": [], "parallel": [], "warm": []}
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="senotwin-bench-cache-") as cache:
            runs["serial"].append(_run(cache, "serial", args.scenarios))
            runs["warm"].append(_run(cache, "serial", args.scenarios))
        with tempfile.TemporaryDirectory(prefix="senotwin-bench-cache-") as cache:
            runs["parallel"].append(_run(cache, "parallel", args.scenarios))
    print(
        f"scenarios: {' '.join(args.scenarios)}; {os.cpu_count()} cores; "
        f"{args.repeats} run(s) per figure, medians"
    )
    for mode in ("serial", "parallel", "warm"):
        cache = "warm" if mode == "warm" else "cold"
        order = "one_after_another" if mode != "parallel" else "precompiled_in_parallel"
        print(f"first_runs_{cache}_cache_{order}_wall_s {_median(runs[mode], 'wall'):.2f}")
    serial, parallel = _median(runs["serial"], "wall"), _median(runs["parallel"], "wall")
    print(f"ratio_cold_one_after_another_over_precompiled_wall {serial / parallel:.2f}")
    print(f"ratio_cold_over_warm_wall {serial / _median(runs['warm'], 'wall'):.1f}")


if __name__ == "__main__":
    main()
