"""Score signatures on a matrix or an AnnData: a pure function returning a table, and a wrapper.

``score_matrix`` is the pure function (matrix + gene names -> :class:`ScoreResult`).
``score_adata`` writes one ``adata.obs["senotwin_<signature>"]`` column per signature and a
record of method, parameters and gene coverage into ``adata.uns["senotwin_scores"]``.
The result keeps every score in one tidy table so later steps (calls, survival, a simulator
scenario built from TME/SASP scores) can read it without knowing the method.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from senotwin._errors import ValidationError
from senotwin._io import check_unique
from senotwin.sc.kernels import CHUNK_NNZ, Matrix
from senotwin.sc.methods import get_method
from senotwin.sc.orthologs import signature_to_mouse
from senotwin.sc.signatures import Signature, resolve_signatures

__all__ = [
    "DEFAULT_SIGNATURES",
    "OBS_PREFIX",
    "ScoreResult",
    "score_adata",
    "score_matrix",
]

#: signatures scored when none is requested
DEFAULT_SIGNATURES: tuple[str, ...] = ("senescence", "sasp")
#: prefix of the obs columns written by :func:`score_adata`
OBS_PREFIX = "senotwin_"
#: a signature is scored only if at least this many of its genes are measured
MIN_GENES = 3


@dataclass(frozen=True)
class ScoreResult:
    """Scores (observations × signatures) plus per-signature gene coverage and the settings."""

    scores: pd.DataFrame
    coverage: pd.DataFrame
    method: str
    params: dict[str, Any] = field(default_factory=dict)


def _coverage_row(sig: Signature, present: set[str], unmapped: Sequence[str]) -> dict[str, Any]:
    found = [g for g in sig.genes if g in present]
    w = dict(zip(sig.genes, sig.weights, strict=True))
    return {
        "signature": sig.name,
        "n_genes": len(sig.genes) + len(unmapped),
        "n_found": len(found),
        "n_up_found": sum(1 for g in found if w[g] > 0),
        "n_down_found": sum(1 for g in found if w[g] < 0),
        "n_no_ortholog": len(unmapped),
        "missing": ",".join(g for g in sig.genes if g not in present),
    }


def score_matrix(
    x: Matrix,
    genes: Sequence[str],
    signatures: Iterable[Signature | str] = DEFAULT_SIGNATURES,
    *,
    method: str = "mean_z",
    obs_names: Sequence[str] | None = None,
    species: str = "human",
    min_genes: int = MIN_GENES,
    seed: int = 0,
    **options: Any,
) -> ScoreResult:
    """Score signatures on ``x`` (observations × genes; CSR or dense), one column per signature.

    ``method`` names a registered scoring method (:mod:`senotwin.sc.methods`); ``options`` are
    that method's options (e.g. ``max_rank`` for ``rank``). ``seed`` drives any random choice
    the method makes (matched control genes for ``mean_z``).
    Composite signatures are the mean of their component scores. Raises a ValidationError that
    says how many genes of each signature were found when one has fewer than ``min_genes``.
    """
    scorer = get_method(method)
    opts = scorer.make_options(options)
    if species not in {"human", "mouse"}:
        raise ValidationError(f"species must be 'human' or 'mouse', got {species!r}")
    n_obs, n_genes = x.shape
    if len(genes) != n_genes:
        raise ValidationError(f"{len(genes)} gene names for a matrix with {n_genes} columns")
    if obs_names is not None and len(obs_names) != n_obs:
        raise ValidationError(f"{len(obs_names)} observation names for {n_obs} rows")
    scorer.check_observations(n_obs)
    _check_finite(x)
    if not np.any(x.data if sp.issparse(x) else np.asarray(x)):
        raise ValidationError(
            "every expression value is zero; nothing can be scored (check the matrix or layer)"
        )
    check_unique(list(genes), what="gene names")
    if obs_names is not None:
        check_unique(list(obs_names), what="observation names")
    resolved = resolve_signatures(signatures)
    gene_index = {g: i for i, g in enumerate(genes)}
    present = set(gene_index)

    leaves: list[Signature] = []
    cov_rows = []
    for leaf in resolved.leaves.values():
        unmapped: tuple[str, ...] = ()
        if species == "mouse":
            mapped = signature_to_mouse(leaf)
            leaf, unmapped = mapped.signature, mapped.unmapped
        leaves.append(leaf)
        cov_rows.append(_coverage_row(leaf, present, unmapped))
    coverage = pd.DataFrame(cov_rows).set_index("signature")
    too_few = coverage[coverage["n_found"] < min_genes]
    if len(too_few):
        detail = "; ".join(
            f"{name}: {int(r.n_found)} of {int(r.n_genes)} genes found"
            for name, r in too_few.iterrows()
        )
        raise ValidationError(
            f"too few signature genes in the data (need >= {min_genes}): {detail}. "
            "Check gene symbols (HGNC for human; use species='mouse' for mouse symbols)."
        )

    w = np.zeros((n_genes, len(leaves)))
    for j, leaf in enumerate(leaves):
        for g, wt in zip(leaf.genes, leaf.weights, strict=True):
            i = gene_index.get(g)
            if i is not None:
                w[i, j] = wt

    params: dict[str, Any] = {"species": species, "min_genes": min_genes}
    params.update(dataclasses.asdict(opts))
    if scorer.uses_seed:
        params["seed"] = seed
    values = scorer.score(x, w, opts, np.random.default_rng(seed))

    index = pd.Index(list(obs_names) if obs_names is not None else range(n_obs), name="obs")
    leaf_scores = pd.DataFrame(values, index=index, columns=[s.name for s in leaves])
    out = {}
    for sig in resolved.requested:
        if sig.is_composite:
            comps = [leaf.name for leaf in _leaves_of(sig, resolved.leaves)]
            out[sig.name] = leaf_scores[comps].mean(axis=1)
        else:
            out[sig.name] = leaf_scores[sig.name]
    scores = pd.DataFrame(out, index=index)
    return ScoreResult(scores=scores, coverage=coverage, method=method, params=params)


def _leaves_of(sig: Signature, leaves: Any) -> list[Signature]:
    from senotwin.sc.signatures import get_signature

    out: list[Signature] = []
    for c in sig.components:
        comp = get_signature(c)
        out.extend(_leaves_of(comp, leaves) if comp.is_composite else [leaves[c]])
    return out


def _check_finite(x: Matrix) -> None:
    data = x.data if sp.issparse(x) else np.asarray(x)
    if not np.issubdtype(np.asarray(data).dtype, np.number):
        raise ValidationError("expression values must be numeric")
    flat = np.asarray(data).ravel()
    n_bad = sum(
        int(np.count_nonzero(~np.isfinite(flat[i : i + CHUNK_NNZ])))
        for i in range(0, flat.size, CHUNK_NNZ)
    )
    if n_bad:
        raise ValidationError(
            f"the expression matrix has {n_bad} NaN/infinite values; "
            "impute or remove them before scoring"
        )


def score_adata(
    adata: Any,
    signatures: Iterable[Signature | str] = DEFAULT_SIGNATURES,
    *,
    method: str = "mean_z",
    layer: str | None = None,
    species: str = "human",
    seed: int = 0,
    min_genes: int = MIN_GENES,
    **options: Any,
) -> ScoreResult:
    """Score an AnnData in place: ``obs["senotwin_<name>"]`` per signature + ``uns``.

    Also writes ``adata.uns['senotwin_scores']`` (method, layer, params, genes found).
    Reads ``adata.X`` or ``adata.layers[layer]`` (expected log-normalised); sparse stays sparse.
    ``options`` are the scoring method's options (see :func:`score_matrix`).
    """
    if layer is not None and layer not in adata.layers:
        raise ValidationError(
            f"layer {layer!r} not in the AnnData; available: {list(adata.layers.keys())}"
        )
    x = adata.layers[layer] if layer is not None else adata.X
    if sp.issparse(x) and not isinstance(x, sp.csr_matrix | sp.csr_array):
        x = sp.csr_matrix(x)
    result = score_matrix(
        x,
        list(map(str, adata.var_names)),
        signatures,
        method=method,
        obs_names=list(map(str, adata.obs_names)),
        species=species,
        seed=seed,
        min_genes=min_genes,
        **options,
    )
    for name in result.scores.columns:
        adata.obs[OBS_PREFIX + name] = result.scores[name].to_numpy()
    adata.uns["senotwin_scores"] = {
        "method": method,
        "layer": layer if layer is not None else "X",
        "params": {k: v for k, v in result.params.items()},
        "signatures": list(result.scores.columns),
        "n_found": {k: int(v) for k, v in result.coverage["n_found"].items()},
    }
    return result
