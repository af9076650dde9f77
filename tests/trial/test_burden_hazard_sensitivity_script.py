"""scripts/burden_hazard_sensitivity.py: the same patients run with another burden coefficient
keep their responses and progression and only die at other times."""

from __future__ import annotations

import pytest

from tests.scripts_loader import load_script


@pytest.mark.usefixtures("in_process_workers")  # tests/conftest.py: why, and what still runs
def test_the_burden_coefficient_moves_only_survival() -> None:
    script = load_script("burden_hazard_sensitivity")
    none = script.os_rows("impower133", 8, 0, 0.0, 1)
    steep = script.os_rows("impower133", 8, 0, 0.0113, 1)
    assert set(none["endpoint"]) >= {"median OS", "HR OS", "HR PFS"}
    assert (none["beta_per_mm"] == 0.0).all() and (steep["beta_per_mm"] == 0.0113).all()
    assert (none["trial"] == "impower133").all()
    os_none = none[none["endpoint"] == "median OS"]["simulated"].to_numpy()
    os_steep = steep[steep["endpoint"] == "median OS"]["simulated"].to_numpy()
    assert os_none.shape == os_steep.shape and (os_none != os_steep).any()
    # the published values are carried beside the simulated ones, unchanged
    assert none["published"].equals(steep["published"])
