"""Schedule search: toxicity surrogate by hand, schedule steps, seeded search beats no drug."""

from __future__ import annotations

import pytest

from senotwin._errors import ValidationError
from senotwin.cohort.optimize import (
    DrugCourse,
    optimize_schedule,
    schedule_of,
    toxicity,
)


def test_toxicity_by_hand() -> None:
    a = DrugCourse("ici", 0.5, 0.0, 90.0)
    b = DrugCourse("senolytic", 1.0, 60.0, 30.0)
    # ici: 1.0 * 0.5 * 90/90 = 0.5; senolytic: 1.5 * 1 * 30/90 = 0.5; overlap 30 d: 0.5*1*30/90
    assert toxicity([a, b]) == pytest.approx(0.5 + 0.5 + 0.5 / 3)
    assert toxicity([a]) == pytest.approx(0.5)


def test_schedule_switches_blocks_on_and_off() -> None:
    s = schedule_of([DrugCourse("ici", 0.8, 10.0, 20.0)])
    assert [(st.time, st.parameter, st.value) for st in s.steps] == [
        (10.0, "block_PDCD1", 0.8),
        (30.0, "block_PDCD1", 0.0),
    ]


def test_search_is_seeded_and_reports_uncertainty() -> None:
    kw = {"horizon": 42.0, "budget": 4, "patients": 3, "seed": 3}
    res = optimize_schedule("default", ["senolytic", "ici"], **kw)
    again = optimize_schedule("default", ["senolytic", "ici"], **kw)
    assert res.best == again.best
    top = res.best[0]
    assert top.ci_low <= top.mean_log_ratio <= top.ci_high
    assert set(top.order) == {"senolytic", "ici"}
    assert [b.mean_log_ratio for b in res.best] == sorted(b.mean_log_ratio for b in res.best)
    # a senolytic on top of chemotherapy-induced senescence does not do worse than no drug
    assert top.mean_log_ratio <= res.reference.mean_log_ratio + 1e-9
    assert top.toxicity == pytest.approx(toxicity(top.administrations))


def test_bad_requests() -> None:
    with pytest.raises(ValidationError, match="unknown drug"):
        optimize_schedule("default", ["aspirin"], budget=1, patients=2)
    with pytest.raises(ValidationError, match="once"):
        optimize_schedule("default", ["ici", "ici"], budget=1, patients=2)
    with pytest.raises(ValidationError, match="horizon"):
        optimize_schedule("default", ["ici"], horizon=5, budget=1, patients=2)
