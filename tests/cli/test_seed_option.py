"""A negative seed is refused by its name and flag, as cohort run and trial run refuse it, on
every command and entry point that draws random numbers (numpy's own refusal, "expected
non-negative integer", named neither; audit s42 M1)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from senotwin._errors import ValidationError, check_seed
from senotwin.cli import app
from senotwin.sc.examples import example_path

runner = CliRunner()
MESSAGE = "seed (--seed) must be an integer >= 0, got -1"
EXPRESSION = str(example_path("fibroblasts_marthandan2016.csv.gz"))
SAMPLES = str(example_path("fibroblasts_marthandan2016_samples.csv"))


def test_check_seed_names_the_argument_and_its_flag() -> None:
    check_seed(0)
    for bad in (-1, True, 1.5, "3", None):
        with pytest.raises(ValidationError, match=r"^seed \(--seed\) must be an integer >= 0"):
            check_seed(bad)
    with pytest.raises(ValidationError, match=r"^seed must be an integer >= 0, got -2$"):
        check_seed(-2, option=None)


@pytest.mark.parametrize(
    "args",
    [
        ["score", EXPRESSION, "--out", "{tmp}/s.csv"],
        ["sc", "call", EXPRESSION, "--obs", SAMPLES, "--groupby", "cell_type", "--out",
         "{tmp}/c.csv"],
        ["sc", "communication", EXPRESSION, "--obs", SAMPLES, "--groupby", "condition", "--out",
         "{tmp}/m.csv"],
        ["stratify", EXPRESSION, "--out", "{tmp}/p.csv"],
        ["sensitivity", "--param", "k_grow", "--n", "8", "--days", "30"],
        ["validate", "--null", "2"],
        ["optimize", "--drugs", "navitoclax", "--horizon", "30", "--budget", "2"],
        ["calibrate", "--problem", "galvis2019", "--starts", "1"],
        ["calibrate", "--problem", "liu2019"],
        ["profile", "--problem", "galvis2019", "--out", "{tmp}/prof"],
        ["trial", "heldback", "miao", "--n", "6"],
    ],
    ids=lambda a: " ".join(a[:2]) if a[0] in ("sc", "trial", "calibrate") else a[0],
)  # fmt: skip
def test_a_negative_seed_is_refused_by_name_on_every_command(
    args: list[str], tmp_path: Path
) -> None:
    res = runner.invoke(app, [*(a.format(tmp=tmp_path) for a in args), "--seed", "-1"])
    assert res.exit_code == 2, res.output
    assert f"error: {MESSAGE}" in res.output
    assert "read " not in res.output  # refused before the input was read
    assert list(tmp_path.iterdir()) == []  # nothing written


def _python_entry_points() -> list[tuple[str, object]]:
    """(name, call with seed=-1) of every Python entry point with a seed."""
    from senotwin.analysis.sensitivity import run_sensitivity
    from senotwin.analysis.validation import run_validation
    from senotwin.calibrate import get_problem
    from senotwin.calibrate.fit import fit_problem
    from senotwin.cohort.optimize import optimize_schedule
    from senotwin.sc.calls import call_senescent
    from senotwin.sc.communication import communication
    from senotwin.sc.examples import example_adata
    from senotwin.sc.scoring import score_adata, score_matrix
    from senotwin.sc.stratify import stratify
    from senotwin.trial.ici_cohort import CohortDesign

    x, genes = np.ones((4, 3)), ["A", "B", "C"]
    return [
        ("score_adata", lambda: score_adata(example_adata(), ["sasp"], seed=-1)),
        ("score_matrix", lambda: score_matrix(x, genes, ["sasp"], seed=-1)),
        ("call_senescent", lambda: call_senescent(x, genes, seed=-1)),
        ("communication", lambda: communication(x, genes, ["a", "a", "b", "b"], seed=-1)),
        ("stratify", lambda: stratify(x, genes, ["s1", "s2", "s3", "s4"], seed=-1)),
        ("run_validation", lambda: run_validation(null=2, seed=-1)),
        ("fit_problem", lambda: fit_problem(get_problem("galvis2019"), starts=1, seed=-1)),
        (
            "run_sensitivity",
            lambda: run_sensitivity("default", parameters=["k_grow"], n=8, seed=-1),
        ),
        ("optimize_schedule", lambda: optimize_schedule("default", ["navitoclax"], seed=-1)),
        ("CohortDesign", lambda: CohortDesign(seed=-1)),
    ]


@pytest.mark.parametrize("name", [n for n, _ in _python_entry_points()])
def test_a_negative_seed_is_refused_by_name_in_python(name: str) -> None:
    call = dict(_python_entry_points())[name]
    with pytest.raises(ValidationError, match=r"^seed \(--seed\) must be an integer >= 0, got -1"):
        call()  # type: ignore[operator]


def test_stratify_evaluate_names_the_seed_without_a_flag() -> None:
    """evaluate_cohorts has no --seed on the command line: the message names none."""
    from senotwin.sc.stratify_eval import evaluate_cohorts

    with pytest.raises(ValidationError, match=r"^seed must be an integer >= 0, got -1$"):
        evaluate_cohorts([object()], seed=-1)  # type: ignore[list-item]


def test_stratify_passes_its_seed_to_the_bootstrap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`stratify --seed` was parsed and dropped: the gene bootstrap always ran on seed 0."""
    import senotwin.cli.stratify as cli

    seen: list[int] = []
    real = cli.run_stratify

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(int(kwargs.get("seed", 0)))  # type: ignore[call-overload]
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cli, "run_stratify", spy)
    res = runner.invoke(
        app, ["stratify", EXPRESSION, "--out", str(tmp_path / "p.csv"), "--seed", "7"]
    )
    assert res.exit_code == 0, res.output
    assert seen == [7]


@pytest.mark.parametrize("command", ["calibrate", "profile"])
def test_starts_below_one_is_refused_naming_the_option(command: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, [command, "--problem", "galvis2019", "--starts", "0", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "--starts" in result.output
    assert not (tmp_path / "o").exists()
