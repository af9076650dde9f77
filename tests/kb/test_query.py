"""Queries on the miniature knowledge base, with hand-checked answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from senotwin import ValidationError
from senotwin.kb import load, query
from senotwin.kb.loader import KnowledgeBase


@pytest.fixture()
def kb(mini_kb_dir: Path) -> KnowledgeBase:
    return load(mini_kb_dir)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("PD-L1", "CD274"),
        ("pd-l1", "CD274"),
        ("B7-H1", "CD274"),
        ("IL-8", "CXCL8"),
        ("il8", "CXCL8"),
        ("NF-κB", "NFKB"),
        ("NF-kappaB", "NFKB"),
        ("RELA", "NFKB"),
        ("TNF-alpha", "TNF"),
        ("TNF-α", "TNF"),
        ("sirolimus", "RAPAMYCIN"),
        ("interleukin-6", "IL6"),
    ],
)
def test_aliases_resolve(kb: KnowledgeBase, name: str, expected: str) -> None:
    assert query.resolve(kb, name) == expected


def test_unknown_name_suggests_closest(kb: KnowledgeBase) -> None:
    with pytest.raises(ValidationError, match=r"unknown name 'STAT33'.*did you mean 'STAT3'"):
        query.resolve(kb, "STAT33")


def test_show_collects_edges_agents_and_notes(kb: KnowledgeBase) -> None:
    view = query.show(kb, "mTOR")
    assert [i.id for i in view.outgoing] == ["T10"]
    assert view.agents_targeting == ("RAPAMYCIN",)
    assert query.show(kb, "rapamycin").notes[0].id == "N1"


def test_neighbors_direction(kb: KnowledgeBase) -> None:
    assert {i.id for i in query.neighbors(kb, "STAT3", direction="in")} == {"T1", "T8"}
    assert {i.id for i in query.neighbors(kb, "STAT3", direction="out")} == {"T2"}
    with pytest.raises(ValidationError, match="direction 'up'"):
        query.neighbors(kb, "STAT3", direction="up")  # type: ignore[arg-type]


def test_signed_paths_il6_to_pdl1(kb: KnowledgeBase) -> None:
    found = query.paths(kb, "IL-6", "PD-L1", max_length=5)
    routes = {p.nodes: p.sign for p in found}
    # direct activation route through STAT3/c-MYC/miR-25-3p is positive
    assert routes[("IL6", "STAT3", "MYC", "MIR25_3P", "CD274")] == "+"
    # IL-6 -| PTPRO -| STAT3 -> ... : two negatives give a positive net effect
    assert routes[("IL6", "PTPRO", "STAT3", "MYC", "MIR25_3P", "CD274")] == "+"
    shortest = found[0]
    assert shortest.nodes[0] == "IL6" and shortest.nodes[-1] == "CD274"
    assert shortest.refs == (64,)
    assert "IL6 -[activates]-> STAT3" in shortest.describe()


def test_paths_respect_max_length_and_skip_negated(kb: KnowledgeBase) -> None:
    assert query.paths(kb, "IL6", "CD274", max_length=3) == []
    # the only CDK4/6i -> NF-kB statement is a null statement: no path
    assert query.paths(kb, "CDK4_6_INHIBITION", "CD274") == []
    with pytest.raises(ValidationError, match="max_length 0"):
        query.paths(kb, "IL6", "CD274", max_length=0)


def test_negative_path_sign(kb: KnowledgeBase) -> None:
    (path,) = query.paths(kb, "PTPRO", "MYC", max_length=2)
    assert path.sign == "-"


def test_drugs_filters(kb: KnowledgeBase) -> None:
    assert [a.id for a in query.drugs(kb, target="mTOR")] == ["RAPAMYCIN"]
    assert query.drugs(kb, agent_class="senolytic") == []
    with pytest.raises(ValidationError, match="agent class 'magic'"):
        query.drugs(kb, agent_class="magic")


def test_drugs_tumour_of_another_kind_is_refused(shipped_kb: KnowledgeBase) -> None:
    """`kb drugs --tumour lung` printed '0 agent(s)' (audit, session 50): 'lung' is the tissue
    LUNG, which no agent lists as a tumour type; it names the field and the tumour types."""
    with pytest.raises(ValidationError) as err:
        query.drugs(shipped_kb, tumor="lung")
    text = str(err.value)
    assert "--tumour 'lung'" in text and "LUNG, a tissue" in text
    assert "did you mean 'LUNG_CANCER', 'NSCLC'?" in text and "MELANOMA" in text
    with pytest.raises(ValidationError, match="is RAPAMYCIN, an agent, not a tumour type"):
        query.drugs(shipped_kb, tumor="rapamycin")
    assert {a.id for a in query.drugs(shipped_kb, tumor="lung cancer")} >= {"ABT_263"}


def test_cite_numbers_ids_and_names(kb: KnowledgeBase) -> None:
    assert [r.number for r in query.cite(kb, ["76"])] == [76]
    assert [r.number for r in query.cite(kb, ["T5"])] == [71]
    assert [r.number for r in query.cite(kb, ["rapamycin"])] == [161]
    with pytest.raises(ValidationError, match=r"reference number '500' is not in the review's"):
        query.cite(kb, ["500"])


@pytest.mark.parametrize("item", ["-1", "0", "1.5", "+0", ".5", "1" * 5000])
def test_cite_says_a_bad_number_is_no_reference_number(kb: KnowledgeBase, item: str) -> None:
    """-1 and 1.5 were looked up as names ("unknown name '-1'; did you mean 'L1'?") and '²' hit
    int() (audit, session 41): a number is a reference number 1..N or said not to be one."""
    top = max(kb.references)
    with pytest.raises(ValidationError) as err:
        query.cite(kb, [item])
    message = str(err.value)
    assert message.startswith(f"reference number {item[:12]!r}")
    assert message.endswith(
        f"is not in the review's list (allowed: the review's reference numbers 1..{top})"
    )
    with pytest.raises(ValidationError, match="reference numbers '-2', '0' are not"):
        query.cite(kb, ["-2", "0", "76"])
    with pytest.raises(ValidationError, match="unknown name '²'"):  # not a number: a name
        query.cite(kb, ["²"])


def test_search_finds_quotes_and_names(kb: KnowledgeBase) -> None:
    hits = query.search(kb, "miR-25")
    assert {h.id for h in hits} >= {"MIR25_3P", "T1"}
    with pytest.raises(ValidationError, match="search text is empty"):
        query.search(kb, "  ")


def test_stats_counts(kb: KnowledgeBase) -> None:
    st = query.stats(kb)
    assert st["entities"] == 12
    assert st["interactions"] == 10
    assert st["negated_statements"] == 1
    assert st["table1_rows"] == 1
    assert st["references"] == 5


def test_show_interaction_by_id_with_its_references(kb: KnowledgeBase) -> None:
    view = query.show_interaction(kb, "t4")  # ids are matched whatever the case
    assert view is not None
    assert view.interaction.statement() == "MIR25_3P upregulates CD274"
    assert [r.number for r in view.references] == [64]
    assert view.interaction.evidence.place() == "section 2.1.2; refs 64"
    assert query.show_interaction(kb, "T99") is None
    assert query.show_interaction(kb, "PD-L1") is None  # a name is not an interaction id


def test_cite_reads_a_single_string_as_one_item(kb: KnowledgeBase) -> None:
    """A str is an Iterable[str]: cite(kb, "64") read it digit by digit (audit s42 api2 H2)."""
    assert [r.number for r in query.cite(kb, "64")] == [64]
    assert [r.number for r in query.cite(kb, "64")] == [r.number for r in query.cite(kb, ["64"])]


def test_search_refuses_a_limit_below_one(kb: KnowledgeBase) -> None:
    with pytest.raises(ValidationError, match=r"limit \(--limit\) must be a whole number >= 1"):
        query.search(kb, "IL-6", limit=-1)  # a slice [:-1] dropped the last hit
