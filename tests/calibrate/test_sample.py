"""Posterior ensembles: seeded, inside the bounds, centred on the truth of synthetic data, and
usable by ``senotwin simulate --ensemble``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from senotwin._errors import ValidationError
from senotwin.calibrate import Objective, scenario_problem
from senotwin.calibrate.fit import fit_problem
from senotwin.calibrate.sample import (
    Importance,
    adaptive_metropolis,
    effective_sample_size,
    importance_sample,
    integrated_autocorrelation_time,
    multichain_ess,
    multichain_split_rhat,
    pareto_k,
    sample_posterior,
    split_rhat,
    stretch_move,
)
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
    assert "no parameter or species of" in res.output


def test_an_ensemble_column_that_names_an_initial_amount_sets_it(tmp_path: Path) -> None:
    """The galvis2019 fit estimates the SA-beta-gal+ cells at the start (``Sl0``, the initial
    amount of species ``Sl``); its ensemble names that column ``Sl``, and ``simulate --ensemble``
    starts each run there (before session 20 the column was listed as ignored and every run
    started from Sl = 0)."""
    from importlib import resources

    from senotwin.calibrate.datasets import galvis2019_problem

    problem = galvis2019_problem()
    assert problem.initial_amounts() == {"Sl0": "Sl"}
    draws = pd.DataFrame([problem.nominal()] * 3).rename(columns=problem.initial_amounts())
    draws["Sl"] = [4000.0, 8000.0, 12000.0]
    sets = tmp_path / "ensemble.tsv"
    draws.to_csv(sets, sep="\t", index=False)
    model = resources.files("senotwin.calibrate") / "data" / "galvis2019" / "model.yaml"
    out = tmp_path / "bands.csv"
    args = ["simulate", "--model", str(model), "--engine", "fast", "--days", "5"]
    res = CliRunner().invoke(app, [*args, "--ensemble", str(sets), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert (
        "ignored (no parameter or species): sigma_sa_beta_gal, sigma_ki67, sigma_pd" in res.output
    )
    start = pd.read_csv(out).iloc[0]
    assert start["Sl_q50"] == pytest.approx(8000.0)
    assert start["Sl_q05"] == pytest.approx(4400.0) and start["Sl_q95"] == pytest.approx(11600.0)


def test_adaptive_metropolis_samples_a_known_gaussian() -> None:
    """On a 2-D Gaussian (sd 0.1 and 0.3, bounds far away) the chain recovers the sds, mixes
    (split-R-hat < 1.1) and its effective sample size is below the steps but well above 1."""
    sd = np.array([0.1, 0.3])
    lo, hi = np.array([-5.0, -5.0]), np.array([5.0, 5.0])
    chain = adaptive_metropolis(
        lambda x: float(0.5 * np.sum((x / sd) ** 2)),
        np.zeros(2),
        0.0,
        lo,
        hi,
        samples=1500,
        burn_in=500,
        thin=2,
        seed=3,
    )
    assert chain.kept.shape == (1500, 2)
    assert chain.trace.shape == (3000, 2)
    assert 0.1 < chain.acceptance < 0.7
    np.testing.assert_allclose(chain.kept.std(axis=0), sd, rtol=0.25)
    ess = effective_sample_size(chain.trace)
    assert np.all(ess > 50) and np.all(ess < 3000)
    assert np.all(split_rhat(chain.trace) < 1.1)


def test_mixing_diagnostics_flag_a_stuck_or_drifting_chain() -> None:
    rng = np.random.default_rng(0)
    iid = rng.normal(size=(2000, 1))
    assert effective_sample_size(iid)[0] > 1000
    drift = np.linspace(0.0, 5.0, 400)[:, None] + rng.normal(scale=0.1, size=(400, 1))
    assert split_rhat(drift)[0] > 1.5
    assert effective_sample_size(drift)[0] < 20
    assert integrated_autocorrelation_time(np.ones(10)) == np.inf
    with pytest.raises(ValidationError, match="initial_step"):
        adaptive_metropolis(
            lambda x: 0.0, np.zeros(1), 0.0, -np.ones(1), np.ones(1), initial_step=0
        )


def _ridge() -> tuple:
    """A 2-D Gaussian along a straight ridge (correlation 0.999, sd 0.1), bounds far away."""
    cov = np.array([[1.0, 0.999], [0.999, 1.0]]) * 0.01
    prec = np.linalg.inv(cov)
    return (lambda x: float(0.5 * x @ prec @ x)), -5 * np.ones(2), 5 * np.ones(2)


def test_stretch_move_samples_a_ridge_and_is_seeded() -> None:
    """Walkers started in a tiny ball spread along a 0.999-correlated ridge and recover its sds
    and correlation; the same seed gives the same traces; the bounds are respected."""
    f, lo, hi = _ridge()
    starts = np.random.default_rng(0).normal(scale=0.01, size=(8, 2))
    run = stretch_move(f, starts, lo, hi, steps=1500, burn_in=300, seed=1)
    assert run.traces.shape == (8, 1500, 2) and run.nllh.shape == (8, 1500)
    rows, nllh = run.pooled(thin=5)
    assert rows.shape == (8 * 300, 2) and nllh.shape == (8 * 300,)
    np.testing.assert_allclose(rows.std(axis=0), [0.1, 0.1], rtol=0.2)
    assert np.corrcoef(rows.T)[0, 1] > 0.99
    assert 0.2 < run.acceptance < 0.95
    assert np.all(multichain_split_rhat(run.traces) < 1.1)
    assert np.all(multichain_ess(run.traces) > 100)
    again = stretch_move(f, starts, lo, hi, steps=20, burn_in=0, seed=1)
    np.testing.assert_array_equal(
        again.traces, stretch_move(f, starts, lo, hi, steps=20, burn_in=0, seed=1).traces
    )
    batched = stretch_move(
        f, starts, lo, hi, steps=20, burn_in=0, seed=1, evaluate=lambda ys: [f(y) for y in ys]
    )
    np.testing.assert_array_equal(batched.traces, again.traces)
    boxed = stretch_move(f, starts, -0.05 * np.ones(2), 0.05 * np.ones(2), steps=200, seed=2)
    assert np.all(np.abs(boxed.traces) <= 0.05)


def test_stretch_move_refuses_bad_walkers() -> None:
    f, lo, hi = _ridge()
    with pytest.raises(ValidationError, match="even number >= 2 x 2"):
        stretch_move(f, np.zeros((3, 2)), lo, hi)
    with pytest.raises(ValidationError, match="inside the bounds"):
        stretch_move(f, np.full((4, 2), 9.0), lo, hi)
    with pytest.raises(ValidationError, match="a > 1"):
        stretch_move(f, np.zeros((4, 2)), lo, hi, a=1.0)


def test_multichain_diagnostics_reduce_to_one_chain_and_flag_disagreeing_chains() -> None:
    rng = np.random.default_rng(0)
    iid = rng.normal(size=(4, 500, 1))
    assert multichain_ess(iid)[0] > 1000
    assert multichain_split_rhat(iid)[0] < 1.05
    # one chain: the one-chain split-R-hat exactly, the ESS close to the one-chain estimate
    one = rng.normal(size=(800, 2)).cumsum(axis=0) * 0.05 + rng.normal(size=(800, 2))
    np.testing.assert_allclose(multichain_split_rhat(one[None]), split_rhat(one))
    np.testing.assert_allclose(multichain_ess(one[None]), effective_sample_size(one), rtol=0.05)
    # four chains each well mixed inside itself but around different centres: not mixed
    apart = rng.normal(size=(4, 500, 1)) + np.arange(4)[:, None, None]
    assert multichain_split_rhat(apart)[0] > 1.5
    assert multichain_ess(apart)[0] < 50
    with pytest.raises(ValidationError, match="chains x steps"):
        multichain_ess(np.zeros((10, 2)))


def test_adaptive_metropolis_tunes_its_scale_towards_a_target_acceptance() -> None:
    """On a ridge the plain adaptive chain accepts ~0.36-0.42 of its proposals; with a target of
    0.15 the burn-in raises the proposal scale and the (frozen) kept steps accept about that,
    still recovering the ridge's sd."""
    f, lo, hi = _ridge()

    def run(target: float | None) -> np.ndarray:
        return adaptive_metropolis(
            f,
            np.zeros(2),
            0.0,
            lo,
            hi,
            samples=2000,
            burn_in=600,
            thin=1,
            seed=5,
            initial_cov=np.eye(2) * 1e-8,
            target_acceptance=target,
        ).trace

    plain, tuned = run(None), run(0.15)
    moved = [np.any(np.diff(t, axis=0) != 0, axis=1).mean() for t in (plain, tuned)]
    assert moved[0] > 0.3 and 0.05 < moved[1] < 0.25
    np.testing.assert_allclose(tuned.std(axis=0), [0.1, 0.1], rtol=0.3)
    assert np.all(split_rhat(tuned) < 1.1)
    with pytest.raises(ValidationError, match="target_acceptance"):
        adaptive_metropolis(f, np.zeros(2), 0.0, lo, hi, target_acceptance=1.0)


def test_pareto_k_recovers_a_known_tail() -> None:
    """Weights with a generalised Pareto tail of shape 0.2 / 0.5 / 0.9 give k near it (mean of
    20 sets of 2000); light-tailed weights give k well below 0.5."""
    rng = np.random.default_rng(0)
    for xi in (0.2, 0.5, 0.9):
        ks = [pareto_k(np.log(((1 - rng.uniform(size=2000)) ** -xi - 1) / xi)) for _ in range(20)]
        assert abs(np.mean(ks) - xi) < 0.08, (xi, np.mean(ks))
    assert pareto_k(rng.normal(scale=0.1, size=2000)) < 0.2
    with pytest.raises(ValidationError, match=">= 25"):
        pareto_k(np.zeros(10))


def test_importance_sample_recovers_a_ridge_and_flags_a_too_narrow_proposal() -> None:
    f, lo, hi = _ridge()
    cov = np.array([[1.0, 0.999], [0.999, 1.0]]) * 0.01
    good = importance_sample(f, np.zeros(2), 2 * cov, lo, hi, n=400, seed=1)
    assert good.ess > 100 and good.pareto_k < 0.5
    assert good.weights.sum() == pytest.approx(1.0)
    rows = good.draws[good.resample(3000, seed=2)]
    np.testing.assert_allclose(rows.std(axis=0), [0.1, 0.1], rtol=0.15)
    assert np.corrcoef(rows.T)[0, 1] > 0.99
    narrow = importance_sample(f, np.zeros(2), 0.05 * cov, lo, hi, n=400, seed=1)
    assert narrow.pareto_k > 0.7  # the posterior's tails are not covered: not usable
    boxed = importance_sample(f, np.zeros(2), 2 * cov, -0.05 * np.ones(2), hi, n=100, seed=1)
    outside = np.any(boxed.draws < -0.05, axis=1)
    assert outside.any() and np.all(boxed.weights[outside] == 0)
    assert np.all(np.isinf(boxed.nllh[outside]))
    with pytest.raises(ValidationError, match="n = 10"):
        importance_sample(f, np.zeros(2), cov, lo, hi, n=10)
    with pytest.raises(ValidationError, match="stages = 0"):
        importance_sample(f, np.zeros(2), cov, lo, hi, n=100, stages=0)
    with pytest.raises(ValidationError, match=r"inflate = 0\.5"):
        importance_sample(f, np.zeros(2), cov, lo, hi, n=100, inflate=0.5)


def test_adaptive_importance_stages_repair_a_poor_first_proposal() -> None:
    """A round, offset first proposal misses the ridge (k > 0.7, a handful of effective draws);
    refitting it to the weighted draws for two more stages gives a usable sample of it."""
    f, lo, hi = _ridge()
    args = (f, np.array([0.1, 0.1]), 0.04 * np.eye(2), lo, hi)
    one = importance_sample(*args, n=200, seed=1)
    three = importance_sample(*args, n=200, stages=3, seed=1)
    assert one.pareto_k > 0.7 and one.ess < 20
    assert three.draws.shape == (600, 2)
    assert three.pareto_k < 0.7 and three.ess > 100
    rows = three.draws[three.resample(3000, seed=2)]
    np.testing.assert_allclose(rows.std(axis=0), [0.1, 0.1], rtol=0.15)
    np.testing.assert_allclose(rows.mean(axis=0), [0.0, 0.0], atol=0.02)
    # progress sees each stage's weighted draws; True stops after that stage, same draws so far
    seen: list[tuple[int, int, float]] = []

    def report(stage: int, imp: Importance) -> bool:
        seen.append((stage, imp.draws.shape[0], imp.ess))
        return stage == 2

    two = importance_sample(*args, n=200, stages=3, seed=1, progress=report)
    assert [s[:2] for s in seen] == [(1, 200), (2, 400)] and two.draws.shape == (400, 2)
    np.testing.assert_array_equal(two.draws, three.draws[:400])
    assert seen[-1][2] == pytest.approx(two.ess) and seen[0][2] == pytest.approx(one.ess)


def test_calibrate_liu2019_refuses_ensemble_and_names_the_shipped_one(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app, ["calibrate", "--problem", "liu2019", "--ensemble", "10", "--out", str(tmp_path)]
    )
    assert res.exit_code == 2
    assert "liu2019_posterior.tsv" in res.output


def test_calibrate_negative_ensemble_is_refused_before_the_fit(tmp_path: Path) -> None:
    """'--ensemble -5' ran the whole fit, then said 'samples = -5' (the library's argument)."""
    out = tmp_path / "fit"
    res = CliRunner().invoke(
        app, ["calibrate", "--problem", "galvis2019", "--ensemble", "-5", "--out", str(out)]
    )
    assert res.exit_code == 2
    assert "error: --ensemble must be a whole number >= 0, got -5" in res.output
    assert not out.exists()
