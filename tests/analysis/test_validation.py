"""Literature validation suite: case loading, judging, and the shipped suite's pass rate."""

from __future__ import annotations

import pytest

from senotwin._errors import ValidationError
from senotwin.analysis.validation import (
    Case,
    _judge,
    load_cases,
    parse_cases,
)

REQUIRED_PASSING = (
    "nfkb_block_il6",
    "mtor_block_il1a",
    "mtor_block_nfkb_loop",
    "sting_block_ifni",
    "ifng_block_sasp_unchanged",
    "ifng_block_regression",
    "il6_block_pdl1",
    "il6_block_mdsc",
    "ccl2_block_mdsc",
    "acute_clearance",
    "acute_tumour_control",
    "chronic_suppressor_dominance",
    "chronic_mdsc",
    "chronic_treg",
    "chronic_tumour_growth",
    "cdk46i_no_nfkb_sasp",
)


@pytest.fixture
def report(validation_report):
    return validation_report  # session-scoped, in tests/conftest.py


def test_shipped_cases_are_many_and_cited():
    cases = load_cases()
    assert len(cases) >= 30
    assert len({c.id for c in cases}) == len(cases)
    for c in cases:
        assert c.section and c.claim
        assert c.refs, c.id


def test_pass_rate_and_explained_failures(report):
    assert len(report.results) >= 30
    assert report.pass_rate >= 0.9
    for r in report.failures():
        assert r.explanation and r.readout in r.explanation.split(" in ")[1]
    passed = {r.id for r in report.results if r.passed}
    missing = [cid for cid in REQUIRED_PASSING if cid not in passed]
    assert not missing, missing


def test_json_fields(report):
    d = report.to_dict()
    assert d["n_cases"] == len(report.results)
    case = d["cases"][0]
    for key in (
        "id",
        "claim",
        "perturbation",
        "readout",
        "expected",
        "observed",
        "passed",
        "section",
        "refs",
        "explanation",
    ):
        assert key in case
    assert set(case["observed"]) == {"control", "perturbed", "relative_change"}


def test_observed_change_is_consistent(report):
    for r in report.results:
        expect = (r.perturbed_value - r.control_value) / abs(r.control_value)
        assert r.relative_change == pytest.approx(expect)


def _case(expected: str, **kw: float) -> Case:
    doc = {
        "cases": [
            {
                "id": "x",
                "claim": "c",
                "section": "1",
                "refs": [1],
                "readout": "IL6",
                "expected": expected,
                "perturbed": {"blocks": {"NFKB": 0.5}},
                **kw,
            }
        ]
    }
    return parse_cases(doc)[0]


def test_judge_by_hand():
    dec = _case("decrease")
    assert _judge(dec, 2.0, 1.8)[:2] == (True, pytest.approx(-0.1))
    ok, change, why = _judge(dec, 2.0, 1.95)
    assert not ok and change == pytest.approx(-0.025) and "decrease of at least 5%" in why
    inc = _case("increase", min_effect=0.5)
    assert _judge(inc, 1.0, 1.6)[0] and not _judge(inc, 1.0, 1.4)[0]
    same = _case("unchanged", tolerance=0.1)
    assert _judge(same, 1.0, 1.09)[0] and not _judge(same, 1.0, 0.8)[0]


def test_arms_inherit_and_at_resets_the_statistic():
    doc = {
        "cases": [
            {
                "id": "x",
                "claim": "c",
                "section": "1",
                "refs": [1],
                "readout": "S_total",
                "expected": "decrease",
                "scenario": "legacy_acute_young",
                "control": {"window": [0, 90], "stat": "max"},
                "perturbed": {"at": 90},
            }
        ]
    }
    case = parse_cases(doc)[0]
    assert case.control.stat == "max" and case.control.window == (0.0, 90.0)
    assert case.perturbed.scenario == "legacy_acute_young"
    assert case.perturbed.stat == "at" and case.perturbed.at == 90.0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("readout", "IL7", "not a species or observable"),
        ("expected", "up", "expected"),
        ("scenario", "defualt", "did you mean"),
        ("perturbed", {"blocks": {"NFKBB": 0.5}}, "unknown block target"),
        ("perturbed", {"colour": 1}, "unknown field"),
    ],
)
def test_bad_cases_name_the_field(field, value, message):
    raw = {
        "id": "bad",
        "claim": "c",
        "section": "1",
        "refs": [1],
        "readout": "IL6",
        "expected": "decrease",
        "perturbed": {"blocks": {"NFKB": 0.5}},
    }
    raw[field] = value
    with pytest.raises(ValidationError, match=message):
        parse_cases({"cases": [raw]})
