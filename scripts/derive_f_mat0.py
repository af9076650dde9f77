"""Re-solve f_mat0 at its CD8-density calibration point (issue 11; session 17).

f_mat0's calibration (qsp.yaml provenance) is one point: the mean tumour-specific CD8 density
(T8 + T8x + T8r + T8t) / V_T of the untreated ``default`` lesion over months 6-12 at
8.49e6 /mL (the tumour-reactive share s = 0.28 of the measured lung-adenocarcinoma CD8 density).
The density is no longer linear in f_mat0 (DC-limited priming, untreated kill feedback), so this
solves it by Brent on ln f_mat0 instead of the old closed form. ``--set NAME=VALUE`` holds other
values (a what-if, nothing written).

    python scripts/derive_f_mat0.py [--target 8.49e6] [--set k_clear_dead=8]
"""

from __future__ import annotations

import argparse
import math

from scipy.optimize import brentq

from senotwin.model.scenarios import get_scenario
from senotwin.sim.simulate import simulate

TARGET = 8.49e6  # tumour-specific CD8 per mL (qsp.yaml f_mat0 provenance, s = 0.28)


def density(f_mat0: float, params: dict[str, float]) -> float:
    """Months 6-12 mean tumour-specific CD8 density of the untreated default lesion (/mL)."""
    spec = get_scenario("default").load()
    t = simulate(
        spec, t_end=365.0, params=params | {"f_mat0": f_mat0}, engine="fast", check_ranges=False
    ).table
    window = (t.time >= 182.5) & (t.time <= 365.0)
    return float(((t.T8 + t.T8x + t.T8r + t.T8t) / t.V_T)[window].mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", type=float, default=TARGET)
    ap.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE")
    args = ap.parse_args()
    params = {k: float(v) for k, v in (p.split("=", 1) for p in args.set)}
    shipped = get_scenario("default").load().parameter("f_mat0").value
    print(f"shipped f_mat0 {shipped:.4g}: density {density(shipped, params):.4g}/mL")
    root = math.exp(
        brentq(
            lambda x: math.log(density(math.exp(x), params) / args.target),
            math.log(shipped / 3),
            math.log(shipped * 3),
            xtol=1e-4,
        )
    )
    reached = density(root, params)
    print(f"f_mat0 root {root:.5g} (density {reached:.4g}/mL, target {args.target:.4g})")


if __name__ == "__main__":
    main()
