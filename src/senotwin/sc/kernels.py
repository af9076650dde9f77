"""Scoring kernels on a cells × genes matrix (scipy CSR or dense), never densifying sparse input.

Every kernel takes ``X`` (n_obs × n_genes) and a dense weight matrix ``W`` (n_genes × n_sets,
signed, 0 where a gene is not in the set) and returns an n_obs × n_sets float64 array. Sparse
matrices are walked in row chunks so the extra memory stays a small fraction of the input.
The scoring methods built on these kernels are registered in :mod:`senotwin.sc.methods`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from senotwin._errors import ValidationError, check_type

__all__ = [
    "GeneStats",
    "gene_stats",
    "matched_controls",
    "mean_z",
    "rank_score",
    "ulm",
]

#: a cells × genes matrix: scipy CSR (matrix or array) or a dense numpy array
Matrix: TypeAlias = Any
#: what a list with one entry per gene or observation (gene names, group labels) may be, for a
#: wrong type's message: a str is refused (it was read letter by letter)
LABELS: tuple[type, ...] = (list, tuple, np.ndarray, pd.Index, pd.Series, pd.Categorical)
GENES = "the gene names of the matrix columns (a list)"
GROUPS = "one group label per observation (a list, array or Series)"
FloatArray = NDArray[np.float64]
MATRIX = "a 2-D matrix, observations × genes (numpy array, scipy sparse matrix or DataFrame)"


def check_matrix(x: object, *, name: str = "x") -> None:
    """Refuse ``x`` unless it has a 2-D ``shape``, naming it and what it got: a str or a list
    failed on ``x.shape`` and a 1-D array on unpacking it, inside the scorer."""
    shape = getattr(x, "shape", None)
    if not isinstance(shape, tuple):
        check_type(x, (), name=name, what=MATRIX)  # no type passes: refused by the type given
        return
    if len(shape) != 2:
        one = "; one observation is x.reshape(1, -1)" if len(shape) == 1 else ""
        raise ValidationError(f"{name} must be {MATRIX}, got shape {shape}{one}")


#: non-zeros processed per chunk (about 64 MB of float64 temporaries)
CHUNK_NNZ = 8_000_000


@dataclass(frozen=True)
class GeneStats:
    """Per-gene mean and standard deviation (population, ddof=0) over observations."""

    mean: FloatArray
    std: FloatArray


def _row_chunks(x: Matrix, chunk_nnz: int) -> Iterator[tuple[int, int]]:
    indptr = x.indptr
    n = x.shape[0]
    lo = 0
    while lo < n:
        target = indptr[lo] + chunk_nnz
        hi = int(np.searchsorted(indptr, target, side="right")) - 1
        hi = min(max(hi, lo + 1), n)
        yield lo, hi
        lo = hi


def gene_stats(x: Matrix, *, chunk_nnz: int = CHUNK_NNZ) -> GeneStats:
    """Column mean and std in one chunked pass (sparse-aware, float64 accumulation)."""
    n_obs, n_genes = x.shape
    if n_obs == 0:
        raise ValidationError("the matrix has no observations (cells/samples)")
    if sp.issparse(x):
        s1 = np.zeros(n_genes)
        s2 = np.zeros(n_genes)
        for lo, hi in _row_chunks(x, chunk_nnz):
            a, b = x.indptr[lo], x.indptr[hi]
            d = x.data[a:b].astype(np.float64)
            idx = x.indices[a:b]
            s1 += np.bincount(idx, weights=d, minlength=n_genes)
            s2 += np.bincount(idx, weights=d * d, minlength=n_genes)
        mean = s1 / n_obs
        var = np.maximum(s2 / n_obs - mean * mean, 0.0)
    else:
        arr = np.asarray(x, dtype=np.float64)
        mean = arr.mean(axis=0)
        var = arr.var(axis=0)
    return GeneStats(mean=mean, std=np.sqrt(var))


def expression_bins(mean: FloatArray, n_bins: int) -> NDArray[np.int64]:
    """Bin genes into ``n_bins`` equal-count bins of mean expression (ties share a bin)."""
    if n_bins < 1:
        raise ValidationError(f"n_bins must be >= 1, got {n_bins}")
    order = np.argsort(mean, kind="stable")
    ranks = np.empty(len(mean), dtype=np.int64)
    ranks[order] = np.arange(len(mean))
    # ties share the lowest rank so equal means land in the same bin
    sorted_mean = mean[order]
    first = np.searchsorted(sorted_mean, sorted_mean, side="left")
    ranks[order] = first
    return np.minimum(ranks * n_bins // max(len(mean), 1), n_bins - 1)


def matched_controls(
    weights: FloatArray,
    stats: GeneStats,
    *,
    ctrl_size: int,
    n_bins: int,
    rng: np.random.Generator,
) -> FloatArray:
    """Signed control weights: each set gene lends its weight to ``ctrl_size`` genes of its bin.

    Like scanpy's ``score_genes`` (controls matched by mean-expression bin) but per gene and
    signed, so an up gene and a down gene each subtract their own matched background.
    Control genes exclude the set's own genes and genes with zero variance.
    """
    k = weights.shape[1]
    bins = expression_bins(stats.mean, n_bins)
    usable = stats.std > 0
    ctrl = np.zeros_like(weights)
    for j in range(k):
        in_set = weights[:, j] != 0
        pool_mask = usable & ~in_set
        for g in np.flatnonzero(in_set):
            pool = np.flatnonzero(pool_mask & (bins == bins[g]))
            if pool.size == 0:
                continue
            pick = rng.choice(pool, size=min(ctrl_size, pool.size), replace=False)
            ctrl[pick, j] += weights[g, j] / pick.size
    return ctrl


def _sparse_matmul(x: Matrix, v: FloatArray, *, chunk_nnz: int = CHUNK_NNZ) -> FloatArray:
    """X @ v in float64, by row chunks so scipy's upcast copy of X stays chunk-sized."""
    if not sp.issparse(x):
        return np.asarray(x, dtype=np.float64) @ v
    v64 = np.ascontiguousarray(v, dtype=np.float64)
    out = np.empty((x.shape[0], v.shape[1]))
    for lo, hi in _row_chunks(x, chunk_nnz):
        a, b = x.indptr[lo], x.indptr[hi]
        part = sp.csr_matrix(
            (x.data[a:b], x.indices[a:b], x.indptr[lo : hi + 1] - a), shape=(hi - lo, x.shape[1])
        )
        out[lo:hi] = np.asarray(part @ v64)
    return out


def mean_z(
    x: Matrix,
    weights: FloatArray,
    *,
    stats: GeneStats | None = None,
    controls: FloatArray | None = None,
) -> FloatArray:
    """Weighted mean of per-gene z-scores minus the same for matched control genes.

    score_c = sum_g (w_g - ctrl_g) * z_cg / sum_g |w_g|, z_cg = (x_cg - mean_g) / std_g.
    Computed as one sparse product X @ V minus a constant, so sparse input is never densified.
    Genes with zero variance contribute nothing.
    """
    st = stats if stats is not None else gene_stats(x)
    ctrl = np.zeros_like(weights) if controls is None else controls
    denom = np.abs(weights).sum(axis=0)
    denom[denom == 0] = 1.0
    inv_sd = np.divide(1.0, st.std, out=np.zeros_like(st.std), where=st.std > 0)
    v = (weights - ctrl) * inv_sd[:, None] / denom[None, :]
    offset = st.mean @ v
    return _sparse_matmul(x, v) - offset[None, :]


def _row_sums(x: Matrix, *, squared: bool, chunk_nnz: int = CHUNK_NNZ) -> FloatArray:
    if not sp.issparse(x):
        arr = np.asarray(x, dtype=np.float64)
        return (arr * arr).sum(axis=1) if squared else arr.sum(axis=1)
    out = np.empty(x.shape[0])
    for lo, hi in _row_chunks(x, chunk_nnz):
        a, b = x.indptr[lo], x.indptr[hi]
        d = x.data[a:b].astype(np.float64)
        if squared:
            d = d * d
        cs = np.concatenate(([0.0], np.cumsum(d)))
        ptr = x.indptr[lo : hi + 1] - a
        out[lo:hi] = cs[ptr[1:]] - cs[ptr[:-1]]
    return out


def ulm(x: Matrix, weights: FloatArray) -> FloatArray:
    """Univariate linear model t-value per observation (decoupler's ULM).

    For each observation, regress its expression over all genes on the set's weight vector
    (0 for genes outside the set) and report the t-value of the slope, df = n_genes - 2.
    """
    n = x.shape[1]
    if n < 3:
        raise ValidationError(f"ULM needs at least 3 genes, got {n}")
    sx = _row_sums(x, squared=False)
    sxx = _row_sums(x, squared=True)
    sxw = _sparse_matmul(x, weights)
    sw = weights.sum(axis=0)
    sww = (weights * weights).sum(axis=0)
    cov = n * sxw - sx[:, None] * sw[None, :]
    var_x = np.maximum(n * sxx - sx * sx, 0.0)
    var_w = np.maximum(n * sww - sw * sw, 0.0)
    den = np.sqrt(var_x[:, None] * var_w[None, :])
    r = np.divide(cov, den, out=np.zeros_like(cov), where=den > 0)
    r = np.clip(r, -1.0, 1.0)
    df = n - 2
    with np.errstate(divide="ignore"):
        t = r * np.sqrt(df / np.maximum((1.0 - r) * (1.0 + r), 1e-300))
    return t


def _sortable_bits(values: NDArray[np.floating]) -> NDArray[np.int64]:
    """Map float32 values to int64 keys with the same order (IEEE-754 bit trick)."""
    b = np.ascontiguousarray(values, dtype=np.float32).view(np.int32).astype(np.int64)
    return np.where(b < 0, -(b & 0x7FFFFFFF) - 1, b) + (1 << 31)


def _descending_ranks(
    x: Matrix, lo: int, hi: int, n_genes: int, wanted: NDArray[np.bool_]
) -> tuple[NDArray[np.int64], NDArray[np.int64], FloatArray, FloatArray]:
    """Average descending ranks (1 = highest) of the wanted explicit entries and of zero per row.

    Ranks count implicit zeros: a row with ``nnz`` stored values has ``n_genes - nnz`` zeros.
    Returns (row index, gene index, rank) of wanted entries and the zero rank of every row.
    """
    a, b = x.indptr[lo], x.indptr[hi]
    ptr = x.indptr[lo : hi + 1] - a
    nnz_row = np.diff(ptr)
    rows = np.repeat(np.arange(hi - lo), nnz_row)
    data = x.data[a:b]
    idx = x.indices[a:b]
    keys = (rows.astype(np.int64) << 33) | _sortable_bits(data)
    skeys = np.sort(keys)
    n_zero = n_genes - nnz_row
    # rank of value 0 in each row
    zkey = (np.arange(hi - lo, dtype=np.int64) << 33) | _sortable_bits(np.zeros(1))[0]
    z_lt = np.searchsorted(skeys, zkey, side="left") - ptr[:-1]
    z_le = np.searchsorted(skeys, zkey, side="right") - ptr[:-1]
    zero_rank = 1.0 + (nnz_row - z_le) + (n_zero + (z_le - z_lt) - 1) / 2.0
    sel = wanted[idx]
    q = keys[sel]
    qrow = rows[sel]
    qval = data[sel]
    lt = np.searchsorted(skeys, q, side="left") - ptr[:-1][qrow]
    le = np.searchsorted(skeys, q, side="right") - ptr[:-1][qrow]
    greater = (nnz_row[qrow] - le) + np.where(qval < 0, n_zero[qrow], 0)
    equal = (le - lt) + np.where(qval == 0, n_zero[qrow], 0)
    rank = 1.0 + greater + (equal - 1) / 2.0
    return qrow, idx[sel], rank, zero_rank


def rank_score(x: Matrix, weights: FloatArray, *, max_rank: int = 1500) -> FloatArray:
    """UCell-like rank score, signed: U(up genes) - U(down genes).

    Genes are ranked per observation by decreasing expression (average ranks for ties, implicit
    zeros included); ranks above ``max_rank`` count as ``max_rank + 1``. For a set of n genes
    U = 1 - (sum of ranks - n(n+1)/2) / (n * max_rank) (Andreatta & Carmona 2021). Only the sign
    of a weight is used; a set without down genes scores U(up).
    """
    if max_rank < 1:
        raise ValidationError(f"max_rank must be >= 1, got {max_rank}")
    n_obs, n_genes = x.shape
    up = (weights > 0).astype(np.float64)
    dn = (weights < 0).astype(np.float64)
    n_up, n_dn = up.sum(axis=0), dn.sum(axis=0)
    cap = float(max_rank + 1)
    sum_up = np.zeros((n_obs, weights.shape[1]))
    sum_dn = np.zeros_like(sum_up)
    xs = x if sp.issparse(x) else sp.csr_matrix(np.asarray(x))
    xs = sp.csr_matrix(xs)
    if not xs.has_sorted_indices:
        xs = xs.sorted_indices()
    wanted = (weights != 0).any(axis=1)
    for lo, hi in _row_chunks(xs, CHUNK_NNZ // 2):
        qrow, qgene, rank, zero_rank = _descending_ranks(xs, lo, hi, n_genes, wanted)
        zcap = np.minimum(zero_rank, cap)
        delta = np.minimum(rank, cap) - zcap[qrow]
        d = sp.csr_matrix((delta, (qrow, qgene)), shape=(hi - lo, n_genes))
        sum_up[lo:hi] = zcap[:, None] * n_up[None, :] + np.asarray(d @ up)
        sum_dn[lo:hi] = zcap[:, None] * n_dn[None, :] + np.asarray(d @ dn)

    def _u(s: FloatArray, n: FloatArray) -> FloatArray:
        nn = np.where(n > 0, n, 1.0)
        u = 1.0 - (s - nn * (nn + 1) / 2.0) / (nn * max_rank)
        return np.where(n > 0, u, 0.0)

    return _u(sum_up, n_up) - _u(sum_dn, n_dn)
