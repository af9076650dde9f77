"""Human-facing summaries of a ModelSpec: statistics with provenance shares, and explain(NAME)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from importlib import resources
from typing import Any

from senotwin._errors import ValidationError
from senotwin._suggest import did_you_mean
from senotwin._yaml import load_yaml
from senotwin.kb.loader import shipped_id, shipped_interaction
from senotwin.model import ratelaws
from senotwin.model.expr import to_text
from senotwin.model.spec import (
    ANNOTATION_FIELDS,
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


#: how many of the top-ranked parameters the provenance share is reported for (issue 11 item 6)
TOP_N = 30
#: issue 11 targets: at most this share of parameters `assumed`, overall and among the top 30
ASSUMED_TARGETS = {"overall": 0.30, "top": 0.20}
# keys that document a model but do not change what it computes (left out of the fingerprint)


def _strip_docs(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_docs(v) for k, v in node.items() if k not in ANNOTATION_FIELDS}
    if isinstance(node, list):
        return [_strip_docs(v) for v in node]
    return node


def spec_fingerprint(spec: ModelSpec) -> str:
    """Hash of what the model computes (values, ranges, equations), not of its documentation.

    A shipped sensitivity ranking stays valid while this is unchanged; provenance edits keep it,
    and so do entity tags of species and observables and the names of parameters' entities
    (they matter only under a block)."""
    data = _strip_docs(spec.model_dump(mode="json"))
    for key in ("species", "observables"):
        data[key] = [{k: v for k, v in item.items() if k != "entity"} for item in data[key]]
    # a parameter's entity matters only as "blockable or not" (is_activity_scale), not its name
    data["parameters"] = [p | {"entity": p.get("entity") is not None} for p in data["parameters"]]
    content = json.dumps(data, sort_keys=True)
    return hashlib.sha256(content.encode()).hexdigest()[:16]


def is_activity_scale(p: Parameter) -> bool:
    """A blockable activity at its untreated level: entity-tagged, value at the top of its range.

    Therapy lowers it (1 = untreated by definition); varying it is a treatment, not an
    uncertainty, so a global sensitivity analysis of the untreated model leaves it fixed."""
    return p.entity is not None and p.range is not None and p.value == p.range[1]


def is_switched_off(p: Parameter) -> bool:
    """A mechanism the model's own scenario leaves off: value 0 at the floor of its range.

    Such a parameter is an input of a scenario (a persistent inducer, an antibody pump, a
    depletion) that other contexts switch on; sampling it would mix scenarios into the
    uncertainty of this one, so a global sensitivity analysis leaves it off."""
    return p.value == 0.0 and p.range is not None and p.range[0] == 0.0


def _range_text(p: Parameter) -> str:
    if p.range is not None:
        return str(list(p.range))
    return "none (a definition: never varied or fitted)" if p.is_definition else "not given"


def uncertain_parameters(spec: ModelSpec) -> list[Parameter]:
    """Parameters a GSA samples: a plausible range with room to vary, neither an activity scale
    at its untreated level nor a mechanism the scenario switches off."""
    return [
        p
        for p in spec.parameters
        if p.range is not None
        and p.range[0] < p.range[1]
        and not is_activity_scale(p)
        and not is_switched_off(p)
    ]


def gsa_ranking(spec: ModelSpec) -> dict[str, Any] | None:
    """The shipped global-sensitivity ranking of this model (``model/gsa/<id>.yaml``), if any."""
    res = resources.files("senotwin.model") / "gsa" / f"{spec.id}.yaml"
    if not res.is_file():
        return None
    doc = load_yaml(res.read_text(encoding="utf-8"), source=f"gsa ranking {spec.id}.yaml")
    if not isinstance(doc, dict) or not isinstance(doc.get("ranking"), list):
        raise ValidationError(f"gsa ranking {spec.id}.yaml: needs a 'ranking' list")
    return doc


def _shares(kinds: Counter[str], n: int) -> dict[str, dict[str, float]]:
    return {
        "count": {k: kinds.get(k, 0) for k in PROVENANCE_KINDS},
        "percent": {
            k: round(100.0 * kinds.get(k, 0) / n, 1) if n else 0.0 for k in PROVENANCE_KINDS
        },
    }


def top_provenance(spec: ModelSpec, top: int | None = None) -> dict[str, object] | None:
    """Provenance shares among the ``top`` (default TOP_N) parameters of the shipped GSA ranking.

    None when the model has no shipped ranking.

    ``current`` is False when the model changed since the ranking was computed (fingerprint);
    ranked parameters the model no longer has are skipped."""
    doc = gsa_ranking(spec)
    if doc is None:
        return None
    by_id = {p.id: p for p in spec.parameters}
    ranked = [str(r["parameter"]) for r in doc["ranking"] if str(r["parameter"]) in by_id]
    ids = ranked[: TOP_N if top is None else top]
    kinds: Counter[str] = Counter(by_id[i].provenance.kind for i in ids)
    design = doc.get("design", {})
    return {
        "top": len(ids),
        "current": doc.get("fingerprint") == spec_fingerprint(spec),
        "design": design,
        **_shares(kinds, len(ids)),
        "parameters": [{"id": i, "provenance": by_id[i].provenance.kind} for i in ids],
    }


def assumed_by_rank(spec: ModelSpec) -> list[dict[str, object]]:
    """The ``assumed`` parameters with their rank in the shipped GSA ranking (1 = most
    influential; None when unranked or no ranking is shipped), most influential first: the
    work list for moving parameters to ``measured``, ``derived`` or ``calibrated``."""
    doc = gsa_ranking(spec)
    rank: dict[str, int] = {}
    if doc is not None:
        names = [p.id for p in spec.parameters]
        ranked = [str(r["parameter"]) for r in doc["ranking"] if str(r["parameter"]) in names]
        rank = {pid: i + 1 for i, pid in enumerate(ranked)}
    assumed = [p.id for p in spec.parameters if p.provenance.kind == "assumed"]
    assumed.sort(key=lambda pid: (pid not in rank, rank.get(pid, 0)))
    return [{"id": pid, "gsa_rank": rank.get(pid)} for pid in assumed]


def _share_text(block: Any) -> str:
    return ", ".join(
        f"{k} {block['count'][k]} ({block['percent'][k]:g} %)"
        for k in PROVENANCE_KINDS
        if block["count"][k]
    )


def provenance_lines(st: dict[str, object]) -> list[str]:
    """Human-readable provenance shares of :func:`stats`: overall, top-ranked, targets."""
    prov: Any = st["provenance"]
    lines = [f"parameter provenance: {_share_text(prov['overall'])}"]
    top = prov[f"top{TOP_N}_gsa"]
    if top is None:
        lines.append(f"top-{TOP_N} GSA parameters: no shipped sensitivity ranking for this model")
    else:
        d = top["design"]
        stale = (
            ""
            if top["current"]
            else " (STALE: computed on another model version or other parameter values; "
            "regenerate it for these)"
        )
        lines.append(
            f"top-{top['top']} GSA parameters ({d.get('outcome')}, {d.get('scenario')}, "
            f"{d.get('samples')} samples, seed {d.get('seed')}, {d.get('date')}){stale}: "
            f"{_share_text(top)}"
        )
    top_assumed = [
        f"{a['id']} ({a['gsa_rank']})"
        for a in prov["assumed"]
        if a["gsa_rank"] is not None and a["gsa_rank"] <= TOP_N
    ]
    if top_assumed:
        lines.append(f"assumed among the top {TOP_N} (GSA rank): {', '.join(top_assumed)}")
    met = ", ".join(
        f"assumed {k} <= {ASSUMED_TARGETS[k]:.0%}: {'met' if ok else 'NOT met'}"
        for k, ok in prov["targets_met"].items()
    )
    lines.append(f"targets for the share of assumed parameters: {met}")
    return lines


def calibration_summary(spec: ModelSpec) -> dict[str, Any]:
    """How many parameters are ``calibrated`` and how many of those are practically
    identifiable (both sides of the 95% profile interval closed), overall and per data set (the
    first word of the provenance ``dataset``: the calibration problem's name)."""
    by_dataset: dict[str, dict[str, list[str]]] = {}
    for p in spec.parameters:
        prov = p.provenance
        if prov.kind != "calibrated":
            continue
        name = prov.dataset.split()[0]
        entry = by_dataset.setdefault(name, {"calibrated": [], "identifiable": []})
        entry["calibrated"].append(p.id)
        if prov.identifiable:
            entry["identifiable"].append(p.id)
    return {
        "calibrated": sum(len(e["calibrated"]) for e in by_dataset.values()),
        "identifiable": sum(len(e["identifiable"]) for e in by_dataset.values()),
        "by_dataset": by_dataset,
    }


def stats(spec: ModelSpec) -> dict[str, object]:
    """Counts of species, parameters, processes, observables, events, and provenance shares."""
    kinds: Counter[str] = Counter(p.provenance.kind for p in spec.parameters)
    n = len(spec.parameters)
    with_kb = sum(1 for pr in spec.processes if pr.kb)
    top = top_provenance(spec)
    assumed = {"overall": _shares(kinds, n)["percent"]["assumed"] / 100.0}
    if top is not None:
        assumed["top"] = top["percent"]["assumed"] / 100.0  # type: ignore[index]
    provenance = {
        "overall": _shares(kinds, n),
        f"top{TOP_N}_gsa": top,
        "targets": {f"assumed_{k}_max": ASSUMED_TARGETS[k] for k in ("overall", "top")},
        "targets_met": {k: v <= ASSUMED_TARGETS[k] for k, v in assumed.items()},
        "assumed": assumed_by_rank(spec),
    }
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
        "provenance": provenance,
        "calibrated_identifiable": sum(
            1 for p in spec.parameters if getattr(p.provenance, "identifiable", False)
        ),
        "calibration": calibration_summary(spec),
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
                f"  plausible range: {_range_text(p)}",
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
            if s.initial_expression:
                rows.append(f"  initial amount follows the parameters: {s.initial_expression}")
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
                rows.extend(_kb_evidence(o.kb))
            if o.description:
                rows.append(f"  {o.description}")
            return "\n".join(rows)
    if name in spec.entities():
        return _explain_entity(spec, name)
    if (entity := shipped_id(name)) in spec.entities():  # an alias: PD-L1 is CD274
        return _explain_entity(spec, str(entity))
    known = [
        *spec.species_ids,
        *spec.parameter_ids,
        *spec.observable_ids,
        *(p.id for p in spec.processes),
        *spec.entities(),
    ]
    hint = did_you_mean(name, known)
    raise ValidationError(
        f"{spec.id} has no process, parameter, species, observable or entity {name!r}{hint}"
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


def _kb_evidence(ids: tuple[str, ...], outside: str = "") -> list[str]:
    """'kb evidence:' and one line per cited interaction with its statement and place in the
    review (``senotwin kb show ID`` prints its quote and references), or why none is cited."""
    if not ids:
        return [
            f"  kb evidence: none (outside the review): {outside}"
            if outside
            else "  kb evidence: none cited"
        ]
    lines = ["  kb evidence (senotwin kb show ID for the quote):"]
    for ident in ids:
        inter = shipped_interaction(ident)
        text = (
            f"{inter.statement()} ({inter.evidence.place()})"
            if inter is not None
            else "not in the shipped knowledge base"
        )
        lines.append(f"    {ident}: {text}")
    return lines


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
    lines.extend(_kb_evidence(pr.kb, pr.outside_review))
    used = sorted(_symbols(spec, pr) & set(spec.parameter_ids))
    for pid in used:
        p = spec.parameter(pid)
        lines.append(f"  parameter {pid} = {p.value:g} {p.unit} ({provenance_detail(p)})")
    return "\n".join(lines)
