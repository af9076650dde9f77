"""``senotwin app``: serve the local web app (127.0.0.1 unless --host says otherwise)."""

from __future__ import annotations

import signal

import typer

from senotwin.cli._common import user_errors


def _terminate(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def app_command(
    port: int = typer.Option(8050, "--port", min=1, max=65535, help="TCP port to listen on."),
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Interface to bind (anything but 127.0.0.1 warns)."
    ),
) -> None:
    """Start the local web app (Model, Therapy, Trial, ... pages); Ctrl-C stops it."""
    from senotwin.app import serve

    # started from a background job, the process inherits SIGINT ignored; Ctrl-C must still stop it
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # SIGTERM too ends the server through its cleanup (background cohorts and their workers)
    signal.signal(signal.SIGTERM, _terminate)
    with user_errors():
        typer.echo(f"senotwin app: compiling the model, then serving http://{host}:{port}/")
        serve(host=host, port=port)
