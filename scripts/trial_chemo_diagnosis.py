"""Per-patient diagnosis of a library trial's chemotherapy control arm (issue 13).

Runs ``--n`` selected virtual patients of a trial's control arm, keeping the lesion's cell
pools, and prints per patient and as medians: best response, the day the recorded sum of
target diameters reaches its nadir, the day live cancer cells reach theirs (when regrowth
really starts), the lesion's senescent and dead share at the diameter nadir, what ends the
response (target growth or a new lesion), and the PFS the same patient would have if the lesion
diameter counted live cancer cells only (senescent and dead cells gone at once) — the size of
the masking that senescent and dead cells do; "live" counts visible and HLA-loss escaped cancer
cells alike (before session 13 the escaped ones were left out) — and whether they are eradicated
(below one cell), when, the largest escaped share, and the effector CD8 per cancer cell at day
56 (the kill's effector:target ratio). ``--param ID=VALUE`` (repeatable) overrides a model
parameter in the diagnosed arm: a what-if, never a fit (docs/trials.md quotes the clearance
what-ifs of session 8 and the summary).

    python scripts/trial_chemo_diagnosis.py [--trial keynote189] [--n 50] [--param K_sen_sat=1e8]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from senotwin.analysis.endpoints import TrialEndpointReducer, trial_endpoints
from senotwin.cohort.runner import CohortArm, run_cohort
from senotwin.cohort.store import load_rows, load_timecourses
from senotwin.trial.clinical import trial_hazard
from senotwin.trial.library import get_trial
from senotwin.trial.run import trial_config

KEEP = ("C", "Ci", "T8", "T8r", "Se", "Sl", "Sd", "D", "diameter")
CHEMO_KEEP = ("chemo_sensitivity",)  # exists only where the regimen has a resistant chemotherapy


@dataclass(frozen=True)
class KeepBaseline(TrialEndpointReducer):
    """The trial reducer that also stores the patient's baseline record (JSON) in its row."""

    def __call__(self, result: Any, baseline: dict[str, Any] | None = None) -> dict[str, Any]:
        rec = super().__call__(result, baseline)
        return {**rec, "baseline_json": json.dumps(baseline)}

    def empty(self) -> dict[str, Any]:
        return {**super().empty(), "baseline_json": "{}"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trial", default="keynote189")
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--arm", default=None, help="arm to diagnose (default: the control arm)")
    ap.add_argument(
        "--regimen", default=None, help="run this regimen instead of the arm's (regimen language)"
    )
    ap.add_argument("--per-patient", action="store_true", help="print the per-patient table")
    ap.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="ID=VALUE",
        help="override a model parameter in the diagnosed arm (repeatable; a what-if, not a fit)",
    )
    args = ap.parse_args()
    trial = get_trial(args.trial)
    cfg = trial_config(trial, args.n, seed=args.seed)
    control = args.arm or trial.control.name
    arms = tuple(a for a in cfg.arms if a.name == control)
    if args.regimen:
        arms = (CohortArm(control, text=args.regimen, language=args.regimen),)
    overrides = tuple((k, float(v)) for k, v in (item.split("=", 1) for item in args.param))
    if overrides:
        arms = tuple(replace(a, params=(*a.params, *overrides)) for a in arms)
    no_chemo = args.regimen is not None and "mg/m2" not in args.regimen  # antibodies are flat
    cfg = replace(cfg, arms=arms, keep_timecourses=KEEP if no_chemo else KEEP + CHEMO_KEEP)
    hazard = trial_hazard(trial)
    with tempfile.TemporaryDirectory() as tmp:
        run_cohort(cfg, tmp, reducer=KeepBaseline(trial.rules, hazard), workers=1, processes=False)
        rows = load_rows(tmp)
        tc = load_timecourses(tmp)
    rows = rows[rows["status"] == "success"].set_index("patient")
    out = []
    for pid, g in tc.groupby("patient"):
        if pid not in rows.index:
            continue
        r = rows.loc[pid]
        t = g["time"].to_numpy()
        d = g["diameter"].to_numpy()
        escaped = g["Ci"].to_numpy()
        cancer = g["C"].to_numpy() + escaped  # live cancer cells, visible and HLA-loss
        killers = (g["T8"] + g["T8r"]).to_numpy()
        gone = np.flatnonzero(cancer < 1.0)
        sen = (g["Se"] + g["Sl"] + g["Sd"]).to_numpy()
        dead = g["D"].to_numpy()
        total = cancer + sen + dead
        k_d = int(np.argmin(d))
        k_c = int(np.argmin(cancer))
        base = json.loads(r["baseline_json"])
        # the same patient with a lesion of live cancer cells only (diameter ~ volume^(1/3))
        d_live = d * np.cbrt(np.maximum(cancer, 1e-9) / np.maximum(total, 1e-9))
        cf = trial_endpoints(t, np.maximum(d_live, 1e-6), base, trial.rules, hazard)
        out.append(
            {
                "patient": pid,
                "vdt_days": r["untreated_doubling_days"],
                "best": r["best_response"],
                "best_pct": r["best_change_pct"],
                "pfs_days": r["pfs_days"],
                "pd_by_new_lesion": bool(
                    r["pfs_event"]
                    and np.isfinite(r["new_lesion_day"])
                    and r["new_lesion_day"] <= r["pfs_days"]
                ),
                "ratio_week8": float(np.interp(56.0, t, d)) / d[0],
                "diam_nadir_day": t[k_d],
                "live_nadir_day": t[k_c],
                "live_nadir_ratio": cancer[k_c] / cancer[0],
                "sen_share_at_nadir": sen[k_d] / total[k_d],
                "dead_share_at_nadir": dead[k_d] / total[k_d],
                "sensitivity_day120": (
                    float(np.interp(120.0, t, g["chemo_sensitivity"])) if not no_chemo else np.nan
                ),
                "pfs_live_only_days": cf["pfs_days"],
                "eradicated": gone.size > 0,
                "live_ratio_day63": float(np.interp(63.0, t, cancer)) / cancer[0],
                "eradication_day": t[gone[0]] if gone.size else np.nan,
                "escaped_share_max": float(np.max(escaped / np.maximum(cancer, 1e-9))),
                "effector_per_cancer_day56": float(
                    np.interp(56.0, t, killers) / max(np.interp(56.0, t, cancer), 1e-9)
                ),
                "best_live_only": cf["best_response"],
            }
        )
    df = pd.DataFrame(out)
    pd.set_option("display.width", 200)
    if args.per_patient:
        print(df.round(3).to_string(index=False))
    n = len(df)
    print(f"{trial.id} control arm {control!r}: {n} patients (seed {args.seed})")
    if overrides:
        print("parameter overrides:", dict(overrides))
    print("best response:", df["best"].value_counts().to_dict())
    for col in (
        "vdt_days",
        "best_pct",
        "ratio_week8",
        "pfs_days",
        "live_nadir_day",
        "diam_nadir_day",
        "live_nadir_ratio",
        "sen_share_at_nadir",
        "dead_share_at_nadir",
        "sensitivity_day120",
        "pfs_live_only_days",
        "eradication_day",
        "escaped_share_max",
        "effector_per_cancer_day56",
    ):
        q = df[col].quantile([0.5, 0.1, 0.9]).to_numpy()
        print(f"  {col:<22} median {q[0]:.3g} (10th-90th {q[1]:.3g}-{q[2]:.3g})")
    lag = df["diam_nadir_day"] - df["live_nadir_day"]
    print(f"  diameter nadir after live-cell nadir by median {lag.median():.0f} days")
    print(f"  PD by a new lesion: {df['pd_by_new_lesion'].mean():.0%} of patients")
    print("best response, live cells only:", df["best_live_only"].value_counts().to_dict())
    print(f"  cancer cells (visible + HLA-loss) below one cell: {df['eradicated'].mean():.0%}")
    day63 = df["live_ratio_day63"]
    gone63 = (df["eradication_day"] <= 63).mean()
    print(
        f"  at day 63 (three 21-day cycles): below one cell {gone63:.0%}; below 1e-4 / 1e-2 / 0.1 "
        f"of baseline {(day63 < 1e-4).mean():.0%} / {(day63 < 0.01).mean():.0%} / "
        f"{(day63 < 0.1).mean():.0%}"
    )


if __name__ == "__main__":
    main()
