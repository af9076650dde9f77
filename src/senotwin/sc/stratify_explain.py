"""Per-sample explanation of a stratify call: a PNG (programme bars, top genes) and an HTML page."""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd

from senotwin._io import (
    atomic_remove,
    atomic_write_figure,
    atomic_write_text,
    ensure_writable_dir,
)
from senotwin.sc.stratify import PROGRAMMES, STRATEGIES, Stratification

__all__ = ["write_explanations"]


def _safe(name: str) -> str:
    """A file-name-safe version of a sample name (unique suffix added by the caller)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:80] or "sample"


def _figure(result: Stratification, i: int, path: Path) -> Path:
    from matplotlib.figure import Figure

    row = result.predictions.iloc[i]
    fig = Figure(figsize=(8.5, 3.4))
    ax = fig.add_subplot(1, 2, 1)
    names = [p for p in PROGRAMMES if np.isfinite(row[p])]
    vals = [float(row[p]) for p in names]
    errs = [float(row[f"{p}_sd"]) for p in names]
    ax.barh(names, vals, xerr=errs, color=["C2" if v >= 0 else "C3" for v in vals])
    ax.axvline(0, color="grey", lw=0.8)
    # the whiskers and the score's uncertainty went unexplained in the PNG (audit s51)
    ax.set_xlabel("programme z-score (vs this cohort); whiskers ± gene-bootstrap SD", fontsize=8)
    ax.tick_params(labelsize=8)
    ax.set_title(
        f"{row.name}: ici_benefit {row['ici_benefit']:+.2f} ± {row['ici_benefit_sd']:.2f}",
        fontsize=9,
    )
    ax2 = fig.add_subplot(1, 2, 2)
    genes: list[str] = []
    gvals: list[float] = []
    for p in ("immune_infiltration", "sasp_stimulatory", "sasp_suppressive"):
        if p not in result.contributions:
            continue
        c = result.contributions[p].iloc[i]
        top = c.reindex(c.abs().sort_values(ascending=False).index[:4])
        genes.extend(f"{g} ({p.split('_')[-1]})" for g in top.index)
        gvals.extend(float(v) for v in top.to_numpy())
    ax2.barh(genes[::-1], gvals[::-1], color=["C2" if v >= 0 else "C3" for v in gvals[::-1]])
    ax2.axvline(0, color="grey", lw=0.8)
    ax2.set_xlabel("gene z-score (top genes per programme)", fontsize=8)
    ax2.tick_params(labelsize=7)
    fig.tight_layout()
    return atomic_write_figure(fig, path, dpi=100)


def _page(result: Stratification, i: int, png: str) -> str:
    row = result.predictions.iloc[i]
    cells = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{row[k]:+.3f}</td><td>± {row[k + '_sd']:.3f}</td></tr>"
        for k in ("ici_benefit", *PROGRAMMES, *(f"benefit_{s}" for s in STRATEGIES))
        if np.isfinite(row[k])
    )
    name = html.escape(str(row.name))
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{name}</title></head><body>"
        f"<h1>senotwin stratify: {name}</h1>"
        f"<p>Best strategy by the documented rule: <b>{html.escape(row['best_strategy'])}</b>. "
        "Scores are z-scores relative to the other samples of the same input; ± is the "
        "gene-bootstrap SD.</p>"
        f"<p>Evidence: {html.escape(row['evidence'])}</p>"
        f"<table border='1' cellpadding='3'><tr><th>output</th><th>value</th><th>uncertainty</th>"
        f"</tr>{cells}</table><p><img src='{html.escape(png)}' alt='programme scores'></p>"
        "<p><a href='index.html'>all samples</a></p></body></html>"
    )


def write_explanations(result: Stratification, folder: str | Path) -> list[Path]:
    """One PNG and one HTML page per sample, plus ``index.html`` linking them (atomic writes)."""
    d = ensure_writable_dir(folder)
    written: list[Path] = []
    used: set[str] = set()
    links = []
    pred: pd.DataFrame = result.predictions
    for i, sample in enumerate(pred.index):
        stem = _safe(str(sample))
        base, k = stem, 1
        while stem in used:
            k += 1
            stem = f"{base}_{k}"
        used.add(stem)
        written.append(_figure(result, i, d / f"{stem}.png"))
        written.append(atomic_write_text(d / f"{stem}.html", _page(result, i, f"{stem}.png")))
        links.append(
            f"<tr><td><a href='{html.escape(stem)}.html'>{html.escape(str(sample))}</a></td>"
            f"<td>{pred['ici_benefit'].iloc[i]:+.2f}</td>"
            f"<td>{html.escape(pred['best_strategy'].iloc[i])}</td></tr>"
        )
    index = (
        "<!doctype html><html><head><meta charset='utf-8'><title>senotwin stratify</title>"
        "</head><body><h1>senotwin stratify: per-sample explanations</h1>"
        "<table border='1' cellpadding='3'><tr><th>sample</th><th>ici_benefit</th>"
        f"<th>best strategy</th></tr>{''.join(links)}</table></body></html>"
    )
    written.append(atomic_write_text(d / "index.html", index))
    _remove_earlier_pages(d, {p.name for p in written})
    atomic_write_text(d / WRITTEN_LIST, "\n".join(p.name for p in written) + "\n")
    return written


#: the files an explanation run wrote, so a later run into the same folder removes the pages of
#: samples it no longer has (scores are relative to the cohort: an earlier cohort's page of a
#: recurring sample name showed another prediction; audit, session 41) and nothing else
WRITTEN_LIST = ".senotwin-explain"


def _remove_earlier_pages(folder: Path, keep: set[str]) -> None:
    """Delete the files an earlier run listed in :data:`WRITTEN_LIST` that this run did not
    write; a file the user put there is never listed, so never touched."""
    listed = folder / WRITTEN_LIST
    if not listed.is_file():
        return
    for name in listed.read_text(encoding="utf-8").split():
        if name not in keep and "/" not in name and name != WRITTEN_LIST:
            atomic_remove(folder / name)  # once this run's pages are in place
