"""``senotwin sc ...`` and ``senotwin score``: read expression, call the sc API, write tables."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import typer

from senotwin._errors import ValidationError
from senotwin._io import atomic_write_text, read_table
from senotwin.cli._common import (
    FIGURE_SUFFIXES,
    TABLE_SUFFIXES,
    Output,
    check_count,
    user_errors,
    writing,
)
from senotwin.sc.calls import call_senescent
from senotwin.sc.communication import communication, plot_communication
from senotwin.sc.io import Expression, prepare, read_expression
from senotwin.sc.markers import sasp_markers
from senotwin.sc.methods import get_method, methods_help
from senotwin.sc.scoring import DEFAULT_SIGNATURES, score_matrix
from senotwin.sc.signatures import Signature, builtin_signatures, read_gmt, read_signature_table
from senotwin.sc.survival import cox_per_score, km_tertiles, plot_km

app = typer.Typer(help="Senescence / SASP read-outs on transcriptomes.", no_args_is_help=True)


#: figure types the sc plots write (matplotlib renders each by its suffix)
PLOT_SUFFIXES = (*FIGURE_SUFFIXES, ".pdf")


def _write_table(df: pd.DataFrame, out: Path, *, index: bool) -> None:
    """Atomic table write: tab-separated for .tsv/.txt, comma-separated otherwise."""
    sep = "\t" if out.suffix.lower() in {".tsv", ".txt"} else ","
    atomic_write_text(out, df.to_csv(sep=sep, index=index))


def _table_out(out: Path) -> Output:
    return Output("--out", out, TABLE_SUFFIXES)


def _load(path: Path, layer: str | None, normalise: bool) -> Expression:
    expr = prepare(read_expression(path, layer=layer), normalise=normalise)
    for m in expr.messages:
        typer.echo(m, err=True)
    return expr


def _groups(expr: Expression, key: str) -> list[object]:
    if key not in expr.obs.columns:
        raise ValidationError(
            f"--groupby {key!r} not in the observation annotations {list(expr.obs.columns)}"
        )
    return list(expr.obs[key])


def score(
    input: Path = typer.Argument(..., help="Expression: .h5ad, or CSV/TSV (either orientation)."),
    out: Path = typer.Option(..., "--out", help="Output table (one row per cell/sample)."),
    signature: list[str] = typer.Option(
        [],
        "--signature",
        "-s",
        help="Built-in name (NAME or NAME:CLASS); default senescence, sasp.",
    ),
    gene_sets: Path | None = typer.Option(None, "--gene-sets", help="Extra sets: .gmt or TSV."),
    method: str = typer.Option("mean_z", "--method", help=methods_help()),
    option: list[str] = typer.Option(
        [], "--option", help="Option of the scoring method, KEY=VALUE (repeatable)."
    ),
    layer: str | None = typer.Option(None, "--layer", help="AnnData layer instead of X."),
    species: str = typer.Option("human", "--species", help="human or mouse (ortholog mapping)."),
    normalise: bool = typer.Option(True, "--normalise/--no-normalise", help="Auto log-normalise."),
    seed: int = typer.Option(0, "--seed", help="Seed for control-gene sampling."),
) -> None:
    """Score signatures; one column per signature."""
    with user_errors(), writing(_table_out(out), inputs=(input, gene_sets)):
        options = dataclasses.asdict(get_method(method).options_from_text(option))
        expr = _load(input, layer, normalise)
        sigs: list[Signature | str] = list(signature) or list(DEFAULT_SIGNATURES)
        if gene_sets is not None:
            extra = (
                read_gmt(gene_sets)
                if gene_sets.suffix.lower() == ".gmt"
                else read_signature_table(gene_sets)
            )
            sigs = list(signature) + list(extra)
        try:
            res = score_matrix(
                expr.x, expr.genes, sigs, method=method, obs_names=expr.obs_names,
                species=species, seed=seed, **options,
            )  # fmt: skip
        except ValidationError as exc:
            raise ValidationError(f"{input}: {exc}") from None
        for name, r in res.coverage.iterrows():
            typer.echo(f"{name}: {int(r.n_found)} of {int(r.n_genes)} genes found", err=True)
        _write_table(res.scores, out, index=True)
    typer.echo(f"wrote {out} ({len(res.scores)} rows, method {method})", err=True)


@app.command("signatures")
def signatures(as_json: bool = typer.Option(False, "--json", help="JSON output.")) -> None:
    """List built-in signatures with sizes, directions and citations."""
    items = [s.describe() for s in builtin_signatures().values()]
    if as_json:
        typer.echo(json.dumps(items, indent=2))
        return
    for d in items:
        parts = d.get("components")
        if isinstance(parts, list) and parts:  # a composite: the mean of other signatures' scores
            typer.echo(f"{d['name']:32s} mean of {', '.join(str(p) for p in parts)}")
            continue
        typer.echo(f"{d['name']:32s} {d['n_genes']:5d} genes ({d['n_up']} up, {d['n_down']} down)")


@app.command("call")
def call(
    input: Path = typer.Argument(..., help="Expression: .h5ad, or CSV/TSV (either orientation)."),
    out: Path = typer.Option(..., "--out", help="Output table (.csv/.tsv)."),
    groupby: str | None = typer.Option(None, "--groupby", help="Cell-type column for the null."),
    n_null: int = typer.Option(
        100, "--n-null", help="Random matched gene sets per hallmark (the null; >= 10)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the null gene sets."),
    layer: str | None = typer.Option(None, "--layer", help="AnnData layer instead of X."),
) -> None:
    """Multi-hallmark senescent-cell calls (score, p, q, call)."""
    with user_errors(), writing(_table_out(out), inputs=(input,)):
        check_count("--n-null", n_null, 10)  # before the file is read
        expr = _load(input, layer, True)
        groups = _groups(expr, groupby) if groupby else None
        res = call_senescent(
            expr.x, expr.genes, groups=groups, n_null=n_null, seed=seed, obs_names=expr.obs_names
        )
        _write_table(res.table, out, index=True)
    typer.echo(f"{int(res.table['call'].sum())} of {len(res.table)} called senescent", err=True)
    typer.echo(f"wrote {out}", err=True)


@app.command("sasp-markers")
def markers(
    input: Path = typer.Argument(..., help="Expression: .h5ad, or CSV/TSV (either orientation)."),
    groupby: str = typer.Option(
        ...,
        "--groupby",
        help="Column of the sample/cell annotations (AnnData obs) that defines the groups.",
    ),
    out: Path = typer.Option(..., "--out", help="Output table (.csv/.tsv)."),
    layer: str | None = typer.Option(None, "--layer", help="AnnData layer instead of X."),
) -> None:
    """Rank SASP factors per group against the rest (effect sizes, FDR)."""
    with user_errors(), writing(_table_out(out), inputs=(input,)):
        expr = _load(input, layer, True)
        _write_table(sasp_markers(expr.x, expr.genes, _groups(expr, groupby)), out, index=False)
    typer.echo(f"wrote {out}", err=True)


@app.command("communication")
def comm(
    input: Path = typer.Argument(..., help="Expression: .h5ad, or CSV/TSV (either orientation)."),
    groupby: str = typer.Option(
        ...,
        "--groupby",
        help="Column of the sample/cell annotations (AnnData obs) that defines the groups.",
    ),
    out: Path = typer.Option(..., "--out", help="Output table (.csv/.tsv)."),
    figure: Path | None = typer.Option(None, "--figure", help="Heat map (.png, .svg or .pdf)."),
    n_perm: int = typer.Option(1000, "--n-perm", help="Label permutations per p-value."),
    seed: int = typer.Option(0, "--seed", help="Seed of the permutations."),
    layer: str | None = typer.Option(None, "--layer", help="AnnData layer instead of X."),
) -> None:
    """SASP ligand -> receptor scores per sender/receiver pair with permutation p-values."""
    outputs = (_table_out(out), Output("--figure", figure, PLOT_SUFFIXES))
    with user_errors(), writing(*outputs, inputs=(input,)):
        expr = _load(input, layer, True)
        t = communication(expr.x, expr.genes, _groups(expr, groupby), n_perm=n_perm, seed=seed)
        _write_table(t, out, index=False)
        if figure is not None:
            plot_communication(t, figure)
    typer.echo(f"wrote {out}" + (f", {figure}" if figure is not None else ""), err=True)


@app.command("survival")
def survival(
    table: Path = typer.Argument(..., help="CSV/TSV: one row per sample; time, event, scores."),
    time: str = typer.Option(..., "--time", help="Column of follow-up times (any unit)."),
    event: str = typer.Option(..., "--event", help="Column of events: 1 = event, 0 = censored."),
    score_cols: list[str] = typer.Option(
        ..., "--score", help="Numeric score column (repeatable); the first is drawn."
    ),
    out: Path = typer.Option(..., "--out", help="Cox table (.csv/.tsv), one row per score."),
    figure: Path | None = typer.Option(None, "--figure", help="KM plot of the first score."),
) -> None:
    """Cox PH per score (HR per SD, CI, p) and Kaplan-Meier by tertiles."""
    outputs = (_table_out(out), Output("--figure", figure, PLOT_SUFFIXES))
    with user_errors(), writing(*outputs, inputs=(table,)):
        df = read_table(table, what="survival table")
        _write_table(cox_per_score(df, time=time, event=event, scores=score_cols), out, index=False)
        km = km_tertiles(df, time=time, event=event, score=score_cols[0])
        typer.echo(km.to_string(index=False), err=True)
        if figure is not None:
            plot_km(df, figure, time=time, event=event, score=score_cols[0])
    typer.echo(f"wrote {out}" + (f", {figure}" if figure is not None else ""), err=True)


@app.command("example")
def example(
    out: Path = typer.Option(..., "--out", help="Folder for the example files (created)."),
) -> None:
    """Write the five example files: fibroblast RNA-seq (3 files), TCGA expression and survival.

    fibroblasts.csv.gz, fibroblasts_samples.csv, fibroblasts.h5ad,
    tcga_expression.csv.gz and tcga_survival.csv (README, "Example data")."""
    from senotwin.sc.examples import CITATIONS, write_examples

    with user_errors(), writing(Output("--out", out, directory=True)):
        written = write_examples(out)
    for path in written:
        typer.echo(f"wrote {path}")
    for what, citation in CITATIONS.items():
        typer.echo(f"{what}: {citation}", err=True)
