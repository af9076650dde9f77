"""Benchmark: the start-up cost of a ``senotwin`` command that imports only its own module.

The root command imports a command's module when that command runs (``senotwin.cli.app.COMMANDS``).
The peer is the same command in a process that first imports every command module, which is what
each command paid when the root registered them all at start. Both run in fresh Python processes,
alternating, so a busy machine slows both alike. Prints the median wall and CPU seconds of each and
the ratio.

Usage: python benchmarks/bench_cli_start.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time

#: commands that do little work of their own, so their start-up is most of their time
COMMANDS = (("--version",), ("trial", "list"), ("kb", "--help"), ("validate", "--help"))

_LAZY = "from senotwin.cli import main; main()"
_EAGER = (
    "import importlib; from senotwin.cli.app import COMMANDS; "
    "[importlib.import_module(m) for m, _ in COMMANDS.values()]; "
    "from senotwin.cli import main; main()"
)


def seconds(code: str, args: tuple[str, ...]) -> tuple[float, float]:
    """(wall, CPU) seconds of ``python -c CODE ARGS`` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="runs of each to take the median of")
    args = ap.parse_args()
    if args.repeat < 1:
        ap.error(f"--repeat must be at least 1, got {args.repeat}")
    print(f"{'command':<26} {'own module':>19} {'every module':>19} {'ratio':>7}")
    for command in COMMANDS:
        lazy, eager = [], []
        for _ in range(args.repeat):
            lazy.append(seconds(_LAZY, command))
            eager.append(seconds(_EAGER, command))
        lw, lc = (statistics.median(x) for x in zip(*lazy, strict=True))
        ew, ec = (statistics.median(x) for x in zip(*eager, strict=True))
        print(
            f"{'senotwin ' + ' '.join(command):<26} {lw:6.2f} s ({lc:4.2f} CPU) "
            f"{ew:6.2f} s ({ec:4.2f} CPU) {ew / lw:6.2f}x"
        )


if __name__ == "__main__":
    main()
