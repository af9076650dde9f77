"""Questions researchers ask of the knowledge base: look-up, search, neighbours, paths, drugs.

All functions take a loaded :class:`~senotwin.kb.loader.KnowledgeBase` and return plain frozen
records, so the CLI can print them as text or JSON.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import networkx as nx

from senotwin._errors import ValidationError, check_type, excerpt
from senotwin._suggest import closest, did_you_mean, hint
from senotwin.kb.loader import KnowledgeBase, normalise_name
from senotwin.kb.schema import Agent, CuratorNote, Entity, Interaction, Reference

Direction = Literal["in", "out", "both"]
HitKind = Literal["entity", "agent", "interaction", "reference", "note"]


class UnknownName(ValidationError):
    """A name no entity or agent has. ``suggestion`` is the did-you-mean hint ("" when no name is
    close); the message then points to ``senotwin kb search``, which a web page words its own
    way."""

    def __init__(self, name: str, suggestion: str) -> None:
        self.name = name
        self.suggestion = suggestion
        super().__init__(f"unknown name {name!r}{suggestion or '; try `senotwin kb search TEXT`'}")


def _check_kb(kb: object) -> None:
    """The first argument of every query: the knowledge base, not a name given in its place."""
    check_type(kb, KnowledgeBase, name="kb", what="a KnowledgeBase (senotwin.load_kb())")


def resolve(kb: KnowledgeBase, name: str) -> str:
    """Return the id a name, alias or HGNC symbol refers to, or explain what is close."""
    _check_kb(kb)
    check_type(name, str, name="name", what="a node name, alias or HGNC symbol (str)")
    key = normalise_name(name)
    if key in kb.alias_index:
        return kb.alias_index[key]
    raise UnknownName(name, _suggestion(kb, name))


def _suggestion(kb: KnowledgeBase, name: str) -> str:
    labels: dict[str, str] = {}
    for ent in kb.entities.values():
        for label in (ent.id, ent.name, *ent.aliases):
            labels.setdefault(normalise_name(label), label)
    for agent in kb.agents.values():
        for label in (agent.id, agent.name, *agent.aliases):
            labels.setdefault(normalise_name(label), label)
    close = closest(normalise_name(name), labels, n=5, cutoff=0.6)
    return hint(labels[c] for c in close)


def ambiguous_aliases(kb: KnowledgeBase) -> dict[str, list[str]]:
    """Aliases shared by several ids (they do not resolve; the id must be used)."""
    _check_kb(kb)
    owners: dict[str, set[str]] = {}
    for ent in kb.entities.values():
        for label in (ent.name, *ent.aliases, *ent.hgnc):
            owners.setdefault(normalise_name(label), set()).add(ent.id)
    for agent in kb.agents.values():
        for label in (agent.name, *agent.aliases):
            owners.setdefault(normalise_name(label), set()).add(agent.id)
    return {k: sorted(v) for k, v in owners.items() if len(v) > 1}


@dataclass(frozen=True)
class NodeView:
    """Everything the knowledge base holds about one entity or agent."""

    id: str
    entity: Entity | None
    agent: Agent | None
    outgoing: tuple[Interaction, ...]
    incoming: tuple[Interaction, ...]
    agents_targeting: tuple[str, ...]
    notes: tuple[CuratorNote, ...]


def show(kb: KnowledgeBase, name: str) -> NodeView:
    """Look up a name (aliases resolve) with its interactions, agents and curator notes."""
    ident = resolve(kb, name)
    outgoing = tuple(i for i in kb.interactions.values() if i.source == ident)
    incoming = tuple(i for i in kb.interactions.values() if i.target == ident)
    targeting = tuple(
        a.id
        for a in kb.agents.values()
        if ident in a.targets or ident in a.pathways or ident in a.represses
    )
    notes = tuple(n for n in kb.notes.values() if ident in n.about)
    return NodeView(
        id=ident,
        entity=kb.entities.get(ident),
        agent=kb.agents.get(ident),
        outgoing=outgoing,
        incoming=incoming,
        agents_targeting=targeting,
        notes=notes,
    )


@dataclass(frozen=True)
class InteractionView:
    """One statement of the review with the references it cites and the curator notes on it."""

    interaction: Interaction
    references: tuple[Reference, ...]
    notes: tuple[CuratorNote, ...]


def show_interaction(kb: KnowledgeBase, ident: str) -> InteractionView | None:
    """The interaction ``ident`` (e.g. B262, as a model's ``kb evidence`` lists it), or None
    when no interaction has that id."""
    _check_kb(kb)
    check_type(ident, str, name="ident", what="an interaction id such as 'B262' (str)")
    inter = kb.interactions.get(ident.strip().upper())
    if inter is None:
        return None
    refs = tuple(kb.references[n] for n in inter.evidence.refs if n in kb.references)
    notes = tuple(n for n in kb.notes.values() if inter.id in n.about)
    return InteractionView(inter, refs, notes)


@dataclass(frozen=True)
class SearchHit:
    """A record whose text matches a search, and which field matched."""

    kind: HitKind
    id: str
    label: str
    field: str
    excerpt: str


def _excerpt(text: str, needle: str, width: int = 60) -> str:
    pos = text.lower().find(needle)
    start = max(0, pos - width)
    end = min(len(text), pos + len(needle) + width)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


def search(kb: KnowledgeBase, text: str, *, limit: int | None = 50) -> list[SearchHit]:
    """Case-insensitive search over names, aliases, descriptions, quotes and references (the
    first ``limit`` hits; None: all of them)."""
    _check_kb(kb)
    check_type(text, str, name="text", what="the text to search for (str)")
    check_type(limit, (int, type(None)), name="limit", what="a whole number >= 1 or None")
    needle = text.strip().lower()
    if not needle:
        raise ValidationError("search text is empty; give a word such as 'PD-L1' or 'senolytic'")
    if limit is not None and limit < 1:
        raise ValidationError(f"limit (--limit) must be a whole number >= 1, got {limit}")
    hits: list[SearchHit] = []

    def check(kind: HitKind, ident: str, label: str, fields: dict[str, str]) -> None:
        for fname, value in fields.items():
            if needle in value.lower():
                hits.append(SearchHit(kind, ident, label, fname, _excerpt(value, needle)))
                return

    for e in kb.entities.values():
        check(
            "entity",
            e.id,
            e.name,
            {
                "id": e.id,
                "name": e.name,
                "aliases": "; ".join(e.aliases),
                "hgnc": "; ".join(e.hgnc),
                "description": e.description,
            },
        )
    for a in kb.agents.values():
        check(
            "agent",
            a.id,
            a.name,
            {
                "id": a.id,
                "name": a.name,
                "aliases": "; ".join(a.aliases),
                "description": a.description,
                "quote": " ".join(ev.quote for ev in a.evidence),
            },
        )
    for i in kb.interactions.values():
        check(
            "interaction",
            i.id,
            f"{i.source} {i.effect} {i.target}",
            {"quote": i.evidence.quote, "mechanism": i.mechanism},
        )
    for n in kb.notes.values():
        check(
            "note",
            n.id,
            n.id,
            {"review_statement": n.review_statement, "correction": n.correction},
        )
    for r in kb.references.values():
        check("reference", str(r.number), f"ref {r.number}", {"text": r.text})
    return hits if limit is None else hits[:limit]


def neighbors(kb: KnowledgeBase, name: str, *, direction: Direction = "both") -> list[Interaction]:
    """Interactions into and/or out of an entity or agent."""
    if direction not in ("in", "out", "both"):
        raise ValidationError(f"direction {direction!r} is not one of: in, out, both")
    ident = resolve(kb, name)
    out = []
    for inter in kb.interactions.values():
        if (direction in ("out", "both") and inter.source == ident) or (
            direction in ("in", "both") and inter.target == ident
        ):
            out.append(inter)
    return out


def to_networkx(kb: KnowledgeBase, *, include_negated: bool = False) -> nx.MultiDiGraph:
    """Directed multigraph: nodes are entities/agents, edges are interactions (keyed by id)."""
    _check_kb(kb)
    graph = nx.MultiDiGraph()
    for ent in kb.entities.values():
        graph.add_node(ent.id, label=ent.name, kind=ent.kind, record="entity")
    for agent in kb.agents.values():
        graph.add_node(
            agent.id, label=agent.name, kind="agent:" + ",".join(agent.classes), record="agent"
        )
    for inter in kb.interactions.values():
        if inter.negated and not include_negated:
            continue
        graph.add_edge(
            inter.source,
            inter.target,
            key=inter.id,
            effect=inter.effect,
            sign=1 if inter.sign == "+" else -1,
            negated=inter.negated,
        )
    return graph


@dataclass(frozen=True)
class SignedPath:
    """A causal route source -> ... -> target with its net sign and the evidence of each step.

    Each step holds every interaction of the review that supports it with the same sign, so
    parallel statements add citations instead of repeating the route.
    """

    nodes: tuple[str, ...]
    steps: tuple[tuple[Interaction, ...], ...]
    sign: Literal["+", "-"]

    @property
    def interactions(self) -> tuple[Interaction, ...]:
        """All supporting interactions, step by step."""
        return tuple(i for step in self.steps for i in step)

    @property
    def refs(self) -> tuple[int, ...]:
        """Review reference numbers cited along the path, in order, without repeats."""
        seen: dict[int, None] = {}
        for inter in self.interactions:
            for ref in inter.evidence.refs:
                seen.setdefault(ref, None)
        return tuple(seen)

    def describe(self) -> str:
        """Human-readable route, e.g. ``IL6 -[activates]-> STAT3 -[...]-> CD274 (net +)``."""
        parts = [self.nodes[0]]
        for step, node in zip(self.steps, self.nodes[1:], strict=True):
            effects = "/".join(dict.fromkeys(i.effect for i in step))
            parts.append(f"-[{effects}]-> {node}")
        return " ".join(parts) + f"  (net {self.sign})"


def paths(
    kb: KnowledgeBase,
    source: str,
    target: str,
    *,
    max_length: int = 4,
    limit: int = 25,
) -> list[SignedPath]:
    """Signed causal paths (negated statements excluded), shortest first, each with citations.

    A step supported by statements of both signs (e.g. acute vs chronic context) yields one
    path per sign; the net sign is the product of the step signs.
    """
    _check_kb(kb)
    check_type(max_length, int, name="max_length", what="a whole number in 1..8 (steps)")
    check_type(limit, int, name="limit", what="a whole number >= 1 (paths)")
    if max_length < 1 or max_length > 8:
        raise ValidationError(f"max_length {max_length} is outside the allowed range 1..8")
    if limit < 1:
        raise ValidationError(f"limit {limit} must be at least 1")
    src, dst = resolve(kb, source), resolve(kb, target)
    if src == dst:
        raise ValidationError(f"source and target both resolve to {src!r}")
    graph = to_networkx(kb)
    found: list[SignedPath] = []
    # all_simple_paths yields a node path once per parallel edge on a multigraph: deduplicate.
    node_paths = sorted(
        {tuple(p) for p in nx.all_simple_paths(graph, src, dst, cutoff=max_length)},
        key=lambda p: (len(p), p),
    )
    for node_path in node_paths:
        for steps in _sign_choices(kb, graph, list(node_path)):
            negatives = sum(1 for step in steps if step[0].sign == "-")
            found.append(SignedPath(tuple(node_path), steps, "-" if negatives % 2 else "+"))
            if len(found) >= limit:
                return found
    return found


def _sign_choices(
    kb: KnowledgeBase, graph: nx.MultiDiGraph, node_path: list[str]
) -> Iterable[tuple[tuple[Interaction, ...], ...]]:
    """Every combination of step signs along a node path, with the interactions of each."""
    per_step: list[list[tuple[Interaction, ...]]] = []
    for a, b in itertools.pairwise(node_path):
        inters = [kb.interactions[k] for k in sorted(graph.get_edge_data(a, b).keys())]
        groups = [tuple(i for i in inters if i.sign == sign) for sign in ("+", "-")]
        per_step.append([g for g in groups if g])
    yield from itertools.product(*per_step)


@dataclass(frozen=True)
class AgentRoute:
    """How an agent reaches an entity: the shortest route over the review's interactions
    (agent -> intermediate ... -> entity), or, when there is none within the hop limit, the
    agent record's own list of targets/pathways. ``via`` describes each step ("inhibits C107",
    "listed target", "listed pathway"); ``listed`` says whether the record lists the entity."""

    agent: str
    target: str
    hops: int
    nodes: tuple[str, ...]
    via: tuple[str, ...]
    sign: Literal["+", "-", "?"]
    listed: tuple[str, ...]

    def describe(self) -> str:
        """``ASPIRIN -[inhibits C107]-> IKBKB -[activates C109]-> NFKB (net -)``."""
        parts = [self.nodes[0]]
        for via, node in zip(self.via, self.nodes[1:], strict=True):
            parts.append(f"-[{via}]-> {node}")
        return " ".join(parts) + f" (net {self.sign})"


def _step(kb: KnowledgeBase, graph: nx.MultiDiGraph, a: str, b: str) -> tuple[str, str]:
    """(description, sign) of the interactions a -> b: "inhibits C107", "-"."""
    inters = [kb.interactions[k] for k in sorted(graph.get_edge_data(a, b).keys())]
    effects = "/".join(dict.fromkeys(i.effect for i in inters))
    signs = {i.sign for i in inters}
    return f"{effects} {','.join(i.id for i in inters)}", signs.pop() if len(signs) == 1 else "?"


#: entity kinds a route may pass through, intracellular signalling first (preferred on ties),
#: then secreted mediators; cells, phenotypes and processes are never intermediates
ROUTE_KINDS: tuple[str, ...] = (
    "kinase",
    "transcription_factor",
    "pathway",
    "protein",
    "enzyme",
    "complex",
    "receptor",
    "rna",
    "nucleic_acid",
    "metabolite",
    "cytokine",
    "chemokine",
    "growth_factor",
    "ligand",
    "protease",
)


def agent_routes(kb: KnowledgeBase, target: str, *, max_hops: int = 2) -> dict[str, AgentRoute]:
    """Every agent acting on ``target``, with its shortest route.

    An agent counts when a (non-negated) interaction of the review leads from it to ``target``
    directly or through up to ``max_hops - 1`` molecular intermediates (:data:`ROUTE_KINDS`;
    e.g. aspirin -[inhibits]-> IKKβ -[activates]-> NF-κB), or when its record lists ``target``
    among its targets or pathways. A listed *target* without a one-step interaction is a
    one-hop route "listed target"; a listed *pathway* keeps the interaction route that shows
    how the agent acts through it, if there is one.
    """
    _check_kb(kb)
    check_type(max_hops, int, name="max_hops", what="a whole number in 1..4")
    if not 1 <= max_hops <= 4:
        raise ValidationError(f"max_hops {max_hops} is outside the allowed range 1..4")
    target_id = resolve(kb, target)
    graph = to_networkx(kb)
    allowed = {e.id for e in kb.entities.values() if e.kind in ROUTE_KINDS} | {target_id}
    inner = nx.MultiDiGraph(graph.subgraph(allowed))
    to_target: dict[str, int] = dict(
        nx.single_target_shortest_path_length(inner, target_id, cutoff=max_hops - 1)
        if target_id in inner
        else [(target_id, 0)]
    )

    def rank(node: str) -> tuple[int, str]:
        kind = kb.entities[node].kind if node in kb.entities else ""
        return (ROUTE_KINDS.index(kind) if kind in ROUTE_KINDS else -1, node)

    out: dict[str, AgentRoute] = {}
    for agent in kb.agents.values():
        listed = tuple(
            kind
            for kind, ids in (("target", agent.targets), ("pathway", agent.pathways))
            if target_id in ids
        )
        first = [
            x for x in (graph.successors(agent.id) if agent.id in graph else ()) if x in to_target
        ]
        best = min(first, key=lambda x: (to_target[x], rank(x))) if first else None
        if best is None or ("target" in listed and to_target[best] > 0):
            if listed:
                out[agent.id] = AgentRoute(
                    agent.id,
                    target_id,
                    1,
                    (agent.id, target_id),
                    (f"listed {listed[0]}",),
                    "?",
                    listed,
                )
            continue
        nodes = [agent.id, best]
        while nodes[-1] != target_id:
            here = nodes[-1]
            nxt = [n for n in inner.successors(here) if to_target.get(n) == to_target[here] - 1]
            nodes.append(min(nxt, key=rank))
        steps = [_step(kb, graph, a, b) for a, b in itertools.pairwise(nodes)]
        signs = [sign for _, sign in steps]
        sign: Literal["+", "-", "?"] = "?" if "?" in signs else "-" if signs.count("-") % 2 else "+"
        out[agent.id] = AgentRoute(
            agent.id,
            target_id,
            len(nodes) - 1,
            tuple(nodes),
            tuple(via for via, _ in steps),
            sign,
            listed,
        )
    return out


def drugs(
    kb: KnowledgeBase,
    *,
    agent_class: str | None = None,
    target: str | None = None,
    pathway: str | None = None,
    tumor: str | None = None,
    max_hops: int = 2,
) -> list[Agent]:
    """Agents filtered by class, target, pathway and tumour type (names resolve through aliases).

    ``target`` keeps agents acting on it directly or through up to ``max_hops - 1``
    intermediates (see :func:`agent_routes`), fewest hops first.
    """
    from senotwin.kb.schema import AGENT_CLASSES

    _check_kb(kb)
    if agent_class is not None and agent_class not in AGENT_CLASSES:
        raise ValidationError(
            f"agent class {agent_class!r} (--class) is not one of: {', '.join(AGENT_CLASSES)}"
            + did_you_mean(agent_class, AGENT_CLASSES)
        )
    routes = agent_routes(kb, target, max_hops=max_hops) if target else None
    pathway_id = resolve(kb, pathway) if pathway else None
    tumor_id = _tumour_type(kb, tumor) if tumor else None
    out = []
    for agent in kb.agents.values():
        if agent_class and agent_class not in agent.classes:
            continue
        if routes is not None and agent.id not in routes:
            continue
        if pathway_id and pathway_id not in (*agent.pathways, *agent.targets):
            continue
        if tumor_id and tumor_id not in agent.tumor_types:
            continue
        out.append(agent)
    if routes is not None:
        out.sort(key=lambda a: routes[a.id].hops)
    return out


def _tumour_type(kb: KnowledgeBase, name: str) -> str:
    """The tumour-type entity ``name`` resolves to; another kind (the tissue 'lung') matches no
    agent's tumour types, so it is refused instead of filtering everything out."""
    ident = resolve(kb, name)
    kind = kb.entities[ident].kind if ident in kb.entities else "agent"
    if kind == "tumor_type":
        return ident
    types = {e.id: e.name for e in kb.entities.values() if e.kind == "tumor_type"}
    word = normalise_name(name)
    near = [t for t, n in types.items() if word in normalise_name(n) or word in t.lower()]
    what = kind.replace("_", " ")
    article = "an" if what[0] in "aeiou" else "a"
    raise ValidationError(
        f"--tumour {name!r} is {ident}, {article} {what}, not a tumour type"
        f"{hint(sorted(near))} (allowed: {', '.join(sorted(types))})"
    )


#: an item that reads as a number (ASCII digits; signed or with a decimal point it is never a
#: reference number, but it is said so, not looked up as a name)
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def cite(kb: KnowledgeBase, items: str | int | Iterable[str | int]) -> list[Reference]:
    """References for reference numbers, interaction ids, or names (all refs of their evidence);
    a single string is one item ("76" cites reference 76, not 7 and 6); a reference number may
    be an int (76)."""
    _check_kb(kb)
    one = isinstance(items, str | int) and not isinstance(items, bool)
    given: Any = [items] if one else items
    what = "reference numbers, interaction ids or names (a str, an int or a list of them)"
    check_type(given, Iterable, name="items", what=what)
    texts: list[str] = []
    for i, item in enumerate(given):
        text = str(item) if isinstance(item, int) and not isinstance(item, bool) else item
        check_type(text, str, name=f"items[{i}]", what="a reference number, interaction id or name")
        texts.append(text)
    numbers: dict[int, None] = {}
    bad: dict[str, None] = {}
    for item in texts:
        text = item.strip()
        if NUMBER.fullmatch(text):
            whole = text.lstrip("+").isdigit() and len(text) < 10  # not a 5000-digit int()
            if whole and int(text) in kb.references:
                numbers.setdefault(int(text), None)
            else:
                bad.setdefault(text, None)  # as typed
            continue
        stated = show_interaction(kb, text)  # an interaction id, whatever its case
        if stated is not None:
            for ref in stated.interaction.evidence.refs:
                numbers.setdefault(ref, None)
            continue
        view = show(kb, text)
        for inter in (*view.outgoing, *view.incoming):
            for ref in inter.evidence.refs:
                numbers.setdefault(ref, None)
        if view.agent is not None:
            for ev in view.agent.evidence:
                for ref in ev.refs:
                    numbers.setdefault(ref, None)
    bad |= {str(n): None for n in numbers if n not in kb.references}
    if bad:
        which = "reference number" if len(bad) == 1 else "reference numbers"
        verb = "is" if len(bad) == 1 else "are"
        raise ValidationError(
            f"{which} {', '.join(excerpt(t, 12) for t in bad)} {verb} not in the review's list "
            "(allowed: "
            f"the review's reference numbers 1..{max(kb.references) if kb.references else 0})"
        )
    return [kb.references[n] for n in sorted(numbers)]


def stats(kb: KnowledgeBase) -> dict[str, Any]:
    """Counts of entities by kind, interactions (signed, negated), agents, references and notes."""
    _check_kb(kb)
    by_kind = Counter(e.kind for e in kb.entities.values())
    by_class = Counter(c for a in kb.agents.values() for c in a.classes)
    signed = {(i.source, i.target, i.sign) for i in kb.interactions.values() if not i.negated}
    table_rows = Counter(a.table_row.table for a in kb.agents.values() if a.table_row)
    return {
        "entities": len(kb.entities),
        "entities_by_kind": dict(sorted(by_kind.items())),
        "interactions": len(kb.interactions),
        "distinct_signed_edges": len(signed),
        "negated_statements": sum(1 for i in kb.interactions.values() if i.negated),
        "interactions_by_sign": dict(Counter(i.sign for i in kb.interactions.values())),
        "agents": len(kb.agents),
        "agents_by_class": dict(sorted(by_class.items())),
        "table1_rows": table_rows.get(1, 0),
        "table2_rows": table_rows.get(2, 0),
        "agents_outside_tables": sum(1 for a in kb.agents.values() if a.table_row is None),
        "references": len(kb.references),
        "curator_notes": len(kb.notes),
        "hgnc_symbols": len({s for e in kb.entities.values() for s in e.hgnc}),
    }
