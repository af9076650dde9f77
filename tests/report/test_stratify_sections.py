"""The stratification report section: drawn from an evaluation of synthetic cohorts, or empty."""

from __future__ import annotations

import numpy as np
import pandas as pd

from senotwin.report.stratify_sections import stratify_section
from senotwin.sc.stratify import programmes
from senotwin.sc.stratify_cohorts import Cohort
from senotwin.sc.stratify_eval import evaluate_cohorts


def _cohort(name: str, seed: int, n: int = 24) -> Cohort:
    """Counts where responders carry more immune and stimulatory-SASP expression."""
    rng = np.random.default_rng(seed)
    genes: list[str] = []
    for p in programmes().values():
        for _, gs, _ in p.components:
            genes.extend(g for g in gs if g not in genes)
    genes += ["CD8A", "GZMA", "GZMB", "IFNG", "PRF1", "TBX21", "IDO1", "HLA-DRA", "STAT1"]
    genes = list(dict.fromkeys(genes)) + [f"BG{i}" for i in range(300)]
    resp = np.arange(n) % 2 == 0
    up = set(programmes()["immune_infiltration"].components[0][1]) | {"GZMA", "PRF1", "CD8A"}
    effect = np.array([1.8 if g in up else 1.0 for g in genes])
    rate = rng.lognormal(3.0, 1.0, len(genes)) * np.where(resp[:, None], effect, 1.0)
    counts = rng.poisson(rng.gamma(3.0, rate / 3.0))
    ids = [f"{name}{i}" for i in range(n)]
    clinical = pd.DataFrame(
        {
            "response": np.where(resp, "R", "NR"),
            "recist": np.where(resp, "PR", "PD"),
            "survival_time_os": rng.uniform(1, 30, n),
            "event_occurred_os": rng.integers(0, 2, n),
            "survival_time_pfs": rng.uniform(1, 20, n),
            "event_occurred_pfs": rng.integers(0, 2, n),
        },
        index=ids,
    )
    return Cohort(name, pd.DataFrame(counts, index=ids, columns=genes), clinical)


def test_section_draws_the_sasp_axes_and_the_auroc_table() -> None:
    ev = evaluate_cohorts([_cohort("liu", 1), _cohort("hugo", 2)], n_boot=100)
    s = stratify_section(ev)
    assert s.figures[0].name == "stratify_sasp_axes.png"
    assert s.figures[0].png.startswith(b"\x89PNG")
    table = s.tables[0]
    assert table.columns[:3] == ("cohort", "R/NR", "ici_benefit")
    assert [r[0] for r in table.rows] == ["hugo", "liu", "mean"]
    assert table.highlight == frozenset({2})
    mean_auroc = float(
        ev.summary.set_index(["label", "score"]).loc[("response", "ici_benefit")].iloc[0]
    )
    assert f"{mean_auroc:.3f}" in {st.value for st in s.stats}


def test_section_without_cohorts_says_so() -> None:
    s = stratify_section(None)
    assert not s.figures and "not found" in s.intro
