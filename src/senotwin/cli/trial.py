"""``senotwin trial list|show|run|replicates|independence|heldback``: the library of published
trials, run on virtual patients."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from senotwin._text import counted
from senotwin.cli._common import (
    COHORT_SIZE,
    Output,
    check_count,
    check_outputs,
    print_json,
    user_errors,
)
from senotwin.sim.engines import engine_help

if TYPE_CHECKING:
    from senotwin.trial.spec import Published

app = typer.Typer(
    help="Virtual clinical trials: published trials as data, simulated vs published endpoints."
)


@app.command("list")
def list_trials(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The library's trials: id, arms, scenario and title."""
    from senotwin.trial.library import trials

    with user_errors():
        items = trials()
    if as_json:
        print_json(
            [
                {
                    "id": t.id,
                    "title": t.title,
                    "scenario": t.scenario,
                    "arms": [a.name for a in t.arms],
                    "reference": t.reference,
                }
                for t in items
            ]
        )
        return
    typer.echo(f"{'trial':<14} {'arms':<22} {'scenario':<21} title")  # as `drugs list` heads
    for t in items:
        arms = " vs ".join(a.name for a in t.arms)
        typer.echo(f"{t.id:<14} {arms:<22} {t.scenario:<21} {t.title}")


@app.command("show")
def show(
    name: str = typer.Argument(..., help="Trial id (see 'senotwin trial list') or a YAML file."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """One trial: population, baseline, arms (regimens and real products), schedule, results."""
    import math
    from dataclasses import asdict

    from senotwin.therapy.dose_rules import RULES_SOURCE, DoseRules
    from senotwin.trial.clinical import trial_hazard
    from senotwin.trial.library import get_trial
    from senotwin.trial.spec import DAYS_PER_MONTH
    from senotwin.trial.toxicity import arm_chains

    with user_errors():
        t = get_trial(name)
    if as_json:
        data = asdict(t)
        data["baseline"] = t.baseline.describe()
        if not math.isfinite(t.rules.median_follow_days):  # strict JSON: no median given
            data["rules"]["median_follow_days"] = None
        print_json(data)
        return
    typer.echo(f"{t.id}: {t.title}\n  {t.reference}\n  scenario: {t.scenario}")
    for line in t.inclusion:
        typer.echo(f"  inclusion: {line}")
    b = t.baseline
    pool = "not selected on (the pool's)"  # a field the file leaves out
    sld = pool if b.sld_median_mm is None else f"{b.sld_median_mm:g} mm"
    typer.echo(
        f"  baseline (selected to): SLD median {sld}, PD-L1+ "
        f"(>= {b.pdl1_threshold:.0%} of cancer cells) share "
        f"{b.pdl1_positive_share if b.pdl1_positive_share is not None else 'tissue'}, ECOG 1 share "
        f"{b.ecog1_share if b.ecog1_share is not None else pool}, age median "
        f"{pool if b.age_median is None else f'{b.age_median:g}'}\n    source: {t.baseline_source}"
    )
    if b.pdl1_high_share is not None:
        typer.echo(
            f"  PD-L1 high (>= {b.pdl1_high_threshold:.0%} of cancer cells) share "
            f"{b.pdl1_high_share}"
        )
    if b.pdl1_ic_share is not None:
        typer.echo(
            f"  PD-L1 on immune cells: positive share {b.pdl1_ic_share}, correlated "
            f"{b.pdl1_ic_rho} with the cancer-cell PD-L1 score (normal scale; not selected on)"
        )
    if t.tissue:
        from senotwin.trial.tissue import get_tissue

        ti = get_tissue(t.tissue)
        typer.echo(
            f"  tissue immunity ({ti.label}, relative to melanoma): antigenicity "
            f"x{ti.antigenicity:g}, baseline CD8 x{ti.cd8_relative:g} (sigma {ti.cd8_sigma:g}), "
            f"CD8-PD-L1 Spearman {ti.cd8_pdl1_spearman:g}"
        )
        if ti.tps_bins:
            from senotwin.cohort.baseline import BaselineDisease, pdl1_pool_shares

            strata = pdl1_pool_shares(BaselineDisease(pdl1_bins=ti.tps_bins))
            typer.echo(
                "  tumour PD-L1 before selection (share of cancer cells < 1 / 1-49 / >= 50 %): "
                + " / ".join(f"{x:.3f}" for x in strata)
                + f"\n    source: {ti.tps_source}"
            )
    sched = ", ".join(
        f"every {e:g} d " + ("thereafter" if u >= t.rules.follow_days else f"until day {u:g}")
        for u, e in t.rules.schedule
    )
    typer.echo(
        f"  scans: {sched}; confirmation >= {t.rules.confirm_days:g} d; follow-up "
        f"{t.rules.follow_days:g} d\n    source: {t.assessment_source}"
    )
    if t.median_follow_source:
        typer.echo(
            f"  response rates also read at the published median follow-up, "
            f"{t.rules.median_follow_days / DAYS_PER_MONTH:.1f} months (responses confirmed by "
            f"then)\n    source: {t.median_follow_source}"
        )
    hz = trial_hazard(t)
    pp = t.post_progression
    pps = (
        ""
        if pp is None
        else f"median {pp.median_months:g} months after progression "
        + (
            "for a typical patient; "
            if pp.rate_factor == 1.0
            else f"for the simulated control arm (rate x{pp.rate_factor:g}, calibrated); "
        )
    )
    typer.echo(
        f"  death hazard: {pps}x{math.exp(10 * hz.burden_per_mm):.3g} per 10 mm of the current "
        f"sum of target diameters above {hz.burden_ref_mm:g} mm; ECOG 1 x{hz.ecog_hr:.3g}\n"
        f"    source: {hz.source}"
    )
    watched = arm_chains(t)
    if watched:
        typer.echo(
            f"  dose rules (arms {', '.join(watched)}; on each patient's laboratory values at "
            f"the dose-day draws): {DoseRules().text()}\n    source: {RULES_SOURCE}"
        )
    for a in t.arms:
        p = a.published
        typer.echo(
            f"  arm {a.name}: {a.label}\n    regimen run: {a.regimen}\n    trial products: "
            f"{a.products}"
        )
        if a.stand_in:
            typer.echo(f"    stand-in: {a.stand_in}")
        typer.echo(f"    published: {_published(p)} ({p.source})")
    for sg in t.subgroups:
        typer.echo(f"  subgroup {sg.name}: {sg.label}")
        for arm, sp in sg.published.items():
            typer.echo(f"    {arm} published: {_published(sp)} ({sp.source})")
    if t.off_label:
        typer.echo(f"  off-label (recorded in the manifest): {t.off_label}")
    if t.notes:
        typer.echo(f"  notes: {t.notes}")


#: how `trial show` names a published ORR's definition (the comparison's own wording,
#: trial.run.DEFINITION_TEXT, says what the simulated ORR is compared as)
PUBLISHED_DEFINITION = {"not_read": "definition not read"}


def _published(p: Published) -> str:
    """One arm's published results in words; what the paper does not give is left out."""
    parts = [
        f"n {p.n}" if p.n is not None else "",
        f"ORR {p.orr:g} % ({PUBLISHED_DEFINITION.get(p.orr_definition, p.orr_definition)})"
        if p.orr is not None
        else "",
        f"CR {p.cr:g} %" if p.cr is not None else "",
        f"median PFS {p.median_pfs_months:g} mo" if p.median_pfs_months is not None else "",
        f"median OS {p.median_os_months:g} mo" if p.median_os_months is not None else "",
        *(
            f"HR {what} {hr[0]:.2f} ({hr[1]:.2f}-{hr[2]:.2f})"
            for what, hr in (("PFS", p.hr_pfs), ("OS", p.hr_os))
            if hr is not None
        ),
        *(
            f"{lm.endpoint.upper()} at {lm.months:g} mo {lm.percent:g} %"
            + (f" ({lm.ci[0]:g}-{lm.ci[1]:g})" if lm.ci else "")
            for lm in p.landmarks
        ),
        *(
            f"{ae.event} grade >= {ae.min_grade} {ae.percent:g} % (n {ae.n})"
            for ae in p.adverse_events
        ),
    ]
    text = ", ".join(x for x in parts if x)
    missing = [
        what
        for what, v in (("median PFS", p.median_pfs_months), ("median OS", p.median_os_months))
        if v is None
    ]
    return text + (
        f"; {' and '.join(missing)} not given (not reported or not reached)" if missing else ""
    )


#: the comparison's fields that hold a simulated median not reached (inf in comparison.csv)
SIMULATED = ("simulated", "sim_low", "sim_high")


@app.command("run")
def run(
    name: str = typer.Argument(..., help="Trial id (see 'senotwin trial list') or a YAML file."),
    out: Path = typer.Option(
        ...,
        "--out",
        help=(
            "Output directory: cohort manifest and shards, comparison.csv/.json, km.png, "
            "waterfall.png, and blood_counts.csv/.png where an arm's drugs lower a count."
        ),
    ),
    n: int = typer.Option(
        100, "--n", help=f"Virtual patients ({COHORT_SIZE}; every arm sees the same ones)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the pool and of the patients."),
    workers: int = typer.Option(2, "--workers", help="Workers of the embedded LocalCluster."),
    engine: str = typer.Option("fast", "--engine", help=engine_help()),
    resume: bool = typer.Option(False, "--resume", help="Finish an interrupted run in --out."),
    as_json: bool = typer.Option(
        False,
        "--json",
        help="Print the run, the comparison and the outside checks as JSON (what "
        "comparison.json holds).",
    ),
    immune: str = typer.Option(
        "auto",
        "--immune",
        help="Transferable immune parameters: 'posterior' = one draw of the shipped liu2019 "
        "posterior ensemble per patient; 'fit' = the liu2019 point fit for everyone; 'auto' "
        "(default) = the posterior when it was drawn on the current model, else the fit.",
    ),
) -> None:
    """Run a library trial on N virtual patients; print simulated vs published endpoints.

    Selects N virtual patients to the trial's baseline (each with their own clearance of every
    drug whose population-PK spread is cited), runs every arm, applies RECIST 1.1 on the
    trial's scan calendar and prints simulated vs published ORR, DCR, median PFS/OS and HRs
    (95 % CIs), and the simulated PFS/OS probability at each published median (50 % if matched:
    a median on a scan calendar jumps by scan steps). Where an arm's regimen has a blood-count
    model (nab-paclitaxel's neutrophils, navitoclax's platelets; each patient with the model's
    published between-patient spread), it also prints the share of patients with grade >= 3
    and 4 neutropenia or thrombocytopenia (and any grade the trial publishes) as a trial grades
    it: each patient's worst laboratory value at the dose-day draws on treatment (the model's
    count with its measurement scatter), counted where worse than at enrolment, beside the
    published laboratory rate, and the model's noise-free nadir beside it. The label's dose
    rules act on the same laboratory values; the shares of patients with a course delayed, a
    dose withheld or reduced or the drug stopped, and the relative dose intensity, are
    printed too. Writes comparison.csv/.json, km.png (published medians overlaid),
    waterfall.png and, with a blood-count model, blood_counts.csv (per patient-arm nadirs,
    worst laboratory values, grades and dose changes) and blood_counts.png (both reads against
    the CTCAE grades) to --out."""
    from senotwin._io import atomic_write_text
    from senotwin.analysis.survival import json_record
    from senotwin.trial.checks import checks_text, trial_checks
    from senotwin.trial.library import get_trial
    from senotwin.trial.run import (
        compare_trial,
        comparison_text,
        load_trial_rows,
        plot_km,
        plot_waterfall,
        resolve_immune,
    )
    from senotwin.trial.run import run_trial as _run
    from senotwin.trial.toxicity import (
        BLOOD_FIGURE,
        BLOOD_FILE,
        blood_counts,
        plot_blood_counts,
    )

    with user_errors():
        check_outputs([Output("--out", out, directory=True)])
        t = get_trial(name)
        used, note = resolve_immune(immune)
        result = _run(
            t, n, out, seed=seed, workers=workers, engine=engine, resume=resume, immune=immune
        )
        rows = load_trial_rows(out)
        blood = blood_counts(t, rows)
        comp = compare_trial(t, rows, blood)
        checks = trial_checks(t, rows)
        atomic_write_text(out / "comparison.csv", comp.table.to_csv(index=False))
        if not blood.empty:
            atomic_write_text(out / BLOOD_FILE, blood.to_csv(index=False))
            plot_blood_counts(t, blood, out / BLOOD_FIGURE)
        # a median not reached is null with its *_not_reached flag true (the CSV's inf)
        records = [json_record(r, SIMULATED) for r in comp.table.to_dict(orient="records")]
        payload = {
            "trial": t.id,
            "reference": t.reference,
            "n": n,
            "seed": seed,
            "immune": used,
            "immune_requested": immune,
            "immune_note": note or None,
            "patients": result.n_patients,
            "failed_patient_arms": result.n_failed,
            "implausible_patient_arms": result.n_implausible,
            "rows": records,
            "checks": [c.record() for c in checks],
        }
        atomic_write_text(out / "comparison.json", json.dumps(payload, indent=1))
        plot_km(t, rows, out / "km.png")
        plot_waterfall(t, rows, out / "waterfall.png")
    if as_json:  # what comparison.json holds: the run, its rows and the outside checks
        print_json(payload)
        return
    typer.echo(
        f"{t.id}: {t.title}\n{counted(result.n_patients, 'virtual patient')} x "
        f"{counted(len(t.arms), 'arm')}, "
        f"{result.failures()}, {result.seconds:.0f} s; immune parameters: "
        f"{used}" + ("" if used == immune else f" (--immune {immune})")
    )
    if note:
        typer.echo(f"note: {note}")
    for line in comparison_text(t, comp):
        typer.echo(line)
    if checks:
        typer.echo("checks against cited numbers from outside the trial (sources below):")
        for line in checks_text(checks):
            typer.echo(line)
    wrote = [out / "comparison.csv", out / "comparison.json", out / "km.png", out / "waterfall.png"]
    wrote += [] if blood.empty else [out / BLOOD_FILE, out / BLOOD_FIGURE]
    typer.echo("wrote " + ", ".join(str(w) for w in wrote))


@app.command("replicates")
def replicates_cmd(
    name: str = typer.Argument(..., help="Trial id (see 'senotwin trial list') or a YAML file."),
    out: Path = typer.Option(
        ..., "--out", help="Output directory (one cohort per replicate, the tables)."
    ),
    n: int = typer.Option(
        100, "--n", help=f"Virtual patients per arm in each replicate ({COHORT_SIZE})."
    ),
    replicates: int = typer.Option(
        20, "--replicates", help="Replicate trials, one liu2019 posterior draw each."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the patients (the same in all)."),
    workers: int = typer.Option(2, "--workers", help="Workers of the embedded LocalCluster."),
    engine: str = typer.Option("fast", "--engine", help=engine_help()),
    resume: bool = typer.Option(
        False,
        "--resume",
        help="Finish an interrupted run in --out: replicates already there are re-read (or "
        "completed), the others run; with the same options.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Run a library trial once per posterior draw; print each endpoint's range over the runs.

    Every patient of replicate r carries draw r of the shipped liu2019 posterior (`trial run
    --immune posterior` gives each patient its own draw instead, which turns the uncertainty
    about the population into spread between patients); the patients are the same in every
    replicate. Prints, per endpoint, the median and 5-95 % over the replicates beside the
    published value and the share of replicates whose 95 % CI holds it: the range of trial
    results the calibrated uncertainty allows. Writes replicates.csv (every replicate's
    comparison) and summary.csv/.json to --out."""
    from senotwin._io import atomic_write_text
    from senotwin.trial.library import get_trial
    from senotwin.trial.replicates import run_replicates, summarise, summary_text
    from senotwin.trial.run import posterior_staleness

    with user_errors():
        check_outputs([Output("--out", out, directory=True)])
        t = get_trial(name)
        if note := posterior_staleness():
            typer.echo(f"note: {note}", err=True)
        tables = run_replicates(
            t,
            n,
            out,
            replicates=replicates,
            seed=seed,
            workers=workers,
            engine=engine,
            progress=lambda k, total: typer.echo(f"replicate {k}/{total} done", err=True),
            resume=resume,
        )
        summary = summarise(tables)
        atomic_write_text(out / "replicates.csv", tables.to_csv(index=False))
        atomic_write_text(out / "summary.csv", summary.to_csv(index=False))
        records = json.loads(summary.to_json(orient="records"))
        payload = {"trial": t.id, "n": n, "replicates": replicates, "seed": seed, "rows": records}
        atomic_write_text(out / "summary.json", json.dumps(payload, indent=1))
    if as_json:
        print_json(payload)
        return
    typer.echo(
        f"{t.id}: {t.title}\n{replicates} replicate trials x {n} virtual patients per arm, one "
        "liu2019 posterior draw per trial"
    )
    for line in summary_text(summary):
        typer.echo(line)
    typer.echo(f"wrote {out / 'replicates.csv'}, {out / 'summary.csv'}, {out / 'summary.json'}")


@app.command("independence")
def independence_cmd(
    name: str = typer.Argument(..., help="Trial id (see 'senotwin trial list') or a YAML file."),
    out: Path = typer.Option(
        ..., "--out", help="Output directory (cohort shards, independence.json/.png)."
    ),
    arm: str = typer.Option(
        "", "--arm", help="The combination arm (default: the trial's second arm)."
    ),
    n: int = typer.Option(
        100, "--n", help=f"Virtual patients ({COHORT_SIZE}; every arm sees the same ones)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the pool and of the patients."),
    workers: int = typer.Option(2, "--workers", help="Workers of the embedded LocalCluster."),
    engine: str = typer.Option("fast", "--engine", help=engine_help()),
    resume: bool = typer.Option(False, "--resume", help="Finish an interrupted run in --out."),
    immune: str = typer.Option(
        "auto", "--immune", help="Transferable immune parameters (as in 'trial run')."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Is the combination arm more than independent action of its constituents?

    Runs the control arm, the combination arm, the add-on alone (the combination's regimen
    minus the control's) and no treatment (both counterfactual) on the same virtual patients.
    Each patient's independent-action PFS is the longer of its control and add-on-alone PFS.
    The command prints the combination's restricted mean PFS gain over it (paired bootstrap CI;
    it sets the verdict) and its Cox HR against it, and where the add-on acts: in the patients
    it alone does not make respond, PFS untreated and on the add-on. Clinically, ICI
    combinations act independently (Palmer 2022, 13 phase III trials). A combination that beats
    independent action on these patients is synergistic in the model, where trials were not.
    Writes independence.json and independence.png to --out."""
    from senotwin.trial.independence import (
        independence,
        independence_png,
        independence_text,
        independence_trial,
        write_independence,
    )
    from senotwin.trial.library import get_trial
    from senotwin.trial.run import load_trial_rows
    from senotwin.trial.run import run_trial as _run

    with user_errors():
        t = get_trial(name)
        chosen = arm or t.arms[1].name
        cut = independence_trial(t, chosen)  # a bad --arm fails before --out is touched
        check_outputs([Output("--out", out, directory=True)])
        _run(cut, n, out, seed=seed, workers=workers, engine=engine, resume=resume, immune=immune)
        rows = load_trial_rows(out)
        res = independence(cut, rows, chosen, seed=seed)
        write_independence(res, independence_png(res, rows), out)
    if as_json:
        print_json(res.record())
        return
    for line in independence_text(res):
        typer.echo(line)
    typer.echo(f"wrote {out / 'independence.json'}, {out / 'independence.png'}")


def _recist_counts(counts: Mapping[str, float], n: int) -> str:
    """Best-response counts as text, with the patients none of them counts (not evaluable)."""
    order = [k for k in ("CR", "PR", "SD", "PD") if k in counts] + [
        k for k in counts if k not in ("CR", "PR", "SD", "PD")
    ]
    text = ", ".join(f"{k} {counts[k]:g}" for k in order)
    rest = n - sum(counts.values())
    return text + (f", not evaluable {rest:g}" if rest > 0 else "")


@app.command("heldback")
def heldback(
    name: str = typer.Argument("miao", help="Cross-tissue held-back ICI cohort (miao, padron)."),
    n: int = typer.Option(
        150, "--n", help="Virtual patients (at least 3; CRN cohort, as the melanoma ones)."
    ),
    seed: int = typer.Option(1, "--seed", help="Seed of the virtual cohort."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Predict a non-melanoma checkpoint cohort from the shipped liu2019 fit, with no refit.

    The tissue transfer of the trial library, tested on per-patient data: simulated vs observed
    ORR, RECIST counts and response by CD8 tertile where the cohort has RECIST (miao), PFS and OS
    medians and landmarks with the observed 95 % band where it has survival only (padron);
    caveats and what cannot be compared say why."""
    from senotwin.trial.ici_cohort import MIN_PATIENTS
    from senotwin.trial.ici_fit import drawn_text
    from senotwin.trial.ici_transfer import predict_transfer

    with user_errors():
        check_count("--n", n, MIN_PATIENTS)  # by its flag (the design names its field n)
        r = predict_transfer(name, n=n, seed=seed)
    if as_json:
        print_json({k: v for k, v in r.items() if k != "sim"})
        return
    t = r["tissue"]
    typer.echo(f"{name}: {r['what']}\n  regimen {r['regimen']}, scenario {r['scenario']}")
    typer.echo(
        f"  tissue {t['id']}: antigenicity {t['antigenicity']:g} -> precursor centre "
        f"{t['precursors_centre']:.3g}{' (clipped to the range)' if t['clipped_to_range'] else ''}"
        f", CD8 x{t['cd8_relative']:g}"
    )
    if "orr_obs" not in r:  # a survival-only cohort (padron): PFS and OS are compared

        def months(m: float | None) -> str:
            return "not reached" if m is None else f"{m:.1f}"

        for ep in ("pfs", "os"):
            sim, obs = r.get(f"median_{ep}_sim"), r.get(f"median_{ep}_obs")
            lo, hi = r.get(f"median_{ep}_obs_low"), r.get(f"median_{ep}_obs_high")
            typer.echo(
                f"  {ep.upper()} median simulated {months(sim)} vs observed {months(obs)} months "
                f"(95 % CI {months(lo)}-{months(hi)}; n {r['n_obs']})"
            )
            marks = "; ".join(
                f"{lm['month']:g} mo {100 * lm['sim']:.0f} vs {100 * lm['obs']:.0f} "
                f"({100 * lm['obs_low']:.0f}-{100 * lm['obs_high']:.0f})"
                for lm in r.get(f"landmarks_{ep}", [])
            )
            if marks:
                typer.echo(f"    {ep.upper()} % simulated vs observed (95 % CI): {marks}")
        for what, why in r.get("caveats", {}).items():
            typer.echo(f"  caveat: {what.upper()}: {why}")
        for what, why in r["not_compared"].items():
            typer.echo(f"  not compared: {what}: {why}")
        return
    typer.echo(
        f"  ORR {100 * r['orr_sim']:.1f} % (n {r['n_sim']}{drawn_text(r)}) vs observed "
        f"{100 * r['orr_obs']:.1f} % (n {r['n_obs']}); CR {100 * r['cr_share_sim']:.1f} vs "
        f"{100 * r['cr_share_obs']:.1f} %"
    )
    typer.echo(
        f"  RECIST simulated {_recist_counts(r['recist_sim'], r['n_sim'])} vs observed "
        f"{_recist_counts(r['recist_obs'], r['n_obs'])}"
    )
    ter = ", ".join(
        f"{100 * a:.0f}/{100 * b:.0f}"
        for a, b in zip(r["tertile_orr_sim"], r["tertile_orr_obs"], strict=True)
    )
    typer.echo(f"  ORR by CD8 tertile (simulated/observed %): {ter}")
    for ep, why in r["not_compared"].items():
        med = r.get(f"median_{ep}_sim")
        text = "not reached" if med is None else f"{med:.1f} months"
        typer.echo(f"  {ep.upper()}: simulated median {text}; {why}")
