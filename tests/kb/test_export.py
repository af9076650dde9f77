"""Every export round-trips: CSV back in, GraphML and Cytoscape JSON read by networkx."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest

from senotwin import ValidationError
from senotwin.kb import export, load


def test_csv_round_trip_is_lossless(mini_kb_dir: Path, tmp_path: Path) -> None:
    kb = load(mini_kb_dir)
    written = export.write_csv(kb, tmp_path / "csv")
    assert sorted(p.name for p in written) == [
        "agents.csv",
        "entities.csv",
        "interactions.csv",
        "notes.csv",
        "references.csv",
    ]
    back = export.read_csv(tmp_path / "csv")
    assert back.entities == kb.entities
    assert back.interactions == kb.interactions
    assert back.agents == kb.agents
    assert back.references == kb.references
    assert back.notes == kb.notes


def test_graphml_is_read_by_networkx(mini_kb_dir: Path, tmp_path: Path) -> None:
    kb = load(mini_kb_dir)
    (out,) = export.export(kb, "graphml", tmp_path / "kb.graphml")
    graph = nx.read_graphml(out, force_multigraph=True)
    assert graph.number_of_nodes() == len(kb.entities) + len(kb.agents)
    assert graph.number_of_edges() == len(kb.interactions)
    edge = graph.get_edge_data("IL6", "STAT3")
    (data,) = edge.values()
    assert data["effect"] == "activates" and data["sign"] == 1 and data["refs"] == "64"


def test_cytoscape_json_round_trip(mini_kb_dir: Path, tmp_path: Path) -> None:
    kb = load(mini_kb_dir)
    (out,) = export.export(kb, "cytoscape-json", tmp_path / "kb.cyjs")
    graph = nx.cytoscape_graph(json.loads(out.read_text()))
    assert graph.number_of_edges() == len(kb.interactions)


def test_sif_lists_signed_edges_without_null_statements(mini_kb_dir: Path, tmp_path: Path) -> None:
    kb = load(mini_kb_dir)
    (out,) = export.export(kb, "sif", tmp_path / "kb.sif")
    rows = [line.split("\t") for line in out.read_text().splitlines()]
    assert ["IL6", "activates:pos", "STAT3"] in rows
    assert ["IL6", "downregulates:neg", "PTPRO"] in rows
    assert len(rows) == len(kb.interactions) - 1  # the negated statement is not an edge


def test_unknown_format_and_missing_table(mini_kb_dir: Path, tmp_path: Path) -> None:
    kb = load(mini_kb_dir)
    with pytest.raises(ValidationError, match="export format 'xlsx' is not one of"):
        export.export(kb, "xlsx", tmp_path / "x")
    export.write_csv(kb, tmp_path / "csv")
    (tmp_path / "csv" / "agents.csv").unlink()
    with pytest.raises(ValidationError, match=r"agents\.csv is missing"):
        export.read_csv(tmp_path / "csv")


def test_export_to_missing_parent_fails_without_writing(mini_kb_dir: Path, tmp_path: Path) -> None:
    kb = load(mini_kb_dir)
    with pytest.raises(ValidationError, match="does not exist"):
        export.export(kb, "sif", tmp_path / "no" / "such" / "kb.sif")
    assert not (tmp_path / "no").exists()
