"""Build the small example expression files shipped in src/senotwin/sc/data/examples/.

Usage: python scripts/make_example_data.py SHARED_DATA_DIR
SHARED_DATA_DIR holds expression/marthandan2016_rs_fibroblasts/ and tcga/ (see the README of
the examples folder for sources and licences). Deterministic: the same input gives the same files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from senotwin.sc.signatures import builtin_signatures

OUT = Path(__file__).resolve().parents[1] / "src" / "senotwin" / "sc" / "data" / "examples"
N_PER_CONDITION = 6
N_BACKGROUND_GENES = 1000
TCGA_PER_TYPE = 6


def signature_genes() -> set[str]:
    return {g.upper() for s in builtin_signatures().values() for g in s.genes}


def fibroblasts(src: Path) -> None:
    folder = src / "expression" / "marthandan2016_rs_fibroblasts"
    expr = pd.read_csv(folder / "expression.csv.gz", index_col=0)
    samples = pd.read_csv(folder / "samples.csv")
    keep = pd.concat(
        [
            samples[samples["Condition"] == c].head(N_PER_CONDITION)
            for c in ("Senescent", "Proliferative")
        ]
    )
    sigs = signature_genes()
    in_sig = expr.index.str.upper().isin(sigs)
    background = expr[~in_sig].mean(axis=1).sort_values(ascending=False).index[:N_BACKGROUND_GENES]
    genes = [g for g in expr.index if g.upper() in sigs or g in set(background)]
    sub = expr.loc[genes, list(keep["sampleID"])].round(3)
    sub.to_csv(
        OUT / "fibroblasts_marthandan2016.csv.gz", compression={"method": "gzip", "mtime": 0}
    )
    ann = pd.DataFrame(
        {
            "sample": keep["sampleID"],
            "condition": keep["Condition"].str.lower().replace({"proliferative": "proliferating"}),
            "cell_type": "fibroblast",
        }
    )
    ann.to_csv(OUT / "fibroblasts_marthandan2016_samples.csv", index=False)


def tcga(src: Path) -> None:
    expr = pd.read_csv(src / "tcga" / "tcga_pancancer_594_tpm.csv.gz", index_col=0)
    clin = pd.read_csv(src / "tcga" / "tcga_pancancer_594_clinical.csv")
    clin = clin.dropna(subset=["OS", "OS.time"])
    clin = clin.groupby("cancer_type", sort=True).head(TCGA_PER_TYPE)
    genes = [g for g in expr.index if g.upper() in signature_genes()]
    sub = expr.loc[genes, list(clin["bcr_patient_barcode"])].round(2)
    sub.to_csv(OUT / "tcga_pancancer_tpm.csv.gz", compression={"method": "gzip", "mtime": 0})
    out = pd.DataFrame(
        {
            "sample": clin["bcr_patient_barcode"],
            "cancer_type": clin["cancer_type"],
            "os_days": clin["OS.time"].astype(float),
            "death": clin["OS"].astype(int),
        }
    )
    out.to_csv(OUT / "tcga_pancancer_clinical.csv", index=False)


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    src = Path(sys.argv[1])
    fibroblasts(src)
    tcga(src)
    for f in sorted(OUT.iterdir()):
        print(f"{f.name}: {f.stat().st_size} bytes")


if __name__ == "__main__":
    main()
