"""Generic read-outs of a tumour run, whichever TME model produced it.

Therapy metrics, clinical endpoints, cohorts and figures ask the same questions of every run —
how big is the tumour (in 1e9 cells for both), how many senescent cells, how much SASP, how do
effectors fare against suppressors — but the physical-units model (``qsp.yaml``: cells, mL, mm)
and the legacy model (``tme.yaml``: 1 = 1e9 cells) answer them with different columns and units.
:func:`readouts_for` picks the answer from the columns a run table has, so code downstream
names no model.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from senotwin._errors import ValidationError

#: a run table, or column name -> 1-D array (what the cohort runner's fast path hands over)
Table: TypeAlias = pd.DataFrame | Mapping[str, Any]
Column = Callable[[Table], np.ndarray]


def _col(name: str) -> Column:
    return lambda table: np.asarray(table[name], dtype=float)


def _billions(*names: str) -> Column:
    """Sum of cell-number columns in units of 1e9 cells."""
    if len(names) == 1:  # the same numbers without stacking one column (cohorts: per run)
        (name,) = names
        return lambda table: np.asarray(table[name], dtype=float) / 1e9
    return lambda table: np.sum([np.asarray(table[n], dtype=float) for n in names], axis=0) / 1e9


def _qsp_balance(table: Table) -> np.ndarray:
    """Functional CD8 effectors (not PD-1-inhibited, not MDSC-suppressed) per exhausted one:
    primed effectors and the burst's reinvigorated progeny (T8r, which kill like effectors:
    process cd8_kill), per exhausted and terminally exhausted cell (T8x, T8t). Until session 22
    only T8 per T8x: complete for qsp.yaml's burst-less patient (T8r, T8t 0), not for a trial
    patient carrying the liu2019 burst (n_reinv > 0)."""
    effectors = table["T8"] + table["T8r"]
    functional = effectors * table["pd1_function"] * table["mdsc_supp"]
    return np.asarray(functional / np.maximum(table["T8x"] + table["T8t"], 1.0), dtype=float)


@dataclass(frozen=True)
class Readouts:
    """How one model answers the generic questions (each a function of a run table)."""

    model: str
    needs: tuple[str, ...]  # columns the table must have
    burden: Column  # tumour cells (live + senescent), 1e9 cells
    diameter: Column  # longest lesion diameter, mm
    senescent: Column  # senescent cells, 1e9 cells
    sasp: Column  # SASP output (model's own unit, see sasp_label)
    sasp_label: str
    sasp_unit: str  # the unit of ``sasp`` alone (tables and AUCs)
    balance: Column  # effectors per suppressor (1 = balance)
    balance_label: str
    lethal_burden: float  # burden at which the patient dies (OS), 1e9 cells
    lethal_source: str

    @property
    def sasp_unit_text(self) -> str:
        """``sasp_unit`` in the plain notation of the other text units (1e9, not ×10⁹)."""
        return self.sasp_unit.replace("×10⁹", "1e9")


QSP = Readouts(
    model="physical-units model (qsp.yaml)",
    needs=(
        "N_tumour",
        "diameter",
        "Se",
        "Sl",
        "Sd",
        "sasp_cells",
        "T8",
        "T8r",
        "T8x",
        "T8t",
        "pd1_function",
    ),
    burden=_billions("N_tumour"),
    diameter=_col("diameter"),
    senescent=_billions("Se", "Sl", "Sd"),
    sasp=_billions("sasp_cells"),
    sasp_label="SASP-secreting senescent cells (×10⁹ cells)",
    sasp_unit="×10⁹ SASP-secreting cells",
    balance=_qsp_balance,
    balance_label="functional CD8 effectors per exhausted CD8",
    lethal_burden=1000.0,
    lethal_source="~1e12 cells (quantitative-sources lethal_burden_textbook); model/qsp.py "
    "LETHAL_BURDEN_CELLS — the lesion capacity is below it, so a one-year run censors OS",
)

LEGACY = Readouts(
    model="legacy model (tme.yaml)",
    needs=(
        "tumour_burden",
        "tumour_diameter_mm",
        "S_total",
        "sasp_index",
        "effector_suppressor_ratio",
    ),
    burden=_col("tumour_burden"),
    diameter=_col("tumour_diameter_mm"),
    senescent=_col("S_total"),
    sasp=_col("sasp_index"),
    sasp_label="SASP index (relative)",
    sasp_unit="relative",
    balance=_col("effector_suppressor_ratio"),
    balance_label="effector / suppressor ratio",
    lethal_burden=30.0,
    lethal_source="30 model units = 3e10 tumour cells, an assumed stand-in below the legacy "
    "model's capacity (see analysis.endpoints.EndpointRules)",
)

READOUTS: tuple[Readouts, ...] = (QSP, LEGACY)


def readouts_for(columns: Collection[str] | pd.DataFrame) -> Readouts:
    """The read-outs that a table with these columns supports (a run of either TME model)."""
    have = set(columns.columns if isinstance(columns, pd.DataFrame) else columns)
    for r in READOUTS:
        if set(r.needs) <= have:
            return r
    raise ValidationError(
        "run table has neither the physical-units read-outs "
        f"({', '.join(QSP.needs)}) nor the legacy ones ({', '.join(LEGACY.needs)}): "
        "is it a run of a TME model?"
    )
