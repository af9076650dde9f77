"""Read expression input (.h5ad, CSV/TSV) and prepare it for scoring, saying what was done.

CSV/TSV orientation (genes × samples or samples × genes) is detected by overlap of the row and
column labels with known gene symbols (all built-in signature genes and ortholog-table symbols).
Integer-valued data are treated as counts: normalised to 10,000 per observation and log1p'd.
Non-integer data with a maximum above 50 look linear-scale (e.g. TPM) and are log1p'd.
An .h5ad's var_names must be gene symbols, or a ``var`` column named with ``gene_symbols`` (one
conventional column is found alone); sample/cell annotations can be joined from a table.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import re
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from senotwin._errors import ValidationError
from senotwin._io import (
    check_input_file,
    check_unique,
    decode_text,
    describe_content,
    gunzip,
    parse_table,
    read_table,
)
from senotwin.sc.signatures import builtin_signatures

__all__ = [
    "EXPRESSION_SUFFIXES",
    "Expression",
    "prepare",
    "read_expression",
    "read_expression_bytes",
    "with_annotations",
]


@dataclass(frozen=True)
class Expression:
    """Observations × genes matrix with names, observation annotations and what was done to it."""

    x: Any
    genes: list[str]
    obs_names: list[str]
    obs: pd.DataFrame
    messages: tuple[str, ...] = field(default_factory=tuple)
    source: str = ""  # the file it was read from, for messages


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


#: expression file types: AnnData, or a comma/tab-separated table (optionally gzip'd)
EXPRESSION_SUFFIXES: tuple[str, ...] = (
    ".h5ad",
    *(f"{t}{z}" for z in ("", ".gz") for t in (".csv", ".tsv", ".txt", ".tab")),
)
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def read_expression(
    path: str | Path, *, layer: str | None = None, gene_symbols: str | None = None
) -> Expression:
    """Load .h5ad (X or a layer, kept sparse) or a CSV/TSV table, detecting the orientation.

    ``gene_symbols`` names the .h5ad ``var`` column holding gene symbols (when var_names are
    e.g. Ensembl ids). Refuses, naming the file: an unknown file type, a file that is not what
    its name says, an empty table, repeated sample or gene names, genes that are not symbols,
    non-numeric and missing/infinite values.
    """
    p = check_input_file(path, what="expression file")
    name = p.name.lower()
    if not name.endswith(EXPRESSION_SUFFIXES):
        raise ValidationError(
            f"expression file {str(p)!r}: file type not recognised; use .h5ad (AnnData) or a "
            "table named .csv, .tsv or .txt (optionally .gz)"
        )
    if name.endswith(".h5ad"):
        return _read_h5ad(p, layer, gene_symbols)
    _h5ad_only(layer, gene_symbols)
    df = read_table(p, what="expression file", index_col=0)
    return expression_from_frame(df, p)


def _h5ad_only(layer: str | None, gene_symbols: str | None) -> None:
    """Options that only an AnnData file has, refused for a table."""
    if layer is not None:
        raise ValidationError("--layer applies to .h5ad input only")
    if gene_symbols is not None:
        raise ValidationError(
            "--gene-symbols applies to .h5ad input only (a table's gene labels are its symbols)"
        )


def read_expression_bytes(
    data: bytes,
    name: str,
    *,
    limit: int = 200_000_000,
    layer: str | None = None,
    gene_symbols: str | None = None,
) -> Expression:
    """:func:`read_expression` on bytes held in memory (an upload called ``name``).

    Nothing touches the disk; the type comes from the name (same suffixes), a ``.gz`` table is
    unpacked up to ``limit`` bytes, and the same checks and messages apply.
    """
    lower = name.lower()
    if not lower.endswith(EXPRESSION_SUFFIXES):
        raise ValidationError(
            f"expression file {name!r}: file type not recognised; use .h5ad (AnnData) or a "
            "table named .csv, .tsv or .txt (optionally .gz)"
        )
    if lower.endswith(".h5ad"):
        if not data.startswith(_HDF5_MAGIC):
            raise ValidationError(
                f"expression file {name!r} is not an AnnData .h5ad file: it looks like "
                f"{describe_content(data[:64])}, not HDF5; a table should be named .csv or .tsv"
            )
        return expression_from_anndata(
            _load_anndata(io.BytesIO(data), name), name, layer, gene_symbols=gene_symbols
        )
    _h5ad_only(layer, gene_symbols)
    if lower.endswith(".gz"):
        data = gunzip(data, name, what="expression file", limit=limit)
    text = decode_text(
        data, name, what="expression file", expected="a comma- or tab-separated text table"
    )
    return expression_from_frame(parse_table(text, name, what="expression file", index_col=0), name)


def expression_from_frame(df: pd.DataFrame, source: str | Path) -> Expression:
    """A labelled table (genes × samples or samples × genes) as an Expression, checked."""
    p = Path(str(source))
    if df.empty or df.shape[1] == 0:
        raise ValidationError(
            f"expression file {str(p)!r} has no data ({df.shape[0]} rows, {df.shape[1]} value "
            "columns); expected genes × samples or samples × genes with labels in the first "
            "row and column"
        )
    known = _known_symbols()
    row_hits = sum(str(v).upper() in known for v in df.index)
    col_hits = sum(str(v).upper() in known for v in df.columns)
    if max(row_hits, col_hits) == 0:
        raise ValidationError(
            f"expression file {str(p)!r}: neither rows nor columns look like gene symbols "
            f"(first row labels: {[str(v) for v in df.index[:3]]}, first column labels: "
            f"{[str(v) for v in df.columns[:3]]}); use HGNC or MGI symbols"
        )
    if row_hits >= col_hits:
        df = df.T
        msg = f"detected genes × samples ({row_hits} of {df.shape[1]} row labels are gene symbols)"
    else:
        msg = (
            f"detected samples × genes ({col_hits} of {df.shape[1]} column labels are gene symbols)"
        )
    check_unique(list(df.index), what=f"sample names in {p}")
    check_unique(list(df.columns), what=f"gene names in {p}")
    df = _numeric_columns(df, p)
    x = df.to_numpy(dtype=np.float64)
    _refuse_nonfinite(x, list(map(str, df.index)), list(map(str, df.columns)), p)
    return Expression(
        x=x,
        genes=list(map(str, df.columns)),
        obs_names=list(map(str, df.index)),
        obs=pd.DataFrame(index=df.index.astype(str)),
        messages=(f"read {p.name}: {df.shape[0]} observations × {df.shape[1]} genes; {msg}",),
        source=str(p),
    )


def _read_h5ad(p: Path, layer: str | None, gene_symbols: str | None) -> Expression:
    """An AnnData file; says what the file is when it is not one."""
    with open(p, "rb") as fh:
        head = fh.read(64)
    if not head.startswith(_HDF5_MAGIC):
        raise ValidationError(
            f"expression file {str(p)!r} is not an AnnData .h5ad file: it looks like "
            f"{describe_content(head)}, not HDF5; a table should be named .csv or .tsv"
        )
    return expression_from_anndata(_load_anndata(p, str(p)), p, layer, gene_symbols=gene_symbols)


def _load_anndata(source: Path | io.BytesIO, name: str) -> Any:
    """Read an HDF5 file or buffer as AnnData, or say why it is not one."""
    import anndata as ad

    try:
        with warnings.catch_warnings():
            # repeated names are refused below with the names; anndata's warning says less
            warnings.filterwarnings("ignore", message=".*names are not unique.*")
            return ad.read_h5ad(source)
    except Exception as exc:  # h5py/anndata raise many types for a damaged or foreign HDF5 file
        raise ValidationError(
            f"expression file {name!r} is HDF5 but cannot be read as AnnData "
            f"({type(exc).__name__}: {exc}); expected an .h5ad written by anndata/scanpy"
        ) from None


def expression_from_anndata(
    a: Any, source: str | Path, layer: str | None, *, gene_symbols: str | None = None
) -> Expression:
    """An AnnData object (X or a layer, kept sparse) as an Expression, checked; the genes are
    its var_names, or the symbols of ``var[gene_symbols]`` (see :func:`_gene_names`)."""
    p = Path(str(source))
    if layer is not None and layer not in a.layers:
        have = ", ".join(map(str, a.layers.keys())) or "none (leave --layer out to read X)"
        raise ValidationError(f"layer {layer!r} (--layer) is not in {p.name}; its layers: {have}")
    if a.n_obs == 0 or a.n_vars == 0:
        raise ValidationError(
            f"expression file {str(p)!r} has no data ({a.n_obs} observations × {a.n_vars} genes)"
        )
    check_unique(list(map(str, a.obs_names)), what=f"observation names in {p}")
    check_unique(list(map(str, a.var_names)), what=f"gene names (var_names) in {p}")
    x = a.layers[layer] if layer else a.X
    x = sp.csr_matrix(x) if sp.issparse(x) else np.asarray(x)
    if not np.issubdtype(x.dtype, np.number):
        raise ValidationError(f"expression file {str(p)!r}: values are {x.dtype}, not numbers")
    genes, notes = _gene_names(a, p, gene_symbols)
    _refuse_nonfinite(x, list(map(str, a.obs_names)), genes, p)
    return Expression(
        x=x,
        genes=genes,
        obs_names=list(map(str, a.obs_names)),
        obs=a.obs.copy(),
        messages=(f"read {p.name}: {a.n_obs} observations × {a.n_vars} genes (AnnData)", *notes),
        source=str(p),
    )


#: var columns that conventionally hold gene symbols (scanpy, cellxgene, 10x, Seurat exports)
SYMBOL_COLUMNS: tuple[str, ...] = (
    "gene_symbols",
    "gene_symbol",
    "feature_name",
    "gene_name",
    "gene_names",
    "symbol",
    "symbols",
    "gene",
)
_ENSEMBL = re.compile(r"^ENS[A-Z]*G\d{6,}(\.\d+)?$")


def _symbol_hits(labels: Any) -> int:
    """How many labels are known gene symbols (case ignored)."""
    known = _known_symbols()
    return sum(str(v).upper() in known for v in labels)


def _first(labels: Any, n: int = 3) -> list[str]:
    return [str(v) for v in list(labels)[:n]]


def _gene_names(a: Any, p: Path, column: str | None) -> tuple[list[str], list[str]]:
    """Gene names of an AnnData and what was done to get them.

    var_names that hold no known symbol are refused with what they look like (Ensembl ids, or
    gene symbols in obs_names: a genes × cells file) unless one ``var`` column of a
    conventional name (:data:`SYMBOL_COLUMNS`) is the only one holding symbols, which is then
    used and said; ``column`` names the var column to use.
    """
    var_names = list(map(str, a.var_names))
    if column is not None:
        return _symbols_from(a, p, column)
    if _symbol_hits(var_names):
        return var_names, []
    candidates = {
        str(c): hits
        for c in a.var.columns
        if not pd.api.types.is_numeric_dtype(a.var[c]) and (hits := _symbol_hits(a.var[c]))
    }
    if len(candidates) == 1 and next(iter(candidates)).lower() in SYMBOL_COLUMNS:
        return _symbols_from(a, p, next(iter(candidates)), why="var_names are not gene symbols; ")
    looks = (
        "look like Ensembl gene ids"
        if sum(bool(_ENSEMBL.match(v)) for v in var_names) > len(var_names) / 2
        else "do not look like gene symbols"
    )
    head = (
        f"expression file {str(p)!r}: var_names {looks} (first: {_first(var_names)}); the "
        "genes must be HGNC or MGI symbols"
    )
    if candidates:
        listed = ", ".join(f"{c!r} ({n} symbols)" for c, n in candidates.items())
        raise ValidationError(
            f"{head}. The var column(s) {listed} hold gene symbols: name one with "
            "--gene-symbols COLUMN"
        )
    obs_hits = _symbol_hits(list(map(str, a.obs_names)))
    if obs_hits:
        raise ValidationError(
            f"{head}. The obs_names look like gene symbols ({obs_hits} of {a.n_obs}, first: "
            f"{_first(a.obs_names)}): the file looks genes × cells, and AnnData keeps cells × "
            "genes; transpose it (in Python: adata.T.write_h5ad(...))"
        )
    columns = [str(c) for c in a.var.columns]
    raise ValidationError(
        f"{head}, and no var column holds any (var columns: {columns}); map the ids to symbols "
        "first"
    )


def _symbols_from(a: Any, p: Path, column: str, why: str = "") -> tuple[list[str], list[str]]:
    """Gene names from ``var[column]``: a gene with no symbol, and every repeat of a symbol
    after its first, keeps its var_name (so names stay unique and no values are merged)."""
    if column not in a.var.columns:
        raise ValidationError(
            f"--gene-symbols {column!r} is not a var column of {p.name}; var columns: "
            f"{[str(c) for c in a.var.columns]}"
        )
    var_names = list(map(str, a.var_names))
    values = a.var[column]
    if not _symbol_hits(values.dropna()):
        raise ValidationError(
            f"--gene-symbols {column!r}: var[{column!r}] of {p.name} holds no gene symbols "
            f"(first values: {_first(values)}); name the column of HGNC or MGI symbols"
        )
    genes: list[str] = []
    seen: set[str] = set()
    n_missing = n_repeat = 0
    for name, value in zip(var_names, values, strict=True):
        symbol = "" if pd.isna(value) else str(value).strip()
        if not symbol:
            n_missing += 1
            genes.append(name)
        elif symbol in seen:
            n_repeat += 1
            genes.append(name)
        else:
            seen.add(symbol)
            genes.append(symbol)
    check_unique(genes, what=f"gene names (var_names, with symbols from var[{column!r}]) in {p}")
    notes = []
    if n_missing or n_repeat:
        notes.append(
            f"note: var[{column!r}]: {n_missing} gene(s) without a symbol and {n_repeat} "
            "repeat(s) of a symbol keep their var_name (the first gene of a symbol takes it)"
        )
    notes.append(f"{why}gene symbols taken from var[{column!r}] ({len(seen)} symbols)")
    return genes, notes


def with_annotations(expr: Expression, path: str | Path) -> Expression:
    """``expr`` with the sample/cell annotations of a CSV/TSV table joined by name.

    The table's first column holds the expression's sample/cell names, the others annotations
    (e.g. ``condition``); a CSV/TSV expression file carries none. Every observation needs a
    row (extra rows are left out); a column already in the .h5ad's obs is replaced, and said.
    """
    p = check_input_file(path, what="annotation file (--obs)")
    table = read_table(p, what="annotation file (--obs)", index_col=0)
    if table.shape[1] == 0:
        raise ValidationError(
            f"annotation file (--obs) {str(p)!r} has no annotation column; expected the sample/"
            "cell names in the first column and one column per annotation (e.g. condition)"
        )
    table.index = table.index.astype(str)
    check_unique(list(table.index), what=f"sample/cell names (first column) in {p}")
    check_unique([str(c) for c in table.columns], what=f"column names in {p}")
    ids = set(table.index)
    missing = [o for o in expr.obs_names if o not in ids]
    source = Path(expr.source).name or "the expression"
    if missing:
        found = len(expr.obs_names) - len(missing)
        raise ValidationError(
            f"annotation file (--obs) {str(p)!r}: {len(missing)} of {len(expr.obs_names)} "
            f"samples/cells of {source} have no row (first: {missing[:3]}; the file's first "
            f"column starts {_first(table.index)}); its first column must hold the sample/cell "
            f"names of the expression, one row each"
            + ("" if found else " (none matched: is the first column the sample names?)")
        )
    joined = table.loc[list(expr.obs_names)]
    joined.index = expr.obs.index
    replaced = [str(c) for c in joined.columns if c in expr.obs.columns]
    obs = expr.obs.drop(columns=replaced).join(joined)
    msgs = list(expr.messages)
    extra = len(ids) - len(expr.obs_names)
    msgs.append(
        f"annotations from {p.name}: {[str(c) for c in joined.columns]} for "
        f"{len(expr.obs_names)} samples/cells"
        + (f" ({extra} row(s) of other names left out)" if extra else "")
    )
    if replaced:
        msgs.append(f"note: --obs replaces the .h5ad's obs column(s) {replaced}")
    return dataclasses.replace(expr, obs=obs, messages=tuple(msgs))


def _numeric_columns(df: pd.DataFrame, p: Path) -> pd.DataFrame:
    """``df`` with text columns read as numbers; the genes holding text are named, with the first
    bad value and its sample (after a transpose every column is text once one cell is, so the
    column's dtype alone named every gene and showed a number as the culprit)."""
    text = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
    if not text:
        return df
    coerced = df[text].apply(pd.to_numeric, errors="coerce")
    bad = coerced.isna() & df[text].notna()
    genes = [c for c in text if bad[c].any()]
    if genes:
        first = bad[genes[0]].to_numpy().nonzero()[0][0]
        known = _known_symbols()
        hint = (
            "; these look like sample annotations, not genes: the expression table must hold "
            "numbers only (sc call, sc sasp-markers and sc communication read annotations from "
            "a separate table given with --obs)"
            if not any(str(g).upper() in known for g in genes)
            else ""
        )
        raise ValidationError(
            f"expression file {str(p)!r}: non-numeric values for genes {genes[:5]} (e.g. "
            f"{df[genes[0]].iloc[first]!r} in sample {str(df.index[first])!r}){hint}"
        )
    out = df.copy()
    out[text] = coerced
    return out


def _refuse_nonfinite(x: Any, obs: list[str], genes: list[str], source: Path | str) -> None:
    """Missing or infinite values: refused, with their count and the first position."""
    if sp.issparse(x):
        csr = sp.csr_matrix(x)
        bad = ~np.isfinite(csr.data)
        if not bad.any():
            return
        first = int(np.flatnonzero(bad)[0])
        row = int(np.searchsorted(csr.indptr, first, side="right") - 1)
        col = int(csr.indices[first])
        n_bad = int(bad.sum())
    else:
        mask = ~np.isfinite(x)
        if not mask.any():
            return
        row, col = (int(i) for i in np.argwhere(mask)[0])
        n_bad = int(mask.sum())
    raise ValidationError(
        f"expression file {str(source)!r} has {n_bad} missing (NaN) or infinite value(s) (first: "
        f"sample {obs[row]!r}, gene {genes[col]!r}); impute or remove them before scoring"
    )


#: non-integer data whose maximum exceeds this are read as linear-scale (log1p'd), else as log
LINEAR_ABOVE = 50.0


def _scale(vals: np.ndarray) -> str | None:
    """How :func:`prepare` normalises finite, non-negative ``vals``: "counts" (integers above 1:
    per-observation totals to 10,000, then log1p), "linear" (values above LINEAR_ABOVE: log1p),
    or None (taken as log-scale or otherwise transformed, used as is)."""
    if not vals.size or vals.min() < 0 or not np.all(np.isfinite(vals)):
        return None
    if bool(np.all(vals == np.round(vals))) and vals.max() > 1:
        return "counts"
    return "linear" if vals.max() > LINEAR_ABOVE else None


def unlogged(x: Any) -> str | None:
    """Why ``x`` looks not log-normalised, as :func:`prepare` judges it (integer counts, or
    values above LINEAR_ABOVE), or None when it looks log-scale or transformed."""
    vals = np.asarray(x.data if sp.issparse(x) else x)
    if not np.issubdtype(vals.dtype, np.number):
        return None
    kind = _scale(vals)
    if kind == "counts":
        return "integer counts"
    if kind == "linear":
        return f"values reaching {vals.max():,.1f} (above {LINEAR_ABOVE:g}; linear-scale, e.g. TPM)"
    return None


def prepare(expr: Expression, *, normalise: bool = True) -> Expression:
    """Refuse unusable matrices; if ``normalise``, turn counts or linear-scale data into log1p.

    Refused: NaN/inf, an all-zero matrix, integer data with negative values (counts cannot be
    negative). Stated warnings (messages starting ``warning:``): negative non-integer values
    (used as already transformed) and observations with no expression at all.
    """
    x = expr.x
    vals = np.asarray(x.data if sp.issparse(x) else x)
    where = expr.source or "the expression matrix"
    if vals.size and not np.issubdtype(vals.dtype, np.number):
        raise ValidationError(f"{where}: expression values must be numbers, got {vals.dtype}")
    n_bad = int((~np.isfinite(vals)).sum())
    if n_bad:
        raise ValidationError(
            f"{where} has {n_bad} NaN/infinite values; impute or remove them before scoring"
        )
    if vals.size == 0 or not np.any(vals):
        raise ValidationError(
            f"{where}: every expression value is zero; nothing can be scored "
            "(check that the right matrix or --layer was given)"
        )
    msgs = list(expr.messages)
    empty = _empty_observations(x, expr.obs_names)
    if empty:
        more = f" and {len(empty) - 5} more" if len(empty) > 5 else ""
        msgs.append(
            f"warning: {len(empty)} observation(s) have no expression at all "
            f"({', '.join(empty[:5])}{more}); their scores carry no information"
        )
    if not normalise:
        return _with(expr, x, msgs)
    if vals.min() < 0:
        if bool(np.all(vals == np.round(vals))):
            raise ValidationError(
                f"{where}: integer values include negatives (minimum {vals.min():g}); counts "
                "cannot be negative. If the data are already transformed, pass --no-normalise"
            )
        msgs.append(
            f"warning: values include negatives (minimum {vals.min():.3g}): treated as already "
            "transformed (e.g. log ratios) and used as is"
        )
        return _with(expr, x, msgs)
    kind = _scale(vals)
    if kind == "counts":
        x = sp.csr_matrix(x, dtype=np.float32, copy=True) if sp.issparse(x) else x.astype(float)
        lib = np.asarray(x.sum(axis=1)).ravel()
        lib[lib == 0] = 1.0
        if sp.issparse(x):
            x.data = np.log1p(x.data / np.repeat(lib, np.diff(x.indptr)) * 1e4).astype(np.float32)
        else:
            x = np.log1p(x / lib[:, None] * 1e4)
        msgs.append("integer counts detected: normalised to 10,000 per observation and log1p'd")
    elif kind == "linear":
        x = x.copy()
        if sp.issparse(x):
            x.data = np.log1p(x.data)
        else:
            x = np.log1p(x)
        msgs.append(
            f"values are not integers and reach {vals.max():,.1f} (above {LINEAR_ABOVE:g}): read "
            "as linear-scale (e.g. TPM) and log1p applied"
        )
    else:
        msgs.append(
            f"values are not integers and reach only {vals.max():.3g} (at most {LINEAR_ABOVE:g}): "
            "read as log-normalised and used as is (log-transform linear-scale values first)"
        )
    return _with(expr, x, msgs)


def _with(expr: Expression, x: Any, messages: list[str]) -> Expression:
    return Expression(x, expr.genes, expr.obs_names, expr.obs, tuple(messages), expr.source)


def _empty_observations(x: Any, names: list[str]) -> list[str]:
    """Names of observations whose every value is zero."""
    if sp.issparse(x):
        has = np.asarray(abs(sp.csr_matrix(x)).sum(axis=1)).ravel() > 0
    else:
        has = np.any(np.asarray(x) != 0, axis=1)
    return [names[i] for i in np.flatnonzero(~has)]
