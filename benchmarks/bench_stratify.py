"""Benchmark: ``senotwin stratify`` on a 500 samples × 20,000 genes bulk cohort (target <= 10 s).

Prints the wall time of the full stratify call (scale detection, checks, programme scores, gene
bootstrap uncertainties, strategies, evidence) and, as the peer in the same process, the time of
senotwin's plain ``score_matrix`` (mean_z) scoring the same four programmes once, with the ratio.
With ``--io`` it also writes the cohort as a CSV and times reading it back (the CLI path).

Usage: python benchmarks/bench_stratify.py [--samples 500] [--genes 20000] [--io]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from senotwin.sc.io import read_expression
from senotwin.sc.scoring import score_matrix
from senotwin.sc.signatures import Signature
from senotwin.sc.stratify import programmes, stratify


def make_cohort(n_samples: int, n_genes: int, seed: int) -> pd.DataFrame:
    """Negative-binomial-like counts; programme genes first, then filler gene names."""
    rng = np.random.default_rng(seed)
    named: list[str] = []
    for p in programmes().values():
        for _, genes, _ in p.components:
            named.extend(g for g in genes if g not in named)
    genes = (named + [f"GENE{i}" for i in range(n_genes)])[:n_genes]
    mu = rng.lognormal(3.0, 1.5, size=n_genes)
    depth = rng.lognormal(0.0, 0.3, size=(n_samples, 1))
    counts = rng.poisson(rng.gamma(2.0, mu * depth / 2.0))
    return pd.DataFrame(counts, index=[f"S{i}" for i in range(n_samples)], columns=genes)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=500)
    ap.add_argument("--genes", type=int, default=20_000)
    ap.add_argument("--io", action="store_true", help="also time the CSV round trip")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    df = make_cohort(args.samples, args.genes, args.seed)
    x = df.to_numpy(dtype=np.float64)
    genes, samples = list(df.columns), list(df.index)
    print(f"cohort: {args.samples} samples × {args.genes} genes (counts)")

    t0 = time.perf_counter()
    res = stratify(x, genes, samples)
    t_strat = time.perf_counter() - t0
    print(f"stratify (in memory): {t_strat:.2f} s  [{len(res.predictions)} rows]")

    sigs = [
        Signature(name=f"{p.name}_{c}", genes=g, weights=w)
        for p in programmes().values()
        for c, g, w in p.components
    ]
    logx = np.log1p(x / x.sum(axis=1, keepdims=True) * 1e6)
    t0 = time.perf_counter()
    score_matrix(logx, genes, sigs, method="mean_z")
    t_peer = time.perf_counter() - t0
    print(f"peer: score_matrix mean_z, same programmes, no bootstrap: {t_peer:.2f} s")
    print(f"ratio stratify / peer: {t_strat / t_peer:.2f}")

    if args.io:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "cohort.csv"
            df.T.to_csv(path)
            t0 = time.perf_counter()
            expr = read_expression(path)
            t_read = time.perf_counter() - t0
            t0 = time.perf_counter()
            stratify(expr.x, expr.genes, expr.obs_names)
            t_all = t_read + time.perf_counter() - t0
            print(f"read CSV: {t_read:.2f} s; read + stratify: {t_all:.2f} s")


if __name__ == "__main__":
    main()
