"""``senotwin petab export|lint``: calibration problems as PEtab v1 directories."""

from __future__ import annotations

from pathlib import Path

import typer

from senotwin.cli._common import Output, user_errors, writing

petab_app = typer.Typer(
    help="Calibration problems as PEtab v1 directories (export, lint).", no_args_is_help=True
)


@petab_app.command("export")
def petab_export(
    out: Path = typer.Option(..., "--out", help="Output directory (created if missing)."),
    scenario: str | None = typer.Option(
        None, "--scenario", help="Scenario whose own simulation is the (synthetic) data."
    ),
    problem: str | None = typer.Option(
        None, "--problem", help="A named calibration problem (shipped data set) instead."
    ),
    observables: list[str] = typer.Option(
        [], "--observable", help="Species or observable measured (repeat; default: species)."
    ),
    estimate: list[str] = typer.Option(
        [], "--estimate", help="Parameter to fit (repeat; default: assumed ones with a range)."
    ),
) -> None:
    """Write a PEtab problem: a scenario's model with its values and its own simulation as
    noise-free data (a fit must recover the nominal values), or a shipped data set."""
    from senotwin.calibrate import export_problem, get_problem, lint_problem, scenario_problem

    with user_errors(), writing(Output("--out", out, directory=True)):
        if (scenario is None) == (problem is None):
            raise typer.BadParameter("give exactly one of --scenario and --problem")
        if problem is not None:
            if observables or estimate:
                raise typer.BadParameter("--observable/--estimate go with --scenario only")
            pr = get_problem(problem)
        else:
            pr = scenario_problem(
                scenario,
                observables=observables or None,
                estimate=estimate or None,
            )
        export_problem(pr, out)
    problems = lint_problem(out)
    status = "petab lint: ok" if not problems else f"petab lint: {len(problems)} problem(s)"
    typer.echo(
        f"wrote {out}: {len(pr.measurements)} measurements, {len(pr.observables)} observables, "
        f"{len(pr.estimated)} parameters to fit; {status}"
    )
    if problems:
        for line in problems:
            typer.echo(f"  {line}", err=True)
        raise typer.Exit(code=1)


@petab_app.command("lint")
def petab_lint(
    directory: Path = typer.Argument(..., help="PEtab problem directory (with problem.yaml)."),
) -> None:
    """Validate a PEtab problem with the petab library; exit 1 when it finds problems."""
    from senotwin.calibrate import lint_problem

    with user_errors():
        problems = lint_problem(directory)
    if problems:
        for line in problems:
            typer.echo(f"error: {line}", err=True)
        raise typer.Exit(code=1)
    typer.echo(f"{directory}: petab lint ok")
