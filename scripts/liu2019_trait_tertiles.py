"""Response by tertile of a patient trait: the Liu 2019 cohort by mutation load, the liu2019 fit's
virtual patients by their antigen-specific precursors and other traits.

Diagnosis only: nothing is fitted. The fit (``trial.ici_fit``) scores response by tertile of a CD8
score; whether the model carries the antigen dependence the cohort shows is not part of it.
This prints the observed objective response (CR + PR) by tertile of the nonsynonymous mutation
count (``--data``'s Liu clinical table), and the virtual cohorts of the stored fit (its record's
values, size and seeds) by tertile of ``N_ag`` (the precursor count the tissue transfer scales
with mutation load), per-CTL kill, the untreated doubling and the biopsy CD8 score; each tertile
is taken within its seed's cohort. Read the gaps in points per unit of ln: the cohort's trait
spans its own spread (the mutation count's SD of ln), the model's that of its fitted spread.

    python scripts/liu2019_trait_tertiles.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from senotwin.trial.ici_cohort import tertile_of
from senotwin.trial.ici_fit import IciObjective, shared, split, stored_fit, stored_values

#: the virtual patients' traits read by tertile (row column: label)
TRAITS = {
    "p_N_ag": "antigen-specific precursors N_ag",
    "p_k_kill": "per-CTL kill",
    "doubling_days": "untreated doubling",
    "cd8_score": "biopsy CD8 score",
}


def observed(data: Path) -> None:
    """The Liu cohort's response by nonsynonymous-mutation tertile."""
    liu = pd.read_csv(data / "ici" / "liu_clinical.csv.gz")
    liu = liu[liu["recist"].isin(["CR", "PR", "SD", "PD"]) & liu["nonsyn_muts"].notna()]
    resp = liu["recist"].isin(["CR", "PR"]).to_numpy()
    load = np.log(liu["nonsyn_muts"].to_numpy(float))
    ter = tertile_of(load)
    rates = [f"{resp[ter == k].sum()}/{(ter == k).sum()}" for k in range(3)]
    rho = stats.spearmanr(load, resp)
    print(
        f"Liu 2019 (n {len(liu)}): responders by nonsynonymous-mutation tertile "
        f"{', '.join(rates)}; "
        f"Spearman {rho.statistic:.2f} (p {rho.pvalue:.3f}); SD of ln {load.std(ddof=1):.2f}"
    )


def simulated() -> None:
    """The stored fit's virtual cohorts by trait tertile."""
    record = stored_fit()
    values = stored_values()
    seeds = [int(s) for s in record.get("seeds") or [record["seed"]]]
    frames = []
    for seed in seeds:
        cohort = IciObjective(n=int(record["virtual_patients"]), seed=seed).cohort
        centres, spreads = split(values)
        rows = cohort.simulate(centres, spreads, shared(values))
        ok = rows[rows["plausible"] & rows["best_response"].isin(["CR", "PR", "SD", "PD"])]
        frames.append(ok.assign(seed=seed))
    cohorts = pd.concat(frames, ignore_index=True)
    resp = cohorts["best_response"].isin(["CR", "PR"])
    print(f"liu2019 fit (seeds {seeds}, {len(cohorts)} plausible virtual patients): ORR % by")
    for column, label in TRAITS.items():
        ter = np.concatenate(
            [tertile_of(g[column].to_numpy(float)) for _, g in cohorts.groupby("seed", sort=False)]
        )
        rates = [f"{100 * resp[ter == k].mean():.1f}" for k in range(3)]
        rho = stats.spearmanr(cohorts[column], resp)
        print(f"  tertile of {label}: {' / '.join(rates)}  (Spearman {rho.statistic:.2f})")
    print(f"  SD of ln N_ag: {np.log(cohorts['p_N_ag']).std(ddof=1):.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="../shared/data", help="the shared data folder")
    args = ap.parse_args()
    observed(Path(args.data))
    simulated()


if __name__ == "__main__":
    main()
