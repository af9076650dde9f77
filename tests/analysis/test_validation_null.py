"""Null test of the validation suite: random parameter draws, pass-rate distribution, p-value."""

from __future__ import annotations

import math

import numpy as np
import pytest

from senotwin._errors import ValidationError
from senotwin.analysis.validation import NullResult, draw_parameters, parse_cases, run_null
from senotwin.model.qsp import load_qsp


def test_draws_stay_in_range_and_are_log_uniform() -> None:
    spec = load_qsp()
    rng = np.random.default_rng(1)
    draws = [draw_parameters(spec, rng) for _ in range(400)]
    p = spec.parameter("K_sen_sat")  # range 2e6-1e8: log-uniform puts the median near 1.4e7
    values = np.array([d["K_sen_sat"] for d in draws])
    assert values.min() >= p.range[0] and values.max() <= p.range[1]  # type: ignore[index]
    geo_mid = math.sqrt(p.range[0] * p.range[1])  # type: ignore[index]
    assert 0.6 * geo_mid < np.median(values) < 1.6 * geo_mid
    zero_lo = np.array([d["stress_src"] for d in draws])  # range [0, 0.2]: uniform
    assert zero_lo.min() >= 0.0 and 0.07 < zero_lo.mean() < 0.13
    assert set(draws[0]) == {q.id for q in spec.parameters if q.range is not None}


def test_p_value_counts_draws_at_least_as_good() -> None:
    null = NullResult(
        n_cases=4, model_rate=0.75, rates=(0.25, 0.5, 0.75, 1.0), seed=0, failed_runs=0
    )
    assert null.p_value == pytest.approx(3 / 5)
    assert null.median == pytest.approx(0.625)
    assert null.to_dict()["null_pass_rates"] == [0.25, 0.5, 0.75, 1.0]


def test_run_null_is_reproducible_by_seed() -> None:
    case = {
        "id": "c1",
        "tier": "literature",
        "claim": "blocking the SASP shrinks a chronic lesion",
        "source": {"paper": "Paper P", "panel": "Fig. 1", "review_section": "3.2", "refs": [38]},
        "system": {"inducer": "chronic"},
        "perturbed": {"blocks": {"SASP": 1.0}},
        "readout": "V_T",
        "measure": {"stat": "at", "at": 30},
        "expect": {"kind": "direction", "direction": "decrease"},
    }
    cases = parse_cases({"version": 2, "cases": [case]})
    a = run_null(cases, 1.0, n=3, seed=7)
    b = run_null(cases, 1.0, n=3, seed=7)
    assert a.rates == b.rates and len(a.rates) == 3
    # one case: its own null pass rate is the draws' pass rate
    assert a.case_rate == {"c1": pytest.approx(sum(a.rates) / 3)}
    with pytest.raises(ValidationError, match=">= 1"):
        run_null(cases, 1.0, n=0)


def test_cases_most_random_sets_pass_are_flagged_uninformative() -> None:
    null = NullResult(
        n_cases=3,
        model_rate=1.0,
        rates=(0.67, 0.67, 1.0),
        seed=0,
        failed_runs=0,
        case_rates=(("always", 1.0), ("often", 0.9), ("rarely", 0.1)),
    )
    assert null.uninformative() == ("always", "often")
    d = null.to_dict()
    assert d["case_pass_rates"] == {"always": 1.0, "often": 0.9, "rarely": 0.1}
    assert d["uninformative_cases"] == ["always", "often"]
    # only a case that every draw passes is structural (consistency by the tier rules)
    assert null.structural() == ("always",)
    assert d["structural_cases"] == ["always"]
