"""Tissue immunity: shipped numbers, their transfer to trial patients, and their measurement."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from senotwin._errors import ValidationError
from senotwin.cohort.baseline import BaselineDisease, draw_baseline
from senotwin.cohort.population import patient_rng, qsp_population
from senotwin.trial.ici_fit import split, stored_fit
from senotwin.trial.library import get_trial
from senotwin.trial.run import trial_population
from senotwin.trial.tissue import (
    get_tissue,
    melanoma_invisible,
    tcga_contexture,
    tissues,
    transfer,
)

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def test_shipped_tissues_are_relative_to_melanoma_with_sources() -> None:
    assert set(tissues()) == {
        "nsclc_nonsquamous",
        "tnbc",
        "sclc_extensive",
        "ccrcc_clear_cell",
        "pancreas_adenocarcinoma",
    }
    for t in tissues().values():
        assert t.antigenicity_source and t.cd8_source and t.antigenicity_formula
        # Spearman -> copula correlation: 2 sin(pi rho_s / 6), slightly larger in size
        assert abs(t.cd8_pdl1_rho) >= abs(t.cd8_pdl1_spearman)
    nsclc, tnbc = get_tissue("nsclc_nonsquamous"), get_tissue("tnbc")
    assert nsclc.antigenicity == pytest.approx(209 / 284.5, abs=1e-3)  # its stated formula
    assert tnbc.antigenicity == pytest.approx(nsclc.antigenicity * 63 / 92, abs=1e-3)
    with pytest.raises(ValidationError, match="tnbc"):
        get_tissue("tnbcc")


def test_transfer_scales_precursors_and_sets_cd8_and_its_pdl1_link() -> None:
    pop = qsp_population()
    t = get_tissue("sclc_extensive")
    out, info = transfer(pop, BaselineDisease(), t, melanoma_precursors=4.0e5)
    nag = next(p for p in out.priors if p.parameter == "N_ag")
    assert nag.centre == pytest.approx(4.0e5 * t.antigenicity)
    assert out.baseline is not None and out.baseline.cd8_median == t.cd8_relative
    assert out.baseline.cd8_pdl1_rho == pytest.approx(t.cd8_pdl1_rho)
    clipped, info = transfer(
        pop, BaselineDisease(), t, melanoma_precursors=4.0e5, bounds=(5e4, 5e5)
    )
    assert next(p for p in clipped.priors if p.parameter == "N_ag").centre == 5e5
    assert info["clipped_to_range"] and info["precursors_derived"] == pytest.approx(5.2e5)
    with pytest.raises(ValidationError, match="precursor"):
        transfer(pop, BaselineDisease(), t, melanoma_precursors=0.0)


def test_trial_patients_carry_their_tissue_and_the_manifest_says_so() -> None:
    trial = get_trial("keynote189")
    pop = trial_population(trial, 150, seed=0)
    centres, _ = split({p["parameter"]: p["best"] for p in stored_fit()["parameters"]})
    nsclc = get_tissue("nsclc_nonsquamous")
    nag = next(p for p in pop.priors if p.parameter == "N_ag")
    lo, hi = 1.0e4, 5.0e5  # the N_ag range of qsp.yaml: the scaled centre is clipped into it
    assert nag.centre == pytest.approx(min(max(centres["N_ag"] * nsclc.antigenicity, lo), hi))
    assert pop.selection is not None and pop.selection["tissue"]["id"] == "nsclc_nonsquamous"
    assert pop.describe()["baseline"]["pdl1_high_share"] == 0.328
    base = [draw_baseline(pop.baseline, patient_rng(0, i)) for i in pop.selected]
    cd8 = np.array([b["cd8_infiltration"] for b in base])
    assert np.median(cd8) == pytest.approx(nsclc.cd8_relative, rel=0.15)


def _synthetic(rho: float, n: int = 400) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(0)
    z = rng.standard_normal((2, n))
    cd8 = np.exp(4.0 + 0.8 * z[0])  # TPM well above the pseudo-count
    cd8[n // 2 :] *= 3.0  # type B: three-fold infiltration
    pdl1 = np.exp(rho * z[0] + math.sqrt(1 - rho**2) * z[1])
    samples = [f"s{i}" for i in range(n)]
    tpm = pd.DataFrame([cd8, cd8, pdl1], index=["CD8A", "CD8B", "CD274"], columns=samples)
    return tpm, pd.Series(["A"] * (n // 2) + ["B"] * (n - n // 2), index=samples)


def test_tcga_contexture_recovers_relative_infiltration_and_rank_correlation() -> None:
    tpm, types = _synthetic(0.6)
    table = tcga_contexture(tpm, types, "A")
    assert table.loc["B", "cd8_relative"] == pytest.approx(3.0, rel=0.2)
    assert table.loc["pooled", "spearman"] == pytest.approx(6 / math.pi * math.asin(0.3), abs=0.08)
    with pytest.raises(ValidationError, match="CD274"):
        tcga_contexture(tpm.drop(index="CD274"), types, "A")
    assert table["treg_relative"].isna().all()  # no FOXP3: no Treg load
    cd8 = np.exp(np.log(tpm.loc[["CD8A", "CD8B"]] + 0.5).mean(axis=0))
    foxp3 = cd8 * np.where(types.reindex(tpm.columns) == "B", 0.5, 1.0) - 0.5
    with_treg = tcga_contexture(pd.concat([tpm, foxp3.rename("FOXP3").to_frame().T]), types, "A")
    assert with_treg.loc["B", "treg_relative"] == pytest.approx(0.5, rel=1e-6)  # per CD8


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared data folder not present")
def test_shipped_numbers_are_the_ones_measured_on_the_shared_data() -> None:
    liu = pd.read_csv(SHARED / "ici" / "liu_clinical.csv.gz")
    assert liu["nonsyn_muts"].median() == 284.5
    assert liu["nsTMB_perMb"].median() == pytest.approx(5.69)
    tpm = pd.read_csv(SHARED / "tcga" / "tcga_pancancer_594_tpm.csv.gz", index_col=0)
    clin = pd.read_csv(SHARED / "tcga" / "tcga_pancancer_594_clinical.csv")
    table = tcga_contexture(tpm, clin.set_index("bcr_patient_barcode")["cancer_type"], "SKCM")
    for tid, row in (
        ("nsclc_nonsquamous", "LUAD"),
        ("tnbc", "BRCA"),
        ("pancreas_adenocarcinoma", "PAAD"),
    ):
        t = get_tissue(tid)
        assert table.loc[row, "cd8_relative"] == pytest.approx(t.cd8_relative, abs=2e-3)
        assert table.loc[row, "cd8_sigma"] == pytest.approx(t.cd8_sigma, abs=2e-3)
        assert table.loc[row, "spearman"] == pytest.approx(t.cd8_pdl1_spearman, abs=2e-3)
        assert table.loc[row, "treg_relative"] == pytest.approx(t.treg_relative, abs=2e-3)
    kidney = get_tissue("ccrcc_clear_cell")
    assert table.loc["KIRC", "treg_relative"] == pytest.approx(kidney.treg_relative, abs=2e-3)
    assert table.loc["KIRC", "cd8_relative"] == pytest.approx(kidney.cd8_relative, abs=2e-3)
    assert table.loc["KIRC", "cd8_sigma"] == pytest.approx(kidney.cd8_sigma, abs=2e-3)
    assert table.loc["KIRC", "spearman"] == pytest.approx(kidney.cd8_pdl1_spearman, abs=2e-3)
    miao = pd.read_csv(SHARED / "ici" / "miao_clinical.csv.gz")
    counted = miao.loc[miao["nsTMB_raw"] > 0, "nsTMB_raw"]
    assert len(counted) == 16 and counted.median() == 88.5
    assert kidney.antigenicity == pytest.approx(88.5 / 284.5, abs=1e-3)
    sclc = get_tissue("sclc_extensive")
    assert table.loc["pooled", "cd8_sigma"] == pytest.approx(sclc.cd8_sigma, abs=2e-3)
    assert table.loc["pooled", "spearman"] == pytest.approx(sclc.cd8_pdl1_spearman, abs=2e-3)
    assert sclc.cd8_relative == pytest.approx(
        table.loc["LUAD", "cd8_relative"] * 120 / 328, abs=2e-3
    )


def test_cohort_run_trial_patients_are_carried_to_the_tissue_too() -> None:
    """``cohort run --trial`` selects from its own population (here the preset): the tissue
    transfer applies to it as to ``trial run`` (the shipped melanoma centre x SCLC antigenicity,
    clipped into N_ag's range)."""
    from senotwin.model.scenarios import get_scenario
    from senotwin.trial.run import select_trial_patients

    trial = get_trial("impower133")
    model = get_scenario(trial.scenario).load()
    pop = select_trial_patients(trial, qsp_population(), 20, seed=0, model=model)
    nag = next(p for p in pop.priors if p.parameter == "N_ag")
    bounds = model.parameter("N_ag").range
    assert bounds is not None
    centres, _ = split({p["parameter"]: p["best"] for p in stored_fit()["parameters"]})
    derived = centres["N_ag"] * get_tissue("sclc_extensive").antigenicity
    assert nag.centre == pytest.approx(min(max(derived, bounds[0]), bounds[1]))
    assert pop.selection is not None
    assert pop.selection["tissue"]["clipped_to_range"] is (not bounds[0] <= derived <= bounds[1])
    assert (
        pop.baseline is not None
        and pop.baseline.cd8_median == get_tissue("sclc_extensive").cd8_relative
    )


def test_tissues_carry_cited_invisible_share_classes_into_the_baseline() -> None:
    nsclc = get_tissue("nsclc_nonsquamous")
    # the decreased HLA class I class of 403 resected NSCLC (98 tumours) is the invisible one
    assert nsclc.invisible_classes[-1] == (pytest.approx(98 / 403, abs=1e-4), 0.76, 1.0)
    assert get_tissue("tnbc").invisible_classes[-1][0] == pytest.approx(0.181)
    for t in tissues().values():
        assert sum(c[0] for c in t.invisible_classes) == pytest.approx(1.0)
        assert t.invisible_source
    # HLA LOH in 40 % of NSCLC (McGranahan 2017), independent of the staining class: a partially
    # invisible class (half of the loss-carrying cells, a cancer-cell fraction in 0-1)
    loh = nsclc.invisible_classes[1]
    assert loh == (pytest.approx(0.40 * (1 - 98 / 403), abs=1e-4), 0.0, 0.5)
    assert nsclc.invisible_classes[0][0] == pytest.approx(0.60 * (1 - 98 / 403), abs=1e-4)
    # melanoma and ccRCC copy NSCLC's staining classes only (assumed, said so), not its LOH class
    ihc = ((pytest.approx(1 - 98 / 403, abs=1e-4), 0.0, 0.0), nsclc.invisible_classes[-1])
    assert melanoma_invisible() == ihc
    assert get_tissue("ccrcc_clear_cell").invisible_classes == melanoma_invisible()
    out, _ = transfer(qsp_population(), BaselineDisease(), nsclc, melanoma_precursors=1e5)
    assert out.baseline is not None and out.baseline.invisible_classes == nsclc.invisible_classes


def test_sclc_and_tnbc_carry_their_own_hla_class_i_evidence() -> None:
    """Session 21 (hla): SCLC's hard-loss class is the smallest majority of Funa 1986's 32 SCLC
    lacking beta2m (17 / 32, a lower bound), not NSCLC's 98 / 403; TNBC gains its measured HLA
    LOH (18 %, Zhou 2021) as a partially invisible class by NSCLC's rule (LOH independent of the
    breast-wide staining class)."""
    sclc, tnbc = get_tissue("sclc_extensive"), get_tissue("tnbc")
    assert sclc.invisible_classes == (
        (pytest.approx(1 - 17 / 32, abs=1e-4), 0.0, 0.0),
        (pytest.approx(17 / 32, abs=1e-4), 0.76, 1.0),
    )
    assert sclc.invisible_classes != melanoma_invisible()  # no longer NSCLC's copy
    hard = 0.181
    assert tnbc.invisible_classes == (
        (pytest.approx((1 - 0.18) * (1 - hard), abs=1e-4), 0.0, 0.0),
        (pytest.approx(0.18 * (1 - hard), abs=1e-4), 0.0, 0.5),
        (pytest.approx(hard), 0.76, 1.0),
    )
    assert "Funa 1986" in sclc.invisible_source and "Zhou 2021" in tnbc.invisible_source


@pytest.mark.parametrize(
    ("name", "hard", "loh"), [("impower133", 17 / 32, 0.0), ("impassion130", 0.181, 0.1474)]
)
def test_trial_patients_draw_their_tissue_invisible_classes(
    name: str, hard: float, loh: float
) -> None:
    """The trial's selected patients draw the tissue's classes: the share with a hard loss
    (>= 76 % of cancer cells invisible) and with a partial (LOH) one, within sampling error."""
    pop = trial_population(get_trial(name), 150, seed=0)
    assert pop.baseline is not None
    inv = np.array(
        [draw_baseline(pop.baseline, patient_rng(0, i))["invisible"] for i in pop.selected]
    )
    assert np.mean(inv >= 0.76) == pytest.approx(hard, abs=0.1)
    assert np.mean((inv > 0) & (inv <= 0.5)) == pytest.approx(loh, abs=0.07)


def test_pancreas_numbers_are_their_stated_sources() -> None:
    """Session 30 (paad): antigenicity is Jones 2008's nonsynonymous share of 1562 mutations in
    24 tumours over melanoma's 284.5; the invisible classes split Hiraoka's 33 % low class off
    and Ryschich's 5 / 24 LOH share of the rest."""
    t = get_tissue("pancreas_adenocarcinoma")
    assert t.antigenicity == pytest.approx(1562 * (0.624 + 0.038) / 24 / 284.5, abs=1e-3)
    visible, loh, hard = t.invisible_classes
    assert hard == (0.33, 0.76, 1.0) and loh[1:] == (0.0, 0.5)
    assert loh[0] == pytest.approx(5 / 24 * 0.67, abs=1e-4)
    assert visible[0] == pytest.approx(0.67 - 5 / 24 * 0.67, abs=1e-4)
