"""Independent drug action: is a trial's combination arm more than its better constituent?

Palmer et al. (Clin Cancer Res 2022;28:368-377, PMC9068233) analysed 13 phase III trials that
combined an immune-checkpoint inhibitor (ICI) with other drugs. Each combination's PFS was predicted
from its constituents' monotherapy PFS under *independent drug action*: every patient draws the
better of the two single-agent benefits, and the drugs do not interact. The observed PFS matched
that prediction (Pearson r 0.98 over 4,173 patients). They found no evidence of additivity or
synergy, except in one trial, where such an interaction might have added 9 days of median PFS.

Here the same test is run on virtual patients. A trial's combination arm is its control regimen
plus an add-on, and the add-on is derived from the two regimens. The control arm, the combination
and the add-on alone (a counterfactual arm, not published) are simulated on the same patients.
Each patient's independent-action PFS is the longer of the two single-arm PFS times; that
patient's two responses are known, so no correlation between them has to be assumed. The
verdict reads the combination's restricted mean PFS gain over independent action (over the
trial's follow-up, 95 % paired bootstrap over patients): the check holds when that interval
holds 0. The Cox HR of the combination against independent action is printed beside it, as
Palmer's analysis compares the curves; its interval treats them as unpaired, so it is
conservative. Palmer's expected curves needed an assumed correlation between a patient's
responses to the two drugs (the abstract does not give it). So the uncorrelated independent
action, S = 1 - (1 - S_control)(1 - S_alone), is given as well. A combination that beats it
beats independent action at any non-negative correlation.

An untreated arm on the same patients says where the add-on acts: for the patients the add-on
alone does not make respond (SD or PD), their median PFS and the share progressing by the first
scan, untreated and on the add-on. An add-on that holds back many of its non-responders acts a
little in most patients, which compounds with the control drugs; the trials behave as if it
helped a subset and left the rest as they were.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from senotwin._errors import ValidationError, check_seed
from senotwin.analysis.endpoints import TrialRules, trial_scan_days
from senotwin.analysis.survival import compare, json_record, wilson
from senotwin.therapy.language import parse_text
from senotwin.trial.spec import DAYS_PER_MONTH, Published, TrialArm, TrialSpec

PALMER_2022 = (
    "Palmer AC, Izar B, Hwangbo H, Sorger PK. Predictable clinical benefits without evidence of "
    "synergy in trials of combination therapies with immune-checkpoint inhibitors. Clin Cancer "
    "Res 2022;28:368-377 (PMC9068233), abstract: in 13 phase III ICI-combination trials (melanoma, "
    "lung, breast, gastric, kidney, head and neck; 4,173 patients) PFS matched independent drug "
    "action (Pearson r 0.98); no evidence of additivity or synergy except in one trial (at most "
    "9 days of median PFS); quantitative-sources ici_combination_independent_action"
)
ALONE_SUFFIX = "_alone"
#: the counterfactual no-treatment arm on the same patients
UNTREATED = "untreated"


def add_on_regimen(trial: TrialSpec, arm: str) -> str:
    """The regimen text of what ``arm`` adds to the control arm (its items that the control
    lacks); refuses an arm that does not contain every control item, adds nothing, or anchors
    an added item on a control drug (it could not run alone)."""
    names = [a.name for a in trial.arms[1:]]
    if arm not in names:
        raise ValidationError(
            f"arm {arm!r} (--arm): not an experimental arm of {trial.id}; allowed: "
            f"{', '.join(names)}"
        )
    combo = next(a for a in trial.arms if a.name == arm)
    control = trial.control
    if control.regimen == "none" or combo.regimen == "none":
        raise ValidationError(
            f"{trial.id}: independent action needs a treated control and combination arm "
            f"(control {control.regimen!r}, {arm} {combo.regimen!r})"
        )
    c_items = [it.to_text() for it in parse_text(control.regimen).items]
    items = parse_text(combo.regimen).items
    texts = [it.to_text() for it in items]
    missing = [t for t in c_items if t not in texts]
    if missing:
        raise ValidationError(
            f"{trial.id}: arm {arm!r} is not the control regimen plus an add-on: it lacks the "
            f"control item(s) {'; '.join(missing)}"
        )
    extra = [it for it, t in zip(items, texts, strict=True) if t not in c_items]
    if not extra:
        raise ValidationError(f"{trial.id}: arm {arm!r} adds nothing to the control regimen")
    own = {it.drug for it in extra}
    for it in extra:
        if it.after is not None and it.after.drug not in own:
            raise ValidationError(
                f"{trial.id}: arm {arm!r}: the added item {it.to_text()!r} is timed after the "
                f"control drug {it.after.drug!r}, so the add-on cannot run alone"
            )
    return "; ".join(it.to_text() for it in extra)


def independence_trial(trial: TrialSpec, arm: str) -> TrialSpec:
    """``trial`` cut to four arms on the same patients: the control, the combination ``arm``,
    the add-on alone (``<arm>_alone``) and no treatment (:data:`UNTREATED`); the last two are
    counterfactual, with no published results."""
    alone = add_on_regimen(trial, arm)
    combo = next(a for a in trial.arms if a.name == arm)
    if UNTREATED in (trial.control.name, arm):
        raise ValidationError(
            f"{trial.id}: an arm named {UNTREATED!r} would clash with the check's own untreated "
            "arm; rename it in the trial file"
        )

    def counterfactual(name: str, label: str, regimen: str) -> TrialArm:
        return TrialArm(name, label, "not a trial arm", regimen, "", Published())

    arms = (
        trial.control,
        combo,
        counterfactual(
            arm + ALONE_SUFFIX, f"{combo.label}: the add-on alone (counterfactual)", alone
        ),
        counterfactual(UNTREATED, "no treatment (counterfactual)", "none"),
    )
    return replace(trial, arms=arms, subgroups=())


@dataclass(frozen=True)
class Independence:
    """The combination against independent action of its constituents on the same patients."""

    trial: str
    control: str
    combination: str
    alone: str
    add_on: str
    n: int
    median_pfs_months: dict[str, float]  # control, alone, independent action, combination
    orr: dict[str, float]  # percent; 'either': a patient responds in one of the two single arms
    either_ci: tuple[float, float]
    hr: float  # Cox HR of the combination vs independent action (unpaired CI)
    hr_lower: float
    hr_upper: float
    rmst_gain_months: float  # restricted mean PFS, combination - independent action
    rmst_gain_ci: tuple[float, float]  # paired bootstrap over patients
    spearman_singles: float  # rank correlation of the two single-arm PFS times
    follow_months: float
    #: independent action had the two single-arm PFS times been uncorrelated (the curve
    #: 1 - (1 - S_control)(1 - S_alone)): its median and the combination's restricted mean gain
    uncorrelated_median_months: float = math.nan
    uncorrelated_rmst_gain_months: float = math.nan
    uncorrelated_rmst_gain_ci: tuple[float, float] = (math.nan, math.nan)
    #: where the add-on acts (when the run has the untreated arm): the patients the add-on alone
    #: does not make respond, their median PFS (months) and the % of them progressing by the
    #: first scan, keyed untreated / add-on alone
    alone_nonresponders: int = 0
    first_scan_day: float = math.nan
    nonresponder_median_pfs_months: dict[str, float] = field(default_factory=dict)
    nonresponder_first_scan_pd: dict[str, float] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        """From the paired restricted mean PFS gain over independent action: 'more than
        independent' (synergy or additivity) when its 95 % CI lies above 0, 'less than
        independent' (antagonism) when below, else 'independent'."""
        low, high = self.rmst_gain_ci
        if low > 0.0:
            return "more than independent"
        if high < 0.0:
            return "less than independent"
        return "independent"

    @property
    def holds(self) -> bool:
        """Palmer 2022's clinical finding (independent action) holds on these patients."""
        return self.verdict == "independent"

    def record(self) -> dict[str, Any]:
        """JSON-ready: a median not reached is None with its ``_not_reached`` flag true
        (:data:`senotwin.analysis.survival.NOT_REACHED_SUFFIX`); keys are snake_case
        (:data:`IA` is ``independent_action``), an interval ``<name>_low`` / ``<name>_high`` as
        in every JSON of the CLI; ``units`` says what each number is in."""
        data = asdict(self)
        for key in ("either", "rmst_gain", "uncorrelated_rmst_gain"):
            data[f"{key}_low"], data[f"{key}_high"] = data.pop(f"{key}_ci")
        data["hr_low"], data["hr_high"] = data.pop("hr_lower"), data.pop("hr_upper")
        data["median_pfs_months"] = {
            IA_KEY if k == IA else k: v for k, v in data["median_pfs_months"].items()
        }
        out = json_record(data, RECORD_MEDIANS)
        return out | {
            "verdict": self.verdict,
            "holds": self.holds,
            "source": PALMER_2022,
            "units": RECORD_UNITS,
        }


def _km_grid(days: np.ndarray, events: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Kaplan-Meier survival of (days, events) at each time of ``grid`` (right-continuous;
    events before censorings at a tied time, as the estimator's convention)."""
    order = np.lexsort((~events, days))
    d, e = days[order], events[order]
    at_risk = d.size - np.arange(d.size)
    surv = np.cumprod(np.where(e, 1.0 - 1.0 / at_risk, 1.0))
    k = np.searchsorted(d, grid, side="right") - 1
    return np.where(k < 0, 1.0, surv[np.clip(k, 0, None)])


def _rmst(s: np.ndarray) -> float:
    """Restricted mean event-free days of a survival curve on the daily grid 0..horizon."""
    return float(np.sum(s[:-1]))


def _uncorrelated(s_control: np.ndarray, s_alone: np.ndarray) -> np.ndarray:
    """Independent action of two uncorrelated single-arm survival curves: a patient is event-free
    while either arm would keep it so, 1 - (1 - S_control)(1 - S_alone)."""
    return 1.0 - (1.0 - s_control) * (1.0 - s_alone)


def _median_days(s: np.ndarray) -> float:
    """First day of the daily grid at which the curve is at or below 0.5 (inf: not reached)."""
    below = np.nonzero(s <= 0.5)[0]
    return float(below[0]) if below.size else math.inf


IA = "independent action"
#: :data:`IA` as a JSON key (independence.json, ``trial independence --json``)
IA_KEY = "independent_action"
#: the fields of :meth:`Independence.record` that can hold a median not reached
RECORD_MEDIANS = (
    "median_pfs_months",
    "uncorrelated_median_months",
    "nonresponder_median_pfs_months",
)
#: units of the numbers in :meth:`Independence.record` (the months are 30.4375 days)
RECORD_UNITS = {
    "median_pfs_months": "months",
    "orr": "% of patients",
    "either_low": "% of patients",
    "either_high": "% of patients",
    "hr": "hazard ratio, combination vs independent action",
    "hr_low": "hazard ratio",
    "hr_high": "hazard ratio",
    "rmst_gain_months": "months",
    "rmst_gain_low": "months",
    "rmst_gain_high": "months",
    "follow_months": "months",
    "uncorrelated_median_months": "months",
    "uncorrelated_rmst_gain_months": "months",
    "uncorrelated_rmst_gain_low": "months",
    "uncorrelated_rmst_gain_high": "months",
    "first_scan_day": "days",
    "nonresponder_median_pfs_months": "months",
    "nonresponder_first_scan_pd": "% of the add-on-alone non-responders",
}


def _by_arm(rows: pd.DataFrame, arms: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """The successfully simulated rows of each of ``arms``, indexed by patient."""
    ok = rows[rows["status"] == "success"] if "status" in rows else rows
    return {a: ok[ok["arm"] == a].set_index("patient").sort_index() for a in arms}


def _paired(
    rows: pd.DataFrame, control: str, arm: str, alone: str
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """PFS days, PFS events and confirmed response (CR/PR) of the three arms on the patients
    simulated in all of them, plus :data:`IA`: each patient's independent action, the longer of
    its control and add-on-alone PFS (the control's on a tie)."""
    by = _by_arm(rows, (control, arm, alone))
    patients = by[control].index.intersection(by[arm].index).intersection(by[alone].index)
    if len(patients) < 2:
        raise ValidationError(
            f"independent action needs patients simulated in {control!r}, {arm!r} and {alone!r}; "
            f"found {len(patients)}"
        )
    t = {a: by[a].loc[patients, "pfs_days"].to_numpy(dtype=float) for a in by}
    ev = {a: by[a].loc[patients, "pfs_event"].to_numpy(dtype=bool) for a in by}
    resp = {a: by[a].loc[patients, "best_response"].isin(["CR", "PR"]).to_numpy() for a in by}
    pick = t[alone] > t[control]
    t[IA] = np.where(pick, t[alone], t[control])
    ev[IA] = np.where(pick, ev[alone], ev[control])
    return t, ev, resp


def independence(
    trial: TrialSpec,
    rows: pd.DataFrame,
    arm: str,
    *,
    boot: int = 400,
    seed: int = 0,
) -> Independence:
    """The check on a run of :func:`independence_trial` (rows of its cohort directory)."""
    check_seed(seed)
    alone = arm + ALONE_SUFFIX
    control = trial.control.name
    if arm in (control, UNTREATED) or arm.endswith(ALONE_SUFFIX):
        allowed = [
            a.name
            for a in trial.arms[1:]
            if a.name != UNTREATED and not a.name.endswith(ALONE_SUFFIX)
        ]
        raise ValidationError(
            f"arm {arm!r} is not a combination arm of {trial.id} (the control is {control!r}); "
            f"allowed: {', '.join(allowed)}"
        )
    t, ev, resp = _paired(rows, control, arm, alone)
    t_ia, e_ia = t[IA], ev[IA]
    either = resp[control] | resp[alone]
    share, lo, hi = wilson(int(either.sum()), either.size)
    cox = compare(t[arm], ev[arm], t_ia, e_ia)
    horizon = float(trial.rules.follow_days)
    grid = np.arange(0.0, horizon + 1.0)

    def curves(k: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Combination, independent action and uncorrelated independent action (patients k)."""
        s_c = _km_grid(t[control][k], ev[control][k], grid)
        s_a = _km_grid(t[alone][k], ev[alone][k], grid)
        return (
            _km_grid(t[arm][k], ev[arm][k], grid),
            _km_grid(t_ia[k], e_ia[k], grid),
            _uncorrelated(s_c, s_a),
        )

    s_combo, s_ia, s_ia0 = curves(np.arange(t_ia.size))
    gain, gain0 = _rmst(s_combo) - _rmst(s_ia), _rmst(s_combo) - _rmst(s_ia0)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(boot):
        b_combo, b_ia, b_ia0 = curves(rng.integers(0, t_ia.size, t_ia.size))
        draws.append((_rmst(b_combo) - _rmst(b_ia), _rmst(b_combo) - _rmst(b_ia0)))
    arr = np.array(draws) if draws else np.full((1, 2), math.nan)
    low, high = np.percentile(arr, 2.5, axis=0), np.percentile(arr, 97.5, axis=0)

    from scipy.stats import spearmanr

    rho = float(spearmanr(t[control], t[alone]).statistic) if t_ia.size > 2 else math.nan
    m = DAYS_PER_MONTH
    return Independence(
        trial=trial.id,
        control=control,
        combination=arm,
        alone=alone,
        add_on=add_on_regimen(trial, arm),
        n=int(t_ia.size),
        median_pfs_months={
            control: _median_days(_km_grid(t[control], ev[control], grid)) / m,
            alone: _median_days(_km_grid(t[alone], ev[alone], grid)) / m,
            IA: _median_days(s_ia) / m,
            arm: _median_days(s_combo) / m,
        },
        orr={
            control: 100 * float(resp[control].mean()),
            alone: 100 * float(resp[alone].mean()),
            "either": 100 * share,
            arm: 100 * float(resp[arm].mean()),
        },
        either_ci=(100 * lo, 100 * hi),
        hr=cox.hr,
        hr_lower=cox.hr_lower,
        hr_upper=cox.hr_upper,
        rmst_gain_months=gain / m,
        rmst_gain_ci=(float(low[0]) / m, float(high[0]) / m),
        spearman_singles=rho,
        follow_months=horizon / m,
        uncorrelated_median_months=_median_days(s_ia0) / m,
        uncorrelated_rmst_gain_months=gain0 / m,
        uncorrelated_rmst_gain_ci=(float(low[1]) / m, float(high[1]) / m),
        **where_it_acts(trial.rules, rows, alone),
    )


def where_it_acts(rules: TrialRules, rows: pd.DataFrame, alone: str) -> dict[str, Any]:
    """The treatment ``alone`` against no treatment (arm :data:`UNTREATED`) in the patients it
    does not make respond: their number, median PFS (months) and % progressing by the first scan
    of ``rules`` in each arm (the :class:`Independence` fields); empty when the rows have no
    untreated arm (a run made before it was added)."""
    by = _by_arm(rows, (UNTREATED, alone))
    patients = by[UNTREATED].index.intersection(by[alone].index)
    if len(patients) == 0:
        return {}
    non = ~by[alone].loc[patients, "best_response"].isin(["CR", "PR"]).to_numpy()
    first = float(trial_scan_days(rules, rules.follow_days)[0])
    grid = np.arange(0.0, float(rules.follow_days) + 1.0)
    median, early = {}, {}
    for a in (UNTREATED, alone):
        days = by[a].loc[patients, "pfs_days"].to_numpy(dtype=float)[non]
        events = by[a].loc[patients, "pfs_event"].to_numpy(dtype=bool)[non]
        if not days.size:  # the add-on alone made every patient respond
            median[a] = early[a] = math.nan
            continue
        median[a] = _median_days(_km_grid(days, events, grid)) / DAYS_PER_MONTH
        early[a] = 100 * float(np.mean(events & (days <= first)))
    return {
        "alone_nonresponders": int(non.sum()),
        "first_scan_day": first,
        "nonresponder_median_pfs_months": median,
        "nonresponder_first_scan_pd": early,
    }


def independence_text(res: Independence) -> list[str]:
    """Lines for the terminal."""

    def mo(x: float) -> str:
        return f"{x:.1f}" if math.isfinite(x) else "not reached"

    m, o = res.median_pfs_months, res.orr
    lines = [
        f"{res.trial}: {res.combination} = {res.control} + add-on ({res.add_on}); {res.n} "
        f"virtual patients in each of {res.control}, {res.combination}, {res.alone} and "
        f"{UNTREATED} (the last for where the add-on acts only)",
        "median PFS, months: "
        + ", ".join(f"{k} {mo(v)}" for k, v in m.items())
        + f" (independent action: each patient's longer PFS of {res.control} and {res.alone})",
        "ORR %: "
        + ", ".join(f"{k} {v:.1f}" for k, v in o.items())
        + f" (either: {res.either_ci[0]:.1f}-{res.either_ci[1]:.1f})",
        f"HR PFS {res.combination} vs independent action: {res.hr:.2f} "
        f"({res.hr_lower:.2f}-{res.hr_upper:.2f}; unpaired CI, conservative)",
        f"restricted mean PFS gain over {res.follow_months:.0f} months: "
        f"{res.rmst_gain_months:+.2f} months ({res.rmst_gain_ci[0]:+.2f} to "
        f"{res.rmst_gain_ci[1]:+.2f}, paired bootstrap)",
        f"rank correlation of the two single-arm PFS times: {res.spearman_singles:.2f}; had "
        f"they been uncorrelated, independent action would give median PFS "
        f"{mo(res.uncorrelated_median_months)} months and the combination a restricted mean "
        f"gain of {res.uncorrelated_rmst_gain_months:+.2f} months over it "
        f"({res.uncorrelated_rmst_gain_ci[0]:+.2f} to {res.uncorrelated_rmst_gain_ci[1]:+.2f})",
        *_where_text(res),
        f"verdict: {res.verdict} [{'holds' if res.holds else 'MISS'}: clinical combinations with "
        "ICIs act independently]",
        f"source: {PALMER_2022}",
    ]
    return lines


def _where_text(res: Independence) -> list[str]:
    """The line on where the add-on acts (none without the untreated arm)."""
    if not res.nonresponder_median_pfs_months:
        return []
    if not res.alone_nonresponders:
        return [f"where the add-on acts: {res.alone} made every patient respond"]
    m, e = res.nonresponder_median_pfs_months, res.nonresponder_first_scan_pd

    def mo(x: float) -> str:
        return f"{x:.1f}" if math.isfinite(x) else "not reached"

    return [
        f"where the add-on acts: in the {res.alone_nonresponders} patients {res.alone} does not "
        f"make respond, median PFS {mo(m[UNTREATED])} months untreated and {mo(m[res.alone])} "
        f"on the add-on; progressed by the first scan (day {res.first_scan_day:g}) "
        f"{e[UNTREATED]:.1f} % untreated and {e[res.alone]:.1f} % on the add-on"
    ]


def independence_png(res: Independence, rows: pd.DataFrame) -> bytes:
    """PFS Kaplan-Meier curves of the control, the add-on alone, independent action and the
    combination (PNG)."""
    import io

    from matplotlib.figure import Figure

    t, ev, _ = _paired(rows, res.control, res.combination, res.alone)
    fig = Figure(figsize=(7.5, 5.0))
    ax = fig.subplots()
    grid = np.arange(0.0, res.follow_months * DAYS_PER_MONTH + 1.0)
    curves = [(res.control, "-"), (res.alone, "-"), (IA, "--"), (res.combination, "-")]
    s = {label: _km_grid(t[label], ev[label], grid) for label, _ in curves}
    s0 = _uncorrelated(s[res.control], s[res.alone])
    for label, ls in curves:
        ax.step(grid / DAYS_PER_MONTH, s[label], where="post", ls=ls, label=f"{label} (n={res.n})")
    ax.step(
        grid / DAYS_PER_MONTH,
        s0,
        where="post",
        ls=":",
        color="black",
        label="independent action, had the single-arm PFS been uncorrelated",
    )
    ax.axhline(0.5, color="grey", lw=0.6, ls=":")
    ax.set_xlim(0, res.follow_months)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("months since randomisation")
    ax.set_ylabel("progression-free")
    low, high = res.rmst_gain_ci
    ax.set_title(
        f"{res.trial}: {res.combination} vs independent action of its parts ({res.verdict})\n"
        f"restricted mean PFS gain {res.rmst_gain_months:+.2f} months ({low:+.2f} to "
        f"{high:+.2f}, paired 95 %)",
        fontsize=9,
    )
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()


def write_independence(res: Independence, png: bytes, out: str | Path) -> None:
    """independence.json and independence.png (:func:`independence_png`) into ``out``."""
    import json

    from senotwin._io import atomic_write_bytes, atomic_write_text

    out = Path(out)
    atomic_write_text(out / "independence.json", json.dumps(res.record(), indent=1))
    atomic_write_bytes(out / "independence.png", png)
