"""``senotwin sensitivity`` states the horizon and design it ranked at, and why rankings at
another horizon (the report's 150 days) can differ; it runs on the physical-units model by
default."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from senotwin.analysis.sensitivity import HORIZON_NOTE
from senotwin.cli.app import app

ARGS = ["sensitivity", "--param", "k_grow", "--param", "k_ld", "--param", "k_rem"]
ARGS += ["--n", "8", "--days", "20", "--metric", "final_burden", "--seed", "3"]


def test_text_and_json_state_horizon_and_note() -> None:
    runner = CliRunner()
    r = runner.invoke(app, ARGS)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == (
        "scenario default, horizon 20 days, 8 Latin-hypercube samples (seed 3), "
        "each parameter ×/÷ 2 around its scenario value"
    )
    assert lines[-1] == f"note: {HORIZON_NOTE}"
    r = runner.invoke(app, [*ARGS, "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert (data["days"], data["samples"], data["seed"]) == (20.0, 8, 3)
    assert data["note"] == HORIZON_NOTE
