"""Score signatures on a matrix or an AnnData: a pure function returning a table, and a wrapper.

``score_matrix`` is the pure function (matrix + gene names -> :class:`ScoreResult`).
``score_adata`` writes one ``adata.obs["senotwin_<signature>"]`` column per signature and a
record of method, parameters and gene coverage into ``adata.uns["senotwin_scores"]``.
The result keeps every score in one tidy table so later steps (calls, survival, a simulator
scenario built from TME/SASP scores) can read it without knowing the method.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from senotwin._errors import SenotwinWarning, ValidationError, check_seed, check_type
from senotwin._io import check_unique
from senotwin.sc.kernels import CHUNK_NNZ, GENES, LABELS, Matrix, check_matrix
from senotwin.sc.methods import get_method
from senotwin.sc.orthologs import signature_to_mouse
from senotwin.sc.signatures import Signature, resolve_signatures

__all__ = [
    "DEFAULT_SIGNATURES",
    "OBS_PREFIX",
    "ScoreResult",
    "TooFewGenes",
    "score_adata",
    "score_matrix",
]

#: signatures scored when none is requested
DEFAULT_SIGNATURES: tuple[str, ...] = ("senescence", "sasp")
#: prefix of the obs columns written by :func:`score_adata`
OBS_PREFIX = "senotwin_"
#: a signature is scored only if at least this many of its genes are measured
MIN_GENES = 3


class TooFewGenes(ValidationError):
    """Signatures with fewer than ``min_genes`` of their genes in the data. ``detail`` lists them
    (``name: n of m genes found``); the message ends in a hint on gene symbols worded for Python
    (``species='mouse'``), and a command words its own with :meth:`worded`. ``looks``: the
    species the gene names look like ("human", "mouse" or "")."""

    def __init__(self, detail: str, min_genes: int, species: str, looks: str) -> None:
        self.detail = detail
        self.min_genes = min_genes
        self.species = species
        self.looks = looks
        super().__init__(self.worded("species='mouse'", "species='human'"))

    def worded(self, mouse_option: str, human_option: str) -> str:
        """The message with the options this surface asks for mouse or human symbols with; the
        species already asked for is never suggested."""
        if self.species == "mouse" and self.looks == "human":
            hint = f"The genes look like human (HGNC) symbols (e.g. CDKN1A): use {human_option}."
        elif self.species == "mouse":
            hint = "Check gene symbols (MGI symbols for mouse, e.g. Cdkn1a)."
        elif self.looks == "mouse":
            hint = f"The genes look like mouse (MGI) symbols (e.g. Cdkn1a): use {mouse_option}."
        else:
            hint = f"Check gene symbols (HGNC for human; use {mouse_option} for mouse symbols)."
        return (
            f"too few signature genes in the data (need >= {self.min_genes}): {self.detail}. "
            + hint
        )


@dataclass(frozen=True)
class ScoreResult:
    """Scores (observations × signatures) plus per-signature gene coverage and the settings.

    ``skipped``: signatures left out (``skip_short``) with the reason; ``notes``: what was done
    to match genes (e.g. case ignored)."""

    scores: pd.DataFrame
    coverage: pd.DataFrame
    method: str
    params: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def coverage_lines(self) -> list[str]:
        """One ``NAME: n of m genes found`` line per gene set scored from (how much of each
        signature the data hold; a composite's parts are listed)."""
        return [
            f"{name}: {int(r.n_found)} of {int(r.n_genes)} genes found"
            for name, r in self.coverage.iterrows()
        ]


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


#: what ``signatures`` may be, for a wrong type's message
SIGNATURES = "signature names or Signature objects (a list; one name alone is one)"


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
    skip_short: bool = False,
    **options: Any,
) -> ScoreResult:
    """Score signatures on ``x`` (observations × genes; CSR or dense), one column per signature.

    ``method`` names a registered scoring method (:mod:`senotwin.sc.methods`); ``options`` are
    that method's options (e.g. ``max_rank`` for ``rank``). ``seed`` drives any random choice
    the method makes (matched control genes for ``mean_z``). ``signatures``: names or Signature
    objects (a single name is one signature).
    Composite signatures are the mean of their component scores. Raises :class:`TooFewGenes`
    (how many genes of each signature were found) when one has fewer than ``min_genes``; with
    ``skip_short`` such signatures (and composites with such a part) are left out instead,
    listed in ``ScoreResult.skipped``, and only none left raises. Gene names that are mostly
    all lower-case (``cdkn1a``) are matched ignoring case, and a note says so.
    """
    check_type(genes, LABELS, name="genes", what=GENES)
    check_type(signatures, Iterable, name="signatures", what=SIGNATURES)
    check_type(method, str, name="method", what="a scoring method name such as 'mean_z' (str)")
    check_type(obs_names, (*LABELS, type(None)), name="obs_names", what="a list of names or None")
    check_type(species, str, name="species", what="'human' or 'mouse' (str)")
    check_type(min_genes, int, name="min_genes", what="a whole number >= 1")
    check_type(seed, int, name="seed", what="a whole number >= 0")
    check_seed(seed)
    if isinstance(min_genes, bool) or not isinstance(min_genes, int) or min_genes < 1:
        raise ValidationError(
            f"min_genes = {min_genes!r}; allowed: a whole number >= 1 (genes of a signature that "
            "must be found in the data)"
        )
    scorer = get_method(method)
    opts = scorer.make_options(options)
    check_species(species)
    check_matrix(x)
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
    by_upper = _lower_case_index(genes)
    case_matched: dict[str, str] = {}

    leaves: list[Signature] = []
    cov_rows = []
    for leaf in resolved.leaves.values():
        unmapped: tuple[str, ...] = ()
        if species == "mouse":
            mapped = signature_to_mouse(leaf)
            leaf, unmapped = mapped.signature, mapped.unmapped
        if by_upper is not None:
            leaf = _match_case(leaf, gene_index, by_upper, list(genes), case_matched)
        leaves.append(leaf)
        cov_rows.append(_coverage_row(leaf, present, unmapped))
    coverage = pd.DataFrame(cov_rows).set_index("signature")
    short = {
        str(name): f"{int(r.n_found)} of {int(r.n_genes)} genes found"
        for name, r in coverage[coverage["n_found"] < min_genes].iterrows()
    }
    requested = list(resolved.requested)
    skipped: dict[str, str] = {}
    if short:
        for sig in requested:
            parts = [leaf.name for leaf in _leaves_of(sig, resolved.leaves)]
            bad = [p for p in parts if p in short]
            if bad:
                skipped[sig.name] = "; ".join(
                    (f"its part {p}: " if sig.is_composite else "") + short[p] for p in bad
                )
        if not skip_short or len(skipped) == len(requested):
            raise TooFewGenes(
                "; ".join(f"{name}: {why}" for name, why in short.items()),
                min_genes,
                species,
                looks_like_species(genes),
            )
        requested = [s for s in requested if s.name not in skipped]
        used = {leaf.name for s in requested for leaf in _leaves_of(s, resolved.leaves)}
        leaves = [leaf for leaf in leaves if leaf.name in used]
    notes = []
    if case_matched:
        eg = ", ".join(f"{data!r} for {sig}" for sig, data in list(case_matched.items())[:3])
        notes.append(
            f"note: {len(case_matched)} signature gene(s) matched ignoring case (e.g. {eg}): "
            "the gene names are lower-case, official symbols are not (HGNC: CDKN1A, MGI: Cdkn1a)"
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
    for sig in requested:
        if sig.is_composite:
            comps = [leaf.name for leaf in _leaves_of(sig, resolved.leaves)]
            out[sig.name] = leaf_scores[comps].mean(axis=1)
        else:
            out[sig.name] = leaf_scores[sig.name]
    scores = pd.DataFrame(out, index=index)
    return ScoreResult(
        scores=scores,
        coverage=coverage,
        method=method,
        params=params,
        skipped=skipped,
        notes=tuple(notes),
    )


def _leaves_of(sig: Signature, leaves: Any) -> list[Signature]:
    """The gene sets a signature is scored from: itself, or a composite's parts (recursively)."""
    from senotwin.sc.signatures import get_signature

    if not sig.is_composite:
        return [leaves[sig.name]]
    out: list[Signature] = []
    for c in sig.components:
        comp = get_signature(c)
        out.extend(_leaves_of(comp, leaves) if comp.is_composite else [leaves[c]])
    return out


def _letters(genes: Sequence[str]) -> list[str]:
    return [g for g in genes if g.lower() != g.upper()]


def _lower_case_index(genes: Sequence[str]) -> dict[str, int] | None:
    """Upper-cased name -> column when most gene names are all lower-case (``cdkn1a``: official
    symbols never are), else None, so correctly cased data match exactly as before."""
    named = _letters(genes)
    if not named or 2 * sum(g == g.lower() for g in named) <= len(named):
        return None
    index: dict[str, int] = {}
    for i, g in enumerate(genes):
        index.setdefault(g.upper(), i)
    return index


def symbol_index(genes: Sequence[str]) -> dict[str, int]:
    """Gene name -> column for looking up signature symbols: the names as written and, when most
    are all lower-case (``cdkn1a``), each upper-cased too (HGNC), as :func:`score_matrix` does."""
    index = {g: i for i, g in enumerate(genes)}
    by_upper = _lower_case_index(genes)
    return index if by_upper is None else {**by_upper, **index}


def warn_case_matched(wanted: Iterable[str], genes: Sequence[str], index: dict[str, int]) -> None:
    """A SenotwinWarning (``warning: ...`` on the command line) when symbols of ``wanted`` were
    found only by ignoring case in a :func:`symbol_index`, saying how many; silent otherwise."""
    matched = {g: genes[index[g]] for g in wanted if g in index and genes[index[g]] != g}
    if matched:
        eg = ", ".join(f"{data!r} for {sig}" for sig, data in list(matched.items())[:3])
        warnings.warn(
            f"{len(matched)} gene(s) matched ignoring case (e.g. {eg}): the gene names are "
            "lower-case, official symbols are not (HGNC: CDKN1A, MGI: Cdkn1a)",
            SenotwinWarning,
            stacklevel=3,
        )


def _match_case(
    sig: Signature,
    exact: dict[str, int],
    by_upper: dict[str, int],
    genes: list[str],
    matched: dict[str, str],
) -> Signature:
    """``sig`` with each gene absent as written renamed to the data's gene of the same letters
    (case ignored); each renaming is recorded in ``matched`` (signature gene -> data gene)."""
    names = list(sig.genes)
    taken = set(names)
    for k, g in enumerate(names):
        i = by_upper.get(g.upper())
        if g in exact or i is None or genes[i] in taken:
            continue
        names[k] = genes[i]
        taken.add(genes[i])
        matched[g] = genes[i]
    return dataclasses.replace(sig, genes=tuple(names)) if names != list(sig.genes) else sig


def check_species(species: str) -> None:
    """Refuse a species the signatures cannot be mapped to (their symbols are human; mouse ones
    come by ortholog mapping)."""
    if species not in {"human", "mouse"}:
        raise ValidationError(f"species must be 'human' or 'mouse', got {species!r}")


def looks_like_species(genes: Sequence[str]) -> str:
    """The species the gene names look like: "human" when most are upper-case like HGNC symbols
    (``CDKN1A``), "mouse" when most are capitalised like MGI symbols (``Cdkn1a``), else ""."""
    named = _letters(genes)
    if 2 * sum(g == g.upper() for g in named) > len(named):
        return "human"
    if 2 * sum(g[:1].isupper() and g[1:] != g[1:].upper() for g in named) > len(named):
        return "mouse"
    return ""


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

    Returns the :class:`ScoreResult` as well: ``scores`` (observations × signatures),
    ``coverage`` (genes found per signature), ``params`` and ``notes``.
    """
    from anndata import AnnData

    check_type(adata, AnnData, name="adata", what="an AnnData (anndata.read_h5ad(path))")
    check_type(layer, (str, type(None)), name="layer", what="a layer name (str) or None (X)")
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
    from senotwin.sc.io import unlogged

    why = unlogged(x)
    if why is not None:  # `senotwin score` log-transforms these; scored as is they differ
        warnings.warn(
            f"adata.{'layers[' + repr(layer) + ']' if layer is not None else 'X'} holds {why}; "
            "the scores expect log-normalised values and `senotwin score` would log-transform "
            "them first: log-normalise (e.g. scanpy.pp.normalize_total and scanpy.pp.log1p, or "
            "numpy.log1p for TPM) before score_adata",
            SenotwinWarning,
            stacklevel=2,
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
