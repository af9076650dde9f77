"""``senotwin validate``: run the literature validation suite of the TME model."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from senotwin.cli._common import print_json, user_errors
from senotwin.sim.engines import engine_help


def validate(
    cases: Path | None = typer.Option(
        None, "--cases", help="Validation cases YAML (default: the shipped suite)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    engine: str = typer.Option(
        "reference",
        help=f"{engine_help()} reference (SciPy) is the default here: fast compiles each drug "
        "combination as a new model, so it is slower for this suite.",
    ),
    strict: bool = typer.Option(False, "--strict", help="Exit with code 1 if any case fails."),
) -> None:
    """Run every review claim as a perturbation vs control case and report pass/fail."""
    from senotwin.analysis.validation import run_validation

    with user_errors():
        report = run_validation(cases, engine=engine)
    if json_out:
        print_json(report.to_dict())
    else:
        table = Table(title=f"validation: {report.n_passed}/{len(report.results)} passed")
        for col in ("case", "perturbation", "read-out", "expected", "change", "ok", "section"):
            table.add_column(col)
        for r in report.results:
            table.add_row(
                r.id,
                r.perturbation,
                r.readout,
                r.expected,
                f"{r.relative_change:+.1%}",
                "yes" if r.passed else "NO",
                f"{r.section} [{', '.join(map(str, r.refs))}]",
            )
        console = Console(width=200)
        console.print(table)
        for r in report.failures():
            console.print(f"[bold]{r.id}[/bold]: {r.explanation}", markup=True, highlight=False)
    if strict and report.failures():
        raise typer.Exit(code=1)
