"""``senotwin model ...``: statistics, explanations and exports of a model specification."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from senotwin.cli._common import (
    MODEL,
    SCENARIO,
    Output,
    model_or_scenario,
    print_json,
    user_errors,
    writing,
)
from senotwin.cli.model_check import check as model_check
from senotwin.model.scenarios import Scenario
from senotwin.model.spec import ModelSpec

app = typer.Typer(help="Inspect and export model specifications.", no_args_is_help=True)

#: --scenario of the commands that show values: only a named scenario applies its values
SCENARIO_VALUES = typer.Option(
    None,
    "--scenario",
    help="A named scenario (see `senotwin scenarios list`), with its parameter values and "
    "initial state; with neither --model nor --scenario, the `default` scenario's model with "
    "the model's own values.",
)


def resolve(model: Path | None, scenario: str | None) -> tuple[ModelSpec, Scenario | None]:
    """The spec from --model or --scenario (not both); the default scenario if neither."""
    from senotwin.sim.scenario import as_scenario

    target = model_or_scenario(model, scenario)
    if isinstance(target, ModelSpec):
        return target, None
    sc = as_scenario(target)
    return sc.load(), sc


@app.command("stats")
def stats(
    model: Path | None = MODEL,
    scenario: str | None = SCENARIO,
    json_out: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Counts of species, parameters, processes, observables and the provenance shares."""
    from senotwin.model.describe import stats as model_stats

    with user_errors():
        spec, _ = resolve(model, scenario)
        st = model_stats(spec)
    if json_out:
        print_json(st)
        return
    from senotwin.model.describe import provenance_lines

    for line in [*_stats_lines(st), *provenance_lines(st)]:
        typer.echo(line)


#: stats keys the text leaves out: :func:`provenance_lines` gives the provenance as counts and
#: %, and the calibration line the number identifiable
_TEXT_SKIPS = (
    "provenance",
    "parameter_provenance",
    "parameter_provenance_share",
    "calibrated_identifiable",
)


def _stats_lines(st: dict[str, Any]) -> list[str]:
    """``model stats`` as text: lists comma-separated, counts as 'name n', the calibration one
    line per data set (the text printed Python reprs, shares to 16 digits; ux53)."""
    lines = []
    for key, value in st.items():
        if key in _TEXT_SKIPS:
            continue
        if key == "calibration":
            lines.append(
                f"calibration: {value['calibrated']} calibrated, "
                f"{value['identifiable']} practically identifiable"
            )
            for dataset, names in value["by_dataset"].items():
                ident = ", ".join(names["identifiable"]) or "none"
                lines.append(
                    f"  {dataset}: {', '.join(names['calibrated'])} (identifiable: {ident})"
                )
        elif isinstance(value, dict):
            lines.append(f"{key}: " + ", ".join(f"{k} {v}" for k, v in value.items()))
        elif isinstance(value, list | tuple):
            lines.append(f"{key}: " + ", ".join(str(v) for v in value))
        else:
            lines.append(f"{key}: {value}")
    return lines


@app.command("units")
def units(
    model: Path | None = MODEL,
    scenario: str | None = SCENARIO,
    json_out: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Unit consistency of every process rate and observable (exit 1 on any mismatch the model
    is not known to have; the known ones are listed, as in `model check`)."""
    from senotwin.model.unitcheck import unit_check

    with user_errors():
        spec, _ = resolve(model, scenario)
        res = unit_check(spec)
    if json_out:
        print_json(
            {
                "model": spec.id,
                "consistent": res.passed and not res.known,
                "passed": res.passed,
                "summary": res.summary(),
                "problems": list(res.problems),
                "known": list(res.known),
            }
        )
    else:
        typer.echo("\n".join(res.lines()))
    if not res.passed:
        raise typer.Exit(code=1)


@app.command("explain")
def explain(
    name: str = typer.Argument(..., help="A process, parameter, species, observable or entity."),
    model: Path | None = MODEL,
    scenario: str | None = SCENARIO_VALUES,
) -> None:
    """Show a model element with its formula, values and evidence (with --scenario, the
    scenario's values)."""
    from senotwin.export.values import with_values
    from senotwin.model.describe import explain as describe

    with user_errors():
        spec, sc = resolve(model, scenario)
        if sc is not None and scenario is not None:  # the scenario's values, not the model's
            spec = with_values(spec, sc.params, sc.initial, check_ranges=sc.check_ranges)
        typer.echo(describe(spec, name))


@app.command("export")
def export(
    fmt: str = typer.Option(..., "--format", help="sbml, antimony, markdown or html."),
    out: Path = typer.Option(
        ...,
        "--out",
        help="File to write, ending in the format's suffix: sbml .xml or .sbml, antimony .ant "
        "or .txt, markdown .md or .markdown, html .html or .htm.",
    ),
    model: Path | None = MODEL,
    scenario: str | None = SCENARIO_VALUES,
) -> None:
    """Write the model in a standard format (nothing is written if the export fails).

    With --scenario the file carries the scenario's parameter values and initial state;
    without it, the model's own values."""
    from senotwin._io import atomic_write_text
    from senotwin.export import get
    from senotwin.export.values import with_values

    with user_errors():
        exporter = get(fmt)
    allowed = Output("--out", out, exporter.suffixes, kind=f"--format {fmt}")
    with user_errors(), writing(allowed, inputs=(model,)):
        spec, sc = resolve(model, scenario)
        if sc is not None and scenario is not None:  # the default scenario's values made the
            # card call the shipped sensitivity ranking stale (audit, session 41)
            spec = with_values(spec, sc.params, sc.initial, check_ranges=sc.check_ranges)
        text = exporter.write(spec)
        atomic_write_text(out, text)
    typer.echo(f"wrote {out} ({exporter.description})")


# `model check` lives in its own module (the structural checks); registered last, as listed
app.command("check")(model_check)
