"""Monte Carlo noise of the liu2019 objective: the shipped optimum re-scored on other virtual
cohorts (seeds) and sizes, so that a delta-nllh can be read against the cohort's own scatter.

Usage: python scripts/ici_objective_noise.py [--n 60] [--seeds 0 1 2 3 4 5]
Prints, per seed: nllh, ORR and every goodness() term; then the mean and SD (ddof 1) of the
nllh and of each term over the seeds.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from senotwin.trial.ici_fit import IciObjective, goodness, stored_fit


def summarise(rows: list[dict[str, float]]) -> dict[str, tuple[float, float, float, float]]:
    """Mean, SD (ddof 1; nan for one row), min and max of each key over the rows."""
    out = {}
    for k in rows[0]:
        x = np.array([r[k] for r in rows])
        sd = float(x.std(ddof=1)) if len(x) > 1 else float("nan")
        out[k] = (float(x.mean()), sd, float(x.min()), float(x.max()))
    return out


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress in logs
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5])
    a = ap.parse_args()
    if a.n < 3:
        raise SystemExit(f"--n must be >= 3 virtual patients, got {a.n}")
    values = {p["parameter"]: p["best"] for p in stored_fit()["parameters"]}
    rows = []
    for seed in a.seeds:
        obj = IciObjective(n=a.n, seed=seed)
        sim = obj.statistics(values)
        g = goodness(sim, obj.target)
        rows.append({"nllh": g["nllh"], **{k: 0.5 * v for k, v in g["terms"].items()}})
        r = sim["recist"]
        print(
            f"n {a.n} seed {seed}: nllh {g['nllh']:.2f}, ORR {100 * sim['orr']:.1f} % "
            f"(CR/PR/SD/PD {r['CR']}/{r['PR']}/{r['SD']}/{r['PD']} of {sim['n']})"
        )
        print("   " + ", ".join(f"{k} {v:.2f}" for k, v in rows[-1].items() if k != "nllh"))
    print(f"over {len(rows)} seeds (n {a.n}; terms as their share of the nllh, deviance / 2):")
    for k, (mean, sd, lo, hi) in summarise(rows).items():
        print(f"{k:>26}: mean {mean:.2f}  SD {sd:.2f}  range {lo:.2f}-{hi:.2f}")


if __name__ == "__main__":
    main()
