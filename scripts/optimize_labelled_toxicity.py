"""The labelled schedules of the myelosuppressive library drugs, as optimize judges them.

For each labelled or studied human schedule of nab-paclitaxel and navitoclax at the top of its
dose range, given for the whole horizon on the ``default`` scenario's virtual patients (each
with their own clearance and marrow), prints the share of patients with a dose-limiting blood
count (therapy.toxicity.dose_limiting) and the median relative dose intensity, once with every
dose as written and once under the protocol's dose rules (therapy.dose_rules), and the mean
nadir the earlier limit read. A record for docs/trials.md; nothing is written.

    python scripts/optimize_labelled_toxicity.py [--patients 20] [--horizon 120] [--seed 0]
"""

from __future__ import annotations

import argparse
import time

from senotwin.cohort.optimize import DrugCourse, ScheduleChoice, _Cohort, schedule_choices
from senotwin.therapy.dose_rules import DoseRules
from senotwin.therapy.drugs import get_drug
from senotwin.therapy.toxicity import DLT_SHARE


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=20)
    ap.add_argument("--horizon", type=float, default=120.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    print(
        f"{args.patients} patients, {args.horizon:g} days, seed {args.seed}; too toxic at >= "
        f"{100 * DLT_SHARE:.0f} % with a dose-limiting count"
    )
    print(
        "drug | schedule (top dose) | DLT share as written / under the rules | median RDI "
        "under the rules | mean nadir as written (1e9/L) | seconds as written / ruled"
    )
    for drug_id in ("nab-paclitaxel", "navitoclax"):
        cohorts = {
            ruled: _Cohort(
                "default",
                (drug_id,),
                args.patients,
                args.seed,
                args.horizon,
                "fast",
                DoseRules() if ruled else None,
            )
            for ruled in (False, True)
        }
        for choice in schedule_choices(get_drug(drug_id), cohorts[False].body):
            course = _course(drug_id, choice, int(args.horizon))
            out, secs = {}, {}
            for ruled, cohort in cohorts.items():
                start = time.perf_counter()
                out[ruled] = cohort.outcomes([course])
                secs[ruled] = time.perf_counter() - start
            plain, ruled_out = out[False], out[True]
            nadir = plain.anc_nadir if plain.anc_nadir is not None else plain.platelet_nadir
            rdi = ruled_out.dose_intensity
            print(
                f"{drug_id} | {choice.label} | {_pct(plain.dlt_share)} / "
                f"{_pct(ruled_out.dlt_share)} | {_pct(rdi)} | {nadir:.3g} | "
                f"{secs[False]:.1f} / {secs[True]:.1f}"
            )


def _course(drug_id: str, choice: ScheduleChoice, days: int) -> DrugCourse:
    """``choice`` at the top of its range, from day 0 for ``days``."""
    level = choice.high
    course = DrugCourse(
        drug_id,
        level,
        0,
        days,
        choice.every,
        choice.on,
        choice.cycle,
        choice.label,
        choice.cap(level),
    )
    return course.within_cap()


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f} %"


if __name__ == "__main__":
    main()
