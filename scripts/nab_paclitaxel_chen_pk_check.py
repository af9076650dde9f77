"""Chen 2014's own nab-paclitaxel PK-PD beside the library's use of its neutropenia slope.

Until session 49 the library drove the Friberg chain (therapy.toxicity) with Chen's slope
(0.00253 per ng/mL) on its own linear one-compartment PK (drugs.yaml: Sparreboom 2005, t1/2
21.6 h, V 663.8 L/m2; "lib" below), while Chen fitted the slope on a saturable three-compartment
PK, which now drives the chain (drugs.yaml myelosuppression.pk) (nlmixr2lib
Chen_2014_nab_paclitaxel: V1 15.8 L, V2 1650 L, V3 75.4 L, Q2 41.6 L/h, VMTR 325000 ug/h,
KMTR 4260 ug/L, VMEL 8070 ug/h x (ALB/3.9)^0.554, KMEL 40.2 ug/L; dose in ug = mg/m2 x BSA x
1000, 30-min infusion; PD on the central plasma concentration, ug/L = ng/mL). This solves the
typical patient of both (age < 65, albumin 3.9 g/dL, BSA 1.8 m2 for Chen) for three regimens,
prints plasma Cmax, AUC over the cycle, the ANC nadir and its day, and the slope on the
library's PK that gives Chen's own nadir at each regimen (a diagnostic: nothing is written).

    python scripts/nab_paclitaxel_chen_pk_check.py [--bsa 1.8] [--albumin 3.9]
"""

from __future__ import annotations

import argparse
import itertools
import math

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

#: Chen 2014 Table 2 typical values as encoded in nlmixr2lib (ug, L, h; ANC in 10^9/L)
CHEN = {
    "vc": 15.8,
    "vp": 1650.0,
    "vp2": 75.4,
    "q2": 41.6,
    "vmtr": 325000.0,
    "kmtr": 4260.0,
    "vmax": 8070.0,
    "kmel": 40.2,
    "mtt": 117.0,
    "slope": 0.00253,
    "base": 4.28,
    "gamma": 0.187,
}
LIB_HALF_LIFE_H = 21.6  # drugs.yaml nab-paclitaxel
LIB_VOLUME_L_M2 = 663.8
INFUSION_H = 0.5
#: name -> (mg/m2 per dose, dose times in h, cycle length in h)
REGIMENS = {
    "260 mg/m2 q3w": (260.0, (0.0,), 504.0),
    "100 mg/m2 d0,7,14": (100.0, (0.0, 168.0, 336.0), 672.0),
    "125 mg/m2 d0,7,14": (125.0, (0.0, 168.0, 336.0), 672.0),
}


def chen_params(albumin: float) -> dict[str, float]:
    """Chen's typical patient (age < 65) at an albumin in g/dL (VMEL and baseline ANC)."""
    p = dict(CHEN)
    p["vmax"] *= (albumin / 3.9) ** 0.554
    p["base"] *= (albumin / 4.0) ** -0.998
    return p


def _friberg(y: np.ndarray, conc: float, p: dict[str, float]) -> list[float]:
    """Friberg chain derivatives (Prol, T1-T3, Circ) at a plasma concentration in ng/mL."""
    prol, t1, t2, t3, circ = y
    ktr = 4.0 / p["mtt"]
    fb = (p["base"] / max(circ, 1e-9)) ** p["gamma"]
    return [
        ktr * prol * (1.0 - p["slope"] * conc) * fb - ktr * prol,
        ktr * (prol - t1),
        ktr * (t1 - t2),
        ktr * (t2 - t3),
        ktr * (t3 - circ),
    ]


def _chen_rhs(t: float, y: np.ndarray, p: dict[str, float], rate: float) -> list[float]:
    """Chen's saturable 3-compartment PK (ug) with the Friberg chain; ``rate`` in ug/h."""
    cc, cp1, cp2 = y[0] / p["vc"], y[1] / p["vp"], y[2] / p["vp2"]
    mtr = p["vmtr"] * cc / (p["kmtr"] + cc) - p["vmtr"] * cp1 / (p["kmtr"] + cp1)
    el = p["vmax"] * cc / (p["kmel"] + cc)
    q = p["q2"] * (cc - cp2)
    return [rate - el - mtr - q, mtr, q, *_friberg(y[3:], cc, p)]


def _lib_rhs(t: float, y: np.ndarray, p: dict[str, float], k: float) -> list[float]:
    """The library's one-compartment PK (ng/mL, bolus doses) with the Friberg chain."""
    return [-k * y[0], *_friberg(y[1:], y[0], p)]


def _run(rhs, y0, p, segments, dose_step) -> tuple[np.ndarray, np.ndarray]:
    """Integrate ``rhs`` over (start, end, extra) segments; ``dose_step`` adjusts y at starts."""
    ts, ys, y = [], [], np.asarray(y0, dtype=float)
    for a, b, extra in segments:
        y = dose_step(a, y)
        grid = np.linspace(a, b, max(3, int((b - a) / 0.05) + 1))
        sol = solve_ivp(
            rhs, (a, b), y, args=(p, extra), method="LSODA", rtol=1e-8, atol=1e-10, t_eval=grid
        )
        ts.append(sol.t[:-1])
        ys.append(sol.y[:, :-1])
        y = sol.y[:, -1]
    ts.append(np.array([segments[-1][1]]))
    ys.append(y[:, None])
    return np.concatenate(ts), np.concatenate(ys, axis=1)


def chen_course(p: dict[str, float], dose: float, times, end: float, bsa: float):
    """(time h, plasma ng/mL, ANC 10^9/L) of Chen's model for a regimen."""
    rate = dose * bsa * 1000.0 / INFUSION_H
    edges = sorted({0.0, end, *times, *(t + INFUSION_H for t in times)})
    segments = [
        (a, b, rate if any(t <= a < t + INFUSION_H for t in times) else 0.0)
        for a, b in itertools.pairwise(edges)
    ]
    t, y = _run(_chen_rhs, [0.0, 0.0, 0.0] + [p["base"]] * 5, p, segments, lambda a, y: y)
    return t, y[0] / p["vc"], y[7]


def lib_course(p: dict[str, float], dose: float, times, end: float):
    """(time h, plasma ng/mL, ANC 10^9/L) of the library's PK with Chen's chain and slope."""
    k = math.log(2) / LIB_HALF_LIFE_H
    c0 = dose / LIB_VOLUME_L_M2 * 1000.0
    edges = sorted({0.0, end, *times})
    segments = [(a, b, k) for a, b in itertools.pairwise(edges)]

    def bolus(a: float, y: np.ndarray) -> np.ndarray:
        y = y.copy()
        y[0] += c0 if a in times else 0.0
        return y

    t, y = _run(_lib_rhs, [0.0] + [p["base"]] * 5, p, segments, bolus)
    return t, y[0], y[5]


def _row(t: np.ndarray, c: np.ndarray, anc: np.ndarray) -> dict[str, float]:
    i = int(np.argmin(anc))
    return {"cmax": c.max(), "auc": np.trapezoid(c, t), "nadir": anc[i], "day": t[i] / 24}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bsa", type=float, default=1.8, help="m2, Chen's dose in ug (default 1.8)")
    ap.add_argument("--albumin", type=float, default=3.9, help="g/dL (default 3.9)")
    args = ap.parse_args()
    p = chen_params(args.albumin)
    chen = {n: _row(*chen_course(p, d, ts, e, args.bsa)) for n, (d, ts, e) in REGIMENS.items()}
    lib = {n: _row(*lib_course(p, d, ts, e)) for n, (d, ts, e) in REGIMENS.items()}
    print(f"typical patient: albumin {args.albumin} g/dL, baseline ANC {p['base']:.3f}e9/L")
    print("regimen            model  Cmax ng/mL  AUC ng.h/mL  nadir e9/L  day")
    for n in REGIMENS:
        for label, r in (("Chen", chen[n]), ("lib", lib[n])):
            print(
                f"{n:18s} {label:5s} {r['cmax']:10.0f} {r['auc']:12.0f} {r['nadir']:11.3f}"
                f" {r['day']:5.1f}"
            )
    for target, (d, ts, e) in REGIMENS.items():

        def gap(s: float, d=d, ts=ts, e=e, target=target) -> float:
            return lib_course({**p, "slope": s}, d, ts, e)[2].min() - chen[target]["nadir"]

        s = brentq(gap, 1e-4, 0.02, xtol=1e-9)
        nadirs = ", ".join(
            f"{n}: {lib_course({**p, 'slope': s}, *REGIMENS[n])[2].min():.3f}"
            f" (Chen {chen[n]['nadir']:.3f})"
            for n in REGIMENS
        )
        print(f"slope on library PK matching Chen at {target}: {s * 1000:.3f} L/mg -> {nadirs}")


if __name__ == "__main__":
    main()
