"""Load the curated knowledge base from YAML/TSV files and validate it as a whole.

Layout of a knowledge-base directory (the package ships one under ``senotwin/kb/data``)::

    entities/*.yaml       {entities: [Entity, ...]}
    interactions/*.yaml   {interactions: [Interaction, ...]}
    agents/*.yaml         {agents: [Agent, ...]}
    notes/*.yaml          {notes: [CuratorNote, ...]}
    references.tsv        number, authors, title, journal, year, text

Every problem is reported with the file, the entry (index and id) and the field.
"""

from __future__ import annotations

import csv
import functools
import io
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import pydantic

from senotwin._errors import ValidationError, check_type
from senotwin._io import check_input_dir, read_text
from senotwin._yaml import load_yaml
from senotwin.kb.schema import (
    AGENT_ENTITY_FIELDS,
    Agent,
    CuratorNote,
    Entity,
    Evidence,
    Interaction,
    Reference,
)

RecordT = TypeVar("RecordT", bound=pydantic.BaseModel)


def default_kb_dir() -> Path:
    """The knowledge base shipped inside the package."""
    return Path(str(resources.files("senotwin.kb") / "data"))


@dataclass(frozen=True)
class Located:
    """Where a record came from, for error messages."""

    file: str
    index: int


@dataclass(frozen=True)
class KnowledgeBase:
    """The validated knowledge base; look-ups by id and by alias."""

    entities: dict[str, Entity]
    interactions: dict[str, Interaction]
    agents: dict[str, Agent]
    references: dict[int, Reference]
    notes: dict[str, CuratorNote]
    source_dir: Path
    alias_index: dict[str, str] = field(default_factory=dict)

    def node_ids(self) -> set[str]:
        """Ids an interaction may point at: entities and agents."""
        return set(self.entities) | set(self.agents)


def normalise_name(name: str) -> str:
    """Canonical form for alias matching: case-, space-, dash- and Greek-spelling-insensitive."""
    text = name.strip().lower()
    for greek, latin in (
        ("α", "a"),
        ("β", "b"),
        ("γ", "g"),
        ("κ", "k"),
        ("δ", "d"),
        ("alpha", "a"),
        ("beta", "b"),
        ("gamma", "g"),
        ("kappa", "k"),
        ("delta", "d"),
    ):
        text = text.replace(greek, latin)
    return "".join(ch for ch in text if ch.isalnum())


def _read_yaml(path: Path, key: str) -> list[Any]:
    data = load_yaml(read_text(path, what="knowledge-base file"), source=path.name)
    if data is None:
        return []
    if not isinstance(data, dict) or key not in data:
        raise ValidationError(f"{path.name}: expected a mapping with a top-level '{key}:' list")
    items = data[key]
    if not isinstance(items, list):
        raise ValidationError(f"{path.name}: '{key}' must be a list, got {type(items).__name__}")
    return items


def _format_pydantic(exc: pydantic.ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(entry)"
        parts.append(f"field '{loc}': {err['msg']} (got {err.get('input')!r})")
    return "; ".join(parts)


def parse_records(
    items: Iterable[Any], model: type[RecordT], file: str
) -> list[tuple[RecordT, Located]]:
    out: list[tuple[RecordT, Located]] = []
    for index, raw in enumerate(items):
        ident = raw.get("id", raw.get("number", "?")) if isinstance(raw, Mapping) else "?"
        if not isinstance(raw, Mapping):
            raise ValidationError(f"{file}: entry #{index + 1} is not a mapping")
        try:
            out.append((model.model_validate(dict(raw)), Located(file, index)))
        except pydantic.ValidationError as exc:
            raise ValidationError(
                f"{file}: entry #{index + 1} (id {ident!r}): {_format_pydantic(exc)}"
            ) from None
    return out


def _load_dir(directory: Path, key: str, model: type[RecordT]) -> list[tuple[RecordT, Located]]:
    records: list[tuple[RecordT, Located]] = []
    if not directory.is_dir():
        return records
    for path in sorted(directory.glob("*.yaml")):
        records.extend(parse_records(_read_yaml(path, key), model, f"{directory.name}/{path.name}"))
    return records


def _load_references(path: Path) -> list[tuple[Reference, Located]]:
    if not path.is_file():
        return []
    text = read_text(path, what="knowledge-base file", expected="a tab-separated table")
    rows = list(csv.DictReader(io.StringIO(text), delimiter="\t"))
    cleaned = []
    for row in rows:
        item: dict[str, Any] = {k: v for k, v in row.items() if v not in (None, "")}
        cleaned.append(item)
    return parse_records(cleaned, Reference, path.name)


def _unique(records: list[tuple[RecordT, Located]], attr: str, what: str) -> dict[Any, RecordT]:
    seen: dict[Any, tuple[RecordT, Located]] = {}
    for record, where in records:
        key = getattr(record, attr)
        if key in seen:
            first = seen[key][1]
            raise ValidationError(
                f"duplicate {what} id {key!r}: {where.file} entry #{where.index + 1} "
                f"repeats {first.file} entry #{first.index + 1}"
            )
        seen[key] = (record, where)
    return {k: v[0] for k, v in seen.items()}


def shipped_id(name: str) -> str | None:
    """The id the shipped knowledge base gives a name, alias or HGNC symbol (PD-L1 -> CD274),
    or None: how the model's entity look-ups (blocks, ``model explain``) accept aliases."""
    return _shipped_alias_index().get(normalise_name(name))


def shipped_interaction(ident: str) -> Interaction | None:
    """The shipped knowledge base's interaction ``ident`` (B262), or None: how a model's
    ``kb`` citations are printed with their statements (``model explain``)."""
    return _shipped().interactions.get(ident.strip().upper())


@functools.cache
def _shipped() -> KnowledgeBase:
    """The shipped knowledge base (loaded once per process)."""
    return load()


def _shipped_alias_index() -> dict[str, str]:
    """The shipped knowledge base's normalised names -> ids."""
    return _shipped().alias_index


def load(directory: str | Path | None = None) -> KnowledgeBase:
    """Load and validate a knowledge base directory (default: the one shipped with senotwin)."""
    check_type(directory, (str, os.PathLike, type(None)), name="directory", what="a path or None")
    root = check_input_dir(
        Path(directory) if directory is not None else default_kb_dir(),
        what="knowledge-base directory",
    )
    parts = ("entities", "interactions", "agents", "notes", "references.tsv")
    if not any((root / part).exists() for part in parts):
        raise ValidationError(
            f"knowledge-base directory {str(root)!r} has none of entities/, interactions/, "
            "agents/, notes/ or references.tsv; give a directory laid out like the shipped one"
        )
    return assemble(
        root,
        entities=_load_dir(root / "entities", "entities", Entity),
        interactions=_load_dir(root / "interactions", "interactions", Interaction),
        agents=_load_dir(root / "agents", "agents", Agent),
        notes=_load_dir(root / "notes", "notes", CuratorNote),
        references=_load_references(root / "references.tsv"),
    )


def assemble(
    root: Path,
    *,
    entities: list[tuple[Entity, Located]],
    interactions: list[tuple[Interaction, Located]],
    agents: list[tuple[Agent, Located]],
    notes: list[tuple[CuratorNote, Located]],
    references: list[tuple[Reference, Located]],
) -> KnowledgeBase:
    """Check uniqueness and referential integrity of parsed records and build the knowledge base."""
    entity_map = _unique(entities, "id", "entity")
    agent_map = _unique(agents, "id", "agent")
    clash = set(entity_map) & set(agent_map)
    if clash:
        raise ValidationError(f"ids used for both an entity and an agent: {sorted(clash)}")
    kb = KnowledgeBase(
        entities=entity_map,
        interactions=_unique(interactions, "id", "interaction"),
        agents=agent_map,
        references=_unique(references, "number", "reference"),
        notes=_unique(notes, "id", "curator note"),
        source_dir=root,
        alias_index=_build_alias_index(entity_map, agent_map),
    )
    _check_integrity(kb, {record.id: where for record, where in interactions})
    return kb


def _build_alias_index(entities: dict[str, Entity], agents: dict[str, Agent]) -> dict[str, str]:
    """Map every normalised id, name, alias and HGNC symbol to one id; ids win over aliases."""
    index: dict[str, str] = {}
    owners: dict[str, set[str]] = {}
    named: list[tuple[str, Iterable[str]]] = [
        (e.id, (e.name, *e.aliases, *e.hgnc)) for e in entities.values()
    ]
    named += [(a.id, (a.name, *a.aliases)) for a in agents.values()]
    for ident, names in named:
        for name in names:
            owners.setdefault(normalise_name(name), set()).add(ident)
    for key, ids in owners.items():
        if len(ids) == 1:
            index[key] = next(iter(ids))
    # ids themselves always resolve to themselves
    for ident in (*entities, *agents):
        index[normalise_name(ident)] = ident
    return index


def _check_refs(refs: Iterable[int], known: Mapping[int, Reference], where: str) -> None:
    if not known:
        return
    missing = [r for r in refs if r not in known]
    if missing:
        raise ValidationError(
            f"{where}: reference number(s) {missing} are not in the review's list"
        )


def _check_evidence(ev: Evidence, kb: KnowledgeBase, where: str) -> None:
    _check_refs(ev.refs, kb.references, where)


def _check_integrity(kb: KnowledgeBase, where_of: Mapping[str, Located]) -> None:
    nodes = kb.node_ids()
    for inter in kb.interactions.values():
        loc = where_of[inter.id]
        where = f"{loc.file} entry #{loc.index + 1} (id {inter.id!r})"
        for fld in ("source", "target"):
            value = getattr(inter, fld)
            if value not in nodes:
                raise ValidationError(f"{where}: field '{fld}' names unknown entity {value!r}")
        for fld in ("tumor", "tissue", "cell", "inducer"):
            for value in getattr(inter.context, fld):
                if value not in nodes:
                    raise ValidationError(
                        f"{where}: field 'context.{fld}' names unknown entity {value!r}"
                    )
        _check_evidence(inter.evidence, kb, where)
    for agent in kb.agents.values():
        where = f"agent {agent.id!r}"
        for fld in AGENT_ENTITY_FIELDS:
            for value in getattr(agent, fld):
                if value not in nodes:
                    raise ValidationError(f"{where}: field '{fld}' names unknown entity {value!r}")
        for ev in agent.evidence:
            _check_evidence(ev, kb, where)
    all_ids = nodes | set(kb.interactions)
    for note in kb.notes.values():
        for value in note.about:
            if value not in all_ids:
                raise ValidationError(
                    f"curator note {note.id!r}: field 'about' names unknown id {value!r}"
                )
        _check_refs(note.refs, kb.references, f"curator note {note.id!r}")
    _check_contradictions(kb)


def _check_contradictions(kb: KnowledgeBase) -> None:
    """Opposite claims on the same edge need a context that separates them."""
    seen: dict[tuple[object, ...], Interaction] = {}
    for inter in kb.interactions.values():
        key = (inter.source, inter.target, inter.context.key())
        claim = (inter.sign, inter.negated)
        other = seen.get(key)
        if other is not None and (other.sign, other.negated) != claim:
            raise ValidationError(
                f"interactions {other.id!r} and {inter.id!r} make contradictory claims about "
                f"{inter.source} -> {inter.target} in the same context; give them contexts "
                "(phase, dose, tumor, tissue, cell, inducer, condition) that separate them"
            )
        seen.setdefault(key, inter)
