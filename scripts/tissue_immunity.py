"""Measure the tissue immunity numbers of ``trial/data/tissues/immunity.yaml`` (issue 13).

From the shared data: the melanoma reference (Liu 2019 cohort: median nonsynonymous mutations
per exome and per Mb), the ccRCC one (Miao 2018 cohort, patients with a non-zero count) and, on
the 594 TCGA tumours (18 per type; LUAD, LUSC, BRCA, KIRC, PAAD printed), baseline CD8
infiltration relative to melanoma (SKCM), its spread, the CD8-PD-L1 Spearman correlation per
type and pooled within type, and the Treg load per CD8 (FOXP3 / CD8) relative to melanoma.
Prints them beside the shipped values.

    python scripts/tissue_immunity.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from senotwin.trial.tissue import tcga_contexture, tissues


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="../shared/data", help="the shared data folder")
    args = ap.parse_args()
    data = Path(args.data)
    liu = pd.read_csv(data / "ici" / "liu_clinical.csv.gz")
    print(
        f"melanoma (Liu 2019, n={liu['nonsyn_muts'].notna().sum()}): median nonsynonymous "
        f"mutations {liu['nonsyn_muts'].median():g}, per Mb {liu['nsTMB_perMb'].median():.3g}"
    )
    tpm = pd.read_csv(data / "tcga" / "tcga_pancancer_594_tpm.csv.gz", index_col=0)
    clin = pd.read_csv(data / "tcga" / "tcga_pancancer_594_clinical.csv")
    types = clin.set_index("bcr_patient_barcode")["cancer_type"]
    table = tcga_contexture(tpm, types, "SKCM")
    print(
        table.loc[["SKCM", "LUAD", "LUSC", "BRCA", "KIRC", "PAAD", "pooled"]].round(4).to_string()
    )
    miao = pd.read_csv(data / "ici" / "miao_clinical.csv.gz")
    sequenced = miao[miao["nsTMB_raw"] > 0]  # zero counts: not in the curated table
    print(
        f"ccRCC (Miao 2018, {len(sequenced)} of {len(miao)} with a non-zero count): median "
        f"nonsynonymous mutations {sequenced['nsTMB_raw'].median():g}, per Mb "
        f"{sequenced['nsTMB_perMb'].median():.3g}"
    )
    for t in tissues().values():
        print(
            f"shipped {t.id}: antigenicity {t.antigenicity:g}, CD8 x{t.cd8_relative:g} "
            f"(sigma {t.cd8_sigma:g}), Spearman {t.cd8_pdl1_spearman:g} -> copula rho "
            f"{t.cd8_pdl1_rho:.3f}, Tregs per CD8 x{t.treg_relative:g}"
        )


if __name__ == "__main__":
    main()
