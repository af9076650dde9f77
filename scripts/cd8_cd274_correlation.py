"""Pre-treatment CD8 vs CD274 (PD-L1) Spearman in the shared expression cohorts: the data target.

Adaptive resistance (T-cell IFN-gamma induces PD-L1 on the tumour) makes CD8 infiltration and
PD-L1 rise together. This prints, per checkpoint cohort (shared ``ici`` folder, the curated
pre-treatment bulk RNA-seq), Spearman's rho of CD274 against CD8A and against the CD8 score
(``senotwin.trial.ici_data.CD8_GENES``), the melanoma anti-PD-1 pool (within-cohort ranks), and
TCGA primary tumours (``senotwin.trial.tissue.tcga_contexture``: per type and pooled within
type). Bulk CD274 mRNA counts macrophage and dendritic-cell PD-L1 too, so the same rho is also
given partial on the macrophage marker CD68 (Spearman on ranks, CD68 regressed out): the part
of the correlation that myeloid infiltration does not carry. Session 20 (pdl1b), issue 11.

    python scripts/cd8_cd274_correlation.py [ICI_DIR] [TCGA_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from senotwin.sc.stratify_cohorts import load_tcga
from senotwin.trial.ici_data import CD8_GENES, ICI_DATA, PDL1_GENE
from senotwin.trial.tissue import tcga_contexture

COHORTS = ("liu", "hugo", "riaz", "van_allen", "nathanson", "miao", "padron")
MELANOMA_PD1 = ("liu", "hugo", "riaz")
MYELOID = "CD68"


def partial_rho(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> float:
    """Spearman's rho of x and y partial on z (Pearson of the rank residuals after z's ranks)."""
    rx, ry, rz = (stats.rankdata(v) for v in (x, y, z))
    res = [r - np.polyval(np.polyfit(rz, r, 1), rz) for r in (rx, ry)]
    return float(np.corrcoef(*res)[0, 1])


def cohort_rows(root: Path) -> tuple[list[str], pd.DataFrame]:
    """One line per ICI cohort and the melanoma anti-PD-1 pool's within-cohort ranks."""
    lines, pool = [], []
    for name in COHORTS:
        expr = pd.read_csv(root / f"{name}_expr_log2tpm.csv.gz", index_col=0)
        score = expr.loc[list(CD8_GENES)].mean(axis=0)
        pdl1, cd8a = expr.loc[PDL1_GENE], expr.loc["CD8A"]
        r_a = stats.spearmanr(cd8a, pdl1)
        r_s = stats.spearmanr(score, pdl1)
        part = partial_rho(score.to_numpy(), pdl1.to_numpy(), expr.loc[MYELOID].to_numpy())
        lines.append(
            f"{name}: n {expr.shape[1]}; rho CD8A-CD274 {r_a.statistic:.3f} (p {r_a.pvalue:.2g}); "
            f"rho CD8 score-CD274 {r_s.statistic:.3f} (p {r_s.pvalue:.2g}); partial on "
            f"{MYELOID} {part:.3f}"
        )
        if name in MELANOMA_PD1:
            n = expr.shape[1]
            pool.append(
                pd.DataFrame(
                    {
                        "cd8a": stats.rankdata(cd8a) / n,
                        "score": stats.rankdata(score) / n,
                        "pdl1": stats.rankdata(pdl1) / n,
                    }
                )
            )
    return lines, pd.concat(pool, ignore_index=True)


def main(argv: list[str]) -> int:
    ici = Path(argv[1]) if len(argv) > 1 else ICI_DATA
    tcga = Path(argv[2]) if len(argv) > 2 else ICI_DATA.parent / "tcga"
    lines, pool = cohort_rows(ici)
    print("\n".join(lines))
    print(
        f"melanoma anti-PD-1 pool ({'+'.join(MELANOMA_PD1)}, within-cohort ranks, n {len(pool)}):"
        f" rho CD8A-CD274 {stats.spearmanr(pool['cd8a'], pool['pdl1']).statistic:.3f}; "
        f"rho CD8 score-CD274 {stats.spearmanr(pool['score'], pool['pdl1']).statistic:.3f}"
    )
    tpm, clin = load_tcga(tcga)
    table = tcga_contexture(tpm.T, clin["cancer_type"], "SKCM")
    for t in ("SKCM", "LUAD", "LUSC", "BRCA", "KIRC", "pooled"):
        row = table.loc[t]
        print(f"TCGA {t}: n {int(row['n'])}; rho CD8A/CD8B-CD274 {row['spearman']:.3f}")
    types = clin["cancer_type"]
    per_type = table.drop(index="pooled")["spearman"]
    print(
        f"TCGA per-type rho: median {per_type.median():.3f}, IQR {per_type.quantile(0.25):.3f}-"
        f"{per_type.quantile(0.75):.3f} over {len(per_type)} types (18 tumours each)"
    )
    cd8 = np.log(tpm[["CD8A", "CD8B"]] + 0.5).mean(axis=1)
    ranks = [
        v.groupby(types).rank(pct=True).to_numpy() for v in (cd8, tpm[PDL1_GENE], tpm[MYELOID])
    ]
    print(f"TCGA pooled within type, partial on {MYELOID}: {partial_rho(*ranks):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
