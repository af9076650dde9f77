"""``senotwin scenarios``: list the named scenarios a simulation can start from."""

from __future__ import annotations

import shutil
import textwrap

import typer

from senotwin.cli._common import print_json

app = typer.Typer(
    help="Named scenarios (model + tissue/age/inducer context).", no_args_is_help=True
)


@app.command("list")
def list_scenarios(
    json_out: bool = typer.Option(
        False, "--json", help="Print JSON (with the override values) instead of text."
    ),
) -> None:
    """List every registered scenario with its model, duration, number of overrides and
    description (--json: the override values too)."""
    from senotwin.model.scenarios import get_scenario, scenario_names

    rows = []
    for name in scenario_names():
        sc = get_scenario(name)
        rows.append(
            {
                "name": name,
                "model": sc.load().id,
                "description": sc.description,
                "days": sc.days,
                "params": dict(sc.params),
                "initial": dict(sc.initial),
            }
        )
    if json_out:
        print_json(rows)
        return
    # one line per scenario (name, model, days, overrides), its description indented below:
    # in a table an 80-column terminal folded the names mid-word ('aged_breast_untre' /
    # 'ated'), so they could not be read or copied into --scenario (ux53)
    width = max(60, shutil.get_terminal_size((100, 24)).columns)
    typer.echo(f"{len(rows)} scenarios: name (model, days, overrides), then the description")
    for row in rows:
        overrides = len(row["params"]) + len(row["initial"])  # type: ignore[arg-type]
        typer.echo(f"{row['name']} ({row['model']}, {row['days']:g} days, {overrides} overrides)")
        typer.echo(
            textwrap.fill(
                str(row["description"]),
                width=width,
                initial_indent="    ",
                subsequent_indent="    ",
            )
        )
