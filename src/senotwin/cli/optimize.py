"""``senotwin optimize``: search drug timing, sequence and dose under a toxicity constraint."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from senotwin.cli._common import print_json, user_errors
from senotwin.sim.engines import engine_help
from senotwin.therapy.toxicity import DLT_SHARE

if TYPE_CHECKING:
    from senotwin.cohort.optimize import ScheduleOutcome

#: --budget's and --patients' ranges (senotwin.cohort.optimize.MAX_BUDGET and MAX_EVAL_PATIENTS,
#: written out so the help does not import the search; tests/cli/test_help_texts.py holds them
#: equal)
BUDGET_RANGE = "1-2,000"
PATIENTS_RANGE = "2-1,000"


def optimize(
    scenario: str = typer.Option("default", "--scenario", help="Scenario (backdrop) to treat."),
    drugs: str = typer.Option(
        "navitoclax,anti-pd-1",
        "--drugs",
        help="Comma-separated drugs of the library (see `senotwin drugs list`).",
    ),
    horizon: float = typer.Option(
        180.0, "--horizon", help="Days simulated per patient (at least 14)."
    ),
    budget: int = typer.Option(
        40, "--budget", help=f"Schedules tried ({BUDGET_RANGE}; optuna TPE trials)."
    ),
    patients: int = typer.Option(
        8, "--patients", help=f"Virtual patients per evaluation ({PATIENTS_RANGE})."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of patients and search."),
    max_toxicity: float = typer.Option(
        2.0,
        "--max-toxicity",
        help="Most toxicity a schedule may cause (>= 0): the mechanism-based toxicity proxies "
        "(relative; NF-kB, mTOR and BCL-2-family inhibition, senolytic tissue damage) integrated "
        "over the run, divided by 90 days and summed.",
    ),
    max_dlt_share: float = typer.Option(
        DLT_SHARE,
        "--max-dlt-share",
        help="Share of patients (0-1] with a dose-limiting blood count (grade-4 neutropenia for "
        "more than 7 days or grade-4 thrombocytopenia, on the model's count) at which a schedule "
        "is too toxic; default a third, the 3+3 design's toxic dose level.",
        show_default="1/3",  # the float printed 0.3333333333333333 (ux52)
    ),
    dose_rules: bool = typer.Option(
        True,
        "--dose-rules/--no-dose-rules",
        help="Give each patient a schedule as a protocol would: courses delayed, doses withheld "
        "or reduced on their laboratory blood counts (the weekly nab-paclitaxel label's rules; "
        "`senotwin trial show impassion130` prints them). --no-dose-rules: every dose as "
        "written.",
    ),
    engine: str = typer.Option("fast", "--engine", help=engine_help()),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Best schedules with their cohort-level outcome (mean log10 burden change, 95% CI).

    Each drug is dosed on one of its labelled or studied schedules (a dose range paired with its
    interval and any on/off cycle, e.g. nab-paclitaxel 260 mg/m2 q3w or 100-125 mg/m2 on days
    1, 8, 15 of 28; radiation 2 Gy on weekdays, at most 30 fractions, or 34 Gy once), inside
    its human range and never past a schedule's cap on one course's doses; each schedule shown
    names the one used. A drug whose range gives no interval (none in the shipped library; a
    user library's may) is dosed about once per terminal half-life and named in the output.
    The scenario must be a human one. Exits 1 when no schedule tried meets the limits (they are
    listed, each with why it is infeasible)."""
    from senotwin.cohort.optimize import optimize_schedule
    from senotwin.therapy.dose_rules import DoseRules

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
            dose_rules=DoseRules() if dose_rules else None,
            max_dlt_share=max_dlt_share,
        )
    if as_json:
        print_json({"scenario": scenario, "drugs": names, "result": res})
        if res.best and not any(b.feasible for b in res.best):
            raise typer.Exit(code=1)  # as the text output: nothing tried met the limits
        return
    ref = res.reference
    typer.echo(
        f"{scenario}, {res.patients} patients, {res.trials} schedules tried, horizon "
        f"{res.horizon:g} d; no drug: log10 burden change {ref.mean_log_ratio:+.2f} "
        f"({ref.ci_low:+.2f} to {ref.ci_high:+.2f})"
    )
    typer.echo(
        "doses: "
        + (
            "delayed, withheld or reduced on each patient's laboratory counts (protocol rules)"
            if res.dose_rules is not None
            else "as written (--no-dose-rules)"
        )
        + f"; too toxic: a dose-limiting blood count in >= {100 * res.max_dlt_share:.0f}% of "
        "the patients (grade-4 neutropenia > 7 days or grade-4 thrombocytopenia; 3+3 design)"
    )
    if res.half_life_fallback:
        typer.echo(
            "no labelled dosing interval in the drug library, dosed about once per terminal "
            f"half-life instead (1-21 d; daily without PK): {', '.join(res.half_life_fallback)}"
        )
    for k, b in enumerate(res.best, 1):
        anc = "" if b.anc_nadir is None else f", mean ANC nadir {b.anc_nadir:.2g}e9/L"
        if b.platelet_nadir is not None:
            anc += f", mean platelet nadir {b.platelet_nadir:.0f}e9/L"
        if b.dlt_share is not None:
            anc += f", dose-limiting blood count {100 * b.dlt_share:.0f}% of patients"
        if b.dose_intensity is not None:
            anc += f", median relative dose intensity {100 * b.dose_intensity:.0f}%"
        typer.echo(
            f"{k}. {b.regimen}\n   log10 change {b.mean_log_ratio:+.2f} ({b.ci_low:+.2f} to "
            f"{b.ci_high:+.2f}), responders {100 * b.response_rate:.0f}%, "
            f"toxicity {b.toxicity:.2f}{anc}{_infeasible(b, res.max_toxicity, res.max_dlt_share)}"
        )
        used = "; ".join(f"{c.drug} {c.schedule}" for c in b.courses if c.schedule)
        if used:
            typer.echo(f"   schedules: {used}")
    if res.best and not any(b.feasible for b in res.best):
        # the infeasible schedules were listed as the best without a word (audit, session 41)
        typer.echo(
            "no schedule tried met the limits (toxicity <= --max-toxicity, dose-limiting blood "
            "counts in fewer than --max-dlt-share of the patients); the least bad are listed. "
            "Widen the limits or the budget.",
            err=True,
        )
        raise typer.Exit(code=1)


def _infeasible(b: ScheduleOutcome, max_toxicity: float, max_dlt_share: float) -> str:
    """Why a schedule is infeasible ('' when it is not): every label used to read 'exceeds
    toxicity limit', also for a grade-4 neutropenia at toxicity 0.00 (audit, session 41)."""
    if b.feasible:
        return ""
    why = [f"toxicity above --max-toxicity {max_toxicity:g}"] if b.toxicity > max_toxicity else []
    if b.dlt_share is not None and b.dlt_share >= max_dlt_share:
        why.append(
            f"dose-limiting blood counts in {100 * b.dlt_share:.0f}% of patients "
            f"(--max-dlt-share {max_dlt_share:.2g})"
        )
    return f" [infeasible: {'; '.join(why) or 'limits not met'}]"
