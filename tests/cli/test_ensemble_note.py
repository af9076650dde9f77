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
