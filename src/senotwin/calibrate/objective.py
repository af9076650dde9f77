"""The objective of a calibration problem: simulate every condition, map states to observables,
and compare with the measurements under the problem's noise model.

Each condition is simulated once per evaluation (on the fast engine unless told otherwise) at the
union of its fitted and held-back measurement times. The negative log-likelihood follows PEtab's
definition (normal noise on the observable's transformation scale; log-normal when 'log');
:meth:`Objective.residuals` gives the least-squares form whose half squared norm equals the
negative log-likelihood up to a constant, so SciPy's ``least_squares`` minimises it exactly,
estimated sigmas included (Raue et al. 2013 PLoS One 8:e74335, the Data2Dynamics trick).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from senotwin.calibrate.problem import FitParameter, Problem
from senotwin.model.compile import block_id, flatten, to_callable
from senotwin.model.expr import Expr, parse
from senotwin.model.schedule import Schedule
from senotwin.sim.engines import EngineRun, get_engine
from senotwin.sim.inputs import plan, resolve
from senotwin.sim.options import default_grid

#: residual of a measurement whose simulation failed (counts as a very poor fit, never NaN)
FAILED_RESIDUAL = 1.0e3
#: smallest value a log-transformed observable is evaluated at (avoids log(0))
LOG_FLOOR = 1.0e-300


def _formula(text: str) -> str:
    """PEtab writes powers as ``^``; the model's expression parser reads ``**``."""
    return text.replace("^", "**")


@dataclass(frozen=True)
class _Rows:
    """Measurement rows in arrays: condition, observable, time, value (one table)."""

    condition: np.ndarray
    observable: np.ndarray
    time: np.ndarray
    value: np.ndarray


def _rows(table: pd.DataFrame | None) -> _Rows:
    if table is None or len(table) == 0:
        empty = np.zeros(0)
        return _Rows(np.zeros(0, dtype=object), np.zeros(0, dtype=object), empty, empty)
    return _Rows(
        table["simulationConditionId"].astype(str).to_numpy(dtype=object),
        table["observableId"].astype(str).to_numpy(dtype=object),
        pd.to_numeric(table["time"]).to_numpy(dtype=float),
        pd.to_numeric(table["measurement"]).to_numpy(dtype=float),
    )


class Objective:
    """Negative log-likelihood, residuals and predictions of ``problem`` (fast engine default).

    ``rtol``/``atol`` are tighter than a plain run's so that finite-difference gradients are not
    swamped by integration error. ``daily=True`` adds ``senotwin simulate``'s default output
    grid to the measurement times: LSODA's first step depends on the first output time, so only
    then does a run reproduce that command's numbers to the last digits rather than to ``rtol``.
    ``evaluations`` counts condition simulations.
    """

    def __init__(
        self,
        problem: Problem,
        *,
        engine: str = "fast",
        rtol: float = 1e-8,
        atol: float = 1e-10,
        daily: bool = False,
    ) -> None:
        self.problem = problem
        self.engine = engine
        self.rtol = rtol
        self.atol = atol
        self.evaluations = 0
        spec = problem.spec
        flat = flatten(spec)
        self._flat = flat
        self._engine = get_engine(engine)
        self._event_times = [at for _, at, _ in flat.events]
        self._columns = (*flat.species, *(oid for oid, _ in flat.observables))
        self._entity_of = {block_id(e): e for e in spec.entities()}
        fit_ids = [p.id for p in problem.parameters]
        extra = [pid for pid in fit_ids if pid not in spec.parameter_ids]
        allowed = {*self._columns, *spec.parameter_ids, *fit_ids}
        index: dict[str, tuple[str, int]] = {c: ("y", i) for i, c in enumerate(self._columns)}
        self._param_slots = list(spec.parameter_ids) + extra
        for j, pid in enumerate(self._param_slots):
            index.setdefault(pid, ("p", j))
        self._obs_fns = {}
        for o in problem.observables:
            tree: Expr = parse(_formula(o.formula), allowed, where=f"observable {o.id} formula")
            self._obs_fns[o.id] = to_callable(tree, index)
        self._defaults = {p.id: float(p.value) for p in spec.parameters}
        self.fit = _rows(problem.measurements)
        self.held = _rows(problem.held_back)
        self._times: dict[str, np.ndarray] = {}
        for cid in problem.conditions:
            ts = np.concatenate(
                [
                    self.fit.time[self.fit.condition == cid],
                    self.held.time[self.held.condition == cid],
                ]
            )
            grid = np.unique(np.concatenate([[0.0], ts]))
            if daily and grid[-1] > 0:
                grid = np.unique(np.concatenate([grid, default_grid(float(grid[-1]))]))
            self._times[cid] = grid
        #: conditions with fitted rows: a fit need not simulate held-back-only conditions
        self._fit_conditions = tuple(c for c in self._times if (self.fit.condition == c).any())
        self._transform = {o.id: o.transformation for o in problem.observables}
        self._sigma = {o.id: o.sigma for o in problem.observables}
        self._upper = {o.id for o in problem.observables if o.limit == "upper"}
        self._estimated: tuple[FitParameter, ...] = problem.estimated
        self._sigma_shift = self._shift()

    # ---- parameter vectors -------------------------------------------------------------------
    @property
    def estimated(self) -> tuple[FitParameter, ...]:
        """The fitted parameters, in the order of the optimisation vector."""
        return self._estimated

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds of the optimisation vector (on each parameter's scale)."""
        lo = np.array([float(p.to_scale(p.lower)) for p in self._estimated])
        hi = np.array([float(p.to_scale(p.upper)) for p in self._estimated])
        return lo, hi

    def values(
        self, x: np.ndarray | None = None, *, fixed: Mapping[str, float] | None = None
    ) -> dict[str, float]:
        """Every fit parameter on the linear scale: nominal values, then ``x`` (scaled vector
        of the estimated ones), then ``fixed`` (linear values)."""
        out = self.problem.nominal()
        if x is not None:
            for p, xi in zip(self._estimated, x, strict=True):
                out[p.id] = float(p.from_scale(float(xi)))
        out.update(fixed or {})
        return out

    def to_vector(self, values: Mapping[str, float]) -> np.ndarray:
        """Scaled optimisation vector from linear values (estimated parameters only)."""
        return np.array([float(p.to_scale(values[p.id])) for p in self._estimated])

    # ---- simulation --------------------------------------------------------------------------
    def _condition_inputs(
        self, cid: str, values: Mapping[str, float]
    ) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
        spec = self.problem.spec
        params = dict(self.problem.params)
        initial = dict(self.problem.initial)
        blocks: dict[str, float] = {}
        for pid, v in values.items():
            if pid in spec.parameter_ids:
                params[pid] = v
        for target, raw in self.problem.conditions[cid].items():
            v = values[raw] if isinstance(raw, str) else float(raw)
            if target in self._entity_of:
                blocks[self._entity_of[target]] = v
            elif target in spec.species_ids:
                initial[target] = v
            else:
                params[target] = v
        return params, initial, blocks

    def _run(self, cid: str, values: Mapping[str, float], times: np.ndarray) -> np.ndarray | None:
        """Columns (species, observables) x times of condition ``cid``; None if it failed.

        Calls the engine directly (what :func:`senotwin.sim.simulate` does, without building a
        table): the objective is evaluated thousands of times per fit."""
        params, initial, blocks = self._condition_inputs(cid, values)
        t_end = float(times[-1]) if times[-1] > 0 else 1.0
        inputs = resolve(
            self._flat, params=params, initial=initial, blocks=blocks, check_ranges=False
        )
        run = EngineRun(
            self._flat,
            inputs.p,
            inputs.y0,
            plan(Schedule(), self._event_times, t_end),
            times,
            self.rtol,
            self.atol,
            None,
        )
        self.evaluations += 1
        out = self._engine(run)
        if out.status != "success" or out.values.shape[0] != times.size:
            return None
        values_t = out.values.T
        if not np.all(np.isfinite(values_t)):
            return None
        return values_t

    def simulate(
        self, values: Mapping[str, float], *, fitted_only: bool = False
    ) -> dict[str, np.ndarray | None]:
        """Each condition's columns (species, observables) x measurement times; None where the
        simulation failed. ``fitted_only``: only the conditions that have fitted rows."""
        ids = self._fit_conditions if fitted_only else tuple(self._times)
        return {cid: self._run(cid, values, self._times[cid]) for cid in ids}

    def _param_vector(self, cid: str, values: Mapping[str, float]) -> np.ndarray:
        params, _, _ = self._condition_inputs(cid, values)
        return np.array(
            [
                params.get(pid, values.get(pid, self._defaults.get(pid, 0.0)))
                for pid in self._param_slots
            ]
        )

    def predict(self, values: Mapping[str, float], *, held_back: bool = False) -> np.ndarray:
        """Simulated observable of every measurement row (NaN where the simulation failed)."""
        rows = self.held if held_back else self.fit
        sims = self.simulate(values, fitted_only=not held_back)
        return self._predict_rows(rows, sims, values)

    def _predict_rows(
        self, rows: _Rows, sims: Mapping[str, np.ndarray | None], values: Mapping[str, float]
    ) -> np.ndarray:
        pred = np.full(rows.value.size, np.nan)
        for cid, y in sims.items():
            if y is None:
                continue
            mask_c = rows.condition == cid
            if not mask_c.any():
                continue
            t = self._times[cid]
            p = self._param_vector(cid, values)
            for oid, fn in self._obs_fns.items():
                mask = mask_c & (rows.observable == oid)
                if not mask.any():
                    continue
                with np.errstate(all="ignore"):
                    series = np.broadcast_to(np.asarray(fn(t, y, p, []), dtype=float), t.shape)
                pred[mask] = np.interp(rows.time[mask], t, series)
        return pred

    # ---- likelihood --------------------------------------------------------------------------
    def _sigmas(self, rows: _Rows, values: Mapping[str, float]) -> np.ndarray:
        return np.array(
            [
                values[s] if isinstance(s := self._sigma[o], str) else float(s)
                for o in rows.observable
            ],
            dtype=float,
        )

    def _scaled_residuals(self, rows: _Rows, pred: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        r = np.empty(rows.value.size)
        for i, (oid, y, h) in enumerate(zip(rows.observable, rows.value, pred, strict=True)):
            tr = self._transform[oid]
            if not math.isfinite(h):
                r[i] = FAILED_RESIDUAL
                continue
            if tr == "lin":
                r[i] = (y - h) / sigma[i]
            else:
                f = np.log if tr == "log" else np.log10
                r[i] = (f(max(y, LOG_FLOOR)) - f(max(h, LOG_FLOOR))) / sigma[i]
            if oid in self._upper:
                r[i] = min(0.0, r[i])  # a ceiling: only a model above it is penalised
        return r

    def _is_limit(self, rows: _Rows) -> np.ndarray:
        """Rows that are ceilings (a limit readout's): a penalty, no density, so no
        normalisation term (it would pull an estimated sigma down on rows without a value)."""
        return np.array([o in self._upper for o in rows.observable], dtype=bool)

    def _shift(self) -> float:
        """Constant making every sqrt(log(2 pi sigma^2) + c) real within the sigma bounds."""
        lows = [self.problem.parameter(s).lower for s in self._sigma.values() if isinstance(s, str)]
        if not lows:
            return 0.0
        return max(0.0, -math.log(2 * math.pi * min(lows) ** 2)) + 1.0

    def residuals(self, x: np.ndarray, *, fixed: Mapping[str, float] | None = None) -> np.ndarray:
        """Least-squares residuals at the scaled vector ``x``: data, priors and the terms of
        estimated sigmas. 0.5 * sum(r^2) = nllh + constant."""
        values = self.values(x, fixed=fixed)
        pred = self._predict_rows(self.fit, self.simulate(values, fitted_only=True), values)
        sigma = self._sigmas(self.fit, values)
        parts = [self._scaled_residuals(self.fit, pred, sigma)]
        est_sigma = [
            isinstance(self._sigma[o], str) and o not in self._upper for o in self.fit.observable
        ]
        if any(est_sigma):
            s = sigma[np.array(est_sigma)]
            parts.append(np.sqrt(np.log(2 * math.pi * s**2) + self._sigma_shift))
        parts.append(self._prior_residuals(values))
        return np.concatenate(parts)

    def _prior_residuals(self, values: Mapping[str, float]) -> np.ndarray:
        out = [
            (float(p.to_scale(values[p.id])) - p.prior[0]) / p.prior[1]
            for p in self._estimated
            if p.prior is not None
        ]
        return np.array(out, dtype=float)

    def nllh(self, values: Mapping[str, float], *, held_back: bool = False) -> float:
        """Negative log-likelihood (PEtab definition, priors included for fitted data)."""
        rows = self.held if held_back else self.fit
        pred = self._predict_rows(rows, self.simulate(values, fitted_only=not held_back), values)
        return self.nllh_of(pred, values, held_back=held_back)

    def nllh_of(
        self, pred: np.ndarray, values: Mapping[str, float], *, held_back: bool = False
    ) -> float:
        """Negative log-likelihood of given predictions ``pred`` of the rows."""
        total = float(np.sum(self._row_nllh(pred, values, held_back=held_back)))
        if not held_back:
            for p in self._estimated:
                if p.prior is not None:
                    z = (float(p.to_scale(values[p.id])) - p.prior[0]) / p.prior[1]
                    total += 0.5 * z * z + math.log(p.prior[1] * math.sqrt(2 * math.pi))
        return total

    def _row_nllh(
        self, pred: np.ndarray, values: Mapping[str, float], *, held_back: bool = False
    ) -> np.ndarray:
        """Each row's negative log-likelihood term (no priors)."""
        rows = self.held if held_back else self.fit
        sigma = self._sigmas(rows, values)
        r = self._scaled_residuals(rows, pred, sigma)
        out = 0.5 * np.log(2 * math.pi * sigma**2) + 0.5 * r**2
        limit = self._is_limit(rows)
        out[limit] = 0.5 * r[limit] ** 2
        for i, (oid, y) in enumerate(zip(rows.observable, rows.value, strict=True)):
            tr = self._transform[oid]
            if limit[i]:
                continue
            if tr == "log":
                out[i] += math.log(max(y, LOG_FLOOR))
            elif tr == "log10":
                out[i] += math.log(max(y, LOG_FLOOR) * math.log(10))
        return out

    def nllh_by_observable(self, values: Mapping[str, float]) -> dict[str, float]:
        """The fitted nllh split by observable (priors apart, under 'prior'): what each data
        type contributes to a joint fit."""
        pred = self._predict_rows(self.fit, self.simulate(values, fitted_only=True), values)
        terms = self._row_nllh(pred, values)
        out = {o: float(terms[self.fit.observable == o].sum()) for o in self._obs_fns}
        out["prior"] = self.nllh_of(pred, values) - float(terms.sum())
        return out

    def chi2_of(
        self, pred: np.ndarray, values: Mapping[str, float], *, held_back: bool = False
    ) -> float:
        """Sum of squared noise-weighted residuals of ``pred``."""
        rows = self.held if held_back else self.fit
        r = self._scaled_residuals(rows, pred, self._sigmas(rows, values))
        return float(np.sum(r**2))


def fit_curves(
    objective: Objective, values: Mapping[str, float], *, points: int = 200
) -> pd.DataFrame:
    """Every observable of every condition on a dense grid at ``values`` (for fit plots):
    columns condition, observable, time, value."""
    rows: list[pd.DataFrame] = []
    for cid, times in objective._times.items():
        t_end = float(times[-1]) if times[-1] > 0 else 1.0
        grid = np.unique(np.concatenate([times, np.linspace(0.0, t_end, points)]))
        y = objective._run(cid, values, grid)
        if y is None:
            continue
        t = grid
        p = objective._param_vector(cid, values)
        for oid, fn in objective._obs_fns.items():
            with np.errstate(all="ignore"):
                v = np.broadcast_to(np.asarray(fn(t, y, p, []), dtype=float), t.shape)
            rows.append(pd.DataFrame({"condition": cid, "observable": oid, "time": t, "value": v}))
    cols = ["condition", "observable", "time", "value"]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)
