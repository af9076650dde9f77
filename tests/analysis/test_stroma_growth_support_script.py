"""scripts/stroma_growth_support.py decomposes the model's growth process: its support term must
be the part of process ``growth`` above k_grow, so a change of that process shows up here."""

from __future__ import annotations

import numpy as np
import pytest

from senotwin.model.qsp import load_qsp
from tests.scripts_loader import load_script


def test_the_decomposed_term_is_the_growth_process() -> None:
    growth = next(p for p in load_qsp().processes if p.id == "growth")
    assert growth.expression == (
        "k_grow * C * (1 + w_il6_growth * (il6_stat3_t - il6_stat3_own) + cxcr_mitogen)"
        " * (1 - (C + Ci + Se + Sl + Sd + D) / C_max)"
    )


def test_support_is_the_boost_above_k_grow_and_its_saturated_ceiling() -> None:
    script = load_script("stroma_growth_support")
    one = np.ones(2)
    t = {
        k: one * v
        for k, v in {
            "C": 6e9,
            "Ci": 0.0,
            "Se": 1e7,
            "Sl": 1e7,
            "Sd": 0.0,
            "D": 0.0,
            "il6_stat3_t": 0.5,
            "il6_stat3_own": 0.4,
            "cxcr_mitogen": 0.01,
            "cxcr2_own": 0.1,
        }.items()
    }
    p = {"C_max": 2e11, "k_grow": 0.01, "w_il6_growth": 0.5, "w_cxcr2_growth": 0.5}
    s = script._support(t, p)
    cap = 1 - 6.02e9 / 2e11
    assert s["total"][0] == pytest.approx(0.01 * cap * (0.5 * 0.1 + 0.01))
    assert s["sat"][0] == pytest.approx(0.01 * cap * (0.5 * 0.6 + 0.5 * 0.9))
