"""Benchmark: the shipped validation suite on the fast engine vs the SciPy reference engine.

Prints, in one process: the load time of the cases, the first fast run (includes loading the
model's compiled code once), a warm fast run, the number of distinct simulations and the cost
per case, then the same suite on the reference engine and the ratio. Optionally the null test's
cost per random parameter set. First of all it times the command itself, ``senotwin validate``,
in a fresh process (wall and CPU seconds: imports, loading the compiled code, every case, the
table): the issue's target is a nominal run <= 10 s on a 2-core machine.

Usage: python benchmarks/bench_validate.py [--repeat 3] [--null 0] [--skip-reference]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import TypeVar

from bench_cli_start import seconds  # a sibling script: run as python benchmarks/bench_validate.py

from senotwin.analysis.validation import load_cases, run_cases, run_null
from senotwin.analysis.validation.runner import simulate_cases

T = TypeVar("T")


def _timed(fn: Callable[[], T]) -> tuple[T, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def cli_seconds(*args: str) -> tuple[float, float]:
    """(wall, CPU) seconds of ``senotwin validate ARGS`` in a fresh Python process."""
    return seconds("from senotwin.cli import main; main()", ("validate", *args))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="warm fast runs to take the median of")
    ap.add_argument("--null", type=int, default=0, help="also time N null-test draws")
    ap.add_argument("--skip-reference", action="store_true", help="skip the reference engine")
    args = ap.parse_args()

    wall, cpu = cli_seconds()
    print(
        f"senotwin validate (fresh process, nominal): {wall:7.2f} s wall, {cpu:.2f} s CPU "
        "(target <= 10 s)"
    )
    cases, t_load = _timed(load_cases)
    report, t_cold = _timed(lambda: run_cases(cases, engine="fast"))
    warm = [_timed(lambda: run_cases(cases, engine="fast"))[1] for _ in range(args.repeat)]
    t_warm = statistics.median(warm)
    n_sims = len(simulate_cases(cases, engine="fast"))
    print(f"cases: {len(cases)} ({report.n_passed} pass); distinct simulations: {n_sims}")
    print(f"load + check cases:          {t_load:7.2f} s")
    print(
        f"fast, first run (compiles):  {t_cold:7.2f} s   "
        f"(nominal run incl. load: {t_load + t_cold:.2f} s)"
    )
    print(
        f"fast, warm (median of {args.repeat}):   {t_warm:7.2f} s   "
        f"= {1000 * t_warm / len(cases):.1f} ms per case, {1000 * t_warm / n_sims:.1f} ms per run"
    )
    if not args.skip_reference:
        ref, t_ref = _timed(lambda: run_cases(cases, engine="reference"))
        same = sum(a.passed == b.passed for a, b in zip(ref.results, report.results, strict=True))
        print(
            f"reference (SciPy):           {t_ref:7.2f} s   = {t_ref / t_warm:.1f}x the warm "
            f"fast run; verdicts agree on {same}/{len(cases)} cases"
        )
    if args.null:
        lit = [c for c in cases if c.spec_case.tier == "literature"]
        null, t_null = _timed(lambda: run_null(lit, 0.0, n=args.null, seed=0, engine="fast"))
        print(
            f"null test, {args.null} draws x {len(lit)} literature cases: {t_null:.2f} s "
            f"({t_null / args.null:.2f} s per draw); null median {null.median:.0%}"
        )


if __name__ == "__main__":
    main()
