"""``senotwin drugs``: the model-ready drug library (targets, PK, PD, provenance)."""

from __future__ import annotations

import math
from typing import Any

import typer

from senotwin.cli._common import print_json, user_errors

app = typer.Typer(help="The drug library: kb agents with model targets, PK and PD.")


@app.command("list")
def list_drugs(
    as_json: bool = typer.Option(False, "--json", help="Print the full entries as JSON."),
    category: str | None = typer.Option(None, "--category", help="Only this category."),
) -> None:
    """List the drugs (id, category, targets, half-life, provenance of PK, human use)."""
    from senotwin.therapy.drugs import library

    with user_errors():
        drugs = [d for d in library().drugs if category is None or d.category == category]
        if category is not None and not drugs:
            cats = sorted({d.category for d in library().drugs})
            raise ValueError(f"unknown category {category!r} (known: {', '.join(cats)})")
    if as_json:
        print_json([d.to_dict() for d in drugs])
        return
    typer.echo(
        f"{'drug':22s} {'category':20s} {'model targets':28s} {'half-life':14s} "
        f"{'PK source':12s} human scenarios"
    )
    for d in drugs:
        t_half = d.pk.terminal_half_life_days()
        half = "instant" if t_half == float("inf") else f"{t_half * 24:.3g} h"
        # why a drug is refused in human scenarios: `drugs show NAME` gives the range or reason
        problem = d.human_problem()
        human = (
            "yes"
            if problem is None
            else "no (no cited human PK)"
            if "no human PK" in problem
            else "no (no human dose range)"
        )
        typer.echo(
            f"{d.id:22s} {d.category:20s} {', '.join(d.targets):28s} {half:14s} "
            f"{d.pk.provenance.kind:12s} {human}"
        )


@app.command("show")
def show_drug(
    name: str = typer.Argument(..., help="Drug id or alias."),
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print every number exact (for programs); without it, to 4 significant digits.",
    ),
) -> None:
    """One drug (targets, PK in model units, PD, toxicity proxies, curator notes) in JSON's
    layout, its numbers to 4 significant digits (--json: exact)."""
    from senotwin.therapy.drugs import get_drug

    with user_errors():
        drug = get_drug(name)
    shown = drug.to_dict()
    print_json(shown if as_json else _significant(shown, 4))


def _significant(value: Any, digits: int) -> Any:
    """``value`` with every float to ``digits`` significant digits, through dicts and lists
    (a derived EC50 printed as 0.30000000000000004, half-lives to 16 digits; ux52)."""
    if isinstance(value, float):
        return float(f"{value:.{digits}g}") if math.isfinite(value) else value
    if isinstance(value, dict):
        return {k: _significant(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_significant(v, digits) for v in value]
    return value
