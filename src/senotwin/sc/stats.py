"""Small statistics helpers shared by calls, markers and communication."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.stats import false_discovery_control

from senotwin._errors import ValidationError

__all__ = ["bh_fdr", "group_codes", "group_means"]


def bh_fdr(p: NDArray[np.float64]) -> NDArray[np.float64]:
    """Benjamini-Hochberg q-values, same order as ``p`` (SciPy's false_discovery_control).

    NaN p-values stay NaN and do not count as tests (as R's ``p.adjust`` treats NA).
    """
    p = np.asarray(p, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = false_discovery_control(np.clip(p[ok], 0.0, 1.0), method="bh")
    return out


def group_codes(
    labels: Sequence[object], *, what: str = "groupby"
) -> tuple[list[str], NDArray[np.int64]]:
    """Integer codes of group labels; errors on missing labels or fewer than two groups."""
    arr = np.asarray([None if v is None else str(v) for v in labels], dtype=object)
    missing = np.array([v is None or v == "nan" for v in arr])
    if missing.any():
        raise ValidationError(f"{what}: {int(missing.sum())} observations have no group label")
    names, codes = np.unique(arr.astype(str), return_inverse=True)
    if len(names) < 2:
        raise ValidationError(f"{what}: need at least two groups, found {[str(n) for n in names]}")
    return [str(n) for n in names], codes.astype(np.int64)


def group_means(x: object, codes: NDArray[np.int64], n_groups: int) -> NDArray[np.float64]:
    """Mean of each column within each group (groups × columns) via one sparse product."""
    n = len(codes)
    ind = sp.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(n_groups, n))
    counts = np.asarray(ind.sum(axis=1)).ravel()
    if (counts == 0).any():
        raise ValidationError(f"empty group(s) at index {np.flatnonzero(counts == 0).tolist()}")
    sums = ind @ x
    sums = sums.toarray() if sp.issparse(sums) else np.asarray(sums)
    return np.asarray(sums, dtype=np.float64) / counts[:, None]
