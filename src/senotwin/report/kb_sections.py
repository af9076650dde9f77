"""Report sections about the knowledge base: statistics, mechanism map, agent tables, notes."""

from __future__ import annotations

from senotwin.kb import query
from senotwin.kb.loader import KnowledgeBase
from senotwin.report.mechanism_map import (
    figure_bytes,
    layout,
    map_caption,
    map_counts,
    mechanism_map_figure,
)
from senotwin.report.section import Figure, Section, Stat, Table

MAP_PER_LAYER = 12


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
    by_kind: dict[str, int] = st["entities_by_kind"]
    kinds = [
        (kind.replace("_", " "), n)
        for kind, n in sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return Section(
        "Knowledge base",
        intro="Every statement is a signed, typed interaction with the review's section, figure, "
        "reference numbers and an exact quote. Query it with senotwin kb show, path or drugs.",
        stats=tuple(Stat(label, str(value)) for label, value in tiles),
        tables=(Table.of(("entity kind", "entities (count)"), kinds, caption="Entities by kind."),),
    )


def map_section(kb: KnowledgeBase) -> Section:
    """The layered mechanism map figure, its caption counting what is drawn and what is not."""
    png = figure_bytes(mechanism_map_figure(kb, max_per_layer=MAP_PER_LAYER), "png")
    counts = map_counts(kb, layout(kb, max_per_layer=MAP_PER_LAYER))
    return Section(
        "Mechanism map",
        intro="Inducers → senescence core → SASP control → SASP factors → immune and stromal "
        "cells → tumour outcomes; green arrows activate, red arrows inhibit, grey arrows are "
        "context-dependent (opposite signs in acute vs chronic SASP). senotwin kb path and "
        "senotwin kb neighbors list every interaction the map leaves out.",
        figures=(
            Figure(
                "mechanism_map.png",
                png,
                map_caption(counts, MAP_PER_LAYER),
                "SASP mechanism map",
            ),
        ),
    )


def agents_section(kb: KnowledgeBase) -> Section:
    """Table 1 and Table 2 as printed, and the further agents the text names."""
    parts: list[Table] = []
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
        parts.append(
            Table.of(
                columns,
                [[a.table_row.cells.get(c, "") for c in columns] for a in rows if a.table_row],
                caption=caption,
            )
        )
    others = sorted((a for a in kb.agents.values() if a.table_row is None), key=lambda a: a.name)
    parts.append(
        Table.of(
            ["agent", "class", "targets", "tumour types", "review section", "refs"],
            [
                [
                    a.name,
                    ", ".join(a.classes),
                    ", ".join(a.targets),
                    ", ".join(a.tumor_types),
                    ", ".join(sorted({ev.section for ev in a.evidence})),
                    ", ".join(str(r) for r in sorted({r for ev in a.evidence for r in ev.refs})),
                ]
                for a in others
            ],
            caption=f"Further agents and strategies named in the text ({len(others)}).",
        )
    )
    return Section("Therapeutic agents", tables=tuple(parts))


def notes_section(kb: KnowledgeBase) -> Section:
    """Curator notes: where the review conflicts with the cited work or pharmacology."""
    rows = [
        [n.id, ", ".join(n.about), n.review_statement, n.correction, n.source]
        for n in kb.notes.values()
    ]
    return Section(
        "Curator notes",
        intro="The review's statement is kept as printed; the correction sits beside it.",
        tables=(Table.of(["note", "about", "the review says", "correction", "source"], rows),),
    )
