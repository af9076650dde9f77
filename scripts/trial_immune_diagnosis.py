"""Per-patient diagnosis of a library trial's checkpoint arm (issues 11 and 13).

Runs ``--n`` selected virtual patients of a trial (default KEYNOTE-189) in its control and
experimental arm, keeping the immune time courses, and prints per arm at a few days: effector
and exhausted CD8 in the lesion, H_PD1, kill per effector per day, live cancer cells; then
which patient traits separate patients who are controlled by the experimental arm (no
progression by month 12) but not by the control arm from the rest. The table in
docs/qsp-model.md ("Why the trial HRs are so strong") comes from here.

    python scripts/trial_immune_diagnosis.py [--trial keynote189] [--n 50]
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import replace

import numpy as np
import pandas as pd

from senotwin.analysis.endpoints import TrialEndpointReducer
from senotwin.cohort.runner import run_cohort
from senotwin.cohort.store import load_rows, load_timecourses
from senotwin.trial.clinical import LIU2019_HAZARD
from senotwin.trial.library import get_trial
from senotwin.trial.run import trial_config

KEEP = (
    "C",
    "Ci",
    "Se",
    "Sl",
    "Sd",
    "T8",
    "T8r",
    "T8x",
    "T8t",
    "H_PD1",
    "pd1_function",
    "mdsc_supp",
    "tgfb_supp",
    "treg_supp",
)
DAYS = (0, 21, 84, 180, 365)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trial", default="keynote189")
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    trial = get_trial(args.trial)
    cfg = replace(trial_config(trial, args.n, seed=args.seed), keep_timecourses=KEEP)
    with tempfile.TemporaryDirectory() as tmp:
        run_cohort(
            cfg,
            tmp,
            reducer=TrialEndpointReducer(trial.rules, LIU2019_HAZARD),
            workers=1,
            processes=False,
        )
        rows = load_rows(tmp)
        tc = load_timecourses(tmp)
    rows = rows[rows["status"] == "success"]
    control, exp = trial.control.name, trial.arms[-1].name
    tc = tc.merge(rows[["patient", "arm", "p_k_kill"]], on=["patient", "arm"])
    # effectors: primed (T8) + burst progeny (T8r); exhausted: progenitor-containing + terminal
    tc["eff"] = tc["T8"] + tc["T8r"]
    tc["exh"] = tc["T8x"] + tc["T8t"]
    targets = tc["C"] + tc["Ci"] + tc["Se"] + tc["Sl"] + tc["Sd"] + tc["eff"]
    supp = tc["mdsc_supp"] * tc["tgfb_supp"] * tc["treg_supp"]
    tc["kill_per_T8"] = tc["p_k_kill"] * tc["pd1_function"] * supp * tc["C"] / targets
    tc["kill_per_C"] = tc["kill_per_T8"] * tc["eff"] / tc["C"].clip(lower=1.0)
    tc["E_T"] = tc["eff"] / tc["C"].clip(lower=1.0)
    print(f"{trial.id}: {rows['patient'].nunique()} patients; medians (10th-90th percentile)")
    print(
        "| arm | day | effector CD8 (incl. burst progeny) | exhausted CD8 (incl. terminal) "
        "| H_PD1 | kill per effector /day "
        "| live cancer cells C | effector : C | CD8 kill per cancer cell /day |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for arm in (control, exp):
        for day in DAYS:
            sub = tc[(tc["arm"] == arm) & (np.isclose(tc["time"], day))]
            cells = []
            for col, fmt in (
                ("eff", ".2e"),
                ("exh", ".2e"),
                ("H_PD1", ".3f"),
                ("kill_per_T8", ".3f"),
                ("C", ".2e"),
                ("E_T", ".3f"),
                ("kill_per_C", ".4f"),
            ):
                q = sub[col].quantile([0.5, 0.1, 0.9]).to_numpy()
                cells.append(f"{q[0]:{fmt}} ({q[1]:{fmt}}-{q[2]:{fmt}})")
            print(f"| {arm} | {day} | " + " | ".join(cells) + " |")
    last = tc[np.isclose(tc["time"], tc["time"].max())]
    for arm in (control, exp):
        gone = (last[last["arm"] == arm]["C"] < 1.0).mean()
        print(f"{arm}: live cancer cells < 1 at day {tc['time'].max():g} in {gone:.0%} of patients")
    wide = rows.pivot(index="patient", columns="arm", values="pfs_days")
    year = 365.0
    gain = (wide[exp] >= year) & (wide[control] < year)
    both = (wide[exp] >= year) & (wide[control] >= year)
    neither = wide[exp] < year
    print(
        f"\nPFS >= 12 months: {exp} only {int(gain.sum())}, both arms {int(both.sum())}, "
        f"neither ({exp} progresses) {int(neither.sum())}"
    )
    traits = [c for c in rows.columns if c.startswith("p_")]
    first = rows[rows["arm"] == exp].set_index("patient")
    d0 = tc[(tc["arm"] == exp) & np.isclose(tc["time"], 0)].set_index("patient")
    first = first.join(d0[["H_PD1"]].rename(columns={"H_PD1": "H_PD1_day0"}))
    print("| trait | gain only (median) | progresses on both (median) | Mann-Whitney p |")
    print("|---|---|---|---|")
    from scipy import stats

    for col in [*traits, "H_PD1_day0", "b_sld_mm"]:
        if col not in first.columns:
            continue
        a, b = first.loc[gain[gain].index, col], first.loc[neither[neither].index, col]
        if len(a) < 2 or len(b) < 2:
            continue
        p = stats.mannwhitneyu(a, b).pvalue
        print(f"| {col} | {a.median():.3g} | {b.median():.3g} | {p:.2g} |")
    out = pd.DataFrame({"gain": gain, "both": both, "neither": neither})
    print("\n" + out.sum().to_string())


if __name__ == "__main__":
    main()
