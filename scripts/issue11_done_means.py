"""Measure the quantitative done-means of issue 11 on the shipped model (session 13 audit).

Prints: plasma IL-6 / IL-8 of ``default`` over one year against the cited patient ranges; each
tissue's untreated net doubling time at its shipped rate against the cited range; the largest
lesion of any scenario against the lethal burden; the anti-PD-1 effect (1-year lesion volume,
PD-1 99 % occupied vs none) in the untreated aged lung context by route (both, priming only,
tumour synapse only), across antigen-specific CD8 precursors, and across baseline PD-L1 by route
with the untreated lesion, the synapse inhibition H_PD1 of both arms (where the untreated synapse
saturates) and the IFN-gamma induction of PD-L1 (adaptive resistance); then the PD-L1 scan again
in the context chosen by the session-19 rule, written down before it was run: the precursor pool
N_ag at which both routes give a 12-week ratio of 0.5 at the shipped PD-L1 (the default patient is
near-eradicated by either route, so its read-out saturates); last, adaptive resistance in the
virtual liu2019 cohort: CD8 against the biopsy PD-L1 (trait x IFN-gamma induction) and response
by tertile of each (session 20); and, at that N_ag, the PD-L1 scan by route knock-out and under
the ends of the synapse constants' ranges (session 21: which terms carry the PD-L1 dependence and
what it would take; a diagnosis, nothing is chosen by it). The table "Issue 11 done-means,
measured" in docs/qsp-model.md comes from here (with `senotwin model check --json` for units and
`senotwin validate --json` for the acute/chronic cases).

    python scripts/issue11_done_means.py
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from senotwin.analysis.model_check import LETHAL_BURDEN_CELLS, scenarios_of
from senotwin.model.qsp import TISSUES, load_qsp
from senotwin.sim.options import SolverOptions
from senotwin.sim.scenario import run_scenario
from senotwin.sim.tissue_growth import net_doubling_days

DAYS = 365.0
GRID = np.arange(DAYS + 1.0)
#: stage I-III lung cancer, CancerSEEK plasma (quantitative-sources
#: plasma_il6_il8_lung_cancer_cancerseek): median, 95th percentile, maximum (pg/mL)
PATIENTS = {"IL6_p": (3.03, 38.62, 76.32), "IL8_p": (8.89, 35.04, 37.01)}
PD1_OCCUPIED = 0.99
CONTEXT = "aged_lung_untreated"
WEEK12 = 84
#: tumour PD-L1 per cancer cell without IFN-gamma: the range's ends, the shipped value, and the
#: steps where the untreated synapse saturates (H_PD1 0.26 -> 0.94 between 3e3 and 2e4)
PDL1_SCAN = (3.0e3, 6.0e3, 1.0e4, 2.0e4, 37333.0, 1.0e5, 2.24e5)
#: the session-19 rule's target: both routes' 12-week treated / untreated volume at shipped PD-L1
HALF_EFFECT = 0.5
#: session 21: tumour PD-L1 reaches the lesion through these terms; each row switches some off
#: (the kill brake Imax_pd1, reinvigoration k_reinv, the IFN-gamma brake Imax_pd1_ifng) or sets a
#: synapse constant to an end of its range (QSP-IO TNBC PD1_50 50, n_pd1 1, Imax_pd1 0.6); the
#: scan starts at a PD-L1-null tumour (0), below the range, the most a tumour can differ by
ROUTE_ROWS: dict[str, dict[str, float]] = {
    "shipped": {},
    "no kill brake (Imax_pd1 0)": {"Imax_pd1": 0.0},
    "no reinvigoration (k_reinv 0)": {"k_reinv": 0.0},
    "neither (Imax_pd1 0, k_reinv 0)": {"Imax_pd1": 0.0, "k_reinv": 0.0},
    "no IFN-gamma brake (Imax_pd1_ifng 0)": {"Imax_pd1_ifng": 0.0},
    "Imax_pd1 0.6 (range top)": {"Imax_pd1": 0.6},
    "PD1_50 50 (QSP-IO TNBC)": {"PD1_50": 50.0},
    "n_pd1 1": {"n_pd1": 1.0},
}
ROUTE_SCAN = (0.0, 3.0e3, 1.0e4, 37333.0, 2.24e5)


def _table(overrides: dict[str, float] | None = None, pd1: float = 0.0) -> pd.DataFrame:
    """Daily course of the untreated aged lung context over one year, PD-1 blocked by ``pd1``."""
    res = run_scenario(
        CONTEXT,
        overrides=overrides,
        blocks={"PDCD1": pd1} if pd1 else None,
        days=DAYS,
        solver=SolverOptions(engine="fast", t_eval=GRID),
        check_ranges=False,  # the one-route arms set a PD-1 level below its range by hand
        throw=True,
    )
    return res.table


def _volume(overrides: dict[str, float] | None = None, pd1: float = 0.0) -> np.ndarray:
    """Daily lesion volume of the untreated aged lung context over one year (mL)."""
    return _table(overrides, pd1)["V_T"].to_numpy()


def _effect(treated: np.ndarray, untreated: np.ndarray) -> str:
    """Treated / untreated lesion volume at 12 weeks and at 1 year (1 = no effect)."""
    a, b = treated / untreated, WEEK12
    return f"{a[b]:.3f} at 12 weeks, {a[-1]:.3g} at 1 year"


def _pd1_effect(overrides: dict[str, float] | None = None) -> str:
    return _effect(_volume(overrides, PD1_OCCUPIED), _volume(overrides))


def plasma() -> None:
    t = run_scenario(
        "default", days=DAYS, solver=SolverOptions(engine="fast", t_eval=GRID), throw=True
    ).table
    for col, (median, p95, top) in PATIENTS.items():
        lo, hi = float(t[col].min()), float(t[col].max())
        print(
            f"default {col}: {lo:.2f}-{hi:.2f} pg/mL over days 0-365 "
            f"(patients: median {median}, 95th {p95}, max {top}); within max: {hi <= top}"
        )


def doubling() -> None:
    for name, tissue in sorted(TISSUES.items()):
        net = net_doubling_days(name, tissue.k_grow)
        low, high = tissue.range_days
        print(
            f"{name}: untreated net doubling {net:.1f} d (cited {tissue.doubling_days:g}, "
            f"range {low:g}-{high:g}); within: {low <= net <= high}"
        )


def lethal() -> None:
    peak, where = 0.0, ""
    for sc in scenarios_of(load_qsp()):
        t = run_scenario(sc, days=DAYS, solver=SolverOptions(engine="fast", t_eval=GRID)).table
        value = float(np.max(t["N_tumour"] + t["D"]))
        if value > peak:
            peak, where = value, sc.name
    print(f"largest lesion in 1 year: {peak:.3g} cells ({where}); lethal {LETHAL_BURDEN_CELLS:.0e}")


def anti_pd1() -> None:
    p = {q.id: q.value for q in load_qsp().parameters}
    print(f"{CONTEXT}, PD-1 {PD1_OCCUPIED:.0%} occupied: lesion volume treated / untreated")
    print(f"  both routes: {_pd1_effect()}")
    # one route only: the other route's PD-1 handle left free, this one's set to the free share
    free = 1.0 - PD1_OCCUPIED
    base = _volume()
    prime_only = _volume({"pd1_prime_level": free})
    tumour_only = _volume({"PD1_per_T": p["PD1_per_T"] * free})
    print(f"  priming route only (TDLN): {_effect(prime_only, base)}")
    print(f"  tumour synapse only (kill + reinvigoration): {_effect(tumour_only, base)}")
    low, high = load_qsp().parameter("N_ag").range or (0.0, 0.0)
    for value in (low, p["N_ag"], high):
        print(f"  N_ag {value:.3g}: {_pd1_effect({'N_ag': value})}")
    for value in PDL1_SCAN:
        print(f"  PDL1_per_C {value:.3g}: {_pdl1_row(value, p)}")
    n_ag = half_effect_precursors()
    print(
        f"  rule (session 19): N_ag {n_ag:.3g} gives both routes {HALF_EFFECT} at 12 weeks at the "
        f"shipped PD-L1; there:"
    )
    for value in PDL1_SCAN:
        ratio = week12_ratio({"N_ag": n_ag, "PDL1_per_C": value})
        print(f"    PDL1_per_C {value:.3g}: both routes {ratio:.3f} at 12 weeks")
    pdl1_routes(n_ag)


def pdl1_routes(n_ag: float) -> None:
    """Session 21: the 12-week PD-L1 scan at ``n_ag`` with route terms switched off or synapse
    constants at a range end (k_grow not re-derived: what each term carries, not a candidate)."""
    print(f"  by term (N_ag {n_ag:.3g}; 12-week ratio, untreated mL) at PDL1_per_C {ROUTE_SCAN}:")
    for name, extra in ROUTE_ROWS.items():
        cells = []
        for value in ROUTE_SCAN:
            over = {"N_ag": n_ag, "PDL1_per_C": value, **extra}
            untreated = _volume(over)[WEEK12]
            cells.append(f"{_volume(over, PD1_OCCUPIED)[WEEK12] / untreated:.3f} ({untreated:.0f})")
        print(f"    {name}: {' / '.join(cells)}")


def week12_ratio(overrides: dict[str, float]) -> float:
    """Both routes' 12-week treated / untreated lesion volume (PD-1 99 % occupied)."""
    return float(_volume(overrides, PD1_OCCUPIED)[WEEK12] / _volume(overrides)[WEEK12])


def half_effect_precursors(steps: int = 14) -> float:
    """N_ag (bisection on its log within its range) at which both routes give a 12-week ratio of
    HALF_EFFECT at the shipped PD-L1: a context where the effect is not saturated."""
    low, high = (math.log(v) for v in load_qsp().parameter("N_ag").range or (1.0, 1.0))
    for _ in range(steps):
        mid = 0.5 * (low + high)
        if week12_ratio({"N_ag": math.exp(mid)}) > HALF_EFFECT:
            low = mid  # too little effect: more precursors
        else:
            high = mid
    return math.exp(0.5 * (low + high))


def _pdl1_row(pdl1: float, p: dict[str, float]) -> str:
    """Anti-PD-1 effect at one tumour PD-L1 by route, with the untreated lesion, H_PD1 of both
    arms and the IFN-gamma induction of PD-L1 in the untreated lesion at 12 weeks."""
    over = {"PDL1_per_C": pdl1}
    untreated, treated = _table(over), _table(over, PD1_OCCUPIED)
    base = untreated["V_T"].to_numpy()
    prime = _volume({**over, "pd1_prime_level": 1.0 - PD1_OCCUPIED})[WEEK12] / base[WEEK12]
    synapse = _volume({**over, "PD1_per_T": p["PD1_per_T"] * (1.0 - PD1_OCCUPIED)})[WEEK12]
    ifng = float(untreated["IFNg_t"].iloc[WEEK12])
    induction = 1.0 + (p["pdl1_fold"] - 1.0) * ifng / (ifng + p["EC50_ifng_pdl1"])
    return (
        f"{_effect(treated['V_T'].to_numpy(), base)}; priming only {prime:.3f}, synapse only "
        f"{synapse / base[WEEK12]:.3f} (12 weeks); untreated {base[WEEK12]:.1f} mL at 12 weeks; "
        f"H_PD1 untreated {untreated['H_PD1'].iloc[0]:.3f} (day 0), treated "
        f"{treated['H_PD1'].iloc[WEEK12]:.3f} (12 weeks); IFN-gamma {1e3 * ifng:.2f} pM induces "
        f"PD-L1 x{induction:.2f} (of x{p['pdl1_fold']:g})"
    )


def adaptive_resistance(n: int = 300, seed: int = 1) -> None:
    """The virtual liu2019 cohort (shipped fit): CD8 vs biopsy PD-L1 and response by tertile."""
    from senotwin.trial.ici_cohort import CohortDesign, VirtualCohort, biopsy_pdl1_summary
    from senotwin.trial.ici_fit import FIT_REGIMEN, RULES, shared, split, stored_fit

    values = {p["parameter"]: p["best"] for p in stored_fit()["parameters"]}
    centres, spreads = split(values)
    design = CohortDesign(regimen=FIT_REGIMEN, n=n, seed=seed, rules=RULES)
    s = biopsy_pdl1_summary(VirtualCohort(design).simulate(centres, spreads, shared(values)))
    lo, mid, hi = s["induction_fold"]  # type: ignore[misc]

    def tert(key: str) -> str:
        return ", ".join(f"{r}/{m}" for r, m in s[key])  # type: ignore[attr-defined]

    print(
        f"virtual liu2019 anti-PD-1 cohort (n {n}, seed {seed}; {s['patients']} scored): "
        f"Spearman biopsy CD8 vs biopsy PD-L1 {s['spearman_biopsy']:.2f} (vs the PD-L1 trait "
        f"{s['spearman_trait']:.2f}; data CD8 score vs CD274 0.54-0.72, "
        f"scripts/cd8_cd274_correlation.py); IFN-gamma induction x{mid:.2f} (5-95 % {lo:.2f}-"
        f"{hi:.2f}); responders by biopsy PD-L1 tertile {tert('responders_by_pdl1')}, by CD8 "
        f"tertile {tert('responders_by_cd8')}"
    )


def main() -> None:
    plasma()
    doubling()
    lethal()
    anti_pd1()
    adaptive_resistance()


if __name__ == "__main__":
    main()
