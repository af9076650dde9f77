"""``senotwin simulate``: run one simulation and write its table (Parquet or CSV)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from senotwin.cli._common import user_errors
from senotwin.cli.model import MODEL, SCENARIO, resolve

SUFFIXES = (".parquet", ".csv")


def parse_sets(items: list[str]) -> dict[str, float]:
    """``NAME=VALUE`` pairs with numeric values."""
    out: dict[str, float] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--set {item!r} is not of the form NAME=VALUE")
        try:
            out[name.strip()] = float(raw)
        except ValueError:
            raise ValueError(f"--set {item!r}: value {raw!r} is not a number") from None
    return out


def parse_blocks(items: list[str]) -> dict[str, float]:
    """``ENTITY`` (knockout, fraction 1) or ``ENTITY=FRACTION``."""
    out: dict[str, float] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not name.strip():
            raise ValueError(f"--block {item!r} names no entity")
        try:
            out[name.strip()] = float(raw) if sep else 1.0
        except ValueError:
            raise ValueError(f"--block {item!r}: fraction {raw!r} is not a number") from None
    return out


def simulate(
    out: Path = typer.Option(..., "--out", help="Output table: .parquet or .csv."),
    model: Path | None = MODEL,
    scenario: str | None = SCENARIO,
    days: float | None = typer.Option(None, "--days", help="Duration (default: the scenario's)."),
    sets: list[str] = typer.Option(
        [], "--set", help="NAME=VALUE for a parameter or a species' initial amount."
    ),
    blocks: list[str] = typer.Option(
        [], "--block", help="ENTITY[=FRACTION]: inhibit an entity (1.0 = knockout, default)."
    ),
    engine: str = typer.Option("reference", "--engine", help="reference or fast."),
    regimen: str | None = typer.Option(
        None, "--regimen", help="Regimen text or a .yaml/.txt file (drugs with PK/PD)."
    ),
    plot: Path | None = typer.Option(
        None, "--plot", help="Also write TME time-course figure (.png/.svg; TME model only)."
    ),
    summary_json: bool = typer.Option(
        False, "--summary-json", help="Print a JSON summary (status, final values, provenance)."
    ),
) -> None:
    """Simulate a model or scenario and write the time course; nothing is written on failure."""
    from senotwin._io import atomic_write_bytes
    from senotwin.model.expr import closest
    from senotwin.sim import simulate as run

    with user_errors():
        if out.suffix.lower() not in SUFFIXES:
            raise ValueError(f"--out {out}: use a .parquet or .csv file")
        spec, sc = resolve(model, scenario)
        params = dict(sc.params) if sc else {}
        initial = dict(sc.initial) if sc else {}
        for name, value in parse_sets(sets).items():
            if name in spec.parameter_ids:
                params[name] = value
            elif name in spec.species_ids:
                initial[name] = value
            else:
                close = closest(name, [*spec.parameter_ids, *spec.species_ids])
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise ValueError(f"--set: {spec.id} has no parameter or species {name!r}{hint}")
        t_end = days if days is not None else (sc.days if sc else 365.0)
        schedule = None
        if regimen is not None:
            from senotwin.therapy.language import apply_regimen

            plan = apply_regimen(spec, regimen)
            spec, schedule = plan.spec, plan.schedule
        result = run(
            spec,
            params=params,
            initial=initial,
            blocks=parse_blocks(blocks),
            regimen=schedule,
            t_end=t_end,
            engine=engine,
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

            plot_timecourses(result.table, plot, title=scenario or spec.id)
    if summary_json:
        summary = result.summary()
        summary["out"] = str(out)
        typer.echo(json.dumps(summary, indent=2, default=float))
    else:
        typer.echo(f"wrote {out}: {len(result.table)} rows, status {result.status}")
