"""Provenance shares of `model stats`: overall, among the top-ranked GSA parameters, targets."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from senotwin.model import describe
from senotwin.model.describe import (
    provenance_lines,
    spec_fingerprint,
    stats,
    top_provenance,
    uncertain_parameters,
)
from senotwin.model.io import spec_from_dict
from senotwin.model.qsp import load_qsp
from senotwin.model.spec import ModelSpec


def _param(pid: str, kind: str, **extra: Any) -> dict[str, Any]:
    prov: dict[str, Any] = {
        "assumed": {"kind": "assumed", "rationale": "toy"},
        "derived": {"kind": "derived", "formula": "ln2 / 7 d"},
        "measured": {
            "kind": "measured",
            "value": "1",
            "unit": "1/day",
            "species": "human",
            "source": "Doe 2000 Table 1",
        },
    }[kind]
    return {"id": pid, "value": 0.5, "unit": "1/day", "range": [0.1, 1.0], "provenance": prov}


# 10 parameters: 4 assumed, 3 derived, 3 measured; "act" is a blockable activity scale
TOY: dict[str, Any] = {
    "id": "toy_prov",
    "species": [{"id": "X", "unit": "cells", "initial": 10.0}],
    "parameters": [
        *(_param(f"a{i}", "assumed") for i in range(3)),
        *(_param(f"d{i}", "derived") for i in range(3)),
        *(_param(f"m{i}", "measured") for i in range(3)),
        {
            "id": "act",
            "value": 1.0,
            "unit": "1",
            "range": [0.0, 1.0],
            "entity": "ACT",
            "provenance": {"kind": "assumed", "rationale": "activity scale"},
        },
    ],
    "processes": [
        {
            "id": "decay",
            "expression": "act * (a0 + a1 + a2 + d0 + d1 + d2 + m0 + m1 + m2) * X",
            "stoichiometry": {"X": -1},
        }
    ],
}


def _toy(**changes: Any) -> ModelSpec:
    data = copy.deepcopy(TOY)
    data.update(changes)
    return spec_from_dict(data)


def _ranking(spec: ModelSpec, order: list[str]) -> dict[str, Any]:
    return {
        "model": spec.id,
        "fingerprint": spec_fingerprint(spec),
        "design": {"scenario": "toy", "outcome": "log10 X at day 1", "samples": 50, "seed": 3},
        "ranking": [{"parameter": p, "prcc": 0.1, "p": 0.5} for p in order],
    }


def test_overall_shares_count_every_parameter() -> None:
    st = stats(_toy())
    overall = st["provenance"]["overall"]  # type: ignore[index]
    assert overall["count"] == {
        "measured": 3,
        "calibrated": 0,
        "derived": 3,
        "definition": 0,
        "citation": 0,
        "kb": 0,
        "assumed": 4,
    }
    assert overall["percent"]["assumed"] == 40.0
    assert st["provenance"]["top30_gsa"] is None  # type: ignore[index]
    assert st["provenance"]["targets_met"] == {"overall": False}  # type: ignore[index]


def test_top_share_counts_the_first_ranked_parameters_the_model_still_has(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = _toy()
    order = ["m0", "gone", "d0", "a0", "m1", "m2", "d1", "a1", "a2"]
    monkeypatch.setattr(describe, "gsa_ranking", lambda s: _ranking(spec, order))
    top = top_provenance(spec, top=5)
    assert top is not None
    assert [q["id"] for q in top["parameters"]] == ["m0", "d0", "a0", "m1", "m2"]  # type: ignore[index]
    assert top["count"] == {
        "measured": 3,
        "calibrated": 0,
        "derived": 1,
        "definition": 0,
        "citation": 0,
        "kb": 0,
        "assumed": 1,
    }
    assert top["percent"]["assumed"] == 20.0  # type: ignore[index]
    assert top["current"] is True
    monkeypatch.setattr(describe, "TOP_N", 5)
    st = stats(spec)
    assert st["provenance"]["targets_met"] == {"overall": False, "top": True}  # type: ignore[index]
    text = "\n".join(provenance_lines(st))
    assert "top-5 GSA parameters (log10 X at day 1, toy, 50 samples, seed 3" in text
    assert "measured 3 (60 %), derived 1 (20 %), assumed 1 (20 %)" in text
    assert "assumed top <= 20%: met" in text and "assumed overall <= 30%: NOT met" in text


def test_assumed_parameters_are_listed_most_influential_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = _toy()
    order = ["m0", "gone", "a2", "d0", "a0", "m1"]
    monkeypatch.setattr(describe, "gsa_ranking", lambda s: _ranking(spec, order))
    monkeypatch.setattr(describe, "TOP_N", 3)
    st = stats(spec)
    listed = st["provenance"]["assumed"]  # type: ignore[index]
    # ranks count the parameters the model still has ("gone" is skipped); unranked ones last
    assert listed == [
        {"id": "a2", "gsa_rank": 2},
        {"id": "a0", "gsa_rank": 4},
        {"id": "a1", "gsa_rank": None},
        {"id": "act", "gsa_rank": None},
    ]
    text = "\n".join(provenance_lines(st))
    assert "assumed among the top 3 (GSA rank): a2 (2)\n" in text + "\n"
    monkeypatch.setattr(describe, "gsa_ranking", lambda s: None)
    assert [a["gsa_rank"] for a in stats(spec)["provenance"]["assumed"]] == [None] * 4  # type: ignore[index]


def test_a_changed_value_makes_the_ranking_stale_a_provenance_edit_does_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = _toy()
    doc = _ranking(spec, ["a0", "m0"])
    monkeypatch.setattr(describe, "gsa_ranking", lambda s: doc)
    params = copy.deepcopy(TOY["parameters"])
    params[0]["provenance"] = {"kind": "derived", "formula": "now computed"}
    reprov = _toy(parameters=params)
    assert spec_fingerprint(reprov) == spec_fingerprint(spec)
    assert top_provenance(reprov)["current"] is True  # type: ignore[index]
    species = copy.deepcopy(TOY["species"])
    species[0]["entity"] = "XCELL"
    assert spec_fingerprint(_toy(parameters=params, species=species)) == spec_fingerprint(spec)
    renamed = copy.deepcopy(params)
    renamed[-1]["entity"] = "ACT_RENAMED"
    assert spec_fingerprint(_toy(parameters=renamed)) == spec_fingerprint(spec)
    params[0]["value"] = 0.6
    revalued = _toy(parameters=params)
    assert spec_fingerprint(revalued) != spec_fingerprint(spec)
    assert top_provenance(revalued)["current"] is False  # type: ignore[index]
    assert "STALE" in "\n".join(provenance_lines(stats(revalued)))


def test_activity_scales_and_unranged_parameters_are_not_sampled() -> None:
    params = copy.deepcopy(TOY["parameters"])
    del params[1]["range"]
    names = [p.id for p in uncertain_parameters(_toy(parameters=params))]
    assert names == ["a0", "a2", "d0", "d1", "d2", "m0", "m1", "m2"]


def test_switched_off_mechanisms_are_not_sampled() -> None:
    """A parameter at 0 on the floor of its range is a scenario input the scenario leaves off
    (a persistent inducer, a pump); one above its floor, or whose range starts above 0, is not."""
    params = copy.deepcopy(TOY["parameters"])
    params[0] |= {"value": 0.0, "range": [0.0, 1.0]}  # switched off: not sampled
    params[3] |= {"value": 0.2, "range": [0.0, 1.0]}  # on, range from 0: sampled
    names = [p.id for p in uncertain_parameters(_toy(parameters=params))]
    assert names == ["a1", "a2", "d0", "d1", "d2", "m0", "m1", "m2"]
    assert "stress_src" not in {p.id for p in uncertain_parameters(load_qsp())}


def test_the_shipped_qsp_ranking_names_its_design_and_covers_the_top_30() -> None:
    spec = load_qsp()
    top = top_provenance(spec)
    assert top is not None and top["top"] == 30
    design = top["design"]
    assert isinstance(design, dict)
    assert {"scenario", "outcome", "samples", "seed", "date", "regenerate"} <= set(design)
    ids = {p.id for p in uncertain_parameters(spec)}
    assert {q["id"] for q in top["parameters"]} <= ids  # type: ignore[union-attr]


def test_explain_with_a_scenario_shows_its_values_and_accepts_an_alias() -> None:
    """`model explain k_grow --scenario aged_melanoma_untreated` printed the default model's
    0.01035; 'PD-L1' was unknown (audit, session 41); the card of a plain export no longer
    calls the shipped ranking stale (the default scenario's values were written in)."""
    from typer.testing import CliRunner

    from senotwin.cli.app import app
    from senotwin.model.qsp import TISSUES

    run = CliRunner().invoke
    res = run(app, ["model", "explain", "k_grow", "--scenario", "aged_melanoma_untreated"])
    assert res.exit_code == 0 and f"value: {TISSUES['melanoma'].k_grow:g} 1/day" in res.output
    res = run(app, ["model", "explain", "PD-L1"])
    assert res.exit_code == 0 and res.output.startswith("entity CD274"), res.output


def test_a_plain_export_card_does_not_call_the_shipped_ranking_stale(tmp_path) -> None:
    """The README's export wrote the default scenario's values in, and the card then called
    the shipped sensitivity ranking STALE while `model stats` said current (audit, s41)."""
    from typer.testing import CliRunner

    from senotwin.cli.app import app

    out = tmp_path / "card.md"
    res = CliRunner().invoke(app, ["model", "export", "--format", "markdown", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "Top-30 GSA parameters" in out.read_text() and "STALE" not in out.read_text()


def test_explain_prints_each_cited_kb_statement_and_says_when_none_is_cited() -> None:
    """`model explain` listed bare ids (B262, ...) that `kb show` could not display: each cited
    interaction now comes with its statement and its place in the review."""
    spec = load_qsp()
    text = describe.explain(spec, "mdsc_recruitment")
    assert "    B262: CCL2 recruits MDSC (section 3.1.2; refs" in text
    assert "senotwin kb show ID" in text
    assert "kb evidence: none cited" in describe.explain(spec, "stress_decay")  # turnover
    assert "    B244: SASP produces IL6" in describe.explain(spec, "IL6_t")
