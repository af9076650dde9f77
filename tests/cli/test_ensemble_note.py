"""CLI: `--ensemble` given the shipped liu2019 posterior says on stderr when it is stale."""

from __future__ import annotations

import pytest

from senotwin.calibrate.sample import shipped_ensemble_path
from senotwin.cli._common import ensemble_note


@pytest.mark.parametrize("stale", ["drawn on an earlier model", ""])
def test_shipped_ensemble_says_whether_it_is_stale(monkeypatch, capsys, stale):
    monkeypatch.setattr("senotwin.trial.run.posterior_staleness", lambda: stale)
    ensemble_note(shipped_ensemble_path())
    err = capsys.readouterr().err
    assert (f"note: {stale}" in err) if stale else err == ""


def test_other_ensembles_get_no_note(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr("senotwin.trial.run.posterior_staleness", lambda: "stale")
    own = tmp_path / "ensemble.tsv"
    own.write_text("k_kill\n1.0\n")
    ensemble_note(own)
    assert capsys.readouterr().err == ""


def test_the_word_shipped_names_the_packages_posterior(tmp_path, monkeypatch):
    """`--ensemble shipped` reaches the package's liu2019 posterior from anywhere (an installed
    senotwin has no src/ path to give); ./shipped stays a path, and a missing one is refused."""
    from typer.testing import CliRunner

    from senotwin.cli._common import ensemble_path
    from senotwin.cli.app import app

    assert ensemble_path("shipped") == shipped_ensemble_path()
    assert ensemble_path("./shipped").name == "shipped"
    assert ensemble_path("./shipped") != shipped_ensemble_path()
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "bands.csv"
    args = ["simulate", "--scenario", "aged_lung_untreated", "--days", "2", "--out", str(out)]
    res = CliRunner().invoke(app, [*args, "--ensemble", "shipped"])
    assert res.exit_code == 0, res.output
    assert f"bands of {len(read_shipped_rows())} runs" in res.output
    assert "N_ag.centre" in res.output  # the melanoma population columns, listed as ignored
    res = CliRunner().invoke(app, [*args, "--ensemble", "./shipped"])
    assert res.exit_code != 0 and "'shipped' does not exist" in res.output


def read_shipped_rows() -> list[str]:
    """The shipped posterior's data rows."""
    return shipped_ensemble_path().read_text("utf-8").splitlines()[1:]
