"""Read the checkpoint-inhibitor and TCGA cohorts (``../shared/data`` layout) for evaluation.

The ICI cohorts are PredictioR curations (GPL-3): senotwin reads them from a data folder the
user points to and ships none of them. Each cohort is two files, ``NAME_expr_log2tpm.csv.gz``
(genes × patients) and ``NAME_clinical.csv.gz`` (one row per patient).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from senotwin._errors import ValidationError
from senotwin._io import check_input_dir

#: what the data folders hold, for the message when one is missing (senotwin ships neither)
ICI_FOLDER = (
    "ICI data folder (--data: the checkpoint-inhibitor cohorts as NAME_expr_log2tpm.csv.gz and "
    "NAME_clinical.csv.gz, not shipped with senotwin: sources and layout in docs/stratify.md, "
    "'Data and licences')"
)
TCGA_FOLDER = (
    "TCGA data folder (--data: the TCGA extract, not shipped with senotwin: sources and layout "
    "in docs/stratify.md, 'Data and licences')"
)

__all__ = ["ICI_COHORTS", "Cohort", "load_ici_cohort", "load_ici_cohorts", "load_tcga"]

#: the shipped-data ICI cohorts: name -> (tumour, therapy, original study)
ICI_COHORTS: dict[str, tuple[str, str, str]] = {
    "liu": ("melanoma", "anti-PD-1", "Liu et al., Nat Med 2019;25:1916"),
    "hugo": ("melanoma", "anti-PD-1", "Hugo et al., Cell 2016;165:35"),
    "riaz": ("melanoma", "anti-PD-1", "Riaz et al., Cell 2017;171:934"),
    "van_allen": ("melanoma", "anti-CTLA-4", "Van Allen et al., Science 2015;350:207"),
    "nathanson": ("melanoma", "anti-CTLA-4", "Nathanson et al., Cancer Immunol Res 2017;5:84"),
    "miao": ("kidney (ccRCC)", "anti-PD-1/PD-L1", "Miao et al., Science 2018;359:801"),
    "padron": ("pancreas", "anti-PD-1 combination", "Padron et al., Nat Med 2022;28:1167"),
}


@dataclass(frozen=True)
class Cohort:
    """Expression (samples × genes, as given) and clinical table (same sample order)."""

    name: str
    expression: pd.DataFrame
    clinical: pd.DataFrame
    note: str = ""


def load_ici_cohort(folder: str | Path, name: str) -> Cohort:
    """One ICI cohort; genes with missing values are dropped (said in ``note``)."""
    d = check_input_dir(folder, what=ICI_FOLDER)
    expr_path = d / f"{name}_expr_log2tpm.csv.gz"
    clin_path = d / f"{name}_clinical.csv.gz"
    for p in (expr_path, clin_path):
        if not p.is_file():
            raise ValidationError(f"ICI cohort {name!r}: {p.name} not found in {str(d)!r}")
    expr = pd.read_csv(expr_path, index_col=0).T
    expr.index = expr.index.astype(str)
    clin = pd.read_csv(clin_path, index_col=0)
    clin.index = clin.index.astype(str)
    common = [s for s in expr.index if s in clin.index]
    if len(common) < 3:
        raise ValidationError(f"ICI cohort {name!r}: only {len(common)} patients in both files")
    bad = expr.columns[expr.isna().any()]
    note = f"{len(bad)} gene(s) with missing values dropped" if len(bad) else ""
    expr = expr.loc[common, expr.notna().all()]
    return Cohort(name, expr, clin.loc[common], note)


def load_ici_cohorts(folder: str | Path) -> list[Cohort]:
    """Every known ICI cohort present in ``folder`` (at least one must be)."""
    d = check_input_dir(folder, what=ICI_FOLDER)
    names = [n for n in ICI_COHORTS if (d / f"{n}_expr_log2tpm.csv.gz").is_file()]
    if not names:
        raise ValidationError(
            f"no ICI cohort found in {str(d)!r}; expected files like liu_expr_log2tpm.csv.gz "
            f"and liu_clinical.csv.gz for {', '.join(ICI_COHORTS)}"
        )
    return [load_ici_cohort(d, n) for n in names]


def response_labels(clinical: pd.DataFrame, kind: str) -> pd.Series:
    """1 = responder, 0 = non-responder, NaN = unknown. ``kind``: 'response' (R/NR as curated)
    or 'recist' (CR/PR vs SD/PD)."""
    if kind == "response":
        col = clinical.get("response", pd.Series(np.nan, index=clinical.index))
        return col.map({"R": 1.0, "NR": 0.0})
    if kind == "recist":
        col = clinical.get("recist", pd.Series(np.nan, index=clinical.index))
        return col.map({"CR": 1.0, "PR": 1.0, "SD": 0.0, "PD": 0.0})
    raise ValidationError(f"response kind {kind!r} unknown; allowed: response, recist")


def load_tcga(folder: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """TCGA extract: TPM (samples × genes) and clinical table, joined on the patient barcode."""
    d = check_input_dir(folder, what=TCGA_FOLDER)
    tpm_path = d / "tcga_pancancer_594_tpm.csv.gz"
    clin_path = d / "tcga_pancancer_594_clinical.csv"
    for p in (tpm_path, clin_path):
        if not p.is_file():
            raise ValidationError(f"TCGA data: {p.name} not found in {str(d)!r}")
    tpm = pd.read_csv(tpm_path, index_col=0).T
    tpm.index = tpm.index.astype(str)
    clin = pd.read_csv(clin_path).set_index("bcr_patient_barcode")
    common = [s for s in tpm.index if s in clin.index]
    tpm = tpm.loc[common]
    return tpm.loc[:, tpm.notna().all()], clin.loc[common]
