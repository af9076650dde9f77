"""The shipped posterior ensemble (calibrate/data/ensembles/liu2019_posterior): it loads, its
applied columns are parameters of the qsp model inside their declared ranges, the other
columns are the liu2019 fit's population quantities, and its provenance is complete."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from senotwin._errors import ValidationError
from senotwin.analysis.validation import load_ensemble
from senotwin.calibrate.sample import (
    PROVENANCE_KEYS,
    ShippedEnsemble,
    read_ensemble_with_provenance,
    shipped_ensemble,
    shipped_ensemble_path,
)
from senotwin.model.qsp import load_qsp
from senotwin.trial.ici_fit import ICI_PARAMETERS


@pytest.fixture(scope="module")
def shipped() -> ShippedEnsemble:
    return shipped_ensemble()


def test_columns_are_model_parameters_or_the_fits_population_quantities(
    shipped: ShippedEnsemble,
) -> None:
    spec = load_qsp()
    fitted = {p.id: p for p in ICI_PARAMETERS}
    table, cols = shipped.table, shipped.provenance["columns"]
    assert len(table) >= 50
    applied = [c for c in table.columns if cols[c]["applied_by_ensemble_consumers"]]
    assert {"k_kill", "n_reinv", "s_il8_C"} <= set(applied)
    for c in table.columns:
        v = table[c].to_numpy(dtype=float)
        assert np.isfinite(v).all(), c
        if c in applied:
            assert c in spec.parameter_ids, f"{c} is applied but is not a qsp parameter"
            lo, hi = spec.parameter(c).range
            assert ((v >= lo) & (v <= hi)).all(), f"{c} outside its declared range"
        else:
            assert c not in spec.parameter_ids
            assert c.split(".")[0] in spec.parameter_ids, c
        src = cols[c]["fitted_as"]
        if src in fitted:  # a liu2019 draw: inside the fit's bounds
            p = fitted[src]
            assert ((v >= p.lower * (1 - 1e-9)) & (v <= p.upper * (1 + 1e-9))).all(), c
    # every column is a draw of the liu2019 fit or the independent s_il8_C; the sampled set is
    # the provenance's optimum less the quantities held at the fit's value (--fix), which the
    # model carries, so every row runs them at that value (a later refit that adds a quantity
    # leaves the ensemble valid but without it: the model's value is then used, and
    # docs/calibration.md says so)
    sources = {cols[c]["fitted_as"] for c in table.columns}
    held = dict(shipped.provenance.get("fixed") or {})
    assert sources - {"s_il8_C"} <= set(fitted)
    assert sources - {"s_il8_C"} == set(shipped.provenance["optimum"]) - set(held)
    for pid, value in held.items():
        assert spec.parameter(pid.split(".")[0]).value == pytest.approx(value, rel=1e-9), pid
        assert shipped.provenance["optimum"][pid] == pytest.approx(value, rel=1e-9), pid
    # the draws differ (a chain that never moved is not a posterior)
    assert table["k_kill"].nunique() > 10


def test_provenance_is_complete(shipped: ShippedEnsemble) -> None:
    prov = shipped.provenance
    assert prov["problem"] == "liu2019"
    assert prov["n"] == len(shipped.table)
    assert 0.0 < prov["acceptance"] < 1.0
    assert set(prov["effective_sample_size"]) == set(prov["optimum"]) - set(prov.get("fixed") or {})
    assert "senotwin.calibrate.sample." in prov["sampler"]  # which sampler drew it
    assert prov["s_il8_C"]["dataset"].startswith("cohen2018_plasma")
    text = json.dumps(prov)
    assert "/work/" not in text and "/tmp/" not in text


def test_validate_reads_it_and_ignores_only_the_population_columns(
    shipped: ShippedEnsemble,
) -> None:
    ens = load_ensemble(shipped_ensemble_path(), load_qsp())
    cols = shipped.provenance["columns"]
    assert set(ens.ignored) == {c for c in cols if not cols[c]["applied_by_ensemble_consumers"]}
    assert len(ens.sets) == len(shipped.table)


@pytest.mark.parametrize("damage", ["drop_key", "drop_json", "extra_row"])
def test_loader_refuses_an_ensemble_without_its_provenance(tmp_path: Path, damage: str) -> None:
    src = shipped_ensemble_path()
    tsv = tmp_path / src.name
    shutil.copy(src, tsv)
    record = json.loads(src.with_suffix(".json").read_text("utf-8"))
    if damage == "drop_key":
        del record[PROVENANCE_KEYS[0]]
    if damage == "extra_row":
        tsv.write_text(tsv.read_text("utf-8") + tsv.read_text("utf-8").splitlines()[-1] + "\n")
    if damage != "drop_json":
        tsv.with_suffix(".json").write_text(json.dumps(record))
    with pytest.raises(ValidationError, match=r"provenance|rows"):
        read_ensemble_with_provenance(tsv)
