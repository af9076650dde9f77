"""Root typer application: each command lives in its own module, imported when it runs."""

from __future__ import annotations

import importlib
import inspect
import os
import signal
import sys
import warnings
from difflib import get_close_matches
from typing import Any

import click
import typer
from typer.core import TyperGroup

from senotwin import __version__
from senotwin._errors import SenotwinError, SenotwinWarning

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


#: every command of the root, in the order ``senotwin --help`` lists them: name -> (module,
#: attribute; a Typer attribute is a command group). A module is imported only when its command
#: runs or is listed, so a command pays for its own imports alone (importing every command's
#: libraries took seconds before any command started).
COMMANDS: dict[str, tuple[str, str]] = {
    "simulate": ("senotwin.cli.simulate", "simulate"),
    "demo": ("senotwin.cli.demo", "demo"),
    "score": ("senotwin.cli.sc", "score"),
    "sensitivity": ("senotwin.cli.sensitivity", "sensitivity"),
    "optimize": ("senotwin.cli.optimize", "optimize"),
    "validate": ("senotwin.cli.validate", "validate"),
    "app": ("senotwin.cli.app_cmd", "app_command"),
    "calibrate": ("senotwin.cli.calibrate", "calibrate"),
    "profile": ("senotwin.cli.calibrate", "profile"),
    "kb": ("senotwin.cli.kb", "app"),
    "model": ("senotwin.cli.model", "app"),
    "sc": ("senotwin.cli.sc", "app"),
    "twin": ("senotwin.cli.twin", "app"),
    "stratify": ("senotwin.cli.stratify", "app"),
    "scenarios": ("senotwin.cli.scenarios", "app"),
    "cohort": ("senotwin.cli.cohort", "app"),
    "trial": ("senotwin.cli.trial", "app"),
    "drugs": ("senotwin.cli.drugs", "app"),
    "treat": ("senotwin.cli.treat", "app"),
    "petab": ("senotwin.cli.calibrate", "petab_app"),
}


def _load(name: str) -> Any:
    """The click command of :data:`COMMANDS` entry ``name``: a Typer as its group, a function as
    a command of that name."""
    module, attribute = COMMANDS[name]
    target = getattr(importlib.import_module(module), attribute)
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)
        command.name = name
        return command
    single = typer.Typer(add_completion=False)
    single.command(name)(target)
    return typer.main.get_command(single)


class _ReportingGroup(TyperGroup):
    """Root command group: expected failures become one ``error: ...`` line and exit code 2.

    Set ``SENOTWIN_DEBUG=1`` to see the full traceback instead.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _tidy_tree(self)

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """An unknown command is refused with the closest names of :data:`COMMANDS` (typer's own
        hint reads only the commands loaded so far, none)."""
        if args and args[0] not in COMMANDS and not args[0].startswith("-"):
            close = get_close_matches(args[0], list(COMMANDS))
            hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            ctx.fail(f"No such command {args[0]!r}.{hint}")
        return super().resolve_command(ctx, args)

    def get_command(self, ctx: Any, name: str) -> Any:
        """The command ``name``, its module imported on first use (:data:`COMMANDS`)."""
        if name not in self.commands and name in COMMANDS:
            command = _load(name)
            _tidy_tree(command)
            self.commands[name] = command
        return self.commands.get(name)

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
