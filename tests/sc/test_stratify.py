"""stratify on synthetic cohorts: outputs, scale detection, uncertainty, bad inputs, CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from typer.testing import CliRunner

from senotwin._errors import ValidationError
from senotwin.cli.app import app
from senotwin.sc.stratify import (
    PROGRAMMES,
    STRATEGIES,
    best_strategy_index,
    config,
    normalise_bulk,
    programme_table,
    programmes,
    stratify,
    stratify_frame,
)


def _programme_genes() -> list[str]:
    out: list[str] = []
    for p in programmes().values():
        for _, genes, _ in p.components:
            out.extend(g for g in genes if g not in out)
    return out


def make_cohort(n: int = 40, n_other: int = 600, seed: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    """Counts with a planted 'hot' half: immune and stimulatory genes up, suppressive genes down."""
    rng = np.random.default_rng(seed)
    genes = _programme_genes() + [f"BG{i}" for i in range(n_other)]
    mu = rng.lognormal(3.0, 1.0, size=len(genes))
    hot = np.arange(n) < n // 2
    up = set(programmes()["immune_infiltration"].components[0][1]) | set(
        programmes()["sasp_stimulatory"].components[0][1]
    )
    down = set(programmes()["sasp_suppressive"].components[0][1])
    effect = np.array([2.0 if g in up else 0.5 if g in down else 1.0 for g in genes])
    rate = mu * np.where(hot[:, None], effect[None, :], 1.0) * rng.lognormal(0, 0.3, (n, 1))
    counts = rng.poisson(rng.gamma(4.0, rate / 4.0))
    df = pd.DataFrame(counts, index=[f"S{i}" for i in range(n)], columns=genes)
    return df, hot


def test_outputs_columns_and_planted_signal() -> None:
    df, hot = make_cohort()
    res = stratify_frame(df)
    pred = res.predictions
    for col in ("ici_benefit", *PROGRAMMES, *(f"benefit_{s}" for s in STRATEGIES)):
        assert col in pred and f"{col}_sd" in pred
        assert (pred[f"{col}_sd"] >= 0).all()
    assert set(pred["best_strategy"]) <= set(STRATEGIES)
    assert pred.loc[hot, "ici_benefit"].min() > pred.loc[~hot, "ici_benefit"].max()
    assert pred.loc[hot, "sasp_suppressive"].mean() < pred.loc[~hot, "sasp_suppressive"].mean()
    assert "integer counts detected" in res.messages[0]
    # evidence names the programmes and genes behind the call
    ev = pred["evidence"].iloc[0]
    assert "immune_infiltration" in ev or "sasp_" in ev
    assert "[" in ev and "]" in ev
    assert res.coverage.loc["sasp_stimulatory", "scored"]


def test_uncertainty_is_gene_bootstrap_and_seeded() -> None:
    df, _ = make_cohort(n=20)
    a = stratify_frame(df, seed=1).predictions
    b = stratify_frame(df, seed=1).predictions
    c = stratify_frame(df, seed=2).predictions
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["ici_benefit_sd"], c["ici_benefit_sd"])
    assert np.allclose(a["ici_benefit"], c["ici_benefit"])  # point estimates do not resample


def test_strategy_rule_follows_the_sasp_axes() -> None:
    df, _ = make_cohort()
    pred = stratify_frame(df).predictions
    gain = pred["benefit_senomorphic_ici"] - pred["benefit_ici_alone"]
    # a senomorphic helps where the suppressive SASP is high and the stimulatory one is not
    hi_supp = (pred["sasp_suppressive"] > 0.5) & (pred["sasp_stimulatory"] <= 0)
    hi_stim = (pred["sasp_stimulatory"] > 0.5) & (pred["sasp_suppressive"] <= 0)
    assert (gain[hi_supp] > 0).all() and (gain[hi_stim] < 0).all()
    assert np.allclose(pred["benefit_ici_alone"], pred["ici_benefit"])


@pytest.mark.parametrize(
    ("transform", "expect"),
    [
        (lambda c: c, "integer counts"),
        (lambda c: c / c.sum(axis=1, keepdims=True) * 1e6 + 0.5, "linear values"),
        (lambda c: np.log2(c / c.sum(axis=1, keepdims=True) * 1e6 + 0.001), "small pseudo-count"),
        (lambda c: np.log2(c + 1.0), "log-scale values"),
        (
            lambda c: (np.log2(c + 1.0) - np.log2(c + 1.0).mean(0)) / np.log2(c + 1.0).std(0),
            "z-scored",
        ),
    ],
)
def test_scale_detection_keeps_the_ranking(transform, expect) -> None:
    df, _ = make_cohort()
    counts = df.to_numpy(dtype=float)
    _, msg = normalise_bulk(transform(counts))
    assert expect in msg
    ref = stratify_frame(df).predictions["ici_benefit"]
    got = stratify(transform(counts), list(df.columns), list(df.index)).predictions["ici_benefit"]
    assert spearmanr(ref, got).statistic >= 0.95


def test_too_few_genes_for_a_programme_is_reported() -> None:
    df, _ = make_cohort()
    supp = set(programmes()["sasp_suppressive"].components[0][1])
    res = stratify_frame(df[[c for c in df.columns if c not in supp]])
    assert any("programme sasp_suppressive has too few genes" in m for m in res.messages)
    assert res.predictions["sasp_suppressive"].isna().all()
    assert res.predictions["ici_benefit"].notna().all()
    assert not res.coverage.loc["sasp_suppressive", "scored"]


def test_only_senescence_scored_is_one_clear_error() -> None:
    """ici_benefit reads the immune and SASP programmes: with none of them in the data (only
    senescence genes) the evidence step failed with numpy's 'need at least one array to
    concatenate' (and every sample's all-NaN benefit was called ici_alone)."""
    df, _ = make_cohort()
    needed = set(config()["ici_benefit"])
    drop = {g for name in needed for _, gs, _ in programmes()[name].components for g in gs}
    with pytest.raises(ValidationError) as e:
        stratify_frame(df[[c for c in df.columns if c not in drop]], where="expression file x")
    text = _one_line(e)
    assert text.startswith("expression file x:") and "ici_benefit" in text
    for name in needed:
        assert f"{name}: 0 of" in text


def _one_line(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


def test_bad_inputs_give_one_clear_error_each() -> None:
    df, _ = make_cohort(n=10)
    x = df.to_numpy(dtype=float)
    genes, samples = list(df.columns), list(df.index)
    with pytest.raises(ValidationError) as e:
        stratify(x, [f"X{i}" for i in range(len(genes))], samples)
    assert "none of its" in _one_line(e) and "HGNC" in str(e.value)
    flat = x.copy()
    flat[2] = 5.0
    with pytest.raises(ValidationError) as e:
        stratify(flat, genes, samples)
    assert "S2" in _one_line(e) and "same value for every gene" in str(e.value)
    dup = [*genes[:-1], genes[0].lower()]
    with pytest.raises(ValidationError) as e:
        stratify(x, dup, samples)
    assert "appears more than once" in _one_line(e)
    nan = x.copy()
    nan[1, 3] = np.nan
    with pytest.raises(ValidationError) as e:
        stratify(nan, genes, samples)
    assert "1 missing (NaN)" in _one_line(e) and "S1" in str(e.value)
    with pytest.raises(ValidationError) as e:
        stratify(x[:2], genes, samples[:2])
    assert "at least 3" in _one_line(e)


def test_programme_table_cites_every_group() -> None:
    t = programme_table()
    assert set(t["programme"]) == set(PROGRAMMES)
    assert t["citation"].str.len().min() > 20


def test_cli_predict_json_and_explain(tmp_path) -> None:
    df, _ = make_cohort(n=6)
    path = tmp_path / "cohort.tsv"
    df.T.to_csv(path, sep="\t")
    out = tmp_path / "pred.csv"
    r = CliRunner().invoke(
        app, ["stratify", str(path), "--out", str(out), "--json", "--explain", str(tmp_path / "x")]
    )
    assert r.exit_code == 0, r.output
    table = pd.read_csv(out, index_col=0)
    assert list(table.index) == list(df.index)
    payload = json.loads(r.stdout)
    assert len(payload["predictions"]) == 6
    assert {c["programme"] for c in payload["coverage"]} == set(PROGRAMMES)
    assert (tmp_path / "x" / "index.html").is_file()
    assert (tmp_path / "x" / "S0.png").read_bytes()[:4] == b"\x89PNG"


def test_cli_explain_refuses_a_missing_parent_as_out_does(tmp_path) -> None:
    """`--explain a/b/` made the missing folder a/ while a missing parent of --out is refused
    (audit find): --explain's own folder is made, its parent must exist; nothing is written."""
    df, _ = make_cohort(n=6)
    path = tmp_path / "cohort.tsv"
    df.T.to_csv(path, sep="\t")
    out, explain = tmp_path / "p.csv", tmp_path / "a" / "b"
    r = CliRunner().invoke(
        app, ["stratify", str(path), "--out", str(out), "--explain", f"{explain}/"]
    )
    assert r.exit_code == 2
    a = tmp_path / "a"
    assert f"error: --explain '{explain}': directory '{a}' does not exist (create it first)" in (
        r.output
    )
    assert not a.exists() and not out.exists()
    r = CliRunner().invoke(
        app, ["stratify", str(path), "--out", str(tmp_path / "no" / "p.csv")]
    )  # the same shape
    assert (
        f"error: --out '{tmp_path / 'no' / 'p.csv'}': directory '{tmp_path / 'no'}' does not"
        in (r.output)
    )
    r = CliRunner().invoke(app, ["stratify", str(path), "--out", str(out), "--explain", str(a)])
    assert r.exit_code == 0 and (a / "index.html").is_file()  # its own folder is made


def test_cli_explain_again_keeps_no_page_of_the_earlier_cohort(tmp_path) -> None:
    """A second --explain run into the same folder left the first cohort's pages, whose scores
    are relative to that cohort (audit, session 41); a file the user put there stays."""
    df, _ = make_cohort(n=8)
    first, second, out = tmp_path / "a.tsv", tmp_path / "b.tsv", tmp_path / "x"
    df.T.to_csv(first, sep="\t")
    df.iloc[:5].T.to_csv(second, sep="\t")
    args = ["stratify", "--out", str(tmp_path / "p.csv"), "--explain", str(out)]
    assert CliRunner().invoke(app, [*args[:1], str(first), *args[1:]]).exit_code == 0
    (out / "notes.html").write_text("mine")
    assert (out / "S7.html").is_file()
    assert CliRunner().invoke(app, [*args[:1], str(second), *args[1:]]).exit_code == 0
    pages = {p.name for p in out.glob("*.html")}
    assert pages == {"index.html", "notes.html", *(f"S{i}.html" for i in range(5))}
    assert not (out / "S7.png").exists()


def test_a_failed_explain_run_keeps_the_earlier_pages(tmp_path) -> None:
    """The earlier cohort's pages went at once, before the run had succeeded: now only once it
    has (staged like the writes)."""
    from senotwin._io import staged_writes
    from senotwin.sc.stratify_explain import write_explanations

    df, _ = make_cohort(n=8)
    out = tmp_path / "x"
    with staged_writes():
        write_explanations(stratify_frame(df), out)
    before = sorted(p.name for p in out.iterdir())
    with pytest.raises(RuntimeError), staged_writes():
        write_explanations(stratify_frame(df.iloc[:5]), out)
        raise RuntimeError("a later step of the command failed")
    assert sorted(p.name for p in out.iterdir()) == before and (out / "S7.html").is_file()


def test_explain_figure_says_what_its_whiskers_are(tmp_path, monkeypatch) -> None:
    """The per-sample PNG drew whiskers on the programme bars and titled ici_benefit without its
    uncertainty; only the HTML page said '± gene-bootstrap SD' (audit, session 51)."""
    import senotwin.sc.stratify_explain as explain

    drawn = []
    monkeypatch.setattr(
        explain, "atomic_write_figure", lambda fig, path, **kw: drawn.append(fig) or path
    )
    df, _ = make_cohort(n=8)
    result = stratify_frame(df)
    explain._figure(result, 0, tmp_path / "S0.png")
    ax = drawn[0].axes[0]
    row = result.predictions.iloc[0]
    assert ax.get_xlabel().endswith("whiskers ± gene-bootstrap SD")
    sd = f"{row['ici_benefit_sd']:.2f}"
    assert ax.get_title() == f"{row.name}: ici_benefit {row['ici_benefit']:+.2f} ± {sd}"


def test_cli_bad_input_is_one_error_line(tmp_path) -> None:
    df, _ = make_cohort(n=6)
    df.iloc[0, 0] = np.nan
    path = tmp_path / "bad.csv"
    df.to_csv(path)
    r = CliRunner().invoke(app, ["stratify", str(path), "--out", str(tmp_path / "p.csv")])
    assert r.exit_code == 2
    errors = [line for line in r.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "NaN" in errors[0]
    assert not (tmp_path / "p.csv").exists()


def test_shipped_tcga_example_same_ranking_as_zscores_and_counts() -> None:
    """The shipped TCGA extract (TPM) given as per-gene z-scores and as counts ranks the same."""
    from senotwin.sc.examples import example_path

    tpm = pd.read_csv(example_path("tcga_pancancer_tpm.csv.gz"), index_col=0).T
    ref = stratify_frame(tpm).predictions["ici_benefit"]
    logx = np.log2(tpm + 1.0)
    z = ((logx - logx.mean()) / logx.std()).fillna(0.0)
    depth = np.random.default_rng(1).uniform(2e3, 2e4, size=(len(tpm), 1))
    counts = np.round(tpm * depth / 1e3)
    for frame in (z, counts):
        got = stratify_frame(frame).predictions["ici_benefit"]
        assert spearmanr(ref, got).statistic >= 0.95


def test_cli_reads_h5ad(tmp_path) -> None:
    import anndata as ad

    df, _ = make_cohort(n=6)
    path = tmp_path / "cohort.h5ad"
    ad.AnnData(df.to_numpy(dtype=np.float32), obs=pd.DataFrame(index=df.index),
               var=pd.DataFrame(index=df.columns)).write_h5ad(path)  # fmt: skip
    out = tmp_path / "pred.tsv"
    r = CliRunner().invoke(app, ["stratify", str(path), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "integer counts detected" in r.output
    table = pd.read_csv(out, sep="\t", index_col=0)
    assert list(table.index) == list(df.index)


def test_wide_input_keeps_programme_genes_and_a_bounded_background() -> None:
    from senotwin.sc.stratify import MAX_BACKGROUND, _scored_genes

    df, _ = make_cohort(n=20, n_other=MAX_BACKGROUND + 1500)
    genes = list(df.columns)
    x, kept = _scored_genes(df.to_numpy(dtype=float), genes, programmes())
    wanted = set(_programme_genes())
    assert {g for g in genes if g in wanted} <= set(kept)
    assert sum(g not in wanted for g in kept) == MAX_BACKGROUND
    assert x.shape == (20, len(kept))
    # the ranking barely depends on which background genes are kept
    narrow = df[[g for g in genes if g in wanted] + [f"BG{i}" for i in range(MAX_BACKGROUND)]]
    wide = stratify_frame(df).predictions["ici_benefit"]
    assert spearmanr(wide, stratify_frame(narrow).predictions["ici_benefit"]).statistic >= 0.95


def test_best_strategy_ties_go_to_the_strategy_with_fewer_drugs() -> None:
    """Equal benefits (add-ons predicted to add nothing), equal up to rounding, or an unscored
    add-on pick ICI alone; a real gain picks the add-on (the audit found 55 of 198 exact ties
    reported as a choice)."""
    ben = np.array(
        [
            [-0.46, -0.46, -0.46],
            [0.3, 0.3 + 1e-15, 0.3],
            [0.1, np.nan, np.nan],
            [0.1, 0.2, 0.15],
            [0.1, 0.2, 0.3],
        ]
    )
    assert [STRATEGIES[i] for i in best_strategy_index(ben)] == [
        "ici_alone",
        "ici_alone",
        "ici_alone",
        "senomorphic_ici",
        "senolytic_then_ici",
    ]
