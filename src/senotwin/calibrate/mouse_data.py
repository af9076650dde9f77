"""The Mariathasan 2018 per-mouse tumour volumes (package data) and the held-back split.

``mariathasan2018()`` returns the tidy table shipped in ``data/mariathasan2018`` (see its
README for source, licence, layout and units). ``FITTED`` names the part a fit may use; the rest
(the combination arm, the CD8-depletion experiment, the MC38 study) is predicted, not fitted.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd

from senotwin._errors import ValidationError

DATA_SET = "mariathasan2018"
CITATION = (
    "Mariathasan et al. Nature 2018;554:544 (preclinical raw data, IMvigor210CoreBiologies, "
    "Creative Commons)"
)
COLUMNS = ("study", "panel", "model", "arm", "mouse", "day", "volume_mm3", "at_floor")
#: (panel, arm) pairs a fit may use: EMT6 study 15-3060 B without the combination arm
FITTED: tuple[tuple[str, str], ...] = (
    ("Fig. 4a", "isotype"),
    ("Fig. 4a", "anti_pdl1"),
    ("Fig. 4a", "anti_tgfb"),
)
#: (panel, arm) pairs held back and predicted (decided before fitting)
HELD_BACK: tuple[tuple[str, str], ...] = (
    ("Fig. 4a", "combination"),
    ("Extended Data Fig. 5i", "combination"),
    ("Extended Data Fig. 5i", "combination_cd8_depleted"),
)


@cache
def _table() -> pd.DataFrame:
    path = resources.files("senotwin.calibrate") / "data" / DATA_SET / "tumour_volumes.csv"
    with resources.as_file(path) as p:
        table = pd.read_csv(p)
    if tuple(table.columns) != COLUMNS:
        raise ValidationError(f"{DATA_SET}: columns {tuple(table.columns)}, expected {COLUMNS}")
    return table


def mariathasan2018(*, part: str = "all") -> pd.DataFrame:
    """The tidy per-mouse volumes; ``part`` is 'all', 'fitted' or 'held_back'."""
    table = _table()
    if part == "all":
        return table.copy()
    if part not in ("fitted", "held_back"):
        raise ValidationError(f"part must be 'all', 'fitted' or 'held_back', got {part!r}")
    pairs = FITTED if part == "fitted" else HELD_BACK
    keys = pd.Series(list(zip(table["panel"], table["arm"], strict=True)), index=table.index)
    return table[keys.isin(pairs)].reset_index(drop=True)
