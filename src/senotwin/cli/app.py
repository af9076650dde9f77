"""Root typer application; each command group lives in its own module and is registered here."""

from __future__ import annotations

import inspect
import os
import signal
import sys
import warnings
from typing import Any

import click
import typer
from typer.core import TyperGroup

from senotwin import __version__
from senotwin._errors import SenotwinError, SenotwinWarning
from senotwin.cli import calibrate as calibrate_cli
from senotwin.cli import cohort as cohort_cli
from senotwin.cli import drugs as drugs_cli
from senotwin.cli import kb as kb_cli
from senotwin.cli import model as model_cli
from senotwin.cli import sc as sc_cli
from senotwin.cli import scenarios as scenarios_cli
from senotwin.cli import stratify as stratify_cli
from senotwin.cli import treat as treat_cli
from senotwin.cli import trial as trial_cli
from senotwin.cli import twin as twin_cli
from senotwin.cli.app_cmd import app_command
from senotwin.cli.demo import demo
from senotwin.cli.model_check import check as model_check
from senotwin.cli.optimize import optimize
from senotwin.cli.sensitivity import sensitivity
from senotwin.cli.simulate import simulate
from senotwin.cli.validate import validate

#: a paragraph with a line starting so is laid out by hand (a list, a table, an example)
_LAID_OUT = ("- ", "* ", "|", "$ ", " ", "senotwin ", "python ")


def reflow_help(text: str | None) -> str | None:
    """A command's help with each prose paragraph on one line, so the terminal wraps it (typer's
    rich help keeps a docstring's hard line breaks inside a paragraph); a paragraph laid out by
    hand (:data:`_LAID_OUT`) and anything after ``\\f`` stay as written."""
    if not text:
        return text
    body, mark, rest = inspect.cleandoc(text).partition("\f")
    paragraphs = []
    for para in body.split("\n\n"):
        lines = para.split("\n")
        if para.startswith("\b") or any(ln.startswith(_LAID_OUT) for ln in lines[1:]):
            paragraphs.append(para)
        else:
            paragraphs.append(" ".join(ln.strip() for ln in lines))
    return "\n\n".join(paragraphs) + mark + rest


def _tidy_tree(command: Any) -> None:
    """:func:`reflow_help` on a command and every command under it, and no value placeholder
    beside a flag (typer's rich help shows ``<bool>`` as if ``--json`` took a value)."""
    command.help = reflow_help(command.help)
    help_option = command.get_help_option(click.Context(command))  # cached by the command
    for param in [*command.params, *([help_option] if help_option else [])]:
        if getattr(param, "is_flag", False):
            param.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        _tidy_tree(sub)


class _ReportingGroup(TyperGroup):
    """Root command group: expected failures become one ``error: ...`` line and exit code 2.

    Set ``SENOTWIN_DEBUG=1`` to see the full traceback instead.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _tidy_tree(self)  # typer has built the whole command tree by now

    def invoke(self, ctx: Any) -> Any:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always", SenotwinWarning)
                warnings.showwarning = _one_line_warnings(warnings.showwarning)
                return super().invoke(ctx)
        except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
            _quiet_stdout()
            raise typer.Exit(code=1) from None
        except (SenotwinError, ValueError, TypeError, OSError, KeyError) as exc:
            if os.environ.get("SENOTWIN_DEBUG"):
                raise
            message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
            typer.echo(f"error: {message}", err=True)
            raise typer.Exit(code=2) from None


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _one_line_warnings(original: Any) -> Any:
    """``showwarning`` printing a SenotwinWarning as one ``warning: ...`` line on stderr."""

    def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if issubclass(category, SenotwinWarning):
            typer.echo(f"warning: {message}", err=True)
        else:
            original(message, category, *args, **kwargs)

    return show


app = typer.Typer(
    cls=_ReportingGroup,
    name="senotwin",
    help=(
        "senotwin: the SASP-driven aging tumour microenvironment, executable and evidence-linked."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(kb_cli.app, name="kb")
app.add_typer(model_cli.app, name="model")
model_cli.app.command("check")(model_check)
app.command("simulate")(simulate)
app.command("demo")(demo)
app.add_typer(sc_cli.app, name="sc")
app.command("score")(sc_cli.score)
app.add_typer(twin_cli.app, name="twin")
app.add_typer(stratify_cli.app, name="stratify")
app.add_typer(scenarios_cli.app, name="scenarios")
app.add_typer(cohort_cli.app, name="cohort")
app.add_typer(trial_cli.app, name="trial")
app.command("sensitivity")(sensitivity)
app.command("optimize")(optimize)
app.command("validate")(validate)
app.add_typer(drugs_cli.app, name="drugs")
app.add_typer(treat_cli.app, name="treat")
app.command("app")(app_command)
app.add_typer(calibrate_cli.petab_app, name="petab")
app.command("calibrate")(calibrate_cli.calibrate)
app.command("profile")(calibrate_cli.profile)


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


def _on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM (``kill``) unwinds like Ctrl-C, so a command's temporary files are removed."""
    raise SystemExit(128 + signum)


def main() -> None:
    """Console-script entry point (figures are files: the non-interactive backend by default)."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    signal.signal(signal.SIGTERM, _on_sigterm)
    app()
