"""Per-tissue drug potency relative to NSCLC in the GDSC release 17 cell lines.

Reproduces quantitative-sources ``gdsc_tissue_potency_vs_nsclc`` (docs/trials.md, "Per-tissue
chemosensitivity"): for cisplatin, etoposide, paclitaxel and docetaxel, the NSCLC / tissue ratio
of median IC50 in small-cell lung cancer (SCLC) and triple-negative breast cancer (TNBC) lines,
with a bootstrap 95 % interval and a Mann-Whitney p. A ratio > 1 means the tissue is the more
sensitive. Nothing in senotwin uses the result: no interval excluded 1 towards a more sensitive
tissue, so no per-tissue factor is applied.

Usage: ``python scripts/gdsc_tissue_potency.py DATA_DIR`` where DATA_DIR holds the release's
``IC50_v17.csv.gz`` (natural-log IC50 in uM, columns ``Drug_<GDSC1 id>_IC50``),
``genomic_features_v17.csv.gz`` (``TISSUE_FACTOR``) and ``cancer_cell_lines.csv`` (``NAME``,
``COSMIC``, ``TISSUE_SUB_TYPE``), e.g. the data folder of the gdsctools package 1.0.1. Prints JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu

DRUGS = {"cisplatin": 1005, "etoposide": 134, "paclitaxel": 11, "docetaxel": 1007}
# Triple-negative lines of the usual panels (Lehmann 2011, Neve 2006) that the release may hold.
TNBC_LINES = frozenset(
    [
        "BT-20",
        "BT-549",
        "CAL-120",
        "CAL-148",
        "CAL-51",
        "CAL-851",
        "DU-4475",
        "HCC1143",
        "HCC1187",
        "HCC1395",
        "HCC1599",
        "HCC1806",
        "HCC1937",
        "HCC2157",
        "HCC2185",
        "HCC3153",
        "HCC38",
        "HCC70",
        "HDQ-P1",
        "Hs-578-T",
        "MDA-MB-157",
        "MDA-MB-231",
        "MDA-MB-436",
        "MDA-MB-468",
        "SUM149PT",
        "SUM159PT",
    ]
)
COMPARISONS = (("sclc", "nsclc"), ("tnbc", "nsclc"), ("breast", "nsclc"), ("sclc", "luad"))
FILES = ("IC50_v17.csv.gz", "genomic_features_v17.csv.gz", "cancer_cell_lines.csv")
N_BOOT = 4000


def potency_ratio(
    reference: np.ndarray, tissue: np.ndarray, seed: int = 0, n_boot: int = N_BOOT
) -> dict[str, float]:
    """Ratio of median IC50 reference / tissue from natural-log IC50s, its bootstrap 95 % interval
    (both groups resampled) and the Mann-Whitney p; too few lines in a group gives NaNs."""
    ref = np.asarray(reference, dtype=float)
    tis = np.asarray(tissue, dtype=float)
    ref, tis = ref[np.isfinite(ref)], tis[np.isfinite(tis)]
    out: dict[str, float] = {"n_reference": float(ref.size), "n_tissue": float(tis.size)}
    if ref.size < 2 or tis.size < 2:
        return out | {
            "ratio": float("nan"),
            "lo": float("nan"),
            "hi": float("nan"),
            "p": float("nan"),
        }
    rng = np.random.default_rng(seed)
    diffs = [
        np.median(rng.choice(ref, ref.size)) - np.median(rng.choice(tis, tis.size))
        for _ in range(n_boot)
    ]
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    return out | {
        "ratio": float(np.exp(np.median(ref) - np.median(tis))),
        "lo": float(np.exp(lo)),
        "hi": float(np.exp(hi)),
        "p": float(mannwhitneyu(ref, tis).pvalue),
    }


def tissue_potency(data_dir: Path) -> dict[str, dict[str, dict[str, float]]]:
    """Drug -> comparison (e.g. sclc_vs_nsclc; COMPARISONS) -> potency_ratio's numbers."""
    missing = [name for name in FILES if not (data_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"data_dir {data_dir} lacks {', '.join(missing)}; it must hold {', '.join(FILES)}"
        )
    ic50 = pd.read_csv(data_dir / FILES[0], index_col=0)
    tissue = pd.read_csv(data_dir / FILES[1], index_col=0, usecols=[0, 1])["TISSUE_FACTOR"]
    tissue = tissue.reindex(ic50.index)
    lines = pd.read_csv(data_dir / FILES[2]).set_index("COSMIC").reindex(ic50.index)
    groups = {
        "nsclc": tissue == "lung_NSCLC",
        "luad": lines["TISSUE_SUB_TYPE"] == "lung_NSCLC_adenocarcinoma",
        "sclc": tissue == "lung_SCLC",
        "tnbc": (tissue == "breast") & lines["NAME"].isin(TNBC_LINES),
        "breast": tissue == "breast",
    }
    out: dict[str, dict[str, dict[str, float]]] = {}
    for drug, gdsc_id in DRUGS.items():
        column = f"Drug_{gdsc_id}_IC50"
        if column not in ic50.columns:
            raise KeyError(f"IC50 file has no column {column} ({drug}, GDSC1 id {gdsc_id})")
        values = ic50[column]
        out[drug] = {
            f"{name}_vs_{ref}": potency_ratio(
                values[groups[ref]].to_numpy(), values[groups[name]].to_numpy()
            )
            for name, ref in COMPARISONS
        }
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    print(json.dumps(tissue_potency(Path(argv[1])), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
