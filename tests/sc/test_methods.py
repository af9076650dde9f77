"""The scoring-method registry: dispatch equals the kernels, one place to add a method, options
checked and recorded, the CLI reads the registry."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from senotwin._errors import ValidationError
from senotwin.cli.app import app
from senotwin.sc.kernels import gene_stats, matched_controls, mean_z, rank_score, ulm
from senotwin.sc.methods import SCORING_METHODS, ScoringMethod, get_method, register_method
from senotwin.sc.scoring import score_matrix
from senotwin.sc.signatures import Signature, get_signature

GENES = [f"G{i}" for i in range(60)]
SIG = Signature(name="s", genes=tuple(GENES[:8]), weights=(1.0,) * 5 + (-1.0,) * 3)


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    x = rng.gamma(2.0, 1.0, size=(25, len(GENES)))
    w = np.zeros((len(GENES), 1))
    w[:5, 0], w[5:8, 0] = 1.0, -1.0
    return x, w


def test_registry_dispatch_equals_the_kernels() -> None:
    x, w = _data()
    st = gene_stats(x)
    ctrl = matched_controls(w, st, ctrl_size=7, n_bins=5, rng=np.random.default_rng(11))
    expected = {
        "mean_z": mean_z(x, w, stats=st, controls=ctrl)[:, 0],
        "rank": rank_score(x, w, max_rank=20)[:, 0],
        "ulm": ulm(x, w)[:, 0],
    }
    options = {"mean_z": {"ctrl_size": 7, "n_bins": 5}, "rank": {"max_rank": 20}, "ulm": {}}
    for name, want in expected.items():
        res = score_matrix(x, GENES, [SIG], method=name, seed=11, **options[name])
        np.testing.assert_allclose(res.scores["s"].to_numpy(), want, rtol=1e-12, err_msg=name)
        assert res.method == name
        for key, value in options[name].items():
            assert res.params[key] == value
        assert ("seed" in res.params) == (name == "mean_z")


@dataclass(frozen=True)
class TopOptions:
    """Score = mean of the ``k`` highest-weighted genes' expression."""

    k: int = 2


def _top(x: np.ndarray, w: np.ndarray, opts: TopOptions, rng: np.random.Generator) -> np.ndarray:
    cols = np.argsort(-w[:, 0])[: opts.k]
    return np.asarray(x)[:, cols].mean(axis=1, keepdims=True)


def test_a_new_method_is_one_registration() -> None:
    method = ScoringMethod("top_k_test", TopOptions, _top, "test reference", "test method")
    register_method(method)
    try:
        x, _ = _data()
        res = score_matrix(x, GENES, [SIG], method="top_k_test", k=3)
        np.testing.assert_allclose(res.scores["s"].to_numpy(), x[:, :3].mean(axis=1))
        assert res.params["k"] == 3
        r = CliRunner().invoke(app, ["score", "--help"])
        assert "top_k_test" not in r.output  # help is generated at import; the API sees it now
        assert "top_k_test" in SCORING_METHODS
    finally:
        SCORING_METHODS.unregister("top_k_test")


def test_options_are_checked() -> None:
    rank = get_method("rank")
    assert rank.options_from_text(["max_rank=30"]).max_rank == 30
    with pytest.raises(ValidationError, match=r"'rank' has no option\(s\) ctrl_size.*max_rank"):
        rank.options_from_text(["ctrl_size=3"])
    with pytest.raises(ValidationError, match="expects int"):
        rank.options_from_text(["max_rank=many"])
    with pytest.raises(ValidationError, match="not KEY=VALUE"):
        rank.options_from_text(["max_rank"])
    with pytest.raises(ValidationError, match="max_rank must be >= 1"):
        rank.make_options({"max_rank": 0})
    with pytest.raises(ValidationError, match="must be an integer"):
        get_method("mean_z").make_options({"ctrl_size": 2.5})
    with pytest.raises(ValidationError, match="options must be a dataclass"):
        register_method(ScoringMethod("bad_opts", dict, _top, "ref", "x"))


def test_cli_method_help_and_options(tmp_path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["score", "--help"], terminal_width=200)
    for name in SCORING_METHODS.names():
        assert name in r.output
    genes = list(get_signature("sasp").genes)
    x = np.random.default_rng(5).gamma(2.0, 1.0, size=(12, len(genes)))
    path = tmp_path / "x.csv"
    frame = pd.DataFrame(np.round(x, 3), index=[f"sample{i}" for i in range(12)], columns=genes)
    frame.to_csv(path)
    out = tmp_path / "scores.csv"
    base = ["score", str(path), "-s", "sasp", "--out", str(out), "--no-normalise"]
    r = runner.invoke(app, [*base, "--method", "rank", "--option", "max_rank=10"])
    assert r.exit_code == 0, r.output
    assert "method rank" in r.output and out.is_file()
    r = runner.invoke(app, [*base, "--method", "ulm", "--option", "max_rank=10"])
    assert r.exit_code == 2 and "'ulm' has no option(s) max_rank" in r.output
    r = runner.invoke(app, [*base, "--method", "rnak"])
    assert r.exit_code == 2 and "unknown scoring method 'rnak'; did you mean 'rank'" in r.output
