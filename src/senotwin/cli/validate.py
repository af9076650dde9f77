"""``senotwin validate``: the tiered validation suite of the physical-units model, null test."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from senotwin.cli._common import (
    MEMBERS,
    SHIPPED_ENSEMBLE_HELP,
    check_members_option,
    ensemble_note,
    ensemble_path,
    print_json,
    user_errors,
)
from senotwin.sim.engines import engine_help

if TYPE_CHECKING:
    from senotwin.analysis.validation import ValidationReport


def validate(
    cases: Path | None = typer.Option(
        None, "--cases", help="Validation cases YAML, schema v2 (default: the shipped suite)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    engine: str = typer.Option(
        "fast", help=f"{engine_help()} fast (compiled once per model structure) is the default."
    ),
    null: int = typer.Option(
        0,
        "--null",
        min=0,
        help="Also run the literature tier on N random parameter sets (log-uniform within each "
        "parameter's range) and report the null pass-rate distribution and a p-value.",
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed of the null test."),
    ensemble: Path | None = typer.Option(
        None,
        "--ensemble",
        parser=ensemble_path,
        metavar="<path>",
        help="CSV or TSV of parameter sets (one row each, columns = model parameters, e.g. the "
        "ensemble.tsv of `senotwin calibrate --ensemble`; other columns such as noise sigmas are "
        "ignored and listed): report each case's robustness, the share of sets it holds in."
        + SHIPPED_ENSEMBLE_HELP,
    ),
    members: int | None = MEMBERS,
    strict: bool = typer.Option(False, "--strict", help="Exit with code 1 if any case fails."),
) -> None:
    """Run every case (consistency, literature, calibration tiers) and report pass/fail."""
    from senotwin.analysis.validation import run_validation

    with user_errors():
        if ensemble is not None:
            ensemble_note(ensemble)
        check_members_option(members, ensemble)
        report = run_validation(
            cases, engine=engine, null=null, seed=seed, ensemble=ensemble, members=members
        )
    if json_out:
        print_json(report.to_dict())
    else:
        _print_table(report)
    if strict and report.failures():
        raise typer.Exit(code=1)


#: below this terminal width the cases are listed, two lines each: a table squeezed into 80
#: columns folded every cell a few letters wide
TABLE_MIN_WIDTH = 110


def _print_list(console: Console, report: ValidationReport) -> None:
    """Per tier, each case as 'id  ok' and an indented 'read-out: expected; observed' line."""
    robust = report.robustness
    for tier, count in report.tiers().items():
        console.print(f"{tier}: {count.passed}/{count.n} passed", markup=False)
        for r in (r for r in report.results if r.tier == tier):
            share = f", holds in {robust.get(r.id, float('nan')):.0%}" if robust else ""
            console.print(f"  {r.id}  {'yes' if r.passed else 'NO'}{share}", markup=False)
            console.print(
                f"      {r.readout} ({r.measure}): expected {r.expected}; observed "
                f"{r.observed_text()}",
                markup=False,
            )


def _print_table(report: ValidationReport) -> None:
    """One table per tier sized to the terminal (a list below TABLE_MIN_WIDTH columns); then
    the failures with their claims."""
    tiers = ", ".join(f"{t} {c.passed}/{c.n}" for t, c in report.tiers().items())
    console = Console(width=shutil.get_terminal_size((120, 24)).columns, highlight=False)
    console.print(f"validation: {report.n_passed}/{len(report.results)} passed ({tiers})")
    robust = report.robustness
    if console.width < TABLE_MIN_WIDTH:
        _print_list(console, report)
    for tier, count in report.tiers().items() if console.width >= TABLE_MIN_WIDTH else ():
        table = Table(title=f"{tier}: {count.passed}/{count.n} passed", title_justify="left")
        table.add_column("case", no_wrap=True)
        table.add_column("read-out", overflow="fold", ratio=1)
        table.add_column("expected", overflow="fold", ratio=1)
        table.add_column("observed", overflow="fold", ratio=1)
        table.add_column("ok", no_wrap=True)
        if robust is not None:
            table.add_column("robust", no_wrap=True)
        for r in (r for r in report.results if r.tier == tier):
            table.add_row(
                r.id,
                f"{r.readout} ({r.measure})",
                r.expected,
                r.observed_text(),
                "yes" if r.passed else "[bold red]NO[/bold red]",
                *([f"{robust.get(r.id, float('nan')):.0%}"] if robust is not None else []),
            )
        console.print(table)
    failed = report.failures()
    if failed:
        console.print(f"failed ({len(failed)}), each with the claim it tests:")
        for r in failed:
            console.print(
                f"- {r.id} ({r.tier}): {r.claim}. Perturbation: {r.perturbation}; expected "
                f"{r.expected}, observed {r.observed_text()} ({r.readout}, {r.measure}). Source: "
                f"{r.paper or 'the review'}{', ' + r.panel if r.panel else ''}"
                f" [review refs {', '.join(map(str, r.refs))}]",
                markup=False,
            )
        console.print(
            "Each case's set-up, sources and record of why it fails: `senotwin validate --json` "
            "(field 'explanation') and docs/validation.md.",
            markup=False,
        )
    if robust is not None:
        ignored = ", ".join(report.ensemble_ignored) or "none"
        console.print(
            f"ensemble: {report.ensemble_sets} parameter sets; columns ignored (no model "
            f"parameter): {ignored}",
            highlight=False,
        )
    if report.null is not None:
        n = report.null
        console.print(
            f"null test ({len(n.rates)} random parameter sets, seed {n.seed}, literature tier of "
            f"{n.n_cases} cases): model {n.model_rate:.0%}, null median {n.median:.0%}, "
            f"99th percentile {n.p99:.0%}, p = {n.p_value:.3g}",
            highlight=False,
        )
        flagged = n.uninformative()
        console.print(
            f"cases that >= 90% of the random sets pass (no evidence on their own): "
            f"{len(flagged)}" + (f" ({', '.join(flagged)})" if flagged else ""),
            highlight=False,
        )
        fixed = n.structural()
        console.print(
            "cases that every random set passes (sign fixed by the wiring; they belong to the "
            f"consistency tier): {len(fixed)}" + (f" ({', '.join(fixed)})" if fixed else ""),
            highlight=False,
        )
