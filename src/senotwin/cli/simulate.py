"""``senotwin simulate``: run one simulation and write its table (Parquet or CSV)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from senotwin._ensembles import check_members
from senotwin._errors import ValidationError
from senotwin.cli._common import (
    ALLOW_OFF_LABEL,
    FIGURE_SUFFIXES,
    MEMBERS,
    MODEL,
    REGIMEN_HELP,
    SCENARIO,
    SHIPPED_ENSEMBLE_HELP,
    Output,
    check_members_option,
    ensemble_note,
    ensemble_path,
    model_or_scenario,
    parse_blocks,
    parse_sets,
    scenario_in_words,
    user_errors,
    writing,
)
from senotwin.sim.engines import engine_help

if TYPE_CHECKING:
    from senotwin.therapy.language import Regimen

SUFFIXES = (".parquet", ".csv")


def simulate(
    out: Path = typer.Option(..., "--out", help="Output table: .parquet or .csv."),
    model: Path | None = MODEL,
    scenario: str | None = SCENARIO,
    days: float | None = typer.Option(
        None, "--days", help="Duration in days (default: the scenario's)."
    ),
    sets: list[str] = typer.Option(
        [], "--set", help="NAME=VALUE for a parameter or a species' initial amount."
    ),
    blocks: list[str] = typer.Option(
        [], "--block", help="ENTITY[=FRACTION]: inhibit an entity (1.0 = knockout, default)."
    ),
    engine: str = typer.Option("reference", "--engine", help=engine_help()),
    regimen: str | None = typer.Option(
        None,
        "--regimen",
        help="Regimen text (" + REGIMEN_HELP + ") or a .yaml/.txt file (drugs with PK/PD).",
    ),
    plot: Path | None = typer.Option(
        None, "--plot", help="Also write the run's time-course figure (.png/.svg)."
    ),
    summary_json: bool = typer.Option(
        False,
        "--summary-json",
        help="Print a JSON summary (status, final values, their units, provenance).",
    ),
    ensemble: Path | None = typer.Option(
        None,
        "--ensemble",
        parser=ensemble_path,
        metavar="<path>",
        help="Parameter sets (CSV/TSV, one column per parameter, e.g. a posterior ensemble from "
        "`senotwin calibrate --ensemble`): write 5/50/95% bands (COLUMN_q05/_q50/_q95)."
        + SHIPPED_ENSEMBLE_HELP,
    ),
    members: int | None = MEMBERS,
    allow_off_label: bool = ALLOW_OFF_LABEL,
) -> None:
    """Simulate a model or scenario and write the time course; nothing is written on failure."""
    from senotwin import SolverOptions, run_scenario
    from senotwin._io import atomic_write_bytes
    from senotwin.sim import check_days

    outputs = (Output("--out", out, SUFFIXES), Output("--plot", plot, FIGURE_SUFFIXES))
    with user_errors(), writing(*outputs, inputs=(model, ensemble)):
        if days is not None:
            check_days(days, name="--days")
        check_members_option(members, ensemble)
        reg = _regimen(regimen, scenario, allow_off_label)
        if ensemble is not None:
            if summary_json:  # it printed nothing at all: say what goes with what
                raise ValidationError(
                    "--summary-json summarises one run; it does not go with --ensemble"
                )
            _ensemble(
                out, ensemble, members, model, scenario, days, sets, blocks, engine, reg, plot
            )
            return
        target = model_or_scenario(model, scenario)
        result = run_scenario(
            target,
            overrides=parse_sets(sets),
            blocks=parse_blocks(blocks),
            regimen=reg,
            days=days,
            solver=SolverOptions(engine=engine),
        )
        if not result.ok:
            typer.echo(f"error: simulation failed: {result.message}; nothing written", err=True)
            raise typer.Exit(code=1)
        if out.suffix.lower() == ".csv":
            data = result.table.to_csv(index=False).encode()
        else:
            import io

            buf = io.BytesIO()
            result.table.to_parquet(buf, index=False)
            data = buf.getvalue()
        atomic_write_bytes(out, data)
        if plot is not None:
            from senotwin.report.timecourses import plot_timecourses

            # neither option: the default scenario, not the model
            name = scenario_in_words(target)
            plot_timecourses(result.table, plot, title=_plot_title(name, sets, blocks, regimen))
    if summary_json:
        summary = result.summary()
        summary["out"] = str(out)
        typer.echo(json.dumps(summary, indent=2, default=float))
    else:
        typer.echo(f"wrote {out}: {len(result.table)} rows, status {result.status}")
        if plot is not None:
            typer.echo(f"wrote {plot}")


def _plot_title(name: str, sets: list[str], blocks: list[str], regimen: str | None) -> str:
    """The figure's title: what ran, with every change the command made to it (a figure of a
    blocked run was titled with the scenario alone; audit, session 40)."""
    changes = [f"set {s}" for s in sets] + [f"block {b}" for b in blocks]
    if regimen:
        changes.append(f"regimen {regimen}")
    return textwrap.fill(name + (f" ({'; '.join(changes)})" if changes else ""), width=110)


def _regimen(text: str | None, scenario: str | None, allow_off_label: bool) -> Regimen | None:
    """The --regimen, dosed in the scenario's body (mouse for mouse_* scenarios)."""
    from senotwin import parse_regimen
    from senotwin.therapy.dosing import body_for_scenario

    if text is None:
        return None
    body = body_for_scenario(scenario)
    return parse_regimen(text, body=body, allow_off_label=allow_off_label)


def _ensemble(
    out: Path,
    ensemble: Path,
    members: int | None,
    model: Path | None,
    scenario: str | None,
    days: float | None,
    sets: list[str],
    blocks: list[str],
    engine: str,
    regimen: Regimen | None,
    plot: Path | None,
) -> None:
    """``simulate --ensemble``: one run per parameter set (the first ``members`` with
    ``--members``), written as quantile bands."""
    from senotwin import SolverOptions
    from senotwin._io import atomic_write_bytes, read_table
    from senotwin.calibrate.sample import ensemble_bands
    from senotwin.sim.scenario import prepare_scenario

    if plot is not None:
        raise ValidationError("--plot draws one run; it does not go with --ensemble")
    ensemble_note(ensemble)
    rows = read_table(ensemble, what="--ensemble")
    if members is not None:
        check_members(members, len(rows))
        rows = rows.iloc[:members]
    setup = prepare_scenario(
        model_or_scenario(model, scenario),
        overrides=parse_sets(sets),
        regimen=regimen,
        days=days,
    )
    bands = ensemble_bands(
        setup,
        rows,
        solver=SolverOptions(engine=engine),
        blocks=parse_blocks(blocks),
    )
    if bands.failed == bands.runs:
        raise ValidationError(
            f"every one of the {bands.runs} ensemble runs failed; nothing written"
        )
    if out.suffix.lower() == ".csv":
        data = bands.table.to_csv(index=False).encode()
    else:
        import io

        buf = io.BytesIO()
        bands.table.to_parquet(buf, index=False)
        data = buf.getvalue()
    atomic_write_bytes(out, data)
    ignored = (
        f"; columns ignored (no parameter or species): {', '.join(bands.ignored)}"
        if bands.ignored
        else ""
    )
    typer.echo(
        f"wrote {out}: 5/50/95% bands of {bands.runs - bands.failed} runs "
        f"({bands.failed} failed){ignored}"
    )
