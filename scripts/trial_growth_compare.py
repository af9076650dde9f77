"""Virtual patients of the Liu 2019 melanoma fit vs the library trials' (issue 13, item 1).

Prints, per population, the median (10th-90th percentile) of the untreated volume-doubling time
over the 56-day lead-in (the plausibility window, immune control included), the intrinsic
doubling time ln2 / k_grow, the baseline sum of diameters, antigen-specific precursors N_ag,
the baseline CD8 infiltration factor, tumour PD-L1 per cell and the immune-invisible share of
cancer cells at entry. The melanoma patients are the liu2019 calibration cohort (stored fit);
the trial patients are those `senotwin trial run NAME --seed 0` simulates. The table in
docs/qsp-model.md ("Melanoma vs trial patients") comes from here.

    python scripts/trial_growth_compare.py [--n 200]
"""

from __future__ import annotations

import argparse
import math

import numpy as np
import pandas as pd

from senotwin.cohort.baseline import baseline_overrides
from senotwin.cohort.population import draw_patients
from senotwin.model.scenarios import get_scenario
from senotwin.sim.scenario import prepare_scenario
from senotwin.trial.ici_cohort import BIOPSY_DAYS, CohortDesign, VirtualCohort
from senotwin.trial.ici_fit import FIT_REGIMEN, RULES, split, stored_fit
from senotwin.trial.library import get_trial
from senotwin.trial.run import trial_config

TRIALS = ("keynote189", "impassion130", "impower133")


def _q(x: pd.Series, fmt: str) -> str:
    x = x.replace([np.inf, -np.inf], np.nan).dropna()
    if x.empty:
        return "-"
    a, b, c = x.quantile([0.5, 0.1, 0.9]).to_numpy()
    return f"{a:{fmt}} ({b:{fmt}}-{c:{fmt}})"


def melanoma(n: int) -> pd.DataFrame:
    """The liu2019 virtual cohort at the stored fit: lead-in doubling and traits."""
    values = {p["parameter"]: p["best"] for p in stored_fit()["parameters"]}
    centres, spreads = split(values)
    vc = VirtualCohort(CohortDesign(regimen=FIT_REGIMEN, n=n, seed=0, rules=RULES))
    lead, _ = vc._runs
    vals = vc.values(centres, spreads)
    bases, _ = vc.draws
    rows = []
    for i in range(n):
        fixed, initial = baseline_overrides(vc.spec, vc.design.baseline, bases[i])
        params = {**vals.iloc[i].to_dict(), **fixed}
        _, doubling, _ = vc._lead_in(lead, params, initial)
        rows.append(_row(params, bases[i], doubling, initial))
    return pd.DataFrame(rows)


def _row(params: dict, base: dict, doubling: float, initial: dict) -> dict[str, float]:
    cells = sum(initial.get(s, 0.0) for s in ("C", "Ci"))
    return {
        "doubling_days": doubling,
        "intrinsic_doubling_days": math.log(2) / params["k_grow"],
        "sld_mm": float(base["sld_mm"]),
        "N_ag": params["N_ag"],
        "cd8_factor": float(base.get("cd8_infiltration", 1.0)),
        "pdl1": params["PDL1_per_C"],
        "invisible": initial.get("Ci", 0.0) / cells if cells > 0 else 0.0,
    }


def trial(name: str, n: int) -> pd.DataFrame:
    """Trial ``name``'s selected virtual patients (seed 0) with their untreated doubling."""
    tr = get_trial(name)
    cfg = trial_config(tr, n, seed=0)
    spec = get_scenario(tr.scenario).load()
    setup = prepare_scenario(tr.scenario)
    pats = draw_patients(
        spec,
        cfg.population,
        base_params=setup.params,
        base_initial=setup.initial,
        seed=0,
        indices=range(n),
        engine="fast",
    )
    return pd.DataFrame(
        [
            _row(dict(p.params), dict(p.baseline or {}), p.doubling_days, dict(p.initial))
            for p in pats
        ]
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    args = ap.parse_args()
    pops = {"Liu 2019 melanoma (fit cohort)": melanoma(args.n)}
    for name in TRIALS:
        pops[name] = trial(name, args.n)
    cols = (
        ("doubling_days", ".0f", f"untreated doubling over {BIOPSY_DAYS:g} d (days)"),
        ("intrinsic_doubling_days", ".0f", "ln2 / k_grow (days)"),
        ("sld_mm", ".0f", "sum of diameters (mm)"),
        ("N_ag", ".3g", "N_ag"),
        ("cd8_factor", ".2f", "baseline CD8 factor"),
        ("pdl1", ".3g", "PD-L1 per cell"),
        ("invisible", ".2f", "immune-invisible share at entry"),
    )
    print("| population | n | " + " | ".join(c[2] for c in cols) + " |")
    print("|---|---|" + "---|" * len(cols))
    for label, df in pops.items():
        cells = [_q(df[c], f) for c, f, _ in cols]
        print(f"| {label} | {len(df)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
