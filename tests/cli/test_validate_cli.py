"""CLI: senotwin validate (schema v2 cases, JSON with tiers, table, --strict, --null)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from senotwin.cli.app import app

runner = CliRunner()

# one pair of runs, two cases: blocking the SASP lowers tumour IL-6 (consistency tier), so the
# first holds and the second, which claims the opposite, fails
_CASE = """
- id: {id}
  tier: consistency
  claim: blocking the SASP changes tumour IL-6
  source: {{paper: model structure, review_section: '3.1', refs: [4]}}
  perturbed: {{blocks: {{SASP: 1.0}}}}
  readout: IL6_t
  measure: {{stat: at, at: 10}}
  expect: {{kind: direction, direction: {direction}}}
"""
_HOLDS = _CASE.format(id="holds", direction="decrease")
_FAILS = _CASE.format(id="fails", direction="increase")


def _cases(tmp_path, *cases: str) -> str:
    path = tmp_path / "cases.yaml"
    path.write_text("version: 2\ncases:" + "".join(cases))
    return str(path)


def test_validate_json_table_and_strict_exit(tmp_path):
    mixed = _cases(tmp_path, _HOLDS, _FAILS)
    res = runner.invoke(app, ["validate", "--cases", mixed, "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert (data["n_cases"], data["n_passed"]) == (2, 1)
    assert data["tiers"] == {"consistency": {"n": 2, "passed": 1, "pass_rate": 0.5}}
    assert [c["passed"] for c in data["cases"]] == [True, False]
    first = data["cases"][0]
    assert first["observed"]["effect"] < -0.05 and first["unit"] == "pg/mL"
    assert first["direction_only"] is True and data["engine"] == "fast"
    table = runner.invoke(app, ["validate", "--cases", mixed], env={"COLUMNS": "150"})
    assert table.exit_code == 0, table.output
    assert "validation: 1/2 passed (consistency 1/2)" in table.stdout
    flat = " ".join(table.stdout.split())  # the failure paragraph wraps at the terminal width
    assert "- fails (consistency): blocking the SASP changes tumour IL-6." in flat
    assert "expected increase >= 5% (direction only), observed -" in flat
    # sized to the terminal (it was fixed at 220 columns): no line wider than COLUMNS
    narrow = runner.invoke(app, ["validate", "--cases", mixed], env={"COLUMNS": "90"})
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 90
    # below 110 columns a list, not a table folded a few letters wide
    assert "  holds  yes" in narrow.stdout and "  fails  NO" in narrow.stdout
    assert "┃" not in narrow.stdout and "┃" in table.stdout
    strict = runner.invoke(app, ["validate", "--cases", mixed, "--strict"])
    assert strict.exit_code == 1
    holds = _cases(tmp_path, _HOLDS)
    strict = runner.invoke(app, ["validate", "--cases", holds, "--strict", "--engine", "reference"])
    assert strict.exit_code == 0, strict.output


def test_validate_null_reports_the_distribution(tmp_path):
    lit = _HOLDS.replace("tier: consistency", "tier: literature").replace(
        "readout: IL6_t", "readout: Se + Sl + Sd\n  unit: cells"
    )
    lit = lit.replace("source: {paper: model structure,", "source: {paper: Paper P, panel: Fig. 1,")
    res = runner.invoke(
        app, ["validate", "--cases", _cases(tmp_path, lit), "--null", "2", "--seed", "3", "--json"]
    )
    assert res.exit_code == 0, res.output
    null = json.loads(res.stdout)["null"]
    assert null["n_draws"] == 2 and null["seed"] == 3 and len(null["null_pass_rates"]) == 2
    assert 0.0 < null["p_value"] <= 1.0


def test_validate_unknown_engine_names_the_known_ones(tmp_path):
    res = runner.invoke(app, ["validate", "--cases", _cases(tmp_path, _HOLDS), "--engine", "fats"])
    assert res.exit_code == 2
    assert "unknown engine 'fats'" in res.output and "reference" in res.output


def test_validate_bad_cases_file(tmp_path):
    bad = _cases(tmp_path, _HOLDS.replace("readout: IL6_t", "readout: IL7"))
    res = runner.invoke(app, ["validate", "--cases", bad])
    assert res.exit_code == 2
    assert "IL7" in res.output
    old = tmp_path / "old.yaml"
    old.write_text("cases: []\n")
    res = runner.invoke(app, ["validate", "--cases", str(old)])
    assert res.exit_code == 2 and "version" in res.output


def test_a_change_from_zero_prints_no_infinite_effect(tmp_path):
    """Apoptosis is 0 on day 1 without the block and 0.4/day with it: the table printed 'inf'."""
    case = """
- id: from_zero
  tier: consistency
  claim: blocking BCL-2/BCL-xL raises senescent-cell apoptosis
  source: {paper: model structure, review_section: '4.2', refs: [192]}
  system: {species: human, tumour: NSCLC, host_age: aged, inducer: chemo, tissue: lung}
  perturbed: {blocks: {BCL2_FAMILY: 1.0}}
  readout: apoptosis
  measure: {stat: at, at: 1}
  expect: {kind: direction, direction: increase}
"""
    res = runner.invoke(app, ["validate", "--cases", _cases(tmp_path, case)])
    assert res.exit_code == 0, res.output
    text = " ".join(res.stdout.split())
    assert "n/a (control 0 -> 0.4)" in text and "inf" not in text
    assert "validation: 1/1 passed" in text  # the verdict is unchanged
