"""Loading and validation: good files load, malformed files are rejected with precise messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from senotwin import ValidationError
from senotwin.kb import load
from tests.kb.conftest import write_kb


def test_mini_kb_loads(mini_kb_dir: Path) -> None:
    kb = load(mini_kb_dir)
    assert len(kb.entities) == 12
    assert len(kb.interactions) == 10
    assert kb.agents["RAPAMYCIN"].table_row is not None
    assert kb.references[76].year == 2020


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["entities"][0].update(kind="hormone"),
            r"entities/mini.yaml: entry #1 \(id 'IL6'\): field 'kind'",
        ),
        (
            lambda d: d["entities"][1].update(hgnc=["stat3"]),
            r"entry #2 \(id 'STAT3'\): field 'hgnc'",
        ),
        (
            lambda d: d["interactions"][0].update(sign="-"),
            r"entry #1 \(id 'T1'\).*implies sign '\+'",
        ),
        (
            lambda d: d["interactions"][1].update(target="STAT9"),
            r"entry #2 \(id 'T2'\): field 'target' names unknown entity 'STAT9'",
        ),
        (
            lambda d: d["interactions"][2].pop("evidence"),
            r"entry #3 \(id 'T3'\): field 'evidence': Field required",
        ),
        (
            lambda d: d["interactions"][3]["evidence"].update(refs=[999]),
            r"id 'T4'.*reference number\(s\) \[999\]",
        ),
        (
            lambda d: d["interactions"][4]["evidence"].update(section="9.9"),
            r"field 'evidence.section'",
        ),
        (lambda d: d["entities"].append(dict(d["entities"][0])), r"duplicate entity id 'IL6'"),
        (
            lambda d: d["agents"][0].update(targets=["MTORC9"]),
            r"agent 'RAPAMYCIN': field 'targets' names unknown entity 'MTORC9'",
        ),
        (
            lambda d: d["agents"][0].update(classes=["miracle"]),
            r"agents/mini.yaml: entry #1 \(id 'RAPAMYCIN'\): field 'classes.0'",
        ),
        (
            lambda d: d["notes"][0].update(about=["NOPE"]),
            r"curator note 'N1': field 'about' names unknown id 'NOPE'",
        ),
        (lambda d: d["interactions"][0].update(colour="red"), r"field 'colour': Extra inputs"),
    ],
)
def test_malformed_entries_are_rejected_with_file_entry_and_field(
    tmp_path: Path, mini_data: dict[str, list[dict[str, Any]]], mutate: Any, expected: str
) -> None:
    mutate(mini_data)
    root = write_kb(tmp_path / "bad", mini_data)
    with pytest.raises(ValidationError, match=expected):
        load(root)


def test_contradictory_duplicate_edges_need_separating_context(
    tmp_path: Path, mini_data: dict[str, list[dict[str, Any]]]
) -> None:
    opposite = {
        "id": "T99",
        "source": "MTOR",
        "target": "SASP",
        "effect": "inhibits",
        "sign": "-",
        "context": {"phase": "chronic"},
        "evidence": {"section": "3.1.1", "refs": [100], "quote": "a contradicting claim here"},
    }
    mini_data["interactions"].append(opposite)
    with pytest.raises(ValidationError, match="contradictory claims about MTOR -> SASP"):
        load(write_kb(tmp_path / "c1", mini_data))
    # the same pair with a context that separates it is accepted
    opposite["context"] = {"phase": "acute"}
    kb = load(write_kb(tmp_path / "c2", mini_data))
    assert kb.interactions["T99"].sign == "-"


def test_invalid_yaml_names_file_and_line(tmp_path: Path, mini_kb_dir: Path) -> None:
    (mini_kb_dir / "entities" / "broken.yaml").write_text("entities:\n  - id: X\n   kind: [\n")
    with pytest.raises(
        ValidationError, match=r"broken.yaml: line \d+, column \d+ is not valid YAML"
    ):
        load(mini_kb_dir)


def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="does not exist"):
        load(tmp_path / "nowhere")


def test_duplicate_yaml_key_is_rejected(mini_kb_dir: Path) -> None:
    (mini_kb_dir / "entities" / "dup.yaml").write_text(
        "entities:\n  - id: X1\n    name: X\n    kind: protein\n    kind: cytokine\n"
    )
    with pytest.raises(ValidationError, match=r"dup.yaml: line 5.*key 'kind' is given twice"):
        load(mini_kb_dir)
