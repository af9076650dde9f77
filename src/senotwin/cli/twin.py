"""``senotwin twin from-sample``: start a simulation from a sample's measured TME and SASP state."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import typer

from senotwin._io import atomic_write_text, check_unique, read_table
from senotwin.analysis.twin import TWIN_SIGNATURES
from senotwin.cli._common import (
    FIGURE_SUFFIXES,
    GENE_SYMBOLS_HELP,
    Output,
    scenario_in_words,
    user_errors,
    writing,
)

app = typer.Typer(help="Digital twins of measured samples.", no_args_is_help=True)


@app.command("from-sample")
def from_sample(
    input: Path = typer.Argument(
        ..., help="Expression of a cohort (.h5ad, CSV/TSV) or, with --scores, a score table."
    ),
    sample: str = typer.Option(..., "--sample", help="Sample (row/column name) to twin."),
    out: Path = typer.Option(..., "--out", help="Time course of the twin (.csv)."),
    scores: bool = typer.Option(
        False,
        "--scores",
        help="INPUT is a score table from `senotwin score` (rows = samples) with the twin's "
        "signatures; score them with " + " ".join(f"-s {s}" for s in TWIN_SIGNATURES) + " (the "
        "default scenario's; a legacy_* scenario reads more and the command lists them). "
        "Signatures missing from the table keep nominal values.",
    ),
    scenario: str = typer.Option(
        "default",
        "--scenario",
        help="Scenario to personalise (physical-units model; a legacy_* scenario uses the legacy "
        "model's mapping).",
    ),
    days: float | None = typer.Option(
        None, "--days", help="Duration in days (default: the scenario's)."
    ),
    mapping: Path | None = typer.Option(None, "--mapping", help="Also write the override table."),
    plot: Path | None = typer.Option(None, "--plot", help="Time-course figure (.png/.svg)."),
    json_out: bool = typer.Option(False, "--json", help="Print the overrides as JSON."),
    gene_symbols: str | None = typer.Option(
        None, "--gene-symbols", help=GENE_SYMBOLS_HELP + " Not with --scores."
    ),
) -> None:
    """Map a sample's TME/SASP scores (standardised in its cohort) onto a scenario and run it."""
    from senotwin.analysis.twin import (
        make_twin,
        missing_signatures,
        score_for_twin,
        twin_signatures,
    )
    from senotwin.sim import check_days, run_scenario

    outputs = (
        Output("--out", out, (".csv",)),
        Output("--mapping", mapping, (".csv",)),
        Output("--plot", plot, FIGURE_SUFFIXES),
    )
    with user_errors(), writing(*outputs, inputs=(input,)):
        if days is not None:
            check_days(days, name="--days")
        wanted = twin_signatures(scenario)  # an unknown or unmapped scenario before any reading
        if scores:
            if gene_symbols is not None:
                raise typer.BadParameter(
                    "--gene-symbols names the symbol column of an expression .h5ad; with "
                    "--scores INPUT is a score table (drop one of them)",
                    param_hint="--gene-symbols",
                )
            table = read_table(input, what="score table", index_col=0)
            table.index = table.index.astype(str)
            check_unique(list(table.index), what=f"sample names (first column) in {input}")
            check_unique(list(table.columns), what=f"column names in {input}")
            missing = missing_signatures(list(table.columns), scenario=scenario)
            if missing:
                typer.echo(
                    f"warning: {len(missing)} of {len(wanted)} twin signatures are not in the "
                    f"scores, their quantities keep nominal values: {', '.join(missing)}. To map "
                    "them all, score the expression with: senotwin score EXPRESSION --out "
                    "scores.csv " + " ".join(f"-s {s}" for s in wanted),
                    err=True,
                )
        else:
            from senotwin.sc.io import prepare, read_expression

            expr = prepare(read_expression(input, gene_symbols=gene_symbols))
            for message in expr.messages:
                typer.echo(message, err=True)
            table, skipped = score_for_twin(expr.x, expr.genes, expr.obs_names, signatures=wanted)
            for reason in skipped:
                typer.echo(f"not used (its quantities keep nominal values): {reason}", err=True)
        twin = make_twin(table, sample, scenario=scenario)
        result = run_scenario(scenario, overrides={**twin.params, **twin.initial}, days=days)
        if not result.ok:
            raise ValueError(f"the twin's simulation failed: {result.message}; nothing written")
        atomic_write_text(out, result.table.to_csv(index=False))
        if mapping is not None:
            atomic_write_text(mapping, twin.table.to_csv(index=False))
        if plot is not None:
            from senotwin.report.timecourses import plot_timecourses

            heading = f"twin of {sample} on {scenario_in_words(scenario)}"
            plot_timecourses(result.table, plot, title=textwrap.fill(heading, width=110))
    if json_out:
        typer.echo(json.dumps(twin.table.to_dict(orient="records"), indent=2))
    also = [f"{p} ({what})" for p, what in ((mapping, "overrides"), (plot, "figure")) if p]
    typer.echo(
        f"wrote {out}: twin of {sample} on {scenario}, {len(result.table)} rows"
        + (f"; also {', '.join(also)}" if also else ""),
        err=True,
    )
