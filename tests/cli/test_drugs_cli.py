"""``senotwin drugs show``: one drug, its numbers readable (4 significant digits) or exact."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from senotwin.cli import app
from senotwin.therapy.drugs import get_drug

runner = CliRunner()


def _floats(value: object) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for v in value.values() for f in _floats(v)]
    if isinstance(value, list):
        return [f for v in value for f in _floats(v)]
    return []


def test_drugs_show_prints_numbers_to_4_significant_digits_and_json_exact() -> None:
    """fix52 (ux52 item 6): `drugs show tocilizumab` printed 'ec50_mg_per_L:
    0.30000000000000004' and 16-digit half-lives; computed numbers are now shown to 4
    significant digits, and `--json` keeps them exact (as `drugs list --json` does)."""
    exact = get_drug("tocilizumab").to_dict()
    res = runner.invoke(app, ["drugs", "show", "tocilizumab"])
    assert res.exit_code == 0, res.output
    shown = json.loads(res.output)
    assert shown["pd"][0]["ec50_mg_per_L"] == 0.3
    assert shown["pk"]["terminal_half_life_days"] == 20.96
    assert "0.30000000000000004" not in res.output
    assert all(len(f"{abs(f):.15g}".replace(".", "").strip("0")) <= 4 for f in _floats(shown))
    assert shown["mouse_reactivity"]["reactive"] is False  # fix52: the species note's source
    assert shown["dose_ranges"]["human"]["schedule_labels"] == [
        "4 mg/kg to 8 mg/kg iv q28d",
        "162 mg sc q7d",
    ]
    res = runner.invoke(app, ["drugs", "show", "tocilizumab", "--json"])
    assert res.exit_code == 0 and json.loads(res.output) == json.loads(json.dumps(exact))
    assert json.loads(res.output)["pd"][0]["ec50_mg_per_L"] == exact["pd"][0]["ec50_mg_per_L"]
