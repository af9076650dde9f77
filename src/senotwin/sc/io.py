"""Read expression input (.h5ad, CSV/TSV) and prepare it for scoring, saying what was done.

CSV/TSV orientation (genes × samples or samples × genes) is detected by overlap of the row and
column labels with known gene symbols (all built-in signature genes and ortholog-table symbols).
Integer-valued data are treated as counts: normalised to 10,000 per observation and log1p'd.
Non-integer data with a maximum above 50 look linear-scale (e.g. TPM) and are log1p'd.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from senotwin._errors import ValidationError
from senotwin.sc.signatures import builtin_signatures

__all__ = ["Expression", "prepare", "read_expression"]


@dataclass(frozen=True)
class Expression:
    """Observations × genes matrix with names, observation annotations and what was done to it."""

    x: Any
    genes: list[str]
    obs_names: list[str]
    obs: pd.DataFrame
    messages: tuple[str, ...] = field(default_factory=tuple)


@lru_cache(maxsize=1)
def _known_symbols() -> frozenset[str]:
    syms: set[str] = set()
    for s in builtin_signatures().values():
        syms.update(g.upper() for g in s.genes)
    path = Path(str(resources.files("senotwin.sc") / "data" / "orthologs_human_mouse.tsv.gz"))
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        tab = pd.read_csv(fh, sep="\t", usecols=["human", "mouse"], dtype=str)
    syms.update(tab["human"].str.upper())
    syms.update(tab["mouse"].str.upper())
    return frozenset(syms)


def read_expression(path: str | Path, *, layer: str | None = None) -> Expression:
    """Load .h5ad (X or a layer, kept sparse) or a CSV/TSV table, detecting the orientation."""
    p = Path(path)
    if not p.is_file():
        raise ValidationError(f"input file {str(p)!r} does not exist")
    name = p.name.lower()
    if name.endswith(".h5ad"):
        import anndata as ad

        a = ad.read_h5ad(p)
        if layer is not None and layer not in a.layers:
            raise ValidationError(f"layer {layer!r} not in {p.name}; have {list(a.layers.keys())}")
        x = a.layers[layer] if layer else a.X
        x = sp.csr_matrix(x) if sp.issparse(x) else np.asarray(x)
        return Expression(
            x=x,
            genes=list(map(str, a.var_names)),
            obs_names=list(map(str, a.obs_names)),
            obs=a.obs.copy(),
            messages=(f"read {p.name}: {a.n_obs} observations × {a.n_vars} genes (AnnData)",),
        )
    if layer is not None:
        raise ValidationError("--layer applies to .h5ad input only")
    sep = "," if ".csv" in name else "\t"
    df = pd.read_csv(p, sep=sep, index_col=0)
    if df.empty:
        raise ValidationError(f"{p.name}: no data")
    known = _known_symbols()
    row_hits = sum(str(v).upper() in known for v in df.index)
    col_hits = sum(str(v).upper() in known for v in df.columns)
    if max(row_hits, col_hits) == 0:
        raise ValidationError(
            f"{p.name}: neither rows nor columns look like gene symbols; use HGNC or MGI symbols"
        )
    if row_hits >= col_hits:
        df = df.T
        msg = f"detected genes × samples ({row_hits} of {df.shape[1]} row labels are gene symbols)"
    else:
        msg = (
            f"detected samples × genes ({col_hits} of {df.shape[1]} column labels are gene symbols)"
        )
    nonnum = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
    if nonnum:
        raise ValidationError(f"{p.name}: non-numeric values for genes {nonnum[:5]}")
    return Expression(
        x=df.to_numpy(dtype=np.float64),
        genes=list(map(str, df.columns)),
        obs_names=list(map(str, df.index)),
        obs=pd.DataFrame(index=df.index.astype(str)),
        messages=(f"read {p.name}: {df.shape[0]} observations × {df.shape[1]} genes; {msg}",),
    )


def prepare(expr: Expression, *, normalise: bool = True) -> Expression:
    """Reject NaNs; if ``normalise``, turn counts or linear-scale data into log1p scale."""
    x = expr.x
    vals = np.asarray(x.data if sp.issparse(x) else x)
    n_bad = int((~np.isfinite(vals)).sum())
    if n_bad:
        raise ValidationError(f"the expression matrix has {n_bad} NaN/infinite values")
    if not normalise or vals.size == 0:
        return expr
    msgs = list(expr.messages)
    if vals.min() < 0:
        msgs.append("values include negatives: treated as already transformed, left as is")
        return Expression(expr.x, expr.genes, expr.obs_names, expr.obs, tuple(msgs))
    is_int = bool(np.all(vals == np.round(vals)))
    if is_int and vals.max() > 1:
        x = sp.csr_matrix(x, dtype=np.float32, copy=True) if sp.issparse(x) else x.astype(float)
        lib = np.asarray(x.sum(axis=1)).ravel()
        lib[lib == 0] = 1.0
        if sp.issparse(x):
            x.data = np.log1p(x.data / np.repeat(lib, np.diff(x.indptr)) * 1e4).astype(np.float32)
        else:
            x = np.log1p(x / lib[:, None] * 1e4)
        msgs.append("integer counts detected: normalised to 10,000 per observation and log1p'd")
    elif vals.max() > 50:
        x = x.copy()
        if sp.issparse(x):
            x.data = np.log1p(x.data)
        else:
            x = np.log1p(x)
        msgs.append("non-integer values up to >50 look linear-scale: log1p applied")
    else:
        msgs.append("values look log-normalised: used as is")
    return Expression(x, expr.genes, expr.obs_names, expr.obs, tuple(msgs))
