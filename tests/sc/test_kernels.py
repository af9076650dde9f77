"""Each scoring kernel against a naive dense reference implementation."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import stats

from senotwin.sc.kernels import gene_stats, matched_controls, mean_z, rank_score, ulm


def _data(seed: int = 1, n: int = 40, g: int = 60):
    rng = np.random.default_rng(seed)
    dense = rng.poisson(0.7, size=(n, g)).astype(np.float32)
    dense[:, 5] = np.round(dense[:, 5])  # ties
    dense = np.log1p(dense).astype(np.float32)
    w = np.zeros((g, 3))
    w[[0, 1, 2, 3], 0] = 1.0
    w[[4, 5, 6], 1] = [1.0, -1.0, 2.0]
    w[[7, 8, 9, 10, 11], 2] = -1.0
    return dense, sp.csr_matrix(dense), w


def test_gene_stats_matches_numpy() -> None:
    dense, csr, _ = _data()
    st = gene_stats(csr, chunk_nnz=37)
    np.testing.assert_allclose(st.mean, dense.mean(0), rtol=1e-6)
    np.testing.assert_allclose(st.std, dense.std(0), rtol=1e-5)


def test_mean_z_matches_naive() -> None:
    dense, csr, w = _data()
    st = gene_stats(csr)
    ctrl = matched_controls(w, st, ctrl_size=5, n_bins=4, rng=np.random.default_rng(0))
    got = mean_z(csr, w, stats=st, controls=ctrl)
    d64 = dense.astype(np.float64)
    z = (d64 - d64.mean(0)) / np.where(d64.std(0) > 0, d64.std(0), np.inf)
    for j in range(w.shape[1]):
        expect = np.zeros(dense.shape[0])
        for g in range(dense.shape[1]):
            expect += (w[g, j] - ctrl[g, j]) * z[:, g]
        expect /= np.abs(w[:, j]).sum()
        np.testing.assert_allclose(got[:, j], expect, atol=1e-9)
    np.testing.assert_allclose(mean_z(dense, w, stats=st, controls=ctrl), got, atol=1e-9)


def test_controls_are_matched_and_signed() -> None:
    _, csr, w = _data()
    st = gene_stats(csr)
    ctrl = matched_controls(w, st, ctrl_size=3, n_bins=3, rng=np.random.default_rng(2))
    np.testing.assert_allclose(ctrl.sum(0), w.sum(0))  # each gene lends its full weight
    assert np.all(ctrl[w[:, 0] != 0, 0] == 0)  # never the set's own genes


def test_ulm_matches_linregress() -> None:
    dense, csr, w = _data()
    got = ulm(csr, w)
    for c in range(dense.shape[0]):
        for j in range(w.shape[1]):
            res = stats.linregress(w[:, j], dense[c].astype(float))
            assert got[c, j] == pytest.approx(res.slope / res.stderr, rel=1e-6, abs=1e-9)


def _naive_u(row: np.ndarray, genes: np.ndarray, max_rank: int) -> float:
    ranks = stats.rankdata(-row.astype(float), method="average")
    r = np.minimum(ranks[genes], max_rank + 1)
    n = len(genes)
    return 1.0 - (r.sum() - n * (n + 1) / 2) / (n * max_rank)


@pytest.mark.parametrize("max_rank", [10, 25, 100])
def test_rank_matches_naive(max_rank: int) -> None:
    dense, csr, w = _data()
    dense[3, :7] = -0.5  # negative values and explicit zeros
    dense[4, 2] = 1.0
    csr = sp.csr_matrix(dense)
    csr.data[csr.indptr[4] : csr.indptr[5]][csr.indices[csr.indptr[4] : csr.indptr[5]] == 2] = 0.0
    dense[4, 2] = 0.0  # now an explicitly stored zero in the CSR
    assert csr.nnz == np.count_nonzero(dense) + 1
    got = rank_score(csr, w, max_rank=max_rank)
    for c in range(dense.shape[0]):
        for j in range(w.shape[1]):
            up = np.flatnonzero(w[:, j] > 0)
            dn = np.flatnonzero(w[:, j] < 0)
            e = (_naive_u(dense[c], up, max_rank) if up.size else 0.0) - (
                _naive_u(dense[c], dn, max_rank) if dn.size else 0.0
            )
            assert got[c, j] == pytest.approx(e, abs=1e-12)


def test_chunked_sparse_product_matches_dense() -> None:
    from senotwin.sc.kernels import _sparse_matmul

    dense, csr, w = _data()
    np.testing.assert_allclose(
        _sparse_matmul(csr, w, chunk_nnz=7), dense.astype(np.float64) @ w, atol=1e-9
    )
