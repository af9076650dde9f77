"""scripts/pps_rate_fit.py: survival after progression read among the progressors only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from senotwin.trial.spec import DAYS_PER_MONTH
from tests.scripts_loader import load_script, sibling_imports


@pytest.fixture(scope="module")
def script():  # type: ignore[no-untyped-def]
    with sibling_imports():  # it imports trial_lesion_sensitivity
        yield load_script("pps_rate_fit")


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
