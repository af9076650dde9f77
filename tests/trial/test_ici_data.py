"""The shipped ICI summary extract: Kaplan-Meier arithmetic, the Liu counts, and the file is what
the reference data give (re-derived when the data are present)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from senotwin._errors import ValidationError
from senotwin.trial.ici_data import (
    ICI_DATA,
    PDL1_POOLS,
    _logit_slope,
    cohort,
    derive_extract,
    km_summary,
    load_extract,
)


def test_km_summary_by_hand() -> None:
    # 4 patients: events at 1, 3, 4 months, censored at 2 -> S = 3/4, 3/8, 0
    s = km_summary(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1, 0, 1, 1]))
    lms = {lm["month"]: lm for lm in s["landmarks"]}
    assert lms[2.0]["survival"] == pytest.approx(0.75)
    assert lms[3.0]["survival"] == pytest.approx(0.375)
    # Greenwood at 2 months: S^2 * d / (n (n - d)) = 0.5625 / 12
    assert lms[2.0]["se"] == pytest.approx(math.sqrt(0.5625 / 12), abs=1e-4)
    assert s["median_months"] == 3.0 and s["events"] == 3


def test_liu_counts_and_tertiles_add_up() -> None:
    liu = cohort("liu")
    assert liu["recist"] == {"CR": 13, "PR": 18, "SD": 10, "PD": 33}
    assert liu["orr"] == pytest.approx(31 / 74, abs=1e-4)
    tert = liu["cd8_score"]["tertiles"]
    assert sum(t["responders"] for t in tert) == liu["responders"] == 31
    assert sum(t["n"] for t in tert) == 74
    assert 5.0 < liu["pfs"]["median_months"] < 8.0
    assert "pfs" not in cohort("hugo")  # Hugo and Riaz ship OS only


def test_unknown_cohort_names_the_known_ones() -> None:
    with pytest.raises(ValidationError, match="hugo"):
        cohort("hugo2016")


def test_only_summary_numbers_are_shipped() -> None:
    text = str(load_extract())
    for patient_id in ("Patient102", "Pt1'", "PD_005T"):
        assert patient_id not in text


@pytest.mark.skipif(not ICI_DATA.is_dir(), reason="reference data (../shared) absent")
def test_shipped_extract_is_what_the_data_give() -> None:
    assert derive_extract(ICI_DATA) == load_extract()


def test_missing_data_directory_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="lacks the cohorts"):
        derive_extract(tmp_path)


@pytest.mark.skipif(not ICI_DATA.is_dir(), reason="reference data (../shared) absent")
def test_liu_os_landmarks_match_a_hand_kaplan_meier() -> None:
    """The OS landmarks the liu2019 objective reads: a product-limit estimate written out here
    from the per-patient table (months; event 1 = death) gives the same survival."""
    import pandas as pd

    clin = pd.read_csv(ICI_DATA / "liu_clinical.csv.gz")
    t = clin["survival_time_os"].to_numpy(float)
    e = clin["event_occurred_os"].to_numpy(float)
    ok = np.isfinite(t) & np.isfinite(e)
    t, e = t[ok], e[ok]
    landmarks = {lm["month"]: lm["survival"] for lm in cohort("liu")["os"]["landmarks"]}
    assert {12.0, 24.0} <= set(landmarks)
    for month, shipped in landmarks.items():
        s = 1.0
        for u in sorted(set(t[(e == 1) & (t <= month)])):
            s *= 1.0 - np.sum((t == u) & (e == 1)) / np.sum(t >= u)
        assert shipped == pytest.approx(s, abs=1e-4), month


def test_logit_slope_is_the_log_odds_ratio_of_a_two_by_two_table() -> None:
    """With a 0/1 covariate the logistic slope is ln(OR): 6/10 vs 3/10 responders -> OR 3.5."""
    x = np.repeat([0.0, 1.0], 10)
    y = np.array([1] * 3 + [0] * 7 + [1] * 6 + [0] * 4, dtype=bool)
    assert _logit_slope(x, y) == pytest.approx(math.log((6 / 4) / (3 / 7)), rel=1e-8)
    assert _logit_slope(x, x > 0.5) == math.inf  # separated: no finite optimum
    assert _logit_slope(x, x < 0.5) == -math.inf


def test_cd274_pools_are_their_cohorts() -> None:
    """Each pool holds exactly its cohorts' patients and responders; tertiles add up."""
    extract = load_extract()
    for pool, names in PDL1_POOLS.items():
        block = extract["cd274_pools"][pool]
        assert block["cohorts"] == list(names)
        per = [extract["cohorts"][n]["cd274"] for n in names]
        assert block["patients"] == sum(c["patients"] for c in per)
        assert block["responders"] == sum(c["responders"] for c in per)
        assert sum(t["responders"] for t in block["tertiles"]) == block["responders"]
        low, high = block["odds_ratio_ci"]
        assert low <= block["odds_ratio_per_log2"] <= (high if high is not None else math.inf)


def test_liu_os_by_response_counts_every_recist_patient() -> None:
    """The OS split by best response (the liu2019 objective's PD landmarks) holds each RECIST
    class's patients, and the PD group dies faster than the responders."""
    liu = cohort("liu")
    by = liu["os_by_response"]
    assert {r: by[r]["n"] for r in by} == liu["recist"]
    pd24 = {lm["month"]: lm["survival"] for lm in by["PD"]["landmarks"]}[24.0]
    pr24 = {lm["month"]: lm["survival"] for lm in by["PR"]["landmarks"]}[24.0]
    assert pd24 < 0.3 < pr24


@pytest.mark.skipif(not ICI_DATA.is_dir(), reason="reference data (../shared) absent")
def test_liu_pd_os_matches_a_hand_kaplan_meier() -> None:
    """The PD group's OS landmarks: a product-limit estimate over the per-patient table's
    RECIST PD patients gives the shipped survival."""
    import pandas as pd

    clin = pd.read_csv(ICI_DATA / "liu_clinical.csv.gz")
    clin = clin[clin["recist"] == "PD"]
    t = clin["survival_time_os"].to_numpy(float)
    e = clin["event_occurred_os"].to_numpy(float)
    landmarks = {
        lm["month"]: lm["survival"] for lm in cohort("liu")["os_by_response"]["PD"]["landmarks"]
    }
    for month in (12.0, 24.0):
        s = 1.0
        for u in sorted(set(t[(e == 1) & (t <= month)])):
            s *= 1.0 - np.sum((t == u) & (e == 1)) / np.sum(t >= u)
        assert landmarks[month] == pytest.approx(s, abs=1e-4), month


def test_padron_is_survival_only_with_its_response_endpoints_marked() -> None:
    """Session 30 (paad): PRINCE arm A1 has PFS and OS, no RECIST; ORR, RECIST and the CD8
    tertiles are recorded as not comparable with the reason."""
    p = cohort("padron")
    assert p["patients"] == 25 and p["arm"] == {"Actual.Arm": "A1", "Efficacy.Population.Flag": "Y"}
    assert p["recist_evaluable"] == 0 and "recist" not in p and "orr" not in p
    assert set(p["not_comparable"]) == {"orr", "recist", "cd8_tertiles"}
    assert "Nat Med 2022;28:1167-1177" in p["reference"]
    assert (p["pfs"]["n"], p["pfs"]["events"]) == (25, 22)
    assert (p["os"]["n"], p["os"]["events"]) == (25, 19)
    assert {lm["month"] for lm in p["os"]["landmarks"]} >= {12.0, 24.0}


@pytest.mark.skipif(not ICI_DATA.is_dir(), reason="reference data (../shared) absent")
def test_padron_arm_and_medians_are_what_the_csv_gives() -> None:
    """The A1 arm as treated (2 randomised to C2 without sotigalimab included; the 2 phase 1b
    non-efficacy patients are C2) and its KM medians by a hand product-limit estimate."""
    import pandas as pd

    clin = pd.read_csv(ICI_DATA / "padron_clinical.csv.gz")
    assert len(clin) == 45
    a1 = clin[clin["Actual.Arm"] == "A1"]
    assert len(a1) == 25 and (a1["Received.APX005M"] == "N").all()
    assert (a1["Arm"] == "C2").sum() == 2
    non_efficacy = clin[clin["Efficacy.Population.Flag"] != "Y"]
    assert len(non_efficacy) == 2 and (non_efficacy["Actual.Arm"] == "C2").all()
    p = cohort("padron")
    for ep in ("pfs", "os"):
        t = a1[f"survival_time_{ep}"].to_numpy(float)
        e = a1[f"event_occurred_{ep}"].to_numpy(float)
        assert int(e.sum()) == p[ep]["events"]
        s, median = 1.0, None
        for u in sorted(set(t[e == 1])):
            s *= 1.0 - np.sum((t == u) & (e == 1)) / np.sum(t >= u)
            if median is None and s <= 0.5:
                median = u
        assert p[ep]["median_months"] == pytest.approx(median)
    assert p["pfs"]["median_months"] == pytest.approx(6.33, abs=0.01)
    assert p["os"]["median_months"] == pytest.approx(9.87, abs=0.01)
