"""Which model mechanism makes a library trial's combination more than independent action?

Diagnosis only: nothing is fitted or tuned. ``senotwin trial independence`` runs the control
arm, the combination arm and the add-on alone on the same virtual patients. It compares the
combination with each patient's better single arm, the test Palmer et al. (Clin Cancer Res
2022;28:368) applied to 13 phase III ICI-combination trials. This script reruns those three arms
with one mechanism switched off in all three, as an arm-level parameter override that takes
precedence over each patient's own draw. It then prints the combination's restricted mean PFS
gain over independent action for each run:

* ``dead-cell antigen``: ``w_dead_dc`` = 0. Dead cancer cells no longer raise DC antigen
  loading and migration; this is immunogenic cell death, the classic chemotherapy-to-ICI
  priming link (assumed 5, "fold not sourced").
* ``IFN-I to DCs``: ``w_ifn_dc`` = 0. Type I interferon from deep senescence no longer raises
  DC maturation (assumed 3).
* ``CD8 kill of senescent cancer cells``: ``f_sen_rec`` = 0. CD8 T cells no longer kill
  therapy-induced senescent cancer cells, which chemotherapy makes and which count in the
  diameter.
* ``reinvigoration burst``: ``n_reinv`` = 0. A reinvigorated progenitor-exhausted CD8 T cell
  no longer divides (the liu2019 fit's burst, which trial patients carry, set to none); the
  checkpoint inhibitor keeps the released killing brake and reinvigoration itself.

Each row also gives where the add-on acts: in the patients it alone does not make respond, the
share progressing by the first scan untreated and on the add-on (``trial independence``).

``--scenario NAME`` runs everything on another scenario: a trial scenario's tissue sets only
the untreated growth (``k_grow``), so ``aged_melanoma_untreated`` asks what the trial's patients
do at melanoma's growth, with the trial's own tissue transfer of immune traits.

``--replicates R`` instead runs the model as shipped once per posterior draw (R draws spread over
the shipped liu2019 ensemble, every patient of a replicate carrying that draw, as
``trial replicates`` does). It prints each replicate's gain and how many replicates beat
independent action: whether the verdict holds across the calibrated uncertainty.

    python scripts/independence_mechanisms.py [--trial keynote189] [--n 200] [--seed 0]
        [--replicates R] [--scenario aged_melanoma_untreated]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from senotwin.analysis.endpoints import TrialEndpointReducer
from senotwin.cohort.runner import run_cohort
from senotwin.cohort.store import load_rows
from senotwin.trial.clinical import trial_hazard
from senotwin.trial.independence import (
    UNTREATED,
    Independence,
    independence,
    independence_trial,
)
from senotwin.trial.library import get_trial
from senotwin.trial.replicates import replicate_configs
from senotwin.trial.run import trial_config
from senotwin.trial.spec import TrialSpec

SWITCHES: dict[str, tuple[tuple[str, float], ...]] = {
    "model as shipped": (),
    "no dead-cell antigen (w_dead_dc 0)": (("w_dead_dc", 0.0),),
    "no IFN-I to DCs (w_ifn_dc 0)": (("w_ifn_dc", 0.0),),
    "no CD8 kill of senescent cancer cells (f_sen_rec 0)": (("f_sen_rec", 0.0),),
    "no reinvigoration burst (n_reinv 0)": (("n_reinv", 0.0),),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trial", default="keynote189")
    ap.add_argument("--arm", default="", help="combination arm (default: the second)")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--only", nargs="*", default=None, help="run only these switch names")
    ap.add_argument("--in-process", action="store_true", help="no worker processes (tests)")
    ap.add_argument("--replicates", type=int, default=0, help="one run per posterior draw")
    ap.add_argument(
        "--scenario",
        default="",
        help="run on another scenario (e.g. aged_melanoma_untreated: melanoma's growth, the "
        "trial's tissue transfer unchanged)",
    )
    args = ap.parse_args(argv)
    trial = get_trial(args.trial)
    if args.scenario:
        trial = replace(trial, scenario=args.scenario)
    arm = args.arm or trial.arms[1].name
    cut = independence_trial(trial, arm)
    reducer = TrialEndpointReducer(cut.rules, trial_hazard(cut))
    if args.replicates:
        return _replicates(cut, arm, reducer, args)
    base = trial_config(cut, args.n, seed=args.seed)
    print(
        f"{cut.id}: {arm} vs independent action of {cut.control.name} and {arm}_alone, "
        f"n {args.n}, seed {args.seed}"
    )
    print(
        "switch | median PFS control / alone / IA / combination (mo) | ORR either / combination % "
        "| RMST gain over IA (95 %) | over uncorrelated IA | add-on non-responders progressed by "
        "the first scan, untreated / alone % | s"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for k, (name, params) in enumerate(SWITCHES.items()):
            if args.only is not None and name not in args.only:
                continue
            t0 = time.perf_counter()
            arms = tuple(replace(a, params=params) for a in base.arms)
            out = Path(tmp) / f"s{k}"
            run_cohort(
                replace(base, arms=arms),
                out,
                reducer=reducer,
                workers=args.workers,
                processes=not args.in_process,
            )
            res = independence(cut, load_rows(out), arm, seed=args.seed)
            m, o = res.median_pfs_months, res.orr
            print(
                f"{name} | "
                + " / ".join(f"{v:.1f}" for v in m.values())
                + f" | {o['either']:.1f} / {o[arm]:.1f} | {res.rmst_gain_months:+.2f} "
                f"({res.rmst_gain_ci[0]:+.2f} to {res.rmst_gain_ci[1]:+.2f}) | "
                f"{res.uncorrelated_rmst_gain_months:+.2f} "
                f"({res.uncorrelated_rmst_gain_ci[0]:+.2f} to "
                f"{res.uncorrelated_rmst_gain_ci[1]:+.2f}) | {_early(res)} | "
                f"{time.perf_counter() - t0:.0f}",
                flush=True,
            )
    return 0


def _early(res: Independence) -> str:
    """'untreated / alone' % of the add-on's non-responders progressed by the first scan."""
    e = res.nonresponder_first_scan_pd
    return f"{e[UNTREATED]:.1f} / {e[res.alone]:.1f}" if e else "-"


def _replicates(
    cut: TrialSpec, arm: str, reducer: TrialEndpointReducer, args: argparse.Namespace
) -> int:
    """The model as shipped once per posterior draw: each replicate's gain over independent
    action, and how many replicates beat it."""
    config = trial_config(cut, args.n, seed=args.seed, immune="posterior")
    runs = replicate_configs(config, args.replicates)
    print(f"{cut.id}: {arm} vs independent action, {len(runs)} posterior draws, n {args.n}")
    print(
        "replicate | draw | RMST gain over IA (95 %) | over uncorrelated IA | add-on "
        "non-responders progressed by the first scan, untreated / alone % | verdict"
    )
    beats = beats0 = 0
    with tempfile.TemporaryDirectory() as tmp:
        for r, (draw, one) in enumerate(runs):
            out = Path(tmp) / f"r{r:02d}"
            run_cohort(
                one, out, reducer=reducer, workers=args.workers, processes=not args.in_process
            )
            res = independence(cut, load_rows(out), arm, seed=args.seed)
            beats += res.verdict == "more than independent"
            beats0 += res.uncorrelated_rmst_gain_ci[0] > 0.0
            print(
                f"{r} | {draw} | {res.rmst_gain_months:+.2f} ({res.rmst_gain_ci[0]:+.2f} to "
                f"{res.rmst_gain_ci[1]:+.2f}) | {res.uncorrelated_rmst_gain_months:+.2f} "
                f"({res.uncorrelated_rmst_gain_ci[0]:+.2f} to "
                f"{res.uncorrelated_rmst_gain_ci[1]:+.2f}) | {_early(res)} | {res.verdict}",
                flush=True,
            )
    print(
        f"more than independent action in {beats} of {len(runs)} replicates; more than "
        f"uncorrelated independent action in {beats0} of {len(runs)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
