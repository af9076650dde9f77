"""scripts/gdsc_tissue_potency.py: the NSCLC / tissue potency ratio behind quantitative-sources
gdsc_tissue_potency_vs_nsclc, checked on a small release-shaped data folder it makes."""

from __future__ import annotations

import math
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from tests.scripts_loader import load_script


def _script() -> ModuleType:
    return load_script("gdsc_tissue_potency")


def _release(folder: Path) -> None:
    """Six NSCLC lines at ln IC50 2, six SCLC lines at 1 (e-fold more sensitive), three TNBC and
    two other breast lines at 2; every drug of the script the same."""
    rows = (
        [(1000 + i, f"NSCLC-{i}", "lung_NSCLC", "lung_NSCLC_adenocarcinoma", 2.0) for i in range(6)]
        + [(2000 + i, f"SCLC-{i}", "lung_SCLC", "lung_small_cell_carcinoma", 1.0) for i in range(6)]
        + [
            (3000 + i, name, "breast", "breast", 2.0)
            for i, name in enumerate(["MDA-MB-231", "HCC1937", "BT-549", "MCF7", "T47D"])
        ]
    )
    jitter = np.linspace(-0.01, 0.01, len(rows))
    ids = [r[0] for r in rows]
    drugs = {"Drug_1005_IC50", "Drug_134_IC50", "Drug_11_IC50", "Drug_1007_IC50"}
    ic50 = pd.DataFrame(
        {col: [r[4] + j for r, j in zip(rows, jitter, strict=True)] for col in sorted(drugs)},
        index=pd.Index(ids, name="COSMIC_ID"),
    )
    ic50.to_csv(folder / "IC50_v17.csv.gz")
    pd.DataFrame({"COSMIC_ID": ids, "TISSUE_FACTOR": [r[2] for r in rows], "TP53_mut": 0}).to_csv(
        folder / "genomic_features_v17.csv.gz", index=False
    )
    pd.DataFrame(
        {
            "NAME": [r[1] for r in rows],
            "COSMIC": ids,
            "TISSUE": "x",
            "TISSUE_SUB_TYPE": [r[3] for r in rows],
        }
    ).to_csv(folder / "cancer_cell_lines.csv", index=False)


def test_a_tissue_one_e_fold_more_potent_gets_ratio_e(tmp_path: Path) -> None:
    _release(tmp_path)
    out = _script().tissue_potency(tmp_path)
    sclc = out["cisplatin"]["sclc_vs_nsclc"]
    assert sclc["ratio"] == pytest.approx(math.e, rel=0.02)
    assert sclc["lo"] <= sclc["ratio"] <= sclc["hi"]
    assert (sclc["n_reference"], sclc["n_tissue"]) == (6, 6)
    tnbc = out["etoposide"]["tnbc_vs_nsclc"]
    assert tnbc["ratio"] == pytest.approx(1.0, rel=0.02)
    assert tnbc["n_tissue"] == 3  # MCF7 and T47D are not triple-negative
    assert out["paclitaxel"]["breast_vs_nsclc"]["n_tissue"] == 5


def test_the_ratio_is_reference_over_tissue_and_reciprocal_when_swapped() -> None:
    potency_ratio = _script().potency_ratio
    a, b = np.array([2.0, 2.1, 1.9]), np.array([0.5, 0.6, 0.4])
    assert potency_ratio(a, b)["ratio"] == pytest.approx(math.exp(1.5))
    assert potency_ratio(b, a)["ratio"] == pytest.approx(math.exp(-1.5))
    assert math.isnan(potency_ratio(a, np.array([1.0, np.nan]))["ratio"])


def test_a_folder_without_the_release_files_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"IC50_v17\.csv\.gz"):
        _script().tissue_potency(tmp_path)
