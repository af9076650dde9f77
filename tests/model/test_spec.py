"""ModelSpec validation, YAML round trip and the block mechanism."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from senotwin._errors import ValidationError
from senotwin.model import compile_spec, flatten, load_fixture, load_spec, save_spec
from senotwin.model.io import spec_from_dict, spec_from_yaml, spec_to_yaml

BASE: dict[str, Any] = {
    "id": "toy",
    "species": [
        {"id": "X", "unit": "cells", "initial": 10.0, "entity": "XCELL"},
        {"id": "Y", "unit": "cells", "initial": 0.0},
    ],
    "parameters": [
        {
            "id": "k",
            "value": 0.5,
            "unit": "1/day",
            "range": [0.1, 1.0],
            "provenance": {"kind": "assumed", "rationale": "toy value"},
        },
        {
            "id": "kill",
            "value": 0.1,
            "unit": "1/(cells*day)",
            "entity": "KILLER",
            "provenance": {"kind": "citation", "text": "Doe 2000 Table 1"},
        },
    ],
    "processes": [
        {
            "id": "convert",
            "rate_law": "first_order",
            "args": {"k": "k", "X": "X"},
            "stoichiometry": {"X": -1, "Y": 1},
            "kb": ["I1"],
        },
        {"id": "kill_Y", "expression": "kill * X * Y", "stoichiometry": {"Y": -1}},
    ],
    "observables": [
        {"id": "signal", "rate_law": "product", "args": {"a": "k", "b": "X"}, "entity": "SIG"},
        {"id": "double", "expression": "2 * signal"},
    ],
}


def _mutated(path: list[Any], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


def test_valid_spec_builds() -> None:
    spec = spec_from_dict(BASE)
    assert spec.entities() == ("KILLER", "SIG", "XCELL")
    assert spec.species_ids == ("X", "Y")


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        (["processes", 0, "args"], {"k": "k", "X": "Z"}, "argument X='Z' is not a declared id"),
        (["processes", 0, "args"], {"k": "k"}, "missing argument"),
        (["processes", 0, "args"], {"k": "k", "X": "X", "Q": "X"}, "unexpected argument"),
        (["processes", 0, "rate_law"], "frist_order", "did you mean 'first_order'"),
        (["processes", 0, "stoichiometry"], {"W": 1}, "unknown species 'W'"),
        (["processes", 1, "expression"], "kill * X * Yy", "unknown name 'Yy'"),
        (["processes", 1, "expression"], "kill.x", "not allowed"),
        (["parameters", 0, "value"], 5.0, "outside its plausible range"),
        (["parameters", 0, "unit"], "", "unit is missing"),
        (["parameters", 0, "unit"], "furlongs", "unknown unit 'furlongs'"),
        (["parameters", 1, "id"], "k", "duplicate id"),
        (["species", 0, "initial"], -1.0, "greater than or equal to 0"),
        (["species", 0, "compartment"], "liver", "unknown compartment"),
        (["parameters", 0, "provenance"], {"kind": "guess"}, "provenance"),
        (["observables", 0, "args"], {"a": "X", "b": "double"}, "cycle"),
        (["processes", 0, "args"], {"k": "X", "X": "X"}, "must be a parameter"),
        (["species", 1, "id"], "block_Y", "reserved"),
    ],
)
def test_invalid_specs_name_the_field(path: list[Any], value: Any, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment) as info:
        spec_from_dict(_mutated(path, value), source="toy.yaml")
    assert "toy.yaml" in str(info.value)


def test_located_message_names_record_and_field() -> None:
    with pytest.raises(ValidationError, match=r"parameters\[0\] \(id 'k'\)\.unit"):
        spec_from_dict(_mutated(["parameters", 0, "unit"], 3))


def test_yaml_round_trip(tmp_path: Path) -> None:
    spec = spec_from_dict(BASE)
    out = save_spec(spec, tmp_path / "toy.yaml")
    assert load_spec(out) == spec
    assert spec_from_yaml(spec_to_yaml(spec)).digest() == spec.digest()


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["parameters", 0, "provenance"], {"kind": "assumed", "rationale": "another reason"}),
        (["parameters", 0, "name"], "a new name"),
        (["processes", 0, "kb"], ["I2"]),
        (["description"], "reworded"),
    ],
)
def test_numbers_digest_ignores_annotations(path: list[Any], value: Any) -> None:
    base, edited = spec_from_dict(BASE), spec_from_dict(_mutated(path, value))
    assert edited.digest() != base.digest()
    assert edited.numbers_digest() == base.numbers_digest()


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["parameters", 0, "value"], 0.6),
        (["parameters", 0, "range"], [0.1, 2.0]),
        (["species", 0, "initial"], 11.0),
        (["processes", 1, "expression"], "kill * X"),
    ],
)
def test_numbers_digest_sees_what_is_computed(path: list[Any], value: Any) -> None:
    assert spec_from_dict(_mutated(path, value)).numbers_digest() != (
        spec_from_dict(BASE).numbers_digest()
    )


def test_malformed_yaml_reports_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: toy\nspecies: [\n  {id: X\n")
    with pytest.raises(ValidationError, match=r"bad.yaml: line \d+, column \d+ is not valid YAML"):
        load_spec(bad)
    with pytest.raises(ValidationError, match=r"model file .* does not exist"):
        load_spec(tmp_path / "missing.yaml")
    (tmp_path / "list.yaml").write_text(yaml.safe_dump([1, 2]))
    with pytest.raises(ValidationError, match="must be a mapping"):
        load_spec(tmp_path / "list.yaml")


def test_blocks_scale_uses_not_own_turnover() -> None:
    spec = spec_from_dict(BASE)
    flat = flatten(spec)
    assert flat.parameters[-3:] == ("block_KILLER", "block_SIG", "block_XCELL")
    model = compile_spec(spec)
    y = np.array([10.0, 4.0])
    p = np.array(flat.values)
    # no block: convert = 0.5*10, kill_Y = 0.1*10*4
    assert np.allclose(model.rates(0.0, y, p), [5.0, 4.0])
    blocked = p.copy()
    blocked[flat.parameters.index("block_XCELL")] = 0.75
    blocked[flat.parameters.index("block_KILLER")] = 0.5
    # X keeps its own turnover (convert changes X) but its effect on Y's killing is scaled
    assert np.allclose(model.rates(0.0, y, blocked), [5.0, 4.0 * 0.25 * 0.5])
    blocked[flat.parameters.index("block_SIG")] = 1.0
    obs = dict(
        zip([o for o, _ in flat.observables], model.observables(0.0, y, blocked), strict=True)
    )
    assert obs["signal"] == 0.0 and obs["double"] == 0.0


def test_fixtures_load() -> None:
    spec = load_fixture("kuznetsov1994")
    assert "E" in spec.species_ids
    with pytest.raises(ValidationError, match="unknown fixture"):
        load_fixture("nope")


def test_measured_and_derived_provenance_are_counted_and_described() -> None:
    from senotwin.model.describe import explain, stats

    data = copy.deepcopy(BASE)
    data["parameters"][0]["provenance"] = {
        "kind": "measured",
        "value": "0.0035",
        "unit": "1/hour",
        "species": "human",
        "source": "Doe 2000 Table 1",
        "conversion": "x 24 h/day",
    }
    data["parameters"][1]["provenance"] = {"kind": "derived", "formula": "ln2 / 7 d"}
    spec = spec_from_dict(data)
    st = stats(spec)
    assert st["parameter_provenance"] == {
        "measured": 1,
        "calibrated": 0,
        "derived": 1,
        "definition": 0,
        "citation": 0,
        "kb": 0,
        "assumed": 0,
    }
    text = explain(spec, "k")
    assert "measured: 0.0035 1/hour (human), Doe 2000 Table 1; conversion: x 24 h/day" in text
    assert "derived: ln2 / 7 d" in explain(spec, "kill")
    assert spec_from_yaml(spec_to_yaml(spec)) == spec


def test_calibrated_provenance_counts_identifiable_parameters() -> None:
    from senotwin.model.describe import explain, stats

    data = copy.deepcopy(BASE)
    data["parameters"][0]["provenance"] = {
        "kind": "calibrated",
        "dataset": "galvis2019 (passages 5-17)",
        "fit": "50 starts, least_squares trf",
        "interval": [0.2, 0.4],
        "identifiable": True,
    }
    data["parameters"][1]["provenance"] = {
        "kind": "calibrated",
        "dataset": "galvis2019 (passages 5-17)",
        "fit": "50 starts, least_squares trf",
        "interval": [0.1, None],
        "identifiable": False,
    }
    spec = spec_from_dict(data)
    st = stats(spec)
    assert st["parameter_provenance"]["calibrated"] == 2
    assert st["calibrated_identifiable"] == 1
    assert st["calibration"] == {
        "calibrated": 2,
        "identifiable": 1,
        "by_dataset": {
            "galvis2019": {
                "calibrated": [p["id"] for p in data["parameters"][:2]],
                "identifiable": [data["parameters"][0]["id"]],
            }
        },
    }
    from senotwin.export.card import to_html, to_markdown

    card = to_markdown(spec)
    assert "## Calibrated parameters" in card
    assert "| galvis2019 | kill |" in card and "0.1 - open | no |" in card
    assert "Calibrated parameters" in to_html(spec)
    assert "Calibrated parameters" not in to_markdown(spec_from_dict(BASE))
    assert "95% CI 0.1 - open (not identifiable)" in explain(spec, "kill")
    assert spec_from_yaml(spec_to_yaml(spec)) == spec
    data["parameters"][1]["provenance"].pop("dataset")
    with pytest.raises(ValidationError, match="dataset"):
        spec_from_dict(data)


def test_measured_provenance_needs_its_source() -> None:
    prov = {"kind": "measured", "value": "1", "unit": "1/day", "species": "human"}
    with pytest.raises(ValidationError, match="source"):
        spec_from_dict(_mutated(["parameters", 0, "provenance"], prov))


def test_a_definition_has_no_range_and_refuses_to_vary() -> None:
    """Unit conversions (mL_per_L) could be varied and fitted like magnitudes (audit, s41)."""
    from senotwin.model.describe import explain, stats
    from senotwin.model.qsp import load_qsp

    prov = {"kind": "definition", "statement": "1 L = 1000 mL"}
    with pytest.raises(ValidationError, match=r"a definition \(1 L = 1000 mL\) has no plausible"):
        spec_from_dict(_mutated(["parameters", 0, "provenance"], prov))
    data = _mutated(["parameters", 0, "provenance"], prov)
    del data["parameters"][0]["range"]
    spec = spec_from_dict(data)
    k = spec.parameter("k")
    assert k.is_definition and not spec.parameter("kill").is_definition
    assert stats(spec)["parameter_provenance"]["definition"] == 1
    assert "plausible range: none (a definition" in explain(spec, "k")
    with pytest.raises(
        ValidationError,
        match=r"^k is a definition \(a unit conversion or physical constant: 1 L = 1000 mL\), "
        r"not a model parameter; it cannot be estimated$",
    ):
        k.check_variable("estimated")
    spec.parameter("kill").check_variable("estimated")  # a magnitude: no error
    qsp = load_qsp()
    assert sorted(p.id for p in qsp.parameters if p.is_definition) == [
        "mL_per_L",
        "mm_per_cm",
        "one_cell",
    ]


def test_model_format_doc_shows_the_messages_load_spec_gives(tmp_path: Path) -> None:
    """docs/model-format.md's example had the two labels swapped ('parameters[0] (id 'k').unit'
    for the unit, 'parameter 'k'' for the range) and all three problems in one message, which
    validation reports in two stages: each doc line must be what load_spec says."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "model-format.md").read_text("utf-8")
    section = doc.split("## Validation messages", 1)[1].split("\n## ", 1)[0]
    blocks = [b.split("\n", 1)[1] for b in section.split("```")[1::2]]
    model: dict[str, Any] = {
        "id": "doc",
        "species": [{"id": "X", "unit": "cells", "initial": 1.0}],
        "parameters": [
            {
                "id": "k",
                "value": 5.0,
                "unit": "1/day",
                "range": [0.1, 1.0],
                "provenance": {"kind": "assumed", "rationale": "doc example"},
            }
        ],
        "processes": [
            {
                "id": "convert",
                "rate_law": "first_order",
                "args": {"k": "k", "X": "Z"},
                "stoichiometry": {"X": -1},
            }
        ],
    }
    across = copy.deepcopy(model)
    across["parameters"][0].update(value=0.5, unit="dya")
    assert len(blocks) == 2
    for block, spec in zip(blocks, (model, across), strict=True):
        path = tmp_path / "model.yaml"
        path.write_text(yaml.safe_dump(spec), encoding="utf-8")
        with pytest.raises(ValidationError) as err:
            load_spec(path)
        said = str(err.value).replace(str(tmp_path) + "/", "")
        for line in block.strip().splitlines():
            assert line.split(" (known:")[0] in said
