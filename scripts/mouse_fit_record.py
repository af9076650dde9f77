"""Record a ``senotwin calibrate --problem mariathasan2018 --out DIR`` run as the shipped fit.

Usage: python scripts/mouse_fit_record.py DIR [--png PATH]
Reads DIR/fit.json (written by the command), adds the per-arm goodness of fit and held-back
prediction (senotwin.calibrate.mouse_report.arm_summary) and writes
src/senotwin/calibrate/data/mariathasan2018/fit.json and the figure of the fitted and predicted
curves over the per-mouse data (default docs/figures/mouse_emt6_fit.png). Copy the best values
into model/qsp.py (MOUSE_EMT6_FIT, MOUSE_EMT6_C0) to ship them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from senotwin._io import atomic_write_text
from senotwin.calibrate import Objective, get_problem
from senotwin.calibrate.mouse_report import arm_summary, plot_fit

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src/senotwin/calibrate/data/mariathasan2018/fit.json"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("run", type=Path, help="--out directory of senotwin calibrate")
    ap.add_argument("--png", default=str(ROOT / "docs/figures/mouse_emt6_fit.png"))
    args = ap.parse_args()
    record = json.loads((args.run / "fit.json").read_text(encoding="utf-8"))
    best = {r["parameter"]: float(r["best"]) for r in record["parameters"]}
    objective = Objective(get_problem("mariathasan2018"))
    summary = arm_summary(objective, best)
    record = {"data_set": "mariathasan2018", "command": "senotwin calibrate"} | record
    record["arms"] = summary.to_dict(orient="records")
    atomic_write_text(OUT, json.dumps(record, indent=1) + "\n")
    Path(args.png).parent.mkdir(parents=True, exist_ok=True)
    plot_fit(objective, best, args.png)
    print(summary.to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
