"""CLI: scenarios list, validate (JSON)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from senotwin.cli.app import app

runner = CliRunner()


def test_scenarios_list_json():
    res = runner.invoke(app, ["scenarios", "list", "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    names = {r["name"] for r in rows}
    assert {"default", "acute_young", "chronic_aged", "aged_pancreas_chemo"} <= names
    default = next(r for r in rows if r["name"] == "default")
    assert default["initial"]["stress"] == 1.0


def test_validate_json_and_strict_exit():
    res = runner.invoke(app, ["validate", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["n_cases"] >= 30 and data["pass_rate"] >= 0.9
    strict = runner.invoke(app, ["validate", "--strict"])
    failed = data["n_cases"] - data["n_passed"]
    assert strict.exit_code == (1 if failed else 0)


def test_validate_bad_cases_file(tmp_path):
    bad = tmp_path / "cases.yaml"
    bad.write_text(
        "cases:\n- {id: x, claim: c, section: '1', refs: [1], readout: IL7, expected: decrease}\n"
    )
    res = runner.invoke(app, ["validate", "--cases", str(bad)])
    assert res.exit_code == 2
    assert "IL7" in res.output


def test_simulate_plot_writes_figure(tmp_path):
    out, fig = tmp_path / "run.csv", tmp_path / "run.png"
    res = runner.invoke(
        app,
        [
            "simulate",
            "--scenario",
            "default",
            "--days",
            "30",
            "--out",
            str(out),
            "--plot",
            str(fig),
            "--block",
            "NFKB=0.8",
        ],
    )
    assert res.exit_code == 0, res.output
    assert fig.read_bytes()[:4] == b"\x89PNG"


def test_model_check_is_registered():
    res = runner.invoke(app, ["model", "check", "--help"])
    assert res.exit_code == 0 and "--json" in res.output
