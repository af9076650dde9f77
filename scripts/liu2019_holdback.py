"""Where anti-PD-1 acts in the tissue it was calibrated on: the liu2019 fit's virtual melanoma
patients on the fit's regimen against no treatment.

Diagnosis only: nothing is fitted. ``senotwin trial independence`` reports, for a library
trial's checkpoint add-on, how many of the patients it does not make respond it still holds back
(their PFS and progression by the first scan, untreated and on the add-on). This prints the same
for the stored liu2019 fit's virtual cohorts (its values and size; seeds ``--seeds``) on the
cohort's own assessment calendar, so the hold-back in the calibrated tissue can be set beside the
transferred tissues'. The Liu cohort itself has no untreated arm; its RECIST split (SD among
non-responders, a fitted term) is the data-side check.

    python scripts/liu2019_holdback.py [--seeds 0 1]
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

import pandas as pd

from senotwin.trial.ici_cohort import VirtualCohort
from senotwin.trial.ici_fit import RULES, IciObjective, shared, split, stored_fit, stored_values
from senotwin.trial.independence import UNTREATED, where_it_acts

TREATED = "anti-PD-1"


def holdback(seed: int, n: int | None = None) -> dict[str, Any]:
    """Where-it-acts statistics of one virtual cohort of the stored fit (plausible patients in
    both runs), with the cohort's ORR."""
    record = stored_fit()
    values = stored_values()
    centres, spreads = split(values)
    treated = IciObjective(n=n or int(record["virtual_patients"]), seed=seed).cohort
    untreated = VirtualCohort(replace(treated.design, regimen="none"))
    runs = {
        TREATED: treated.simulate(centres, spreads, shared(values)),
        UNTREATED: untreated.simulate(centres, spreads, shared(values)),
    }
    both = runs[TREATED]["plausible"] & runs[UNTREATED]["plausible"]
    rows = pd.concat([r[both].assign(arm=arm) for arm, r in runs.items()], ignore_index=True)
    stats = where_it_acts(RULES, rows, TREATED)
    resp = runs[TREATED][both]["best_response"].isin(["CR", "PR"])
    return {"n": int(both.sum()), "orr": 100 * float(resp.mean()), **stats}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--n", type=int, default=None, help="virtual patients (default: the fit's)")
    args = ap.parse_args(argv)
    for seed in args.seeds:
        h = holdback(seed, args.n)
        m, e = h["nonresponder_median_pfs_months"], h["nonresponder_first_scan_pd"]
        print(
            f"seed {seed}: {h['n']} patients, ORR {h['orr']:.1f} %; in the "
            f"{h['alone_nonresponders']} it does not make respond, median PFS {m[UNTREATED]:.1f} "
            f"months untreated and {m[TREATED]:.1f} on anti-PD-1; progressed by the first scan "
            f"(day {h['first_scan_day']:g}) {e[UNTREATED]:.1f} % untreated and {e[TREATED]:.1f} %"
            " on anti-PD-1"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
