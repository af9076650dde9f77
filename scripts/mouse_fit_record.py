"""Record the shipped Mariathasan 2018 fits per arm, and draw them over the per-mouse data.

Usage: python scripts/mouse_fit_record.py
Reads the shipped fit results of ``mariathasan2018`` (EMT6) and ``mariathasan2018_mc38`` (MC38;
both written by scripts/calibration_results.py), adds the per-arm goodness of fit and held-back
prediction (senotwin.calibrate.mouse_report.arm_summary) and writes
src/senotwin/calibrate/data/mariathasan2018/fit.json, plus the figures
docs/figures/mouse_emt6_fit.png and docs/figures/mouse_mc38_fit.png. The best values must be
the ones shipped in model/qsp.py (MOUSE_EMT6_FIT, MOUSE_EMT6_C0) and model/mouse_mc38.py
(MOUSE_MC38_FIT, MOUSE_MC38_C0); tests/calibrate check that they are.
"""

from __future__ import annotations

import json
from pathlib import Path

from senotwin._io import atomic_write_text
from senotwin.calibrate import Objective, get_problem
from senotwin.calibrate.mouse_report import DATASETS, MC38_DATASETS, arm_summary, plot_fit
from senotwin.calibrate.shipped import load_shipped_fit

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src/senotwin/calibrate/data/mariathasan2018/fit.json"
FIGURES = {
    "mariathasan2018": ("mouse_emt6_fit.png", DATASETS, None),
    "mariathasan2018_mc38": (
        "mouse_mc38_fit.png",
        MC38_DATASETS,
        "MC38 (Mariathasan 2018 ED Fig. 5n): growth fitted on the isotype arm (blue); anti-PD-L1 "
        "and combination predicted with the EMT6-calibrated immune values (red); grey = mice",
    ),
}


def main() -> int:
    record: dict[str, object] = {"data_set": "mariathasan2018", "problems": {}}
    for name, (png, datasets, title) in FIGURES.items():
        problem = get_problem(name)
        shipped = load_shipped_fit(problem)
        if shipped is None:
            raise SystemExit(f"no shipped fit of {name}: run scripts/calibration_results.py")
        best = dict(shipped.fit.best)
        objective = Objective(problem)
        summary = arm_summary(objective, best)
        record["problems"][name] = {  # type: ignore[index]
            "best": best,
            "nllh": shipped.fit.nllh,
            "starts": len(shipped.fit.starts),
            "starts_at_best": shipped.fit.converged,
            "command": shipped.design.get("command", ""),
            "arms": summary.to_dict(orient="records"),
        }
        kw = {"datasets": datasets} | ({"title": title} if title else {})
        plot_fit(objective, best, str(ROOT / "docs/figures" / png), **kw)  # type: ignore[arg-type]
        print(name)
        print(summary.to_string())
    atomic_write_text(OUT, json.dumps(record, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
