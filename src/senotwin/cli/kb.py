"""``senotwin kb ...``: query, cite and export the knowledge base of the review."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from senotwin._suggest import did_you_mean
from senotwin._text import counted
from senotwin.cli._common import (
    FIGURE_SUFFIXES,
    Output,
    check_count,
    print_json,
    to_jsonable,
    user_errors,
    writing,
)
from senotwin.kb import export as kb_export
from senotwin.kb import load, query
from senotwin.kb.loader import KnowledgeBase
from senotwin.kb.schema import AGENT_CLASSES, Agent, Interaction

app = typer.Typer(
    help="Query, cite and export the knowledge base of the review.", no_args_is_help=True
)
console = Console(width=120)

KB_DIR = typer.Option(None, "--kb", help="Knowledge-base directory (default: the shipped one).")
JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")


def _load(kb_dir: Path | None) -> KnowledgeBase:
    return load(kb_dir)


def _cite(refs: tuple[int, ...]) -> str:
    return "refs " + ",".join(map(str, refs)) if refs else "no refs"


def _interaction_table(title: str, inters: list[Interaction] | tuple[Interaction, ...]) -> Table:
    table = Table(title=title, show_lines=False)
    for col in ("id", "source", "effect", "sign", "target", "context", "evidence"):
        table.add_column(col, overflow="fold")
    for i in inters:
        sign = ("NOT " if i.negated else "") + i.sign
        ev = f"§{i.evidence.section} {_cite(i.evidence.refs)}"
        table.add_row(i.id, i.source, i.effect, sign, i.target, _context(i), ev)
    return table


def _context(i: Interaction) -> str:
    """The phase and tumour types an interaction is restricted to ('' when it is not)."""
    ctx: str = i.context.phase if i.context.phase != "any" else ""
    if i.context.tumor:
        ctx += " " + ",".join(i.context.tumor)
    return ctx.strip()


@app.command()
def show(
    name: str = typer.Argument(
        ...,
        help="Entity or agent name, alias or HGNC symbol (e.g. PD-L1), or an interaction id "
        "(e.g. B262, as `model explain` lists a process's kb evidence).",
    ),
    json_out: bool = JSON,
    kb_dir: Path | None = KB_DIR,
) -> None:
    """Show an entity or agent with its interactions, targeting agents and curator notes, or
    one interaction with its quote and references."""
    with user_errors():
        kb = _load(kb_dir)
        statement = query.show_interaction(kb, name)
        if statement is None:
            view = query.show(kb, name)
    if statement is not None:
        _show_interaction(statement, json_out)
        return
    if json_out:
        print_json(view)
        return
    record = view.entity or view.agent
    if record is None:  # resolve() only returns known ids; guard for type checkers
        raise typer.Exit(code=2)
    console.print(f"[bold]{record.name}[/bold] ({view.id})")
    if view.entity is not None:
        e = view.entity
        console.print(
            f"kind: {e.kind}; aliases: {', '.join(e.aliases) or '-'}; "
            f"HGNC: {', '.join(e.hgnc) or '-'}"
        )
        if e.description:
            console.print(e.description)
    if view.agent is not None:
        a = view.agent
        console.print(
            f"classes: {', '.join(a.classes)}; targets: {', '.join(a.targets) or '-'}; "
            f"pathways: {', '.join(a.pathways) or '-'}; "
            f"represses: {', '.join(a.represses) or '-'}"
        )
    if view.outgoing:
        console.print(_interaction_table("outgoing", view.outgoing))
    if view.incoming:
        console.print(_interaction_table("incoming", view.incoming))
    if view.agents_targeting:
        console.print("agents acting on it: " + ", ".join(view.agents_targeting))
    for note in view.notes:
        console.print(f"[yellow]curator note {note.id}[/yellow]: {note.correction}")


def _show_interaction(view: query.InteractionView, json_out: bool) -> None:
    """Print one interaction: statement, context, mechanism, where and quote, references."""
    if json_out:
        print_json(view)
        return
    i = view.interaction
    console.print(f"[bold]{escape(i.id)}[/bold]: {escape(i.statement())} (sign {i.sign})")
    if _context(i):
        console.print(f"context: {escape(_context(i))}")
    if i.mechanism:
        console.print(f"mechanism: {escape(i.mechanism)}")
    console.print(f"where: {escape(i.evidence.place())}")
    console.print(f"quote: “{escape(i.evidence.quote)}”")
    for ref in view.references:
        console.print(f"{ref.number}. {escape(ref.plain())}")
    for note in view.notes:
        console.print(f"[yellow]curator note {note.id}[/yellow]: {escape(note.correction)}")


@app.command()
def search(
    text: str = typer.Argument(..., help="Words to look for in names, quotes and references."),
    limit: int = typer.Option(50, min=1, help="Maximum number of hits."),
    json_out: bool = JSON,
    kb_dir: Path | None = KB_DIR,
) -> None:
    """Full-text search of the knowledge base."""
    with user_errors():
        every = query.search(_load(kb_dir), text, limit=None)
    hits = every[:limit]
    if json_out:
        print_json(hits)
        return
    if not every:
        typer.echo(f"no record mentions {text!r}")
        return
    title = f"{counted(len(every), 'hit')} for {text!r}"
    if len(every) > limit:
        title = f"the first {limit} of {title} (--limit for more)"
    table = Table(title=title)
    for col in ("kind", "id", "label", "field", "excerpt"):
        table.add_column(col, overflow="fold")
    for h in hits:
        table.add_row(h.kind, h.id, h.label, h.field, h.excerpt)
    console.print(table)


@app.command()
def neighbors(
    name: str = typer.Argument(..., help="Entity or agent name."),
    direction: str = typer.Option("both", help="in, out or both."),
    json_out: bool = JSON,
    kb_dir: Path | None = KB_DIR,
) -> None:
    """Interactions into and/or out of an entity."""
    with user_errors():
        if direction not in ("in", "out", "both"):
            raise ValueError(f"--direction {direction!r} is not one of: in, out, both")
        dir_lit: Literal["in", "out", "both"] = direction  # type: ignore[assignment]
        inters = query.neighbors(_load(kb_dir), name, direction=dir_lit)
    if json_out:
        print_json(inters)
        return
    console.print(_interaction_table(f"neighbours of {name} ({direction})", inters))


@app.command()
def path(
    source: str = typer.Argument(..., help="Start entity (e.g. IL6)."),
    target: str = typer.Argument(..., help="End entity (e.g. PD-L1)."),
    max_length: int = typer.Option(4, "--max-length", help="Maximum number of steps (1-8)."),
    limit: int = typer.Option(25, min=1, help="Maximum number of paths."),
    json_out: bool = JSON,
    kb_dir: Path | None = KB_DIR,
) -> None:
    """Signed causal paths between two entities, with the net effect and citations."""
    with user_errors():
        check_count("--max-length", max_length, 1, 8)
        found = query.paths(_load(kb_dir), source, target, max_length=max_length, limit=limit + 1)
    more = len(found) > limit
    found = found[:limit]
    if json_out:
        print_json(
            [
                {
                    "nodes": p.nodes,
                    "net_sign": p.sign,
                    "refs": p.refs,
                    "steps": [
                        {
                            "source": a,
                            "target": b,
                            "sign": step[0].sign,
                            "support": [
                                {
                                    "id": i.id,
                                    "effect": i.effect,
                                    "phase": i.context.phase,
                                    "section": i.evidence.section,
                                    "refs": i.evidence.refs,
                                    "quote": i.evidence.quote,
                                }
                                for i in step
                            ],
                        }
                        for a, b, step in zip(p.nodes, p.nodes[1:], p.steps, strict=False)
                    ],
                }
                for p in found
            ]
        )
        return
    if not found:
        console.print(f"no path from {source} to {target} within {counted(max_length, 'step')}")
    for p in found:
        typer.echo(f"{p.describe()}  [{_cite(p.refs)}]")
    if more:
        typer.echo(f"the first {limit} paths, shortest first; more exist (--limit for more)")


@app.command()
def drugs(
    agent_class: str | None = typer.Option(
        None, "--class", help=f"Agent class, one of: {', '.join(AGENT_CLASSES)}."
    ),
    target: str | None = typer.Option(
        None,
        help="Entity acted on, directly or through intermediates (aliases resolve); "
        "the output shows the hops and the route.",
    ),
    max_hops: int | None = typer.Option(
        None,
        "--max-hops",
        help="With --target: most interactions from agent to target (1-4; default 2).",
    ),
    pathway: str | None = typer.Option(None, help="Pathway entity."),
    tumor: str | None = typer.Option(None, "--tumour", "--tumor", help="Tumour type entity."),
    json_out: bool = JSON,
    kb_dir: Path | None = KB_DIR,
) -> None:
    """Agents of the review filtered by class, target, pathway and tumour type."""
    with user_errors():
        if max_hops is not None and target is None:  # ignoring it hid a mistake
            raise ValueError("--max-hops limits the route to --target; it needs --target")
        max_hops = 2 if max_hops is None else max_hops
        check_count("--max-hops", max_hops, 1, 4)
        kb = _load(kb_dir)
        agents = query.drugs(
            kb,
            agent_class=agent_class,
            target=target,
            pathway=pathway,
            tumor=tumor,
            max_hops=max_hops,
        )
        routes = query.agent_routes(kb, target, max_hops=max_hops) if target else {}
    if json_out:
        items = [to_jsonable(a) for a in agents]
        if target:
            items = [
                item | {"route": to_jsonable(routes[a.id])}
                for item, a in zip(items, agents, strict=True)
            ]
        print_json(items)
        return
    if target:
        _route_table(agents, routes, target, max_hops)
        return
    table = Table(title=f"{len(agents)} agent(s)")
    for col in ("id", "name", "classes", "targets", "tumours", "represses", "table", "refs"):
        table.add_column(col, overflow="fold")
    for a in agents:
        table.add_row(
            a.id,
            a.name,
            ", ".join(a.classes),
            ", ".join(a.targets),
            ", ".join(a.tumor_types),
            ", ".join(a.represses),
            f"T{a.table_row.table}.{a.table_row.row}" if a.table_row else "",
            _agent_refs(a),
        )
    console.print(table)


def _agent_refs(agent: Agent) -> str:
    return ",".join(map(str, sorted({r for ev in agent.evidence for r in ev.refs})))


def _route_table(
    agents: list[Agent], routes: dict[str, query.AgentRoute], target: str, max_hops: int
) -> None:
    """Agents acting on ``target``: hops, route with interaction ids and net sign, listing."""
    table = Table(
        title=f"{len(agents)} agent(s) acting on {target} within {max_hops} hop(s)",
        caption="route: agent -[effect interaction ids]-> ... -> target (net sign; ? = not "
        "stated); listed: the agent's record lists the target among its targets/pathways",
    )
    for col in ("id", "classes", "hops", "route", "listed", "refs"):
        table.add_column(col, overflow="fold")
    for a in agents:
        route = routes[a.id]
        table.add_row(
            a.id,
            ", ".join(a.classes),
            str(route.hops),
            escape(route.describe()),
            ", ".join(route.listed) or "-",
            _agent_refs(a),
        )
    console.print(table)


@app.command(context_settings={"ignore_unknown_options": True})  # -1 is an item, not an option
def cite(
    ctx: typer.Context,
    items: list[str] = typer.Argument(..., help="Reference numbers, interaction ids or names."),
    json_out: bool = JSON,
    kb_dir: Path | None = KB_DIR,
) -> None:
    """Print the review's references for numbers, interactions or everything cited for a name."""
    for item in items:  # a mistyped option is still one, not a name to look up
        if item.startswith("-") and not query.NUMBER.fullmatch(item):
            known = [o for p in ctx.command.params for o in p.opts if o.startswith("-")]
            name = item.split("=", 1)[0]
            ctx.fail(f"No such option: {name}{did_you_mean(name, known)}")
    with user_errors():
        refs = query.cite(_load(kb_dir), items)
    if json_out:
        print_json(refs)
        return
    if not refs:  # a statement the review gives without references: say so, not print nothing
        cites = "cites" if len(items) == 1 else "cite"
        typer.echo(f"{', '.join(items)} {cites} none of the review's references")
    for r in refs:
        typer.echo(f"{r.number}. {r.plain()}")


@app.command()
def stats(json_out: bool = JSON, kb_dir: Path | None = KB_DIR) -> None:
    """Counts of entities by kind, interactions, agents, references and curator notes."""
    with user_errors():
        st = query.stats(_load(kb_dir))
    if json_out:
        print_json(st)
        return
    for key, value in st.items():
        typer.echo(f"{key}: {value}")


@app.command("export")
def export_cmd(
    fmt: str = typer.Option(..., "--format", help="csv, sif, graphml or cytoscape-json."),
    out: str = typer.Option(
        ...,
        "--out",
        help="Directory for csv; a file for the others (sif: .sif; graphml: .graphml or .xml; "
        "cytoscape-json: .cyjs or .json), or a directory (existing, or ending with '/') to "
        "write senotwin_kb.sif / .graphml / .cyjs into.",
    ),
    kb_dir: Path | None = KB_DIR,
) -> None:
    """Export the knowledge base (csv: entities/interactions/agents/references/notes tables)."""
    into_dir = kb_export.writes_into_directory(fmt, out)
    suffixes = () if into_dir else kb_export.SUFFIXES.get(fmt, ())  # an unknown one: export's
    target = Output("--out", Path(out), suffixes, directory=into_dir, kind=f"--format {fmt}")
    with user_errors(), writing(target):
        written = kb_export.export(_load(kb_dir), fmt, out)
    for p in written:
        typer.echo(f"wrote {p}")


@app.command()
def figure(
    out: Path = typer.Option(..., "--out", help="Output image: .png or .svg."),
    max_per_layer: int = typer.Option(14, help="Most-connected entities drawn per layer (2-40)."),
    kb_dir: Path | None = KB_DIR,
) -> None:
    """Draw the mechanism map, layered inducers -> core -> control -> SASP -> immune -> outcomes."""
    from senotwin.report.mechanism_map import draw_mechanism_map

    with user_errors():
        check_count("--max-per-layer", max_per_layer, 2, 40)
    with user_errors(), writing(Output("--out", out, FIGURE_SUFFIXES)):
        written = draw_mechanism_map(_load(kb_dir), out, max_per_layer=max_per_layer)
    typer.echo(f"wrote {written}")
