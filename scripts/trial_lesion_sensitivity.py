"""Sensitivity of a library trial's endpoints to the lesion-level growth spread (issue 13).

Runs every arm of ``--trial`` once (``--n`` selected patients, seed 0, keeping the lesion
diameter), then re-applies RECIST 1.1 to the same courses with the within-patient spread of
lesion growth rates (``TrialRules.lesion_growth_spread``) at several values, and with the old
law (no spread, no non-target progression). Prints per spread and arm: ORR, median PFS
(months), the PFS HR against the control arm and what the progressions involved (target growth,
non-target growth, new lesions; one PD can involve several). The value in use,
``LESION_GROWTH_SPREAD``, is calibrated on what RECIST progressions involve
(``scripts/lesion_spread_fit.py``, which reuses this script's simulation and re-read; 1.07, the
untreated pulmonary-metastasis value, until session 37): this shows how much the trials' PFS
depends on it (docs/trials.md).

    python scripts/trial_lesion_sensitivity.py [--trial keynote189] [--n 100]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import replace

import pandas as pd
from trial_chemo_diagnosis import KeepBaseline  # the same row-with-baseline reducer

from senotwin.analysis.endpoints import (
    LESION_GROWTH_SPREAD,
    DeathHazard,
    TrialRules,
    live_cancer_cells,
    trial_endpoints,
)
from senotwin.analysis.survival import arm_summary
from senotwin.cohort.runner import run_cohort
from senotwin.cohort.store import load_rows, load_timecourses
from senotwin.trial.clinical import trial_hazard
from senotwin.trial.library import get_trial
from senotwin.trial.run import trial_config
from senotwin.trial.spec import DAYS_PER_MONTH, TrialSpec

SPREADS = tuple(sorted({0.0, 0.25, LESION_GROWTH_SPREAD, 1.07, 1.38}))


def simulate_courses(
    trial: TrialSpec, n: int, seed: int, keep: tuple[str, ...] = ("diameter", "C", "Ci")
) -> tuple[pd.DataFrame, dict[tuple[str, int], pd.DataFrame]]:
    """Every arm of ``trial`` run once (``n`` selected patients): the successful rows (with the
    baseline record) and each patient-arm's course (``keep``: diameter and live cancer cells, and
    whatever else a caller reads)."""
    cfg = replace(trial_config(trial, n, seed=seed), keep_timecourses=keep)
    reducer = KeepBaseline(trial.rules, trial_hazard(trial))
    with tempfile.TemporaryDirectory() as tmp:
        run_cohort(cfg, tmp, reducer=reducer, workers=1, processes=False)
        rows = load_rows(tmp)
        tc = load_timecourses(tmp)
    rows = rows[rows["status"] == "success"]
    return rows, {key: g for key, g in tc.groupby(["arm", "patient"])}


def reread(
    trial: TrialSpec,
    rows: pd.DataFrame,
    courses: dict[tuple[str, int], pd.DataFrame],
    rules: TrialRules,
    hazard: DeathHazard | None = None,
) -> pd.DataFrame:
    """RECIST 1.1 applied again to the same courses with ``rules``: one endpoint row per
    patient-arm (``hazard``: another death hazard; default the trial's)."""
    hazard = trial_hazard(trial) if hazard is None else hazard
    recs = []
    for _, r in rows.iterrows():
        g = courses[(r["arm"], r["patient"])]
        base = json.loads(r["baseline_json"])
        t, d = g["time"].to_numpy(), g["diameter"].to_numpy()
        ep = trial_endpoints(t, d, base, rules, hazard, live_cancer_cells(g))
        recs.append({"arm": r["arm"], "status": "success", **ep})
    return pd.DataFrame(recs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trial", default="keynote189")
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    trial = get_trial(args.trial)
    rows, courses = simulate_courses(trial, args.n, args.seed)
    old = replace(trial.rules, lesion_growth_spread=0.0, nontarget_progression=False)
    variants = [("old law (no spread, no non-target PD)", old)]
    variants += [(f"spread {s:g}", replace(trial.rules, lesion_growth_spread=s)) for s in SPREADS]
    out = []
    for label, rules in variants:
        table = reread(trial, rows, courses, rules)
        summary = arm_summary(table, reference=trial.control.name).set_index("arm")
        for arm, sub in table.groupby("arm", sort=False):
            parts = sub.loc[sub["pd_by"] != "", "pd_by"].str.split("+")
            n_pd = max(len(parts), 1)
            s = summary.loc[arm]
            out.append(
                {
                    "rules": label,
                    "arm": arm,
                    "ORR %": round(100 * s["ORR"], 1),
                    "median PFS (months)": round(s["median_pfs"] / DAYS_PER_MONTH, 1),
                    "HR PFS": round(s["hr_pfs"], 2),
                    "PDs": len(parts),
                    **{
                        f"{why} %": round(100 * parts.apply(lambda x, w=why: w in x).sum() / n_pd)
                        for why in ("target", "nontarget", "new")
                    },
                }
            )
    print(f"{trial.id}: {args.n} patients, seed {args.seed}")
    print(pd.DataFrame(out).to_string(index=False))


if __name__ == "__main__":
    main()
