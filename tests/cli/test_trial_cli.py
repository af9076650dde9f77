"""``senotwin trial list|show``: the library on the command line; unknown trials fail cleanly."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from senotwin.cli import app

runner = CliRunner()


def test_trial_list_and_show() -> None:
    res = runner.invoke(app, ["trial", "list"])
    assert res.exit_code == 0 and "keynote189" in res.output and "impower133" in res.output
    res = runner.invoke(app, ["trial", "list", "--json"])
    assert {t["id"] for t in json.loads(res.output)} == {"keynote189", "impassion130", "impower133"}
    res = runner.invoke(app, ["trial", "show", "impassion130"])
    assert res.exit_code == 0
    assert "anti-pd-l1 840 mg iv q14d" in res.output and "stand-in" in res.output
    res = runner.invoke(app, ["trial", "show", "keynote189", "--json"])
    assert json.loads(res.output)["arms"][1]["published"]["orr"] == 47.6


def test_unknown_trial_is_a_clear_error() -> None:
    res = runner.invoke(app, ["trial", "show", "keynote-198"])
    assert res.exit_code != 0 and "error:" in res.output and "keynote189" in res.output
