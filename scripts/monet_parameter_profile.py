"""Profile one model parameter on MONET1's measured size course (d_stress, s refitted).

Diagnosis only: which values of a parameter held fixed by the chemotherapy calibration the
measured course allows. At each value V of ``--parameter`` (held in both arms, with
``k_clear_dead`` at the measured ``--k-clear-dead``), ``scripts/stress_decay_profile.py``'s
problem refits the exposure decay ``d_stress`` and the senescent share ``s`` of a course's
removed cells by least squares against the Claret 2014 MONET1 drug effect on the diameter (18
weekly points; the typical patient of ``--trial``, no outcome used). The profile statistic is
n/2 ln(SSE / SSE_min) over the scanned values, and the 95 % ends (1.92) are interpolated in
log V between grid points; an end the grid does not close is reported open. No value is
written anywhere.

    python scripts/monet_parameter_profile.py --parameter K_sen_sat \\
        --values 2e5 5e5 1e6 2e6 4e6 7e6 1e7 1.4e7 2e7 3e7 5e7 7e7 1e8 [--trial keynote189]
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from chemo_split_fit import CITED_LOSS, DAYS, trial_patient
from stress_decay_profile import CHI2_95, StressProblem


def refit(scenario: str, held: dict[str, float], k_clear_dead: float) -> tuple[float, float, float]:
    """(d_stress, s, SSE) of the MONET1 fit with ``held`` in both arms."""
    sp = StressProblem(scenario, "fast", held)
    starts = [(0.1, 0.2), (0.2, 0.3), (0.35, 0.33), (0.08, 0.05)]
    fits = [
        sp.fit([math.log(d), math.log(s / (1 - s))], {"k_clear_dead": k_clear_dead})
        for d, s in starts
    ]
    best, sse = min(fits, key=lambda f: f[1])
    return best["d_stress"], best["s"], sse


def ends(values: list[float], excess: list[float]) -> tuple[str, str]:
    """The 95 % ends: where the excess crosses 0 on each side of the minimum (log-linear)."""
    i = int(np.argmin(excess))
    out = []
    for step in (-1, 1):
        j = i
        while 0 <= j + step < len(values) and excess[j + step] <= 0:
            j += step
        k = j + step
        if not 0 <= k < len(values):
            out.append("open")
            continue
        a, b = math.log(values[j]), math.log(values[k])
        frac = excess[j] / (excess[j] - excess[k])
        out.append(f"{math.exp(a + frac * (b - a)):.3g}")
    return out[0], out[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parameter", required=True)
    ap.add_argument("--values", type=float, nargs="+", required=True)
    ap.add_argument("--trial", default="keynote189")
    ap.add_argument("--k-clear-dead", type=float, default=8.0)
    args = ap.parse_args()
    values = sorted(args.values)
    scenario, other = trial_patient(args.trial)
    rows = [refit(scenario, other | {args.parameter: v}, args.k_clear_dead) for v in values]
    sse_min = min(r[2] for r in rows)
    n = len(DAYS)
    excess = [n / 2 * math.log(r[2] / sse_min) - CHI2_95 for r in rows]
    print(f"{args.parameter} on MONET1 ({args.trial} typical patient, k_clear_dead held)")
    print("value | d_stress /day | s | k_tis /day | SSE | excess over 95 %")
    for v, (ds, s, sse), e in zip(values, rows, excess, strict=True):
        k_tis = s * ds * CITED_LOSS
        print(f"{v:.3g} | {ds:.4f} | {s:.4f} | {k_tis:.5f} | {sse:.6f} | {e:+.2f}")
    lo, hi = ends(values, excess)
    print(f"minimum at {values[int(np.argmin(excess))]:.3g} on this grid; 95 %: {lo} - {hi}")


if __name__ == "__main__":
    main()
