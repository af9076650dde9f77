"""Session 26 (t8b): the CD8 pool-scale diagnosis (scripts/cd8_pool_scale.py) and its cases --
the mouse T8b is larger than every CD8 T cell of a mouse, the human one is far below blood CD8."""

from __future__ import annotations

import pandas as pd
import pytest

from senotwin.analysis.validation import load_cases
from tests.scripts_loader import load_script

SCRIPT = load_script("cd8_pool_scale")
CASES = {
    "mouse_emt6_t8b_within_all_mouse_cd8": 2.0e7,
    "mouse_emt6_anti_pdl1_t8b_within_all_mouse_cd8": 2.0e7,
    "mouse_emt6_blood_t8b_below_all_leukocytes": SCRIPT.MOUSE_LEUKOCYTES_UL * 1000.0 * 2.0,
    "melanoma_blood_t8b_below_cd8_reference_on_pembrolizumab": SCRIPT.HUMAN_CD8_UL * 1000.0 * 5000,
}


def test_budget_is_priming_over_death_plus_trafficking() -> None:
    p = {
        "N_ag": 1000.0,
        "naive_age": 1.0,
        "k_act": 23.0,
        "K_mdc": 4200.0,
        "n_gen": 10.0,
        "K_ifnar": 1.0,
        "q_in": 0.2,
        "V_c": 1.0,
        "w_traf": 2.0,
        "d_T8": 0.01,
    }
    table = pd.DataFrame(
        {
            "mDC": [4200.0],
            "ln_checkpoints": [1.0],
            "IFNI_t": [0.0],
            "V_T": [0.45],
            "tgfb_excl": [1.0],
        }
    )
    b = SCRIPT.t8b_budget(table, p).iloc[0]
    assert b["priming"] == pytest.approx(23.0 * 1000.0 * 0.5 * 1024.0)
    assert b["activations"] == pytest.approx(23.0 * 0.5)  # per naive precursor per day
    assert b["traffic"] == pytest.approx(0.09)
    assert b["residence_d"] == pytest.approx(10.0)
    assert b["steady"] == pytest.approx(b["priming"] * 10.0)


def test_mouse_t8b_stays_within_the_mouse_and_the_human_one_below_blood_cd8() -> None:
    mouse = pd.DataFrame(SCRIPT.scenario_rows("mouse_emt6_isotype", (20, 27)))
    # session 26 diagnosed T8b > all CD8 of a mouse (8.3e7 at day 27); session 27's contraction
    # capped a cell's residence at 2 days; session 28 (traffic): entry follows the blood
    # concentration T8b / V_c, so in a 2 mL mouse a primed cell enters the lesion within hours
    assert mouse["T8b"].max() < 0.01 * SCRIPT.MOUSE_ALL_CD8  # ~1e5
    assert mouse["residence_days"].max() < 0.1
    human = pd.DataFrame(SCRIPT.scenario_rows("default", (0, 90)))
    assert human["T8b_per_uL"].max() < 1.0 < SCRIPT.HUMAN_CD8_UL
    assert human["residence_days"].max() < 0.5  # a transit pool: trafficking ~4-6/day


def test_the_cases_carry_the_cited_ceilings_in_cells() -> None:
    cases = {c.spec_case.id: c.spec_case for c in load_cases() if c.spec_case.id in CASES}
    assert set(cases) == set(CASES)
    for cid, ceiling in CASES.items():
        case = cases[cid]
        # session 29 (tier rule T): a ceiling set by a whole cell population of the host is a
        # plausibility check, so these sit in the consistency tier (docs/validation.md)
        assert case.tier == "consistency"
        assert case.readout == "T8b"
        assert tuple(case.expect.range) == pytest.approx((0.0, ceiling))  # type: ignore[attr-defined]
