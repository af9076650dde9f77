"""Model card: every species, parameter (with provenance) and process (with kb evidence)."""

from __future__ import annotations

import html

from senotwin.model.describe import (
    TOP_N,
    provenance_detail,
    provenance_lines,
    stats,
    top_provenance,
)
from senotwin.model.expr import to_text
from senotwin.model.spec import ModelSpec


def _md_cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return out


def sections(spec: ModelSpec) -> list[tuple[str, list[str], list[list[object]]]]:
    """The card's tables: (title, header, rows)."""
    species: list[list[object]] = [
        [
            s.id,
            s.name,
            s.unit,
            f"{s.initial:g}" + (f" (= {s.initial_expression})" if s.initial_expression else ""),
            s.compartment,
            s.entity or "",
            " ".join(
                [
                    *(f"CL {s.cell_ontology}" for _ in [0] if s.cell_ontology),
                    *(f"HGNC {g}" for g in s.hgnc),
                ]
            ),
        ]
        for s in spec.species
    ]
    params: list[list[object]] = [
        [
            p.id,
            p.name,
            f"{p.value:g}",
            p.unit,
            f"[{p.range[0]:g}, {p.range[1]:g}]" if p.range else "",
            p.entity or "",
            provenance_detail(p),
        ]
        for p in spec.parameters
    ]
    processes: list[list[object]] = [
        [
            pr.id,
            pr.rate_law or "expression",
            to_text(spec.rate_tree(pr)),
            ", ".join(f"{sid} {c:+g}" for sid, c in pr.stoichiometry.items()),
            ", ".join(pr.kb) or "none cited",
            pr.description,
        ]
        for pr in spec.processes
    ]
    observables: list[list[object]] = [
        [o.id, o.name, to_text(spec.rate_tree(o)), o.unit, o.entity or "", ", ".join(o.kb)]
        for o in spec.observables
    ]
    events: list[list[object]] = [
        [e.id, f"{e.at:g}", "; ".join(f"{k} = {v}" for k, v in e.assign.items()), e.description]
        for e in spec.events
    ]
    calibrated: list[list[object]] = [
        [
            p.provenance.dataset.split()[0],
            p.id,
            f"{p.value:g}",
            p.unit,
            " - ".join("open" if v is None else f"{v:.3g}" for v in p.provenance.interval),
            "yes" if p.provenance.identifiable else "no",
        ]
        for p in spec.parameters
        if p.provenance.kind == "calibrated"
    ]
    top = top_provenance(spec)
    listed: list[dict[str, str]] = list(top["parameters"]) if top else []  # type: ignore[call-overload]
    ranked: list[list[object]] = [
        [k, q["id"], q["provenance"]] for k, q in enumerate(listed, start=1)
    ]
    return [
        (
            "Species",
            ["id", "name", "unit", "initial", "compartment", "entity", "annotations"],
            species,
        ),
        (
            "Parameters",
            ["id", "name", "value", "unit", "plausible range", "entity", "provenance"],
            params,
        ),
        (
            "Calibrated parameters (fitted to data; 95% profile-likelihood interval)",
            ["data set", "parameter", "value", "unit", "95% CI", "identifiable"],
            calibrated,
        ),
        (
            f"Most influential parameters (top {TOP_N} of the global sensitivity ranking)",
            ["rank", "parameter", "provenance"],
            ranked,
        ),
        (
            "Processes",
            ["id", "rate law", "rate", "stoichiometry", "kb evidence", "description"],
            processes,
        ),
        ("Observables", ["id", "name", "definition", "unit", "entity", "kb evidence"], observables),
        ("Events", ["id", "time (day)", "assignments", "description"], events),
    ]


def _summary_lines(spec: ModelSpec) -> list[str]:
    st = stats(spec)
    return [
        f"{st['species']} species, {st['parameters']} parameters, {st['processes']} processes, "
        f"{st['observables']} observables, {st['events']} events.",
        *(line[0].upper() + line[1:] + "." for line in provenance_lines(st)),
        "Blockable entities: " + (", ".join(spec.entities()) or "none") + ".",
    ]


def to_markdown(spec: ModelSpec) -> str:
    """The model card as Markdown."""
    lines = [
        f"# Model card: {spec.name or spec.id}",
        "",
        f"Model id: `{spec.id}`; time unit: day.",
        "",
    ]
    if spec.description:
        lines += [spec.description.strip(), ""]
    lines += [*_summary_lines(spec), ""]
    if spec.references:
        lines += ["## References", ""] + [f"- {r}" for r in spec.references] + [""]
    for title, header, rows in sections(spec):
        if rows:
            lines += [f"## {title}", "", *_table(header, rows), ""]
    return "\n".join(lines)


def to_html(spec: ModelSpec) -> str:
    """The model card as a standalone HTML page (no external assets)."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="en"><head><meta charset="utf-8"><title>{e(spec.id)} model card</title>',
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px;vertical-align:top}</style></head><body>",
        f"<h1>Model card: {e(spec.name or spec.id)}</h1>",
        f"<p>Model id: <code>{e(spec.id)}</code>; time unit: day.</p>",
    ]
    if spec.description:
        parts.append(f"<p>{e(spec.description.strip())}</p>")
    parts += [f"<p>{e(line)}</p>" for line in _summary_lines(spec)]
    if spec.references:
        parts.append("<h2>References</h2><ul>")
        parts += [f"<li>{e(r)}</li>" for r in spec.references]
        parts.append("</ul>")
    for title, header, rows in sections(spec):
        if not rows:
            continue
        parts.append(f"<h2>{e(title)}</h2><table><tr>")
        parts += [f"<th>{e(h)}</th>" for h in header]
        parts.append("</tr>")
        for row in rows:
            parts.append("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
