"""scripts/liu2019_cohort_noise.py scores the shipped optimum on the cohort it names, and
scripts/liu2019_refit.py runs each distinct start once."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from senotwin.trial.ici_fit import IciObjective, shipped_start, start_vector
from tests.scripts_loader import load_script

NOISE = load_script("liu2019_cohort_noise")
REFIT = load_script("liu2019_refit")


def test_score_is_the_shipped_optimum_on_that_seed_and_size() -> None:
    x = start_vector(shipped_start()[0])
    n, seed, value, seconds = NOISE.score((12, 3))
    assert (n, seed) == (12, 3) and seconds >= 0.0
    assert value == IciObjective(n=12, seed=3)(x)
    assert value != IciObjective(n=12, seed=0)(x)  # another cohort's luck, another value


def test_one_seed_gives_no_spread_and_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["liu2019_cohort_noise.py", "--seeds", "0"])
    with pytest.raises(SystemExit, match="at least 2 --seeds"):
        NOISE.main()


def test_a_repeated_start_is_searched_once() -> None:
    a, b = np.array([0.1, 0.2]), np.array([0.3, 0.2])
    kept = REFIT.distinct([("shipped", a), ("--start 0", a.copy()), ("draw 4", b)])
    assert [label for label, _ in kept] == ["shipped", "draw 4"]
