"""PEtab export, lint and import; the round trip simulates what ``senotwin simulate`` does."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from senotwin._errors import ValidationError
from senotwin.calibrate import (
    FitParameter,
    Objective,
    Readout,
    export_problem,
    lint_problem,
    load_problem,
    petab_io,
    scenario_problem,
)
from senotwin.cli.app import app

runner = CliRunner()


def test_round_trip_agrees_with_senotwin_simulate(tmp_path: Path) -> None:
    out = tmp_path / "karin"
    res = runner.invoke(
        app,
        [
            "petab",
            "export",
            "--scenario",
            "karin2019",
            "--out",
            str(out),
            "--observable",
            "X",
            "--observable",
            "removal_half_life",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "petab lint: ok" in res.output
    problem = load_problem(out)
    assert [o.formula for o in problem.observables] == ["X", "removal_half_life"]
    assert {p.id for p in problem.estimated} == {"eta", "beta", "kappa"}
    table = tmp_path / "sim.csv"
    res = runner.invoke(
        app, ["simulate", "--scenario", "karin2019", "--engine", "fast", "--out", str(table)]
    )
    assert res.exit_code == 0, res.output
    sim = pd.read_csv(table).set_index("time")
    pred = Objective(problem, rtol=1e-6, atol=1e-9, daily=True).predict(problem.nominal())
    rows = problem.measurements
    expected = np.array(
        [
            sim.loc[t, f.removeprefix("obs_")]
            for f, t in zip(rows.observableId, rows.time, strict=True)
        ]
    )
    assert np.all(np.abs(pred - expected) <= 1e-6 * np.abs(expected))


def test_qsp_scenario_exports_a_problem_petab_accepts(tmp_path: Path) -> None:
    problem = scenario_problem("default", observables=["C", "IL6_p"], times=[30, 90])
    export_problem(problem, tmp_path / "qsp")
    assert lint_problem(tmp_path / "qsp") == []
    back = load_problem(tmp_path / "qsp")
    assert [p.id for p in back.parameters] == [p.id for p in problem.parameters]
    assert back.params == problem.params


def test_lint_reports_an_undefined_observable(tmp_path: Path) -> None:
    export_problem(scenario_problem("karin2019", observables=["X"]), tmp_path / "p")
    m = tmp_path / "p" / "measurements.tsv"
    m.write_text(m.read_text().replace("obs_X", "obs_Y", 1))
    assert lint_problem(tmp_path / "p")
    res = runner.invoke(app, ["petab", "lint", str(tmp_path / "p")])
    assert res.exit_code == 1
    assert "error:" in res.output
    # each line says its level: petab's skipped visualization table is no error (audit, s41)
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert all(ln.startswith(("error: ", "warning: ")) for ln in lines), lines
    assert not [ln for ln in lines if ln.startswith("error: Visualization table")]


def test_load_needs_the_senotwin_model(tmp_path: Path) -> None:
    export_problem(scenario_problem("karin2019", observables=["X"]), tmp_path / "p")
    (tmp_path / "p" / "senotwin.yaml").unlink()
    with pytest.raises(ValidationError, match=r"senotwin\.yaml"):
        load_problem(tmp_path / "p")


def test_bad_records_name_field_and_value() -> None:
    with pytest.raises(ValidationError, match=r"sigma = -1\.0; allowed: a number > 0"):
        Readout("o", "X", -1.0)
    with pytest.raises(ValidationError, match=r"lower bound 0\.0 on log10 scale"):
        FitParameter("k", 0.0, 1.0, 0.5)
    with pytest.raises(ValidationError, match=r"outside its bounds"):
        FitParameter("k", 1.0, 2.0, 3.0)
    with pytest.raises(ValidationError, match="unknown observable 'Q'"):
        scenario_problem("karin2019", observables=["Q"])


def test_export_needs_one_source(tmp_path: Path) -> None:
    res = runner.invoke(app, ["petab", "export", "--out", str(tmp_path / "x")])
    assert res.exit_code != 0
    assert not (tmp_path / "x").exists()


def test_export_of_the_simulated_cohort_problem_says_it_has_no_petab_form(tmp_path: Path) -> None:
    """It said "call senotwin.trial.ici_fit.register() first" (a Python call, to a CLI user)."""
    res = runner.invoke(app, ["petab", "export", "--problem", "liu2019", "--out", str(tmp_path)])
    assert res.exit_code == 2
    assert "not a PEtab problem" in res.output and "register" not in res.output
    assert not any(tmp_path.iterdir())


def _export_cli(out: Path) -> object:
    return runner.invoke(
        app, ["petab", "export", "--scenario", "karin2019", "--observable", "X", "--out", str(out)]
    )


def test_export_refuses_a_folder_of_other_files_and_replaces_an_earlier_export(
    tmp_path: Path,
) -> None:
    """A user's own problem.yaml was overwritten without a word (audit, session 41): a folder
    that holds anything but an earlier export is refused, untouched; an earlier one is replaced
    and the output says so."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "problem.yaml").write_text("my own problem")
    (mine / "notes.txt").write_text("notes")
    res = _export_cli(mine)
    assert res.exit_code == 2, res.output
    assert (
        f"error: output folder {str(mine)!r} is not empty (it holds notes.txt, problem.yaml) and "
        "holds no PEtab problem exported by senotwin; choose a new or empty folder"
    ) in " ".join(res.output.split())
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt", "problem.yaml"]
    assert (mine / "problem.yaml").read_text() == "my own problem"
    with pytest.raises(ValidationError, match="is not empty"):  # the Python API refuses too
        export_problem(scenario_problem("karin2019", observables=["X"]), mine)

    out = tmp_path / "p"
    assert _export_cli(out).exit_code == 0
    again = _export_cli(out)
    assert again.exit_code == 0, again.output
    assert "(replacing the earlier export of karin2019_synthetic)" in again.output
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "replacing" not in _export_cli(empty).output


def test_a_replaced_export_keeps_no_stale_file_and_a_failed_one_keeps_the_earlier(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = scenario_problem("karin2019", observables=["X"])
    held = replace(plain, held_back=plain.measurements.iloc[:2].reset_index(drop=True))
    out = tmp_path / "p"
    export_problem(held, out)
    stale = out / petab_io.FILES["held_back"]
    assert stale.is_file()

    def broken(problem: object) -> None:
        raise RuntimeError("late failure")

    monkeypatch.setattr(petab_io, "parameter_table", broken)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(RuntimeError, match="late failure"):
        export_problem(plain, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # the earlier one, whole
    monkeypatch.undo()
    export_problem(plain, out)
    assert not stale.exists()  # the earlier export's held-back rows are not this problem's
    assert load_problem(out).held_back is None
    fresh = tmp_path / "new" / "deeper"
    monkeypatch.setattr(petab_io, "parameter_table", broken)
    with pytest.raises(RuntimeError):
        export_problem(plain, fresh)
    assert not (tmp_path / "new").exists()  # a failed export leaves no folder behind


def test_a_definition_is_never_estimated() -> None:
    """--estimate mL_per_L fitted the litre (audit, session 41): refused before the
    simulation, and a problem built by hand that estimates one is refused too."""
    with pytest.raises(ValidationError, match=r"^mL_per_L is a definition .* cannot be estimated"):
        scenario_problem("default", observables=["C"], estimate=["mL_per_L"])
    problem = scenario_problem("default", observables=["C"], estimate=["k_grow"], times=[30.0])
    fitted = FitParameter("mm_per_cm", 5.0, 20.0, 10.0)
    with pytest.raises(
        ValidationError,
        match=r"mm_per_cm is a definition .* estimated \(problem default_synthetic\)",
    ):
        replace(problem, parameters=(*problem.parameters, fitted))
    fixed = FitParameter("mm_per_cm", 5.0, 20.0, 10.0, estimate=False)
    replace(problem, parameters=(*problem.parameters, fixed))  # held at its value: fine
