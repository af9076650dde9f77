"""trial.replicates: each replicate trial runs every patient with one posterior draw (the
patients the same in all); the summary spans the replicates; the CLI writes and refuses."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from senotwin._errors import ValidationError
from senotwin.cli.app import app
from senotwin.cohort.runner import ensemble_member
from senotwin.trial.library import get_trial
from senotwin.trial.replicates import replicate_configs, summarise, summary_text
from senotwin.trial.run import trial_config


def test_a_replicate_gives_every_patient_the_same_draw() -> None:
    config = trial_config(get_trial("keynote189"), 12, seed=0, immune="posterior")
    configs = replicate_configs(config, 4)
    step = len(config.ensemble) // 4
    assert [draw for draw, _ in configs] == [0, step, 2 * step, 3 * step]
    for draw, one in configs:
        assert one.ensemble == (config.ensemble[draw],)
        assert {ensemble_member(one, i) for i in range(12)} == {0}  # everyone: that member
        assert one.population == config.population and one.seed == config.seed
    with pytest.raises(
        ValidationError, match=r"replicates \(--replicates\) = 0: allowed a whole number 1-"
    ):
        replicate_configs(config, 0)
    with pytest.raises(ValidationError, match="took no posterior members"):
        replicate_configs(trial_config(get_trial("keynote189"), 12, immune="fit"), 2)


def test_summary_spans_the_replicates() -> None:
    rows = [
        {
            "population": "ITT",
            "arm": "b",
            "endpoint": ep,
            "simulated": v,
            "published": pub,
            "published_in_sim_ci": inside,
            "replicate": r,
            "unit": unit,
        }
        for r, (hr, med, inside) in enumerate(
            [(0.5, 6.0, True), (0.7, 8.0, False), (0.6, math.inf, True)]
        )
        for ep, v, pub, unit in (
            ("HR PFS", hr, 0.52, "against the control arm"),
            ("median OS", med, None, "months"),
            ("DCR", 80.0, None, "%"),
        )
    ]
    s = summarise(pd.DataFrame(rows)).set_index("endpoint")
    assert "DCR" not in s.index  # not an endpoint the summary spans
    assert s.loc["HR PFS", "median"] == pytest.approx(0.6)
    assert s.loc["HR PFS", "q05"] == pytest.approx(0.51) and s.loc["HR PFS", "q95"] == 0.69
    assert s.loc["HR PFS", "ci_holds_published"] == pytest.approx(2 / 3)
    assert s.loc["median OS", "not_reached"] == 1 and s.loc["median OS", "median"] == 7.0
    assert s.loc["median OS", "unit"] == "months"  # the rows say it (audit s42 M4)
    text = "\n".join(summary_text(s.reset_index()))
    assert "0.60 (0.51-0.69) vs 0.52 against the control arm; 67%" in text
    assert "not reached in 1" in text
    # each line says its unit, as trial run's do (the text had none: % or months?)
    assert " vs - months; " in text, text


@pytest.mark.usefixtures("in_process_workers")  # tests/conftest.py: why, and what still runs
def test_cli_runs_replicates_and_refuses_bad_counts(tmp_path: Path) -> None:
    out = tmp_path / "rep"
    args = ["trial", "replicates", "impower133", "--n", "8", "--out", str(out)]
    res = CliRunner().invoke(app, [*args, "--replicates", "2", "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output[res.output.index("{") :])
    assert payload["replicates"] == 2 and {r["endpoint"] for r in payload["rows"]} >= {"HR PFS"}
    table = pd.read_csv(out / "replicates.csv")
    assert sorted(table["replicate"].unique()) == [0, 1]
    assert (out / "r00").is_dir() and (out / "summary.csv").is_file()
    # run again into the same folder: refused with a pointer to --resume, which the command now
    # has (it pointed to an option it did not take; ux53): the finished replicates are re-read
    again = CliRunner().invoke(app, [*args, "--replicates", "2"])
    assert again.exit_code == 2 and "--resume" in again.output
    again = CliRunner().invoke(app, [*args, "--replicates", "2", "--resume", "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.output[again.output.index("{") :]) == payload
    pd.testing.assert_frame_equal(pd.read_csv(out / "replicates.csv"), table)
    fresh = CliRunner().invoke(
        app, [*args[:-1], str(tmp_path / "new"), "--replicates", "2", "--resume"]
    )
    assert fresh.exit_code == 2 and "holds no replicate of an earlier run" in fresh.output
    # the refusal names the flag, the value and the range (it named the argument only)
    for bad in ("0", "-2", "100000"):
        res = CliRunner().invoke(app, [*args[:-1], str(tmp_path / "bad"), "--replicates", bad])
        assert res.exit_code == 2
        assert f"replicates (--replicates) = {bad}: allowed a whole number 1-" in res.output
        assert not (tmp_path / "bad").exists()


def test_a_folder_of_other_files_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    """Each replicate's cohort refuses only its own r00, r01, ... folder, so a run into a folder
    of a user's files mixed its folders and tables in (ux53): refused before anything is
    written, as `trial run` and `cohort run` refuse such a folder."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    (mine / "summary.csv").write_text("mine")
    args = ["trial", "replicates", "impower133", "--n", "8", "--replicates", "2"]
    res = CliRunner().invoke(app, [*args, "--out", str(mine)])
    assert res.exit_code == 2, res.output
    assert (
        f"output folder (--out) {mine} already holds other files (notes.txt, summary.csv) and "
        "no replicate run (r00/manifest.json, ...): name a new or empty folder" in res.output
    )
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt", "summary.csv"]
    assert (mine / "summary.csv").read_text() == "mine"


def test_summary_columns_line_up_whatever_the_endpoint_names() -> None:
    """A long endpoint name ('ORR at 10.5 months of follow-up') pushed its line's values out of
    the column (audit, session 42)."""
    summary = pd.DataFrame(
        [
            {
                "population": "ITT",
                "arm": "chemo",
                "endpoint": name,
                "median": 30.0,
                "q05": 25.0,
                "q95": 35.0,
                "published": 18.9,
                "ci_holds_published": 1.0,
                "not_reached": 0,
            }
            for name in ("ORR", "ORR at 10.5 months of follow-up")
        ]
    )
    lines = summary_text(summary)
    starts = {line.index("30.0") for line in lines[1:]}
    assert len(starts) == 1 and lines[0].index("median") == starts.pop()
