"""Benchmark: senotwin mean_z scoring vs scanpy.tl.score_genes on a large sparse matrix.

Prints wall time, peak extra memory (tracemalloc) and its ratio to the input matrix size, and the
throughput ratio against scanpy on the same data and signatures. scanpy is the optional ``bench``
extra; if it is absent the peer line says so. scanpy is run on a subset of cells (it scales
linearly in cells) and extrapolated; the script prints which.

Usage: python benchmarks/bench_scoring.py [--cells 200000] [--genes 20000] [--nnz 1500]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import scipy.sparse as sp

from senotwin.sc.scoring import score_matrix
from senotwin.sc.signatures import Signature


def make_matrix(n_cells: int, n_genes: int, nnz: int, seed: int) -> sp.csr_matrix:
    """Random CSR (float32) with about ``nnz`` sorted unique columns per row, built in chunks."""
    rng = np.random.default_rng(seed)
    gene_scale = rng.lognormal(0.0, 0.7, size=n_genes).astype(np.float32)
    mean_gap = n_genes / nnz
    hi = max(2, round(2 * mean_gap) - 1)
    indptr = np.zeros(n_cells + 1, dtype=np.int64)
    idx_parts, dat_parts = [], []
    chunk = 5000
    for lo in range(0, n_cells, chunk):
        m = min(chunk, n_cells - lo)
        cols = np.cumsum(rng.integers(1, hi + 1, size=(m, nnz), dtype=np.int32), axis=1) - 1
        keep = cols < n_genes
        counts = keep.sum(axis=1)
        c = cols[keep].astype(np.int32)
        v = np.log1p(rng.exponential(1.0, size=c.size)).astype(np.float32) * gene_scale[c]
        idx_parts.append(c)
        dat_parts.append(v.astype(np.float32))
        indptr[lo + 1 : lo + m + 1] = indptr[lo] + np.cumsum(counts)
    indices = np.concatenate(idx_parts)
    del idx_parts
    data = np.concatenate(dat_parts)
    del dat_parts
    return sp.csr_matrix((data, indices, indptr), shape=(n_cells, n_genes))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, default=200_000)
    ap.add_argument("--genes", type=int, default=20_000)
    ap.add_argument("--nnz", type=int, default=1500)
    ap.add_argument("--n-sets", type=int, default=10)
    ap.add_argument("--scanpy-cells", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    t0 = time.perf_counter()
    x = make_matrix(args.cells, args.genes, args.nnz, args.seed)
    input_bytes = x.data.nbytes + x.indices.nbytes + x.indptr.nbytes
    print(
        f"matrix: {x.shape[0]} x {x.shape[1]}, nnz {x.nnz} ({x.nnz / x.shape[0]:.0f}/cell), "
        f"{input_bytes / 1e9:.2f} GB, built in {time.perf_counter() - t0:.1f} s"
    )
    genes = [f"G{i}" for i in range(args.genes)]
    rng = np.random.default_rng(args.seed + 1)
    sigs = []
    for k in range(args.n_sets):
        size = int(rng.integers(20, 120))
        chosen = rng.choice(args.genes, size=size, replace=False)
        n_down = size // 3 if k % 2 else 0
        w = (1.0,) * (size - n_down) + (-1.0,) * n_down
        sigs.append(Signature(name=f"set{k}", genes=tuple(genes[i] for i in chosen), weights=w))

    tracemalloc.start()
    tracemalloc.reset_peak()
    t0 = time.perf_counter()
    res = score_matrix(x, genes, sigs, method="mean_z", seed=0)
    wall = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"senotwin mean_z: {wall:.2f} s for {args.n_sets} signatures "
        f"({x.shape[0] / wall:,.0f} cells/s)"
    )
    print(f"senotwin peak extra memory: {peak / 1e9:.3f} GB = {peak / input_bytes:.3f} x input")
    if res.scores.shape != (x.shape[0], args.n_sets):
        raise RuntimeError(f"unexpected score shape {res.scores.shape}")

    sub_n = min(args.scanpy_cells, x.shape[0])
    xs = x[:sub_n]
    t0 = time.perf_counter()
    score_matrix(xs, genes, sigs, method="rank")
    print(f"senotwin rank (UCell-like) on {sub_n} cells: {time.perf_counter() - t0:.2f} s")
    t0 = time.perf_counter()
    score_matrix(xs, genes, sigs, method="ulm")
    print(f"senotwin ulm on {sub_n} cells: {time.perf_counter() - t0:.2f} s")
    try:
        import anndata as ad
        import scanpy as sc
    except ImportError:
        print("scanpy: not installed (pip install 'senotwin[bench]'); no peer ratio")
        return
    adata = ad.AnnData(X=xs)
    adata.var_names = genes
    t0 = time.perf_counter()
    for s in sigs:
        sc.tl.score_genes(adata, list(s.genes), score_name=s.name, random_state=0)
    sc_wall = time.perf_counter() - t0
    sc_rate = sub_n / sc_wall
    ours_sub = time.perf_counter()
    score_matrix(xs, genes, sigs, method="mean_z", seed=0)
    ours_sub = time.perf_counter() - ours_sub
    print(
        f"scanpy score_genes: {sc_wall:.2f} s on {sub_n} cells ({sc_rate:,.0f} cells/s); "
        f"extrapolated to {x.shape[0]} cells: {x.shape[0] / sc_rate:.1f} s"
    )
    print(
        f"senotwin mean_z on the same {sub_n} cells: {ours_sub:.2f} s; "
        f"throughput ratio vs scanpy (same subset): {sc_wall / ours_sub:.1f}x; "
        f"full run vs extrapolated scanpy: {(x.shape[0] / sc_rate) / wall:.1f}x"
    )


if __name__ == "__main__":
    main()
