"""scripts/liu2019_roughness.py: the roughness measures tell a smooth line from a step line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.scripts_loader import load_script

rough = load_script("liu2019_roughness")


def test_a_smooth_parabola_has_no_jumps_and_a_staircase_has() -> None:
    t = np.linspace(-2, 2, 31)
    terms = pd.DataFrame({"tertile0": t**2, "recist_cr_of_responders": 0 * t})
    smooth = rough.line_metrics(t, t**2, terms)
    assert smooth["quad_r2"] == pytest.approx(1.0)
    assert smooth["resid_sd"] == pytest.approx(0.0, abs=1e-9)
    assert smooth["distinct"] == 16  # symmetric: t and -t agree
    assert smooth["d2_tertile"] == pytest.approx(1.0)
    stairs = np.floor(2 * t**2)  # the same trend counted in whole steps
    steps = pd.DataFrame({"tertile0": 0 * t, "recist_cr_of_responders": stairs})
    rough_ = rough.line_metrics(t, stairs, steps)
    assert rough_["noise_sd"] > 10 * smooth["noise_sd"] + 0.1
    assert rough_["resid_sd"] > 0.1 and rough_["distinct"] < 31
    assert rough_["d2_recist"] == pytest.approx(1.0)


def test_term_groups_and_lag1() -> None:
    assert rough.group_of("pd_os_24m") == "pd_os"
    assert rough.group_of("os_12m") == "os"
    assert rough.group_of("recist_sd_of_nonresp") == "recist"
    walk = np.cumsum(np.random.default_rng(0).standard_normal((400, 2)), axis=0)
    noise = np.random.default_rng(1).standard_normal((400, 2))
    assert np.all(rough.lag1(walk) > 0.9)
    assert np.all(np.abs(rough.lag1(noise)) < 0.15)
    assert rough.lag1(np.ones((10, 1)))[0] == 1.0  # a chain that never moved
