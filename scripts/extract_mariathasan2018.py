"""Extract the per-mouse data of Mariathasan et al. 2018 into tidy CSVs (package data).

Usage: python scripts/extract_mariathasan2018.py XLSX
XLSX is the preclinical workbook of the IMvigor210CoreBiologies package
(inst/tables/Preclinical_raw_data_and_stats.xlsx; in the shared data folder as
preclinical/mariathasan2018_preclinical_tumour_volumes.xlsx). Writes
src/senotwin/calibrate/data/mariathasan2018/tumour_volumes.csv (per-mouse volumes by day) and
endpoints.csv (flow-cytometry fold changes, day-7 tumour weights, complete-regression rates).
The workbook is read with the standard library (an .xlsx is zipped XML), so no spreadsheet
package is needed. Deterministic.

Layout found (see the data README): in the three efficacy sheets ('Fig 4a', 'Fig S5i',
'Fig S5n') each arm is a block whose header row holds the arm name in column B, 'Day' in column
C and 'Mouse 1' .. 'Mouse 10' in D..M; the rows below give the day in C and one volume (mm3) per
mouse, until an empty day. An empty cell means the mouse was no longer measured.
The endpoint sheets ('Fig 4c', 'Fig 4d', 'Fig S6 a', 'Fig S6 c', 'Fig S6 d', 'Fig S5h',
'Fig S5g') hold one block of columns, study then the four arms (isotype, anti-PD-L1,
anti-TGF-beta, combination), under a title in A1 that names the quantity and its unit; a study
label sits on the first row of its rows. Their statistics blocks (columns H on) are not read.
"""

from __future__ import annotations

import csv
import re
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "src/senotwin/calibrate/data/mariathasan2018"
OUT = DATA / "tumour_volumes.csv"
OUT_ENDPOINTS = DATA / "endpoints.csv"
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"

# sheet -> (study, tumour model, figure panel, how the model is known)
SHEETS = {
    "Fig 4a": ("15-3060 B", "EMT6", "Fig. 4a", "named in the paper's Fig. 4a legend"),
    "Fig S5i": ("CD8 depletion", "EMT6", "Extended Data Fig. 5i", "inferred: EMT6 study"),
    "Fig S5n": ("MC38 efficacy", "MC38", "Extended Data Fig. 5n", "inferred from sheet order"),
}
ARMS = {
    "Isotype": "isotype",
    "aPD-L1": "anti_pdl1",
    "aTGFb": "anti_tgfb",
    "aPD-L1 + aTGFb": "combination",
    "aPD-L1 + aTGFb CD depleted": "combination_cd8_depleted",
}
# endpoint sheet -> (figure panel, quantity, unit as the sheet's title gives it, title start)
FOLD = "fold of the study's isotype mean"
ENDPOINTS = {
    "Fig 4c": ("Fig. 4c", "cd8_t_cells", FOLD, "CD8 T cells:"),
    "Fig 4d": ("Fig. 4d", "gzmb_mfi_per_cd8", FOLD, "Granzyme B MFI/CD8 T cells:"),
    "Fig S6 a": ("Extended Data Fig. 6a", "t_cells", FOLD, "Total T cells:"),
    "Fig S6 c": ("Extended Data Fig. 6c", "cd4_t_cells", FOLD, "CD4 T cells:"),
    "Fig S6 d": ("Extended Data Fig. 6d", "treg_cells", FOLD, "Tregulatory cells:"),
    "Fig S5h": ("Extended Data Fig. 5h", "tumour_weight_day7", "mg", "Tumor weights at day 7"),
    "Fig S5g": ("Extended Data Fig. 5g", "complete_regressions", "%", "Complete regressions:"),
}
ENDPOINT_ARMS = {
    "isotype": "isotype",
    "apd-l1": "anti_pdl1",
    "atgfb": "anti_tgfb",
    "apd-l1 + atgfb": "combination",
}
# Tumours that were not measurable are entered as exact placeholder volumes (4, 8 or 32 mm3);
# measured volumes are never whole numbers in this workbook.
FLOOR_VALUES = {4.0, 8.0, 32.0}


def _column(ref: str) -> int:
    n = 0
    for ch in re.match(r"[A-Z]+", ref).group(0):  # type: ignore[union-attr]
        n = n * 26 + ord(ch) - 64
    return n - 1


def read_sheets(path: Path) -> dict[str, list[list[object]]]:
    """Every sheet of an .xlsx as rows of cell values (str, int, float or None)."""
    z = zipfile.ZipFile(path)
    shared = [
        "".join(t.text or "" for t in si.iter(f"{_NS}t"))
        for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall(f"{_NS}si")
    ]
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): r.get("Target") for r in rels}
    out: dict[str, list[list[object]]] = {}
    for sheet in ET.fromstring(z.read("xl/workbook.xml")).find(f"{_NS}sheets") or []:
        root = ET.fromstring(z.read("xl/" + str(target[sheet.get(_REL)]).removeprefix("/xl/")))
        cells: dict[int, dict[int, object]] = {}
        for row in root.iter(f"{_NS}row"):
            r = int(row.get("r", "0")) - 1
            for c in row.findall(f"{_NS}c"):
                v = c.find(f"{_NS}v")
                if v is None or v.text is None:
                    continue
                kind = c.get("t")
                val: object = shared[int(v.text)] if kind == "s" else v.text
                if kind is None:
                    f = float(v.text)
                    val = int(f) if f.is_integer() else f
                cells.setdefault(r, {})[_column(c.get("r", "A1"))] = val
        n_rows = max(cells, default=-1) + 1
        n_cols = max((max(d) for d in cells.values()), default=-1) + 1
        out[str(sheet.get("name"))] = [
            [cells.get(i, {}).get(j) for j in range(n_cols)] for i in range(n_rows)
        ]
    return out


def tidy(sheets: dict[str, list[list[object]]]) -> list[dict[str, object]]:
    """One record per (sheet, arm, mouse, day) with a measured or placeholder volume."""
    records: list[dict[str, object]] = []
    for name, (study, model, panel, _) in SHEETS.items():
        rows = sheets[name]
        for i, row in enumerate(rows):
            if len(row) < 4 or row[2] != "Day" or row[3] != "Mouse 1":
                continue
            label = row[1] if row[1] is not None else rows[i + 1][1]
            arm = ARMS[str(label).strip()]
            mice = [str(c) for c in row[3:] if isinstance(c, str) and c.startswith("Mouse")]
            for data in rows[i + 1 :]:
                if not isinstance(data[2], int | float):
                    break
                for k, mouse in enumerate(mice):
                    value = data[3 + k]
                    if value is None:
                        continue
                    volume = float(value)  # type: ignore[arg-type]
                    records.append(
                        {
                            "study": study,
                            "panel": panel,
                            "model": model,
                            "arm": arm,
                            "mouse": int(mouse.split()[1]),
                            "day": int(data[2]),  # type: ignore[call-overload]
                            "volume_mm3": round(volume, 4),
                            "at_floor": int(volume in FLOOR_VALUES),
                        }
                    )
    return records


def _header(rows: list[list[object]], sheet: str) -> tuple[int, int]:
    """(row, column) of the endpoint sheet's 'Study' cell, the arms following it."""
    for i, row in enumerate(rows[:5]):
        for j, cell in enumerate(row[:3]):
            if isinstance(cell, str) and cell.strip().lower() == "study":
                return i, j
    raise ValueError(f"sheet {sheet!r}: no 'Study' header in its first rows")


def tidy_endpoints(sheets: dict[str, list[list[object]]]) -> list[dict[str, object]]:
    """One record per (sheet, study, arm, row) value: the endpoint sheets' left-hand block.

    ``replicate`` counts rows within a study (the sheet's row order); a row is not one mouse
    across arms (each arm had its own mice). Complete regressions are one value per study."""
    records: list[dict[str, object]] = []
    for name, (panel, quantity, unit, title) in ENDPOINTS.items():
        rows = sheets[name]
        if not str(rows[0][0]).startswith(title):
            raise ValueError(f"sheet {name!r}: title {rows[0][0]!r} does not start {title!r}")
        hr, col = _header(rows, name)
        arms = [ENDPOINT_ARMS[str(a).strip().lower()] for a in rows[hr][col + 1 : col + 5]]
        study, replicate = "", 0
        for row in rows[hr + 1 :]:
            values = row[col + 1 : col + 5]
            if all(v is None for v in values):
                break
            if row[col] is not None:
                study, replicate = str(row[col]).strip(), 0
            replicate += 1
            for arm, value in zip(arms, values, strict=True):
                if value is None:
                    continue
                records.append(
                    {
                        "panel": panel,
                        "quantity": quantity,
                        "study": study,
                        "arm": arm,
                        "replicate": replicate,
                        "value": value,
                        "unit": unit,
                    }
                )
    return records


def _write(path: Path, records: list[dict[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(records[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
    print(f"{len(records)} rows -> {path}")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    sheets = read_sheets(Path(argv[1]))
    _write(OUT, tidy(sheets))
    _write(OUT_ENDPOINTS, tidy_endpoints(sheets))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
