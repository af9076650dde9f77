"""Decompose the small tumour-volume effects of the senescent-stroma validation cases (issue 14):
how much growth support the senescent cells give, and what limits it.

For each case (the failing literature cases whose claim runs through the senescent cells' growth
support, by default) both arms are simulated as `senotwin validate` does, and the growth route
is taken apart. The SASP's support of cancer-cell proliferation is the part of process
``growth`` above k_grow:

    support(t) = k_grow * cap * (w_il6_growth * (il6_stat3_t - il6_stat3_own) + cxcr_mitogen)

(/day per cancer cell; cap = 1 - cells / C_max). Printed per case:

- the support in each arm at the read-out day (/day and % of k_grow), and S = its integral over
  the read-out window (log units), also as % of the cancer cells' net log-growth over the window;
- dS = S(perturbed) - S(control): the log-volume change the growth route gives, against the
  observed ln(V_p / V_c); exp(-S(control)) - 1 is the most any removal of senescent cells can
  do through this route;
- senescent cells (Se + Sl + Sd) in each arm at the read-out day, their share of the lesion's
  cells and the stromal share (not of cancer origin); the perturbation's change in them;
- the four candidate limits: (a) weights -- the one-dimensional scan below; (b) number --
  S_sat, the route's log-volume effect over the window were the SASP signals saturated
  (il6_stat3 -> 1, cxcr2_signal -> 1), i.e. were enough senescent cells involved; (c) read-out
  time -- day_5, the days the read-out day's support difference needs to give 5 %
  (ln 1.05 / |d support|); (d) saturation -- the share of the linear IL-6 signal change the
  IL-6 receptor passes, K_il6r x d(hill) / d(IL-6) (1 = unsaturated), and the signal's headroom.

``--scan`` then runs each growth weight over its declared range (the other at its value) and
prints each case's effect. A DIAGNOSTIC only: the scan uses validation cases, so nothing may be
chosen from it. The tissue's k_grow is held at its value derived at the shipped weights (not
re-derived per point), as a case would see a weight change before the cascade.

    python scripts/stroma_growth_support.py [CASE_ID ...] [--scan] [--points 0,0.25,0.5,1,1.5]
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping

import numpy as np

from senotwin.analysis.validation import load_cases
from senotwin.analysis.validation.load import Case
from senotwin.analysis.validation.runner import (
    DEFAULT_ENGINE,
    evaluate_case,
    simulate_arm,
    simulate_cases,
)
from senotwin.model.qsp import load_qsp

CASES = (
    "krtolica_senescent_fibroblasts_tumorigenesis",
    "liu_hornsby_senescent_fibroblasts_xenograft",
    "gabasa_mmp1_fibroblast_senescence_drives_lung_tumour",
    "bientinesi_quercetin_removes_senescent_stroma_growth_support",
    "saleh_abt263_after_chemo_shrinks_tumour",
    "jia_artesunate_enhances_irinotecan_xenograft",
    "hwang_rpn1_depletion_slows_tumour_growth",
    "hwang_rpn1_targeting_suppresses_recurrence_after_irradiation",
    "hwang_rpn1_targeting_fewer_senescent_cells_after_irradiation",
)
WEIGHTS = ("w_il6_growth", "w_cxcr2_growth")
NEED = math.log(1.05)  # the cases' 5 % line in log-volume units


def _support(t: Mapping[str, np.ndarray], p: Mapping[str, float]) -> dict[str, np.ndarray]:
    """The SASP growth support over time (/day), its saturated ceiling, and the capacity factor."""
    cells = t["C"] + t["Ci"] + t["Se"] + t["Sl"] + t["Sd"] + t["D"]
    cap = 1.0 - cells / p["C_max"]
    il6 = p["w_il6_growth"] * (t["il6_stat3_t"] - t["il6_stat3_own"])
    cxcr = t["cxcr_mitogen"]
    sat = p["w_il6_growth"] * (1.0 - t["il6_stat3_own"]) + p["w_cxcr2_growth"] * (
        1.0 - t["cxcr2_own"]
    )
    k = p["k_grow"] * cap
    return {"il6": k * il6, "cxcr": k * cxcr, "total": k * (il6 + cxcr), "sat": k * sat}


def _integral(time: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum(np.diff(time) * (y[1:] + y[:-1]) / 2.0))


def _arm(case: Case, which: str, day: float) -> dict[str, float] | None:
    """One arm's growth-route quantities at the read-out day and over the window [0, day]."""
    arm = getattr(case.spec_case, which)
    if arm is None:
        return None
    t = simulate_arm(case, arm, day, engine=DEFAULT_ENGINE, drugs=case.drugs)
    if t is None:
        return None
    base = {q.id: q.value for q in load_qsp().parameters}
    p = base | dict(case.scenario.params) | dict(arm.params)
    s = _support(t, p)
    time = t["time"]
    i = int(np.argmin(np.abs(time - day)))
    cancer = t["C"] + t["Ci"]
    sen = t["Se"] + t["Sl"] + t["Sd"]
    sen_c = t["Sce"] + t["Scl"] + t["Scd"]
    x = t["IL6_t"][i]
    own = t["il6_stat3_own"][i]
    x_own = p["K_il6r"] * own / (1 - own)  # the lesion's own IL-6 (pg/mL): hill^-1 of its signal
    d_hill = t["il6_stat3_t"][i] - own
    return {
        "V_T": float(t["V_T"][i]),
        "support": float(s["total"][i]),
        "support_il6": float(s["il6"][i]),
        "support_cxcr": float(s["cxcr"][i]),
        "k_grow": float(p["k_grow"]),
        "S": _integral(time[: i + 1], s["total"][: i + 1]),
        "S_sat": _integral(time[: i + 1], s["sat"][: i + 1]),
        "net_log": float(math.log(cancer[i] / cancer[0])),
        "sen": float(sen[i]),
        "sen_share": float(sen[i] / (cancer[i] + sen[i])),
        "stromal": float(1 - sen_c[i] / sen[i]) if sen[i] > 0 else float("nan"),
        "il6_signal": float(t["il6_stat3_t"][i]),
        "il6_own": float(own),
        "il6_pass": float(p["K_il6r"] * d_hill / (x - x_own)) if x > x_own else float("nan"),
        "cxcr2_signal": float(t["cxcr2_signal"][i]),
    }


def decompose(case: Case) -> None:
    """Print the growth-route decomposition of one case."""
    s = case.spec_case
    m = s.measure
    day = float(m.at if m.at is not None else m.window[1])
    print(f"\n== {s.id}  [{case.scenario.name}]  read-out {s.readout} at day {day:g}")
    c, q = _arm(case, "control", day), _arm(case, "perturbed", day)
    if c is None or q is None:
        print("   a run failed (or the case has one arm)")
        return
    print(f"   {'':34s} {'control':>11s} {'perturbed':>11s}")
    for label, key, fmt in (
        ("V_T (mL)", "V_T", ".4g"),
        ("senescent cells Se+Sl+Sd", "sen", ".3e"),
        ("senescent share of lesion cells", "sen_share", ".3%"),
        ("stromal share of senescent cells", "stromal", ".1%"),
        ("IL-6/STAT3 signal (own)", "il6_own", ".4f"),
        ("IL-6/STAT3 signal (with SASP)", "il6_signal", ".4f"),
        ("CXCR1/2 signal", "cxcr2_signal", ".4f"),
        ("support at read-out (/day)", "support", ".3e"),
        ("  IL-6 part (/day)", "support_il6", ".3e"),
        ("  CXCR1/2 part (/day)", "support_cxcr", ".3e"),
        ("S = integral of support (log)", "S", ".4f"),
        ("cancer cells' net log-growth", "net_log", ".4f"),
        ("S_sat, saturated signals (log)", "S_sat", ".4f"),
    ):
        print(f"   {label:34s} {c[key]:>11{fmt}} {q[key]:>11{fmt}}")
    obs = math.log(q["V_T"] / c["V_T"])
    ds = q["S"] - c["S"]
    dsup = q["support"] - c["support"]
    day5 = NEED / abs(dsup) if dsup else float("inf")
    share = f"{c['S'] / c['net_log']:.1%}" if c["net_log"] > 0 else "n/a (cancer cells shrink)"
    print(
        f"   control: support {c['support'] / c['k_grow']:.2%} of k_grow; S {share} of the"
        " cancer cells' net log-growth over the window; removing all of it for the whole"
        f" window: {math.expm1(-c['S']):+.2%} volume"
    )
    print(
        f"   observed ln(V_p/V_c) {obs:+.4f} ({math.expm1(obs):+.2%});  growth route dS "
        f"{ds:+.4f} ({math.expm1(ds):+.2%});  other routes {obs - ds:+.4f}"
    )
    print(
        f"   senescent cells changed by {q['sen'] - c['sen']:+.3e} "
        f"({(q['sen'] - c['sen']) / c['sen']:+.1%} of the control's)"
    )
    print(
        f"   (b) number: saturated route over the window S_sat {c['S_sat']:.3f} "
        f"(= {math.expm1(c['S_sat']):+.1%} volume) vs the 5 % line {NEED:.4f}"
    )
    print(
        f"   (c) time: k_grow x day = {c['k_grow'] * day:.2f} gross e-folds; the read-out day's "
        f"support difference {dsup:+.2e}/day gives 5 % after {day5:.3g} days"
    )
    print(
        f"   (d) saturation: IL-6 receptor passes {c['il6_pass']:.2f} of a linear signal change "
        f"(headroom {1 - c['il6_signal']:.2f}); CXCR1/2 signal {c['cxcr2_signal']:.3f}"
    )


def scan(cases: list[Case], points: list[float]) -> None:
    """Each weight alone over its points: every case's observed effect (diagnostic only)."""
    print("\n== one-dimensional weight scan (DIAGNOSTIC: validation cases; nothing is chosen)")
    for w in WEIGHTS:
        rows: dict[str, list[float]] = {c.spec_case.id: [] for c in cases}
        for v in points:
            tables = simulate_cases(cases, engine=DEFAULT_ENGINE, base_params={w: v})
            for c in cases:
                rows[c.spec_case.id].append(evaluate_case(c, tables).effect)
        print(f"\n   {w:58s} " + " ".join(f"{v:>7g}" for v in points))
        for cid, effects in rows.items():
            print(f"   {cid[:58]:58s} " + " ".join(f"{e:>+7.2%}" for e in effects))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cases", nargs="*", help=f"case ids (default: {len(CASES)} stroma cases)")
    ap.add_argument("--scan", action="store_true", help="run the weight scan (diagnostic)")
    ap.add_argument(
        "--points",
        default="0,0.25,0.5,0.75,1,1.5",
        help="weight values for --scan (default: the declared range 0-1.5)",
    )
    args = ap.parse_args()
    by_id = {c.spec_case.id: c for c in load_cases()}
    ids = args.cases or list(CASES)
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        ap.error(f"unknown case ids: {', '.join(unknown)}")
    for cid in ids:
        decompose(by_id[cid])
    if args.scan:
        scan([by_id[i] for i in ids], [float(v) for v in args.points.split(",")])


if __name__ == "__main__":
    main()
