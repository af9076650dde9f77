"""Multi-start fits and profiles: recovery of known values, the estimated-sigma objective,
identifiability flags, the CLI outputs and the shipped Galvis 2019 problem."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from senotwin._errors import ValidationError
from senotwin.calibrate import (
    FitParameter,
    Objective,
    Problem,
    Readout,
    export_problem,
    get_problem,
    lint_problem,
    scenario_problem,
)
from senotwin.calibrate.fit import fit_problem
from senotwin.calibrate.profile import THRESHOLD_95, profile_parameter
from senotwin.cli.app import app


@pytest.fixture(scope="module")
def karin() -> Problem:
    return scenario_problem(
        "karin2019", observables=["X"], estimate=["beta", "kappa"], times=[100, 250, 400, 600]
    )


def test_fit_recovers_the_values_behind_synthetic_data(karin: Problem) -> None:
    far = {"beta": 0.5, "kappa": 0.6}
    moved = Problem(
        **{
            **karin.__dict__,
            "parameters": tuple(
                FitParameter(p.id, p.lower, p.upper, far[p.id]) for p in karin.parameters
            ),
        }
    )
    fit = fit_problem(moved, starts=3, seed=1)
    for pid in ("beta", "kappa"):
        assert fit.best[pid] == pytest.approx(karin.nominal()[pid], rel=1e-3)
    assert fit.goodness[0].chi2 < 1e-4
    assert fit.waterfall()[0] == fit.nllh
    assert list(fit.waterfall()) == sorted(fit.waterfall())


def test_progress_sees_every_start_as_it_ends(karin: Problem) -> None:
    seen: list[tuple[int, int]] = []
    fit = fit_problem(karin, starts=2, seed=3, progress=lambda done, n: seen.append((len(done), n)))
    assert seen == [(1, 3), (2, 3), (3, 3)]  # the nominal start + 2 Latin-hypercube starts
    assert len(fit.starts) == 3


def test_same_seed_same_starts(karin: Problem) -> None:
    a = fit_problem(karin, starts=2, seed=3, include_nominal=False)
    b = fit_problem(karin, starts=2, seed=3, include_nominal=False)
    assert [s.x0 for s in a.starts] == [s.x0 for s in b.starts]
    with pytest.raises(ValidationError, match="starts = 0"):
        fit_problem(karin, starts=0)


def test_residuals_with_estimated_sigma_are_the_likelihood(karin: Problem) -> None:
    obs = karin.observables[0]
    problem = Problem(
        **{
            **karin.__dict__,
            "observables": (Readout(obs.id, obs.formula, "sd"),),
            "parameters": (*karin.parameters, FitParameter("sd", 1e-3, 10.0, 0.05)),
        }
    )
    objective = Objective(problem)
    gaps = []
    for x in ([-0.6, 0.0, -1.0], [-0.4, 0.2, 0.3]):
        r = objective.residuals(np.array(x))
        gaps.append(0.5 * float(r @ r) - objective.nllh(objective.values(np.array(x))))
    assert gaps[0] == pytest.approx(gaps[1], abs=1e-8)


def test_profiles_flag_identifiable_and_non_identifiable(karin: Problem) -> None:
    objective = Objective(karin)
    fit = fit_problem(objective, starts=1, seed=0)
    beta = profile_parameter(objective, fit, "beta")
    assert beta.identifiable
    assert beta.ci_low < karin.nominal()["beta"] < beta.ci_high
    assert max(np.array(beta.nllh) - fit.nllh) > THRESHOLD_95
    early = scenario_problem("karin2019", observables=["X"], estimate=["kappa"], times=[1.0])
    flat_obj = Objective(early)
    flat_fit = fit_problem(flat_obj, starts=1, seed=0)
    flat = profile_parameter(flat_obj, flat_fit, "kappa")
    assert not flat.identifiable
    with pytest.raises(ValidationError, match="was not fitted"):
        profile_parameter(objective, fit, "eta")


def test_calibrate_cli_leaves_no_earlier_fit_files(tmp_path: Path, karin: Problem) -> None:
    """A second fit into the same folder removes what it does not make itself: an earlier
    fit's profiles.png and ensemble.tsv would otherwise sit beside the new tables."""
    export_problem(karin, tmp_path / "petab")
    out = tmp_path / "fit"
    args = ["calibrate", "--problem", str(tmp_path / "petab"), "--starts", "1", "--out", str(out)]
    first = CliRunner().invoke(app, [*args, "--ensemble", "3"])
    assert first.exit_code == 0, first.output
    assert (out / "ensemble.tsv").is_file()
    (out / "profiles.png").write_bytes(b"an earlier fit's figure")
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert (out / "fit.json").is_file()
    assert not (out / "profiles.png").exists() and not (out / "ensemble.tsv").exists()


@pytest.mark.parametrize("command", ["calibrate", "profile"])
def test_a_folder_of_other_files_is_refused_and_left_as_it_was(
    tmp_path: Path, karin: Problem, command: str
) -> None:
    """A fit wrote its tables into a folder of a user's files and, without --ensemble or
    --profiles, removed their ensemble.tsv/profiles.png as an earlier fit's (ux53): a folder
    holding no fit.json is refused before the fit, as `cohort run` refuses one without its
    manifest; nothing is written or removed."""
    export_problem(karin, tmp_path / "petab")
    mine = tmp_path / "mine"
    mine.mkdir()
    for name in ("notes.txt", "ensemble.tsv", "profiles.png", "fit.json"):
        (mine / name).write_text("mine\n")
    args = [command, "--problem", str(tmp_path / "petab"), "--starts", "1", "--out", str(mine)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2, res.output
    assert f"output folder (--out) {mine} already holds other files (ensemble.tsv," in res.output
    assert "no earlier fit (fit.json): name a new or empty folder, or an earlier" in res.output
    assert sorted(p.name for p in mine.iterdir()) == [
        "ensemble.tsv",
        "fit.json",
        "notes.txt",
        "profiles.png",
    ]
    assert all(p.read_text() == "mine\n" for p in mine.iterdir())
    # the simulated-cohort problem is refused the same way, before its cohort fit
    res = CliRunner().invoke(app, ["calibrate", "--problem", "liu2019", "--out", str(mine)])
    assert res.exit_code == 2 and "no earlier fit (fit.json)" in res.output


def test_readme_names_every_file_calibrate_writes(tmp_path: Path, karin: Problem) -> None:
    """README's calibration section listed profiles.png as always written and left out
    report.html (audit, session 50); every file of a fit without --profiles is named."""
    export_problem(karin, tmp_path / "petab")
    out = tmp_path / "fit"
    res = CliRunner().invoke(
        app, ["calibrate", "--problem", str(tmp_path / "petab"), "--starts", "1", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = " ".join(readme.split("\n## Calibration", 1)[1].split("\n## ", 1)[0].split())
    written = sorted(p.name for p in out.iterdir())
    assert "profiles.png" not in written
    assert [n for n in written if f"`{n}`" not in section] == []
    assert "with `--profiles`, `profiles.png`" in section


def test_a_failed_calibrate_keeps_the_earlier_fit_whole(
    tmp_path: Path, karin: Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The earlier fit's profiles.png went at once, so a fit failing later left that fit without
    it: the removal now waits for the command to succeed, like the writes."""
    import senotwin.report.html as report_html

    export_problem(karin, tmp_path / "petab")
    out = tmp_path / "fit"
    out.mkdir()
    (out / "fit.json").write_text('{"problem": "karin2019", "nllh": 1.0}')  # an earlier fit's
    (out / "profiles.png").write_bytes(b"an earlier fit's figure")

    def broken(*args: object, **kwargs: object) -> str:
        raise ValueError("late failure")

    monkeypatch.setattr(report_html, "render_report", broken)
    res = CliRunner().invoke(
        app, ["calibrate", "--problem", str(tmp_path / "petab"), "--starts", "1", "--out", str(out)]
    )
    assert res.exit_code == 2 and "late failure" in res.output
    assert sorted(p.name for p in out.iterdir()) == ["fit.json", "profiles.png"]


def test_calibrate_cli_writes_tables_and_figures(tmp_path: Path, karin: Problem) -> None:
    export_problem(karin, tmp_path / "petab")
    out = tmp_path / "fit"
    res = CliRunner().invoke(
        app,
        [
            "calibrate",
            "--problem",
            str(tmp_path / "petab"),
            "--starts",
            "2",
            "--out",
            str(out),
            "--ensemble",
            "5",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output)
    assert summary["starts"] == 3
    assert {r["parameter"] for r in summary["parameters"]} == {"beta", "kappa"}
    for name in (
        "parameters.tsv",
        "starts.tsv",
        "fit.json",
        "curves.tsv",
        "waterfall.png",
        "fits.png",
        "report.html",
        "ensemble.tsv",
        "model.yaml",
    ):
        assert (out / name).stat().st_size > 0
    # the draws run on the model fitted, from the fit's folder (the README pointed into a source
    # checkout for a shipped problem's model, which an installed senotwin does not have; ux53)
    bands = tmp_path / "bands.csv"
    ens = ["--ensemble", str(out / "ensemble.tsv"), "--out", str(bands)]
    res = CliRunner().invoke(app, ["simulate", "--model", str(out / "model.yaml"), *ens])
    assert res.exit_code == 0, res.output
    assert "5/50/95% bands of 5 runs (0 failed)" in res.output
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "--model src/" not in readme
    bad = CliRunner().invoke(app, ["calibrate", "--problem", "galvis2091", "--starts", "1"])
    assert bad.exit_code == 2
    assert "did you mean 'galvis2019'" in bad.output


def test_galvis_problem_holds_back_the_last_passages(tmp_path: Path) -> None:
    problem = get_problem("galvis2019")
    assert len(problem.measurements) == 13 * 3 * 3
    assert problem.held_back is not None and len(problem.held_back) == 3 * 3 * 3
    assert problem.held_back["time"].min() > problem.measurements["time"].max()
    export_problem(problem, tmp_path / "g")
    assert lint_problem(tmp_path / "g") == []
    nllh = Objective(problem).nllh(problem.nominal())
    assert math.isfinite(nllh)


def test_log_normal_noise_is_the_log_normal_likelihood(karin: Problem) -> None:
    from scipy.stats import lognorm

    obs = karin.observables[0]
    problem = Problem(
        **{**karin.__dict__, "observables": (Readout(obs.id, obs.formula, 0.2, "log"),)}
    )
    objective = Objective(problem)
    values = {"beta": 0.3, "kappa": 0.9}
    pred = objective.predict(values)
    y = problem.measurements["measurement"].to_numpy()
    expected = -float(np.sum(lognorm.logpdf(y, s=0.2, scale=pred)))
    assert objective.nllh(values) == pytest.approx(expected, rel=1e-12)
