"""`senotwin model export`: a scenario's values reach the written file."""

from __future__ import annotations

from pathlib import Path

import libsbml
import numpy as np
import roadrunner
from typer.testing import CliRunner

from senotwin.cli.app import app
from senotwin.model import get_scenario
from senotwin.sim import simulate


def test_export_scenario_writes_its_initial_state_and_runs_like_simulate(tmp_path: Path) -> None:
    out = tmp_path / "escape.xml"
    res = CliRunner().invoke(
        app,
        [
            "model",
            "export",
            "--scenario",
            "kuznetsov1994_escape",
            "--format",
            "sbml",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    sc = get_scenario("kuznetsov1994_escape")
    spec = sc.load()
    grid = np.linspace(0.0, 200.0, 41)
    rr = roadrunner.RoadRunner(out.read_text())
    rr.integrator.relative_tolerance = 1e-9
    rr.integrator.absolute_tolerance = 1e-12
    rr.timeCourseSelections = ["time", *spec.species_ids]
    theirs = np.asarray(rr.simulate(times=grid))[:, 1:]
    ours = simulate(
        spec, initial=dict(sc.initial), t_end=200.0, t_eval=grid, rtol=1e-9, atol=1e-12
    ).table[list(spec.species_ids)]
    np.testing.assert_allclose(theirs, ours.to_numpy(), rtol=1e-4)


def test_export_scenario_writes_its_parameters(tmp_path: Path) -> None:
    out = tmp_path / "nosen.xml"
    res = CliRunner().invoke(
        app,
        [
            "model",
            "export",
            "--scenario",
            "aged_lung_no_senescence",
            "--format",
            "sbml",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    model = libsbml.readSBMLFromFile(str(out)).getModel()
    sc = get_scenario("aged_lung_no_senescence")
    for pid, value in sc.params.items():
        assert model.getParameter(pid).getValue() == value, pid
    for sid, value in sc.initial.items():
        assert model.getSpecies(sid).getInitialAmount() == value, sid


def test_export_scenario_of_unknown_name_is_a_clear_error(tmp_path: Path) -> None:
    out = tmp_path / "x.xml"
    res = CliRunner().invoke(
        app, ["model", "export", "--scenario", "nope", "--format", "sbml", "--out", str(out)]
    )
    assert res.exit_code != 0 and "unknown scenario 'nope'" in res.output
    assert not out.exists()


def test_export_refuses_an_out_suffix_of_another_format(tmp_path: Path) -> None:
    """`--format sbml --out model.json` wrote SBML into a .json file (audit find); the refusal
    names --out, the suffix and the format's suffixes, and writes nothing."""
    for fmt, name, allowed in [
        ("sbml", "model.json", ".xml or .sbml"),
        ("antimony", "model.xml", ".ant or .txt"),
        ("markdown", "card.html", ".md or .markdown"),
        ("html", "card", ".html or .htm"),
    ]:
        out = tmp_path / name
        res = CliRunner().invoke(app, ["model", "export", "--format", fmt, "--out", str(out)])
        assert res.exit_code == 2
        found = f"'{out.suffix}'" if out.suffix else "no suffix"
        assert f"--out '{out}' must end in {allowed} for --format {fmt} (got {found})" in (
            res.output
        )
    assert list(tmp_path.iterdir()) == []
    res = CliRunner().invoke(
        app, ["model", "export", "--format", "antimony", "--out", str(tmp_path / "m.ant")]
    )
    assert res.exit_code == 0 and (tmp_path / "m.ant").is_file()
