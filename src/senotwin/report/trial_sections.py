"""Report sections of a library trial (simulated vs published endpoints side by side, KM curves)
and of the cross-tissue held-back checkpoint cohorts (predicted vs observed).

The trial is run by :func:`senotwin.trial.run.demo_trial` and the cohorts by
:func:`senotwin.trial.ici_transfer.predict_transfer` (``senotwin demo`` does both); this module
only draws their results.
"""

from __future__ import annotations

import math
from typing import Any

from senotwin.analysis.survival import wilson
from senotwin.report.section import Figure, Section, Table
from senotwin.trial.checks import trial_checks
from senotwin.trial.ici_fit import drawn_text
from senotwin.trial.independence import UNTREATED, Independence
from senotwin.trial.run import DEFINITION_TEXT, TrialOutcome
from senotwin.trial.spec import TrialSpec


def _num(x: Any, digits: int) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if isinstance(x, float) and math.isinf(x):
        return "not reached"
    return f"{x:.{digits}f}"


def _cell(value: Any, lo: Any, hi: Any, digits: int) -> str:
    text = _num(value, digits)
    if text != "-" and lo is not None and not (isinstance(lo, float) and math.isnan(lo)):
        text += f" ({_num(lo, digits)}-{_num(hi, digits)})"
    return text


def library_trial_section(outcome: TrialOutcome | None) -> Section:
    """Simulated vs published ORR, DCR, median PFS/OS (and the simulated curve at each published
    median) and HRs of one library trial, with KM."""
    title = "Virtual trial from the library: simulated vs published"
    if outcome is None:
        return Section(
            title,
            intro="No library trial was run for this report ('senotwin trial run NAME' runs one).",
        )
    t = outcome.trial
    table = outcome.comparison.table
    rows = []
    misses = []
    for k, rec in enumerate(table.to_dict(orient="records")):
        digits = 2 if str(rec["endpoint"]).startswith("HR") else 1
        arm = next((a.label for a in t.arms if a.name == rec["arm"]), rec["arm"])
        inside = rec["published_in_sim_ci"]
        verdict = "-" if inside is None else ("inside" if inside else "outside")
        if inside is False:
            misses.append(k)
        rows.append(
            (
                rec["population"],
                arm,
                f"{rec['endpoint']} ({rec['unit']}"
                + (f", {DEFINITION_TEXT[rec['definition']]})" if rec.get("definition") else ")"),
                _cell(rec["simulated"], rec["sim_low"], rec["sim_high"], digits),
                _cell(rec["published"], rec["pub_low"], rec["pub_high"], digits),
                verdict,
            )
        )
    n = int(outcome.rows["patient"].nunique())
    intro = (
        f"{t.title} ({t.reference}), run on {n} virtual patients per arm selected by probability "
        "of inclusion to the trial's reported baseline; RECIST 1.1 on the trial's scan calendar; "
        "a death hazard that rises with the current sum of target diameters (a cited joint-model "
        "estimate) and, after progression, follows the cited post-progression survival of the "
        "trial's disease (set on a typical patient or calibrated on the simulated control arm; "
        "'trial show' says which). "
        "Nothing is fitted to "
        f"this or any trial's outcomes: both arms are predictions. {len(misses)} of "
        f"{sum(r[-1] != '-' for r in rows)} published values lie outside the simulated 95 % CI "
        "(highlighted); a small demo cohort gives wide intervals. 'PFS/OS at median' rows read "
        "the simulated curve at the published median (50 % if the arm matches): a median on a "
        "scan calendar moves by whole scan intervals, the curve there does not. 'PFS/OS at N "
        "months' rows set the simulated Kaplan-Meier rate beside a published landmark rate; a "
        "late one reads the curve's tail (durable benefit), which no median shows. 'ORR/CR at "
        "N months of follow-up' rows count only the responses confirmed by the trial's "
        "published median follow-up, as its data cut-off did; the other rows follow every "
        "patient to the end of the simulation." + _immune_text(outcome.immune) + _codes_text(t)
    )
    notes = tuple(f"{a.name}: {a.stand_in}" for a in t.arms if a.stand_in)
    return Section(
        title,
        intro=intro,
        figures=(
            Figure(
                "library_trial_km.png",
                outcome.km_png,
                f"{t.id}: simulated Kaplan-Meier curves of PFS and OS per arm (95 % bands) with "
                "the published medians as diamonds.",
                alt=f"KM curves of {t.id}",
            ),
            *_independence_figure(outcome),
        ),
        tables=(
            Table.of(
                (
                    "population",
                    "arm",
                    "endpoint (unit)",
                    "simulated (95 % CI)",
                    "published (95 % CI)",
                    "published vs simulated CI",
                ),
                rows,
                caption=f"{t.id}: simulated vs published endpoints",
                highlight=misses,
            ),
            *_checks_table(outcome),
            *_independence_table(outcome),
        ),
        notes=notes,
        notes_title="Stand-ins for products the drug library lacks",
    )


def _codes_text(trial: TrialSpec) -> str:
    """The arms' short names in words: the checks, the independence table and figure and the
    notes print 'cp_et' and 'atezo', which no other line of the report explained (audit find)."""
    named = [f"{a.name} = {a.label}" for a in trial.arms if a.name != a.label]
    return f" Arm codes below: {'; '.join(named)}." if named else ""


def _checks_table(outcome: TrialOutcome) -> tuple[Table, ...]:
    """What the trial does not publish, against numbers measured outside it (MISS rows
    highlighted): :mod:`senotwin.trial.checks`; no table when the rows allow no check."""
    checks = trial_checks(outcome.trial, outcome.rows)
    if not checks:
        return ()
    rows = [
        (
            c.arm,
            c.check,
            _cell(c.simulated, c.sim_low, c.sim_high, 1) + f" {c.unit}",
            f"{c.reference:.1f} {c.unit}",
            "inside" if c.holds else "outside",
        )
        for c in checks
    ]
    sources = "; ".join(dict.fromkeys(c.source for c in checks))
    return (
        Table.of(
            ("arm", "check", "simulated (95 % CI)", "reference", "reference vs simulated CI"),
            rows,
            caption=f"{outcome.trial.id}: checks against cited numbers from outside the trial "
            f"({sources})",
            highlight=[k for k, c in enumerate(checks) if not c.holds],
        ),
    )


def _independence_figure(outcome: TrialOutcome) -> tuple[Figure, ...]:
    """PFS of the control, the add-on alone, independent action and the combination."""
    res = outcome.independence
    if res is None or not outcome.independence_png:
        return ()
    return (
        Figure(
            "library_trial_independence.png",
            outcome.independence_png,
            f"{res.trial}: PFS of the combination ({res.combination}) against independent "
            f"action of its parts on the same virtual patients (each patient's longer PFS of "
            f"{res.control} and the add-on alone ({res.alone}), dashed; dotted: had the two been "
            "uncorrelated).",
            alt=f"independent action in {res.trial}",
        ),
    )


def _signed(x: float, ci: tuple[float, float]) -> str:
    """A signed difference with its interval ('+1.92 (+0.74 to +3.44)')."""
    if not all(math.isfinite(v) for v in (x, *ci)):
        return _num(x, 2)
    return f"{x:+.2f} ({ci[0]:+.2f} to {ci[1]:+.2f})"


def _independence_table(outcome: TrialOutcome) -> tuple[Table, ...]:
    """The combination against independent action (:mod:`senotwin.trial.independence`): the
    verdict row highlighted when it misses the clinical finding."""
    res = outcome.independence
    if res is None:
        return ()
    m, o = res.median_pfs_months, res.orr
    rows = [(f"median PFS, {k} (months)", _num(v, 1)) for k, v in m.items()] + [
        (f"ORR, {k} (%)", _num(v, 1)) for k, v in o.items()
    ]
    rows += [
        (
            f"HR PFS, {res.combination} vs independent action (unpaired CI)",
            _cell(res.hr, res.hr_lower, res.hr_upper, 2),
        ),
        (
            "restricted mean PFS gain over independent action (months, paired bootstrap)",
            _signed(res.rmst_gain_months, res.rmst_gain_ci),
        ),
        (
            "the same over uncorrelated independent action (months)",
            _signed(res.uncorrelated_rmst_gain_months, res.uncorrelated_rmst_gain_ci),
        ),
        ("rank correlation of the two single-arm PFS times", _num(res.spearman_singles, 2)),
        *_where_rows(res),
        ("verdict (clinically: independent)", res.verdict),
    ]
    return (
        Table.of(
            ("quantity", "value"),
            rows,
            caption=f"{res.trial}: {res.combination} = {res.control} + {res.add_on}, against "
            f"independent drug action of its parts on the same {res.n} virtual patients. "
            "Phase III trials of ICI combinations matched independent action (Palmer 2022, "
            "Clin Cancer Res 28:368, 13 trials); a combination above it is synergistic in the "
            "model where the trials were not",
            highlight=[] if res.holds else [len(rows) - 1],
        ),
    )


def _where_rows(res: Independence) -> list[tuple[str, str]]:
    """Where the add-on acts: its alone arm's non-responders, untreated and on the add-on."""
    if not res.nonresponder_median_pfs_months or not res.alone_nonresponders:
        return []
    m, e, who = res.nonresponder_median_pfs_months, res.nonresponder_first_scan_pd, res.alone
    pts = f"the {res.alone_nonresponders} patients {who} does not make respond"
    return [
        (
            f"{pts}: median PFS untreated / on the add-on (months)",
            f"{_num(m[UNTREATED], 1)} / {_num(m[who], 1)}",
        ),
        (
            f"{pts}: progressed by the first scan (day {res.first_scan_day:g}), untreated / on "
            "the add-on (%)",
            f"{_num(e[UNTREATED], 1)} / {_num(e[who], 1)}",
        ),
    ]


def _immune_text(record: dict[str, Any]) -> str:
    """One sentence: which transferable immune parameters the patients carried, and why."""
    if not record:
        return ""
    source = record.get("source")
    what = (
        "the liu2019 point fit for every patient"
        if source == "fit"
        else f"one draw per patient of {record.get('ensemble', source)}"
    )
    note = f" ({record['note']})" if record.get("note") else ""
    return f" Immune parameters: {what}{note}."


def _verdict(sim: float | None, lo: float | None, hi: float | None) -> str:
    """'inside' / 'outside' the observed 95 % interval; a simulated median not reached lies above
    any finite interval; '-' without an interval."""
    if lo is None or hi is None:
        return "-"
    if sim is None:
        return "outside" if math.isfinite(hi) else "inside"
    return "inside" if lo <= sim <= hi else "outside"


def _heldback_rows(name: str, r: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """Rows of one held-back cohort: ORR where RECIST exists, medians, and survival landmarks
    with the observed 95 % band (the tail a median hides)."""
    rows = []
    if "orr_obs" in r:
        k = round(r["orr_obs"] * r["n_obs"])
        _, lo, hi = wilson(k, r["n_obs"])
        rows.append(
            (
                name,
                "ORR (%)",
                _num(100 * r["orr_sim"], 1),
                f"{_num(100 * r['orr_obs'], 1)} ({_num(100 * lo, 1)}-{_num(100 * hi, 1)})",
                _verdict(r["orr_sim"], lo, hi),
            )
        )
    for ep in ("pfs", "os"):
        if f"median_{ep}_obs" not in r or ep in r["not_compared"]:
            continue
        ci_lo, ci_hi = r.get(f"median_{ep}_obs_low"), r.get(f"median_{ep}_obs_high")
        sim = r[f"median_{ep}_sim"]
        rows.append(
            (
                name,
                f"median {ep.upper()} (months)",
                "not reached" if sim is None else _num(sim, 1),
                _cell(r[f"median_{ep}_obs"], ci_lo, ci_hi, 1),
                _verdict(sim, ci_lo, ci_hi),
            )
        )
        for lm in r.get(f"landmarks_{ep}", []):
            if lm["month"] not in (6.0, 12.0):
                continue
            lo_l, hi_l = lm["obs_low"], lm["obs_high"]
            rows.append(
                (
                    name,
                    f"{ep.upper()} at {lm['month']:g} months (%)",
                    _num(100 * lm["sim"], 1),
                    f"{_num(100 * lm['obs'], 1)} ({_num(100 * lo_l, 1)}-{_num(100 * hi_l, 1)})",
                    _verdict(lm["sim"], lo_l, hi_l),
                )
            )
    return rows


def heldback_section(predictions: dict[str, dict[str, Any]] | None) -> Section:
    """Cross-tissue held-back checkpoint cohorts predicted from the melanoma fit, no refit:
    simulated beside observed with the observed 95 % intervals, misses highlighted."""
    title = "Held-back checkpoint cohorts in other tissues: predicted vs observed"
    if not predictions:
        return Section(
            title,
            intro="No held-back cohort was predicted ('senotwin trial heldback NAME' runs one).",
        )
    rows = [row for name, r in predictions.items() for row in _heldback_rows(name, r)]
    misses = [k for k, row in enumerate(rows) if row[-1] == "outside"]
    notes = tuple(
        f"{name}: {what}: {why}"
        for name, r in predictions.items()
        for what, why in {**r.get("caveats", {}), **r["not_compared"]}.items()
    )
    what = "; ".join(
        f"{name}: {r['what']} ({r['n_sim']} virtual patients{drawn_text(r)}, {r['n_obs']} observed)"
        for name, r in predictions.items()
    )
    intro = (
        "The liu2019 (melanoma anti-PD-1) fit carried to other tissues exactly as to the library "
        "trials' patients (antigenicity, baseline CD8, invisible-share classes, growth) and "
        "simulated with no refit. These cohorts were declared held back before they were first "
        "predicted: nothing is fitted or tuned on them. "
        f"{what}. {len(misses)} of {sum(r[-1] != '-' for r in rows)} simulated values lie "
        "outside the observed 95 % interval (highlighted)."
    )
    return Section(
        title,
        intro=intro,
        tables=(
            Table.of(
                (
                    "cohort",
                    "endpoint",
                    "simulated",
                    "observed (95 % CI)",
                    "simulated vs observed CI",
                ),
                rows,
                caption="held-back cross-tissue cohorts: simulated vs observed",
                highlight=misses,
            ),
        ),
        notes=notes,
        notes_title="Caveats and endpoints not compared",
    )
