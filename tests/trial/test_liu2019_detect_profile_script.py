"""scripts/liu2019_detect_profile.py: the read's 'gone' size moves complete responses into and out
of the partial ones and nothing else the fit scores as a responder."""

from __future__ import annotations

import math

from tests.scripts_loader import load_script

profile = load_script("liu2019_detect_profile")


def test_a_larger_gone_size_turns_partial_into_complete_responses_only() -> None:
    small, large = (profile._score((60, 0, d)) for d in (2.0, 5.0))
    assert small["responders"] == large["responders"] > 0
    assert large["cr_among_responders"] > small["cr_among_responders"]
    assert math.isfinite(small["nllh"]) and math.isfinite(large["nllh"])
    assert small["nllh"] != large["nllh"]  # the CR term of the fit sees the read
