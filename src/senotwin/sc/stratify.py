"""Stratify bulk tumour transcriptomes: programme scores, ici_benefit and strategy benefits.

The rule, its gene sets and constants are package data (``data/stratify.yaml``); nothing is
fitted at prediction time. Samples are scored relative to the other samples of the input
(per-gene standardisation), so the input must be a cohort, not one sample. Uncertainties are
gene-bootstrap standard deviations: each programme's measured genes are resampled with
replacement and every output recomputed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from senotwin._errors import ValidationError, check_seed
from senotwin._yaml import read_yaml
from senotwin.sc.kernels import gene_stats, mean_z
from senotwin.sc.signatures import get_signature

__all__ = [
    "PROGRAMMES",
    "STRATEGIES",
    "Programme",
    "Stratification",
    "normalise_bulk",
    "programme_table",
    "stratify",
    "stratify_frame",
]

#: programme columns of the predictions, in output order
PROGRAMMES: tuple[str, ...] = (
    "sasp_stimulatory",
    "sasp_suppressive",
    "immune_infiltration",
    "senescence",
)
#: strategy classes of the drug library, each a predictions column ``benefit_<name>``
STRATEGIES: tuple[str, ...] = ("ici_alone", "senomorphic_ici", "senolytic_then_ici")
#: a programme (or a component signature) is scored only with at least this many genes
MIN_GENES = 3
#: fewest samples: scores are relative to the cohort's own spread
MIN_SAMPLES = 3
#: other genes kept as the per-sample background besides the programme genes
MAX_BACKGROUND = 2000
#: gene-bootstrap replicates behind each uncertainty
N_BOOT = 40
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Programme:
    """A scored programme: components (gene sets), each with genes and signed weights."""

    name: str
    title: str
    components: tuple[tuple[str, tuple[str, ...], tuple[float, ...]], ...]
    citations: tuple[str, ...]


@dataclass(frozen=True)
class Stratification:
    """Predictions (one row per sample), gene coverage per programme, and what was done."""

    predictions: pd.DataFrame
    coverage: pd.DataFrame
    messages: tuple[str, ...]
    contributions: dict[str, pd.DataFrame] = field(default_factory=dict)


def _data(name: str) -> Path:
    return Path(str(resources.files("senotwin.sc") / "data" / name))


@lru_cache(maxsize=1)
def config() -> dict[str, Any]:
    """The stratify rule: programmes, ici_benefit signs, strategy constants, baselines."""
    return dict(read_yaml(_data("stratify.yaml"), what="stratify rule"))


@lru_cache(maxsize=1)
def programmes() -> dict[str, Programme]:
    """The four programmes with their gene sets (signature genes upper-cased for matching)."""
    out: dict[str, Programme] = {}
    for name, entry in config()["programmes"].items():
        comps: list[tuple[str, tuple[str, ...], tuple[float, ...]]] = []
        cites: list[str] = []
        if "groups" in entry:
            genes = tuple(g.upper() for grp in entry["groups"] for g in grp["genes"])
            comps.append((name, genes, tuple(1.0 for _ in genes)))
            cites.extend(" ".join(str(grp["citation"]).split()) for grp in entry["groups"])
        else:
            for sig_name in entry["signatures"]:
                sig = get_signature(sig_name)
                comps.append((sig_name, tuple(g.upper() for g in sig.genes), sig.weights))
            cites.append(" ".join(str(entry["citation"]).split()))
        out[name] = Programme(name, str(entry["title"]), tuple(comps), tuple(cites))
    return out


def programme_table() -> pd.DataFrame:
    """One row per programme gene group: genes and citation (for docs, reports and --json)."""
    rows = []
    for name, entry in config()["programmes"].items():
        for grp in entry.get("groups", []):
            rows.append(
                {
                    "programme": name,
                    "group": grp["name"],
                    "genes": ", ".join(grp["genes"]),
                    "citation": " ".join(str(grp["citation"]).split()),
                }
            )
        if "signatures" in entry:
            rows.append(
                {
                    "programme": name,
                    "group": "shipped signatures",
                    "genes": ", ".join(entry["signatures"]),
                    "citation": " ".join(str(entry["citation"]).split()),
                }
            )
    return pd.DataFrame(rows)


# ---- input scale ----------------------------------------------------------------------------
def normalise_bulk(
    x: FloatArray, *, where: str = "the expression matrix"
) -> tuple[FloatArray, str]:
    """Bring a samples × genes matrix onto a log2(TPM/CPM + 1)-like scale; say what was seen.

    Detected: raw counts (non-negative integers: per-sample CPM over the given genes, log2 +1),
    linear TPM/FPKM (non-negative, maximum > 50: log2 +1), log values with a tiny pseudo-count
    (negative minimum, e.g. log2(TPM + 0.001): re-expressed as log2(2^x + 1)), per-gene centred
    or z-scored values (used as is), and log values (used as is).
    """
    x = np.asarray(x, dtype=np.float64)
    lo, hi = float(x.min()), float(x.max())
    if lo < 0:
        spread = float(np.median(x.std(axis=0)))
        if float(np.median(np.abs(x.mean(axis=0)))) < 0.05 * max(spread, 1e-12):
            return x, "per-gene centred/z-scored values detected: used as is"
    is_int = bool(np.all(x == np.round(x)))
    if lo >= 0 and is_int and hi > 1:
        lib = x.sum(axis=1)
        lib[lib == 0] = 1.0
        return np.log2(x / lib[:, None] * 1e6 + 1.0), (
            "integer counts detected: counts per million over the given genes, log2(CPM + 1)"
        )
    if lo >= 0 and hi > 50:
        return np.log2(x + 1.0), "linear values (TPM/FPKM-like, maximum > 50) detected: log2(x + 1)"
    if lo < 0:
        if hi > 40:
            raise ValidationError(
                f"{where}: values range from {lo:g} to {hi:g}; negative values with a maximum "
                "above 40 are neither log-scale nor z-scores. Give counts, TPM, log2 values or "
                "per-gene z-scores"
            )
        return np.log2(np.exp2(x) + 1.0), (
            f"log values with a small pseudo-count detected (minimum {lo:.3g}): re-expressed as "
            "log2(2^x + 1)"
        )
    return x, "log-scale values detected (maximum <= 50): used as is"


def normal_scores(x: FloatArray) -> FloatArray:
    """Per gene (column): ranks across samples mapped to standard-normal quantiles (ties share
    their average rank). Invariant to any increasing per-gene transform: log base, pseudo-count,
    centring or z-scoring give the same scores. Vectorised over genes (one row sort each)."""
    from scipy.special import ndtri

    n, g = x.shape
    xt = np.ascontiguousarray(x.T)
    order = np.argsort(xt, axis=1)
    srt = np.take_along_axis(xt, order, axis=1)
    new = np.empty(srt.shape, dtype=bool)
    new[:, 0] = True
    np.not_equal(srt[:, 1:], srt[:, :-1], out=new[:, 1:])
    flat = new.ravel()
    first = np.flatnonzero(flat)  # flat index where each run of tied values starts
    run = np.cumsum(flat) - 1
    length = np.diff(np.append(first, flat.size))
    avg_rank = (first % n) + (length - 1) / 2.0 + 1.0
    q = ndtri((avg_rank - 0.5) / n)
    out = np.empty((g, n))
    np.put_along_axis(out, order, q[run].reshape(g, n), axis=1)
    return np.ascontiguousarray(out.T)


def _check_matrix(x: FloatArray, samples: Sequence[str], genes: Sequence[str], where: str) -> None:
    """One clear error per unusable input: NaN, duplicated names, too few or constant samples."""
    bad = ~np.isfinite(x)
    if bad.any():
        r, c = (int(i) for i in np.argwhere(bad)[0])
        raise ValidationError(
            f"{where} has {int(bad.sum())} missing (NaN) or infinite value(s) (first: sample "
            f"{samples[r]!r}, gene {genes[c]!r}); impute or remove them before stratifying"
        )
    seen: dict[str, str] = {}
    for g in genes:
        key = g.upper()
        if key in seen:
            raise ValidationError(
                f"{where}: gene {g!r} appears more than once (as {seen[key]!r} and {g!r}); "
                "sum or drop duplicated genes first"
            )
        seen[key] = g
    if len(set(samples)) != len(samples):
        dup = sorted({s for s in samples if list(samples).count(s) > 1})
        raise ValidationError(f"{where}: duplicated sample names {dup[:5]}")
    if x.shape[0] < MIN_SAMPLES:
        raise ValidationError(
            f"{where} has {x.shape[0]} sample(s); stratify scores samples relative to each "
            f"other and needs at least {MIN_SAMPLES}"
        )
    flat = np.ptp(x, axis=1) == 0
    if flat.any():
        names = [samples[int(i)] for i in np.flatnonzero(flat)]
        raise ValidationError(
            f"{where}: {len(names)} sample(s) have the same value for every gene "
            f"({', '.join(names[:5])}); a constant sample carries no expression information"
        )


# ---- scoring ---------------------------------------------------------------------------------
def _weight_columns(
    progs: Mapping[str, Programme], index: Mapping[str, int], n_genes: int
) -> tuple[FloatArray, list[tuple[str, str]], pd.DataFrame]:
    """Genes × (programme, component) weights, the column labels, and gene coverage."""
    cols: list[FloatArray] = []
    labels: list[tuple[str, str]] = []
    cov = []
    for p in progs.values():
        n_all = n_found = 0
        missing: list[str] = []
        usable = 0
        for comp, genes, weights in p.components:
            w = np.zeros(n_genes)
            found = 0
            for g, wt in zip(genes, weights, strict=True):
                i = index.get(g)
                if i is None:
                    missing.append(g)
                else:
                    w[i] = wt
                    found += 1
            n_all += len(genes)
            n_found += found
            if found >= MIN_GENES:
                cols.append(w)
                labels.append((p.name, comp))
                usable += 1
        cov.append(
            {
                "programme": p.name,
                "n_genes": n_all,
                "n_found": n_found,
                "scored": usable > 0,
                "missing": ",".join(missing[:40]) + (" …" if len(missing) > 40 else ""),
            }
        )
    w_mat = np.column_stack(cols) if cols else np.zeros((n_genes, 0))
    return w_mat, labels, pd.DataFrame(cov).set_index("programme")


def _scored_genes(
    logx: FloatArray, genes: list[str], progs: Mapping[str, Programme]
) -> tuple[FloatArray, list[str]]:
    """The programme genes present plus up to ``MAX_BACKGROUND`` other genes, evenly spaced in
    input order: the background each sample's scores are taken against. Inputs with fewer genes
    than that are used whole; for 20,000-gene inputs it keeps the work proportional."""
    wanted = {g for p in progs.values() for _, gs, _ in p.components for g in gs}
    mine = [i for i, g in enumerate(genes) if g.upper() in wanted]
    others = [i for i, g in enumerate(genes) if g.upper() not in wanted]
    if len(others) <= MAX_BACKGROUND:
        return logx, genes
    step = len(others) / MAX_BACKGROUND
    keep = sorted(mine + [others[int(k * step)] for k in range(MAX_BACKGROUND)])
    return logx[:, keep], [genes[i] for i in keep]


def _bootstrap_weights(w: FloatArray, n_boot: int, rng: np.random.Generator) -> FloatArray:
    """Each column's genes resampled with replacement ``n_boot`` times (genes × cols·n_boot)."""
    out = np.zeros((w.shape[0], w.shape[1] * n_boot))
    for j in range(w.shape[1]):
        idx = np.flatnonzero(w[:, j])
        for b in range(n_boot):
            pick = rng.choice(idx, size=idx.size, replace=True)
            np.add.at(out[:, j * n_boot + b], pick, w[pick, j])
    return out


def _standardise(v: FloatArray) -> FloatArray:
    """Columns to mean 0, SD 1 across samples (a constant column becomes 0)."""
    sd = v.std(axis=0, ddof=0)
    return np.divide(v - v.mean(axis=0), sd, out=np.zeros_like(v), where=sd > 0)


def _combine(raw: FloatArray, labels: list[tuple[str, str]]) -> dict[str, FloatArray]:
    """Component scores -> programme z-scores (mean of standardised components, restandardised)."""
    z = _standardise(raw)
    out: dict[str, FloatArray] = {}
    for name in PROGRAMMES:
        cols = [j for j, (p, _) in enumerate(labels) if p == name]
        if cols:
            out[name] = _standardise(z[:, cols].mean(axis=1, keepdims=True))[:, 0]
    return out


def _outputs(prog: Mapping[str, FloatArray], n: int) -> dict[str, FloatArray]:
    """ici_benefit and the strategy benefits from programme z-scores (the documented rule)."""
    signs: dict[str, float] = {k: float(v) for k, v in config()["ici_benefit"].items()}
    terms = [signs[k] * prog[k] for k in signs if k in prog]
    ici = np.mean(terms, axis=0) if terms else np.full(n, np.nan)
    k = len(terms) or 1
    consts = {name: float(c["value"]) for name, c in config()["strategies"].items()}
    zero = np.zeros(n)
    stim_excess = np.maximum(prog.get("sasp_stimulatory", zero), 0.0)
    supp_excess = np.maximum(prog.get("sasp_suppressive", zero), 0.0)
    attributable = 1.0 / (1.0 + np.exp(-prog.get("senescence", zero)))
    senomorphic = (
        ici
        + (
            consts["senomorphic_block_suppressive"] * supp_excess
            - consts["senomorphic_block_stimulatory"] * stim_excess
        )
        / k
    )
    senolytic = ici + consts["senolytic_clearance"] * attributable * (supp_excess - stim_excess) / k
    return {
        "ici_benefit": ici,
        "benefit_ici_alone": ici,
        "benefit_senomorphic_ici": senomorphic,
        "benefit_senolytic_then_ici": senolytic,
    }


def stratify(
    x: Any,
    genes: Sequence[str],
    samples: Sequence[str],
    *,
    where: str = "the expression matrix",
    n_boot: int = N_BOOT,
    seed: int = 0,
    rank_genes: bool = True,
) -> Stratification:
    """Stratify a samples × genes matrix (any scale) with the shipped rule; see module docstring."""
    check_seed(seed)
    x = x.toarray() if sp.issparse(x) else np.asarray(x, dtype=np.float64)
    genes = [str(g) for g in genes]
    samples = [str(s) for s in samples]
    if x.shape != (len(samples), len(genes)):
        raise ValidationError(
            f"{where}: matrix is {x.shape[0]} × {x.shape[1]} but {len(samples)} sample and "
            f"{len(genes)} gene names were given"
        )
    _check_matrix(x, samples, genes, where)
    logx, scale_msg = normalise_bulk(x, where=where)
    progs = programmes()
    logx, genes = _scored_genes(logx, genes, progs)
    index = {g.upper(): i for i, g in enumerate(genes)}
    w, labels, coverage = _weight_columns(progs, index, len(genes))
    messages = [scale_msg]
    if not labels:
        raise ValidationError(
            f"{where}: none of its {len(genes)} genes overlaps the stratify programmes enough "
            f"(need >= {MIN_GENES} genes of a programme; found "
            + ", ".join(f"{n}: {int(r.n_found)}" for n, r in coverage.iterrows())
            + "). Use HGNC human gene symbols"
        )
    reads = list(config()["ici_benefit"])
    if not any(p in reads for p, _ in labels):  # ici_benefit and every strategy would be NaN
        raise ValidationError(
            f"{where}: ici_benefit reads the programmes {', '.join(reads)} and none has enough "
            f"genes in the data (need >= {MIN_GENES}; found "
            + ", ".join(
                f"{n}: {int(coverage.loc[n, 'n_found'])} of {int(coverage.loc[n, 'n_genes'])}"
                for n in reads
            )
            + "); give the immune and SASP genes (HGNC symbols; `senotwin stratify` reads "
            "bulk tumour transcriptomes)"
        )
    for name, row in coverage.iterrows():
        if not row["scored"]:
            messages.append(
                f"warning: programme {name} has too few genes in the data ({int(row.n_found)} of "
                f"{int(row.n_genes)}; need >= {MIN_GENES}): left out (NaN)"
            )
    if rank_genes:
        logx = normal_scores(logx)
        messages.append("each gene rank-transformed across samples to normal scores")
    stats = gene_stats(logx)
    uniform = np.ones((logx.shape[1], 1)) / logx.shape[1]

    def score(weights: FloatArray) -> FloatArray:
        ctrl = uniform * weights.sum(axis=0, keepdims=True)
        return mean_z(logx, weights, stats=stats, controls=ctrl)

    rng = np.random.default_rng(seed)
    both = score(np.hstack([w, _bootstrap_weights(w, n_boot, rng)]))
    prog = _combine(both[:, : w.shape[1]], labels)
    outs = _outputs(prog, len(samples))
    boot_raw = both[:, w.shape[1] :]
    reps: dict[str, list[FloatArray]] = {}
    for b in range(n_boot):
        pb = _combine(boot_raw[:, [j * n_boot + b for j in range(len(labels))]], labels)
        for key, val in {**pb, **_outputs(pb, len(samples))}.items():
            reps.setdefault(key, []).append(val)
    table: dict[str, Any] = {}
    for key in ("ici_benefit", *PROGRAMMES, *(f"benefit_{s}" for s in STRATEGIES)):
        value = outs.get(key, prog.get(key, np.full(len(samples), np.nan)))
        table[key] = value
        sd = np.std(reps[key], axis=0, ddof=1) if key in reps else np.full(len(samples), np.nan)
        table[f"{key}_sd"] = sd
    pred = pd.DataFrame(table, index=pd.Index(samples, name="sample"))
    bens = pred[[f"benefit_{s}" for s in STRATEGIES]].to_numpy()
    pred["best_strategy"] = [STRATEGIES[i] for i in best_strategy_index(bens)]
    contributions = _gene_contributions(logx, stats.mean, stats.std, w, labels, genes)
    pred["evidence"] = _evidence(prog, contributions)
    return Stratification(pred, coverage, tuple(messages), contributions)


def genes_found_line(coverage: pd.DataFrame) -> str:
    """``genes found per programme: NAME n/m, ...`` for a :class:`Stratification`'s coverage."""
    return "genes found per programme: " + ", ".join(
        f"{n} {int(r.n_found)}/{int(r.n_genes)}" for n, r in coverage.iterrows()
    )


def best_strategy_index(benefits: FloatArray) -> list[int]:
    """Per row, the strategy with the highest benefit; benefits equal to within 1e-9 (the
    add-ons predicted to add nothing) go to the one listed first in :data:`STRATEGIES`, the
    one with fewer drugs, never to whichever rounding favours."""
    b = np.where(np.isnan(benefits), -np.inf, benefits)  # an unscored strategy never wins
    best = b.max(axis=1, keepdims=True)
    tied = b >= best - 1e-9 * np.maximum(1.0, np.abs(best))
    return [int(i) for i in np.argmax(tied, axis=1)]


def _gene_contributions(
    logx: FloatArray,
    mean: FloatArray,
    std: FloatArray,
    w: FloatArray,
    labels: list[tuple[str, str]],
    genes: Sequence[str],
) -> dict[str, pd.DataFrame]:
    """Per programme: samples × genes of weight · z (what pushed each sample's score)."""
    inv = np.divide(1.0, std, out=np.zeros_like(std), where=std > 0)
    out: dict[str, pd.DataFrame] = {}
    for name in PROGRAMMES:
        cols = [j for j, (p, _) in enumerate(labels) if p == name]
        if not cols:
            continue
        wp = w[:, cols].sum(axis=1)
        idx = np.flatnonzero(wp)
        z = (logx[:, idx] - mean[idx]) * inv[idx] * np.sign(wp[idx])
        out[name] = pd.DataFrame(z, columns=[genes[int(i)] for i in idx])
    return out


def _evidence(prog: Mapping[str, FloatArray], contrib: Mapping[str, pd.DataFrame]) -> list[str]:
    """Per sample: the two ici_benefit terms that moved it most, each with its top three genes."""
    signs = {k: float(v) for k, v in config()["ici_benefit"].items() if k in prog}
    n = len(next(iter(prog.values())))
    values = np.column_stack([signs[k] * prog[k] for k in signs])
    order = np.argsort(-np.abs(values), axis=1, kind="stable")[:, :2]
    names = list(signs)
    tops: dict[str, list[list[str]]] = {}
    for k in names:
        arr = contrib[k].to_numpy() * np.where(prog[k] < 0, -1.0, 1.0)[:, None]
        idx = np.argsort(-arr, axis=1, kind="stable")[:, :3]
        cols = np.asarray(contrib[k].columns)
        tops[k] = [list(cols[r]) for r in idx]
    out = []
    for i in range(n):
        parts = []
        for j in order[i]:
            k = names[int(j)]
            c = values[i, j] / len(signs)
            level = "high" if prog[k][i] > 0 else "low"
            genes = ", ".join(tops[k][i])
            parts.append(f"{k} {level} ({prog[k][i]:+.2f}) -> {c:+.2f} [{genes}]")
        out.append("; ".join(parts))
    return out


def stratify_frame(df: pd.DataFrame, **kwargs: Any) -> Stratification:
    """Stratify a samples × genes DataFrame (index = sample names, columns = genes)."""
    return stratify(
        df.to_numpy(dtype=np.float64),
        [str(c) for c in df.columns],
        [str(i) for i in df.index],
        **kwargs,
    )
