"""scripts/cd8_cd274_correlation.py: the partial rank correlation removes a shared cause, and
the shipped melanoma cohorts give the data target recorded in quantitative-sources."""

from __future__ import annotations

import numpy as np
import pytest

from senotwin.trial.ici_data import ICI_DATA
from tests.scripts_loader import load_script

SCRIPT = load_script("cd8_cd274_correlation")


def test_partial_rho_removes_the_shared_cause_and_keeps_a_direct_link() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(size=400)
    x = z + 0.3 * rng.normal(size=400)
    y = z + 0.3 * rng.normal(size=400)
    assert abs(SCRIPT.partial_rho(x, y, z)) < 0.15  # only z links them
    y_direct = x + 0.3 * rng.normal(size=400)
    assert SCRIPT.partial_rho(x, y_direct, z) > 0.5


@pytest.mark.skipif(not (ICI_DATA / "liu_clinical.csv.gz").is_file(), reason="shared ICI data")
def test_melanoma_cohorts_give_the_recorded_target() -> None:
    lines, pool = SCRIPT.cohort_rows(ICI_DATA)
    assert lines[0].startswith("liu: n 74;") and "CD8 score-CD274 0.650" in lines[0]
    assert len(pool) == 74 + 27 + 23
