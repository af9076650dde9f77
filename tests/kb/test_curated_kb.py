"""Spot checks of the shipped knowledge base against specific statements of the review."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from senotwin.kb import query
from senotwin.kb.loader import KnowledgeBase

REVIEW = Path(__file__).resolve().parents[2] / ".." / "shared" / "seed" / "000_8adeab3b0a8fa146.txt"


@pytest.fixture
def kb(shipped_kb: KnowledgeBase) -> KnowledgeBase:
    return shipped_kb  # session-scoped, in tests/conftest.py


def test_sizes_meet_the_curation_targets(kb: KnowledgeBase) -> None:
    st = query.stats(kb)
    assert st["entities"] >= 150
    assert st["distinct_signed_edges"] >= 300
    assert st["references"] == 210
    assert sorted(kb.references) == list(range(1, 211))
    assert st["table1_rows"] == 11
    assert st["table2_rows"] == 6
    assert st["agents_outside_tables"] >= 25
    assert st["negated_statements"] >= 3


@pytest.mark.parametrize(
    ("alias", "ident"),
    [
        ("IL-8", "CXCL8"),
        ("PD-L1", "CD274"),
        ("MCP-1", "CCL2"),
        ("RANTES", "CCL5"),
        ("NKG2A", "KLRC1"),
        ("TNF-α", "TNF"),
        ("IFN-γ", "IFNG"),
        ("p16", "CDKN2A"),
        ("p21", "CDKN1A"),
        ("Lamin B1", "LMNB1"),
        ("C/EBPβ", "CEBPB"),
    ],
)
def test_review_aliases_resolve(kb: KnowledgeBase, alias: str, ident: str) -> None:
    assert query.resolve(kb, alias) == ident


def _route_through(kb: KnowledgeBase, src: str, dst: str, via: set[str], length: int) -> bool:
    return any(
        via <= set(p.nodes) and p.sign == "+"
        for p in query.paths(kb, src, dst, max_length=length, limit=500)
    )


def test_pd_l1_routes_of_section_2_1_2(kb: KnowledgeBase) -> None:
    assert _route_through(kb, "IL6", "CD274", {"STAT3", "MYC", "MIR25_3P"}, 5)
    assert _route_through(kb, "IFNG", "CD274", {"STAT1", "IRF1"}, 5)
    assert _route_through(kb, "TNF", "CD274", {"NFKB"}, 3)


def _negated(kb: KnowledgeBase, ref: int) -> list[str]:
    return [i.id for i in kb.interactions.values() if i.negated and ref in i.evidence.refs]


def test_null_statements_are_recorded(kb: KnowledgeBase) -> None:
    assert _negated(kb, 76), "CDK4/6-inhibitor senescence does not induce NF-κB targets (ref 76)"
    assert _negated(kb, 153), "IFN-γ disruption does not change SASP generation (ref 153)"
    assert any(_negated(kb, r) for r in (182, 183, 184)), "IL-6/IL-6R blockade (refs 182-184)"


def test_table_rows_are_verbatim(kb: KnowledgeBase) -> None:
    rows = {(a.table_row.table, a.table_row.row): a for a in kb.agents.values() if a.table_row}
    metformin = rows[(1, 1)].table_row
    assert metformin is not None
    assert metformin.cells["Name of drug"] == "Metformin"
    assert metformin.cells["Species of repressed SASP"] == "IL-6, IL-8, MCP-1, GRO"
    birb = next(a for a in kb.agents.values() if a.name.startswith("BIRB796"))
    assert birb.table_row is not None and birb.table_row.cells["Type of pathway"] == "PPAR γ"
    sazyme = rows[(2, 6)].table_row
    assert sazyme is not None and sazyme.cells["Type of tumor"] == "Lung cancer"


def test_curator_notes_for_known_conflicts(kb: KnowledgeBase) -> None:
    birb = query.resolve(kb, "BIRB796")
    assert any("p38" in n.correction for n in kb.notes.values() if birb in n.about)
    bay = query.resolve(kb, "BAY 11-7082")
    assert any(bay in n.about for n in kb.notes.values())


def test_reference_entries_match_citations(kb: KnowledgeBase) -> None:
    assert "CDK4/6" in kb.references[76].text
    assert "Ra" in kb.references[197].text or "radium" in kb.references[197].text.lower()


@pytest.mark.skipif(not REVIEW.is_file(), reason="the review text (../shared/seed) is not present")
def test_every_quote_is_an_exact_excerpt_of_the_review(kb: KnowledgeBase) -> None:
    text = re.sub(r"\s+", " ", REVIEW.read_text(encoding="utf-8"))
    quotes = [(i.id, i.evidence.quote) for i in kb.interactions.values()]
    quotes += [(a.id, ev.quote) for a in kb.agents.values() for ev in a.evidence]
    missing = [ident for ident, q in quotes if re.sub(r"\s+", " ", q) not in text]
    assert not missing, f"quotes not found verbatim in the review: {missing[:20]}"
