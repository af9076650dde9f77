"""README against the product: the "Command line" block lists every command, and only options
the commands take; the "Figures" list names every figure the demo report writes."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import typer

from senotwin.cli.app import app

README = Path(__file__).resolve().parents[2] / "README.md"


def _leaves(command: Any, ctx: Any, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Every runnable command under ``command`` by its path of names (groups walked)."""
    if not hasattr(command, "list_commands"):
        return {path: command}
    found: dict[tuple[str, ...], Any] = {}
    for name in command.list_commands(ctx):
        sub = command.get_command(ctx, name)
        found.update(_leaves(sub, type(ctx)(sub, parent=ctx), (*path, name)))
    return found


def _block_lines() -> list[str]:
    """The ``$ senotwin ...`` lines of the README's Command line block, continuations joined
    and trailing comments dropped."""
    section = README.read_text(encoding="utf-8").split("## Command line", 1)[1]
    block = section.split("```console", 1)[1].split("```", 1)[0]
    lines = block.replace("\\\n", " ").splitlines()
    out = []
    for line in lines:
        line = line.strip()
        if line.startswith("$ ") and " senotwin" in f" {line}":
            out.append(line[2:].split(" # ", 1)[0].strip())
    return out


def _resolve(tokens: list[str], leaves: dict[tuple[str, ...], Any]) -> tuple[str, ...]:
    """The command path a README line runs: the longest listed path its leading words name;
    ``stratify INPUT`` runs ``stratify predict`` (the group's default)."""
    for size in (2, 1):
        if tuple(tokens[:size]) in leaves:
            return tuple(tokens[:size])
    if tokens[:1] == ["stratify"]:
        return ("stratify", "predict")
    raise AssertionError(f"README line names no command: senotwin {' '.join(tokens)}")


def test_the_readme_command_block_lists_every_command_and_real_options() -> None:
    """The block left out `demo`, `app`, `model units`, `trial show`, `trial heldback` and
    `drugs show`, which `senotwin --help` lists; each listed option must be one the command
    takes."""
    root = typer.main.get_command(app)
    leaves = _leaves(root, root.context_class(root))
    listed: set[tuple[str, ...]] = set()
    unknown = []
    for line in _block_lines():
        tokens = shlex.split(line)
        tokens = tokens[tokens.index(next(t for t in tokens if t.endswith("senotwin"))) + 1 :]
        if tokens == ["--help"]:
            continue
        path = _resolve(tokens, leaves)
        listed.add(path)
        options = {o for p in leaves[path].params for o in (*p.opts, *p.secondary_opts)}
        unknown += [
            f"{' '.join(path)} {t}"
            for t in tokens
            if t.startswith("--") and t.split("=", 1)[0] not in options
        ]
    assert sorted(set(leaves) - listed) == []
    assert unknown == []


def test_the_readme_figure_list_names_every_demo_figure() -> None:
    """The list said "the stratification figures" for the one `stratify_sasp_axes.png`; every
    figure file a report section names (the calibration ones by their ``calibration_*``
    pattern) must be in it."""
    figures = README.read_text(encoding="utf-8").split("## Figures", 1)[1].split("\n## ", 1)[0]
    report = README.parent / "src" / "senotwin" / "report"
    names = {
        name
        for path in report.glob("*_sections.py")
        for name in re.findall(r'"([a-z0-9_]+\.png)"', path.read_text(encoding="utf-8"))
    }
    assert {"therapy_arms.png", "stratify_sasp_axes.png"} <= names  # the pattern reads them
    assert sorted(n for n in names if f"`{n}`" not in figures) == []
