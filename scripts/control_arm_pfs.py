"""What sets a library trial's chemotherapy control arm PFS and ORR (issue 13 diagnosis).

Runs each trial's control arm on its selected virtual patients (the arm ``trial run`` runs,
same seed, same patients), keeps the lesion's cell pools, and re-reads the same courses with one
RECIST component changed at a time -- no new lesions, no non-target progression, no lesion-level
growth spread, a diameter of live cancer cells only (senescent and dead cells gone at once), a
scan every day instead of the trial's calendar -- to show which component decides the median
PFS, and prints the progression-free share at each scheduled scan, what the first PD involved,
and the lesion's course: the live-cell nadir (day, depth), the net regrowth rate of live cancer
cells over the 42 days after it against the patient's untreated rate (ln 2 / untreated volume
doubling time), and the chemotherapy sensitivity left then. A diagnosis: no parameter changes,
nothing is fitted, the published medians are printed only beside the simulated ones.

``--seeds 0 1 2`` pools independent patient sets (one selection per seed), so that the
binomial noise of one 200-patient arm (about 3 points of ORR) and the step of the KM median
between two scans can be told from a bias.

    python scripts/control_arm_pfs.py [--trial keynote189 ...] [--n 200] [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from senotwin.analysis.endpoints import (
    DeathHazard,
    TrialEndpointReducer,
    TrialRules,
    trial_endpoints,
    trial_scan_days,
)
from senotwin.analysis.survival import kaplan_meier
from senotwin.cohort.runner import CohortArm, run_cohort
from senotwin.cohort.store import load_rows, load_timecourses
from senotwin.trial.clinical import trial_hazard
from senotwin.trial.library import get_trial
from senotwin.trial.run import trial_config
from senotwin.trial.spec import DAYS_PER_MONTH

TRIALS = ("keynote189", "impassion130", "impower133")
KEEP = ("C", "Ci", "Se", "Sl", "Sd", "D", "diameter", "chemo_sensitivity")
REGROWTH_WINDOW = 42.0  # days after the live-cell nadir over which the regrowth rate is read


@dataclass(frozen=True)
class KeepBaseline(TrialEndpointReducer):
    """The trial reducer that also stores the patient's baseline record (JSON) in its row."""

    def __call__(self, result: Any, baseline: dict[str, Any] | None = None) -> dict[str, Any]:
        return {**super().__call__(result, baseline), "baseline_json": json.dumps(baseline)}

    def empty(self) -> dict[str, Any]:
        return {**super().empty(), "baseline_json": "{}"}


def variants(rules: TrialRules) -> dict[str, tuple[TrialRules, bool, bool]]:
    """Re-readings of the same courses: name -> (rules, new lesions allowed, live cells only)."""
    return {
        "shipped": (rules, True, False),
        "no new lesions": (rules, False, False),
        "no non-target PD": (replace(rules, nontarget_progression=False), True, False),
        "no lesion spread": (replace(rules, lesion_growth_spread=0.0), True, False),
        "live cells only": (rules, True, True),
        "target lesions only": (
            replace(rules, nontarget_progression=False, lesion_growth_spread=0.0),
            False,
            False,
        ),
        "daily scans": (replace(rules, schedule=((1.0e9, 1.0),)), True, False),
    }


def reread(
    t: np.ndarray,
    diameter: np.ndarray,
    live: np.ndarray,
    total: np.ndarray,
    base: dict[str, Any],
    rules: TrialRules,
    hazard: DeathHazard,
) -> dict[str, dict[str, Any]]:
    """RECIST endpoints of one course under every re-reading of :func:`variants`. ``live`` and
    ``total``: live cancer cells and all lesion cells (live + senescent + dead) on ``t``; the
    live-only diameter is the sphere of the live cells (diameter ~ volume^(1/3)); no new lesion
    is a uniform draw no intensity reaches (-ln 1e-300 = 691 expected lesions)."""
    d_live = diameter * np.cbrt(np.maximum(live, 1e-9) / np.maximum(total, 1e-9))
    out = {}
    for name, (r, new_ok, live_only) in variants(rules).items():
        b = base if new_ok else {**base, "u_new": 1e-300}
        out[name] = trial_endpoints(t, d_live if live_only else diameter, b, r, hazard, live)
    return out


def median_months(days: np.ndarray, events: np.ndarray) -> float:
    """Kaplan-Meier median in months (inf when not reached)."""
    km = kaplan_meier(days, events)
    return float(km.median) / DAYS_PER_MONTH


def simulate(trial_id: str, n: int, seed: int) -> tuple[list[dict[str, Any]], dict[str, list]]:
    """Run one seed's control arm; per patient, the lesion course summary and every re-reading."""
    trial = get_trial(trial_id)
    cfg = trial_config(trial, n, seed=seed)
    arms = tuple(a for a in cfg.arms if a.name == trial.control.name)
    cfg = replace(cfg, arms=arms, keep_timecourses=KEEP)
    hazard = trial_hazard(trial)
    rules = trial.rules
    with tempfile.TemporaryDirectory() as tmp:
        run_cohort(cfg, tmp, reducer=KeepBaseline(rules, hazard), workers=1, processes=False)
        rows = load_rows(tmp)
        tc = load_timecourses(tmp)
    rows = rows[rows["status"] == "success"].set_index("patient")
    out: dict[str, list] = {k: [] for k in variants(rules)}
    course = []
    for pid, g in tc.groupby("patient"):
        if pid not in rows.index:
            continue
        base = json.loads(rows.loc[pid, "baseline_json"])
        t = g["time"].to_numpy()
        d = g["diameter"].to_numpy()
        live = g["C"].to_numpy() + g["Ci"].to_numpy()
        total = live + (g["Se"] + g["Sl"] + g["Sd"] + g["D"]).to_numpy()
        for name, rec in reread(t, d, live, total, base, rules, hazard).items():
            out[name].append(rec)
        k = int(np.argmin(live))
        later = float(np.interp(t[k] + REGROWTH_WINDOW, t, live))
        untreated = math.log(2.0) / float(rows.loc[pid, "untreated_doubling_days"])
        sens = g["chemo_sensitivity"].to_numpy()
        course.append(
            {
                "untreated_doubling_days": float(rows.loc[pid, "untreated_doubling_days"]),
                "live_nadir_day": t[k],
                "live_nadir_ratio": live[k] / live[0],
                "regrowth_vs_untreated": math.log(later / live[k]) / REGROWTH_WINDOW / untreated
                if t[k] + REGROWTH_WINDOW <= t[-1]
                else math.nan,
                "sensitivity_at_nadir": float(sens[k]),
                "diam_ratio_day56": float(np.interp(56.0, t, d)) / d[0],
                "best_change_pct": out["shipped"][-1]["best_change_pct"],
            }
        )
    return course, out


def responders_and_nadir(ship: pd.DataFrame) -> str:
    """Confirmed responders' depth and duration of response (KM, months, from the first CR/PR
    scan to PD or death) and the time from the smallest recorded sum to the PD scan."""
    resp = ship[ship["best_response"].isin(["CR", "PR"])]
    dor = median_months(
        (resp["pfs_days"] - resp["response_day"]).to_numpy(float),
        resp["pfs_event"].to_numpy(bool),
    )
    pd_ = ship[ship["pfs_event"] & (ship["pd_by"] != "")]
    gap = (pd_["pfs_days"] - pd_["nadir_day"]).to_numpy(float)
    tgt = pd_["pd_by"].map(lambda by: "target" in by.split("+")).to_numpy(bool)
    return (
        f"confirmed responders {len(resp)}: best change median "
        f"{resp['best_change_pct'].median():.1f} %, duration of response median {dor:.1f} months; "
        f"PD scan - nadir scan, days: median {np.median(gap):.0f} (all PDs), "
        f"{np.median(gap[tgt]):.0f} (PDs involving target growth), "
        f"{np.median(gap[~tgt]):.0f} (the others); PDs with no scan below the baseline sum: "
        f"{100.0 * float(np.mean(pd_['nadir_day'] == 0.0)):.1f} %"
    )


def diagnose(trial_id: str, n: int, seeds: list[int]) -> None:
    """Print the decomposition of one trial's control arm, pooled over ``seeds``."""
    trial = get_trial(trial_id)
    course: list[dict[str, Any]] = []
    out: dict[str, list] = {k: [] for k in variants(trial.rules)}
    per_seed = []
    for seed in seeds:
        c, o = simulate(trial_id, n, seed)
        course += c
        for k, v in o.items():
            out[k] += v
        df = pd.DataFrame(o["shipped"])
        orr = 100.0 * df["best_response"].isin(["CR", "PR"]).mean()
        pfs = median_months(df["pfs_days"].to_numpy(), df["pfs_event"].to_numpy(bool))
        per_seed.append(f"seed {seed}: ORR {orr:.1f} %, median PFS {pfs:.1f}")
    pub = trial.control.published
    print(
        f"\n== {trial.id} control arm {trial.control.name!r}: {len(course)} patients, seeds {seeds}"
    )
    print(f"published: ORR {pub.orr} %, median PFS {pub.median_pfs_months} months")
    print("shipped per seed: " + "; ".join(per_seed))
    scans = trial_scan_days(trial.rules, 400.0)
    print(
        f"{'re-reading':<20} ORR %  unconf. ORR %  median PFS (mo)  PD or death (%) by scan day "
        + " ".join(f"{s:>4.0f}" for s in scans)
    )
    for name, recs in out.items():
        df = pd.DataFrame(recs)
        orr = 100.0 * df["best_response"].isin(["CR", "PR"]).mean()
        unconf = 100.0 * (df["best_change_pct"] <= -30.0).mean()
        days = df["pfs_days"].to_numpy()
        ev = df["pfs_event"].to_numpy(bool)
        pfs = median_months(days, ev)
        cum = [100.0 * np.mean(ev & (days <= s + 1e-9)) for s in scans]
        print(
            f"{name:<20} {orr:5.1f}  {unconf:5.1f}          {pfs:8.1f}          "
            + " ".join(f"{c:4.0f}" for c in cum)
        )
    ship = pd.DataFrame(out["shipped"])
    first = ship.loc[ship["pfs_event"] & (ship["pd_by"] != ""), "pd_by"]
    involved = {
        part: round(float(100.0 * first.map(lambda by, p=part: p in by.split("+")).mean()), 1)
        for part in ("target", "nontarget", "new")
    }
    only = {k: round(100.0 * v / len(first), 1) for k, v in first.value_counts().items()}
    deaths = int((ship["pfs_event"] & (ship["pd_by"] == "")).sum())
    print(f"first PDs ({len(first)}), % involving: {involved}; as combinations: {only}")
    print(f"deaths before PD: {deaths}; censored without PD: {int((~ship['pfs_event']).sum())}")
    print(responders_and_nadir(ship))
    cdf = pd.DataFrame(course)
    for col in cdf.columns:
        q = cdf[col].quantile([0.5, 0.1, 0.9]).to_numpy()
        print(f"  {col:<24} median {q[0]:.3g} (10th-90th {q[1]:.3g}-{q[2]:.3g})")


def untreated(trial_id: str, n: int, seed: int) -> None:
    """The same selected patients untreated: how soon the new-lesion law shows a new site of
    disease (a check against untreated NSCLC on serial PET/CT, quantitative-sources
    nsclc_untreated_new_site_interval) and how soon RECIST calls PD."""
    trial = get_trial(trial_id)
    cfg = trial_config(trial, n, seed=seed)
    cfg = replace(cfg, arms=(CohortArm("untreated", text="none", language=""),))
    hazard = trial_hazard(trial)
    with tempfile.TemporaryDirectory() as tmp:
        run_cohort(cfg, tmp, reducer=KeepBaseline(trial.rules, hazard), workers=1, processes=False)
        rows = load_rows(tmp)
    rows = rows[rows["status"] == "success"]
    new = rows["new_lesion_day"].to_numpy(float)
    shares = ", ".join(f"day {d}: {100.0 * np.mean(new <= d):.1f} %" for d in (23, 43, 58, 90))
    pfs = median_months(rows["pfs_days"].to_numpy(), rows["pfs_event"].to_numpy(bool))
    print(f"\n== {trial.id} untreated, {len(rows)} patients (seed {seed})")
    print(f"new lesion visible by {shares}; median PFS untreated {pfs:.1f} months")
    n_vis = rows["baseline_json"].map(lambda b: json.loads(b)["n_lesions"]).to_numpy(float)
    for lo, hi in ((1, 1), (2, 2), (3, 4), (5, 99)):
        sel = (n_vis >= lo) & (n_vis <= hi)
        if sel.any():
            by = ", ".join(f"day {d}: {100.0 * np.mean(new[sel] <= d):.1f} %" for d in (23, 43, 58))
            print(f"  {lo}-{hi} visible lesions ({int(sel.sum())} patients): new lesion by {by}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trial", nargs="+", default=list(TRIALS))
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument(
        "--untreated", action="store_true", help="only the untreated new-lesion check (first seed)"
    )
    args = ap.parse_args()
    for trial_id in args.trial:
        if args.untreated:
            untreated(trial_id, args.n, args.seeds[0])
        else:
            diagnose(trial_id, args.n, args.seeds)


if __name__ == "__main__":
    main()
