"""The nab-paclitaxel neutropenia chain against published worst-count shares at two regimens.

``--regimen label`` (default): the Abraxane label's randomised metastatic breast cancer study,
260 mg/m2 every 3 weeks (229 patients), worst neutrophil count below 2.0e9/L in 80 % and below
0.5e9/L (grade 4) in 9 % (quantitative-sources abraxane_mbc_neutropenia_label).
``--regimen weekly125``: 125 mg/m2 on days 1, 8 and 15 of 28-day cycles over 30 minutes, the
historical advanced-NSCLC cohort of Paik et al. (Cancer Chemother Pharmacol 2011;68:1331,
abstract: 40 patients), grade >= 2 neutropenia (below 1.5e9/L) in 48 % (quantitative-sources
nab_paclitaxel_weekly125_nsclc_neutropenia).

It gives the regimen (``--cycles``: the studies' numbers of cycles were not read) to virtual
patients of the ``default`` (NSCLC) scenario, each with their own clearance and marrow (Chen
2014's spread; ages not drawn, so no age-65 factor), and prints the shares of patients whose
worst count falls below each bound: the model's noise-free count, and the laboratory value (the
model's count times the source model's residual error, as trials read it) at weekly draws and at
the dose-day draws only. An evaluation: nothing is fitted or written.

    python scripts/nab_paclitaxel_label_neutropenia.py [--regimen label|weekly125]
        [--patients 1000] [--cycles 6] [--seed 0]
"""

from __future__ import annotations

import argparse

import numpy as np

from senotwin.analysis.survival import wilson
from senotwin.cohort.optimize import DrugCourse, _Cohort
from senotwin.therapy.dose_rules import patient_lab
from senotwin.therapy.language import apply_regimen, parse_regimen
from senotwin.therapy.toxicity import CHAINS, count_1e9_per_l

#: per regimen: (dose level of the 260 mg/m2 reference, dosing interval, doses a cycle, cycle
#: days, the library schedule it follows) and the published shares {bound: (10^9/L, %)}
REGIMENS = {
    "label": (
        (1.0, 21, None, 21, "260 mg/m2 q21d"),
        {"< 2.0e9/L (any grade)": (2.0, 80.0), "< 0.5e9/L (grade 4)": (0.5, 9.0)},
    ),
    "weekly125": (
        (125.0 / 260.0, 7, 21, 28, "125 mg/m2 d1,8,15 q28d"),
        {"< 1.5e9/L (grade >= 2)": (1.5, 48.0)},
    ),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--regimen", choices=sorted(REGIMENS), default="label")
    ap.add_argument("--patients", type=int, default=1000)
    ap.add_argument("--cycles", type=int, default=6)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    (level, every, on, cycle, schedule), published = REGIMENS[args.regimen]
    days = cycle * args.cycles
    cohort = _Cohort("default", ("nab-paclitaxel",), args.patients, args.seed, days, "fast")
    course = DrugCourse(
        "nab-paclitaxel", level, 0, days - 1, every, on=on, cycle=cycle, schedule=schedule
    )
    plan = apply_regimen(
        cohort.setup.spec,
        parse_regimen(course.to_text(cohort.body), body=cohort.body),
        extra_drugs=cohort.drugs,
    )
    dose_days = [d for d in range(days) if d % cycle < (on or every) and d % every == 0]
    anc = CHAINS[0]
    model, weekly, dosed = [], [], []
    for pt in cohort.patients:
        res, _ = cohort._run(plan, pt)
        if not res.ok:
            continue
        t = res.table["time"].to_numpy()
        counts = count_1e9_per_l(res.table[anc.observable].to_numpy())
        model.append(float(counts.min()))
        read = patient_lab(args.seed, pt.index)
        lab = {d: float(np.interp(d, t, counts)) * read(anc, d) for d in range(1, days + 1)}
        weekly.append(min(lab[d] for d in range(7, days + 1, 7)))  # after the enrolment count
        dosed.append(min(lab[d] for d in dose_days[1:]))  # day 0 is the enrolment count
    n = len(model)
    print(f"{n} patients, {schedule} x {args.cycles} cycles ({days} d), seed {args.seed}")
    print(f"{plan.schedule.name}")
    print(
        "bound | model count, worst (95% CI) | laboratory value, worst at weekly draws | "
        "laboratory value, worst at the dose-day draws | published"
    )
    for name, (bound, pub) in published.items():
        cells = []
        for values in (model, weekly, dosed):
            k = sum(w < bound for w in values)
            p, lo, hi = wilson(k, n)
            cells.append(f"{100 * p:.1f} % ({100 * lo:.1f}-{100 * hi:.1f})")
        print(f"{name} | {' | '.join(cells)} | {pub:g} %")
    q = np.percentile(model, [10, 50, 90])
    print(f"worst model count, 10 / 50 / 90th percentile: {q[0]:.2f} / {q[1]:.2f} / {q[2]:.2f}e9/L")


if __name__ == "__main__":
    main()
