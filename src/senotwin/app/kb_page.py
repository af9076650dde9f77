"""Knowledge base page: look-up, neighbours, signed paths and the mechanism map as a network.

Everything is read through :mod:`senotwin.kb.query` (the functions behind ``senotwin kb``), so an
alias resolves here exactly as in ``senotwin kb show PD-L1``. The map is a Plotly network: zoom and
pan are Plotly's; each node and each edge midpoint carries its id, so a click shows its evidence.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import networkx as nx
import plotly.graph_objects as go
from plotly.colors import qualitative

from senotwin._text import plotly_literal
from senotwin.kb import KnowledgeBase, load
from senotwin.kb.query import to_networkx
from senotwin.kb.schema import Interaction

#: node colours by kind (24 distinct: every entity kind and 'agent' gets its own)
PALETTE = qualitative.Dark24
#: colours of the signs on the map
SIGN_COLORS = {"+": "#1b7837", "-": "#b2182b"}
#: node kinds of agents (drugs, strategies) on the map
AGENT_KIND = "agent"
#: above this many edges the map draws plain lines instead of arrows (arrows cost a shape each)
MAX_ARROWS = 150
#: most nodes the whole-map view draws (the most connected first)
MAX_NODES = 160


@cache
def knowledge_base() -> KnowledgeBase:
    """The shipped knowledge base, loaded once per process."""
    return load()


def node_kind(kb: KnowledgeBase, ident: str) -> str:
    """Entity kind, or 'agent' for a drug/strategy."""
    ent = kb.entities.get(ident)
    return ent.kind if ent is not None else AGENT_KIND


def node_label(kb: KnowledgeBase, ident: str) -> str:
    """Display name of an entity or agent."""
    ent = kb.entities.get(ident)
    if ent is not None:
        return ent.name
    agent = kb.agents.get(ident)
    return agent.name if agent is not None else ident


def kinds(kb: KnowledgeBase) -> list[str]:
    """Every node kind present, sorted (the map's kind filter)."""
    return sorted({e.kind for e in kb.entities.values()} | {AGENT_KIND})


def refs_text(kb: KnowledgeBase, refs: Iterable[int]) -> list[str]:
    """'[12] Author et al. ...' for each review reference number."""
    out = []
    for n in refs:
        ref = kb.references.get(n)
        out.append(f"[{n}] {ref.text}" if ref is not None else f"[{n}] (not in the list)")
    return out


@dataclass(frozen=True)
class MapView:
    """The drawn subgraph: node ids with positions, and the (source, target) edges with their
    interactions (one sign each; a pair stated with both signs gives two edges)."""

    nodes: dict[str, tuple[float, float]]
    edges: tuple[tuple[str, str, str, tuple[str, ...]], ...]  # (source, target, sign, ids)


def map_view(
    kb: KnowledgeBase,
    *,
    centre: str | None,
    radius: int,
    keep_kinds: Sequence[str] | None,
    signs: Sequence[str],
) -> MapView:
    """Nodes within ``radius`` steps of ``centre`` (or the best-connected MAX_NODES without one)
    whose kind is kept, and the interactions among them with a kept sign."""
    graph = to_networkx(kb)
    kept_kinds = set(keep_kinds) if keep_kinds else set(kinds(kb))
    allowed = {n for n in graph.nodes if node_kind(kb, n) in kept_kinds}
    near: dict[str, int] = {}
    if centre is not None and centre in graph:
        allowed.add(centre)
        near = nx.single_source_shortest_path_length(
            graph.to_undirected(as_view=True), centre, cutoff=max(radius, 0)
        )
        shown = {n for n in near if n in allowed}
    else:
        degree = sorted(allowed, key=lambda n: (-graph.degree(n), n))
        shown = set(degree[:MAX_NODES])
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for a, b, key, data in graph.edges(keys=True, data=True):
        sign = "+" if data["sign"] > 0 else "-"
        if a in shown and b in shown and sign in signs:
            grouped.setdefault((a, b, sign), []).append(key)
    edges = tuple((a, b, s, tuple(sorted(ids))) for (a, b, s), ids in sorted(grouped.items()))
    linked = {n for a, b, _, _ in edges for n in (a, b)}
    if centre in shown:
        linked.add(str(centre))
    sub = nx.Graph()
    sub.add_nodes_from(sorted(linked))
    sub.add_edges_from((a, b) for a, b, _, _ in edges)
    if centre is not None and centre in sub:
        # rings around the searched node: 1 step, then 2 steps; each ring grouped by kind. A
        # node's ring is its distance in the whole map (what "within N steps" chose it by): in
        # the sign- or kind-filtered map it can be farther or cut off, and then had no ring and
        # no position (a KeyError, HTTP 500; audit, session 41)
        ring = max(radius, 1)
        rings = [[centre]] + [
            sorted(
                (n for n in sub if min(near.get(n, ring), ring) == r and n != centre),
                key=lambda n: (node_kind(kb, n), n),
            )
            for r in range(1, ring + 1)
        ]
        pos = nx.shell_layout(sub, nlist=[r for r in rings if r])
    elif len(sub):
        pos = nx.spring_layout(sub, seed=7, k=2.5 / math.sqrt(len(sub)))
    else:
        pos = {}
    return MapView({n: (float(x), float(y)) for n, (x, y) in pos.items()}, edges)


def map_figure(kb: KnowledgeBase, view: MapView, *, centre: str | None) -> go.Figure:
    """The network: nodes coloured by kind, edges green (+) or red (-), hover names, click ids."""
    fig = go.Figure()
    arrows = len(view.edges) <= MAX_ARROWS
    for sign, color in SIGN_COLORS.items():
        xs: list[float | None] = []
        ys: list[float | None] = []
        mx, my, text, ids = [], [], [], []
        for a, b, s, inter_ids in view.edges:
            if s != sign:
                continue
            (x0, y0), (x1, y1) = view.nodes[a], view.nodes[b]
            if arrows:
                fig.add_annotation(
                    x=x1,
                    y=y1,
                    ax=x0,
                    ay=y0,
                    xref="x",
                    yref="y",
                    axref="x",
                    ayref="y",
                    showarrow=True,
                    arrowhead=2 if sign == "+" else 6,
                    arrowsize=1.2,
                    arrowwidth=1.2,
                    arrowcolor=color,
                    opacity=0.6,
                    standoff=9,
                    text="",
                )
            else:
                xs += [x0, x1, None]
                ys += [y0, y1, None]
            mx.append(0.5 * (x0 + x1))
            my.append(0.5 * (y0 + y1))
            effects = "/".join(dict.fromkeys(kb.interactions[i].effect for i in inter_ids))
            text.append(f"{a} {effects} {b} ({len(inter_ids)} statements; click for evidence)")
            ids.append(f"edge:{a}|{b}|{sign}")
        name = "activates (+)" if sign == "+" else "inhibits (-)"
        if xs:
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines",
                    line={"color": color, "width": 1},
                    opacity=0.5,
                    hoverinfo="skip",
                    showlegend=False,
                )
            )
        fig.add_trace(
            go.Scatter(
                x=mx,
                y=my,
                mode="markers",
                marker={"size": 7, "color": color, "symbol": "diamond"},
                text=text,
                customdata=ids,
                hoverinfo="text",
                name=f"edge {name}",
            )
        )
    by_kind: dict[str, list[str]] = {}
    for n in view.nodes:
        by_kind.setdefault(node_kind(kb, n), []).append(n)
    all_kinds = kinds(kb)
    for kind, members in sorted(by_kind.items()):
        color = PALETTE[all_kinds.index(kind) % len(PALETTE)]
        fig.add_trace(
            go.Scatter(
                x=[view.nodes[n][0] for n in members],
                y=[view.nodes[n][1] for n in members],
                mode="markers+text",
                text=members,
                textposition="top center",
                textfont={"size": 10},
                marker={
                    "size": [18 if n == centre else 11 for n in members],
                    "color": color,
                    "line": {"width": 1, "color": "#333"},
                },
                customdata=[f"node:{n}" for n in members],
                hovertext=[f"{n}: {node_label(kb, n)} ({kind})" for n in members],
                hoverinfo="text",
                name=kind.replace("_", " "),
            )
        )
    title = (
        f"Mechanism map around {plotly_literal(centre)}: {len(view.nodes)} nodes, "
        f"{len(view.edges)} signed edges"
        if centre and centre in view.nodes  # a name the map lacks draws the whole map
        else f"Mechanism map: {len(view.nodes)} best-connected nodes, {len(view.edges)} edges"
    )
    fig.update_layout(
        title=title,
        height=720,
        hovermode="closest",
        clickmode="event",
        dragmode="pan",
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        legend={"title": {"text": "node kind / edge sign"}},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    return fig


def no_centre_figure() -> go.Figure:
    """The map when the neighbourhood view has no node to centre on (a word search that names
    no entity or agent, or nothing looked up): empty, saying what to do."""
    fig = go.Figure()
    fig.add_annotation(
        text=(
            "Look up an entity or agent to draw its neighbourhood,<br>"
            "or choose 'whole map' (Neighbourhood) for the best-connected nodes."
        ),
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": 14, "color": "#555"},
    )
    fig.update_layout(
        title="Mechanism map: no entity or agent to centre on",
        height=240,
        plot_bgcolor="white",
        xaxis={"visible": False},
        yaxis={"visible": False},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    return fig


def edge_interactions(kb: KnowledgeBase, key: str) -> list[Interaction]:
    """The interactions behind a clicked edge ``edge:SOURCE|TARGET|SIGN`` (negated excluded)."""
    if not key.startswith("edge:"):
        return []
    parts = key[len("edge:") :].split("|")
    if len(parts) != 3:
        return []
    a, b, sign = parts
    return [
        i
        for i in kb.interactions.values()
        if i.source == a and i.target == b and i.sign == sign and not i.negated
    ]
