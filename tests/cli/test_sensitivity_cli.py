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


def test_a_constant_metric_has_no_index_and_the_table_shows_p() -> None:
    """sasp_net_effect is 0 in every sample of a scenario without senescence; float noise was
    printed as PRCCs (-0.063, -0.048), and no p value reached the text (audit, session 41)."""
    args = ["sensitivity", "--scenario", "aged_lung_no_senescence", "--n", "20", "--days", "60"]
    r = CliRunner().invoke(app, [*args, "--param", "k_grow", "--param", "k_kill"])
    assert r.exit_code == 0, r.output
    text = r.stdout.split("sasp_net_effect (PRCC")[1]
    assert "the metric does not vary across the samples: no index" in text
    assert "(p " in r.stdout.split("sasp_net_effect (PRCC")[0]
