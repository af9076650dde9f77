"""``senotwin sc ...`` and ``senotwin score``: read expression, call the sc API, write tables."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import cast

import pandas as pd
import typer

from senotwin._errors import ValidationError, check_seed
from senotwin._io import atomic_write_text, read_table
from senotwin._suggest import known_names
from senotwin.cli._common import (
    FIGURE_SUFFIXES,
    GENE_SYMBOLS_HELP,
    TABLE_SUFFIXES,
    Output,
    check_count,
    user_errors,
    writing,
)
from senotwin.kb.ligand_receptor import load_ligand_receptor
from senotwin.sc.calls import call_senescent
from senotwin.sc.communication import communication, plot_communication
from senotwin.sc.io import Expression, prepare, read_expression, with_annotations
from senotwin.sc.markers import sasp_markers
from senotwin.sc.methods import get_method, methods_help
from senotwin.sc.scoring import (
    DEFAULT_SIGNATURES,
    MIN_GENES,
    TooFewGenes,
    check_species,
    score_matrix,
)
from senotwin.sc.signatures import (
    LISTED_BY,
    Signature,
    builtin_signatures,
    get_signature,
    read_gmt,
    read_signature_table,
    resolve_signatures,
)
from senotwin.sc.survival import cox_per_score, km_tertiles, km_text, left_out, plot_km

app = typer.Typer(help="Senescence / SASP read-outs on transcriptomes.", no_args_is_help=True)


#: figure types the sc plots write (matplotlib renders each by its suffix)
PLOT_SUFFIXES = (*FIGURE_SUFFIXES, ".pdf")


def _write_table(df: pd.DataFrame, out: Path, *, index: bool) -> None:
    """Atomic table write: tab-separated for .tsv/.txt, comma-separated otherwise."""
    sep = "\t" if out.suffix.lower() in {".tsv", ".txt"} else ","
    atomic_write_text(out, df.to_csv(sep=sep, index=index))


def _table_out(out: Path) -> Output:
    return Output("--out", out, TABLE_SUFFIXES)


INPUT_HELP = "Expression: .h5ad, or CSV/TSV (either orientation)."
GROUPBY_HELP = (
    "Annotation column that defines the groups: a column of the .h5ad's obs or of the --obs table."
)
OBS_HELP = (
    "Sample/cell annotations as a CSV/TSV: first column the sample/cell names of INPUT, one "
    "column per annotation (e.g. condition); needed for --groupby with CSV/TSV input."
)


def _load(
    path: Path,
    layer: str | None,
    normalise: bool,
    *,
    gene_symbols: str | None = None,
    obs: Path | None = None,
) -> Expression:
    """Read, join the --obs annotations, prepare, and say on stderr what was done."""
    expr = read_expression(path, layer=layer, gene_symbols=gene_symbols)
    if obs is not None:
        expr = with_annotations(expr, obs)
    expr = prepare(expr, normalise=normalise)
    for m in expr.messages:
        typer.echo(m, err=True)
    return expr


def _groups(expr: Expression, key: str) -> list[object]:
    """The --groupby column, or what annotations there are and where groups come from."""
    if key not in expr.obs.columns:
        have = [str(c) for c in expr.obs.columns]
        raise ValidationError(
            f"--groupby {key!r} is not an annotation of {Path(expr.source).name}: "
            + (f"its annotations are {have}" if have else "it has none (a CSV/TSV carries none)")
            + "; groups come from the .h5ad's obs or from a table given with --obs FILE (first "
            "column = the sample/cell names, then one column per annotation)"
        )
    column = expr.obs[key]
    missing = [
        str(name)
        for name, v in zip(expr.obs_names, column, strict=True)
        if v is None or (isinstance(v, float) and v != v) or str(v).strip() == ""
    ]
    if missing:  # a NaN label is a group of its own that never equals itself
        raise ValidationError(
            f"--groupby {key!r}: {len(missing)} of {len(column)} observations have no label "
            f"(first: {missing[:3]}); give every sample/cell a group, or leave those out"
        )
    return list(column)


def _gene_sets(path: Path) -> list[Signature]:
    """The sets of a --gene-sets file (.gmt, else a CSV/TSV table)."""
    return read_gmt(path) if path.suffix.lower() == ".gmt" else read_signature_table(path)


def _warn_shadowed(gene_sets: Path, clash: list[str], what: str) -> None:
    """A --gene-sets set named like a built-in is scored in its place: said, never silent."""
    if clash:
        typer.echo(
            f"warning: {gene_sets.name}: set(s) {clash} have the name of a built-in {what}; the "
            "file's set is scored under that name (rename it in the file to score the built-in)",
            err=True,
        )


def _selection(names: list[str], gene_sets: Path | None) -> list[Signature | str]:
    """What `score` scores: without -s the defaults and every --gene-sets set; -s names
    built-in signatures (replacing the defaults) and/or sets of the file (picking among them).
    A set of the file named like a built-in signature is scored in its place, with a warning."""
    if gene_sets is None:
        return list(names) or list(DEFAULT_SIGNATURES)
    extra = _gene_sets(gene_sets)
    by_name = {s.name: s for s in extra}
    if not names:
        _warn_shadowed(
            gene_sets, [n for n in DEFAULT_SIGNATURES if n in by_name], "default signature"
        )
        return [n for n in DEFAULT_SIGNATURES if n not in by_name] + list(extra)
    builtin = builtin_signatures()
    for n in names:
        if n not in by_name and n.partition(":")[0] not in builtin:
            sets = list(by_name)
            more = f", ... ({len(sets)} sets)" if len(sets) > 10 else ""
            raise ValidationError(
                f"unknown signature {n!r}: not a set of {gene_sets.name} "
                f"({', '.join(sets[:10])}{more}) nor a built-in signature "
                f"({known_names(sorted(builtin), listed_by=LISTED_BY, label='known')})"
            )
    picked = list(dict.fromkeys(names))
    _warn_shadowed(gene_sets, [n for n in picked if n in by_name and n in builtin], "signature")
    chosen: list[Signature | str] = [by_name.get(n, n) for n in names]
    if not any(n in by_name for n in names):
        chosen += extra  # -s named built-ins only: every set of the file besides
    return chosen


def score(
    input: Path = typer.Argument(..., help=INPUT_HELP),
    out: Path = typer.Option(..., "--out", help="Output table (one row per cell/sample)."),
    signature: list[str] = typer.Option(
        [],
        "--signature",
        "-s",
        help="Signature to score (repeatable): a built-in name (NAME or NAME:CLASS, see `sc "
        "signatures`) or a set of --gene-sets. Without -s: senescence, sasp and every "
        "--gene-sets set; built-in names replace the defaults, names of --gene-sets sets pick "
        "among them.",
    ),
    gene_sets: Path | None = typer.Option(
        None,
        "--gene-sets",
        help="More gene sets: a .gmt (NAME, DESCRIPTION, then genes, each GENE or GENE,weight) "
        "or a CSV/TSV with columns set, gene and optional direction (up/down) and weight "
        "(signed; default 1). A gene repeated in a set is used once.",
    ),
    method: str = typer.Option("mean_z", "--method", help=methods_help()),
    option: list[str] = typer.Option(
        [], "--option", help="Option of the scoring method, KEY=VALUE (repeatable)."
    ),
    layer: str | None = typer.Option(None, "--layer", help="AnnData layer instead of X."),
    gene_symbols: str | None = typer.Option(None, "--gene-symbols", help=GENE_SYMBOLS_HELP),
    species: str = typer.Option("human", "--species", help="human or mouse (ortholog mapping)."),
    normalise: bool = typer.Option(True, "--normalise/--no-normalise", help="Auto log-normalise."),
    seed: int = typer.Option(0, "--seed", help="Seed for control-gene sampling."),
) -> None:
    """Score signatures; one column per signature.

    A signature with fewer than 3 of its genes in the data is left out with a warning; the
    command fails only when none can be scored."""
    with user_errors(), writing(_table_out(out), inputs=(input, gene_sets)):
        check_seed(seed)  # before the file is read
        options = dataclasses.asdict(get_method(method).options_from_text(option))
        sigs = _selection(list(signature), gene_sets)
        resolve_signatures(sigs)  # an unknown name and a bad species are refused before the
        check_species(species)  # file is read, which takes minutes for a large one
        expr = _load(input, layer, normalise, gene_symbols=gene_symbols)
        try:
            res = score_matrix(
                expr.x, expr.genes, sigs, method=method, obs_names=expr.obs_names,
                species=species, seed=seed, skip_short=True, **options,
            )  # fmt: skip
        except TooFewGenes as exc:
            raise ValidationError(
                f"{input}: {exc.worded('--species mouse', '--species human (the default)')}"
            ) from None
        except ValidationError as exc:
            raise ValidationError(f"{input}: {exc}") from None
        for note in res.notes:
            typer.echo(note, err=True)
        for line in res.coverage_lines():
            typer.echo(line, err=True)
        for name, why in res.skipped.items():
            typer.echo(f"warning: {name} not scored: {why} (need >= {MIN_GENES})", err=True)
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
    input: Path = typer.Argument(..., help=INPUT_HELP),
    out: Path = typer.Option(..., "--out", help="Output table (.csv/.tsv)."),
    groupby: str | None = typer.Option(
        None,
        "--groupby",
        help="Cell-type column (the .h5ad's obs or the --obs table): the null is built within "
        "each group.",
    ),
    obs: Path | None = typer.Option(None, "--obs", help=OBS_HELP),
    n_null: int = typer.Option(
        100, "--n-null", help="Random matched gene sets per hallmark (the null; >= 10)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the null gene sets."),
    layer: str | None = typer.Option(None, "--layer", help="AnnData layer instead of X."),
    gene_symbols: str | None = typer.Option(None, "--gene-symbols", help=GENE_SYMBOLS_HELP),
) -> None:
    """Multi-hallmark senescent-cell calls (score, p, q, call)."""
    with user_errors(), writing(_table_out(out), inputs=(input, obs)):
        check_count("--n-null", n_null, 10)  # before the file is read
        check_seed(seed)
        expr = _load(input, layer, True, gene_symbols=gene_symbols, obs=obs)
        groups = _groups(expr, groupby) if groupby else None
        res = call_senescent(
            expr.x, expr.genes, groups=groups, n_null=n_null, seed=seed, obs_names=expr.obs_names
        )
        found = cast("dict[str, int]", res.params["genes_found"])
        for name in res.hallmarks:  # as `score` says it: how much of each hallmark was read
            total = len(get_signature(name).genes)
            typer.echo(f"{name}: {found[name]} of {total} genes found", err=True)
        _write_table(res.table, out, index=True)
    typer.echo(f"{int(res.table['call'].sum())} of {len(res.table)} called senescent", err=True)
    typer.echo(f"wrote {out}", err=True)


@app.command("sasp-markers")
def markers(
    input: Path = typer.Argument(..., help=INPUT_HELP),
    groupby: str = typer.Option(..., "--groupby", help=GROUPBY_HELP),
    out: Path = typer.Option(..., "--out", help="Output table (.csv/.tsv)."),
    obs: Path | None = typer.Option(None, "--obs", help=OBS_HELP),
    layer: str | None = typer.Option(None, "--layer", help="AnnData layer instead of X."),
    gene_symbols: str | None = typer.Option(None, "--gene-symbols", help=GENE_SYMBOLS_HELP),
) -> None:
    """Rank SASP factors per group against the rest (effect sizes, FDR)."""
    with user_errors(), writing(_table_out(out), inputs=(input, obs)):
        expr = _load(input, layer, True, gene_symbols=gene_symbols, obs=obs)
        table = sasp_markers(expr.x, expr.genes, _groups(expr, groupby))
        total = len(get_signature("sasp").genes)
        typer.echo(f"sasp: {table['gene'].nunique()} of {total} genes found", err=True)
        _write_table(table, out, index=False)
    typer.echo(f"wrote {out}", err=True)


@app.command("communication")
def comm(
    input: Path = typer.Argument(..., help=INPUT_HELP),
    groupby: str = typer.Option(..., "--groupby", help=GROUPBY_HELP),
    out: Path = typer.Option(..., "--out", help="Output table (.csv/.tsv)."),
    obs: Path | None = typer.Option(None, "--obs", help=OBS_HELP),
    figure: Path | None = typer.Option(None, "--figure", help="Heat map (.png, .svg or .pdf)."),
    n_perm: int = typer.Option(1000, "--n-perm", help="Label permutations per p-value."),
    seed: int = typer.Option(0, "--seed", help="Seed of the permutations."),
    layer: str | None = typer.Option(None, "--layer", help="AnnData layer instead of X."),
    gene_symbols: str | None = typer.Option(None, "--gene-symbols", help=GENE_SYMBOLS_HELP),
) -> None:
    """SASP ligand -> receptor scores per sender/receiver pair with permutation p-values."""
    outputs = (_table_out(out), Output("--figure", figure, PLOT_SUFFIXES))
    with user_errors(), writing(*outputs, inputs=(input, obs)):
        check_seed(seed)  # before the file is read
        check_count("--n-perm", n_perm, 1)  # said 'n_perm must be >= 1' after reading (ux53)
        expr = _load(input, layer, True, gene_symbols=gene_symbols, obs=obs)
        t = communication(expr.x, expr.genes, _groups(expr, groupby), n_perm=n_perm, seed=seed)
        used = len(t[["ligand", "receptor"]].drop_duplicates())
        typer.echo(
            f"{used} of {len(load_ligand_receptor())} ligand-receptor pairs scored (the others "
            "lack a gene in the data)",
            err=True,
        )
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
    figure: Path | None = typer.Option(
        None,
        "--figure",
        help="Kaplan-Meier plot of the first score by tertile (.png, .svg or .pdf).",
    ),
) -> None:
    """Cox PH per score (HR per SD, CI, p) and Kaplan-Meier by tertiles."""
    outputs = (_table_out(out), Output("--figure", figure, PLOT_SUFFIXES))
    with user_errors(), writing(*outputs, inputs=(table,)):
        df = read_table(table, what="survival table")
        dropped = left_out(df, time=time, event=event, scores=score_cols)
        if dropped:
            typer.echo(f"warning: {table.name}: {dropped}", err=True)
        _write_table(cox_per_score(df, time=time, event=event, scores=score_cols), out, index=False)
        km = km_tertiles(df, time=time, event=event, score=score_cols[0])
        typer.echo(km_text(km, time=time), err=True)
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
