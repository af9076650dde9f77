"""How much does a trial's add-on alone delay progression in the patients it does not shrink?

Diagnosis only: nothing is fitted or tuned. ``senotwin trial independence`` found the model's
chemotherapy-checkpoint combinations more than independent action of their parts on the same
patients, where Palmer et al. (Clin Cancer Res 2022;28:368) found the trials independent. One
route to that excess is a checkpoint inhibitor that acts a little in every patient: it then
adds to chemotherapy in each one, instead of helping a subset fully. This script runs the add-on
alone and no treatment on the same virtual patients (``--n`` selected, ``--seed``) and prints,
for the patients the add-on alone does not make respond (best response SD or PD): their median
PFS alone and untreated, the share progressing at the first scan in each arm, their median best
change of the target sum, and the median months of PFS the add-on alone adds per patient.
``--alone-set NAME=VALUE`` (a what-if, never a fit) overrides a parameter in the add-on arm only,
e.g. ``n_reinv=0`` to see how much of the effect is the reinvigoration burst.

    python scripts/add_on_alone_vs_untreated.py [--trial keynote189] [--n 200] [--seed 0]
        [--alone-set n_reinv=0]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from senotwin.analysis.endpoints import TrialEndpointReducer, trial_scan_days
from senotwin.cohort.runner import load_rows, run_cohort
from senotwin.trial.clinical import trial_hazard
from senotwin.trial.independence import add_on_regimen
from senotwin.trial.library import get_trial
from senotwin.trial.run import trial_config
from senotwin.trial.spec import DAYS_PER_MONTH, Published, TrialArm

ARMS = ("alone", "untreated")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trial", default="keynote189")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--alone-set", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--in-process", action="store_true", help="no worker processes (tests)")
    args = ap.parse_args(argv)
    what_if = []
    for pair in args.alone_set:
        name, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--alone-set {pair!r}: expected NAME=VALUE")
        what_if.append((name, float(value)))
    trial = get_trial(args.trial)
    combo = trial.arms[1]

    def arm(name: str, regimen: str) -> TrialArm:
        return TrialArm(name, name, "not a trial arm", regimen, "", Published())

    cut = replace(
        trial,
        arms=(arm("untreated", "none"), arm("alone", add_on_regimen(trial, combo.name))),
        subgroups=(),
    )
    config = trial_config(cut, args.n, seed=args.seed)
    if what_if:  # the add-on arm only; an arm override beats each patient's own draw
        untreated, alone_arm = config.arms
        config = replace(config, arms=(untreated, replace(alone_arm, params=tuple(what_if))))
    reducer = TrialEndpointReducer(cut.rules, trial_hazard(cut))
    with tempfile.TemporaryDirectory() as tmp:
        run_cohort(
            config,
            Path(tmp) / "o",
            reducer=reducer,
            workers=args.workers,
            processes=not args.in_process,
        )
        rows = load_rows(Path(tmp) / "o")
    first_scan = float(trial_scan_days(cut.rules, cut.rules.follow_days)[0])
    alone, none = (rows[rows["arm"] == a].set_index("patient").sort_index() for a in ARMS)
    responders = alone["best_response"].isin(["CR", "PR"])
    non = ~responders
    months = DAYS_PER_MONTH
    print(
        f"{trial.id}: the add-on of {combo.name} alone vs untreated, n {len(alone)}"
        + (f"; what-if in the add-on arm: {dict(what_if)}" if what_if else "")
    )
    print(f"  responders alone: {100 * responders.mean():.1f} %; non-responders: {non.sum()}")
    for label, frame in (("untreated", none), ("alone", alone)):
        sub = frame[non]
        at_first = (sub["pfs_event"] & (sub["pfs_days"] <= first_scan + 1.0)).mean()
        print(
            f"  {label:9s} non-responders: median PFS {sub['pfs_days'].median() / months:.1f} mo, "
            f"progressed at the first scan (day {first_scan:g}) {100 * at_first:.1f} %, "
            f"median best change {sub['best_change_pct'].median():+.1f} %"
        )
    gain = (alone.loc[non, "pfs_days"] - none.loc[non, "pfs_days"]) / months
    print(
        f"  PFS added by the add-on alone in its non-responders: median {np.median(gain):.2f} mo, "
        f"share with >= 1 month {100 * (gain >= 1.0).mean():.1f} %"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
