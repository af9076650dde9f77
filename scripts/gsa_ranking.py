"""Regenerate the shipped global-sensitivity ranking of the physical-units model.

PRCC of log10 lesion volume at 1 year (scenario default, the physical-units model) over every
parameter's range; writes src/senotwin/model/gsa/<model id>.yaml, which ``senotwin model stats``
reads for the provenance share among the 30 top-ranked parameters. Prints the top 30 and, with
--check-seed, how many of them a second, independent design also ranks in its top 30.

    python scripts/gsa_ranking.py [--samples 4000] [--seed 0] [--check-seed 1]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from senotwin.analysis.gsa_ranking import rank_parameters
from senotwin.model.describe import TOP_N

OUT_DIR = Path(__file__).resolve().parents[1] / "src" / "senotwin" / "model" / "gsa"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="default")
    ap.add_argument("--samples", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--check-seed", type=int, default=None)
    ap.add_argument("--engine", default="fast", help="simulation engine (default: fast)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    res = rank_parameters(args.scenario, n=args.samples, seed=args.seed, engine=args.engine)
    took = time.perf_counter() - t0
    out = OUT_DIR / f"{res.model}.yaml"
    res.write(out)
    print(
        f"{res.model}: {res.samples} samples ({res.failed} failed) on the {res.engine} engine "
        f"in {took:.1f} s -> {out}"
    )
    top = res.table.head(TOP_N)
    for r in top.itertuples():
        print(f"{r.rank:3d} {r.parameter:16s} PRCC {r.prcc:+.3f}  p {r.p:.2g}")
    if args.check_seed is not None:
        other = rank_parameters(
            args.scenario, n=args.samples, seed=args.check_seed, engine=args.engine
        )
        a = set(top["parameter"])
        b = set(other.table.head(TOP_N)["parameter"])
        print(
            f"seed {args.check_seed}: {len(a & b)} of the top {TOP_N} shared; differ: "
            f"{sorted(a ^ b)}"
        )


if __name__ == "__main__":
    main()
