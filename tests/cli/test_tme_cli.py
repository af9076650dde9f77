"""CLI: scenarios list, simulate plots, model check (validate: tests/cli/test_validate_cli.py)."""

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
            "NFKB=0.8",  # the default model's IKK-dependent NF-kB phase
        ],
    )
    assert res.exit_code == 0, res.output
    assert fig.read_bytes()[:4] == b"\x89PNG"


def test_simulate_plot_title_names_the_changes(tmp_path, monkeypatch):
    """The figure of a blocked run was titled with the scenario alone (audit, session 40)."""
    import senotwin.report.timecourses as tc

    titles: list[str] = []
    monkeypatch.setattr(tc, "plot_timecourses", lambda table, out, title="": titles.append(title))
    args = ["simulate", "--scenario", "default", "--days", "5", "--out", str(tmp_path / "r.csv")]
    res = runner.invoke(app, [*args, "--plot", str(tmp_path / "r.png"), "--block", "NFKB=0.8"])
    assert res.exit_code == 0, res.output
    assert titles == ["default: aged host, lung tumour, one chemotherapy course (block NFKB=0.8)"]


def test_simulate_plot_title_names_the_default_scenario_it_ran(tmp_path, monkeypatch):
    """Without --scenario the run is the default scenario (stress starts at 1), but the figure
    was titled 'sasp_qsp', the model, whose own values start it at 0 (audit, session 50)."""
    import senotwin.report.timecourses as tc

    titles: list[str] = []
    monkeypatch.setattr(tc, "plot_timecourses", lambda table, out, title="": titles.append(title))
    args = ["simulate", "--days", "5", "--out", str(tmp_path / "r.csv")]
    res = runner.invoke(app, [*args, "--plot", str(tmp_path / "r.png")])
    assert res.exit_code == 0, res.output
    assert titles == ["default: aged host, lung tumour, one chemotherapy course"]


def test_run_figure_titles_say_the_scenario_in_plain_words(tmp_path, monkeypatch):
    """simulate and twin titled their figures with the scenario's code alone ('default'), not
    what it is: host, tumour and inducer (audit, session 51)."""
    import pandas as pd

    import senotwin.report.timecourses as tc

    titles: list[str] = []
    monkeypatch.setattr(tc, "plot_timecourses", lambda table, out, title="": titles.append(title))
    args = ["simulate", "--scenario", "aged_breast_chemo", "--days", "5"]
    res = runner.invoke(
        app, [*args, "--out", str(tmp_path / "r.csv"), "--plot", str(tmp_path / "r.png")]
    )
    assert res.exit_code == 0, res.output
    scores = tmp_path / "scores.csv"
    pd.DataFrame(
        {"senescence": [0.0, 1.0, 2.0], "sasp": [1.0, 0.0, 2.0]}, index=["a", "b", "c"]
    ).to_csv(scores)
    args = ["twin", "from-sample", str(scores), "--scores", "--sample", "a", "--days", "5"]
    res = runner.invoke(
        app, [*args, "--out", str(tmp_path / "t.csv"), "--plot", str(tmp_path / "t.png")]
    )
    assert res.exit_code == 0, res.output
    assert titles == [
        "aged_breast_chemo: aged host, breast tumour, one DNA-damaging chemotherapy course",
        "twin of a on default: aged host, lung tumour, one chemotherapy course",
    ]


def test_model_check_is_registered():
    res = runner.invoke(app, ["model", "check", "--help"])
    assert res.exit_code == 0 and "--json" in res.output


def test_scenarios_list_names_each_scenarios_model_and_override_count():
    """The help promised the model and overrides; the table showed name, days, description."""
    res = runner.invoke(app, ["scenarios", "list"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "model" in res.stdout and "overrides" in res.stdout
    line = next(ln for ln in res.stdout.splitlines() if ln.startswith("legacy_default "))
    assert "(sasp_tme, 365 days, " in line
    # an 80-column terminal folded the names of a table mid-word (ux53): each name is whole,
    # at the start of its own line, whatever the width
    narrow = runner.invoke(app, ["scenarios", "list"], env={"COLUMNS": "80"}).stdout
    names = [
        r["name"] for r in json.loads(runner.invoke(app, ["scenarios", "list", "--json"]).stdout)
    ]
    starts = {ln.split(" (", 1)[0] for ln in narrow.splitlines() if not ln.startswith(" ")}
    assert set(names) <= starts
    rows = json.loads(runner.invoke(app, ["scenarios", "list", "--json"]).stdout)
    assert {r["model"] for r in rows if r["name"].startswith("legacy_")} != {
        r["model"] for r in rows if r["name"] == "default"
    }
