"""A virtual cohort with regimen "none" is the treated one without doses, and
scripts/liu2019_holdback.py reads where anti-PD-1 acts on the stored fit's patients."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from senotwin.trial.ici_cohort import CohortDesign, VirtualCohort
from tests.scripts_loader import load_script


def test_an_untreated_cohort_shares_the_patients_and_lead_in() -> None:
    design = CohortDesign(n=4, seed=2)
    treated = VirtualCohort(design).simulate()
    untreated = VirtualCohort(replace(design, regimen="none")).simulate()
    # the same patients and the same untreated lead-in (biopsy CD8, doubling time)
    for column in ("cd8_score", "doubling_days"):
        assert np.allclose(treated[column], untreated[column], equal_nan=True)
    ok = untreated[untreated["plausible"]]
    assert len(ok) and not ok["best_response"].isin(["CR", "PR"]).any()


def test_the_script_reads_both_runs_of_the_fit() -> None:
    script = load_script("liu2019_holdback")
    h = script.holdback(seed=0, n=6)
    assert 0 < h["n"] <= 6 and 0.0 <= h["orr"] <= 100.0
    assert set(h["nonresponder_first_scan_pd"]) == {"untreated", "anti-PD-1"}
    assert h["first_scan_day"] == 84.0
