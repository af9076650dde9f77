"""Escape of therapy-induced senescent cancer cells back into the cycle: a what-if (session 29 esc).

In qsp.yaml senescent cells (``Se``, ``Sl``, ``Sd``) never divide again: they leave only by
death and clearance. Roberson 2005 (Cancer Res 65:2795, abstract; docs/quantitative-sources.yaml
``tis_escape_fraction_h1299_roberson2005``) measured the one per-cell escape number found: "After
10 to 21 days, infrequent ACS cells (1 in 10(6)) can bypass replicative arrest and reenter cell
cycle" (p53-null, p16-deficient H1299 NSCLC cells after chemotherapy). As a first-order rate,
-ln(1 - 1e-6) / D = 1.0e-7/day (D 10 days) to 4.8e-8/day (D 21 days). The prototype adds, in
memory only (no adoption is decided on it):

* ``k_sen_esc`` (derived from that fraction; 1.0e-7/day by default, the faster reading);
* ``sen_escape = k_sen_esc x Sce`` with ``Se -1, Sce -1, C +1``: only early (p21-high) senescent
  cells of cancer origin escape. ``Sl`` / ``Sd`` are p16-high, the arm whose reinforcement blocks
  proliferative escape (Beausejour 2003 via aging_wiki); stromal and HLA-invisible senescent
  cells are not in ``Sce``.

It reports every validation verdict that changes (all tiers, fast engine, the ``senotwin
validate`` cases), the untreated aged-lung net volume doubling at the shipped ``k_grow`` and the
default scenario's chemotherapy course (nadir, regain of the day-0 volume, day 365):

    python scripts/sen_escape_prototype.py [--rate 1e-7] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from senotwin.analysis.validation import run_validation
from senotwin.model import qsp, vaccine
from senotwin.model.spec import ModelSpec
from senotwin.sim.options import SolverOptions
from senotwin.sim.scenario import run_scenario
from senotwin.sim.tissue_growth import first_doubling

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cd8_contraction_prototype as contraction  # sibling script: the loader patch

PARAMETER = "k_sen_esc"
PROCESS = "sen_escape"
FRACTION = 1.0e-6  # Roberson 2005: 1 in 1e6 ACS cells re-enter the cycle ...
DAYS = (10.0, 21.0)  # ... after 10 to 21 days
RATE = -np.log1p(-FRACTION) / DAYS[0]  # 1/day, the faster reading (1.0e-7)
DAY_GRID = np.arange(0.0, 366.0)


def escaped(spec: ModelSpec, rate: float = RATE) -> ModelSpec:
    """``spec`` plus ``k_sen_esc`` and ``sen_escape`` (Sce back to C); nothing else changes."""
    data = spec.model_dump()
    data["parameters"] = [
        *data["parameters"],
        {
            "id": PARAMETER,
            "name": "re-entry of early senescent cancer cells into the cycle (what-if)",
            "value": rate,
            "unit": "1/day",
            "range": [0.0, 1.0e-3],
            "provenance": {
                "kind": "derived",
                "sources": ["tis_escape_fraction_h1299_roberson2005"],
                "formula": "-ln(1 - 1e-6) / 10 days (1 in 1e6 H1299 ACS cells after 10-21 days)",
            },
        },
    ]
    data["processes"] = [
        *data["processes"],
        {
            "id": PROCESS,
            "expression": f"{PARAMETER} * Sce",
            "stoichiometry": {"Se": -1, "Sce": -1, "C": 1},
            "description": "what-if (session 29 esc): early senescent cancer cells re-enter C",
        },
    ]
    return ModelSpec.model_validate(data)


def patch(transform: Callable[[ModelSpec], ModelSpec] | None) -> None:
    """Every model loader of this process returns ``transform(shipped)`` (None: shipped)."""
    contraction.patch_loaders(transform)
    vaccine.load_vaccine_qsp.cache_clear()


def install(rate: float = RATE) -> None:
    """Make this process's model loaders return the prototype."""
    patch(lambda spec: escaped(spec, rate))


def uninstall() -> None:
    """Back to the shipped model (tests)."""
    patch(None)


def escaping() -> bool:
    """The loaded model carries the escape process."""
    return PROCESS in {p.id for p in qsp.load_qsp().processes}


def verdicts() -> dict[str, dict[str, Any]]:
    """Tier, verdict and effect of every shipped validation case (fast engine)."""
    report = run_validation()
    return {r.id: {"tier": r.tier, "passed": r.passed, "effect": r.effect} for r in report.results}


def courses() -> dict[str, float]:
    """Untreated aged-lung net doubling (days) and the default chemotherapy course's volumes."""
    solver = SolverOptions(engine="fast", t_eval=DAY_GRID)
    untreated = run_scenario("aged_lung_untreated", days=365.0, solver=solver).table
    chemo = run_scenario("default", days=365.0, solver=solver).table
    v = chemo["V_T"].to_numpy()
    low = int(np.argmin(v))
    back = np.nonzero(v[low:] >= v[0])[0]
    sce = chemo["Sce"].to_numpy()
    rate = float(qsp.load_qsp().parameter(PARAMETER).value) if escaping() else 0.0
    return {
        "untreated_net_doubling_days": first_doubling(
            DAY_GRID, untreated["V_T"].to_numpy(), qsp.NET_START
        ),
        "untreated_V_T_day365_mL": float(untreated["V_T"].iloc[-1]),
        "chemo_V_T_day0_mL": float(v[0]),
        "chemo_nadir_mL": float(v[low]),
        "chemo_nadir_day": float(DAY_GRID[low]),
        "chemo_regain_day0_volume_day": float(DAY_GRID[low + back[0]]) if back.size else np.inf,
        "chemo_V_T_day365_mL": float(v[-1]),
        "chemo_Sce_max_cells": float(chemo["Sce"].max()),
        "chemo_escaped_cells_year": rate * float(np.sum((sce[1:] + sce[:-1]) / 2.0)),
    }


def changes(base: dict[str, dict[str, Any]], proto: dict[str, dict[str, Any]]) -> list[str]:
    """One line per case whose verdict differs, and the five largest relative effect shifts."""
    flips = [
        f"VERDICT {cid} ({b['tier']}): {b['passed']} -> {proto[cid]['passed']}"
        for cid, b in base.items()
        if proto[cid]["passed"] != b["passed"]
    ]
    shifts = sorted(
        (
            (abs(proto[c]["effect"] - b["effect"]) / max(abs(b["effect"]), 1e-300), c)
            for c, b in base.items()
            if np.isfinite(b["effect"]) and np.isfinite(proto[c]["effect"])
        ),
        reverse=True,
    )[:5]
    return flips + [f"relative effect change {d:.3g}: {c}" for d, c in shifts]


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=RATE, help="k_sen_esc 1/day (0-1e-3)")
    ap.add_argument("--json", type=Path, help="write both runs here")
    a = ap.parse_args(argv)
    if not 0.0 <= a.rate <= 1.0e-3:
        raise SystemExit(f"--rate {a.rate:g}: allowed 0 to 1e-3/day (k_sen_esc's range)")
    t0 = time.perf_counter()
    base: dict[str, Any] = {"verdicts": verdicts(), "courses": courses()}
    install(a.rate)
    proto: dict[str, Any] = {"verdicts": verdicts(), "courses": courses()}
    uninstall()
    print(f"prototype: {PARAMETER} = {a.rate:.3g}/day on Sce (Roberson 2005)")
    lines = changes(base["verdicts"], proto["verdicts"])
    if not any(line.startswith("VERDICT") for line in lines):
        print("no verdict changes (all tiers)")
    print("\n".join(lines))
    for key, value in base["courses"].items():
        print(f"{key}: shipped {value:.6g}, prototype {proto['courses'][key]:.6g}")
    print(f"run time {time.perf_counter() - t0:.0f} s")
    if a.json:
        a.json.write_text(json.dumps({"rate": a.rate, "shipped": base, "prototype": proto}))


if __name__ == "__main__":
    main()
