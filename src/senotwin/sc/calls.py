"""Multi-hallmark senescent-cell calls with a null from matched random gene sets per cell type.

Following the review (§4.2, refs 195, 196): no single marker; combine arrest (p21/p16 up,
proliferation down), nuclear (Lamin B1 loss), SASP and anti-apoptotic hallmarks. Each hallmark is
scored by the signed mean-z kernel with matched controls. The null replaces every hallmark gene by
a random gene of the same mean-expression bin (same weight), ``n_null`` times; per cell type, the
pooled null scores give each hallmark's spread and an empirical p-value for the combined score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import pandas as pd
import scipy.sparse as sp

from senotwin._errors import ValidationError, check_seed, check_type
from senotwin.sc.kernels import (
    GENES,
    GROUPS,
    LABELS,
    Matrix,
    check_matrix,
    expression_bins,
    gene_stats,
    matched_controls,
    mean_z,
)
from senotwin.sc.scoring import looks_like_species, symbol_index, warn_case_matched
from senotwin.sc.signatures import Signature, get_signature
from senotwin.sc.stats import bh_fdr

__all__ = ["HALLMARKS", "CallResult", "call_senescent"]

HALLMARKS: tuple[str, ...] = (
    "hallmark_arrest",
    "hallmark_nuclear",
    "hallmark_sasp",
    "hallmark_anti_apoptosis",
)


@dataclass(frozen=True)
class CallResult:
    """Per-observation table: hallmark z-scores, combined score, p, q, hallmarks passed, call."""

    table: pd.DataFrame
    hallmarks: tuple[str, ...]
    params: dict[str, object]


def _weights(sigs: Sequence[Signature], index: dict[str, int], n_genes: int) -> np.ndarray:
    w = np.zeros((n_genes, len(sigs)))
    for j, s in enumerate(sigs):
        for g, wt in zip(s.genes, s.weights, strict=True):
            if g in index:
                w[index[g], j] = wt
    return w


def call_senescent(
    x: Matrix,
    genes: Sequence[str],
    *,
    groups: Sequence[object] | None = None,
    hallmarks: Sequence[str | Signature] = HALLMARKS,
    n_null: int = 100,
    alpha: float = 0.05,
    hallmark_alpha: float = 0.1,
    min_hallmarks: int = 2,
    n_bins: int = 25,
    ctrl_size: int = 50,
    seed: int = 0,
    obs_names: Sequence[str] | None = None,
) -> CallResult:
    """Call senescent cells: combined hallmark score, empirical p, BH q and a multi-hallmark call.

    call = (q <= alpha) and (at least ``min_hallmarks`` hallmarks with p <= ``hallmark_alpha``).
    """
    check_type(genes, LABELS, name="genes", what=GENES)
    check_type(groups, (*LABELS, type(None)), name="groups", what=GROUPS + " or None")
    check_type(obs_names, (*LABELS, type(None)), name="obs_names", what="a list of names or None")
    counts = ("n_null", n_null, 10), ("min_hallmarks", min_hallmarks, 1), ("n_bins", n_bins, 1)
    for name, count, least in (*counts, ("ctrl_size", ctrl_size, 1)):
        check_type(count, Integral, name=name, what=f"a whole number >= {least}")
    for name, level in (("alpha", alpha), ("hallmark_alpha", hallmark_alpha)):
        check_type(level, Real, name=name, what="a number in (0, 1)")
    check_type(seed, int, name="seed", what="a whole number >= 0")
    if n_null < 10:
        raise ValidationError(f"n_null must be >= 10, got {n_null}")
    check_seed(seed)
    if not 0 < alpha < 1 or not 0 < hallmark_alpha < 1:
        raise ValidationError("alpha and hallmark_alpha must lie in (0, 1)")
    if isinstance(hallmarks, str):  # one name, not its letters
        hallmarks = (hallmarks,)
    what = "hallmark signature names or Signature objects (a list)"
    check_type(hallmarks, (list, tuple), name="hallmarks", what=what)
    sigs = [get_signature(h) if isinstance(h, str) else h for h in hallmarks]
    if not sigs:
        raise ValidationError("hallmarks is empty: name at least one hallmark signature")
    if not 1 <= min_hallmarks <= len(sigs):
        raise ValidationError(f"min_hallmarks must be in 1..{len(sigs)}, got {min_hallmarks}")
    check_matrix(x)
    n_obs, n_genes = x.shape
    if n_obs < 2:  # the null is drawn from genes that vary across observations
        raise ValidationError(
            f"calls need at least 2 observations, got {n_obs}: each hallmark's null is drawn "
            "from genes that vary across the observations (score one sample with `senotwin "
            "score --method rank`)"
        )
    index = symbol_index(genes)  # lower-case names match as in `senotwin score`
    w = _weights(sigs, index, n_genes)
    warn_case_matched({g for s in sigs for g in s.genes}, genes, index)
    found = (w != 0).sum(axis=0)
    if (found == 0).any():
        empty = [s.name for s, f in zip(sigs, found, strict=True) if f == 0]
        looks = (
            "the genes look like mouse (MGI) symbols, and calls read human ones (score mouse "
            "data with `senotwin score --species mouse`)"
            if looks_like_species(genes) == "mouse"
            else "calls read human HGNC symbols, e.g. CDKN1A"
        )
        raise ValidationError(f"no genes of hallmark(s) {empty} are in the data; {looks}")
    codes = np.zeros(n_obs, dtype=np.int64)
    names = ["all"]
    if groups is not None:
        if len(groups) != n_obs:
            raise ValidationError(f"groups has {len(groups)} labels for {n_obs} observations")
        names_arr, codes = np.unique(np.asarray(groups).astype(str), return_inverse=True)
        names = [str(n) for n in names_arr]

    rng = np.random.default_rng(seed)
    stats = gene_stats(x)
    bins = expression_bins(stats.mean, n_bins)
    usable = (stats.std > 0) & ~(w != 0).any(axis=1)
    if not usable.any():
        raise ValidationError(
            f"no gene outside the hallmarks varies across the observations ({n_obs} "
            "observations, every other gene constant); the matched null needs genes that vary"
        )
    k = len(sigs)
    # null weight matrices: each hallmark gene swapped for a random same-bin gene
    w_null = np.zeros((n_genes, k * n_null))
    for j in range(k):
        for g in np.flatnonzero(w[:, j]):
            pool = np.flatnonzero(usable & (bins == bins[g]))
            if pool.size == 0:
                pool = np.flatnonzero(usable)
            picks = rng.choice(pool, size=n_null, replace=True)
            np.add.at(w_null, (picks, j * n_null + np.arange(n_null)), w[g, j])
    all_w = np.concatenate([w, w_null], axis=1)
    ctrl = matched_controls(all_w, stats, ctrl_size=ctrl_size, n_bins=n_bins, rng=rng)
    used = np.flatnonzero((all_w != 0).any(axis=1) | (ctrl != 0).any(axis=1))
    xs = x[:, used] if sp.issparse(x) else np.asarray(x)[:, used]
    sub_stats = type(stats)(mean=stats.mean[used], std=stats.std[used])
    scores = mean_z(xs, all_w[used], stats=sub_stats, controls=ctrl[used])
    obs = scores[:, :k]
    null = scores[:, k:].reshape(n_obs, k, n_null)

    z = np.zeros_like(obs)
    p_h = np.zeros_like(obs)
    combined = np.zeros(n_obs)
    p = np.zeros(n_obs)
    for c in range(len(names)):
        m = codes == c
        nl = null[m]  # cells × k × n_null
        sd = nl.std(axis=(0, 2))
        sd[sd == 0] = 1.0
        z[m] = obs[m] / sd
        zn = nl / sd[None, :, None]
        for j in range(k):
            ref = np.sort(zn[:, j, :].ravel())
            ge = ref.size - np.searchsorted(ref, z[m, j], side="left")
            p_h[m, j] = (1 + ge) / (ref.size + 1)
        comb_null = np.sort((zn.sum(axis=1) / np.sqrt(k)).ravel())
        combined[m] = z[m].sum(axis=1) / np.sqrt(k)
        ge = comb_null.size - np.searchsorted(comb_null, combined[m], side="left")
        p[m] = (1 + ge) / (comb_null.size + 1)
    q = bh_fdr(p)
    n_pass = (p_h <= hallmark_alpha).sum(axis=1)
    table = pd.DataFrame(
        {f"z_{s.name}": z[:, j] for j, s in enumerate(sigs)},
        index=pd.Index(list(obs_names) if obs_names is not None else range(n_obs), name="obs"),
    )
    table["score"] = combined
    table["p"] = p
    table["q"] = q
    table["n_hallmarks"] = n_pass
    table["call"] = (q <= alpha) & (n_pass >= min_hallmarks)
    table["group"] = [names[c] for c in codes]
    params: dict[str, object] = {
        "n_null": n_null,
        "alpha": alpha,
        "hallmark_alpha": hallmark_alpha,
        "min_hallmarks": min_hallmarks,
        "seed": seed,
        "genes_found": {s.name: int(f) for s, f in zip(sigs, found, strict=True)},
    }
    return CallResult(table=table, hallmarks=tuple(s.name for s in sigs), params=params)
