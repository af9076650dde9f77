"""``senotwin demo``: run the demo's analyses, then write the self-contained HTML report."""

from __future__ import annotations

from pathlib import Path

import typer

from senotwin.cli._common import Output, user_errors, writing


def demo(
    out: Path = typer.Option(
        Path("demo_output"),
        "--out",
        help="Directory for report.html, each figure as PNG and the demo's virtual trials "
        "(cohort/, trial/; a later demo into the same directory resumes them).",
    ),
) -> None:
    """Run the demo's analyses (model, validation, therapy arms, trials, sensitivity) and write
    report.html with its figures.

    The analyses run on several shipped scenarios (the default one, the dual-effect pair, the
    aged lung host of the therapy arms), the validation suite, a virtual and a library trial,
    the held-back checkpoint cohorts and the stratification cohorts; the README gives the time
    it takes."""
    from dataclasses import replace

    from senotwin.analysis.demo import run_demo_analysis
    from senotwin.calibrate.sample import shipped_ensemble_path
    from senotwin.report.demo import write_report
    from senotwin.trial.ici_transfer import TRANSFER_HELD_BACK, predict_transfer
    from senotwin.trial.run import DEMO_TRIAL, demo_trial

    # the output path is checked before minutes of computing; files appear only on success
    with user_errors(), writing(Output("--out", out, directory=True)):
        results = run_demo_analysis(
            out / "cohort",
            ensemble=shipped_ensemble_path(),  # the liu2019 posterior: robustness of each case
            progress=lambda step: typer.echo(f"running: {step}", err=True),
        )
        typer.echo(f"running: library trial {DEMO_TRIAL} (small N)", err=True)
        results = replace(results, library_trial=demo_trial(out / "trial"))
        typer.echo("running: held-back checkpoint cohorts in other tissues", err=True)
        heldback = {name: predict_transfer(name) for name in TRANSFER_HELD_BACK}
        results = replace(results, heldback=heldback)
        written = write_report(results, out)
    typer.echo(f"wrote {written.report}")
    for fig in written.figures:
        typer.echo(f"wrote {fig}")
