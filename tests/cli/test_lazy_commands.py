"""The root command imports a command's module only when that command runs or is listed."""

from __future__ import annotations

import subprocess
import sys

import click
import typer

from senotwin.cli.app import COMMANDS, app


def _modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print('\\n'.join(sys.modules))"],
        check=True,
        capture_output=True,
        text=True,
    )
    return set(out.stdout.split())


def test_the_root_imports_no_command_module() -> None:
    held = _modules_after("from senotwin.cli import main")
    assert not {m for m in held if m.startswith("senotwin.cli.")} - {"senotwin.cli.app"}
    assert "pandas" not in held  # what every command module used to bring at start


def test_a_command_imports_its_own_module_only() -> None:
    held = _modules_after(
        "import click, typer\n"
        "from senotwin.cli.app import app\n"
        "root = typer.main.get_command(app)\n"
        "root.get_command(click.Context(root), 'kb')"
    )
    assert "senotwin.cli.kb" in held
    assert not {"senotwin.cli.sc", "senotwin.cli.stratify", "senotwin.cli.trial"} & held


def test_every_listed_command_loads_under_its_name() -> None:
    root = typer.main.get_command(app)
    ctx = click.Context(root)
    assert root.list_commands(ctx) == list(COMMANDS)  # type: ignore[attr-defined]
    for name in COMMANDS:
        command = root.get_command(ctx, name)  # type: ignore[attr-defined]
        assert command is not None and command.name == name
    assert root.get_command(ctx, "no-such-command") is None  # type: ignore[attr-defined]


def test_an_unknown_command_gets_the_closest_names() -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["trail"])
    assert result.exit_code == 2
    assert "No such command 'trail'. Did you mean 'trial'" in " ".join(result.output.split())
