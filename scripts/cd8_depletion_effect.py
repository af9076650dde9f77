"""Measured effect of CD8 depletion on EMT6 growth (Mariathasan 2018), for the consistency case
cd8_loss_speeds_growth (docs/validation.md, session 14).

Per mouse, the net growth rate is the least-squares slope of ln(volume) against day over the
first DAYS days (days with a placeholder floor volume are dropped). The ED Fig. 5i study has
no untreated depleted arm: its CD8-depleted arm also got anti-PD-L1 + anti-TGF-beta, which act
through CD8 T cells, so it is compared with the isotype arm of the Fig. 4a study (same EMT6
model, another study: a cross-study contrast). Prints per arm the mice, the mean and sd of the
rates, and the CD8-dependent share 1 - r_isotype / r_depleted of the depleted growth rate; then
the same rates of the model at the shipped EMT6 fit (ln of the model volume ratio over the window).

    python scripts/cd8_depletion_effect.py [--days 8]
"""

from __future__ import annotations

import argparse

import numpy as np

from senotwin.calibrate import Objective, get_problem
from senotwin.calibrate.mouse_data import mariathasan2018
from senotwin.calibrate.mouse_report import model_volumes
from senotwin.calibrate.shipped import load_shipped_fit

ARMS = (
    ("Fig. 4a", "isotype"),
    ("Extended Data Fig. 5i", "combination"),
    ("Extended Data Fig. 5i", "combination_cd8_depleted"),
)


def rates(panel: str, arm: str, days: float) -> np.ndarray:
    """Per-mouse slopes of ln(volume) over day 0..days (1/day)."""
    t = mariathasan2018()
    t = t[(t["panel"] == panel) & (t["arm"] == arm) & (t["day"] <= days) & (t["at_floor"] == 0)]
    out = []
    for _, m in t.groupby("mouse"):
        if len(m) >= 3:
            out.append(np.polyfit(m["day"].to_numpy(float), np.log(m["volume_mm3"]), 1)[0])
    return np.array(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=8.0, help="window from day 0 (default 8)")
    days = ap.parse_args().days
    mean = {}
    for panel, arm in ARMS:
        r = rates(panel, arm, days)
        mean[arm] = float(r.mean())
        sd = r.std(ddof=1)
        print(f"{panel:24s} {arm:26s} mice {len(r):2d}  rate {r.mean():.3f} sd {sd:.3f}/day")
    share = 1.0 - mean["isotype"] / mean["combination_cd8_depleted"]
    print(f"CD8-dependent share of the depleted growth rate (cross-study): {share:.2f}")
    problem = get_problem("mariathasan2018")
    shipped = load_shipped_fit(problem)
    if shipped is None:
        return
    vols = model_volumes(Objective(problem), shipped.fit.best, (0.0, days))
    model = {arm: float(np.log(v[days] / v[0.0]) / days) for arm, v in vols.iterrows()}
    for _, arm in ARMS:
        print(f"model (shipped fit)      {arm:26s}          rate {model[arm]:.3f}/day")
    share = 1.0 - model["isotype"] / model["combination_cd8_depleted"]
    print(f"model CD8-dependent share of the depleted growth rate: {share:.2f}")


if __name__ == "__main__":
    main()
