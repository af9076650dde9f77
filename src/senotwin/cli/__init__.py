"""The ``senotwin`` command line: thin typer commands that parse, call the API, write files."""

from __future__ import annotations

from senotwin.cli.app import app, main

__all__ = ["app", "main"]
