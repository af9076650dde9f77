"""Diagnose failing literature cases of `senotwin validate` (issue 14): which process carries each
case's effect and how big it is.

For each case (the failing literature cases by default) prints the system (model context,
read-out, day) and, at the read-out day, control vs perturbed values of the quantities a claim
can act through: cancer cells, senescent cells, MDSC and PMN counts, their suppression share,
PD-1 inhibition, the IL-6/STAT3 growth boost, CCL2 against the myeloid recruitment half-maximum,
IL-8/CXCR2 signalling and its growth boost on cancer cells (cxcr_mitogen), tumour IFN-I, DCs in the
node, effector CD8 in the tumour, and the per-day fluxes of proliferation, CD8 kill and
senescent-cell removal. The tables in docs/validation.md
("Diagnosis") come from here.

    python scripts/validation_diagnosis.py [CASE_ID ...] [--set PARAM=VALUE ...]

``--set`` puts a value into both arms on top of the system's context (a route knock-out, e.g.
``--set w_il6_growth=0``: which route carries the sign); the case file is not touched.
"""

from __future__ import annotations

import argparse

import numpy as np

from senotwin.analysis.validation import load_cases, run_cases
from senotwin.analysis.validation.runner import DEFAULT_ENGINE, simulate_arm
from senotwin.model.qsp import load_qsp

SHOW = (
    "V_T",
    "C",
    "Se+Sl+Sd",
    "MDSC",
    "PMN",
    "mdsc_supp",
    "H_PD1",
    "pd1_function",
    "il6_stat3_t",
    "il6_stat3_own",
    "CCL2_t",
    "ccr2_myeloid",
    "cxcr2_signal",
    "cxcr_mitogen",
    "IL6_p",
    "PDL1_d",
    "IFNI_t",
    "mDC",
    "T8",
    "growth/day",
    "kill/day",
    "removal/day",
)


def _quantities(t: dict[str, np.ndarray], i: int, p: dict[str, float]) -> dict[str, float]:
    q = {k: float(t[k][i]) for k in SHOW if k in t}
    sen = t["Se"][i] + t["Sl"][i] + t["Sd"][i]
    q["Se+Sl+Sd"] = float(sen)
    eff = t["T8"][i] + t["T8r"][i]
    targets = t["C"][i] + sen + eff
    q["kill/day"] = float(
        p["k_kill"]
        * t["pd1_function"][i]
        * t["mdsc_supp"][i]
        * t["tgfb_supp"][i]
        * t["treg_supp"][i]
        * eff
        * t["C"][i]
        / targets
    )
    q["removal/day"] = float(t["removal"][i] * sen)
    boost = t["il6_stat3_t"][i] - t["il6_stat3_own"][i]  # the SASP's signal above the lesion's own
    mitogen = t["cxcr_mitogen"][i]  # CXCR1/2 signal relative to the lesion's own, x its weight
    q["growth/day"] = float(p["k_grow"] * t["C"][i] * (1 + p["w_il6_growth"] * boost + mitogen))
    return q


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cases", nargs="*", help="case ids (default: the failing literature cases)")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PARAM=VALUE",
        help="a parameter value for both arms (a route knock-out; repeatable)",
    )
    args = ap.parse_args()
    base = {q.id: q.value for q in load_qsp().parameters}
    knock: dict[str, float] = {}
    for item in args.set:
        pid, sep, value = item.partition("=")
        if not sep or pid not in base:
            ap.error(f"--set {item!r}: give PARAM=VALUE with PARAM a model parameter")
        try:
            knock[pid] = float(value)
        except ValueError:
            ap.error(f"--set {item!r}: VALUE {value!r} is not a number")
    cases = load_cases()
    by_id = {c.spec_case.id: c for c in cases}
    ids = args.cases
    if not ids:
        report = run_cases(cases)
        ids = [r.id for r in report.failures() if r.tier == "literature"]
    for cid in ids:
        case = by_id[cid]
        s = case.spec_case
        m = s.measure
        day = float(m.at if m.at is not None else m.window[1])
        p = base | dict(case.scenario.params) | knock
        print(f"\n== {cid}  [{case.scenario.name}]  read-out {s.readout} ({m.stat}, day {day:g})")
        if knock:
            print(f"   both arms: {', '.join(f'{k}={v:g}' for k, v in knock.items())}")
        print(f"   system: {s.system.species}, {s.system.tumour}; host {s.system.host_age}")
        arms = {"control": s.control, "perturbed": s.perturbed}
        vals = {}
        for name, arm in arms.items():
            if arm is None:
                continue
            t = simulate_arm(
                case,
                arm,
                day,
                engine=DEFAULT_ENGINE,
                drugs=case.drugs,
                context_params=dict(case.scenario.params) | knock,
            )
            if t is None:
                print(f"   {name}: run failed")
                continue
            i = int(np.argmin(np.abs(t["time"] - day)))
            vals[name] = _quantities(t, i, p | dict(arm.params))
        if len(vals) < 2:
            continue
        print(f"   {'quantity':14s} {'control':>11s} {'perturbed':>11s} {'change':>8s}")
        for k in vals["control"]:
            a, b = vals["control"][k], vals["perturbed"][k]
            ch = (b - a) / abs(a) if a else float("nan")
            print(f"   {k:14s} {a:11.4g} {b:11.4g} {ch:+8.1%}")


if __name__ == "__main__":
    main()
