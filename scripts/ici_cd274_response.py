"""Response to anti-PD-1 by tumour PD-L1: the melanoma cohorts' CD274 against the virtual cohort.

Prints, from the shipped ICI extract, each cohort's and each pool's response by CD274 (PD-L1)
expression tertile with the odds ratio per log2(TPM + 1) and its bootstrap CI
(``senotwin.trial.ici_data``), then the virtual liu2019 cohort at the shipped fit (evaluation:
nothing is fitted to CD274) by tertile of its patients' tumour PD-L1 per cancer cell, with the
AUC of PD-L1 for responders in both (scale-free: the data's bulk mRNA and the model's per-cell
molecules are different quantities). Session 19, issue 11 (docs/qsp-model.md).

    python scripts/ici_cd274_response.py [N] [SEED]    # virtual patients, default 1000, seed 1
"""

from __future__ import annotations

import sys

import numpy as np
from scipy import stats

from senotwin.trial.ici_cohort import (
    CohortDesign,
    VirtualCohort,
    biopsy_pdl1_summary,
    tertile_of,
)
from senotwin.trial.ici_data import load_extract
from senotwin.trial.ici_fit import FIT_REGIMEN, RULES, shared, split, stored_values


def _line(name: str, block: dict[str, object]) -> str:
    tert = ", ".join(f"{t['responders']}/{t['n']}" for t in block["tertiles"])  # type: ignore[attr-defined]
    low, high = block["odds_ratio_ci"]  # type: ignore[misc]
    return (
        f"{name}: n {block['patients']}, responders by CD274 tertile {tert}; OR per log2 "
        f"{block['odds_ratio_per_log2']} ({low}-{high if high is not None else 'open'}); "
        f"AUC {block['auc_responders']} (Mann-Whitney p {block['mannwhitney_p']})"
    )


def virtual(n: int, seed: int) -> str:
    """The virtual liu2019 cohort at the shipped fit, by tertile of tumour PD-L1 per cell."""
    values = stored_values()
    centres, spreads = split(values)
    design = CohortDesign(regimen=FIT_REGIMEN, n=n, seed=seed, rules=RULES)
    rows = VirtualCohort(design).simulate(centres, spreads, shared(values))
    ok = rows[rows["plausible"] & rows["best_response"].isin(("CR", "PR", "SD", "PD"))]
    x = np.log2(ok["p_PDL1_per_C"].to_numpy(float))
    y = ok["best_response"].isin(("CR", "PR")).to_numpy()
    ter = tertile_of(x)
    test = stats.mannwhitneyu(x[y], x[~y])
    tert = ", ".join(f"{int(y[ter == k].sum())}/{int((ter == k).sum())}" for k in range(3))
    s = biopsy_pdl1_summary(rows)
    lo, mid, hi = s["induction_fold"]  # type: ignore[misc]
    biopsy = ", ".join(f"{r}/{m}" for r, m in s["responders_by_pdl1"])  # type: ignore[attr-defined]
    return (
        f"virtual liu2019 cohort (n {n}, seed {seed}; {len(ok)} plausible): responders by PD-L1 "
        f"trait tertile {tert}; AUC {test.statistic / (y.sum() * (~y).sum()):.3f} (Mann-Whitney "
        f"p {test.pvalue:.3g}); Spearman biopsy CD8 vs PD-L1 trait {s['spearman_trait']:.2f}, vs "
        f"biopsy PD-L1 (IFN-gamma-induced) {s['spearman_biopsy']:.2f}; induction x{mid:.2f} "
        f"(5-95 % {lo:.2f}-{hi:.2f}); responders by biopsy PD-L1 tertile {biopsy}"
    )


def main(argv: list[str]) -> int:
    extract = load_extract()
    for name, c in extract["cohorts"].items():
        if "cd274" in c:  # survival-only cohorts (padron) have no response to relate
            print(_line(name, c["cd274"]))
    for name, block in extract["cd274_pools"].items():
        print(_line(f"{name} ({'+'.join(block['cohorts'])})", block))
    n = int(argv[1]) if len(argv) > 1 else 1000
    seed = int(argv[2]) if len(argv) > 2 else 1
    print(virtual(n, seed))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
