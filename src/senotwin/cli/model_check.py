"""``senotwin model check``: built-in sanity checks of a model (units included)."""

from __future__ import annotations

from pathlib import Path

import typer

from senotwin.cli._common import MODEL, SCENARIO, model_or_scenario, print_json, user_errors


def check(
    model: Path | None = MODEL,
    scenario: str | None = SCENARIO,
    json_out: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Duplicates, reachability, units, non-negativity, block dose-response, model claims.

    Checks the model of --scenario (or the --model file; default: the default scenario)."""
    from senotwin.analysis.model_check import run_model_check

    with user_errors():
        report = run_model_check(model_or_scenario(model, scenario))
    if json_out:
        print_json(report.to_dict())
    else:
        for c in report.checks:
            typer.echo(f"{'ok  ' if c.passed else 'FAIL'} {c.name}: {c.summary}")
    if not report.passed:
        raise typer.Exit(code=1)
