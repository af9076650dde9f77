"""`simulate --ensemble --members N` runs the first N parameter sets, as `validate`, `treat
compare` and `cohort run` do (it ran every row of the ensemble, all 200 draws of the shipped
posterior; fix53b); a bad N is refused by the option's flag and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from senotwin.calibrate.sample import shipped_ensemble_path
from senotwin.cli.app import app

ARGS = ["simulate", "--scenario", "aged_lung_untreated", "--days", "2"]
#: the shipped posterior's parameter sets (its data rows)
SHIPPED = len(shipped_ensemble_path().read_text("utf-8").splitlines()) - 1


def test_members_runs_the_first_n_sets(tmp_path: Path) -> None:
    """Three members of the shipped posterior give the bands of a file of its first three rows."""
    lines = shipped_ensemble_path().read_text("utf-8").splitlines()
    first = tmp_path / "first3.tsv"
    first.write_text("\n".join(lines[:4]) + "\n", encoding="utf-8")
    runner = CliRunner()
    three = tmp_path / "three.csv"
    res = runner.invoke(
        app, [*ARGS, "--ensemble", "shipped", "--members", "3", "--out", str(three)]
    )
    assert res.exit_code == 0, res.output
    assert "bands of 3 runs (0 failed)" in res.output
    same = tmp_path / "same.csv"
    res = runner.invoke(app, [*ARGS, "--ensemble", str(first), "--out", str(same)])
    assert res.exit_code == 0, res.output
    assert three.read_bytes() == same.read_bytes()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--ensemble", "shipped", "--members", "0"], "error: --members must be >= 1, got 0"),
        (
            ["--ensemble", "shipped", "--members", str(SHIPPED + 1)],
            f"error: --members {SHIPPED + 1} asks for more parameter sets than the ensemble "
            f"holds ({SHIPPED}); allowed: 1-{SHIPPED}",
        ),
        (["--members", "3"], "error: --members selects ensemble members; it needs --ensemble"),
    ],
)
def test_a_bad_members_is_refused_and_nothing_written(
    tmp_path: Path, extra: list[str], message: str
) -> None:
    out = tmp_path / "bands.csv"
    res = CliRunner().invoke(app, [*ARGS, *extra, "--out", str(out)])
    assert res.exit_code == 2, res.output
    errors = [line for line in res.output.splitlines() if line.startswith("error:")]
    assert errors == [message], res.output
    assert not out.exists() and list(tmp_path.iterdir()) == []
