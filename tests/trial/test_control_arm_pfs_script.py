"""scripts/control_arm_pfs.py: each re-reading of a control-arm course changes only its own
RECIST component (new lesions, scan calendar, live-only diameter)."""

from __future__ import annotations

import math
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from senotwin.analysis.endpoints import LESION_GROWTH_SPREAD, DeathHazard, TrialRules
from tests.scripts_loader import load_script

RULES = TrialRules(
    schedule=((1.0e9, 42.0),),
    follow_days=365.0,
    lesion_growth_spread=LESION_GROWTH_SPREAD,
    nontarget_progression=True,
)
NO_DEATH = DeathHazard(0.0, 0.0)
T = np.arange(0.0, 366.0)
BASE = {
    "lesions_mm": [40.0, 30.0],
    "n_lesions": 4,
    "n_nontarget": 2,
    "ecog": 0,
    "u_new": 0.5,
    "u_death": 0.5,
    "doubling_days": 100.0,
    "lesion_z": [0.0, 0.0],
    "nontarget_z": [0.0, 0.0],
}


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return load_script("control_arm_pfs")


def _course() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A lesion whose live cells halve by day 60 and regrow at ln 2 / 100 per day, while half of
    its cells at the nadir are senescent or dead (cleared by day 120)."""
    live = 1e9 * np.where(T < 60, np.exp(-math.log(2) / 60 * T), 0.5 * np.exp(0.0069 * (T - 60)))
    other = 1e9 * np.where(T < 60, T / 60 * 0.5, np.maximum(0.5 * (1 - (T - 60) / 60), 0.0))
    total = live + other
    diameter = 20.0 * np.cbrt(total / total[0])
    return live, total, diameter


def test_every_re_reading_is_named_once_and_the_first_is_as_shipped(script: ModuleType) -> None:
    v = script.variants(RULES)
    assert next(iter(v)) == "shipped" and v["shipped"] == (RULES, True, False)
    assert v["no non-target PD"][0].nontarget_progression is False
    assert v["no lesion spread"][0].lesion_growth_spread == 0.0
    assert v["daily scans"][0].schedule == ((1.0e9, 1.0),)
    assert v["no new lesions"] == (RULES, False, False)
    assert v["live cells only"] == (RULES, True, True)


def test_no_new_lesions_removes_them_and_daily_scans_find_pd_off_the_calendar(
    script: ModuleType,
) -> None:
    live, total, diameter = _course()
    out = script.reread(T, diameter, live, total, BASE, RULES, NO_DEATH)
    shipped = out["shipped"]
    assert shipped["pfs_event"] and "new" in shipped["pd_by"]
    assert shipped["pfs_days"] % 42.0 == 0.0  # on the calendar
    assert math.isnan(out["no new lesions"]["new_lesion_day"])
    assert "new" not in out["no new lesions"]["pd_by"]
    daily = out["daily scans"]
    assert daily["pfs_event"] and daily["pfs_days"] < shipped["pfs_days"]
    assert daily["pfs_days"] % 42.0 != 0.0
    # the live-only diameter drops the senescent and dead half at the nadir: a deeper response
    assert out["live cells only"]["best_change_pct"] < shipped["best_change_pct"] - 5.0


def test_responders_duration_and_nadir_to_progression(script: ModuleType) -> None:
    """Duration of response runs from the first CR/PR scan to PD (KM median over the confirmed
    responders); the nadir-to-PD gap is split by whether target growth was involved."""
    ship = pd.DataFrame(
        {
            "best_response": ["PR", "PR", "CR", "SD", "PD"],
            "best_change_pct": [-40.0, -60.0, -100.0, -10.0, 25.0],
            "response_day": [56.0, 56.0, 112.0, math.nan, math.nan],
            "pfs_days": [168.0, 280.0, 336.0, 112.0, 56.0],
            "pfs_event": [True, True, False, True, True],
            "pd_by": ["new", "target+new", "", "target", "nontarget"],
            "nadir_day": [112.0, 168.0, 336.0, 56.0, 0.0],
        }
    )
    text = script.responders_and_nadir(ship)
    # durations 112, 224 (events) and 224 (censored): KM median 224 days = 7.4 months
    assert "confirmed responders 3: best change median -60.0 %" in text
    assert "duration of response median 7.4 months" in text
    # gaps: 56 (new), 112 (target+new), 56 (target), 56 (nontarget); with target 84, others 56
    assert "median 56 (all PDs), 84 (PDs involving target growth), 56 (the others)" in text
    assert "no scan below the baseline sum: 25.0 %" in text
