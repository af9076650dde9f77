"""Posterior predictive check of the shipped liu2019 posterior against the Liu 2019 data.

For every k-th row of the shipped posterior (``calibrate/data/ensembles/liu2019_posterior``; the
quantities it holds, ``fixed``, at their values) a virtual cohort of ``--n`` patients (a seed
the fit never used) gives the statistics the fit scores -- response by CD8 tertile, ORR, CR among
responders and SD among non-responders, PFS at 3/6/12 and OS at 12/24 months -- and replicate
data sets of the observed cohort's size are drawn from them (binomial counts of the observed
denominators; landmark rates with the observed Greenwood SE). Each statistic is printed beside
the observed value with the predictive median and 5-95 % and a two-sided posterior predictive
p-value. A check of the calibration, not a validation: these are the data the fit used.

    python scripts/liu2019_predictive_check.py [--every 5] [--n 1000] [--seed 4] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from senotwin.calibrate.sample import shipped_ensemble
from senotwin.trial.ici_fit import IciObjective

PFS_MONTHS = (3.0, 6.0, 12.0)
OS_MONTHS = (12.0, 24.0)
#: replicate observed data sets drawn per posterior row
REPLICATES = 50


def draw_values(every: int) -> list[dict[str, float]]:
    """The fit's quantities of every ``every``-th posterior row (held ones at their value)."""
    ens = shipped_ensemble()
    cols = ens.provenance["columns"]
    fixed = dict(ens.provenance.get("fixed") or {})
    by_fit = {str(cols[c]["fitted_as"]): c for c in ens.table.columns if c != "s_il8_C"}
    rows = ens.table.iloc[::every]
    return [{pid: float(row[c]) for pid, c in by_fit.items()} | fixed for _, row in rows.iterrows()]


def _landmark(curve: dict[str, Any], month: float) -> tuple[float, float]:
    """(survival, Greenwood SE) of a statistics curve at ``month``."""
    for lm in curve["landmarks"]:
        if float(lm["month"]) == month:
            return float(lm["survival"]), float(lm["se"])
    raise SystemExit(f"no landmark at {month:g} months in the cohort statistics")


def statistics(stats: dict[str, Any], observed: bool) -> dict[str, tuple[float, int | float]]:
    """Name -> (value, denominator or SE): what the fit scores, as rates."""
    out: dict[str, tuple[float, int | float]] = {}
    tertiles = stats["cd8_score"]["tertiles"] if observed else stats["tertiles"]
    for t in tertiles:
        out[f"response, CD8 tertile {int(t['tertile']) + 1}"] = (
            t["responders"] / max(t["n"], 1),
            int(t["n"]),
        )
    recist = stats["recist"]
    n = sum(recist.values())
    responders = recist["CR"] + recist["PR"]
    out["ORR"] = (responders / n, n)
    out["CR among responders"] = (recist["CR"] / max(responders, 1), responders)
    out["SD among non-responders"] = (recist["SD"] / max(n - responders, 1), n - responders)
    for ep, months in (("pfs", PFS_MONTHS), ("os", OS_MONTHS)):
        for m in months:
            out[f"{ep.upper()} at {m:g} months"] = _landmark(stats[ep], m)
    return out


def predictive(
    draws: list[dict[str, tuple[float, int | float]]],
    observed: dict[str, tuple[float, int | float]],
    seed: int,
) -> list[dict[str, Any]]:
    """Per statistic: observed, predictive 5/50/95 % of replicate data sets, and p."""
    rng = np.random.default_rng(seed)
    out = []
    for name, (obs, size) in observed.items():
        reps = []
        for d in draws:
            p = d[name][0]
            if name.startswith(("PFS", "OS")):  # a landmark: the observed curve's Greenwood SE
                reps.append(np.clip(rng.normal(p, float(size), REPLICATES), 0.0, 1.0))
            else:  # a rate: binomial counts of the observed denominator
                reps.append(rng.binomial(int(size), p, REPLICATES) / max(int(size), 1))
        rep = np.concatenate(reps)
        p_low, p_high = float(np.mean(rep <= obs)), float(np.mean(rep >= obs))
        out.append(
            {
                "statistic": name,
                "observed": obs,
                "predictive_5_50_95": [float(q) for q in np.quantile(rep, [0.05, 0.5, 0.95])],
                "simulated_rate_5_50_95": [
                    float(q) for q in np.quantile([d[name][0] for d in draws], [0.05, 0.5, 0.95])
                ],
                "p_two_sided": min(1.0, 2.0 * min(p_low, p_high)),
            }
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--every", type=int, default=5, help="use every k-th posterior row")
    ap.add_argument("--n", type=int, default=1000, help="virtual patients per draw")
    ap.add_argument("--seed", type=int, default=4, help="virtual cohort (the fit used 0-3)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if args.every < 1:
        raise SystemExit(f"--every {args.every}: allowed a whole number >= 1")
    t0 = time.perf_counter()
    obj = IciObjective(n=args.n, seed=args.seed)
    values = draw_values(args.every)
    draws = [statistics(obj.statistics(v), observed=False) for v in values]
    observed = statistics(obj.target, observed=True)
    rows = predictive(draws, observed, seed=args.seed)
    print(
        f"liu2019 posterior predictive check: {len(values)} posterior rows x {REPLICATES} "
        f"replicate data sets, virtual cohort n {args.n} seed {args.seed} "
        f"({time.perf_counter() - t0:.0f} s)"
    )
    print(f"{'statistic':<32} observed  predictive median (5-95 %)  p (two-sided)")
    for r in rows:
        lo, mid, hi = r["predictive_5_50_95"]
        print(
            f"{r['statistic']:<32} {r['observed']:.3f}     {mid:.3f} ({lo:.3f}-{hi:.3f})"
            f"        {r['p_two_sided']:.2f}"
        )
    if args.json:
        args.json.write_text(json.dumps({"rows": rows}, indent=1))


if __name__ == "__main__":
    main()
