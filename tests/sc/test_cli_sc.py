"""CLI: score with orientation detection and count normalisation; signatures listing; markers."""

from __future__ import annotations

import json

import anndata as ad
import numpy as np
import pandas as pd
from typer.testing import CliRunner

from senotwin.cli.app import app
from senotwin.sc.signatures import get_signature


def test_score_csv_counts_both_orientations(tmp_path) -> None:
    rng = np.random.default_rng(0)
    fr = get_signature("fridman").genes[:40]
    genes = list(dict.fromkeys([*fr, *get_signature("sasp").genes]))
    counts = rng.poisson(3.0, size=(8, len(genes)))
    df = pd.DataFrame(counts, index=[f"s{i}" for i in range(8)], columns=genes)
    runner = CliRunner()
    for orient, frame in [("samples × genes", df), ("genes × samples", df.T)]:
        path = tmp_path / "x.csv"
        frame.to_csv(path)
        out = tmp_path / "scores.csv"
        r = runner.invoke(
            app, ["score", str(path), "--out", str(out), "-s", "fridman", "-s", "sasp"]
        )
        assert r.exit_code == 0, r.output
        assert f"detected {orient}" in r.output
        assert "integer counts detected" in r.output
        n_fr = len(set(genes) & set(get_signature("fridman").genes))
        assert f"fridman: {n_fr} of 90 genes found" in r.output
        table = pd.read_csv(out, index_col=0)
        assert list(table.columns) == ["fridman", "sasp"] and len(table) == 8


def test_signatures_json_and_markers(tmp_path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["sc", "signatures", "--json"])
    assert r.exit_code == 0
    names = {d["name"] for d in json.loads(r.stdout)}
    assert {"senescence", "sasp", "senmayo", "tme_caf"} <= names
    # a composite lists its components (it printed 'senescence  0 genes (0 up, 0 down)')
    text = runner.invoke(app, ["sc", "signatures"]).stdout
    (line,) = [x for x in text.splitlines() if x.startswith("senescence ")]
    assert "mean of fridman, hernandez_segura, cellage_meta, senmayo" in line
    assert "0 genes" not in line
    rng = np.random.default_rng(1)
    genes = list(get_signature("sasp").genes)
    x = np.log1p(rng.poisson(1.0, size=(20, len(genes)))).astype(np.float32)
    a = ad.AnnData(X=x, var=pd.DataFrame(index=genes))
    a.obs["ct"] = ["A"] * 10 + ["B"] * 10
    a.obs_names = [f"c{i}" for i in range(20)]
    a.write_h5ad(tmp_path / "a.h5ad")
    out = tmp_path / "m.tsv"
    r = runner.invoke(
        app, ["sc", "sasp-markers", str(tmp_path / "a.h5ad"), "--groupby", "ct", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    t = pd.read_csv(out, sep="\t")
    assert set(t.group) == {"A", "B"} and len(t) == 2 * len(genes)


def test_call_markers_and_communication_say_how_many_genes_they_read(tmp_path) -> None:
    """`score` prints each signature's genes found; `sc call`, `sc sasp-markers` and `sc
    communication` left genes and pairs out of the data silently."""
    from senotwin.sc.examples import write_examples

    write_examples(tmp_path)
    expr = str(tmp_path / "fibroblasts.csv.gz")
    obs = ["--obs", str(tmp_path / "fibroblasts_samples.csv"), "--groupby", "condition"]
    runner = CliRunner()
    r = runner.invoke(app, ["sc", "call", expr, "--out", str(tmp_path / "c.csv"), "--n-null", "10"])
    assert r.exit_code == 0, r.output
    n_sasp = len(get_signature("hallmark_sasp").genes)
    assert f"of {n_sasp} genes found" in r.output and "hallmark_arrest: " in r.output
    r = runner.invoke(app, ["sc", "sasp-markers", expr, *obs, "--out", str(tmp_path / "m.csv")])
    assert r.exit_code == 0, r.output
    n_found = pd.read_csv(tmp_path / "m.csv")["gene"].nunique()
    assert f"sasp: {n_found} of {len(get_signature('sasp').genes)} genes found" in r.output
    args = ["sc", "communication", expr, *obs, "--out", str(tmp_path / "cm.csv"), "--n-perm", "9"]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    pairs = pd.read_csv(tmp_path / "cm.csv")[["ligand", "receptor"]].drop_duplicates()
    assert f"{len(pairs)} of " in r.output and "ligand-receptor pairs scored" in r.output
