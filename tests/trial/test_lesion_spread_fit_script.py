"""scripts/lesion_spread_fit.py: the progression pattern of a re-read table and its score
against the 341 reference progressions."""

from __future__ import annotations

import sys

import pandas as pd
import pytest

from tests.scripts_loader import load_script, sibling_imports


@pytest.fixture(scope="module")
def script():  # type: ignore[no-untyped-def]
    with sibling_imports():  # it imports trial_lesion_sensitivity
        yield load_script("lesion_spread_fit")


def test_pattern_counts_progressions_only(script) -> None:  # type: ignore[no-untyped-def]
    table = pd.DataFrame({"pd_by": ["target", "new", "target+nontarget", "", None]})
    shares = script.pattern(table)
    assert shares["n"] == 3
    assert shares["target"] == pytest.approx(2 / 3)
    assert shares["new"] == pytest.approx(1 / 3)
    assert shares["nontarget_or_new"] == pytest.approx(2 / 3)


def test_the_score_is_lowest_at_the_reference_shares(script) -> None:  # type: ignore[no-untyped-def]
    ref = {k: v / script.REFERENCE_N for k, v in script.REFERENCE_K.items()}
    at_ref = script.pseudo_nllh(ref)
    for key in ref:
        for step in (-0.1, 0.1):
            assert script.pseudo_nllh(ref | {key: ref[key] + step}) > at_ref
    assert script.REFERENCE_K == {"target": 180, "nontarget_or_new": 287, "new": 210}


def test_one_simulation_is_re_read_at_any_spread(script) -> None:  # type: ignore[no-untyped-def]
    """The same courses re-read without spread and with the shipped one: the same patients and
    arms, the same baselines; only what the progressions involved may move."""
    from dataclasses import replace

    from senotwin.analysis.endpoints import LESION_GROWTH_SPREAD
    from senotwin.trial.library import get_trial

    sens = sys.modules["trial_lesion_sensitivity"]
    trial = get_trial("impower133")
    rows, courses = sens.simulate_courses(trial, 4, 0)
    assert len(rows) == 8 and set(courses) == {(r.arm, r.patient) for r in rows.itertuples()}
    flat = sens.reread(trial, rows, courses, replace(trial.rules, lesion_growth_spread=0.0))
    spread = sens.reread(
        trial, rows, courses, replace(trial.rules, lesion_growth_spread=LESION_GROWTH_SPREAD)
    )
    assert list(flat["arm"]) == list(spread["arm"]) == list(rows["arm"])
    assert (flat["baseline_mm"] == spread["baseline_mm"]).all()
    for table in (flat, spread):
        shares = script.pattern(table)
        assert shares["n"] == (table["pd_by"] != "").sum()
