"""``senotwin petab export|lint``, ``senotwin calibrate`` and ``senotwin profile``: calibration
problems as PEtab v1 directories, multi-start fits and profile likelihoods with their tables and
figures."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from senotwin._errors import check_seed
from senotwin._io import check_not_mixed
from senotwin.cli._common import (
    Output,
    check_count,
    print_json,
    to_jsonable,
    user_errors,
    writing,
)

if TYPE_CHECKING:
    from senotwin.calibrate.fit import FitResult, GoodnessOfFit
    from senotwin.calibrate.problem import Problem
    from senotwin.calibrate.profile import Profile

petab_app = typer.Typer(
    help="Calibration problems as PEtab v1 directories (export, lint).", no_args_is_help=True
)


@petab_app.command("export")
def petab_export(
    out: Path = typer.Option(
        ...,
        "--out",
        help="Output directory: new, empty, or an earlier export (replaced as a whole).",
    ),
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
    """Write a PEtab problem from a scenario (its own simulation as data) or a shipped data set.

    A scenario's model carries its values and its own simulation as noise-free data (a fit must
    recover the nominal values)."""
    from senotwin.calibrate import export_problem, get_problem, lint_problem, scenario_problem
    from senotwin.calibrate.petab_io import export_target

    with user_errors(), writing(Output("--out", out, directory=True)):
        earlier = export_target(out)  # before the problem is built, not after
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
    replaced = f" (replacing the earlier export of {earlier})" if earlier is not None else ""
    typer.echo(
        f"wrote {out}{replaced}: {len(pr.measurements)} measurements, "
        f"{len(pr.observables)} observables, {len(pr.estimated)} parameters to fit; {status}"
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
        for line in problems:  # each says its level (error / warning)
            typer.echo(line, err=True)
        raise typer.Exit(code=1)
    typer.echo(f"{directory}: petab lint ok")


PROBLEM = typer.Option(
    ..., "--problem", help="A shipped data set (e.g. galvis2019) or a PEtab directory."
)


def _resolve(problem: str) -> Problem:
    """A named problem, or a PEtab directory written by ``petab export``."""
    from senotwin.calibrate import get_problem, load_problem, problem_names

    if problem not in problem_names() and Path(problem).is_dir():
        return load_problem(problem)
    return get_problem(problem)  # an unknown name: the registry's error lists the known ones


def _check_fit_folder(out: Path | None) -> None:
    """``--out`` is new, empty or an earlier fit's folder (its fit.json): a fit writes its tables
    over a user's files of the same names, and one without --ensemble/--profiles removes an
    ensemble.tsv/profiles.png it takes for an earlier fit's (ux53); refused before the fit."""
    if out is not None:
        check_not_mixed(
            out,
            own=_earlier_fit(out),
            marker="earlier fit (fit.json)",
            allowed="name a new or empty folder, or an earlier calibrate/profile folder (its fit "
            "is replaced)",
        )


def _earlier_fit(out: Path) -> bool:
    """Whether ``out`` holds a fit.json that `calibrate` or `profile` wrote (a JSON object with
    the problem and its nllh), as `cohort run` knows its folders by their manifest.json."""
    try:
        record = json.loads((out / "fit.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and {"problem", "nllh"} <= record.keys()


def _summary(fit: FitResult, rows: list[dict]) -> dict:
    return {
        "problem": fit.problem,
        "n_data": fit.n_data,
        "nllh": fit.nllh,
        "aic": fit.aic,
        "bic": fit.bic,
        "starts": len(fit.starts),
        "starts_at_best": fit.converged,
        "seconds": fit.seconds,
        "evaluations": fit.evaluations,
        "goodness": to_jsonable(list(fit.goodness)),
        "held_back": _held(fit.held_back) if fit.held_back else None,
        "held_back_by_dataset": [_held(g) for g in fit.held_back_by_dataset],
        "held_back_by_observable": [_held(g) for g in fit.held_back_by_observable],
        "held_back_rmse": fit.held_back_rmse,
        "fim_eigenvalues": list(fit.fim_eigenvalues),
        "parameters": to_jsonable(rows),
    }


def _held(g: GoodnessOfFit) -> dict:
    """A held-back goodness of fit with its chi2 p and whether the fit predicts those data."""
    return to_jsonable(g) | {"chi2_p": g.chi2_p(), "predicted": g.predicted()}


def _write_results(
    out: Path,
    pr: Problem,
    fit: FitResult,
    profiles: tuple[Profile, ...],
    extra: dict | None = None,
) -> dict:
    """parameters.tsv, starts.tsv, curves.tsv, fit.json, model.yaml, the figures and
    report.html (the report's calibration section) into ``out``; an earlier run's profiles.png
    or ensemble.tsv that this run does not make is removed, so the folder holds one fit.

    model.yaml is the model fitted, with the problem's base values: `simulate --model
    DIR/model.yaml --ensemble DIR/ensemble.tsv` runs the draws on it wherever senotwin is
    installed (the README pointed into a source checkout for a shipped problem's model; ux53)."""
    import pandas as pd

    from senotwin import __version__
    from senotwin._io import atomic_remove, atomic_write_bytes, atomic_write_text
    from senotwin.calibrate.objective import Objective, fit_curves
    from senotwin.export.values import with_values
    from senotwin.model.io import spec_to_yaml
    from senotwin.report.calibration_sections import (
        calibration_section,
        fits_figure,
        parameter_rows,
        profiles_figure,
        waterfall_figure,
    )
    from senotwin.report.figures import figure_bytes
    from senotwin.report.html import render_report

    out.mkdir(parents=True, exist_ok=True)
    rows = parameter_rows(fit, profiles, pr)
    atomic_write_text(out / "parameters.tsv", pd.DataFrame(rows).to_csv(sep="\t", index=False))
    starts = pd.DataFrame(
        [
            {"rank": k + 1, "start": s.index, "nllh": s.nllh, "evaluations": s.evaluations}
            | {f"x_{pid}": v for pid, v in zip(fit.parameter_ids, s.x, strict=True)}
            for k, s in enumerate(fit.starts)
        ]
    )
    atomic_write_text(out / "starts.tsv", starts.to_csv(sep="\t", index=False))
    summary = _summary(fit, rows) | (extra or {})
    atomic_write_text(out / "fit.json", json.dumps(summary, indent=2, default=float))
    base = {k: v for k, v in pr.params.items() if k in pr.spec.parameter_ids}
    fitted = with_values(pr.spec, base, dict(pr.initial), check_ranges=False)
    atomic_write_text(out / "model.yaml", spec_to_yaml(fitted))
    curves = fit_curves(Objective(pr), fit.best)
    atomic_write_text(out / "curves.tsv", curves.to_csv(sep="\t", index=False))
    atomic_write_bytes(out / "waterfall.png", figure_bytes(waterfall_figure(fit)))
    atomic_write_bytes(out / "fits.png", figure_bytes(fits_figure(pr, curves)))
    if profiles:
        figure = profiles_figure(profiles, fit.nllh, pr)
        atomic_write_bytes(out / "profiles.png", figure_bytes(figure))
    else:  # a figure of an earlier fit into the same folder must not sit beside this one
        atomic_remove(out / "profiles.png")  # once this fit is written, not before
    if "ensemble" not in (extra or {}):  # nor an earlier fit's posterior draws
        atomic_remove(out / "ensemble.tsv")
    page = render_report(
        [calibration_section(pr, fit, profiles, curves)],
        title=f"senotwin calibration: {pr.name}",
        subtitle=pr.description,
        footer=f"senotwin {__version__}",
    )
    atomic_write_text(out / "report.html", page)
    return summary


def _echo_fit(summary: dict) -> None:
    typer.echo(
        f"{summary['problem']}: {summary['starts']} starts, {summary['starts_at_best']} at the "
        f"best fit; nllh {summary['nllh']:.2f}, AIC {summary['aic']:.1f}, "
        f"{summary['evaluations']} simulations in {summary['seconds']:.1f} s"
    )
    for g in summary["goodness"]:
        typer.echo(f"  {g['dataset']}: n={g['n']} chi2={g['chi2']:.1f}")
    if summary["held_back"]:
        h = summary["held_back"]
        typer.echo(
            f"  held back (predicted, not fitted): n={h['n']} chi2={h['chi2']:.1f} "
            f"RMSE={summary['held_back_rmse']:.3g}; {_verdict(h)}"
        )
        for key in ("held_back_by_dataset", "held_back_by_observable"):
            for g in summary[key] if len(summary[key]) > 1 else ():
                typer.echo(f"    {g['dataset']}: n={g['n']} chi2={g['chi2']:.1f}; {_verdict(g)}")
    for r in summary["parameters"]:
        ci = ""
        if r["identifiable"] is not None:
            lo = "open" if r["ci_low"] is None else f"{r['ci_low']:.3g}"
            hi = "open" if r["ci_high"] is None else f"{r['ci_high']:.3g}"
            flag = "" if r["identifiable"] else "  NON-IDENTIFIABLE"
            ci = f"  95% CI {lo} - {hi}{flag}"
        typer.echo(f"  {r['parameter']} = {r['best']:.4g}{ci}")


def _verdict(g: dict) -> str:
    """'chi2 p 0.31: predicted' or 'chi2 p 2e-35: NOT PREDICTED by the fit'."""
    word = "predicted" if g["predicted"] else "NOT PREDICTED by the fit"
    return f"chi2 p {g['chi2_p']:.2g}: {word}"


def _self_fitting(problem: str) -> bool:
    """Whether ``problem`` names a registered problem that fits itself (a simulated cohort)."""
    from senotwin.calibrate.problems import PROBLEMS, problem_names

    return problem in problem_names() and PROBLEMS.get(problem).fit is not None


def _calibrate_cohort(
    problem: str, starts: int, seed: int, cohorts: int, out: Path | None, as_json: bool
) -> None:
    """Fit a simulated-cohort problem and print its summary (fit.json, figure.png in --out);
    ``cohorts`` > 1 fits the mean nllh over the cohorts of seeds ``seed`` .. ``seed + cohorts -
    1`` (the shipped liu2019 fit: 4, seeds 0-3)."""
    from senotwin.calibrate.problems import PROBLEMS

    runner = PROBLEMS.get(problem).fit
    assert runner is not None
    seeds = list(range(seed, seed + cohorts)) if cohorts > 1 else []
    with user_errors(), writing(Output("--out", out, directory=True)):
        _check_fit_folder(out)
        record = runner(starts=starts, seed=seed, out=out, seeds=seeds)
    if as_json:
        print_json(record)
        return
    over = f" (mean over the cohorts of seeds {record['seeds']})" if record.get("seeds") else ""
    typer.echo(
        f"{record['problem']}: {len(record['starts'])} starts, nllh {record['nllh']:.2f}{over}, "
        f"{record['evaluations']} cohort evaluations of {record['virtual_patients']} virtual "
        f"patients in {record['seconds']:.0f} s"
    )
    for p in record["parameters"]:
        lo = "open" if p["ci_low"] is None else f"{p['ci_low']:.3g}"
        hi = "open" if p["ci_high"] is None else f"{p['ci_high']:.3g}"
        typer.echo(f"  {p['parameter']} = {p['best']:.4g}  (conditional 95% {lo} - {hi})")
    for name, rec in [(record["fitted_cohort"] + " (fitted)", record["fitted"])] + [
        (k + " (predicted)", v) for k, v in record["predictions"].items()
    ]:
        typer.echo(
            f"  {name}: ORR {100 * rec['orr_sim']:.0f}% vs {100 * rec['orr_obs']:.0f}% observed; "
            f"by CD8 tertile {[round(100 * x) for x in rec['tertile_orr_sim']]} vs "
            f"{[round(100 * x) for x in rec['tertile_orr_obs']]}"
        )
    for name, why in record["not_predicted"].items():
        typer.echo(f"  {name}: not predicted ({why})")
    if out is not None:
        typer.echo(f"wrote {out}")


def calibrate(
    problem: str = PROBLEM,
    starts: int | None = typer.Option(
        None,
        "--starts",
        min=1,
        help="Latin-hypercube starts (plus nominal); default 50, and 1 for a simulated-cohort "
        "problem (liu2019: each start simulates a virtual cohort ~30 times).",
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the starts."),
    cohorts: int = typer.Option(
        1,
        "--cohorts",
        help="Simulated-cohort problems only: fit the mean nllh over this many virtual cohorts "
        "(seeds --seed, --seed + 1, ...; one process each); the shipped liu2019 fit used 4.",
    ),
    out: Path | None = typer.Option(None, "--out", help="Directory for tables and figures."),
    profiles: bool = typer.Option(
        False, "--profiles", help="Also profile every fitted parameter (95% intervals)."
    ),
    ensemble: int = typer.Option(
        0,
        "--ensemble",
        help="Posterior samples to draw (adaptive Metropolis from the best fit) into "
        "ensemble.tsv (a parameter that sets a species' initial amount is written under the "
        "species' name); use it with `senotwin simulate --ensemble` (needs --out).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Multi-start fit of a data set: best values, goodness of fit, held-back prediction, plots.

    SciPy least_squares (trf) on log10 parameters with the fast engine; waterfall and fit plots;
    optionally profiles and a posterior ensemble."""
    from senotwin.calibrate.fit import fit_problem
    from senotwin.calibrate.objective import Objective
    from senotwin.calibrate.profile import profile_all
    from senotwin.report.calibration_sections import parameter_rows

    outputs = (Output("--out", out, directory=True),)
    with user_errors():  # before a fit of minutes, not after it
        check_count("--ensemble", ensemble, 0)
        check_count("--cohorts", cohorts, 1, 16)
        check_seed(seed)
    if _self_fitting(problem):
        if ensemble:
            raise typer.BadParameter(
                f"--ensemble is not drawn for the simulated-cohort problem {problem!r} here (a "
                "chain takes ~1 s per likelihood evaluation); its shipped posterior is "
                "calibrate/data/ensembles/liu2019_posterior.tsv (scripts/liu2019_posterior.py)",
                param_hint="--ensemble",
            )
        _calibrate_cohort(problem, 1 if starts is None else starts, seed, cohorts, out, as_json)
        return
    if cohorts != 1:
        raise typer.BadParameter(
            f"got {cohorts}; only a simulated-cohort problem (liu2019) averages over "
            f"virtual cohorts; {problem!r} fits its data directly (leave --cohorts at 1)",
            param_hint="--cohorts",
        )
    with user_errors(), writing(*outputs):
        if ensemble and out is None:
            raise typer.BadParameter("--ensemble writes ensemble.tsv: give --out DIR")
        _check_fit_folder(out)
        pr = _resolve(problem)
        objective = Objective(pr)
        fit = fit_problem(objective, starts=50 if starts is None else starts, seed=seed)
        profs = profile_all(objective, fit) if profiles else ()
        extra: dict = {}
        if ensemble and out is not None:
            from senotwin._io import atomic_write_text
            from senotwin.calibrate.sample import sample_posterior

            ens = sample_posterior(objective, fit, samples=ensemble, seed=seed)
            out.mkdir(parents=True, exist_ok=True)
            draws = ens.samples.rename(columns=pr.initial_amounts())  # e.g. Sl0 -> Sl
            atomic_write_text(out / "ensemble.tsv", draws.to_csv(sep="\t", index=False))
            extra["ensemble"] = {"samples": ensemble, "acceptance": ens.acceptance}
        summary = (
            _write_results(out, pr, fit, profs, extra)
            if out is not None
            else _summary(fit, parameter_rows(fit, profs, pr))
        )
    if as_json:
        print_json(summary)
    else:
        _echo_fit(summary)
        if out is not None:
            typer.echo(f"wrote {out}")


def profile(
    problem: str = PROBLEM,
    out: Path = typer.Option(..., "--out", help="Directory for tables and figures."),
    starts: int = typer.Option(20, "--starts", min=1, help="Starts of the fit that is profiled."),
    seed: int = typer.Option(0, "--seed", help="Seed of the starts."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Fit, then profile every fitted parameter: 95% intervals, non-identifiable ones flagged.

    Profile-likelihood intervals of every fitted parameter; the practically non-identifiable
    parameters are flagged; profiles.png."""
    from senotwin.calibrate.fit import fit_problem
    from senotwin.calibrate.objective import Objective
    from senotwin.calibrate.profile import profile_all

    with user_errors(), writing(Output("--out", out, directory=True)):
        _check_fit_folder(out)
        pr = _resolve(problem)
        objective = Objective(pr)
        began = time.perf_counter()

        def said(what: str, done: int, planned: int) -> None:
            """One progress line on stderr (it ran for minutes without a word; audit s41)."""
            typer.echo(f"{what} {done}/{planned} ({time.perf_counter() - began:.0f} s)", err=True)

        fit = fit_problem(
            objective,
            starts=starts,
            seed=seed,
            progress=lambda done, planned: said("fit: starts", len(done), planned),
        )
        k = len(fit.parameter_ids)
        profiles = profile_all(
            objective, fit, progress=lambda done: said("profiles: parameters", len(done), k)
        )
        summary = _write_results(out, pr, fit, profiles)
    if as_json:
        print_json(summary)
    else:
        _echo_fit(summary)
        typer.echo(f"wrote {out}")
