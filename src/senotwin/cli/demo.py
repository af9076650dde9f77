"""``senotwin demo``: write the self-contained HTML report of the review's story."""

from __future__ import annotations

from pathlib import Path

import typer

from senotwin.cli._common import Output, user_errors, writing


def demo(
    out: Path = typer.Option(Path("demo_output"), "--out", help="Directory for report.html."),
) -> None:
    """Run the canonical story on the built-in scenario and write report.html with figures."""
    from senotwin.report.demo import run_demo

    with user_errors(), writing(Output("--out", out, directory=True)):
        result = run_demo(out)
    typer.echo(f"wrote {result.report}")
    for fig in result.figures:
        typer.echo(f"wrote {fig}")
