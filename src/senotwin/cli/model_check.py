"""``senotwin model check``: built-in sanity checks of the TME model."""

from __future__ import annotations

import typer

from senotwin.cli._common import print_json


def check(
    json_out: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Boundedness, duplicates, reachability, block dose-response, non-negativity, steady state."""
    from senotwin.analysis.model_check import run_model_check

    report = run_model_check()
    if json_out:
        print_json(report.to_dict())
    else:
        for c in report.checks:
            typer.echo(f"{'ok  ' if c.passed else 'FAIL'} {c.name}: {c.summary}")
    if not report.passed:
        raise typer.Exit(code=1)
