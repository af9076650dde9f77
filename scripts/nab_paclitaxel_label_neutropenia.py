"""The nab-paclitaxel neutropenia chain against the Abraxane label's metastatic breast table.

The label's randomised metastatic breast cancer study gave 260 mg/m2 every 3 weeks (229
patients) and reports the worst neutrophil count per patient: below 2.0e9/L in 80 %, below
0.5e9/L (grade 4) in 9 % (quantitative-sources abraxane_mbc_neutropenia_label). This gives the
same regimen (six cycles: the study's number of cycles was not read) to virtual patients of the
``default`` scenario, each with their own clearance and marrow (Chen 2014's spread; ages not
drawn, so no age-65 factor), and prints the shares of patients whose worst count falls below
each bound: the model's noise-free count, and the laboratory value at weekly draws (the model's
count times the source model's residual error, as trials read it). An evaluation: nothing is
fitted or written.

    python scripts/nab_paclitaxel_label_neutropenia.py [--patients 1000] [--cycles 6] [--seed 0]
"""

from __future__ import annotations

import argparse

import numpy as np

from senotwin.analysis.survival import wilson
from senotwin.cohort.optimize import DrugCourse, _Cohort
from senotwin.therapy.dose_rules import patient_lab
from senotwin.therapy.language import apply_regimen, parse_regimen
from senotwin.therapy.toxicity import CHAINS, count_1e9_per_l

LABEL = {"< 2.0e9/L (any grade)": (2.0, 80.0), "< 0.5e9/L (grade 4)": (0.5, 9.0)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=1000)
    ap.add_argument("--cycles", type=int, default=6)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    days = 21 * args.cycles
    cohort = _Cohort("default", ("nab-paclitaxel",), args.patients, args.seed, days, "fast")
    course = DrugCourse("nab-paclitaxel", 1.0, 0, days - 1, 21, schedule="260 mg/m2 q21d")
    plan = apply_regimen(
        cohort.setup.spec,
        parse_regimen(course.to_text(cohort.body), body=cohort.body),
        extra_drugs=cohort.drugs,
    )
    anc = CHAINS[0]
    model, lab = [], []
    for pt in cohort.patients:
        res, _ = cohort._run(plan, pt)
        if not res.ok:
            continue
        t = res.table["time"].to_numpy()
        counts = count_1e9_per_l(res.table[anc.observable].to_numpy())
        model.append(float(counts.min()))
        draws = np.arange(7.0, days + 1.0, 7.0)  # weekly, after the enrolment count
        read = patient_lab(args.seed, pt.index)
        lab.append(min(float(np.interp(d, t, counts)) * read(anc, d) for d in draws))
    n = len(model)
    print(f"{n} patients, 260 mg/m2 q21d x {args.cycles} ({days} d), seed {args.seed}")
    print(f"{plan.schedule.name}")
    print("bound | model count, worst (95% CI) | laboratory value, worst at weekly draws | label")
    for name, (bound, published) in LABEL.items():
        cells = []
        for worst in (model, lab):
            k = sum(w < bound for w in worst)
            p, lo, hi = wilson(k, n)
            cells.append(f"{100 * p:.1f} % ({100 * lo:.1f}-{100 * hi:.1f})")
        print(f"{name} | {cells[0]} | {cells[1]} | {published:g} %")
    q = np.percentile(model, [10, 50, 90])
    print(f"worst model count, 10 / 50 / 90th percentile: {q[0]:.2f} / {q[1]:.2f} / {q[2]:.2f}e9/L")


if __name__ == "__main__":
    main()
