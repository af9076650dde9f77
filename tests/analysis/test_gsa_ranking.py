"""Global ranking of the physical-units model's parameters (shipped for `model stats`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from senotwin._errors import ValidationError
from senotwin.analysis import gsa_ranking
from senotwin.analysis.gsa_ranking import rank_parameters
from senotwin.model import describe
from senotwin.model.describe import spec_fingerprint, top_provenance, uncertain_parameters
from senotwin.model.qsp import load_qsp


def test_sampler_stays_in_bounds_log_uniform_when_positive() -> None:
    x = gsa_ranking._sample([(1e-3, 1e3), (0.0, 2.0)], 400, seed=1)
    assert x.shape == (400, 2)
    assert (x[:, 0] >= 1e-3).all() and (x[:, 0] <= 1e3).all()
    assert (x[:, 1] >= 0).all() and (x[:, 1] <= 2).all()
    # log-uniform: about half the samples below the geometric midpoint 1; uniform: below 1
    assert 0.4 < np.mean(x[:, 0] < 1.0) < 0.6 and 0.4 < np.mean(x[:, 1] < 1.0) < 0.6
    assert np.mean(x[:, 0] < 10.0) > 0.6  # far from uniform (which puts 99 % below 10)


@pytest.fixture(scope="module")
def small_ranking() -> gsa_ranking.GsaRanking:
    return rank_parameters("default", n=300, seed=4)


def test_ranking_covers_each_uncertain_parameter_once(
    small_ranking: gsa_ranking.GsaRanking,
) -> None:
    spec = load_qsp()
    table = small_ranking.table
    assert sorted(table["parameter"]) == sorted(p.id for p in uncertain_parameters(spec))
    assert list(table["rank"]) == list(range(1, len(table) + 1))
    assert np.all(np.diff(table["prcc"].abs().to_numpy()) <= 0)
    assert small_ranking.fingerprint == spec_fingerprint(spec)
    # proliferation dominates the 1-year lesion volume of the default scenario even in a small
    # design; the persistent inducer, which that scenario leaves off, is not sampled (sampling
    # it once made senescent-cell supply and fate look dominant: a persistent-stress regime)
    assert table["parameter"].iloc[0] == "k_grow"
    assert "stress_src" not in set(table["parameter"])


def test_written_ranking_is_what_model_stats_reads(
    small_ranking: gsa_ranking.GsaRanking, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "sasp_qsp.yaml"
    small_ranking.write(out, date="2026-01-02")
    from senotwin._yaml import read_yaml

    doc = read_yaml(out, what="ranking")
    assert doc["design"]["date"] == "2026-01-02" and doc["design"]["seed"] == 4
    assert doc["design"]["engine"] == "fast"  # the compiled RODAS4 engine, as shipped
    monkeypatch.setattr(describe, "gsa_ranking", lambda s: doc)
    top = top_provenance(load_qsp())
    assert top is not None and top["current"] is True
    listed = [q["id"] for q in top["parameters"]]  # type: ignore[union-attr]
    assert listed == list(small_ranking.table.head(30)["parameter"])


def test_bad_designs_name_the_problem() -> None:
    with pytest.raises(ValidationError, match="n must be >="):
        rank_parameters("default", n=5)
    with pytest.raises(ValidationError, match="no observable or species 'tumour_volume'"):
        rank_parameters("default", n=200, observable="tumour_volume")
