"""scripts/liu2019_burst_spread.py: the assumed burst spread it profiles, and a profile that
scores the stored fit's values at each spread (small cohorts; the session-40 run used the fit's)."""

from __future__ import annotations

import math

from tests.scripts_loader import load_script


def test_the_profile_reads_the_assumed_spread_and_scores_each_value() -> None:
    script = load_script("liu2019_burst_spread")
    assert script.assumed_spread() == script.SPREAD.nominal == 0.3
    scores = script.profile([0.1, 1.0], seeds=[0, 1], n=9)
    assert set(scores) == {0.1, 1.0} and all(math.isfinite(v) for v in scores.values())
    assert scores[0.1] != scores[1.0]  # the spread reaches the patients it scores
