"""``senotwin cohort run|summary``: virtual cohorts on Dask, and their survival summary."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from senotwin._ensembles import check_members
from senotwin._text import counted
from senotwin.cli._common import (
    ALLOW_OFF_LABEL,
    COHORT_SIZE,
    DOSE_RULES_HELP,
    MEMBERS,
    SHIPPED_ENSEMBLE_HELP,
    Output,
    check_members_option,
    check_outputs,
    ensemble_note,
    ensemble_path,
    print_json,
    user_errors,
)
from senotwin.sim import check_days
from senotwin.sim.engines import engine_help

if TYPE_CHECKING:
    from senotwin.therapy.dose_rules import DoseRules

app = typer.Typer(help="Virtual cohorts: paired arms on Dask distributed, RECIST/PFS/OS, KM/HR.")


def _progress_bar() -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class _Rate(ProgressColumn):
        """Patients simulated in this run per second since the run's first report (rich's own
        speed sums whole chunks over a short window and overstated it many-fold)."""

        def render(self, task: Any) -> Text:
            rate = task.fields.get("rate")
            return Text("-- patients/s" if rate is None else f"{rate:.2f} patients/s")

    return Progress(
        TextColumn("[bold]patients"),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )


#: time courses kept per patient with --timecourses on the legacy model (diameter, burden)
LEGACY_KEPT = ("tumour_diameter_mm", "tumour_burden")


@app.command("run")
def run(
    out: Path = typer.Option(..., "--out", help="Output directory (shards + manifest.json)."),
    scenario: str | None = typer.Option(
        None,
        "--scenario",
        help="Scenario the patients start from (default: 'default'; with --trial the trial's).",
    ),
    n: int = typer.Option(
        100, "--n", help=f"Virtual patients ({COHORT_SIZE}; every arm sees the same ones)."
    ),
    arms: list[str] = typer.Option(
        ["control=none"],
        "--arm",
        help="NAME=REGIMEN: 'none', regimen-language text (e.g. 'seno=navitoclax 325 mg po qd "
        "d14-d27') or ';'-separated actions (block ENTITY=FRACTION, set PARAM=VALUE, step "
        "PARAM=VALUE@DAY, dose SPECIES=AMOUNT@DAY; e.g. 'ici=block PDCD1=0.9'). The first arm is "
        "the reference.",
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the population (per-patient streams)."),
    days: float | None = typer.Option(
        None,
        "--days",
        help="Horizon in days (default: the scenario's; with --trial the trial's follow-up).",
    ),
    workers: int = typer.Option(2, "--workers", help="Workers of the embedded LocalCluster."),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="tcp://HOST:PORT of an existing Dask scheduler."
    ),
    resume: bool = typer.Option(False, "--resume", help="Finish an interrupted run in --out."),
    engine: str = typer.Option("fast", "--engine", help=engine_help()),
    age: str | None = typer.Option(
        None, "--age", help="Population preset: young or aged (default) spread; not with --trial."
    ),
    cv: float | None = typer.Option(
        None,
        "--cv",
        help="Typical between-patient CV of varied traits (default 0.3); not with --trial.",
    ),
    chunk_size: int = typer.Option(0, "--chunk-size", help="Patients per task (0 = automatic)."),
    timecourses: bool = typer.Option(
        False, "--timecourses", help="Keep per-patient diameter and burden time courses."
    ),
    lethal_burden: float | None = typer.Option(
        None,
        "--lethal-burden",
        help="Tumour burden in 1e9 cells that counts as death for OS (default: the model's, "
        "1000 = 1e12 cells; legacy model 30); not with --trial (its death hazard applies).",
    ),
    trial: str | None = typer.Option(
        None,
        "--trial",
        help="The patients of 'senotwin trial run NAME' (same --n and --seed) for other arms: "
        "measurable target lesions, PD-L1, ECOG and age selected by probability of inclusion "
        "to this library trial's reported baseline ('senotwin trial list'), its immune "
        "parameters (--immune), scenario and follow-up, endpoints by its RECIST 1.1 rules, "
        "scan calendar and death hazard; recorded in the manifest.",
    ),
    immune: str | None = typer.Option(
        None,
        "--immune",
        help="With --trial, as 'trial run --immune': 'posterior' = one draw of the shipped "
        "liu2019 posterior per patient; 'fit' = the liu2019 point fit for everyone; 'auto' "
        "(default) = the posterior when it was drawn on the current model, else the fit.",
    ),
    ensemble: Path | None = typer.Option(
        None,
        "--ensemble",
        parser=ensemble_path,
        metavar="<path>",
        help="Parameter sets (CSV/TSV, one column per parameter, e.g. `senotwin calibrate "
        "--ensemble`'s ensemble.tsv): each patient runs with one set drawn for it; `cohort "
        "summary` then gives, per pair of arms, the shares of patients doing strictly better, "
        "the same and worse." + SHIPPED_ENSEMBLE_HELP,
    ),
    members: int | None = MEMBERS,
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
    allow_off_label: bool = ALLOW_OFF_LABEL,
    pk_spread: bool | None = typer.Option(
        None,
        "--pk-spread/--typical-pk",
        help="Each patient draws their own clearance of every drug whose population-PK spread "
        "is cited (senotwin drugs show: pk.clearance_spread), or every patient has the typical "
        "PK. Default: own clearance with --trial (as 'trial run'), typical PK otherwise.",
    ),
    dose_rules: bool | None = typer.Option(
        None,
        "--dose-rules/--no-dose-rules",
        help=DOSE_RULES_HELP + " In a cohort the rules read each patient's laboratory "
        "values on dose days (the model's count with its source model's measurement scatter). "
        "Each patient's rows say what changed (cycles_delayed, "
        "doses_held, dose_reductions, dose_stopped, dose_intensity, dose_changes). Default: on "
        "with --trial (as 'trial run'), off otherwise.",
    ),
) -> None:
    """Simulate N virtual patients in every arm; results stream to Parquet shards in --out."""
    from dataclasses import replace

    from senotwin.analysis.endpoints import EndpointReducer, EndpointRules
    from senotwin.cohort.population import population_for
    from senotwin.cohort.runner import CohortConfig, arm_from_text, check_workers, run_cohort
    from senotwin.model.scenarios import get_scenario

    with user_errors():
        check_outputs([Output("--out", out, directory=True)])
        if days is not None:
            check_days(days, name="--days")
        check_members_option(members, ensemble)
        cohort_arms = tuple(arm_from_text(a) for a in arms)
        if trial is not None:
            trial_patients = "the patients are the trial's (its calibrated population "
            trial_patients += "selected to its baseline, as 'senotwin trial run' draws them)"
            for flag, given, why in (
                ("--age", age, trial_patients),
                ("--cv", cv, trial_patients),
                ("--lethal-burden", lethal_burden, "death follows the trial's hazard"),
            ):
                if given is not None:
                    raise ValueError(f"{flag} {given} does not go with --trial: {why}")
            config, reducer = _trial_cohort(
                trial, scenario, days, immune or "auto", n=n, seed=seed, engine=engine
            )
            if ensemble is not None:
                if immune != "fit":
                    raise ValueError(
                        "--ensemble with --trial needs --immune fit: the trial's patients carry "
                        "one liu2019 posterior draw each already (--immune auto or posterior); "
                        "'--ensemble shipped' is that posterior without the trial's tissue "
                        "transfer and derived growth"
                    )
                config = _with_ensemble(config, ensemble, members)
        else:
            if immune is not None:
                raise ValueError(
                    f"--immune {immune} sets trial patients' immune parameters; it needs --trial"
                )
            if age not in (None, "young", "aged"):
                raise ValueError(f"--age must be young or aged, got {age!r}")
            scenario = "default" if scenario is None else scenario
            spec = get_scenario(scenario).load()
            config = CohortConfig(
                scenario=scenario,
                n=n,
                arms=cohort_arms,
                population=population_for(
                    spec, age="young" if age == "young" else "aged", cv=0.3 if cv is None else cv
                ),
                seed=seed,
                t_end=days,
                engine=engine,
            )
            if ensemble is not None:
                config = _with_ensemble(config, ensemble, members)
            # None: the model's own lethal burden, bound by the runner (EndpointReducer.for_model)
            reducer = EndpointReducer(EndpointRules(lethal_burden=lethal_burden))
        observables = get_scenario(config.scenario).load().observable_ids
        kept = ("diameter", "N_tumour") if "N_tumour" in observables else LEGACY_KEPT
        config = replace(
            config,
            arms=cohort_arms,
            chunk_size=chunk_size,
            keep_timecourses=kept if timecourses else (),
            allow_off_label=allow_off_label,
            pk_spread=config.pk_spread if pk_spread is None else pk_spread,
            dose_rules=_dose_rules(config.dose_rules, dose_rules),
        )
        if scheduler is None:
            check_workers(workers)  # before the progress bar is drawn
        if quiet:
            result = run_cohort(
                config, out, reducer=reducer, workers=workers, scheduler=scheduler, resume=resume
            )
        else:
            bar = _progress_bar()
            task = bar.add_task("cohort", total=n, rate=None)
            first: list[tuple[float, int]] = []  # (time, patients done) at the first report

            def _update(done: int, total: int) -> None:
                # drawn at the first report, after run_cohort has checked the arms, the
                # scheduler and --out: a bad option fails with no 0/N bar above the error;
                # the rate counts this run's patients only (a resumed run's reused shards are
                # in the first report)
                now = time.perf_counter()
                if not bar.live.is_started:
                    bar.start()
                    first.append((now, done))
                t0, d0 = first[0]
                rate = (done - d0) / (now - t0) if done > d0 and now > t0 else None
                bar.update(task, completed=done, total=total, rate=rate)

            try:
                result = run_cohort(
                    config,
                    out,
                    reducer=reducer,
                    workers=workers,
                    scheduler=scheduler,
                    resume=resume,
                    progress=_update,
                )
            finally:
                if bar.live.is_started:
                    bar.stop()
    typer.echo(
        f"wrote {out}: {counted(result.n_patients, 'patient')} x "
        f"{counted(len(config.arms), 'arm')}, {result.failures()}, "
        f"{counted(result.chunks_run, 'chunk')} run, "
        f"{result.chunks_reused} reused, {result.seconds:.1f} s"
    )
    if result.n_rows and result.n_failed == result.n_rows:
        typer.echo(
            f"error: every patient-arm failed; 'senotwin cohort summary {out} --partial' shows "
            "nothing, see the 'message' column of the shards",
            err=True,
        )
        raise typer.Exit(code=1)


def _with_ensemble(config: Any, path: Path, members: int | None) -> Any:
    """The cohort with the ensemble's parameter sets (columns that are not parameters of the
    scenario's model, such as noise sigmas, are ignored and named)."""
    from dataclasses import replace

    from senotwin._io import read_table
    from senotwin.analysis.ensemble_compare import ensemble_parameters

    ensemble_note(path)
    sets = read_table(path, what="--ensemble")
    if members is not None:
        check_members(members, len(sets))
        sets = sets.iloc[:members]
    used, ignored = ensemble_parameters(config.scenario, sets)
    if ignored:
        typer.echo(f"note: --ensemble columns ignored (not parameters): {', '.join(ignored)}")
    rows = tuple(
        tuple((p, float(v)) for p, v in zip(used, row, strict=True))
        for row in sets[used].astype(float).itertuples(index=False)
    )
    return replace(config, ensemble=rows, ensemble_source=path.name)


def _dose_rules(default: DoseRules | None, asked: bool | None) -> DoseRules | None:
    """The dose rules of ``--dose-rules/--no-dose-rules`` (None: the configuration's own)."""
    from senotwin.therapy.dose_rules import DoseRules

    if asked is None:
        return default
    return DoseRules() if asked else None


def _trial_cohort(
    name: str,
    scenario: str | None,
    days: float | None,
    immune: str,
    *,
    n: int,
    seed: int,
    engine: str,
) -> tuple[Any, Any]:
    """``trial run NAME``'s cohort (:func:`senotwin.trial.run.trial_config`: its selected
    patients, immune parameters, scenario and follow-up) and its RECIST reducer; the caller sets
    the arms. A ``scenario`` or ``days`` other than the trial's is used with a warning naming
    both (a TNBC trial on a lung scenario ran without a word, audit s42)."""
    from senotwin.analysis.endpoints import TrialEndpointReducer
    from senotwin.cohort.runner import check_cohort_scenario
    from senotwin.trial.clinical import trial_hazard
    from senotwin.trial.library import get_trial
    from senotwin.trial.run import resolve_immune, trial_config

    spec = get_trial(name)
    used, note = resolve_immune(immune)
    follow = spec.rules.follow_days
    run_on = spec.scenario if scenario is None else scenario
    check_cohort_scenario(run_on, spec.baseline, trial=spec.id)
    if scenario is not None and scenario != spec.scenario:
        typer.echo(
            f"warning: --scenario {scenario} differs from trial {spec.id}'s scenario "
            f"{spec.scenario}: its patients are selected and run on {scenario}",
            err=True,
        )
    if days is not None and days != follow:
        typer.echo(
            f"warning: --days {days:g} differs from trial {spec.id}'s follow-up ({follow:g} "
            f"days): the run and its endpoints end at day {days:g}",
            err=True,
        )
    config = trial_config(
        spec, n, seed=seed, engine=engine, immune=immune, scenario=run_on, days=days
    )
    typer.echo(
        f"trial {spec.id}: patients selected to its baseline on {run_on}, "
        f"{config.t_end:g} days, immune parameters {used}"
        + ("" if used == immune else f" (--immune {immune})")
    )
    if note:
        typer.echo(f"note: {note}")
    return config, TrialEndpointReducer(spec.rules, trial_hazard(spec))


@app.command("summary")
def summary(
    directory: Path = typer.Argument(..., help="Cohort directory written by 'cohort run'."),
    reference: str | None = typer.Option(
        None, "--reference", help="Reference arm for HR/log-rank (default: the first arm)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    partial: bool = typer.Option(
        False, "--partial", help="Summarise an unfinished run's finished patients (exit 0)."
    ),
) -> None:
    """Per arm: n, ORR, DCR, median PFS/OS (95% CI), HR vs reference (95% CI), log-rank p.

    An unfinished (interrupted or running) cohort is an error unless --partial is given.
    """
    from senotwin.analysis.survival import SUMMARY_UNITS, arm_summary, summary_records
    from senotwin.cohort.store import cohort_progress, load_rows, read_manifest

    with user_errors():
        manifest = read_manifest(directory)
        progress = cohort_progress(directory)
        if not progress.complete and not partial:
            raise ValueError(
                f"cohort {directory} is incomplete: {progress.describe()}; finish it with "
                "'senotwin cohort run' and the same options plus --resume, or pass --partial "
                "to summarise the finished patients only"
            )
        rows = load_rows(directory)
        failed = rows[rows["status"] != "success"]
        if len(failed) == len(rows):
            first = str(failed["message"].iloc[0]) if "message" in failed else ""
            raise ValueError(
                f"cohort {directory}: all {len(rows)} patient-arms failed, nothing to summarise "
                f"(first failure: {first})"
            )
        table = arm_summary(rows, reference=reference)
        status_counts = rows.groupby(["arm", "status"]).size()
        claims = _ensemble_claims(rows)
    if not progress.complete:
        typer.echo(f"warning: partial results: {progress.describe()}", err=True)
    for r in table.to_dict(orient="records"):
        if r["n_analysed"] == 0:
            typer.echo(f"warning: arm {r['arm']}: all {r['n']} patients failed", err=True)
    if as_json:
        print_json(
            {
                "directory": str(directory),
                "scenario": manifest["config"]["scenario"],
                "seed": manifest["config"]["seed"],
                "status": manifest["status"],
                "complete": progress.complete,
                "patients_done": progress.done,
                "patients_planned": progress.planned,
                "arms": summary_records(table),
                "units": SUMMARY_UNITS,
                "statuses": _nested_counts(status_counts),
                **(
                    {
                        "ensemble": manifest["config"].get("ensemble"),
                        "claims": [c.to_dict() for c in claims],
                    }
                    if claims is not None
                    else {}
                ),
            }
        )
        return
    from rich.console import Console
    from rich.table import Table

    def ci(v: float, lo: float, hi: float, scale: float = 1.0, digits: int = 0) -> str:
        def f(x: float) -> str:
            return "NR" if x != x or x == float("inf") else f"{x * scale:.{digits}f}"

        return f"{f(v)} ({f(lo)}-{f(hi)})"

    ref_arm = reference if reference is not None else str(table["arm"].iloc[0])
    title = f"cohort {directory} - scenario {manifest['config']['scenario']}"
    if not progress.complete:
        title += f" - PARTIAL: {progress.describe()}"
    t = Table(title=title)
    for col in (
        "arm",
        "n",
        "failed",
        "ORR %",
        "CR %",
        "DCR %",
        "mPFS d",
        "mOS d",
        "HR PFS",
        "p PFS",
    ):
        t.add_column(col)
    for r in table.to_dict(orient="records"):
        t.add_row(
            str(r["arm"]),
            str(r["n"]),
            str(r["n_failed"]),
            ci(r["ORR"], r["ORR_low"], r["ORR_high"], 100),
            ci(r["CR"], r["CR_low"], r["CR_high"], 100),
            ci(r["DCR"], r["DCR_low"], r["DCR_high"], 100),
            ci(r["median_pfs"], r["median_pfs_low"], r["median_pfs_high"]),
            ci(r["median_os"], r["median_os_low"], r["median_os_high"]),
            "ref"
            if r["arm"] == ref_arm
            else "n/e"  # not estimable: too few events (none, or in one arm only)
            if r["hr_pfs"] != r["hr_pfs"]
            else ci(r["hr_pfs"], r["hr_pfs_low"], r["hr_pfs_high"], digits=2),
            "" if r["logrank_p_pfs"] != r["logrank_p_pfs"] else f"{r['logrank_p_pfs']:.3g}",
        )
    Console(width=140).print(t)
    typer.echo(  # every column said (CR and 'p PFS' were not; ux53)
        "ORR/CR/DCR: % of patients (95% CI); mPFS/mOS: median days (95% CI), NR = not reached; "
        f"HR: Cox hazard ratio vs {ref_arm}, n/e = not estimable (too few events); "
        f"p PFS: log-rank p vs {ref_arm}; "
        "failed: patients without a result (no plausible draw, or the solver failed)"
    )
    if claims is not None:
        ens = manifest["config"].get("ensemble") or {}
        typer.echo(
            f"ensemble {ens.get('source', '?')}: {ens.get('members', '?')} parameter sets, one "
            "drawn per patient; per pair of arms, the shares of patients doing strictly better, "
            "the same (ties) and worse:"
        )
        from senotwin.analysis.ensemble_compare import one_per_pair

        for claim in one_per_pair(claims):
            typer.echo(claim.sentence())


def _nested_counts(counts: Any) -> dict[str, dict[str, int]]:
    """``{arm: {status: n}}`` from a count per (arm, status) (JSON; was ``"arm/status": n``)."""
    out: dict[str, dict[str, int]] = {}
    for (arm, status), n in counts.items():
        out.setdefault(str(arm), {})[str(status)] = int(n)
    return out


def _ensemble_claims(rows: Any) -> Any:
    """Per pair of arms, PFS and OS patient by patient, for a cohort run with --ensemble."""
    from senotwin.analysis.ensemble_compare import patient_claims

    if "member" not in rows.columns or rows["arm"].nunique() < 2:
        return None
    return (*patient_claims(rows, "pfs"), *patient_claims(rows, "os"))
