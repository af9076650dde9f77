"""``senotwin scenarios``: list the named scenarios a simulation can start from."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from senotwin.cli._common import print_json

app = typer.Typer(
    help="Named scenarios (model + tissue/age/inducer context).", no_args_is_help=True
)


@app.command("list")
def list_scenarios(
    json_out: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List every registered scenario with its model, duration and overrides."""
    from senotwin.model.scenarios import get_scenario, scenario_names

    rows = []
    for name in scenario_names():
        sc = get_scenario(name)
        rows.append(
            {
                "name": name,
                "description": sc.description,
                "days": sc.days,
                "params": dict(sc.params),
                "initial": dict(sc.initial),
            }
        )
    if json_out:
        print_json(rows)
        return
    table = Table(title=f"{len(rows)} scenarios")
    for col in ("name", "days", "description"):
        table.add_column(col)
    for row in rows:
        table.add_row(str(row["name"]), f"{row['days']:g}", str(row["description"]))
    Console(width=160).print(table)
