"""Posterior ensembles: seeded, inside the bounds, centred on the truth of synthetic data, and
usable by ``senotwin simulate --ensemble``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from senotwin._errors import ValidationError
from senotwin.calibrate import Objective, scenario_problem
from senotwin.calibrate.fit import fit_problem
from senotwin.calibrate.sample import sample_posterior
from senotwin.cli.app import app


@pytest.fixture(scope="module")
def chain() -> tuple:
    problem = scenario_problem(
        "karin2019", observables=["X"], estimate=["beta", "kappa"], times=[100, 250, 400, 600]
    )
    objective = Objective(problem)
    fit = fit_problem(objective, starts=1, seed=0)
    return problem, objective, fit


def test_ensemble_is_seeded_bounded_and_covers_the_truth(chain: tuple) -> None:
    problem, objective, fit = chain
    a = sample_posterior(objective, fit, samples=60, burn_in=60, seed=4)
    b = sample_posterior(objective, fit, samples=60, burn_in=60, seed=4)
    pd.testing.assert_frame_equal(a.samples, b.samples)
    assert 0.05 < a.acceptance < 0.95
    for p in problem.parameters:
        col = a.samples[p.id]
        assert col.between(p.lower, p.upper).all()
        assert col.quantile(0.02) <= p.nominal <= col.quantile(0.98)
    assert a.samples["beta"].nunique() > 5
    with pytest.raises(ValidationError, match="samples = 0"):
        sample_posterior(objective, fit, samples=0)


def test_simulate_ensemble_writes_quantile_bands(chain: tuple, tmp_path: Path) -> None:
    _, objective, fit = chain
    ens = sample_posterior(objective, fit, samples=20, burn_in=20, seed=1)
    sets = tmp_path / "ensemble.tsv"
    ens.samples.to_csv(sets, sep="\t", index=False)
    out = tmp_path / "bands.csv"
    res = CliRunner().invoke(
        app,
        [
            "simulate",
            "--scenario",
            "karin2019",
            "--engine",
            "fast",
            "--ensemble",
            str(sets),
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    bands = pd.read_csv(out)
    assert {"X_q05", "X_q50", "X_q95"} <= set(bands.columns)
    late = bands.iloc[-1]
    assert late["X_q05"] <= late["X_q50"] <= late["X_q95"]
    assert late["X_q95"] > late["X_q05"]
    bad = tmp_path / "bad.tsv"
    bad.write_text("nope\n1.0\n")
    res = CliRunner().invoke(
        app, ["simulate", "--scenario", "karin2019", "--ensemble", str(bad), "--out", str(out)]
    )
    assert res.exit_code == 2
    assert "no parameter of" in res.output
