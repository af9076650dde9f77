"""Root typer application; each command group lives in its own module and is registered here."""

from __future__ import annotations

import typer

from senotwin import __version__
from senotwin.cli import kb as kb_cli
from senotwin.cli import sc as sc_cli
from senotwin.cli.demo import demo

app = typer.Typer(
    name="senotwin",
    help=(
        "senotwin: the SASP-driven aging tumour microenvironment, executable and evidence-linked."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(kb_cli.app, name="kb")
app.command("demo")(demo)
app.add_typer(sc_cli.app, name="sc")
app.command("score")(sc_cli.score)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"senotwin {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """senotwin command line."""


def main() -> None:
    """Console-script entry point."""
    app()
