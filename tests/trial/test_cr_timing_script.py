"""scripts/cr_timing.py: CR re-read by time, spread and detection size; the residual lesion of
patients whose cancer cells die out."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from tests.scripts_loader import load_script, sibling_imports


@pytest.fixture(scope="module")
def script() -> ModuleType:
    with sibling_imports():
        return load_script("cr_timing")


def test_the_residual_reads_composition_after_extinction(script: ModuleType) -> None:
    """A CR patient whose cancer cells die on day 10: the rows after it give the diameter over
    baseline and the senescent and dead shares; a CR patient who never goes extinct is left out."""
    t = np.arange(0.0, 400.0)
    course = pd.DataFrame(
        {
            "time": t,
            "diameter": np.where(t < 10, 20.0, 2.0),
            "C": np.where(t < 10, 1e6, 0.0),
            "Ci": 0.0,
            "Se": 900.0,
            "Sl": 50.0,
            "Sd": 49.0,
            "D": 1.0,
        }
    )
    rows = pd.DataFrame(
        {
            "arm": ["a", "a"],
            "patient": [0, 1],
            "best_response": ["CR", "CR"],
            "extinction_day": [10.0, np.inf],
        }
    )
    res = script.residual(rows, {("a", 0): course, ("a", 1): course})
    assert list(res["after_days"]) == list(script.AFTER_DAYS) and set(res["patient"]) == {0}
    assert res["diameter_rel"].tolist() == pytest.approx([0.1] * 4)
    assert res["senescent_share"].tolist() == pytest.approx([0.999] * 4)
    assert res["dead_share"].tolist() == pytest.approx([0.001] * 4)


def test_main_prints_both_parts(script: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert script.main(["--trial", "impower133", "--n", "2"]) == 0
    out = capsys.readouterr().out
    assert "impower133: CR % by arm, re-read at 6 / 13.9 / 24 months" in out
    assert out.count("spread ") == 4 and "detection 5 mm" in out
    assert "CR patients:" in out
