"""--allow-off-label on simulate: a mouse dose in a human scenario is refused with the range and
its source; allowed, it runs and the provenance says so."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from senotwin.cli import app

MOUSE_DOSE = "navitoclax 50 mg/kg po qd d0-d2"


def test_simulate_refuses_then_records_an_off_label_dose(tmp_path) -> None:
    runner = CliRunner()
    out = tmp_path / "run.csv"
    args = ["simulate", "--scenario", "default", "--days", "5", "--out", str(out)]
    refused = runner.invoke(app, [*args, "--regimen", MOUSE_DOSE])
    assert refused.exit_code != 0
    assert "error:" in refused.output and "10 mg to 440 mg" in refused.output
    assert "--allow-off-label" in refused.output
    assert not out.exists()
    ran = runner.invoke(
        app, [*args, "--regimen", MOUSE_DOSE, "--allow-off-label", "--summary-json"]
    )
    assert ran.exit_code == 0, ran.output
    summary = json.loads(ran.output)
    notes = json.dumps(summary["provenance"])
    assert "off-label (allowed)" in notes and "navitoclax 50 mg/kg" in notes


def test_cohort_run_names_the_arm_of_a_refused_dose(tmp_path) -> None:
    """With several arms the refusal says which one (it named 'regimen item 1' only) and
    nothing is written."""
    out = tmp_path / "cohort"
    res = CliRunner().invoke(
        app,
        [
            "cohort", "run", "--out", str(out), "--n", "2", "--scenario", "aged_lung_untreated",
            "--arm", "ctrl=none", "--arm", "std=doxorubicin 60 mg/m2 iv d0",
            "--arm", "high=doxorubicin 600 mg/m2 iv d0",
        ],
    )  # fmt: skip
    assert res.exit_code == 2, res.output
    assert "error: arm high: regimen item 1 (doxorubicin 600 mg/m2 iv d0)" in res.output
    assert not out.exists()


def test_cohort_run_records_a_per_m2_antibody_dose_in_its_manifest(tmp_path) -> None:
    """An antibody dosed per m2 runs, says its label's units and the conversion on stderr, and
    the manifest's notes keep that line beside the arms' other regimen notes."""
    out = tmp_path / "cohort"
    res = CliRunner().invoke(
        app,
        [
            "cohort", "run", "--out", str(out), "--n", "2", "--days", "21", "--quiet",
            "--arm", "ctrl=none", "--arm", "ici=pembrolizumab 200 mg/m2 iv d0",
        ],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    line = "arm ici: pembrolizumab 200 mg/m2: its labelled or studied doses are in mg/kg or mg"
    assert line in res.output and "1.89 m2 (70 kg, Km 37 kg/m2) to 378.4 mg" in res.output
    notes = json.loads((out / "manifest.json").read_text())["notes"]
    assert [n for n in notes if n.startswith(line)] != []
