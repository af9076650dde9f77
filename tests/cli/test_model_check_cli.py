"""``senotwin model check --json`` prints valid JSON even when checks hold numpy values
(it crashed with "Object of type bool is not JSON serializable" on a numpy bool)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from senotwin.analysis import model_check
from senotwin.cli._common import to_jsonable
from senotwin.cli.app import app


def _report(passed: bool) -> model_check.ModelCheckReport:
    checks = (
        model_check.CheckResult(
            "boundedness",
            np.bool_(True),  # type: ignore[arg-type]
            "all species bounded",
            {"max": np.float64(2.5), "n": np.int64(3), "ok": np.array([True, False])},
        ),
        model_check.CheckResult("steady state", np.bool_(passed), "x", {}),  # type: ignore[arg-type]
    )
    return model_check.ModelCheckReport("sasp_tme", checks)


@pytest.mark.parametrize("passed", [True, False])
def test_model_check_json_with_numpy_values(monkeypatch: pytest.MonkeyPatch, passed: bool) -> None:
    monkeypatch.setattr(model_check, "run_model_check", lambda scenario=None: _report(passed))
    r = CliRunner().invoke(app, ["model", "check", "--json"])
    assert r.exit_code == (0 if passed else 1), r.output
    data = json.loads(r.stdout)
    assert data["passed"] is passed
    assert data["checks"][0]["passed"] is True
    assert data["checks"][0]["details"] == {"max": 2.5, "n": 3, "ok": [True, False]}


def test_model_check_checks_the_model_of_the_scenario(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[object] = []

    def fake(scenario: object = None) -> model_check.ModelCheckReport:
        seen.append(scenario)
        return _report(True)

    monkeypatch.setattr(model_check, "run_model_check", fake)
    runner = CliRunner()
    assert runner.invoke(app, ["model", "check", "--scenario", "default"]).exit_code == 0
    assert runner.invoke(app, ["model", "check"]).exit_code == 0
    assert seen == ["default", None]
    res = runner.invoke(app, ["model", "check", "--scenario", "x", "--model", "y.yaml"])
    assert res.exit_code == 2 and "either --model or --scenario" in res.output


def test_to_jsonable_converts_numpy_scalars_and_arrays() -> None:
    value = {"a": np.bool_(False), "b": [np.float32(0.5)], "c": np.arange(2)}
    assert json.loads(json.dumps(to_jsonable(value))) == {"a": False, "b": [0.5], "c": [0, 1]}
