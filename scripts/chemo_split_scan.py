"""Which senescent/killed split of a chemotherapy course lets the model follow the measured size
course? (issue 13)

The Claret 2014 MONET1 fit (quantitative-sources tgi_kill_nsclc_platinum_doublet: carboplatin
AUC 6 + paclitaxel 200 mg/m2 q3w, first-line nonsquamous NSCLC) gives the typical course of the
*measured* sum of diameters, TS(t)/BASE = exp(KL t - KDE/lambda (1 - exp(-lambda t))). The
model's lesion diameter counts live, senescent and dead cells, so how much of a course's loss
the scan sees depends on where the removed cells go: dead cells leave at ``k_clear_dead``,
senescent ones at the saturable innate removal. This script runs virtual NSCLC patients with
KEYNOTE-189's *baseline* (no trial outcome is used) under that regimen, with the share ``s`` of
a course's removed cells that become senescent (``k_tis / (k_tis + k_cyto)``) and the per-course
loss ``(k_tis + k_cyto) / d_stress`` at the cited 0.649 times ``f``, and prints the median
measured diameter ratio at days 42-252 next to the Claret course, the median nadir day and the
median ln of the live cancer cells' ratio at day 56 (what the scan would see without senescent
and dead cells).
Both parameters enter as the population's centre (each patient keeps the prior spread). A scan,
not a fit: docs/trials.md reports it.

    python scripts/chemo_split_scan.py [--n 40] [--split 0 0.33 0.66] [--factor 1 2]
"""

from __future__ import annotations

import argparse
import math
import tempfile
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from chemo_tgi_check import KDE, KL, LAMBDA, REGIMEN  # the Claret 2014 course, one place

from senotwin.cohort.runner import CohortArm, run_cohort
from senotwin.cohort.store import load_rows
from senotwin.model.readouts import readouts_for
from senotwin.trial.library import get_trial
from senotwin.trial.run import trial_config

DAYS = (42.0, 56.0, 84.0, 126.0, 168.0, 252.0)
LOSS_PER_COURSE = 3 * KDE * 21.0  # ln units of volume per standard course (k_cyto's formula)


def claret(t: float) -> float:
    """The typical measured size ratio of the Claret 2014 fit at day ``t``."""
    return math.exp(KL * t - KDE / LAMBDA * (1.0 - math.exp(-LAMBDA * t)))


@dataclass(frozen=True)
class _Course:
    """Reducer: measured diameter ratios at DAYS and the day of the diameter nadir."""

    def __call__(self, result: Any) -> dict[str, Any]:
        table = result.table
        t = table["time"].to_numpy()
        d = readouts_for(table).diameter(table)
        out = {f"r{int(x)}": float(np.interp(x, t, d) / d[0]) for x in DAYS}
        live = (table["C"] + table["Ci"]).to_numpy()
        live_56 = float(np.interp(56.0, t, live) / live[0])
        return {**out, "nadir_day": float(t[np.argmin(d)]), "live56": live_56}

    def empty(self) -> dict[str, Any]:
        return {**{f"r{int(x)}": math.nan for x in DAYS}, "nadir_day": math.nan, "live56": math.nan}

    def describe(self) -> str:
        return "diameter ratios and nadir day"


def run(split: float, factor: float, n: int, seed: int, d_stress: float) -> dict[str, float]:
    """Medians over ``n`` patients with the course's split ``split`` and loss x ``factor``."""
    total = factor * LOSS_PER_COURSE * d_stress
    centre = {"k_tis": split * total, "k_cyto": (1.0 - split) * total}
    trial = get_trial("keynote189")
    cfg = trial_config(trial, n, seed=seed)
    members = cfg.ensemble or ((),)
    ensemble = tuple(tuple((dict(m) | centre).items()) for m in members)
    arm = CohortArm("cp", text=REGIMEN, language=REGIMEN)
    cfg = replace(cfg, arms=(arm,), t_end=365.0, ensemble=ensemble)
    with tempfile.TemporaryDirectory() as tmp:
        run_cohort(cfg, tmp, reducer=_Course(), workers=1, processes=False)
        rows = load_rows(tmp)
    ok = rows[rows["status"] == "success"]
    cols = [f"r{int(x)}" for x in DAYS] + ["nadir_day", "live56"]
    return {c: float(ok[c].median()) for c in cols}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--split", type=float, nargs="+", default=[0.0, 0.33, 0.66])
    ap.add_argument("--factor", type=float, nargs="+", default=[1.0])
    ap.add_argument("--d-stress", type=float, default=0.35)
    args = ap.parse_args()
    head = "  ".join(f"d{int(x):>4}" for x in DAYS)
    print(f"{'split':>5} {'factor':>6}  {head}  nadir  ln live d56")
    ref = "  ".join(f"{claret(x):5.3f}" for x in DAYS)
    ttn = (math.log(KDE) - math.log(KL)) / LAMBDA
    print(f"{'Claret':>12}  {ref}  {ttn:5.0f}")
    for s in args.split:
        for f in args.factor:
            m = run(s, f, args.n, args.seed, args.d_stress)
            vals = "  ".join(f"{m[f'r{int(x)}']:5.3f}" for x in DAYS)
            live = math.log(m["live56"])
            print(f"{s:5.2f} {f:6.2f}  {vals}  {m['nadir_day']:5.0f}  {live:6.2f}", flush=True)


if __name__ == "__main__":
    main()
