"""Shipped example transcriptomes: present, annotated, and usable by the documented commands."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from senotwin._errors import ValidationError
from senotwin.cli import app
from senotwin.sc.examples import (
    SHIPPED,
    example_adata,
    example_path,
    fibroblast_samples,
    survival_table,
)
from senotwin.sc.io import prepare, read_expression
from senotwin.sc.scoring import score_matrix


def test_every_shipped_file_exists_and_unknown_names_are_refused() -> None:
    for name in SHIPPED:
        assert example_path(name).is_file()
    with pytest.raises(ValidationError, match=r"no example file 'x\.csv' \(shipped: "):
        example_path("x.csv")


def test_example_path_takes_the_names_readme_and_sc_example_use(tmp_path: Path) -> None:
    """README lists what `senotwin sc example` writes (fibroblasts.csv.gz, ...) and says
    example_path(NAME) returns the shipped files; those names were refused ("no example file
    'fibroblasts.csv.gz'"), as only the package's own names were known (audit s51)."""
    runner = CliRunner()
    assert runner.invoke(app, ["sc", "example", "--out", str(tmp_path)]).exit_code == 0
    for name in ("fibroblasts.csv.gz", "fibroblasts_samples.csv", "tcga_expression.csv.gz"):
        assert example_path(name).read_bytes() == (tmp_path / name).read_bytes()
    with pytest.raises(ValidationError, match=r"built by `senotwin sc example`.*survival_table"):
        example_path("tcga_survival.csv")
    with pytest.raises(ValidationError, match=r"did you mean 'fibroblasts\.csv\.gz'"):
        example_path("fibroblast.csv.gz")


def test_fibroblast_senescence_score_separates_the_conditions() -> None:
    expr = prepare(read_expression(example_path("fibroblasts_marthandan2016.csv.gz")))
    scores = score_matrix(expr.x, expr.genes, ["senescence"], obs_names=expr.obs_names).scores
    cond = fibroblast_samples().set_index("sample")["condition"]
    sen = scores.loc[cond[cond == "senescent"].index, "senescence"]
    pro = scores.loc[cond[cond == "proliferating"].index, "senescence"]
    assert len(sen) == len(pro) == 6
    assert sen.mean() > pro.mean()


def test_adata_carries_the_annotations() -> None:
    adata = example_adata()
    assert adata.n_obs == 12 and set(adata.obs["condition"]) == {"senescent", "proliferating"}
    assert (adata.obs["cell_type"] == "fibroblast").all()


def test_survival_table_has_time_event_and_scores() -> None:
    table = survival_table()
    assert {"sample", "cancer_type", "os_days", "death", "senescence", "sasp"} <= set(table)
    assert set(table["death"]) <= {0, 1} and (table["os_days"] >= 0).all()
    assert np.isfinite(table["senescence"]).all() and len(table) > 100


def test_cli_example_writes_inputs_the_readme_commands_take(tmp_path: Path) -> None:
    out = tmp_path / "examples"
    res = CliRunner().invoke(app, ["sc", "example", "--out", str(out)])
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "fibroblasts.csv.gz",
        "fibroblasts.h5ad",
        "fibroblasts_samples.csv",
        "tcga_expression.csv.gz",
        "tcga_survival.csv",
    ]
    assert "Marthandan" in res.stderr
    cox = tmp_path / "cox.csv"
    res = CliRunner().invoke(
        app,
        ["sc", "survival", str(out / "tcga_survival.csv"), "--time", "os_days", "--event",
         "death", "--score", "senescence", "--out", str(cox)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert list(pd.read_csv(cox)["score"]) == ["senescence"]
