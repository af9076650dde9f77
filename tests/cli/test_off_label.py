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
