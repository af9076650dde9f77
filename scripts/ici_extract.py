"""Write the shipped ICI-cohort summary extract from the reference cohort tables.

Usage: python scripts/ici_extract.py [DATA_DIR] — DATA_DIR holds ``<cohort>_clinical.csv.gz`` and
``<cohort>_expr_log2tpm.csv.gz`` (default: ../shared/data/ici). Writes
src/senotwin/calibrate/data/ici_cohorts/extract.json (summary numbers only; see its README).
"""

from __future__ import annotations

import sys
from pathlib import Path

from senotwin._io import atomic_write_text
from senotwin.trial.ici_data import ICI_DATA, derive_extract, extract_text

OUT = Path(__file__).resolve().parents[1] / "src/senotwin/calibrate/data/ici_cohorts/extract.json"


def main(argv: list[str]) -> int:
    data = Path(argv[1]) if len(argv) > 1 else ICI_DATA
    atomic_write_text(OUT, extract_text(derive_extract(data)))
    print(f"wrote {OUT.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
