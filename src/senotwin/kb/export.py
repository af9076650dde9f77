"""Export the knowledge base to CSV tables, SIF, GraphML and Cytoscape JSON (and read CSV back).

CSV list fields are joined with ``|``; nested agent fields (evidence, table row) are JSON strings.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import networkx as nx

from senotwin._errors import ValidationError
from senotwin._io import atomic_write_text, ensure_writable_dir
from senotwin.kb.loader import KnowledgeBase, assemble, parse_records
from senotwin.kb.query import to_networkx
from senotwin.kb.schema import (
    AGENT_ENTITY_FIELDS,
    Agent,
    CuratorNote,
    Entity,
    Interaction,
    Reference,
)

SEP = "|"

ENTITY_COLUMNS = ("id", "name", "kind", "aliases", "hgnc", "description", "sections")
INTERACTION_COLUMNS = (
    "id",
    "source",
    "target",
    "effect",
    "sign",
    "negated",
    "mechanism",
    "phase",
    "dose",
    "tumor",
    "tissue",
    "cell",
    "inducer",
    "organism",
    "condition",
    "section",
    "figure",
    "table",
    "refs",
    "quote",
)
AGENT_COLUMNS = (
    "id",
    "name",
    "aliases",
    "classes",
    "targets",
    "pathways",
    "tumor_types",
    "inducers",
    "represses",
    "combined_with",
    "description",
    "table_row",
    "evidence",
)
AGENT_LIST_COLUMNS = ("aliases", "classes", *AGENT_ENTITY_FIELDS)
REFERENCE_COLUMNS = ("number", "authors", "title", "journal", "year", "text")
NOTE_COLUMNS = ("id", "about", "review_statement", "correction", "source", "refs")

FORMATS = ("csv", "sif", "graphml", "cytoscape-json")


def _join(values: Iterable[object]) -> str:
    items = [str(v) for v in values]
    for item in items:
        if SEP in item:
            raise ValidationError(f"list item {item!r} contains the CSV list separator {SEP!r}")
    return SEP.join(items)


def _split(text: str) -> list[str]:
    return [part for part in text.split(SEP) if part != ""] if text else []


def _csv_text(columns: tuple[str, ...], rows: Iterable[dict[str, object]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()


def entity_rows(kb: KnowledgeBase) -> list[dict[str, object]]:
    """One flat row per entity."""
    return [
        {
            "id": e.id,
            "name": e.name,
            "kind": e.kind,
            "aliases": _join(e.aliases),
            "hgnc": _join(e.hgnc),
            "description": e.description,
            "sections": _join(e.sections),
        }
        for e in kb.entities.values()
    ]


def interaction_rows(kb: KnowledgeBase) -> list[dict[str, object]]:
    """One flat row per interaction, context and evidence spread over columns."""
    rows: list[dict[str, object]] = []
    for i in kb.interactions.values():
        c, ev = i.context, i.evidence
        rows.append(
            {
                "id": i.id,
                "source": i.source,
                "target": i.target,
                "effect": i.effect,
                "sign": i.sign,
                "negated": "true" if i.negated else "false",
                "mechanism": i.mechanism,
                "phase": c.phase,
                "dose": c.dose,
                "tumor": _join(c.tumor),
                "tissue": _join(c.tissue),
                "cell": _join(c.cell),
                "inducer": _join(c.inducer),
                "organism": c.organism,
                "condition": c.condition,
                "section": ev.section,
                "figure": ev.figure,
                "table": ev.table,
                "refs": _join(ev.refs),
                "quote": ev.quote,
            }
        )
    return rows


def agent_rows(kb: KnowledgeBase) -> list[dict[str, object]]:
    """One row per agent; the table row and evidence are JSON."""
    rows: list[dict[str, object]] = []
    for a in kb.agents.values():
        row: dict[str, object] = {col: _join(getattr(a, col)) for col in AGENT_LIST_COLUMNS}
        row.update(
            id=a.id,
            name=a.name,
            description=a.description,
            table_row=json.dumps(a.table_row.model_dump(), ensure_ascii=False)
            if a.table_row
            else "",
            evidence=json.dumps([ev.model_dump() for ev in a.evidence], ensure_ascii=False),
        )
        rows.append(row)
    return rows


def write_csv(kb: KnowledgeBase, out_dir: str | Path) -> list[Path]:
    """Write entities/interactions/agents/references/notes CSV files into ``out_dir``."""
    directory = ensure_writable_dir(out_dir)
    tables = {
        "entities.csv": _csv_text(ENTITY_COLUMNS, entity_rows(kb)),
        "interactions.csv": _csv_text(INTERACTION_COLUMNS, interaction_rows(kb)),
        "agents.csv": _csv_text(AGENT_COLUMNS, agent_rows(kb)),
        "references.csv": _csv_text(
            REFERENCE_COLUMNS,
            (r.model_dump() for r in kb.references.values()),
        ),
        "notes.csv": _csv_text(
            NOTE_COLUMNS,
            (
                {**n.model_dump(), "about": _join(n.about), "refs": _join(n.refs)}
                for n in kb.notes.values()
            ),
        ),
    }
    return [atomic_write_text(directory / name, text) for name, text in tables.items()]


def _read_rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise ValidationError(f"{path.name} is missing from the CSV export directory")
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _drop_empty(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if v not in ("", None)}


def read_csv(directory: str | Path) -> KnowledgeBase:
    """Read a CSV export back into a validated knowledge base (the inverse of :func:`write_csv`)."""
    root = Path(directory)
    ents = []
    for row in _read_rows(root / "entities.csv"):
        for col in ("aliases", "hgnc", "sections"):
            row[col] = _split(row.get(col, ""))  # type: ignore[assignment]
        ents.append(_drop_empty(row))
    inters = []
    for row in _read_rows(root / "interactions.csv"):
        ctx = {
            "phase": row["phase"],
            "dose": row["dose"],
            "tumor": _split(row["tumor"]),
            "tissue": _split(row["tissue"]),
            "cell": _split(row["cell"]),
            "inducer": _split(row["inducer"]),
            "organism": row["organism"],
            "condition": row["condition"],
        }
        ev = {
            "section": row["section"],
            "figure": row["figure"] or None,
            "table": row["table"] or None,
            "refs": _split(row["refs"]),
            "quote": row["quote"],
        }
        inters.append(
            {
                "id": row["id"],
                "source": row["source"],
                "target": row["target"],
                "effect": row["effect"],
                "sign": row["sign"],
                "negated": row["negated"] == "true",
                "mechanism": row["mechanism"],
                "context": ctx,
                "evidence": ev,
            }
        )
    agents = []
    for row in _read_rows(root / "agents.csv"):
        item: dict[str, Any] = dict(row)
        for col in AGENT_LIST_COLUMNS:
            item[col] = _split(row[col])
        item["table_row"] = json.loads(row["table_row"]) if row["table_row"] else None
        item["evidence"] = json.loads(row["evidence"])
        agents.append(item)
    refs = [_drop_empty(dict(row)) for row in _read_rows(root / "references.csv")]
    notes = []
    for row in _read_rows(root / "notes.csv"):
        note: dict[str, Any] = dict(row)
        note["about"] = _split(row["about"])
        note["refs"] = _split(row["refs"])
        notes.append(note)
    return assemble(
        root,
        entities=parse_records(ents, Entity, "entities.csv"),
        interactions=parse_records(inters, Interaction, "interactions.csv"),
        agents=parse_records(agents, Agent, "agents.csv"),
        notes=parse_records(notes, CuratorNote, "notes.csv"),
        references=parse_records(refs, Reference, "references.csv"),
    )


def sif_text(kb: KnowledgeBase) -> str:
    """Simple Interaction Format: ``source <effect>:<sign> target`` per non-negated interaction."""
    lines = [
        f"{i.source}\t{i.effect}:{'pos' if i.sign == '+' else 'neg'}\t{i.target}"
        for i in kb.interactions.values()
        if not i.negated
    ]
    return "\n".join(lines) + "\n"


def _graph_for_export(kb: KnowledgeBase) -> nx.MultiDiGraph:
    graph = to_networkx(kb, include_negated=True)
    for _, _, key, data in graph.edges(keys=True, data=True):
        inter = kb.interactions[key]
        data["refs"] = _join(inter.evidence.refs)
        data["section"] = inter.evidence.section
        data["quote"] = inter.evidence.quote
        data["phase"] = inter.context.phase
    for node, data in graph.nodes(data=True):
        ent = kb.entities.get(node)
        data["hgnc"] = _join(ent.hgnc) if ent else ""
    return graph


def graphml_text(kb: KnowledgeBase) -> str:
    """GraphML (readable by networkx, Cytoscape, yEd); edges keep id, effect, sign and evidence."""
    return "\n".join(nx.generate_graphml(_graph_for_export(kb))) + "\n"


def cytoscape_json_text(kb: KnowledgeBase) -> str:
    """Cytoscape.js / Cytoscape desktop JSON (``elements: {nodes, edges}``)."""
    data = nx.cytoscape_data(_graph_for_export(kb))
    for edge in data["elements"]["edges"]:
        edge["data"]["id"] = edge["data"].get("key")
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


_SINGLE_FILE: dict[str, Callable[[KnowledgeBase], str]] = {
    "sif": sif_text,
    "graphml": graphml_text,
    "cytoscape-json": cytoscape_json_text,
}


#: file written into a directory given as ``--out`` for the single-file formats
DEFAULT_NAMES: dict[str, str] = {
    "sif": "senotwin_kb.sif",
    "graphml": "senotwin_kb.graphml",
    "cytoscape-json": "senotwin_kb.cyjs",
}


#: file suffixes a single-file format's --out may end in (the first: its default name's)
SUFFIXES: dict[str, tuple[str, ...]] = {
    "sif": (".sif",),
    "graphml": (".graphml", ".xml"),
    "cytoscape-json": (".cyjs", ".json"),
}


def writes_into_directory(fmt: str, out: str | Path) -> bool:
    """Whether ``out`` names a directory: always for csv; for the single-file formats when it
    ends with a path separator or is an existing directory."""
    text = str(out)
    return fmt == "csv" or text.endswith(("/", os.sep)) or Path(text).is_dir()


def single_file_target(fmt: str, out: str | Path) -> Path:
    """Where a single-file format goes: ``out`` itself, or ``out/<default name>`` when ``out``
    ends with a path separator or is an existing directory (created if it does not exist)."""
    if writes_into_directory(fmt, out):
        return ensure_writable_dir(out) / DEFAULT_NAMES[fmt]
    return Path(out)


def export(kb: KnowledgeBase, fmt: str, out: str | Path) -> list[Path]:
    """Export in ``fmt`` (csv -> a directory of tables; other formats -> one file, named
    :data:`DEFAULT_NAMES` inside ``out`` when ``out`` is a directory or ends with ``/``)."""
    if fmt not in FORMATS:
        raise ValidationError(f"export format {fmt!r} is not one of: {', '.join(FORMATS)}")
    if fmt == "csv":
        return write_csv(kb, out)
    return [atomic_write_text(single_file_target(fmt, out), _SINGLE_FILE[fmt](kb))]
