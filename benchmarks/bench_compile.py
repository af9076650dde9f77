"""Benchmark the fast engine's one-time cost: compiling a model structure with an empty code
cache against loading it from a warm one, in one run.

A first run on a machine compiles each model structure the command meets (a validation run meets
about fifteen: drug regimens add PK species), so this cost is what a new user waits for. Each
measurement is a fresh Python process whose code cache ($SENOTWIN_CACHE_DIR) is a new empty
folder (cold) or the folder the cold process just filled (warm); the process simulates the
scenario for one day on the fast engine and reports the wall and CPU seconds of that call.
Prints one line per figure and the ratio cold / warm. Usage:

    python benchmarks/bench_compile.py [--scenario NAME] [--regimen TEXT] [--repeats 2]
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
from senotwin.sim import SolverOptions, prepare_scenario

setup = prepare_scenario(sys.argv[1], regimen=sys.argv[2] or None, days=1.0)
t0, c0 = time.perf_counter(), time.process_time()
setup.run(solver=SolverOptions(engine="fast"))
print(json.dumps({"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0}))
"""


def _run(cache: str, scenario: str, regimen: str) -> dict[str, float]:
    env = {**os.environ, "SENOTWIN_CACHE_DIR": cache}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, scenario, regimen],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="default")
    parser.add_argument("--regimen", default="", help="regimen language text (adds PK species)")
    parser.add_argument("--repeats", type=int, default=2, help="cold/warm pairs (medians printed)")
    args = parser.parse_args()
    cold: list[dict[str, float]] = []
    warm: list[dict[str, float]] = []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="senotwin-bench-cache-") as cache:
            cold.append(_run(cache, args.scenario, args.regimen))
            warm.append(_run(cache, args.scenario, args.regimen))
    label = args.scenario + (f" + {args.regimen!r}" if args.regimen else "")
    print(f"structure: {label}; {args.repeats} cold/warm pairs, medians")
    for key in ("wall", "cpu"):
        c = statistics.median(r[key] for r in cold)
        w = statistics.median(r[key] for r in warm)
        print(f"first_simulate_cold_cache_{key}_s {c:.2f}")
        print(f"first_simulate_warm_cache_{key}_s {w:.2f}")
        print(f"ratio_cold_over_warm_{key} {c / w:.1f}")


if __name__ == "__main__":
    main()
