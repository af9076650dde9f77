"""The 95 % interval that scripts/ici_shared_scan.py --refit and mouse_parameter_profile.py read
off a profile: crossings of a 1.92 rise on either side of the minimum, open where none; the
quantity a liu2019 profile holds; and the per-term summary of scripts/ici_objective_noise.py."""

from __future__ import annotations

import math

import pytest

from senotwin.calibrate.profile import THRESHOLD_95 as T
from tests.scripts_loader import load_script


@pytest.fixture(scope="module")
def crossing():
    return load_script("ici_shared_scan").crossing


def test_a_profile_that_rises_on_both_sides_is_closed(crossing) -> None:
    values = [0.02, 0.05, 0.1, 0.2, 0.5]
    rise = [12.0, 4.0, 0.0, 1.0, 5.0]
    low, high = crossing(values, rise, -1), crossing(values, rise, 1)
    # log-linear: T (1.92) of the 4.0 rise between 0.1 and 0.05; T - 1 of 4.0 between 0.2 and 0.5
    assert low == pytest.approx(10 ** (math.log10(0.1) + T / 4.0 * math.log10(0.5)))
    assert high == pytest.approx(10 ** (math.log10(0.2) + (T - 1.0) / 4.0 * math.log10(2.5)))
    assert 0.05 < low < 0.1 < 0.2 < high < 0.5


def test_a_side_that_stays_below_the_threshold_is_open(crossing) -> None:
    values = [0.02, 0.1, 0.5]
    assert crossing(values, [3.0, 0.5, 0.0], 1) is None  # minimum at the upper end
    assert crossing(values, [3.0, 0.5, 0.0], -1) == pytest.approx(
        10 ** (math.log10(0.1) + (T - 0.5) / 2.5 * math.log10(0.2))
    )
    assert crossing(values, [1.0, 0.0, 1.9], -1) is None  # flat to both ends
    assert crossing(values, [1.0, 0.0, 1.9], 1) is None


def test_a_linear_scale_quantity_crosses_linearly(crossing) -> None:
    values = [0.0, 2.0, 4.0, 6.0]  # n_reinv.centre: linear scale, 0 allowed
    rise = [9.0, 3.0, 1.0, 0.0]
    assert crossing(values, rise, -1, log=False) == pytest.approx(4.0 - (T - 1.0) / 2.0 * 2.0)
    assert crossing(values, rise, 1, log=False) is None


def test_a_fitted_quantity_is_held_and_the_others_stay_free(monkeypatch) -> None:
    scan = load_script("ici_shared_scan")
    assert scan.quantity("k_byst") == "k_byst.value"
    assert scan.fitted("n_reinv.centre").scale == "lin"
    assert scan.fitted("K_sen_sat") is None
    seen: list[dict[str, float]] = []
    monkeypatch.setattr(scan.IciObjective, "statistics", lambda self, v: seen.append(v))
    obj = scan.HeldObjective({"n_reinv.centre": 2.0}, n=4, seed=0)
    ids = [p.id for p in obj.parameters]
    assert "n_reinv.centre" not in ids and len(ids) == len(scan.ICI_PARAMETERS) - 1
    obj.statistics({"k_kill.centre": 1.0})
    assert seen == [{"k_kill.centre": 1.0, "n_reinv.centre": 2.0}]


def test_objective_noise_summary_is_mean_sd_min_max_per_term() -> None:
    summarise = load_script("ici_objective_noise").summarise
    out = summarise([{"nllh": 10.0, "pfs_3m": 1.0}, {"nllh": 14.0, "pfs_3m": 3.0}])
    assert out["nllh"] == pytest.approx((12.0, math.sqrt(8.0), 10.0, 14.0))
    assert out["pfs_3m"] == pytest.approx((2.0, math.sqrt(2.0), 1.0, 3.0))
    assert math.isnan(summarise([{"nllh": 5.0}])["nllh"][1])
