"""``senotwin stratify INPUT``, ``stratify evaluate`` and ``stratify tcga``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import typer
from typer.core import TyperGroup

from senotwin._errors import check_seed
from senotwin._io import atomic_write_text, ensure_writable_dir
from senotwin.cli._common import (
    GENE_SYMBOLS_HELP,
    TABLE_SUFFIXES,
    Output,
    print_json,
    writing,
)
from senotwin.sc.io import read_expression
from senotwin.sc.stratify import genes_found_line
from senotwin.sc.stratify import stratify as run_stratify
from senotwin.sc.stratify_cohorts import load_ici_cohorts, load_tcga
from senotwin.sc.stratify_eval import LABEL_WORDS, evaluate_cohorts, plot_forest, plot_roc
from senotwin.sc.stratify_explain import write_explanations
from senotwin.sc.stratify_tcga import forest_title, tcga_cox

#: the x axis of a forest plot of Cox hazard ratios per SD of a score
HR_PER_SD_LABEL = "hazard ratio per SD of the score (log scale; 1: no association)"
#: where the reference data sit relative to a checkout (the lead's shared data folder)
DEFAULT_ICI = Path("../shared/data/ici")
DEFAULT_TCGA = Path("../shared/data/tcga")


class _PredictByDefault(TyperGroup):
    """``stratify INPUT ...`` runs ``stratify predict INPUT ...``; named subcommands still work."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["predict", *args]
        return list(super().parse_args(ctx, args))


app = typer.Typer(
    cls=_PredictByDefault,
    help=(
        "Who benefits from which strategy: `stratify INPUT --out predictions.csv` scores bulk "
        "tumour transcriptomes; `stratify evaluate` and `stratify tcga` test the rule on real "
        "cohorts."
    ),
    no_args_is_help=True,
)


def _write_table(df: pd.DataFrame, out: Path, *, index: bool) -> None:
    sep = "\t" if out.suffix.lower() in {".tsv", ".txt"} else ","
    atomic_write_text(out, df.to_csv(sep=sep, index=index, float_format="%.6g"))


@app.command("predict")
def predict(
    input: Path = typer.Argument(
        ..., help="Bulk expression: .h5ad or CSV/TSV, genes × samples or samples × genes."
    ),
    out: Path = typer.Option(..., "--out", help="Predictions table (.csv/.tsv), one row/sample."),
    json_out: bool = typer.Option(False, "--json", help="Also print predictions as JSON."),
    explain: Path | None = typer.Option(
        None, "--explain", help="Folder for a per-sample HTML page and PNG explaining each call."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the gene bootstrap (uncertainties)."),
    gene_symbols: str | None = typer.Option(None, "--gene-symbols", help=GENE_SYMBOLS_HELP),
) -> None:
    """Score each sample: ICI benefit, SASP axes and the benefit of each strategy.

    ici_benefit, the SASP axes, immune infiltration, senescence, and the benefit of ICI alone /
    senomorphic + ICI / senolytic then ICI, each with an uncertainty."""
    # --explain's folder is made, not its parents: a mistyped parent is refused as --out's is
    explain_dir = Output("--explain", explain, directory=True, parents=False)
    outputs = [Output("--out", out, TABLE_SUFFIXES), explain_dir]
    with writing(*outputs, inputs=(input,)):
        check_seed(seed)  # before the file is read
        expr = read_expression(input, gene_symbols=gene_symbols)
        res = run_stratify(
            expr.x, expr.genes, expr.obs_names, where=f"expression file {input}", seed=seed
        )
        for m in (*expr.messages, *res.messages):
            typer.echo(m, err=True)
        typer.echo(genes_found_line(res.coverage), err=True)
        _write_table(res.predictions, out, index=True)
        pages = write_explanations(res, explain) if explain is not None else []
    # said once the writes are committed (a run stopped during --explain had said 'wrote')
    typer.echo(f"wrote {out} ({len(res.predictions)} samples)", err=True)
    if explain is not None:
        typer.echo(f"wrote {explain}/: {len(pages)} files (open index.html)", err=True)
    if json_out:
        print_json(
            {
                "predictions": res.predictions.reset_index().to_dict(orient="records"),
                "coverage": res.coverage.reset_index().to_dict(orient="records"),
                "messages": list(res.messages),
            }
        )


@app.command("evaluate")
def evaluate(
    data: Path = typer.Option(DEFAULT_ICI, "--data", help="Folder with the ICI cohort files."),
    out: Path = typer.Option(..., "--out", help="Output folder (tables and figures)."),
    n_boot: int = typer.Option(1000, "--n-boot", min=100, help="Bootstrap draws per AUROC CI."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Leave-one-cohort-out AUROC and Cox HR of ici_benefit vs published baselines."""
    with writing(Output("--out", out, directory=True)):
        ev = evaluate_cohorts(load_ici_cohorts(data), n_boot=n_boot)
        ensure_writable_dir(out)
        _write_table(ev.auroc, out / "auroc.csv", index=False)
        _write_table(ev.cox, out / "cox.csv", index=False)
        _write_table(ev.summary, out / "summary.csv", index=False)
        _write_table(ev.scores, out / "scores.csv", index=True)
        plot_roc(ev, out / "roc.png")
        cox = ev.cox.assign(cohort=ev.cox["cohort"] + " " + ev.cox["endpoint"])
        resp = ev.auroc[ev.auroc["label"] == "response"]
        plot_forest(
            resp, out / "auroc_forest.png", group="cohort", estimate="auroc", null=0.5,
            xlabel="AUROC, responders vs non-responders (0.5: no better than chance)",
            title=f"AUROC with 95% bootstrap CI, {LABEL_WORDS['response']}",
        )  # fmt: skip
        plot_forest(
            cox[cox["score"].isin(["ici_benefit", "cd8_teff"])],
            out / "cox_forest.png", group="cohort", estimate="hr_per_sd", null=1.0, log=True,
            xlabel=HR_PER_SD_LABEL,
            title="Cox HR per SD of ici_benefit and CD8 T-eff (OS, PFS), 95% CI",
        )  # fmt: skip
    for n in ev.notes:
        typer.echo(f"note: {n}", err=True)
    summ = ev.summary[ev.summary["label"] == "response"].sort_values("mean_auroc", ascending=False)
    if json_out:
        print_json({"summary": ev.summary.to_dict(orient="records"), "notes": list(ev.notes)})
        return
    typer.echo("mean AUROC over cohorts (R vs NR):")
    for _, r in summ.iterrows():
        typer.echo(f"  {r['score']:<22} {r['mean_auroc']:.3f}  ({int(r['n_cohorts'])} cohorts)")


@app.command("tcga")
def tcga(
    data: Path = typer.Option(DEFAULT_TCGA, "--data", help="Folder with the TCGA extract."),
    out: Path = typer.Option(..., "--out", help="Output folder (table and forest plot)."),
    cancer_type: list[str] = typer.Option(
        [], "--type", help="Only these TCGA tumour types (repeatable; default all)."
    ),
) -> None:
    """Cox models of OS/PFI per TCGA tumour type for the two SASP axes, with a forest plot."""
    with writing(Output("--out", out, directory=True)):
        tpm, clin = load_tcga(data)
        res = tcga_cox(tpm, clin, types=cancer_type or None)
        ensure_writable_dir(out)
        _write_table(res, out / "tcga_cox.csv", index=False)
        shown = res[res["hr_per_sd"].notna()]
        plot_forest(
            shown.assign(group=shown["group"] + " " + shown["endpoint"]),
            out / "tcga_forest.png", group="group", estimate="hr_per_sd", null=1.0, log=True,
            xlabel=HR_PER_SD_LABEL,
            title=forest_title(shown),
        )  # fmt: skip
    counts = res["call"].value_counts()
    for call, n in counts.items():
        typer.echo(f"{n:4d} × {call}")


__all__ = ["app"]
