"""Diagnose the CD8 arm of the physical-units model in the human contexts (issue 11, immune arm).

For each untreated human context (and ``default``) prints, at one day: effector and exhausted
CD8 densities in the lesion (cells/mm^3 and, for comparison with immunohistochemistry, cells/mm^2
of a section), cancer cells killed per effector per day, the share of CD8 function PD-1 removes,
MDSC suppression, and the one-year lesion-volume change when CD8 T cells are removed or tumour
PD-L1 is 90 % occupied. The table in docs/qsp-model.md ("Immune arm: diagnosis") comes from here.

    python scripts/immune_diagnosis.py [--day 180] [--section-um 4]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from senotwin.model.qsp import load_qsp
from senotwin.sim.options import SolverOptions
from senotwin.sim.scenario import run_scenario

CONTEXTS = (
    "aged_lung_untreated",
    "young_lung_untreated",
    "default",
    "aged_breast_untreated",
    "aged_colorectal_untreated",
    "aged_melanoma_untreated",
)
DAYS = 365


def _run(name: str, blocks: dict[str, float] | None = None) -> pd.DataFrame:
    grid = np.arange(DAYS + 1, dtype=float)
    res = run_scenario(
        name, blocks=blocks, days=float(DAYS), solver=SolverOptions(engine="fast", t_eval=grid)
    )
    if not res.ok:
        raise SystemExit(f"{name}: {res.message}")
    return res.table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--day", type=int, default=180)
    ap.add_argument(
        "--section-um",
        type=float,
        default=4.0,
        help="section thickness for the areal density (Abercrombie: N_A = N_V (t + D))",
    )
    args = ap.parse_args()
    p = {q.id: q.value for q in load_qsp().parameters}
    d_t_um = 2.0 * float(np.sqrt(p["A_T"] / (4.0 * np.pi)))  # T-cell diameter from its area
    depth_mm = (args.section_um + d_t_um) / 1000.0
    print(
        f"day {args.day}; areal density = volumetric x ({args.section_um:g} um section + "
        f"{d_t_um:.2f} um T cell)"
    )
    print(
        "| context | effector CD8 /mm3 (/mm2) | exhausted /mm3 (/mm2) | kill per effector /day "
        "| PD-1 share of function lost | MDSC function left | no CD8: V 1 y "
        "| anti-PD-L1 90 %: V 1 y |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name in CONTEXTS:
        t = _run(name)
        r = t.iloc[args.day]
        vol_mm3 = r["V_T"] * 1000.0
        t8, t8x = r["T8"] / vol_mm3, r["T8x"] / vol_mm3
        targets = r["C"] + r["Se"] + r["Sl"] + r["Sd"] + r["T8"]
        kill = p["k_kill"] * r["pd1_function"] * r["mdsc_supp"] * r["tgfb_supp"] * r["C"] / targets
        no_cd8 = _run(name, {"CD8_T_CELL": 1.0})["V_T"].iloc[-1] / t["V_T"].iloc[-1] - 1
        pdl1 = _run(name, {"CD274": 0.9})["V_T"].iloc[-1] / t["V_T"].iloc[-1]
        print(
            f"| {name} | {t8:,.0f} ({t8 * depth_mm:,.0f}) | {t8x:,.0f} ({t8x * depth_mm:,.0f}) "
            f"| {kill:.3f} | {r['H_PD1']:.3f} | {r['mdsc_supp']:.2f} | {no_cd8:+.1%} "
            f"| x{pdl1:.3f} |"
        )


if __name__ == "__main__":
    main()
