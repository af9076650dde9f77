"""Layout and callbacks of the Knowledge base page (computations in :mod:`.kb_page`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dash import Dash, Input, Output, State, dcc, html

from senotwin._errors import SenotwinError
from senotwin._text import counted
from senotwin.app.kb_page import (
    SIGN_COLORS,
    edge_interactions,
    kinds,
    knowledge_base,
    map_figure,
    map_view,
    no_centre_figure,
    node_kind,
    node_label,
    refs_text,
)
from senotwin.kb.query import (
    InteractionView,
    UnknownName,
    paths,
    search,
    show,
    show_interaction,
)
from senotwin.kb.schema import Interaction

DEFAULT_QUERY = "PD-L1"
#: interactions listed per direction on a node card (the map shows the rest)
MAX_LISTED = 15
#: the neighbourhood choices: 1 or 2 steps, or 0 for the whole map
RADII = (0, 1, 2)


def interaction_table(inters: Sequence[Interaction], *, limit: int = MAX_LISTED) -> html.Table:
    """Statements as rows: id, source, effect (sign), target, context, where, quote."""
    head = html.Tr(
        [html.Th(h) for h in ("id", "source", "effect", "target", "context", "where", "quote")]
    )
    rows = [head]
    for i in inters[:limit]:
        ctx = i.context
        context = ", ".join(
            x
            for x in (
                "" if ctx.phase == "any" else ctx.phase,
                "" if ctx.organism == "any" else ctx.organism,
                ", ".join(ctx.tumor),
                ctx.condition,
            )
            if x
        )
        rows.append(
            html.Tr(
                [
                    html.Td(i.id),
                    html.Td(i.source),
                    html.Td(
                        f"{i.effect} ({i.sign})",
                        style={"color": SIGN_COLORS[i.sign]},
                    ),
                    html.Td(i.target),
                    html.Td(context or "any"),
                    html.Td(i.evidence.place()),
                    html.Td(html.Q(i.evidence.quote)),
                ]
            )
        )
    return html.Table(rows, className="metrics kb-table")


def _statement_card(view: InteractionView) -> list[Any]:
    """One statement looked up by its id (as `model explain` lists them): the statement, its
    row, the references it cites and the curator notes on it (the map centres on its source)."""
    i = view.interaction
    parts: list[Any] = [
        html.H3(f"{i.id}: {i.statement()}", id="kb-node-title"),
        interaction_table([i]),
    ]
    if i.mechanism:
        parts.append(html.P(f"mechanism: {i.mechanism}"))
    if view.references:
        parts.append(
            html.P("cited: " + "; ".join(f"[{r.number}] {r.plain()}" for r in view.references))
        )
    for note in view.notes:
        parts.append(
            html.P(f"curator note {note.id}: {note.correction} ({note.source})", className="hint")
        )
    return parts


def _mentions(total: int, shown: int, text: str) -> str:
    """'3 records mention 'IL-6':', or how many of how many are listed."""
    if not total:
        return "no record mentions it"
    if total == 1:
        return f"1 record mentions {text!r}:"
    head = f"{total} records mention {text!r}"
    return f"{head}; the first {shown}:" if shown < total else f"{head}:"


def node_card(query: str | None) -> tuple[list[Any], str | None]:
    """(children, resolved id): the record with its statements, or search hits if no name fits."""
    kb = knowledge_base()
    text = query.strip() if isinstance(query, str) else ""  # a forged number was an HTTP 500
    if not text:
        return [
            html.P("type a name, alias, word or statement id, e.g. PD-L1, IL-6, senolytic, B262")
        ], None
    stated = show_interaction(kb, text)
    if stated is not None:
        return _statement_card(stated), stated.interaction.source
    try:
        view = show(kb, text)
    except SenotwinError as exc:
        try:
            every = search(kb, text, limit=None)
        except SenotwinError:
            every = []
        hits = every[:25]
        items = [
            html.Li(f"{h.kind} {h.id} ({h.label}), {h.field}: {h.excerpt}", className="kb-hit")
            for h in hits
        ]
        if isinstance(exc, UnknownName) and every:
            # a word that names no node but that records mention (the page's own example,
            # 'senolytic') is a search that worked: said as such, not as a red error (app53)
            close = f" ({exc.suggestion.removeprefix('; ')})" if exc.suggestion else ""
            first = html.P(f"no entity or agent named {exc.name!r}{close}", className="kb-note")
        else:
            message = (
                f"unknown name {exc.name!r}"
                f"{exc.suggestion or '; no name is close: try another name, alias or word'}"
                if isinstance(exc, UnknownName)
                else str(exc)
            )
            first = html.P(message, className="regimen-error")
        return [
            first,
            html.P(_mentions(len(every), len(hits), text)),
            html.Ul(items, id="kb-hits"),
        ], None
    ident = view.id
    head = f"{ident}: {node_label(kb, ident)} ({node_kind(kb, ident)})"
    parts: list[Any] = [html.H3(head, id="kb-node-title")]
    if view.entity is not None:
        ent = view.entity
        if ent.aliases or ent.hgnc:
            names = dict.fromkeys((*ent.aliases, *ent.hgnc))  # an HGNC symbol may be an alias
            parts.append(html.P("aliases: " + ", ".join(names)))
        if ent.description:
            parts.append(html.P(ent.description))
    if view.agent is not None:
        agent = view.agent
        parts.append(
            html.P(
                f"classes: {', '.join(agent.classes)}; targets: {', '.join(agent.targets) or '-'}"
            )
        )
        for ev in agent.evidence[:3]:
            parts.append(html.Blockquote(f"{ev.quote} (section {ev.section})"))
    if view.agents_targeting:
        parts.append(html.P("agents acting on it: " + ", ".join(view.agents_targeting)))
    for title, inters in (
        (f"Acts on ({len(view.outgoing)})", view.outgoing),
        (f"Acted on by ({len(view.incoming)})", view.incoming),
    ):
        if inters:
            parts += [html.H4(title), interaction_table(inters)]
            if len(inters) > MAX_LISTED:
                parts.append(html.P(f"first {MAX_LISTED} shown; the map shows them all"))
    for note in view.notes:
        parts.append(
            html.P(f"curator note {note.id}: {note.correction} ({note.source})", className="hint")
        )
    return parts, ident


#: the longest path the page searches (the knowledge base's own limit is 8; 5 keeps it quick)
MAX_PATH_STEPS = 5


def path_list(source: str | None, target: str | None, max_length: int | None) -> list[Any]:
    """Signed paths source -> target, each step with its statements' quotes and citations."""
    if not isinstance(source, str) or not isinstance(target, str):  # forged: was an HTTP 500
        return [html.P("give both ends of the path as names, e.g. IL-6 and PD-L1")]
    if not source.strip() or not target.strip():
        return [html.P("give both ends of the path, e.g. IL-6 and PD-L1")]
    length = _path_length(max_length)
    if isinstance(length, str):
        return [html.P(f"error: {length}", className="regimen-error")]
    kb = knowledge_base()
    try:
        found = paths(kb, str(source), str(target), max_length=length, limit=10)
    except UnknownName as exc:
        hint = exc.suggestion or "; type it in the 'Entity or agent' field above to search for it"
        return [html.P(f"error: unknown name {exc.name!r}{hint}", className="regimen-error")]
    except SenotwinError as exc:
        return [html.P(f"error: {exc}", className="regimen-error")]
    if not found:
        return [html.P(f"no path from {source} to {target} within {counted(length, 'step')}")]
    out: list[Any] = [html.P(f"{len(found)} signed paths (shortest first, at most 10):")]
    for p in found:
        steps = [
            html.Li(f"{i.statement()} [{i.id}; {i.evidence.place()}]: “{i.evidence.quote}”")
            for i in p.interactions
        ]
        out.append(
            html.Details(
                [
                    html.Summary(p.describe(), className="kb-path"),
                    html.Ul(steps),
                    html.P("cited: " + "; ".join(refs_text(kb, p.refs)), className="hint"),
                ]
            )
        )
    return out


def _path_length(value: object) -> int | str:
    """The path-length box as a whole number of steps 1..MAX_PATH_STEPS, or what is wrong with
    it (0 was read as 3, 2.5 as 2 and text answered HTTP 500; audit, session 41)."""
    if value is None or value == "":
        return 3  # the box's default
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return f"path length {value!r} is not a number; give 1 to {MAX_PATH_STEPS} steps"
    if number != int(number) or not 1 <= number <= MAX_PATH_STEPS:
        return f"path length {value!r}: give a whole number of steps from 1 to {MAX_PATH_STEPS}"
    return int(number)


def evidence(click: dict[str, Any] | None) -> list[Any]:
    """The evidence of a clicked map element: a node's record or an edge's statements."""
    points = click.get("points") if isinstance(click, dict) else None
    if not points or not isinstance(points, list) or not isinstance(points[0], dict):
        # nothing clicked yet, or a forged click that was an HTTP 500
        return [html.P("click a node or an edge's diamond on the map for its evidence")]
    key = str(points[0].get("customdata", ""))
    kb = knowledge_base()
    if key.startswith("node:"):
        children, _ = node_card(key[len("node:") :])
        return children
    inters = edge_interactions(kb, key)
    if not inters:
        return [html.P("nothing recorded for this element")]
    refs = sorted({r for i in inters for r in i.evidence.refs})
    return [
        html.H3(f"{inters[0].source} → {inters[0].target}", id="kb-edge-title"),
        interaction_table(inters),
        html.P("cited: " + ("; ".join(refs_text(kb, refs)) or "none"), className="hint"),
    ]


def map_for(
    centre: str | None, radius: int | None, keep: Sequence[str] | None, signs: Sequence[str] | None
) -> Any:
    """The map figure for the controls: the neighbourhood of ``centre``, or the whole map for
    radius 0. A 1- or 2-step neighbourhood without a node to centre on (a word search such as
    'senolytic', which names no entity or agent) draws no map but says so: it drew the whole
    160-node map while '1 step' stayed selected (app53). Values only a forged request sends
    (text for the radius, a number for the kinds) read as the defaults instead of raising (an
    HTTP 500; audit s43)."""
    kb = knowledge_base()
    centre = centre if isinstance(centre, str) else None
    steps = radius if radius in RADII and not isinstance(radius, bool) else 1
    if steps and (centre is None or (centre not in kb.entities and centre not in kb.agents)):
        return no_centre_figure()
    kept = [k for k in keep if isinstance(k, str)] if isinstance(keep, list) else None
    shown = [s for s in signs if s in SIGN_COLORS] if isinstance(signs, list) else []
    view = map_view(kb, centre=centre, radius=int(steps or 1), keep_kinds=kept, signs=shown)
    return map_figure(kb, view, centre=centre)


def layout() -> html.Div:
    """The page: search, node card, paths, and the mechanism map with its filters."""
    kb = knowledge_base()
    card, centre = node_card(DEFAULT_QUERY)
    return html.Div(
        [
            html.Div(
                [
                    html.Label(
                        "Entity or agent (name, alias, gene symbol, word or statement id)",
                        htmlFor="kb-query",
                    ),
                    dcc.Input(id="kb-query", value=DEFAULT_QUERY, debounce=True, type="text"),
                    html.Button("Look up", id="kb-search"),
                    html.Label("Signed paths from", htmlFor="kb-path-from"),
                    dcc.Input(id="kb-path-from", value="IL-6", type="text"),
                    html.Label("to", htmlFor="kb-path-to"),
                    dcc.Input(id="kb-path-to", value="PD-L1", type="text"),
                    html.Label("at most steps", htmlFor="kb-path-len"),
                    dcc.Input(
                        id="kb-path-len",
                        type="number",
                        min=1,
                        max=MAX_PATH_STEPS,
                        step=1,
                        value=3,
                    ),
                    html.Button("Find paths", id="kb-path-run"),
                    html.H4("Map filters"),
                    html.Label("Node kinds shown (empty = all)", htmlFor="kb-kinds"),
                    dcc.Dropdown(
                        id="kb-kinds",
                        options=[{"label": k.replace("_", " "), "value": k} for k in kinds(kb)],
                        value=[],
                        multi=True,
                    ),
                    html.Label("Edge signs", htmlFor="kb-signs"),
                    dcc.Checklist(
                        id="kb-signs",
                        options=[
                            {"label": " + activates", "value": "+"},
                            {"label": " - inhibits", "value": "-"},
                        ],
                        value=["+", "-"],
                        inline=True,
                    ),
                    html.Label("Neighbourhood", htmlFor="kb-radius"),
                    dcc.RadioItems(
                        id="kb-radius",
                        options=[
                            {"label": " 1 step", "value": 1},
                            {"label": " 2 steps", "value": 2},
                            {"label": " whole map", "value": 0},
                        ],
                        value=1,
                        inline=True,
                    ),
                    html.Div(id="kb-paths"),
                ],
                className="controls",
            ),
            html.Div(
                [
                    dcc.Store(id="kb-centre", data=centre),
                    dcc.Graph(
                        id="kb-map",
                        figure=map_for(centre, 1, [], ["+", "-"]),
                        config={"scrollZoom": True},
                    ),
                    html.Div(evidence(None), id="kb-evidence"),
                    html.Div(card, id="kb-card"),
                ]
            ),
        ],
        className="page kb-page",
    )


def register(app: Dash) -> None:
    """Wire the Knowledge base page's callbacks."""
    app.callback(
        Output("kb-card", "children"),
        Output("kb-centre", "data"),
        Input("kb-search", "n_clicks"),
        Input("kb-query", "value"),
        prevent_initial_call=True,
    )(lambda _n, query: node_card(query))
    app.callback(
        Output("kb-map", "figure"),
        Input("kb-centre", "data"),
        Input("kb-radius", "value"),
        Input("kb-kinds", "value"),
        Input("kb-signs", "value"),
        prevent_initial_call=True,
    )(
        lambda centre, radius, keep, signs: map_for(
            None if radius == 0 else centre, radius, keep, signs
        )
    )
    app.callback(
        Output("kb-paths", "children"),
        Input("kb-path-run", "n_clicks"),
        State("kb-path-from", "value"),
        State("kb-path-to", "value"),
        State("kb-path-len", "value"),
        prevent_initial_call=True,
    )(lambda _n, a, b, k: path_list(a, b, k))
    app.callback(Output("kb-evidence", "children"), Input("kb-map", "clickData"))(evidence)
