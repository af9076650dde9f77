"""SASP -> immune communication: sender -> receiver scores per cell-type pair, with permutations.

score(s -> r, L -> R) = mean expression of ligand L in sender s × mean of receptor R in receiver r,
where a multi-subunit receptor uses the geometric mean of its subunits' means (all subunits
needed, as in CellPhoneDB). Significance: the cell-type labels are permuted ``n_perm`` times
(seeded); p = (1 + #{perm score >= observed}) / (n_perm + 1), BH q over all tested pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from senotwin._errors import ValidationError, check_seed, check_type
from senotwin._io import atomic_write_figure
from senotwin.kb.ligand_receptor import LigandReceptor, load_ligand_receptor
from senotwin.sc.kernels import GENES, GROUPS, LABELS, Matrix, check_matrix
from senotwin.sc.scoring import symbol_index, warn_case_matched
from senotwin.sc.stats import bh_fdr, group_codes, group_means

__all__ = ["communication", "plot_communication"]


def _pair_scores(means: np.ndarray, lig_idx: np.ndarray, rec_idx: list[np.ndarray]) -> np.ndarray:
    """groups × groups × pairs array of ligand(sender) × receptor(receiver) scores."""
    lig = means[:, lig_idx]  # groups × pairs
    rec = np.stack(
        [np.exp(np.mean(np.log(np.maximum(means[:, r], 0) + 1e-300), axis=1)) for r in rec_idx],
        axis=1,
    )
    rec[rec < 1e-200] = 0.0
    return lig[:, None, :] * rec[None, :, :]


def communication(
    x: Matrix,
    genes: Sequence[str],
    groups: Sequence[object],
    *,
    pairs: Sequence[LigandReceptor] | None = None,
    n_perm: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Score every (sender, receiver, pair) with permutation p-values and BH q-values."""
    check_type(genes, LABELS, name="genes", what=GENES)
    check_type(groups, LABELS, name="groups", what=GROUPS)
    what = "a list of LigandReceptor pairs or None (the shipped ones)"
    check_type(pairs, (list, tuple, type(None)), name="pairs", what=what)
    check_type(n_perm, Integral, name="n_perm", what="a whole number >= 1")
    check_type(seed, int, name="seed", what="a whole number >= 0")
    if n_perm < 1:
        raise ValidationError(f"n_perm must be >= 1, got {n_perm}")
    check_seed(seed)
    check_matrix(x)
    if len(groups) != x.shape[0]:
        raise ValidationError(f"groups has {len(groups)} labels for {x.shape[0]} observations")
    names, codes = group_codes(groups)
    lr = tuple(pairs) if pairs is not None else load_ligand_receptor()
    index = symbol_index(genes)  # lower-case names match as in `senotwin score`
    usable = [p for p in lr if p.ligand in index and all(r in index for r in p.receptor)]
    warn_case_matched({g for p in usable for g in (p.ligand, *p.receptor)}, genes, index)
    if not usable:
        raise ValidationError("no ligand-receptor pair has all its genes in the data")
    needed = sorted(
        {index[p.ligand] for p in usable} | {index[r] for p in usable for r in p.receptor}
    )
    col = {g: k for k, g in enumerate(needed)}
    sub = x[:, needed]
    sub = sub.tocsr() if sp.issparse(sub) else np.asarray(sub, dtype=np.float64)
    vals = np.asarray(sub.data if sp.issparse(sub) else sub)
    if vals.size and vals.min() < 0:
        raise ValidationError("communication needs non-negative (log-normalised) expression")
    lig_idx = np.array([col[index[p.ligand]] for p in usable])
    rec_idx = [np.array([col[index[r]] for r in p.receptor]) for p in usable]
    k = len(names)
    obs = _pair_scores(group_means(sub, codes, k), lig_idx, rec_idx)
    rng = np.random.default_rng(seed)
    ge = np.zeros_like(obs)
    for _ in range(n_perm):
        perm = rng.permutation(codes)
        ge += _pair_scores(group_means(sub, perm, k), lig_idx, rec_idx) >= obs - 1e-12
    p = (1.0 + ge) / (n_perm + 1.0)
    s_i, r_i, p_i = np.meshgrid(np.arange(k), np.arange(k), np.arange(len(usable)), indexing="ij")
    out = pd.DataFrame(
        {
            "sender": [names[i] for i in s_i.ravel()],
            "receiver": [names[i] for i in r_i.ravel()],
            "ligand": [usable[i].ligand for i in p_i.ravel()],
            "receptor": ["+".join(usable[i].receptor) for i in p_i.ravel()],
            "kind": [usable[i].kind for i in p_i.ravel()],
            "score": obs.ravel(),
            "p": p.ravel(),
        }
    )
    out["q"] = bh_fdr(out["p"].to_numpy())
    out["evidence"] = [usable[i].evidence for i in p_i.ravel()]
    return out.sort_values(["q", "score"], ascending=[True, False]).reset_index(drop=True)


def plot_communication(table: pd.DataFrame, path: str | Path, *, alpha: float = 0.05) -> Path:
    """Heat map of summed significant scores per sender -> receiver pair (PNG/PDF/SVG)."""
    import matplotlib.pyplot as plt

    if table.empty:
        raise ValidationError("communication table is empty; nothing to plot")
    sig = table[table["q"] <= alpha]
    senders = sorted(table["sender"].unique())
    receivers = sorted(table["receiver"].unique())
    mat = (
        sig.groupby(["sender", "receiver"])["score"]
        .sum()
        .unstack(fill_value=0.0)
        .reindex(index=senders, columns=receivers, fill_value=0.0)
    )
    # at least 4.5 x 3.5 in, so two groups still leave room for the title, labels and colour bar
    width = max(4.5, 2.5 + 0.6 * len(receivers))
    fig, ax = plt.subplots(figsize=(width, max(3.5, 2.0 + 0.5 * len(senders))))
    ax.set_title(f"SASP -> receptor communication\n(sum of scores, q <= {alpha})", fontsize=10)
    if sig.empty:  # a uniform heat map of zeros read as 'no communication' (audit s51)
        ax.text(
            0.5, 0.5,
            f"no ligand-receptor pair at q <= {alpha:g}\n(smallest q {table['q'].min():.2g}; "
            "more --n-perm\nlowers the smallest p)",
            ha="center", va="center", transform=ax.transAxes, fontsize=9,
        )  # fmt: skip
        ax.set_xlim(-0.5, len(receivers) - 0.5)
        ax.set_ylim(len(senders) - 0.5, -0.5)
    else:
        im = ax.imshow(mat.to_numpy(), cmap="viridis", aspect="auto")
        fig.colorbar(im, ax=ax, label="summed score")
        pairs = sig.groupby(["sender", "receiver"]).size()
        top = float(mat.to_numpy().max())
        for i, snd in enumerate(senders):  # the value and how many pairs make it
            for j, rcv in enumerate(receivers):
                n = int(pairs.get((snd, rcv), 0))
                v = float(mat.loc[snd, rcv])
                ax.text(
                    j, i, f"{v:.3g}\n({n} pair{'s' if n != 1 else ''})", ha="center",
                    va="center", fontsize=7, color="black" if v > 0.6 * top else "white",
                )  # fmt: skip
    ax.set_xticks(range(len(receivers)), receivers, rotation=45, ha="right")
    ax.set_yticks(range(len(senders)), senders)
    ax.set_xlabel("receiver")
    ax.set_ylabel("sender")
    fig.tight_layout()
    try:
        return atomic_write_figure(fig, path)
    finally:
        plt.close(fig)
