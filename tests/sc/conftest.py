"""Shared fixtures: a simulated single-cell dataset with a planted senescent population."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import scipy.sparse as sp

from senotwin.sc.calls import HALLMARKS
from senotwin.sc.signatures import get_signature


@dataclass(frozen=True)
class Planted:
    x: sp.csr_matrix
    genes: list[str]
    cell_type: np.ndarray
    senescent: np.ndarray


def make_planted(seed: int = 7, n_per_type: int = 300, n_other: int = 400) -> Planted:
    """Poisson counts, 3 cell types, 10% senescent per type with modest shifts in every hallmark.

    Each marker shifts by a small factor (x2.5 up / x0.4 down) so no single gene separates the
    populations; the hallmarks together do.
    """
    rng = np.random.default_rng(seed)
    hallmark_genes: dict[str, float] = {}
    for h in HALLMARKS:
        s = get_signature(h)
        for g, w in zip(s.genes, s.weights, strict=True):
            hallmark_genes.setdefault(g, w)
    genes = list(hallmark_genes) + [f"BG{i}" for i in range(n_other)]
    n_types = 3
    n = n_types * n_per_type
    base = rng.gamma(2.0, 0.6, size=len(genes))
    type_effect = rng.lognormal(0.0, 0.5, size=(n_types, len(genes)))
    cell_type = np.repeat(np.arange(n_types), n_per_type)
    senescent = rng.random(n) < 0.10
    rate = base[None, :] * type_effect[cell_type]
    fold = np.ones(len(genes))
    for i, g in enumerate(genes[: len(hallmark_genes)]):
        fold[i] = 2.5 if hallmark_genes[g] > 0 else 0.4
    rate[senescent] *= fold[None, :]
    depth = rng.lognormal(0.0, 0.3, size=n)[:, None]
    counts = rng.poisson(rate * depth).astype(np.float32)
    lib = counts.sum(axis=1, keepdims=True)
    norm = np.log1p(counts / lib * 1e3).astype(np.float32)
    return Planted(
        x=sp.csr_matrix(norm),
        genes=genes,
        cell_type=np.array([f"type{t}" for t in cell_type]),
        senescent=senescent,
    )


@pytest.fixture(scope="session")
def planted() -> Planted:
    return make_planted()
