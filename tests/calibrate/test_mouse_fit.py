"""The EMT6 fit: observation model, the held-back split, and the shipped calibrated values."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest

import senotwin.calibrate.mouse_fit as mf
from senotwin.calibrate.mouse_data import mariathasan2018
from senotwin.model.qsp import MOUSE_EMT6_FIT, MOUSE_TREATMENT_START


def test_days_with_few_mice_left_are_not_used() -> None:
    table = mariathasan2018(part="fitted")
    iso = mf.arm_points(table, "isotype")
    # day 25: only 2 isotype mice are left (the others reached the end point)
    assert 25 not in set(iso.times)
    assert 21 in set(iso.times)
    assert (iso.sigma >= mf.SIGMA_MIN).all()


def test_floor_placeholders_are_left_censored(monkeypatch) -> None:
    pts = mf.Points(
        "anti_pdl1",
        np.array([30.0, 30.0]),
        np.array([8.0, 8.0]),
        np.array([True, False]),
        np.array([0.5, 0.5]),
    )
    monkeypatch.setattr(
        mf, "simulate_arm", lambda arm, values, days, engine="fast": np.full(2, 2.0)
    )
    r = mf.residuals({}, [pts])
    assert r[0] == 0.0  # below a placeholder volume: consistent with "not measurable"
    assert r[1] == pytest.approx(np.log(2.0 / 8.0) / 0.5)


def test_fit_sees_only_the_fitted_arms(monkeypatch) -> None:
    seen: set[str] = set()

    def fake(arm, values, days, engine="fast"):
        seen.add(arm)
        return 160.0 * np.exp(values["k_grow"] * np.asarray(days, float))

    monkeypatch.setattr(mf, "simulate_arm", fake)
    result = mf.fit(starts=1, max_nfev=3)
    assert seen == {"isotype", "anti_pdl1", "anti_tgfb"}
    assert len(result.starts) == 2  # the shipped values + one Latin-hypercube start
    assert set(result.best) == set(mf.BOUNDS)


def test_shipped_values_are_the_recorded_fit() -> None:
    path = resources.files("senotwin.calibrate") / "data" / "mariathasan2018" / "fit.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    best = record["best"]
    for name, value in MOUSE_EMT6_FIT.items():
        assert value == pytest.approx(best[name], rel=1e-3), name
    assert pytest.approx(best["t_start"], rel=1e-3) == MOUSE_TREATMENT_START
    roles = {(a["arm"], a["role"]) for a in record["arms"]}
    assert ("combination", "held back") in roles
    assert ("combination_cd8_depleted", "held back") in roles


@pytest.fixture(scope="module")
def shipped_summary():
    return mf.arm_summary(mf.start_values(), engine="reference").set_index(["panel", "arm"])


def test_shipped_fit_separates_isotype_from_anti_pdl1_and_combination(shipped_summary) -> None:
    last = shipped_summary["model_mm3"]
    assert last[("Fig. 4a", "anti_pdl1")] < 0.1 * last[("Fig. 4a", "isotype")]
    # held back: the combination regresses as the mice do (geometric mean within a factor 2)
    combo = shipped_summary.loc[("Fig. 4a", "combination")]
    assert 0.5 < combo["model_mm3"] / combo["observed_geomean_mm3"] < 2.0


def test_shipped_fit_predicts_the_loss_of_effect_without_cd8(shipped_summary) -> None:
    depleted = shipped_summary.loc[("Extended Data Fig. 5i", "combination_cd8_depleted")]
    assert depleted["rmse_log"] < 0.5  # within a factor ~1.6 of the mice on average
    assert depleted["model_mm3"] > 1000.0  # grows on, as the depleted mice do
    combo = shipped_summary.loc[("Extended Data Fig. 5i", "combination")]
    assert depleted["model_mm3"] > 50 * combo["model_mm3"]
