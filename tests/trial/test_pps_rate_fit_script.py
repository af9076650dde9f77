"""scripts/pps_rate_fit.py: survival after progression read among the progressors only."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from senotwin.trial.spec import DAYS_PER_MONTH
from tests.scripts_loader import SCRIPTS, load_script


@pytest.fixture(scope="module")
def script():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(SCRIPTS))  # it imports trial_lesion_sensitivity as scripts do
    try:
        yield load_script("pps_rate_fit")
    finally:
        sys.path.remove(str(SCRIPTS))


def test_pps_is_read_on_progressors_with_deaths_censored(script) -> None:  # type: ignore[no-untyped-def]
    after = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    table = pd.DataFrame(
        {
            "pd_by": ["target"] * 6 + [""],
            "pfs_days": [100.0] * 6 + [700.0],
            "os_days": [*(100.0 + after * DAYS_PER_MONTH), 730.0],
            "os_event": [True] * 5 + [False, False],
        }
    )
    # 6 progressors (the last censored at 6 months); 3 of 6 dead by 3.5 months
    assert script.pps_at(table, 3.5) == pytest.approx(0.5)
    assert script.pps_at(table, 0.5) == pytest.approx(1.0)
