"""scripts/trial_posterior_replicates.py: each replicate trial runs every patient with one
posterior draw (the patients the same in all), and the summary spans the replicates."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from senotwin.cohort.runner import ensemble_member
from senotwin.trial.library import get_trial
from senotwin.trial.run import trial_config
from tests.scripts_loader import load_script

rep = load_script("trial_posterior_replicates")


def test_a_replicate_gives_every_patient_the_same_draw() -> None:
    config = trial_config(get_trial("keynote189"), 12, seed=0, immune="posterior")
    configs = rep.replicate_configs(config, 4)
    step = len(config.ensemble) // 4
    assert [draw for draw, _ in configs] == [0, step, 2 * step, 3 * step]
    for draw, one in configs:
        assert one.ensemble == (config.ensemble[draw],)
        assert {ensemble_member(one, i) for i in range(12)} == {0}  # everyone: that member
        assert one.population == config.population and one.seed == config.seed
    with pytest.raises(SystemExit, match="--replicates 0: allowed 1-"):
        rep.replicate_configs(config, 0)
    with pytest.raises(SystemExit, match="no posterior members"):
        rep.replicate_configs(trial_config(get_trial("keynote189"), 12, immune="fit"), 2)


def test_summary_spans_the_replicates() -> None:
    rows = [
        {
            "population": "ITT",
            "arm": "b",
            "endpoint": ep,
            "simulated": v,
            "published": pub,
            "published_in_sim_ci": inside,
            "replicate": r,
        }
        for r, (hr, med, inside) in enumerate(
            [(0.5, 6.0, True), (0.7, 8.0, False), (0.6, math.inf, True)]
        )
        for ep, v, pub in (("HR PFS", hr, 0.52), ("median OS", med, None), ("DCR", 80.0, None))
    ]
    s = rep.summarise(pd.DataFrame(rows)).set_index("endpoint")
    assert "DCR" not in s.index  # not an endpoint with a published counterpart to span
    assert s.loc["HR PFS", "median"] == pytest.approx(0.6)
    assert s.loc["HR PFS", "q05"] == pytest.approx(0.51) and s.loc["HR PFS", "q95"] == 0.69
    assert s.loc["HR PFS", "ci_holds_published"] == pytest.approx(2 / 3)
    assert s.loc["median OS", "not_reached"] == 1 and s.loc["median OS", "median"] == 7.0
