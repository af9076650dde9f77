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
    table = Table(title=f"{len(rows)} scenarios")
    for col in ("name", "model", "days", "overrides", "description"):
        table.add_column(col, overflow="fold")
    for row in rows:
        overrides = len(row["params"]) + len(row["initial"])  # type: ignore[arg-type]
        table.add_row(
            str(row["name"]),
            str(row["model"]),
            f"{row['days']:g}",
            str(overrides),
            str(row["description"]),
        )
    Console().print(table)
