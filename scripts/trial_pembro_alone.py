"""The lead's session-7 diagnostic: pembrolizumab ALONE on KEYNOTE-189's virtual patients.

Builds KEYNOTE-189 from the library file with its experimental arm replaced by pembrolizumab
200 mg q3w without chemotherapy (a diagnostic arm: nothing published to compare with; the
library itself is unchanged), runs the same selected patients (seed 0) and prints ORR with the
RECIST counts, the PFS HR against the chemotherapy arm, ORR by the trial's PD-L1 stratum (TPS
< 1 / 1-49 / >= 50 %, the model's mapping) beside KEYNOTE-001's published 45.2 % at TPS >= 50 %
and 19.4 % overall (Garon 2015; another trial, kept aside: evaluation only), and the medians of
patient traits in responders vs progressors (with the immune-invisible share at entry).

    python scripts/trial_pembro_alone.py [--n 200] [--workers 1]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from senotwin._yaml import read_yaml
from senotwin.analysis.survival import arm_summary
from senotwin.cohort.store import load_rows
from senotwin.trial.run import run_trial
from senotwin.trial.spec import parse_trial

LIBRARY = Path(__file__).resolve().parents[1] / "src" / "senotwin" / "trial" / "data"
ARM = {
    "name": "pembro_alone",
    "label": "pembrolizumab alone (diagnostic arm)",
    "regimen": "pembrolizumab 200 mg iv q21d d0-d714",
    "published": {"source": "diagnostic arm: no published result"},
}
#: the model's PD-L1 strata (cohort.population.BaselineDisease thresholds)
STRATA = ("TPS < 1 %", "TPS 1-49 %", "TPS >= 50 %")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    data = dict(read_yaml(LIBRARY / "keynote189.yaml", what="trial file"))
    data["arms"] = [data["arms"][0], ARM]
    data.pop("subgroups", None)
    trial = parse_trial(data, source="keynote189 + pembrolizumab alone")
    with tempfile.TemporaryDirectory() as tmp:
        run_trial(trial, args.n, Path(tmp) / "c", seed=0, workers=args.workers, processes=False)
        rows = load_rows(Path(tmp) / "c")
    summary = arm_summary(rows, reference="chemo").set_index("arm")
    rows = rows[rows["status"] == "success"]
    alone = rows[rows["arm"] == "pembro_alone"]
    counts = alone["best_response"].value_counts().to_dict()
    s = summary.loc["pembro_alone"]
    print(f"pembrolizumab alone: n {len(alone)}, ORR {100 * s['ORR']:.1f} %, {counts}")
    print(
        f"PFS HR vs chemotherapy {s['hr_pfs']:.2f} ({s['hr_pfs_low']:.2f}-{s['hr_pfs_high']:.2f}); "
        f"median PFS {s['median_pfs'] / 30.4375:.1f} vs "
        f"{summary.loc['chemo', 'median_pfs'] / 30.4375:.1f} months"
    )
    resp = alone["best_response"].isin(("CR", "PR"))
    if "b_pdl1_stratum" in alone:
        by = resp.groupby(alone["b_pdl1_stratum"]).agg(["mean", "size"])
        text = ", ".join(
            f"{STRATA[int(k)]} {100 * r['mean']:.1f} % (n {int(r['size'])})"
            for k, r in by.iterrows()
        )
        print(f"ORR by PD-L1 stratum: {text}; KEYNOTE-001: >= 50 % 45.2 %, all 19.4 %")
    prog = alone["best_response"] == "PD"
    print("| trait | responders | progressors |\n|---|---|---|")
    cols = ["untreated_doubling_days", "p_N_ag", "p_PDL1_per_C", "b_cd8_infiltration"]
    cols += ["b_sld_mm", "b_invisible"]
    for c in cols:
        if c in alone:
            a, b = np.nanmedian(alone.loc[resp, c]), np.nanmedian(alone.loc[prog, c])
            print(f"| {c} | {a:.3g} | {b:.3g} |")


if __name__ == "__main__":
    main()
