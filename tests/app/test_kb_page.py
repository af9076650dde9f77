"""Knowledge base page: aliases resolve, statements carry quotes and citations, the map filters."""

from __future__ import annotations

import json

import pytest

from senotwin.app.kb_page import (
    SIGN_COLORS,
    edge_interactions,
    knowledge_base,
    map_figure,
    map_view,
    node_kind,
)
from senotwin.app.kb_view import evidence, map_for, node_card, path_list


def _text(children: object) -> str:
    """All text of rendered Dash components, for assertions."""
    return json.dumps(children, default=lambda c: c.to_plotly_json())


def test_an_alias_resolves_to_its_record_as_in_kb_show() -> None:
    children, ident = node_card("PD-L1")
    assert ident == "CD274"
    text = _text(children)
    assert "Acts on" in text or "Acted on by" in text
    assert "section " in text  # each statement says where the review states it


def test_a_word_that_names_no_node_lists_its_records_with_a_neutral_note() -> None:
    """'senolytic', the page's own example, names no entity or agent but 16 records mention
    it: the page said so in red as "unknown name 'senolytic'" (app53); now a plain note with
    the close names, then the records."""
    children, ident = node_card("senolytic")
    assert ident is None
    note, mentions, hits = children
    assert note.className == "kb-note" and note.children.startswith(
        "no entity or agent named 'senolytic' (did you mean 'SENOLYTICS'"
    )
    assert mentions.children.endswith("records mention 'senolytic':") and hits.id == "kb-hits"
    assert "unknown name" not in _text(children) and "regimen-error" not in _text(children)


def test_a_word_no_record_mentions_stays_an_error_naming_it_with_close_names() -> None:
    children, _ = node_card("senolitic")
    assert children[0].className == "regimen-error"
    assert children[0].children.startswith("unknown name 'senolitic'; did you mean 'SENOLYTICS'")
    assert children[1].children == "no record mentions it"


def test_a_neighbourhood_without_a_node_draws_no_map_but_says_what_to_do() -> None:
    """A word search left the centre empty and the '1 step' view drew the whole 160-node map
    (app53); 'whole map' still draws it."""
    for centre, radius in ((None, 1), (None, 2), ("senolytic", 1)):
        fig = map_for(centre, radius, [], ["+", "-"])
        assert fig.layout.title.text == "Mechanism map: no entity or agent to centre on"
        assert not fig.data and "whole map" in fig.layout.annotations[0].text
    assert "best-connected" in map_for(None, 0, [], ["+", "-"]).layout.title.text


def test_an_unknown_name_is_worded_for_the_page_not_the_cli() -> None:
    """The page told a web user to run `senotwin kb search TEXT` (audit, session 41)."""
    card = _text(node_card("zzqqxx")[0])
    assert "unknown name 'zzqqxx'; no name is close: try another name, alias or word" in card
    path = _text(path_list("IL-6", "zzqqxx", 3))
    assert (
        "error: unknown name 'zzqqxx'; type it in the 'Entity or agent' field above to search "
        "for it"
    ) in path
    close = _text(path_list("IL-6", "PD-L2", 3))
    assert "unknown name 'PD-L2'; did you mean 'PD-L1'" in close
    for text in (card, path, close):
        assert "senotwin" not in text and "`" not in text


def test_signed_paths_carry_quotes_and_reference_texts() -> None:
    text = _text(path_list("IL-6", "PD-L1", 3))
    assert "(net +)" in text or "(net -)" in text
    assert "cited: [" in text
    assert "error" in _text(path_list("IL-6", "no-such-thing", 3))


@pytest.mark.parametrize("length", [0, 2.5, "abc", 9])
def test_a_bad_path_length_is_said_not_guessed(length: object) -> None:
    """0 ran as 3, 2.5 as 2 and text answered HTTP 500; the box allows 1 to 5 while the
    error said 1..8 (audit, session 41)."""
    text = _text(path_list("IL-6", "PD-L1", length))  # type: ignore[arg-type]
    assert "error: path length" in text and "1 to 5" in text


def test_map_neighbourhood_filters_by_kind_and_sign() -> None:
    kb = knowledge_base()
    both = map_view(kb, centre="CD274", radius=1, keep_kinds=None, signs=["+", "-"])
    assert "CD274" in both.nodes and both.edges
    # every node shown is one step from CD274 (edges among those neighbours are drawn too)
    touching = {n for a, b, _, _ in both.edges if "CD274" in (a, b) for n in (a, b)}
    assert touching == set(both.nodes)
    plus = map_view(kb, centre="CD274", radius=1, keep_kinds=None, signs=["+"])
    assert plus.edges and {s for _, _, s, _ in plus.edges} == {"+"}
    cytokines = map_view(kb, centre="CD274", radius=1, keep_kinds=["cytokine"], signs=["+", "-"])
    assert {node_kind(kb, n) for n in cytokines.nodes if n != "CD274"} == {"cytokine"}


@pytest.mark.parametrize("centre", ["CD274", "IL6", "CGAS_STING"])
@pytest.mark.parametrize("radius", [1, 2])
@pytest.mark.parametrize("signs", [["+"], ["-"]])
def test_map_draws_under_every_sign_filter(centre: str, radius: int, signs: list[str]) -> None:
    """One sign unticked: a node within the radius in the whole map could be farther (or cut
    off) in the filtered one, got no ring and no position, and the page answered HTTP 500 for
    51 of 96 filter settings (audit, session 41)."""
    kb = knowledge_base()
    view = map_view(kb, centre=centre, radius=radius, keep_kinds=None, signs=signs)
    assert {n for a, b, _, _ in view.edges for n in (a, b)} <= set(view.nodes)
    map_figure(kb, view, centre=centre)  # every edge end has a position


def test_map_elements_carry_ids_for_click_evidence() -> None:
    kb = knowledge_base()
    view = map_view(kb, centre="CD274", radius=1, keep_kinds=None, signs=["+", "-"])
    fig = map_figure(kb, view, centre="CD274")
    ids = [c for t in fig.data if t.customdata is not None for c in t.customdata]
    assert "node:CD274" in ids
    edge = next(c for c in ids if c.startswith("edge:"))
    inters = edge_interactions(kb, edge)
    assert inters and all(i.sign == edge[-1] for i in inters)
    shown = _text(evidence({"points": [{"customdata": edge}]}))
    assert inters[0].evidence.quote[:30].replace('"', '\\"') in shown
    assert "kb-node-title" in _text(evidence({"points": [{"customdata": "node:CD274"}]}))
    assert {m.marker.color for m in fig.data if m.name and m.name.startswith("edge")} <= set(
        SIGN_COLORS.values()
    )


def test_whole_map_is_capped_and_drawn() -> None:
    fig = map_for(None, 0, [], ["+", "-"])
    assert "best-connected" in fig.layout.title.text


def test_the_hit_count_says_how_many_of_how_many_are_listed() -> None:
    """'1 records mention ...' and no word that the 25 listed were cut from more."""
    card = _text(node_card("interleukin")[0])
    assert "records mention 'interleukin'" in card and "the first" not in card
    many = _text(node_card("cell")[0])
    assert "; the first 25:" in many


def test_a_statement_id_shows_the_statement_with_its_references() -> None:
    """`model explain` lists kb statements by id (B262); the page looked them up as names."""
    children, ident = node_card("b262")
    text = _text(children)
    assert "B262: CCL2 recruits MDSC" in text and "cited: [9]" in text and "*" not in text
    assert ident == "CCL2"


def test_a_forged_centre_is_never_plotly_markup_nor_claimed_as_the_centre() -> None:
    """The map's title named any centre the request sent, as Plotly markup (a link could be
    forged), and said 'around' it while the whole map was drawn (audit s43)."""
    forged = '<a href="https://example.org">x</a>'
    for radius in (0, 1):
        title = map_for(forged, radius, [], ["+", "-"]).layout.title.text
        assert title.startswith("Mechanism map: ") and "<" not in title
    assert map_for("CD274", 1, [], ["+", "-"]).layout.title.text.startswith(
        "Mechanism map around CD274:"
    )


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: node_card(5), "type a name"),  # type: ignore[arg-type]
        (lambda: path_list(5, "PD-L1", 3), "give both ends of the path as names"),  # type: ignore[arg-type]
        (lambda: evidence({"points": [1]}), "click a node"),
        (lambda: evidence({"points": "abc"}), "click a node"),
        (lambda: evidence("abc"), "click a node"),  # type: ignore[arg-type]
    ],
)
def test_forged_types_are_answered_on_the_page_not_as_a_500(call: object, expected: str) -> None:
    """A number for a name, or a click that is no Plotly click, raised (HTTP 500; audit s43)."""
    assert expected in _text(call())  # type: ignore[operator]


@pytest.mark.parametrize(
    ("radius", "keep", "signs"),
    [("abc", [], ["+", "-"]), (1, 5, ["+"]), (1, [], 5), ([1], None, ["-"])],
)
def test_forged_map_controls_draw_a_map(radius: object, keep: object, signs: object) -> None:
    """Text for the radius (int('abc')) or a number for the signs raised (HTTP 500; s43)."""
    fig = map_for("CD274", radius, keep, signs)  # type: ignore[arg-type]
    assert fig.layout.title.text.startswith("Mechanism map")


def test_no_path_within_one_step_is_worded_in_the_singular() -> None:
    (shown,) = path_list("PD-L1", "IL-6", 1)
    assert shown.children == "no path from PD-L1 to IL-6 within 1 step"
