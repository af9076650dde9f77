"""Every ``--engine`` option's help lists the registered engines (it said "reference or fast"
while roadrunner existed)."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from senotwin.cli.app import app
from senotwin.sim.engines import engine_names

COMMANDS = ["simulate", "sensitivity", "optimize", "validate", "treat compare", "cohort run"]


@pytest.mark.parametrize("command", COMMANDS)
def test_engine_help_lists_every_engine(command: str) -> None:
    r = CliRunner().invoke(app, [*command.split(), "--help"], terminal_width=200)
    assert r.exit_code == 0, r.output
    text = " ".join(re.sub("[│─╭╮╰╯]", " ", r.output).split())  # rich draws boxes
    assert {"reference", "fast", "roadrunner"} <= set(engine_names())
    assert "Simulation engine: fast, reference or roadrunner." in text
    assert "reference or fast." not in text
