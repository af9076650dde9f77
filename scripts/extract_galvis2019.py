"""Extract the Galvis 2019 replicative-senescence workbook into the package's calibration data.

Reads ``../shared/data/kinetics/galvis2019_replicative_senescence.xlsx`` (sheets ``data`` and
``dp``; needs openpyxl) and writes ``src/senotwin/calibrate/data/galvis2019/passages.csv``: one
row per passage and replicate with the hours of the passage, % SA-beta-gal, % Ki67, % gamma-H2AX,
% TUNEL and the population doublings of that passage. Run from the repository root.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

SOURCE = Path("../shared/data/kinetics/galvis2019_replicative_senescence.xlsx")
TARGET = Path("src/senotwin/calibrate/data/galvis2019/passages.csv")


def _passage_blocks(sheet: pd.DataFrame, label_col: int) -> dict[int, list[int]]:
    """Passage number -> the sheet rows of its three replicates (label row and the next two)."""
    out: dict[int, list[int]] = {}
    for row, label in sheet[label_col].items():
        if isinstance(label, str) and label.strip().startswith("p"):
            out[int(label.strip()[1:])] = [int(row), int(row) + 1, int(row) + 2]
    return out


def main() -> int:
    data = pd.read_excel(SOURCE, sheet_name="data", header=None)
    dp = pd.read_excel(SOURCE, sheet_name="dp", header=None)
    markers = _passage_blocks(data, 0)
    doublings = _passage_blocks(dp, 4)
    rows = []
    for passage, mrows in sorted(markers.items()):
        drows = doublings[passage]
        hours_label = next(
            str(v) for v in dp.loc[drows[0] : drows[0] + 2, 4] if str(v).endswith("h")
        )
        for rep, (mr, dr) in enumerate(zip(mrows, drows, strict=True), start=1):
            rows.append(
                {
                    "passage": passage,
                    "replicate": rep,
                    "hours": float(hours_label.removesuffix("h")),
                    "sa_beta_gal_pct": float(data.loc[mr, 2]),
                    "ki67_pct": float(data.loc[mr, 3]),
                    "gamma_h2ax_pct": float(data.loc[mr, 4]),
                    "tunel_pct": float(data.loc[mr, 5]),
                    "cells_seeded": float(dp.loc[drows[0], 5]),
                    "cells_harvested": float(dp.loc[dr, 6]),
                    "population_doublings": float(dp.loc[dr, 7]),
                }
            )
    pd.DataFrame(rows).to_csv(TARGET, index=False, float_format="%.6g")
    print(f"wrote {TARGET}: {len(rows)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
