"""trial.checks: what the progressions involved and the control arm's survival after
progression, each against its cited reference."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from senotwin.trial.checks import (
    PD_PATTERN,
    checks_text,
    pd_pattern_checks,
    post_progression_check,
    trial_checks,
)
from senotwin.trial.library import get_trial
from senotwin.trial.spec import DAYS_PER_MONTH


def _rows(arm: str, pd_by: list[str], after_months: list[float]) -> pd.DataFrame:
    n = len(pd_by)
    pfs = np.full(n, 100.0)
    return pd.DataFrame(
        {
            "arm": arm,
            "status": "success",
            "pd_by": pd_by,
            "pfs_days": pfs,
            "os_days": pfs + np.asarray(after_months) * DAYS_PER_MONTH,
            "os_event": True,
        }
    )


def test_the_progression_pattern_counts_every_determinant_a_pd_involved() -> None:
    rows = _rows("a", ["target", "new", "target+new", "nontarget", ""], [1, 2, 3, 4, 5])
    checks = {c.check: c for c in pd_pattern_checks(rows)}
    assert len(checks) == 3 and all(
        c.n == 4 for c in checks.values()
    )  # the '' row never progressed
    by_key = {k: checks[f"progressions in which {label}"] for k, (_, label) in PD_PATTERN.items()}
    assert by_key["target"].simulated == pytest.approx(50.0)
    assert by_key["new"].simulated == pytest.approx(50.0)
    assert by_key["nontarget_or_new"].simulated == pytest.approx(75.0)
    assert by_key["target"].reference == pytest.approx(100 * 180 / 341)
    t = by_key["target"]
    assert t.sim_low < 50.0 < t.sim_high and t.holds  # 53 % inside a 4-patient interval


def test_post_progression_survival_is_read_on_the_control_arm() -> None:
    trial = get_trial("keynote189")
    control = trial.control.name
    pd_by = ["target"] * 9 + [""]
    rows = pd.concat(
        [
            _rows(control, pd_by, [1, 2, 3, 4, 5, 6, 7, 8, 9, 50]),
            _rows("pembro", pd_by, [50] * 10),
        ]
    )
    c = post_progression_check(trial, rows)
    assert c is not None and c.arm == control and c.n == 9
    assert c.simulated == pytest.approx(5.0)
    assert c.reference == trial.post_progression.median_months == 6.5
    rec = c.record()
    assert rec["holds"] == c.holds and all(
        v is None or not isinstance(v, float) or math.isfinite(v) for v in rec.values()
    )
    lines = checks_text(trial_checks(trial, rows))
    assert any("median survival after progression: 5.0" in line for line in lines)
    assert any(line.startswith("  source: ") for line in lines)
    # no progression in the control arm: nothing to read
    assert post_progression_check(trial, _rows(control, [""] * 3, [1, 2, 3])) is None
