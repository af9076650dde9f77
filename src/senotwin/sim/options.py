"""SolverOptions: how a run is integrated (engine, tolerances, method, output grid), in one value.

``simulate``, ``simulate_batch`` and ``run_scenario`` take one frozen SolverOptions instead of a
handful of loose keywords, so a cohort, a comparison or a CLI command passes its numerics along
as a single, checked, hashable object.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from senotwin._errors import ValidationError, check_type


def _positive(name: str, value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValidationError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class SolverOptions:
    """Engine name, relative/absolute tolerances, integration method and output times.

    ``t_eval=None`` means the default grid (at least 101 points, one per day beyond 100 days);
    ``method=None`` lets the engine choose (LSODA for the reference engine, which also takes BDF,
    Radau, RK45, RK23 and DOP853); the fast (Rodas5P) and RoadRunner (CVODE) engines take none.
    """

    engine: str = "reference"
    rtol: float = 1e-6
    atol: float = 1e-9
    method: str | None = None
    t_eval: Sequence[float] | np.ndarray | None = None  # kept as a tuple of floats

    def __post_init__(self) -> None:
        if not isinstance(self.engine, str) or not self.engine.strip():
            raise ValidationError(f"engine must be an engine name, got {self.engine!r}")
        from senotwin.sim.engines import ENGINES, check_method  # engines import sim.inputs

        ENGINES.get(self.engine)  # an unknown name fails here, not at the first run
        object.__setattr__(self, "rtol", _positive("rtol", self.rtol))
        object.__setattr__(self, "atol", _positive("atol", self.atol))
        if self.rtol >= 1:
            raise ValidationError(f"rtol must be < 1, got {self.rtol}")
        if self.method is not None and not isinstance(self.method, str):
            raise ValidationError(f"method must be a method name or None, got {self.method!r}")
        if self.method is not None:
            check_method(self.engine, self.method)  # not ignored, nor failed at the first run
        if self.t_eval is not None:
            object.__setattr__(self, "t_eval", _times(self.t_eval))

    def grid(self, t_end: float) -> np.ndarray:
        """Output times for a run of ``t_end`` days (checked to lie within [0, t_end])."""
        if self.t_eval is None:
            return default_grid(t_end)
        grid = np.asarray(self.t_eval, dtype=float)
        if grid[0] < 0 or grid[-1] > t_end:
            raise ValidationError(f"t_eval must lie within [0, t_end={t_end}]")
        return grid

    def with_(self, **changes: Any) -> SolverOptions:
        """A copy with some fields changed (checked like the constructor)."""
        return replace(self, **_known(changes))

    @classmethod
    def of(cls, solver: SolverOptions | None = None, **changes: Any) -> SolverOptions:
        """``solver`` (default options if None) with loose keyword fields applied on top."""
        base = solver if solver is not None else cls()
        check_type(base, SolverOptions, name="solver", what="a SolverOptions or None")
        return base.with_(**changes) if changes else base


def _known(changes: dict[str, Any]) -> dict[str, Any]:
    allowed = [f.name for f in fields(SolverOptions)]
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise TypeError(
            f"unknown solver option(s) {', '.join(unknown)} (allowed: {', '.join(allowed)})"
        )
    return changes


def _times(t_eval: Sequence[float] | np.ndarray) -> tuple[float, ...]:
    try:
        grid = np.asarray(t_eval, dtype=float)
    except (TypeError, ValueError):
        raise ValidationError("t_eval must be a sequence of numbers (days)") from None
    if grid.ndim != 1 or grid.size == 0:
        raise ValidationError("t_eval must be a non-empty 1-D sequence of times")
    if not np.all(np.isfinite(grid)) or np.any(np.diff(grid) <= 0):
        raise ValidationError("t_eval must be finite and strictly increasing")
    return tuple(float(t) for t in grid)


def default_grid(t_end: float) -> np.ndarray:
    """Default output times: at least 101 points, one per day for runs longer than 100 days."""
    return np.linspace(0.0, t_end, max(101, math.floor(t_end) + 1))


def daily(t_end: float) -> tuple[float, ...]:
    """About one output time per day, evenly spaced from 0 to ``t_end`` (both included)."""
    return tuple(float(t) for t in np.linspace(0.0, t_end, max(2, math.ceil(t_end) + 1)))
