"""``senotwin optimize``: search drug timing, sequence and dose under a toxicity constraint."""

from __future__ import annotations

import typer

from senotwin.cli._common import print_json, user_errors
from senotwin.sim.engines import engine_help


def optimize(
    scenario: str = typer.Option("default", "--scenario", help="Scenario (backdrop) to treat."),
    drugs: str = typer.Option(
        "navitoclax,anti-pd-1",
        "--drugs",
        help="Comma-separated drugs of the library (see `senotwin drugs list`).",
    ),
    horizon: float = typer.Option(180.0, "--horizon", help="Days simulated per patient."),
    budget: int = typer.Option(40, "--budget", help="Schedules tried (optuna TPE trials)."),
    patients: int = typer.Option(8, "--patients", help="Virtual patients per evaluation."),
    seed: int = typer.Option(0, "--seed", help="Seed of patients and search."),
    max_toxicity: float = typer.Option(
        2.0,
        "--max-toxicity",
        help="Most toxicity a schedule may cause (>= 0): the mechanism-based toxicity proxies "
        "(relative; NF-kB, mTOR and BCL-2-family inhibition, senolytic tissue damage) integrated "
        "over the run, divided by 90 days and summed; a mean grade-4 neutropenia is always "
        "infeasible.",
    ),
    engine: str = typer.Option("fast", "--engine", help=engine_help()),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Best schedules with their cohort-level outcome (mean log10 burden change, 95% CI)."""
    from senotwin.cohort.optimize import optimize_schedule

    with user_errors():
        names = [d.strip() for d in drugs.split(",") if d.strip()]
        res = optimize_schedule(
            scenario,
            names,
            horizon=horizon,
            budget=budget,
            patients=patients,
            seed=seed,
            max_toxicity=max_toxicity,
            engine=engine,
        )
    if as_json:
        print_json({"scenario": scenario, "drugs": names, "result": res})
        return
    ref = res.reference
    typer.echo(
        f"{scenario}, {res.patients} patients, {res.trials} schedules tried, horizon "
        f"{res.horizon:g} d; no drug: log10 burden change {ref.mean_log_ratio:+.2f} "
        f"({ref.ci_low:+.2f} to {ref.ci_high:+.2f})"
    )
    for k, b in enumerate(res.best, 1):
        flag = "" if b.feasible else " [exceeds toxicity limit]"
        typer.echo(
            f"{k}. {b.regimen}\n   log10 change {b.mean_log_ratio:+.2f} ({b.ci_low:+.2f} to "
            f"{b.ci_high:+.2f}), responders {100 * b.response_rate:.0f}%, "
            f"toxicity {b.toxicity:.2f}{flag}"
        )
