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


def test_the_null_draws_over_several_models() -> None:
    """A case on an overlay model (the vaccine site) runs in the null with the main model's cases;
    a parameter drawn already is not drawn again, and the overlay's protocol numbers stay the
    scenario's (0), so a draw cannot inject a challenge."""
    base = {
        "tier": "literature",
        "claim": "immunisation slows a later challenge",
        "source": {"paper": "Paper P", "panel": "abstract", "review_section": "3.2", "refs": [151]},
        "readout": "V_T",
        "measure": {"stat": "at", "at": 20},
        "expect": {"kind": "direction", "direction": "decrease"},
    }
    human = base | {"id": "h1", "system": {"inducer": "chronic"}}
    human |= {"perturbed": {"blocks": {"SASP": 1.0}}}
    vaccine = base | {"id": "v1", "system": {"scenario": "mouse_vaccine"}}
    vaccine |= {
        "control": {"params": {"n_challenge": 1.0e4}},
        "perturbed": {"params": {"n_challenge": 1.0e4}, "initial": {"Vs": 5.0e6}},
    }
    cases = parse_cases({"version": 2, "cases": [human, vaccine]})
    null = run_null(cases, 1.0, n=2, seed=3)
    assert len(null.rates) == 2 and null.failed_runs == 0
    spec = cases[1].scenario.load()
    drawn = draw_parameters(
        spec, np.random.default_rng(0), skip=frozenset(load_qsp().parameter_ids)
    )
    assert "n_challenge" in drawn and not set(drawn) & set(load_qsp().parameter_ids)
    assert cases[1].scenario.params["n_challenge"] == 0.0


@pytest.mark.parametrize(
    ("null", "error", "message"),
    [
        (-1, ValidationError, r"^null \(--null\) must be a whole number >= 0 .*got -1$"),
        ("3", TypeError, r"^null must be a whole number >= 0 .*got str '3'$"),
        (2.0, TypeError, r"^null must be a whole number >= 0 .*got float 2.0$"),
    ],
)
def test_run_validation_refuses_a_bad_null_before_the_suite_runs(
    null: object, error: type[Exception], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """run_validation(null=-1) ran every case (about a minute) and then said "--null: ... must
    be >= 1", though 0, the default, is allowed; now it is refused before any case runs."""
    import senotwin.analysis.validation as validation

    def no_suite(*args: object, **kwargs: object) -> None:
        raise AssertionError("the suite ran before null was checked")

    monkeypatch.setattr(validation, "run_cases", no_suite)
    with pytest.raises(error, match=message):
        validation.run_validation(null=null)  # type: ignore[arg-type]
