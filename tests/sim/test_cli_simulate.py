"""`senotwin simulate` and `senotwin model ...` through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from senotwin.cli.app import app
from senotwin.model import load_fixture, save_spec

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.output


def test_simulate_scenario_to_csv_and_parquet(tmp_path: Path) -> None:
    out = tmp_path / "run.csv"
    code, text = _run(
        "simulate",
        "--scenario",
        "kuznetsov1994",
        "--days",
        "30",
        "--set",
        "a=0.2",
        "--block",
        "effector_killing=0.5",
        "--out",
        str(out),
    )
    assert code == 0, text
    table = pd.read_csv(out)
    assert list(table.columns) == ["time", "E", "T", "effector_to_tumour", "T_floor"]
    assert table["time"].iloc[-1] == 30.0
    pq = tmp_path / "run.parquet"
    code, text = _run(
        "simulate",
        "--scenario",
        "karin2019",
        "--days",
        "50",
        "--engine",
        "fast",
        "--out",
        str(pq),
        "--summary-json",
    )
    assert code == 0, text
    summary = json.loads(text)
    assert summary["status"] == "success" and summary["provenance"]["engine"] == "fast"
    assert pd.read_parquet(pq)["X"].iloc[-1] == pytest.approx(summary["final"]["X"])
    # every final value with its unit (IL6_t 427 read with no unit; ux53)
    assert set(summary["units"]) == set(summary["final"]) and summary["units"]["time"] == "day"
    code, text = _run("simulate", "--days", "2", "--out", str(tmp_path / "d.csv"), "--summary-json")
    units = json.loads(text)["units"]
    assert (units["V_T"], units["IL6_t"], units["C"]) == ("mL", "pg/mL", "cells")


def test_simulate_block_knockout_changes_outcome(tmp_path: Path) -> None:
    base, ko = tmp_path / "base.csv", tmp_path / "ko.csv"
    assert (
        _run("simulate", "--scenario", "kuznetsov1994", "--days", "200", "--out", str(base))[0] == 0
    )
    assert (
        _run(
            "simulate",
            "--scenario",
            "kuznetsov1994",
            "--days",
            "200",
            "--block",
            "effector_killing",
            "--out",
            str(ko),
        )[0]
        == 0
    )
    assert pd.read_csv(ko)["T"].iloc[-1] > 10 * pd.read_csv(base)["T"].iloc[-1]


def test_simulate_model_file_and_initial_override(tmp_path: Path) -> None:
    path = save_spec(load_fixture("kuznetsov1994"), tmp_path / "k.yaml")
    out = tmp_path / "k.csv"
    code, text = _run(
        "simulate", "--model", str(path), "--days", "10", "--set", "T=2e6", "--out", str(out)
    )
    assert code == 0, text
    assert pd.read_csv(out)["T"].iloc[0] == 2e6


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--set", "aa=0.2"], "did you mean 'a'"),
        (["--set", "a=5"], "outside its plausible range"),
        (["--set", "a=fast"], "(a number), found 'fast'"),
        (["--set", "a=nan"], "(a number), found 'nan'"),
        (["--block", "effector=0.5@3"], "unexpected '@3'"),
        (["--block", "efector=0.5"], "did you mean 'effector'"),
        (["--block", "effector=2"], "fraction in [0, 1]"),
        (["--scenario", "kuznetsov"], "unknown scenario"),
        (["--engine", "turbo"], "unknown engine"),
    ],
)
def test_simulate_bad_input_gives_clear_error_and_no_file(
    tmp_path: Path, args: list[str], fragment: str
) -> None:
    out = tmp_path / "x.csv"
    base = ["simulate", "--days", "5", "--out", str(out)]
    if "--scenario" not in args:
        base += ["--scenario", "kuznetsov1994"]
    code, text = _run(*base, *args)
    assert code != 0
    assert fragment in text
    assert not out.exists()


def test_simulate_malformed_model_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\nspecies:\n  - {id: X, unit: cells, initial: -1}\n")
    out = tmp_path / "x.csv"
    code, text = _run("simulate", "--model", str(bad), "--out", str(out))
    assert code != 0 and "species[0] (id 'X').initial" in text
    assert not out.exists()


def test_simulate_solver_failure_writes_nothing(tmp_path: Path) -> None:
    spec = {
        "id": "blowup",
        "species": [{"id": "X", "unit": "1", "initial": 1.0}],
        "parameters": [
            {
                "id": "one",
                "value": 1.0,
                "unit": "1/day",
                "provenance": {"kind": "assumed", "rationale": "test"},
            }
        ],
        "processes": [{"id": "grow", "expression": "one * X ** 2", "stoichiometry": {"X": 1}}],
    }
    path = tmp_path / "blowup.yaml"
    path.write_text(json.dumps(spec))
    out = tmp_path / "x.parquet"
    code, text = _run("simulate", "--model", str(path), "--days", "2", "--out", str(out))
    assert code == 1 and "simulation failed" in text
    assert not out.exists()


def test_model_stats_explain_export(tmp_path: Path) -> None:
    code, text = _run("model", "stats", "--scenario", "depillis2005", "--json")
    assert code == 0, text
    st = json.loads(text)
    assert st["species"] == 3 and st["processes"] == 11
    assert sum(st["parameter_provenance"].values()) == st["parameters"]
    # the text: lists and counts written out, no Python repr, no 16-digit shares (ux53)
    code, text = _run("model", "stats")
    assert code == 0, text
    assert not any(c in text for c in "{}[]'") and "0.2777" not in text
    assert "blockable_entities: BCL2_FAMILY, CCL2," in text
    assert "calibration: 10 calibrated, 6 practically identifiable\n  Claret: d_stress" in text
    assert "parameter provenance: measured 40 (27.8 %)" in text
    code, text = _run("model", "explain", "cd8_kill", "--scenario", "depillis2005")
    assert code == 0 and "ratio_dependent_kill" in text and "de Pillis" in text
    code, text = _run("model", "explain", "cd8kill", "--scenario", "depillis2005")
    assert code != 0 and "did you mean" in text and "cd8_kill" in text
    code, text = _run("model", "explain", "k_kil")  # the default (QSP) model; names entities too
    assert code == 2 and "did you mean 'k_kill'" in text
    assert "no process, parameter, species, observable or entity 'k_kil'" in text
    out = tmp_path / "m.xml"
    code, text = _run(
        "model", "export", "--format", "sbml", "--out", str(out), "--scenario", "karin2019"
    )
    assert code == 0 and out.read_text().startswith("<?xml")
    bad = tmp_path / "m.txt"
    code, text = _run("model", "export", "--format", "sbm", "--out", str(bad))
    assert code != 0 and "did you mean 'sbml'" in text and not bad.exists()
