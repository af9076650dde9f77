"""Report sections about the knowledge base: statistics, mechanism map, agent tables, notes."""

from __future__ import annotations

import html

import matplotlib.pyplot as plt

from senotwin.kb import query
from senotwin.kb.loader import KnowledgeBase
from senotwin.report.html import Section, html_table, png_img
from senotwin.report.mechanism_map import figure_bytes, mechanism_map_figure


def mechanism_map_png(kb: KnowledgeBase) -> bytes:
    """The mechanism map rendered as PNG bytes."""
    fig = mechanism_map_figure(kb)
    try:
        return figure_bytes(fig, "png")
    finally:
        plt.close(fig)


def stats_section(kb: KnowledgeBase) -> Section:
    """Headline counts of the knowledge base."""
    st = query.stats(kb)
    tiles = [
        ("entities", st["entities"]),
        ("interactions", st["interactions"]),
        ("distinct signed edges", st["distinct_signed_edges"]),
        ("null statements", st["negated_statements"]),
        ("agents", st["agents"]),
        ("Table 1 rows", st["table1_rows"]),
        ("Table 2 rows", st["table2_rows"]),
        ("references", st["references"]),
        ("curator notes", st["curator_notes"]),
    ]
    body = '<div class="stats">' + "".join(
        f'<div class="stat"><b>{v}</b>{html.escape(k)}</div>' for k, v in tiles
    )
    body += "</div>"
    by_kind: dict[str, int] = st["entities_by_kind"]
    kinds = sorted(by_kind.items(), key=lambda kv: -kv[1])
    body += "<h3>Entities by kind</h3>" + html_table(["kind", "count"], kinds)
    return Section(
        "Knowledge base",
        body,
        lead="Every statement is a signed, typed interaction with the review's section, figure, "
        "reference numbers and an exact quote. Query it with `senotwin kb show|path|drugs`.",
    )


def map_section(kb: KnowledgeBase, png: bytes) -> Section:
    """The layered mechanism map figure."""
    return Section(
        "Mechanism map",
        png_img(png, "SASP mechanism map"),
        lead="Inducers → senescence core → SASP control → SASP factors → immune and stromal "
        "cells → tumour outcomes; green arrows activate, red arrows inhibit, grey arrows are "
        "context-dependent (opposite signs in acute vs chronic SASP).",
    )


def agents_section(kb: KnowledgeBase) -> Section:
    """Table 1 and Table 2 as printed, and the further agents the text names."""
    parts = []
    for number, caption in (
        (1, "Table 1 — Drugs targeting SASP inhibition (as printed)"),
        (2, "Table 2 — Combination therapy with immune checkpoint inhibitors (as printed)"),
    ):
        rows = sorted(
            (a for a in kb.agents.values() if a.table_row and a.table_row.table == number),
            key=lambda a: a.table_row.row if a.table_row else 0,
        )
        if not rows:
            continue
        first = rows[0].table_row
        columns = list(first.cells) if first else []
        parts.append(f"<h3>{html.escape(caption)}</h3>")
        parts.append(
            html_table(
                columns,
                ([a.table_row.cells.get(c, "") for c in columns] for a in rows if a.table_row),
            )
        )
    others = sorted((a for a in kb.agents.values() if a.table_row is None), key=lambda a: a.name)
    parts.append(f"<h3>Further agents and strategies named in the text ({len(others)})</h3>")
    parts.append(
        html_table(
            ["agent", "class", "targets", "tumour types", "section", "refs"],
            (
                [
                    a.name,
                    ", ".join(a.classes),
                    ", ".join(a.targets),
                    ", ".join(a.tumor_types),
                    ", ".join(sorted({ev.section for ev in a.evidence})),
                    ", ".join(str(r) for r in sorted({r for ev in a.evidence for r in ev.refs})),
                ]
                for a in others
            ),
        )
    )
    return Section("Therapeutic agents", "".join(parts))


def notes_section(kb: KnowledgeBase) -> Section:
    """Curator notes: where the review conflicts with the cited work or pharmacology."""
    rows = [
        [n.id, ", ".join(n.about), n.review_statement, n.correction, n.source]
        for n in kb.notes.values()
    ]
    return Section(
        "Curator notes",
        html_table(["note", "about", "the review says", "correction", "source"], rows),
        lead="The review's statement is kept as printed; the correction sits beside it.",
    )
