"""Human-facing summaries of a ModelSpec: statistics with provenance shares, and explain(NAME)."""

from __future__ import annotations

from collections import Counter

from senotwin._errors import ValidationError
from senotwin._suggest import did_you_mean
from senotwin.model import ratelaws
from senotwin.model.expr import to_text
from senotwin.model.spec import (
    PROVENANCE_KINDS,
    ModelSpec,
    Observable,
    Parameter,
    Process,
    Species,
)


def provenance_detail(p: Parameter) -> str:
    """One line: kind and its citation / kb ids / rationale."""
    return f"{p.provenance.kind}: {p.provenance.detail()}"


def stats(spec: ModelSpec) -> dict[str, object]:
    """Counts of species, parameters, processes, observables, events, and provenance shares."""
    kinds: Counter[str] = Counter(p.provenance.kind for p in spec.parameters)
    n = len(spec.parameters)
    with_kb = sum(1 for pr in spec.processes if pr.kb)
    return {
        "model": spec.id,
        "species": len(spec.species),
        "parameters": n,
        "processes": len(spec.processes),
        "observables": len(spec.observables),
        "events": len(spec.events),
        "blockable_entities": list(spec.entities()),
        "parameter_provenance": {k: kinds.get(k, 0) for k in PROVENANCE_KINDS},
        "parameter_provenance_share": {
            k: (kinds.get(k, 0) / n if n else 0.0) for k in PROVENANCE_KINDS
        },
        "processes_with_kb_evidence": with_kb,
        "rate_laws_used": dict(Counter(pr.rate_law or "expression" for pr in spec.processes)),
    }


def explain(spec: ModelSpec, name: str) -> str:
    """A process, parameter, species, observable or entity with its formula and evidence."""
    for pr in spec.processes:
        if pr.id == name:
            return _explain_process(spec, pr)
    for p in spec.parameters:
        if p.id == name:
            users = [pr.id for pr in spec.processes if name in _symbols(spec, pr)]
            lines = [
                f"parameter {p.id}: {p.name}".rstrip(": "),
                f"  value: {p.value:g} {p.unit}",
                f"  plausible range: {list(p.range) if p.range else 'not given'}",
                f"  provenance: {provenance_detail(p)}",
            ]
            if p.entity:
                lines.append(f"  blockable entity: {p.entity}")
            if p.description:
                lines.append(f"  {p.description}")
            lines.append(f"  used by: {', '.join(users) or 'observables only'}")
            return "\n".join(lines)
    for s in spec.species:
        if s.id == name:
            rows = [
                f"species {s.id}: {s.name}".rstrip(": "),
                f"  unit: {s.unit}; initial: {s.initial:g}; compartment: {s.compartment}",
            ]
            if s.cell_ontology:
                rows.append(f"  Cell Ontology: {s.cell_ontology}")
            if s.hgnc:
                rows.append(f"  HGNC: {', '.join(s.hgnc)}")
            if s.entity:
                rows.append(f"  blockable entity: {s.entity}")
            changes = [
                f"{pr.id} ({c:+g})"
                for pr in spec.processes
                for sid, c in pr.stoichiometry.items()
                if sid == s.id
            ]
            rows.append(f"  changed by: {', '.join(changes) or 'nothing'}")
            return "\n".join(rows)
    for o in spec.observables:
        if o.id == name:
            rows = [
                f"observable {o.id}: {o.name}".rstrip(": "),
                f"  = {to_text(spec.rate_tree(o))}  [{o.unit}]",
            ]
            if o.entity:
                rows.append(f"  blockable entity: {o.entity}")
            if o.kb:
                rows.append(f"  kb evidence: {', '.join(o.kb)}")
            if o.description:
                rows.append(f"  {o.description}")
            return "\n".join(rows)
    if name in spec.entities():
        return _explain_entity(spec, name)
    known = [
        *spec.species_ids,
        *spec.parameter_ids,
        *spec.observable_ids,
        *(p.id for p in spec.processes),
        *spec.entities(),
    ]
    hint = did_you_mean(name, known)
    raise ValidationError(
        f"{spec.id} has no process, parameter, species or observable {name!r}{hint}"
    )


def _explain_entity(spec: ModelSpec, name: str) -> str:
    """The tagged quantities of an entity and every route from them into a process rate: the
    chain of observables a block travels through (shortest first), with the process's role."""
    from senotwin.model.expr import symbols

    items: list[Species | Parameter | Observable] = [
        *spec.species,
        *spec.parameters,
        *spec.observables,
    ]
    tagged = [x.id for x in items if x.entity == name]
    readers = {o.id: symbols(spec.rate_tree(o)) for o in spec.observables}
    chain: dict[str, list[str]] = {t: [t] for t in tagged}
    frontier = list(tagged)
    while frontier:  # breadth-first through the observables that read what the block reaches
        nxt = []
        for oid, used in readers.items():
            if oid in chain:
                continue
            src = next((f for f in frontier if f in used), None)
            if src is not None:
                chain[oid] = [*chain[src], oid]
                nxt.append(oid)
        frontier = nxt
    lines = [f"entity {name}: blockable; tags {', '.join(tagged)}"]
    for pr in spec.processes:
        used = _symbols(spec, pr)
        hits = sorted((chain[x] for x in used if x in chain), key=len)
        if hits:
            role = f" ({pr.description})" if pr.description else ""
            lines.append(f"  route to {pr.id}{role}:")
            lines.append(f"    {' -> '.join([*hits[0], pr.id])}")
    return "\n".join(lines)


def _symbols(spec: ModelSpec, pr: Process) -> set[str]:
    from senotwin.model.expr import symbols

    return symbols(spec.rate_tree(pr))


def _explain_process(spec: ModelSpec, pr: Process) -> str:
    tree = spec.rate_tree(pr)
    lines = [f"process {pr.id}"]
    if pr.description:
        lines.append(f"  {pr.description}")
    if pr.rate_law:
        law = ratelaws.get(pr.rate_law)
        args = ", ".join(f"{k}={v}" for k, v in pr.args.items())
        lines.append(f"  rate law: {law.name}({args}) = {law.formula_text()}")
        lines.append(f"  rate-law reference: {law.reference}")
    lines.append(f"  rate: {to_text(tree)}")
    lines.append(
        "  stoichiometry: " + ", ".join(f"{sid} {c:+g}" for sid, c in pr.stoichiometry.items())
    )
    lines.append(f"  kb evidence: {', '.join(pr.kb) if pr.kb else 'none cited'}")
    used = sorted(_symbols(spec, pr) & set(spec.parameter_ids))
    for pid in used:
        p = spec.parameter(pid)
        lines.append(f"  parameter {pid} = {p.value:g} {p.unit} ({provenance_detail(p)})")
    return "\n".join(lines)
