"""A senolytic before vs after anti-PD-1 on the shipped posterior ensemble (issue 13 item 6).

Aged lung, 400 days, every arm after four cycles of carboplatin + pemetrexed (the senescence
inducer; KEYNOTE-189's doses): navitoclax 325 mg po daily for 14 days (its phase-1 schedule)
either before pembrolizumab 200 mg q3w (d84-d357) or after it, and no senolytic. Every arm runs
once per ensemble member (the typical patient of each posterior draw, `treat compare
--ensemble`); for each pair of arms and several metrics it prints the share of members in which
one beats the other and whether the claim is supported (>= 80 %).

    python scripts/ensemble_sequencing.py --every 5 [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from senotwin.analysis.ensemble_compare import compare_arms_ensemble
from senotwin.calibrate.sample import shipped_ensemble
from senotwin.sim import SolverOptions
from senotwin.trial.run import posterior_staleness

CHEMO = "carboplatin 400 mg/m2 iv d0 x4 cycles of 21d; pemetrexed 500 mg/m2 iv q21d d0-d63"
ARMS = {
    "before": f"{CHEMO}; navitoclax 325 mg po qd d70-d83; pembrolizumab 200 mg iv q21d d84-d357",
    "after": f"{CHEMO}; pembrolizumab 200 mg iv q21d d84-d357; navitoclax 325 mg po qd d360-d373",
    "no_senolytic": f"{CHEMO}; pembrolizumab 200 mg iv q21d d84-d357",
}
METRICS = ("final_tumour", "tumour_auc", "min_tumour", "sasp_auc", "effector_suppressor_mean")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default="aged_lung_untreated")
    ap.add_argument("--days", type=float, default=400.0)
    ap.add_argument("--every", type=int, default=5, help="use every k-th ensemble row")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    ens = shipped_ensemble()
    if stale := posterior_staleness():
        print(f"note: {stale}")
    sets = ens.table.iloc[:: args.every].reset_index(drop=True)
    t0 = time.perf_counter()
    comp = compare_arms_ensemble(
        args.scenario, ARMS, sets, days=args.days, solver=SolverOptions(engine="fast")
    )
    seconds = time.perf_counter() - t0
    print(f"{comp.members} members ({len(comp.failed)} failed), {seconds:.0f} s")
    print("ignored columns:", ", ".join(comp.ignored))
    for note in comp.notes:
        print("note:", note)
    summary = comp.summary()
    print(summary[summary["metric"].isin(METRICS)].to_string(index=False))
    claims = {m: [c.to_dict() for c in comp.claims(m)] for m in METRICS}
    for m in METRICS:
        for c in comp.claims(m):
            print(c.sentence())
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {"comparison": comp.to_dict(), "claims": claims, "seconds": seconds}, indent=1
            )
        )


if __name__ == "__main__":
    main()
