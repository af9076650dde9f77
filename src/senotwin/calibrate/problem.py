"""A calibration problem as data: model, conditions, observables, measurements, fit parameters.

The layout follows PEtab v1 (Schmiester et al. 2021 PLoS Comput Biol 17:e1008646): experimental
conditions override model parameters, initial amounts or block fractions; observables map model
quantities to what was measured, with a normal noise model on a linear or log scale (log-normal)
and a stated or estimated sigma; fit parameters carry bounds, a scale and an optional prior.
Measurements that are HELD BACK are kept apart: they are predicted, never fitted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import numpy as np
import pandas as pd

from senotwin._errors import ValidationError
from senotwin._suggest import did_you_mean
from senotwin.model.compile import block_id
from senotwin.model.spec import ModelSpec

Scale = Literal["lin", "log", "log10"]
Transformation = Literal["lin", "log", "log10"]
MEASUREMENT_COLUMNS = ("observableId", "simulationConditionId", "time", "measurement")
SCALES = ("lin", "log", "log10")


def _finite(value: object, what: str) -> float:
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise ValidationError(f"{what} must be a finite number, got {value!r}")
    return v


@dataclass(frozen=True)
class Readout:
    """An observable in the PEtab sense: what was measured, as a formula of model quantities
    (species, observables, parameters) and problem parameters; noise is normal on the
    ``transformation`` scale ('log' = log-normal) with ``sigma`` a number or the id of a fit
    parameter (an estimated sigma). ``limit='upper'``: its rows are ceilings, not values -- a
    row's scaled residual is min(0, r), zero while the model is below it (a one-sided hinge;
    PEtab v1 cannot state it, so such a problem is not exported)."""

    id: str
    formula: str
    sigma: float | str
    transformation: Transformation = "lin"
    name: str = ""
    limit: Literal["upper"] | None = None

    def __post_init__(self) -> None:
        if self.limit not in (None, "upper"):
            raise ValidationError(
                f"observable {self.id}: limit {self.limit!r}; allowed: None or 'upper'"
            )
        if self.transformation not in SCALES:
            raise ValidationError(
                f"observable {self.id}: transformation {self.transformation!r}; allowed: "
                + ", ".join(SCALES)
            )
        if not isinstance(self.sigma, str):
            s = _finite(self.sigma, f"observable {self.id}: sigma")
            if s <= 0:
                raise ValidationError(f"observable {self.id}: sigma = {s}; allowed: a number > 0")
            object.__setattr__(self, "sigma", s)


@dataclass(frozen=True)
class FitParameter:
    """A parameter of the problem: bounds and nominal value (linear scale), the scale it is
    optimised on, whether it is estimated, and an optional normal prior on that scale
    (mean, sd; PEtab ``parameterScaleNormal``)."""

    id: str
    lower: float
    upper: float
    nominal: float
    scale: Scale = "log10"
    estimate: bool = True
    prior: tuple[float, float] | None = None
    name: str = ""

    def __post_init__(self) -> None:
        lo = _finite(self.lower, f"parameter {self.id}: lower bound")
        hi = _finite(self.upper, f"parameter {self.id}: upper bound")
        nom = _finite(self.nominal, f"parameter {self.id}: nominal value")
        if self.scale not in SCALES:
            raise ValidationError(
                f"parameter {self.id}: scale {self.scale!r}; allowed: {', '.join(SCALES)}"
            )
        if not lo < hi:
            raise ValidationError(
                f"parameter {self.id}: bounds [{lo}, {hi}]; allowed: lower < upper"
            )
        if self.scale != "lin" and lo <= 0:
            raise ValidationError(
                f"parameter {self.id}: lower bound {lo} on {self.scale} scale; allowed: > 0"
            )
        if not lo <= nom <= hi:
            raise ValidationError(
                f"parameter {self.id}: nominal value {nom} outside its bounds [{lo}, {hi}]"
            )
        if self.prior is not None:
            mean, sd = (_finite(v, f"parameter {self.id}: prior") for v in self.prior)
            if sd <= 0:
                raise ValidationError(f"parameter {self.id}: prior sd = {sd}; allowed: > 0")
            object.__setattr__(self, "prior", (mean, sd))
        object.__setattr__(self, "lower", lo)
        object.__setattr__(self, "upper", hi)
        object.__setattr__(self, "nominal", nom)

    def to_scale(self, value: float | np.ndarray) -> float | np.ndarray:
        """``value`` (linear) on the optimisation scale."""
        if self.scale == "log10":
            return np.log10(value)
        if self.scale == "log":
            return np.log(value)
        return value

    def from_scale(self, value: float | np.ndarray) -> float | np.ndarray:
        """``value`` on the optimisation scale back on the linear scale."""
        if self.scale == "log10":
            return 10.0**value
        if self.scale == "log":
            return np.exp(value)
        return value


@dataclass(frozen=True)
class Problem:
    """A calibration problem: ``spec`` with base values ``params``/``initial`` (a scenario's),
    conditions (id -> overrides: a number or a fit-parameter id), observables, fitted
    measurements, held-back measurements (predicted only) and fit parameters."""

    name: str
    spec: ModelSpec
    observables: tuple[Readout, ...]
    measurements: pd.DataFrame
    parameters: tuple[FitParameter, ...]
    conditions: Mapping[str, Mapping[str, float | str]] = field(
        default_factory=lambda: MappingProxyType({"c0": MappingProxyType({})})
    )
    params: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    initial: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    held_back: pd.DataFrame | None = None
    description: str = ""
    reference: str = ""

    def __post_init__(self) -> None:
        check_problem(self)

    @property
    def estimated(self) -> tuple[FitParameter, ...]:
        """The parameters that are fitted (``estimate=True``), in table order."""
        return tuple(p for p in self.parameters if p.estimate)

    def parameter(self, pid: str) -> FitParameter:
        """The fit parameter called ``pid``."""
        for p in self.parameters:
            if p.id == pid:
                return p
        known = [p.id for p in self.parameters]
        raise ValidationError(
            f"problem {self.name}: unknown parameter {pid!r}{did_you_mean(pid, known)} "
            f"(known: {', '.join(known)})"
        )

    def nominal(self) -> dict[str, float]:
        """Every fit parameter at its nominal value (linear scale)."""
        return {p.id: p.nominal for p in self.parameters}

    def initial_amounts(self) -> dict[str, str]:
        """Fit parameters that set one species' initial amount in every condition -> that
        species: an ensemble of the fit names them so (``ensemble.tsv``), so that ``simulate
        --ensemble`` starts each run from its draw's amount instead of ignoring the column."""
        out: dict[str, str] = {}
        for pid in (p.id for p in self.parameters):
            set_in = [
                tuple(t for t, v in overrides.items() if v == pid)
                for overrides in self.conditions.values()
            ]
            species = {t for ts in set_in for t in ts}
            if (
                len(species) == 1
                and all(len(ts) == 1 for ts in set_in)
                and (target := species.pop()) in self.spec.species_ids
            ):
                out[pid] = target
        return out

    def model_targets(self) -> set[str]:
        """Names a condition may override: parameters, species and block fractions."""
        spec = self.spec
        return {*spec.parameter_ids, *spec.species_ids, *(block_id(e) for e in spec.entities())}


def _check_table(df: pd.DataFrame, what: str) -> None:
    missing = [c for c in MEASUREMENT_COLUMNS if c not in df.columns]
    if missing:
        raise ValidationError(
            f"{what}: missing column(s) {', '.join(missing)} (required: "
            f"{', '.join(MEASUREMENT_COLUMNS)})"
        )
    for col in ("time", "measurement"):
        values = pd.to_numeric(df[col], errors="coerce")
        bad = df[~np.isfinite(values.to_numpy(dtype=float))]
        if len(bad):
            raise ValidationError(
                f"{what}: column {col} row {bad.index[0]} = {bad[col].iloc[0]!r}; allowed: a "
                "finite number"
            )
    if (pd.to_numeric(df["time"]) < 0).any():
        raise ValidationError(f"{what}: negative time; allowed: time >= 0 days")


def check_problem(problem: Problem) -> None:
    """Every cross-reference of ``problem`` resolves; bad input names the field and value."""
    ids = [p.id for p in problem.parameters]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise ValidationError(f"problem {problem.name}: duplicate parameter(s) {sorted(dup)}")
    obs_ids = [o.id for o in problem.observables]
    if len(set(obs_ids)) != len(obs_ids):
        raise ValidationError(f"problem {problem.name}: duplicate observable ids")
    fit_ids = set(ids)
    targets = problem.model_targets()
    for cid, overrides in problem.conditions.items():
        for target, value in overrides.items():
            if target not in targets:
                raise ValidationError(
                    f"problem {problem.name}: condition {cid} sets {target!r}, which is no "
                    f"parameter, species or block of {problem.spec.id}"
                    + did_you_mean(target, sorted(targets))
                )
            if isinstance(value, str) and value not in fit_ids:
                raise ValidationError(
                    f"problem {problem.name}: condition {cid} sets {target} = {value!r}; "
                    "allowed: a number or a fit parameter id"
                )
    for p in problem.parameters:
        if p.id in problem.spec.species_ids:
            raise ValidationError(
                f"problem {problem.name}: parameter {p.id} is a species; estimate an initial "
                "amount through a condition (species column = parameter id)"
            )
        if p.estimate and p.id in problem.spec.parameter_ids:
            problem.spec.parameter(p.id).check_variable(f"estimated (problem {problem.name})")
    for o in problem.observables:
        if isinstance(o.sigma, str) and o.sigma not in fit_ids:
            raise ValidationError(
                f"problem {problem.name}: observable {o.id} sigma {o.sigma!r} is no parameter "
                f"of the problem{did_you_mean(o.sigma, ids)}"
            )
    for what, table in (("measurements", problem.measurements), ("held back", problem.held_back)):
        if table is None:
            continue
        _check_table(table, f"problem {problem.name}: {what}")
        for col, known in (
            ("observableId", set(obs_ids)),
            ("simulationConditionId", set(problem.conditions)),
        ):
            unknown = sorted(set(table[col].astype(str)) - known)
            if unknown:
                raise ValidationError(
                    f"problem {problem.name}: {what} {col} {unknown[0]!r} is not defined "
                    f"(known: {', '.join(sorted(known))})"
                )
    if len(problem.measurements) == 0:
        raise ValidationError(f"problem {problem.name}: no measurements to fit")
