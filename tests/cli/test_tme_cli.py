"""CLI: scenarios list, validate (JSON, table, --strict; the shipped suite is in analysis)."""

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
    assert {"legacy_default", "legacy_acute_young", "legacy_chronic_aged"} <= names
    for name in ("default", "legacy_default"):  # both start with one chemotherapy course
        row = next(r for r in rows if r["name"] == name)
        assert row["initial"]["stress"] == 1.0


# two cases read from one pair of runs: NF-κB blockade lowers IL-6 at day 30, so the first
# holds and the second (which claims the opposite) fails
_CASE = "{{id: {id}, claim: c, section: '1', refs: [1], readout: IL6, expected: {expected}, "
_CASE += "perturbed: {{blocks: {{NFKB: 0.5}}}}}}"
_HOLDS = _CASE.format(id="holds", expected="decrease")
_FAILS = _CASE.format(id="fails", expected="increase")


def _cases(tmp_path, *cases: str):
    path = tmp_path / "cases.yaml"
    path.write_text("cases:\n" + "".join(f"- {c}\n" for c in cases))
    return str(path)


def test_validate_json_table_and_strict_exit(tmp_path):
    mixed = _cases(tmp_path, _HOLDS, _FAILS)
    res = runner.invoke(app, ["validate", "--cases", mixed, "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert (data["n_cases"], data["n_passed"]) == (2, 1)
    assert [c["passed"] for c in data["cases"]] == [True, False]
    assert data["cases"][0]["observed"]["relative_change"] < -0.05
    table = runner.invoke(app, ["validate", "--cases", mixed])
    assert table.exit_code == 0, table.output
    assert "validation: 1/2 passed" in table.stdout
    assert "fails: expected an increase of at least 5% in IL6" in table.stdout
    strict = runner.invoke(app, ["validate", "--cases", mixed, "--strict"])
    assert strict.exit_code == 1
    holds = _cases(tmp_path, _HOLDS)
    strict = runner.invoke(app, ["validate", "--cases", holds, "--strict", "--engine", "reference"])
    assert strict.exit_code == 0, strict.output


def test_validate_unknown_engine_names_the_known_ones(tmp_path):
    res = runner.invoke(app, ["validate", "--cases", _cases(tmp_path, _HOLDS), "--engine", "fats"])
    assert res.exit_code == 2
    assert "unknown engine 'fats'" in res.output and "reference" in res.output


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
            "legacy_default",
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
