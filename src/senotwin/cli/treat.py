"""``senotwin treat``: therapy arms on one scenario (compare) and dose-response."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer

from senotwin._ensembles import check_members
from senotwin.analysis.ensemble_compare import BETTER
from senotwin.cli._common import (
    ALLOW_OFF_LABEL,
    DOSE_RULES_HELP,
    MEMBERS,
    REGIMEN_HELP,
    SHIPPED_ENSEMBLE_HELP,
    Output,
    check_members_option,
    ensemble_note,
    ensemble_path,
    print_json,
    user_errors,
    writing,
)
from senotwin.sim import check_days
from senotwin.sim.engines import engine_help

#: file types save_figure writes
PLOT_SUFFIXES = (".png", ".svg", ".pdf")

app = typer.Typer(help="Therapy experiments: compare regimens, dose-response.")


def _arms(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        name, sep, reg = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--arm {item!r} is not of the form NAME=REGIMEN")
        if name.strip() in out:
            raise ValueError(f"--arm {name.strip()!r} given twice")
        if not reg.strip():  # ran as an untreated arm without a word (audit, session 41)
            raise ValueError(
                f"--arm {item!r} has no regimen after '='; write {name.strip()}=none for an "
                "untreated arm"
            )
        out[name.strip()] = reg.strip()
    return out


def _print_table(frame: Any) -> None:
    typer.echo(frame.to_string(index=False, float_format=lambda x: f"{x:.4g}"))


def _print_arms(comp: Any, frame: Any) -> None:
    """The per-arm metrics table, 'none' for no progression, then a line with the units."""
    import pandas as pd

    from senotwin.model.readouts import readouts_for

    read = readouts_for(next(iter(comp.tables.values())))
    ttp = frame["time_to_progression"]
    frame = frame.assign(time_to_progression=["none" if pd.isna(v) else f"{v:g}" for v in ttp])
    _print_table(frame)
    typer.echo(
        "units: final_tumour, min_tumour 1e9 cells; tumour_auc, senescent_auc 1e9 cells*day; "
        f"time_to_progression day (none: no RECIST progression within follow-up); sasp_auc "
        f"{read.sasp_unit_text}*day; effector_suppressor_*: {read.balance_label}; tox_*: AUC of "
        "the toxicity proxies (drug inhibition, fraction*day; senolysis tissue damage on a QSP "
        "model: share of host tissue cells killed)"
    )


def _print_notes(notes: tuple[str, ...]) -> None:
    for note in notes:
        typer.echo(f"note: {note}", err=True)


@app.command("compare")
def compare(
    scenario: str = typer.Option("aged_lung_untreated", "--scenario", help="Scenario name."),
    arm: list[str] = typer.Option(
        ...,
        "--arm",
        help="NAME=REGIMEN, repeated for each arm: regimen text (" + REGIMEN_HELP + ") or a "
        ".yaml/.txt file; 'none' = untreated.",
    ),
    days: float | None = typer.Option(
        None, "--days", help="Duration in days (default: the scenario's)."
    ),
    engine: str = typer.Option("reference", "--engine", help=engine_help()),
    as_json: bool = typer.Option(False, "--json", help="Print the metrics as JSON."),
    plot: Path | None = typer.Option(
        None,
        "--plot",
        help="Write the arms' time courses (tumour, senescent burden, SASP, immune balance; "
        "each dose given marked by a tick, one row per arm at each panel's foot, named at its "
        "left) as .png, .svg or .pdf.",
    ),
    allow_off_label: bool = ALLOW_OFF_LABEL,
    dose_rules: bool = typer.Option(
        False,
        "--dose-rules",
        help=DOSE_RULES_HELP + " The changes are listed per arm.",
    ),
    ensemble: Path | None = typer.Option(
        None,
        "--ensemble",
        parser=ensemble_path,
        metavar="<path>",
        help="Parameter sets (CSV/TSV, one column per parameter, e.g. `senotwin calibrate "
        "--ensemble`'s ensemble.tsv): run every arm once per set; report medians, 90% "
        "intervals and, per pair of arms, the shares of sets in which one beats the other, "
        "ties it or loses (supported: beats in >= 80%)." + SHIPPED_ENSEMBLE_HELP,
    ),
    metric: str = typer.Option(
        "final_tumour",
        "--metric",
        help="With --ensemble: the metric that decides 'beats': "
        + ", ".join(f"{m} ({'higher' if d > 0 else 'lower'} is better)" for m, d in BETTER.items())
        + ".",
    ),
    members: int | None = MEMBERS,
) -> None:
    """Run arms on one scenario; report tumour, senescence, SASP, immune and toxicity metrics."""
    from senotwin.analysis.therapy import compare_arms

    with user_errors():
        _check_ensemble_options(ensemble, metric, members, dose_rules)
        if days is not None:
            check_days(days, name="--days")
    if ensemble is not None:
        _compare_ensemble(
            scenario, arm, days, engine, as_json, plot, ensemble, metric, members, allow_off_label
        )
        return
    with user_errors(), writing(Output("--plot", plot, PLOT_SUFFIXES)):
        from senotwin.therapy.dose_rules import DoseRules

        comp = compare_arms(
            scenario,
            _arms(arm),
            days=days,
            engine=engine,
            allow_off_label=allow_off_label,
            dose_rules=DoseRules() if dose_rules else None,
        )
        if plot is not None:
            from senotwin.report.therapy_sections import comparison_figure, save_figure

            save_figure(comparison_figure(comp), plot)
            if not as_json:  # --json prints JSON only (CliRunner mixes the streams)
                typer.echo(f"wrote {plot}", err=True)
    if as_json:
        print_json(comp.to_dict())
    else:
        _print_arms(comp, comp.to_frame())
        _print_blood_counts(comp.arms)
        _print_notes(comp.notes)


def _print_blood_counts(arms: Sequence[Any]) -> None:
    """One line per arm with a blood-count model: its ANC and platelet nadirs with their
    grades and the dose rules' changes (the metrics table has no column for them)."""
    for a in arms:
        counts = []
        if a.anc_nadir is not None:
            counts.append(f"ANC nadir {a.anc_nadir:.2f}e9/L (grade {a.neutropenia_grade})")
        if a.platelet_nadir is not None:
            counts.append(
                f"platelet nadir {a.platelet_nadir:.0f}e9/L (grade {a.thrombocytopenia_grade})"
            )
        if counts:
            typer.echo(f"{a.name}: " + "; ".join([*counts, *a.dose_changes]))


def _check_ensemble_options(
    ensemble: Path | None, metric: str, members: int | None, dose_rules: bool
) -> None:
    """Options that act only with (or only without) --ensemble; ignoring one hid a mistake."""
    check_members_option(members, ensemble)
    if ensemble is None:
        if metric != "final_tumour":
            raise ValueError("--metric decides which arm beats another; it needs --ensemble")
    else:
        if dose_rules:
            raise ValueError("--dose-rules applies to single runs; it does not go with --ensemble")


#: metrics shown by ``treat compare --ensemble`` (all are in --json)
ENSEMBLE_COLUMNS = ("final_tumour", "tumour_auc", "time_to_progression", "sasp_auc")


def _g(value: float) -> str:
    """A quantile for the terminal; inf = no progression within follow-up."""
    return "none" if value == float("inf") else f"{value:.4g}"


def _compare_ensemble(
    scenario: str,
    arm: list[str],
    days: float | None,
    engine: str,
    as_json: bool,
    plot: Path | None,
    ensemble: Path,
    metric: str,
    members: int | None,
    allow_off_label: bool,
) -> None:
    """``treat compare --ensemble``: arms over the ensemble, claims supported at >= 80 %."""
    from senotwin._errors import ValidationError
    from senotwin._io import read_table
    from senotwin.analysis.ensemble_compare import compare_arms_ensemble, one_per_pair

    with user_errors(), writing(inputs=(ensemble,)):
        if plot is not None:
            raise ValidationError("--plot draws one run per arm; it does not go with --ensemble")
        ensemble_note(ensemble)
        sets = read_table(ensemble, what="--ensemble")
        check_members(members, len(sets))  # by its flag (the library names max_members)
        comp = compare_arms_ensemble(
            scenario,
            _arms(arm),
            sets,
            days=days,
            metric=metric,
            max_members=members,
            allow_off_label=allow_off_label,
            engine=engine,
        )
    if as_json:
        print_json(comp.to_dict())
        return
    summary = comp.summary()
    shown = dict.fromkeys((metric, *ENSEMBLE_COLUMNS))
    summary = summary[summary["metric"].isin(list(shown))]
    typer.echo(
        f"{scenario}, {comp.days:g} days, {comp.members} ensemble members "
        f"(varying {', '.join(comp.parameters)}); median [5%, 95%]:"
    )
    table = summary.assign(
        value=[
            f"{_g(r.median)} [{_g(r.q05)}, {_g(r.q95)}]" for r in summary.itertuples(index=False)
        ]
    ).pivot(index="arm", columns="metric", values="value")
    _print_table(table.reindex(index=list(comp.arms), columns=list(shown)).reset_index())
    for claim in one_per_pair(comp.claims()):
        typer.echo(claim.sentence())
    if comp.failed:
        typer.echo(f"note: {len(comp.failed)} member(s) failed and were left out", err=True)
    if comp.ignored:
        typer.echo(f"note: columns ignored (not parameters): {', '.join(comp.ignored)}", err=True)
    _print_notes(comp.notes)


@app.command("dose-response")
def dose_response(
    drug: str = typer.Option(..., "--drug", help="Drug id or alias."),
    doses: str = typer.Option(..., "--doses", help="Comma-separated doses, e.g. 1,5,25."),
    unit: str | None = typer.Option(None, "--unit", help="Dose unit (default: the drug's)."),
    route: str | None = typer.Option(None, "--route", help="Route (default: the drug's)."),
    schedule: str = typer.Option(
        "qd d0-d13",
        "--schedule",
        help="Schedule part of a regimen: a frequency (qd, bid, tid, qid, qNh with N dividing "
        "24, qod, qw, qNd, qNw) and days ('tid d0-d13', 'q3d d0-d20', 'd0,d7').",
    ),
    background: str | None = typer.Option(
        None, "--background", help="Regimen given to every arm (e.g. the chemotherapy)."
    ),
    scenario: str = typer.Option("aged_lung_untreated", "--scenario", help="Scenario name."),
    days: float | None = typer.Option(
        None, "--days", help="Duration in days (default: the scenario's)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the metrics as JSON."),
    plot: Path | None = typer.Option(
        None, "--plot", help="Write the dose-response figure (.png, .svg or .pdf)."
    ),
    allow_off_label: bool = ALLOW_OFF_LABEL,
) -> None:
    """Run one drug at several doses (same schedule) and report the metrics per dose."""
    from senotwin.analysis.therapy import dose_response as run

    with user_errors(), writing(Output("--plot", plot, PLOT_SUFFIXES)):
        if days is not None:
            check_days(days, name="--days")
        values = []
        for raw in doses.split(","):
            try:
                values.append(float(raw))
            except ValueError:
                raise ValueError(f"--doses: {raw.strip()!r} is not a number") from None
        dr = run(
            scenario,
            drug,
            values,
            unit=unit,
            route=route,
            schedule=schedule,
            background=background,
            days=days,
            allow_off_label=allow_off_label,
        )
        if plot is not None:
            from senotwin.report.therapy_sections import dose_response_figure, save_figure

            save_figure(dose_response_figure(dr), plot)
            if not as_json:  # --json prints JSON only (CliRunner mixes the streams)
                typer.echo(f"wrote {plot}", err=True)
    if as_json:
        print_json(dr.to_dict())
    else:
        _print_arms(dr.comparison, dr.to_frame())  # the control's row first (dose 0)
        control = [] if dr.control is None else [dr.control]  # its row is printed first too
        _print_blood_counts([*control, *dr.comparison.arms])
        _print_notes(dr.comparison.notes)
