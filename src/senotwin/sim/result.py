"""Result objects of a simulation: tidy table, status, solver statistics and run provenance."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import numpy as np
import pandas as pd

from senotwin._views import PicklableViews

Status = Literal["success", "failed"]


def _frozen_map(data: Mapping[str, float] | None = None) -> Mapping[str, float]:
    return MappingProxyType(dict(data or {}))


@dataclass(frozen=True)
class SolverStats:
    """What the integrator did (counts summed over all piece-wise segments)."""

    segments: int = 0
    rhs_evaluations: int = 0
    jacobian_evaluations: int = 0
    lu_decompositions: int = 0
    wall_seconds: float = 0.0


@dataclass(frozen=True)
class RunProvenance(PicklableViews):
    """Everything a run depended on, so it can be repeated and cited."""

    model_id: str
    model_digest: str
    engine: str
    method: str
    rtol: float
    atol: float
    t_end: float
    senotwin_version: str
    params: Mapping[str, float] = field(default_factory=_frozen_map)
    initial: Mapping[str, float] = field(default_factory=_frozen_map)
    blocks: Mapping[str, float] = field(default_factory=_frozen_map)
    regimen: str = "none"
    notes: tuple[str, ...] = ()  # e.g. drug effects the model could not apply

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-friendly mapping."""
        return {
            "model_id": self.model_id,
            "model_digest": self.model_digest,
            "engine": self.engine,
            "method": self.method,
            "rtol": self.rtol,
            "atol": self.atol,
            "t_end": self.t_end,
            "senotwin_version": self.senotwin_version,
            "params": dict(self.params),
            "initial": dict(self.initial),
            "blocks": dict(self.blocks),
            "regimen": self.regimen,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class SimulationResult(PicklableViews):
    """One run: wide table (column 'time', then species, then observables) and its status.

    A failed run keeps the rows computed before the failure; ``message`` says why it failed.
    ``units`` gives each column's unit as the model declares it ('day' for time, '1' for a
    dimensionless read-out): ``res.units["V_T"]`` is 'mL' on the default model.
    """

    table: pd.DataFrame
    status: Status
    message: str
    stats: SolverStats
    provenance: RunProvenance
    species: tuple[str, ...]
    observables: tuple[str, ...]
    units: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def ok(self) -> bool:
        return self.status == "success"

    def final(self) -> dict[str, float]:
        """Values of every species and observable at the last time point."""
        if self.table.empty:
            return {}
        row = self.table.iloc[-1]
        return {c: float(row[c]) for c in self.table.columns}

    def long(self) -> pd.DataFrame:
        """Tidy long form: time, variable, kind ('species'|'observable'), value."""
        out = self.table.melt(id_vars="time", var_name="variable", value_name="value")
        kinds = {s: "species" for s in self.species} | {o: "observable" for o in self.observables}
        out["kind"] = out["variable"].map(kinds)
        return out[["time", "variable", "kind", "value"]]

    def summary(self) -> dict[str, object]:
        """JSON-friendly summary: status, message, final values and their units (column ->
        unit, as :attr:`units`; the final values came without them, ux53), statistics,
        provenance."""
        return {
            "status": self.status,
            "message": self.message,
            "final": self.final(),
            "units": dict(self.units),
            "stats": self.stats.__dict__,
            "provenance": self.provenance.as_dict(),
        }


@dataclass(frozen=True)
class BatchResult(PicklableViews):
    """Many runs of one model on one time grid: values[run, time, column]. ``units`` gives each
    column's unit as :class:`SimulationResult`'s does ('time' included)."""

    times: np.ndarray
    columns: tuple[str, ...]
    values: np.ndarray
    status: tuple[Status, ...]
    messages: tuple[str, ...]
    engine: str
    units: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def run(self, i: int) -> pd.DataFrame:
        """The wide table of run ``i``."""
        df = pd.DataFrame(self.values[i], columns=list(self.columns))
        df.insert(0, "time", self.times)
        return df
