"""`score` and `sc` on the inputs of the session-42 user audit: annotations from --obs (M2),
--gene-sets selection, skipping and repeats (M3), Ensembl var_names and --gene-symbols (M4),
the gene-symbol hint per surface (L6), lower-case symbols (L7) and the scale message (L14)."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from senotwin.cli.app import app
from senotwin.sc.examples import example_adata, example_path
from senotwin.sc.signatures import get_signature

GENES = list(dict.fromkeys([*get_signature("fridman").genes[:40], *get_signature("sasp").genes]))
FIBRO = str(example_path("fibroblasts_marthandan2016.csv.gz"))
FIBRO_OBS = str(example_path("fibroblasts_marthandan2016_samples.csv"))


def _run(*args: object) -> object:
    return CliRunner().invoke(app, [str(a) for a in args])


def _counts(n: int = 8, genes: list[str] = GENES) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    counts = rng.poisson(3.0, size=(n, len(genes)))
    return pd.DataFrame(counts, index=[f"s{i}" for i in range(n)], columns=genes)


def _h5ad(tmp_path: Path, name: str) -> Path:
    adata = example_adata()
    path = tmp_path / name
    adata.write_h5ad(path)
    return path


# ---- M2: --obs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "extra"),
    [
        ("sasp-markers", ()),
        ("communication", ("--n-perm", "20")),
        ("call", ("--n-null", "10")),
    ],
)
def test_obs_table_gives_a_csv_the_groups_of_the_h5ad(tmp_path: Path, command, extra) -> None:
    """A CSV could never run sasp-markers/communication: --groupby needs annotations, a CSV has
    none ("--groupby 'condition' not in the observation annotations []")."""
    h5ad = _h5ad(tmp_path, "f.h5ad")
    key = "cell_type" if command == "call" else "condition"
    bare = _run("sc", command, FIBRO, "--groupby", key, "--out", tmp_path / "x.csv", *extra)
    assert bare.exit_code == 2
    assert "it has none (a CSV/TSV carries none)" in bare.stderr
    assert "--obs FILE" in bare.stderr
    via_obs = tmp_path / "obs.csv"
    via_h5ad = tmp_path / "h5ad.csv"
    args = ("--groupby", key, *extra)
    r = _run("sc", command, FIBRO, "--obs", FIBRO_OBS, "--out", via_obs, *args)
    assert r.exit_code == 0, r.output
    assert "annotations from fibroblasts_marthandan2016_samples.csv" in r.stderr
    r = _run("sc", command, h5ad, "--out", via_h5ad, *args)
    assert r.exit_code == 0, r.output
    pd.testing.assert_frame_equal(pd.read_csv(via_obs), pd.read_csv(via_h5ad))


def test_a_group_label_left_empty_is_named(tmp_path: Path) -> None:
    """A missing --groupby label (NaN) became a group of its own that never equals itself."""
    obs = pd.read_csv(FIBRO_OBS)
    obs.loc[obs.index[:2], "condition"] = np.nan
    holes = tmp_path / "holes.csv"
    obs.to_csv(holes, index=False)
    out = tmp_path / "m.csv"
    r = _run("sc", "sasp-markers", FIBRO, "--obs", holes, "--groupby", "condition", "--out", out)
    assert r.exit_code == 2 and not out.exists()
    assert "--groupby 'condition': 2 of 12 observations have no label" in r.stderr


def test_obs_table_ids_must_match(tmp_path: Path) -> None:
    obs = pd.read_csv(FIBRO_OBS)
    short = tmp_path / "short.csv"
    obs.iloc[2:].to_csv(short, index=False)
    out = tmp_path / "m.csv"
    r = _run("sc", "sasp-markers", FIBRO, "--obs", short, "--groupby", "condition", "--out", out)
    assert r.exit_code == 2 and not out.exists()
    assert "annotation file (--obs)" in r.stderr
    assert "2 of 12 samples/cells of fibroblasts_marthandan2016.csv.gz have no row" in r.stderr
    other = tmp_path / "other.csv"
    obs.assign(sample=[f"x{i}" for i in range(len(obs))]).to_csv(other, index=False)
    r = _run("sc", "sasp-markers", FIBRO, "--obs", other, "--groupby", "condition", "--out", out)
    assert r.exit_code == 2 and "none matched: is the first column the sample names?" in r.stderr
    h5ad = _h5ad(tmp_path, "f.h5ad")
    r = _run("sc", "sasp-markers", h5ad, "--groupby", "kind", "--out", out)
    assert r.exit_code == 2
    assert "its annotations are ['condition', 'cell_type']" in r.stderr


def test_annotation_columns_in_the_expression_point_to_obs(tmp_path: Path) -> None:
    frame = pd.read_csv(FIBRO, index_col=0).T.join(pd.read_csv(FIBRO_OBS, index_col=0))
    path = tmp_path / "with_condition.csv"
    frame.to_csv(path)
    r = _run("sc", "call", path, "--out", tmp_path / "c.csv")
    assert r.exit_code == 2
    assert "non-numeric values for genes ['condition', 'cell_type']" in r.stderr
    assert "these look like sample annotations, not genes" in r.stderr
    assert "given with --obs" in r.stderr


# ---- M3: --gene-sets --------------------------------------------------------------------------


def _gmt(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sets.gmt"
    path.write_text(text)
    return path


GOOD = "GOOD\tfive\t" + "\t".join(GENES[:5]) + "\n"
TINY = f"TINY\tone present\t{GENES[0]}\tNOTAGENE1\tNOTAGENE2\n"


def test_gene_sets_keep_the_defaults_and_s_picks_file_sets(tmp_path: Path) -> None:
    """--gene-sets dropped senescence/sasp, and -s could not name a set of the file."""
    expr = tmp_path / "x.csv"
    genes = list(dict.fromkeys([*GENES, *get_signature("cellage_meta").genes[:300]]))
    _counts(genes=genes).T.to_csv(expr)
    gmt = _gmt(tmp_path, GOOD + "OTHER\tfive\t" + "\t".join(GENES[5:10]) + "\n")
    plain, both, picked = (tmp_path / n for n in ("plain.csv", "both.csv", "picked.csv"))
    assert _run("score", expr, "--out", plain, "-s", "fridman", "-s", "sasp").exit_code == 0
    r = _run("score", expr, "--out", both, "-s", "fridman", "-s", "sasp", "--gene-sets", gmt)
    assert r.exit_code == 0, r.output
    table = pd.read_csv(both, index_col=0)
    assert list(table.columns) == ["fridman", "sasp", "GOOD", "OTHER"]
    # the built-in scores do not move when a file's sets are scored beside them
    pd.testing.assert_frame_equal(table[["fridman", "sasp"]], pd.read_csv(plain, index_col=0))
    r = _run("score", expr, "--out", both, "--gene-sets", gmt)
    assert list(pd.read_csv(both, index_col=0).columns) == ["senescence", "sasp", "GOOD", "OTHER"]
    r = _run("score", expr, "--out", picked, "-s", "GOOD", "--gene-sets", gmt)
    assert r.exit_code == 0, r.output
    assert list(pd.read_csv(picked, index_col=0).columns) == ["GOOD"]
    r = _run("score", expr, "--out", picked, "-s", "GOD", "--gene-sets", gmt)
    assert r.exit_code == 2
    assert "unknown signature 'GOD': not a set of sets.gmt (GOOD, OTHER) nor a built-in" in (
        r.stderr
    )
    # the 40 built-in names are counted, not printed on the line (audit s48)
    assert "signature (40 known; `senotwin sc signatures` lists them)" in r.stderr


def test_a_file_set_named_like_a_builtin_is_scored_with_a_warning_with_or_without_s(
    tmp_path: Path,
) -> None:
    """-s fridman with a --gene-sets file that has a set 'fridman' scored the file's set under
    the built-in's name without a word (without -s the same clash was already said)."""
    expr = tmp_path / "x.csv"
    _counts().to_csv(expr)
    gmt = _gmt(tmp_path, GOOD.replace("GOOD", "fridman") + GOOD)
    out, own = tmp_path / "o.csv", tmp_path / "own.csv"
    r = _run("score", expr, "--out", out, "-s", "fridman", "-s", "GOOD", "--gene-sets", gmt)
    assert r.exit_code == 0, r.output
    assert (
        "warning: sets.gmt: set(s) ['fridman'] have the name of a built-in signature; the "
        "file's set is scored under that name (rename it in the file to score the built-in)"
    ) in r.stderr
    assert "fridman: 5 of 5 genes found" in r.stderr  # the file's five genes, not the built-in's
    assert _run("score", expr, "--out", own, "-s", "GOOD", "--gene-sets", gmt).exit_code == 0
    scored = pd.read_csv(out, index_col=0)
    np.testing.assert_allclose(scored["fridman"], pd.read_csv(own, index_col=0)["GOOD"])
    r = _run(
        "score", expr, "--out", out, "--gene-sets", _gmt(tmp_path, GOOD.replace("GOOD", "sasp"))
    )
    assert "set(s) ['sasp'] have the name of a built-in default signature" in r.stderr
    r = _run("score", expr, "--out", out, "-s", "GOOD", "--gene-sets", gmt)
    assert "warning" not in r.stderr  # a set that shadows nothing picked: nothing to say


def test_a_short_set_is_skipped_and_only_none_left_fails(tmp_path: Path) -> None:
    """One set with too few genes present stopped the whole run."""
    expr = tmp_path / "x.csv"
    _counts().to_csv(expr)
    out = tmp_path / "o.csv"
    r = _run("score", expr, "--out", out, "-s", "sasp", "--gene-sets", _gmt(tmp_path, GOOD + TINY))
    assert r.exit_code == 0, r.output
    assert "warning: TINY not scored: 1 of 3 genes found (need >= 3)" in r.stderr
    assert list(pd.read_csv(out, index_col=0).columns) == ["sasp", "GOOD"]
    # a composite with a short part is left out whole, named with the part
    r = _run("score", expr, "--out", out, "-s", "senescence", "-s", "sasp")
    assert r.exit_code == 0, r.output
    assert "warning: senescence not scored: its part hernandez_segura: " in r.stderr
    out.unlink()
    r = _run("score", expr, "--out", out, "-s", "GOOD", "-s", "TINY", "--gene-sets",
             _gmt(tmp_path, TINY + GOOD.replace("\t".join(GENES[:5]), "A\tB\tC")))  # fmt: skip
    assert r.exit_code == 2 and not out.exists()
    assert "too few signature genes in the data (need >= 3): GOOD: 0 of 3" in r.stderr


def test_repeated_genes_in_a_gmt_are_used_once_with_a_warning(tmp_path: Path) -> None:
    """husi_50_signatures.gmt was refused: "signature 'SASP': duplicated genes [...]", naming
    neither the file nor the line."""
    expr = tmp_path / "x.csv"
    _counts().to_csv(expr)
    g = GENES
    gmt = _gmt(tmp_path, f"# sets\nDUP\td\t{g[0]}\t{g[1]}\t{g[0]}\t{g[2]}\t{g[1]}\n")
    out = tmp_path / "o.csv"
    r = _run("score", expr, "--out", out, "-s", "DUP", "--gene-sets", gmt)
    assert r.exit_code == 0, r.output
    assert (
        f"warning: sets.gmt (line 2): gene set 'DUP' lists 2 gene(s) more than once "
        f"({g[0]}, {g[1]}); each is used once"
    ) in r.stderr
    assert "DUP: 3 of 3 genes found" in r.stderr


def test_gene_sets_help_documents_both_formats() -> None:
    text = " ".join(_run("score", "--help").stdout.replace("│", " ").split())
    for part in ("set, gene", "direction (up/down)", "weight", ".gmt", "GENE,weight"):
        assert part in text, part
    assert "Without -s: senescence, sasp and every --gene-sets set" in text


# ---- M4: Ensembl var_names --------------------------------------------------------------------


def _ensembl(tmp_path: Path, name: str, **columns: list[str]) -> Path:
    adata = example_adata()
    symbols = list(adata.var_names)
    adata.var_names = [f"ENSG{i:011d}" for i in range(adata.n_vars)]
    for col, values in columns.items():
        adata.var[col] = values or symbols
    path = tmp_path / name
    adata.write_h5ad(path)
    return path


def test_ensembl_var_names_use_the_symbol_column(tmp_path: Path) -> None:
    """Ensembl var_names were refused as 'too few signature genes ... Check gene symbols' and
    no option named the var column of symbols."""
    ref = tmp_path / "ref.csv"
    assert _run("score", _h5ad(tmp_path, "f.h5ad"), "--out", ref).exit_code == 0
    one = _ensembl(tmp_path, "one.h5ad", feature_name=[])
    out = tmp_path / "o.csv"
    r = _run("score", one, "--out", out)
    assert r.exit_code == 0, r.output
    assert "var_names are not gene symbols; gene symbols taken from var['feature_name']" in (
        r.stderr
    )
    pd.testing.assert_frame_equal(pd.read_csv(out), pd.read_csv(ref))
    two = _ensembl(tmp_path, "two.h5ad", feature_name=[], gene_symbols=[])
    r = _run("score", two, "--out", out)
    assert r.exit_code == 2
    assert "var_names look like Ensembl gene ids (first: ['ENSG00000000000'" in r.stderr
    assert "'feature_name' (2401 symbols), 'gene_symbols' (2401 symbols)" in r.stderr
    assert "--gene-symbols COLUMN" in r.stderr and "Check gene symbols" not in r.stderr
    r = _run("score", two, "--out", out, "--gene-symbols", "gene_symbols")
    assert r.exit_code == 0, r.output
    pd.testing.assert_frame_equal(pd.read_csv(out), pd.read_csv(ref))
    r = _run("sc", "call", two, "--out", tmp_path / "c.csv", "--gene-symbols", "feature_name")
    assert r.exit_code == 0, r.output
    r = _run("score", two, "--out", out, "--gene-symbols", "nope")
    assert r.exit_code == 2
    assert "--gene-symbols 'nope' is not a var column of two.h5ad; var columns: " in r.stderr
    r = _run("score", FIBRO, "--out", out, "--gene-symbols", "feature_name")
    assert r.exit_code == 2 and "--gene-symbols applies to .h5ad input only" in r.stderr


@pytest.mark.parametrize(
    "command",
    [
        ("stratify",),
        ("twin", "from-sample", "--sample", "SRR1660534", "--days", "5"),
    ],
    ids=["stratify", "twin"],
)
def test_twin_and_stratify_take_the_symbol_column_like_score(tmp_path: Path, command) -> None:
    """Both refused an .h5ad with Ensembl var_names by telling the user to name the column with
    --gene-symbols COLUMN, an option they did not have."""
    ref, out = tmp_path / "ref.csv", tmp_path / "o.csv"
    r = _run(*command, _h5ad(tmp_path, "f.h5ad"), "--out", ref)
    assert r.exit_code == 0, r.output
    two = _ensembl(tmp_path, "two.h5ad", feature_name=[], gene_symbols=[])
    r = _run(*command, two, "--out", out)
    assert r.exit_code == 2 and "--gene-symbols COLUMN" in r.stderr
    r = _run(*command, two, "--out", out, "--gene-symbols", "gene_symbols")
    assert r.exit_code == 0, r.output
    pd.testing.assert_frame_equal(pd.read_csv(out), pd.read_csv(ref))
    out.unlink()
    r = _run(*command, two, "--out", out, "--gene-symbols", "nope")
    assert r.exit_code == 2 and not out.exists()
    assert "--gene-symbols 'nope' is not a var column of two.h5ad; var columns: " in r.stderr
    r = _run(*command, FIBRO, "--out", out, "--gene-symbols", "feature_name")
    assert r.exit_code == 2 and "--gene-symbols applies to .h5ad input only" in r.stderr


def test_twin_refuses_gene_symbols_with_a_score_table(tmp_path: Path) -> None:
    scores = tmp_path / "s.csv"
    scores.write_text("sample,tme_cd8_t_cells\nA,1.0\nB,2.0\n")
    r = _run(
        "twin", "from-sample", scores, "--scores", "--sample", "A", "--out",
        tmp_path / "t.csv", "--gene-symbols", "feature_name",
    )  # fmt: skip
    assert r.exit_code == 2 and "with --scores INPUT is a score table" in r.output


def test_ensembl_without_symbols_and_a_transposed_h5ad_are_named(tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    r = _run("score", _ensembl(tmp_path, "bare.h5ad"), "--out", out)
    assert r.exit_code == 2
    assert "var_names look like Ensembl gene ids" in r.stderr
    assert "no var column holds any (var columns: [])" in r.stderr
    path = tmp_path / "t.h5ad"
    example_adata().T.write_h5ad(path)
    r = _run("score", path, "--out", out)
    assert r.exit_code == 2
    assert "var_names do not look like gene symbols (first: ['SRR" in r.stderr
    assert "the file looks genes × cells, and AnnData keeps cells × genes" in r.stderr


def test_repeated_or_missing_symbols_keep_their_var_name(tmp_path: Path) -> None:
    genes = ["CDKN1A", "CDKN1A", "", "IL6", "CXCL8", "TP53"]
    adata = ad.AnnData(
        X=np.random.default_rng(0).poisson(3.0, (6, 6)).astype(float),
        var=pd.DataFrame({"sym": genes}, index=[f"ENSG{i:011d}" for i in range(6)]),
    )
    adata.obs_names = [f"c{i}" for i in range(6)]
    from senotwin.sc.io import expression_from_anndata

    expr = expression_from_anndata(adata, "x.h5ad", None, gene_symbols="sym")
    assert expr.genes == ["CDKN1A", "ENSG00000000001", "ENSG00000000002", "IL6", "CXCL8", "TP53"]
    assert any("1 gene(s) without a symbol and 1 repeat(s)" in m for m in expr.messages)


# ---- L6 / L7 / L14 ----------------------------------------------------------------------------


def test_symbol_hint_is_worded_for_the_cli_and_never_repeats_the_species(tmp_path: Path) -> None:
    """The CLI said "use species='mouse'" (Python), also when --species mouse was given."""
    human = tmp_path / "human.csv"
    _counts().to_csv(human)
    mouse = tmp_path / "mouse.csv"
    _counts().rename(columns=lambda g: g[0] + g[1:].lower()).to_csv(mouse)
    out = tmp_path / "o.csv"
    r = _run("score", human, "--out", out, "--species", "mouse")
    assert r.exit_code == 2
    assert "look like human (HGNC) symbols (e.g. CDKN1A): use --species human" in r.stderr
    assert "species=" not in r.stderr and "--species mouse" not in r.stderr
    r = _run("score", mouse, "--out", out)
    assert r.exit_code == 2
    assert "look like mouse (MGI) symbols (e.g. Cdkn1a): use --species mouse." in r.stderr
    assert "species=" not in r.stderr


def test_lower_case_symbols_score_as_their_upper_case(tmp_path: Path) -> None:
    """Lower-case human symbols passed the orientation check, then matched 0 signature genes."""
    upper, lower = tmp_path / "upper.csv", tmp_path / "lower.csv"
    _counts().T.to_csv(upper)
    _counts().T.rename(index=str.lower).to_csv(lower)
    out_u, out_l = tmp_path / "u.csv", tmp_path / "l.csv"
    r = _run("score", upper, "--out", out_u, "-s", "fridman", "-s", "sasp")
    assert r.exit_code == 0 and "ignoring case" not in r.stderr
    r = _run("score", lower, "--out", out_l, "-s", "fridman", "-s", "sasp")
    assert r.exit_code == 0, r.output
    assert "signature gene(s) matched ignoring case (e.g. " in r.stderr
    pd.testing.assert_frame_equal(pd.read_csv(out_l), pd.read_csv(out_u))


def test_scale_message_states_the_rule_and_the_maximum(tmp_path: Path) -> None:
    """It read "non-integer values up to >50 look linear-scale"."""
    linear, logged = tmp_path / "lin.csv", tmp_path / "log.csv"
    (_counts() * 10.5).to_csv(linear)
    np.log1p(_counts() + 0.5).to_csv(logged)
    out = tmp_path / "o.csv"
    r = _run("score", linear, "--out", out, *("-s", "sasp"))
    top = float((_counts() * 10.5).to_numpy().max())
    assert f"values are not integers and reach {top:,.1f} (above 50): read as linear-scale" in (
        r.stderr
    )
    r = _run("score", logged, "--out", out, *("-s", "sasp"))
    top = float(np.log1p(_counts() + 0.5).to_numpy().max())
    assert (
        f"values are not integers and reach only {top:.3g} (at most 50): read as log-normalised "
        "and used as is"
    ) in r.stderr
