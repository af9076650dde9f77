"""Tissue- / cell-type-specific SASP markers: each group against the rest, per SASP factor.

Effect sizes: difference of means (on the log-normalised scale), AUROC (= U / (n1 n2), 0.5 =
no difference) and detection fractions; two-sided Mann-Whitney U p-values (normal approximation
with tie correction) and BH FDR within each group.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.stats import mannwhitneyu

from senotwin._errors import ValidationError, check_type
from senotwin.sc.kernels import GENES, GROUPS, LABELS, Matrix, check_matrix
from senotwin.sc.scoring import symbol_index, warn_case_matched
from senotwin.sc.signatures import Signature, get_signature
from senotwin.sc.stats import bh_fdr, group_codes

__all__ = ["sasp_markers"]


def sasp_markers(
    x: Matrix,
    genes: Sequence[str],
    groups: Sequence[object],
    *,
    signature: str | Signature = "sasp",
    min_cells: int = 3,
) -> pd.DataFrame:
    """Rank the signature genes per group vs the rest: effect sizes, p, q and rank per group."""
    check_type(genes, LABELS, name="genes", what=GENES)
    check_type(groups, LABELS, name="groups", what=GROUPS)
    what = "a signature name such as 'sasp' (str) or a Signature"
    check_type(signature, (str, Signature), name="signature", what=what)
    check_type(min_cells, Integral, name="min_cells", what="a whole number >= 1")
    sig = get_signature(signature) if isinstance(signature, str) else signature
    check_matrix(x)
    if len(groups) != x.shape[0]:
        raise ValidationError(f"groupby has {len(groups)} labels for {x.shape[0]} observations")
    names, codes = group_codes(groups)
    counts = np.bincount(codes, minlength=len(names))
    small = [n for n, c in zip(names, counts, strict=True) if c < min_cells]
    if small:
        raise ValidationError(f"groups with fewer than {min_cells} observations: {small}")
    index = symbol_index(genes)  # lower-case names match as in `senotwin score`
    present = [g for g in sig.genes if g in index]
    warn_case_matched(present, genes, index)
    if not present:
        raise ValidationError(f"none of the {len(sig.genes)} genes of {sig.name!r} is in the data")
    cols = [index[g] for g in present]
    sub = x[:, cols]
    dense = sub.toarray() if sp.issparse(sub) else np.asarray(sub, dtype=np.float64)
    rows = []
    for c, name in enumerate(names):
        m = codes == c
        a, b = dense[m], dense[~m]
        res = mannwhitneyu(a, b, alternative="two-sided", method="asymptotic", axis=0)
        u = np.asarray(res.statistic, dtype=np.float64)
        p = np.asarray(res.pvalue, dtype=np.float64)
        p = np.where(np.isfinite(p), p, 1.0)  # constant gene in both groups
        q = bh_fdr(p)
        for j, g in enumerate(present):
            rows.append(
                {
                    "group": name,
                    "gene": g,
                    "mean_in": float(a[:, j].mean()),
                    "mean_rest": float(b[:, j].mean()),
                    "mean_diff": float(a[:, j].mean() - b[:, j].mean()),
                    "auroc": float(u[j] / (len(a) * len(b))),
                    "pct_in": float((a[:, j] > 0).mean()),
                    "pct_rest": float((b[:, j] > 0).mean()),
                    "p": float(p[j]),
                    "q": float(q[j]),
                }
            )
    out = pd.DataFrame(rows)
    out = out.sort_values(["group", "q", "auroc"], ascending=[True, True, False])
    out["rank"] = out.groupby("group").cumcount() + 1
    return out.reset_index(drop=True)
