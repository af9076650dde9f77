"""Posterior ensembles: parameter sets consistent with the data, by adaptive Metropolis sampling,
and quantile bands of a scenario run once per parameter set (``senotwin simulate --ensemble``).

The posterior is the problem's likelihood times its priors (parameterScaleNormal where given,
uniform on the parameter's scale within the bounds otherwise). The chain starts at the best fit,
proposes Gaussian steps on the scaled parameters with the covariance adapted from the chain
(Haario, Saksman & Tamminen 2001 Bernoulli 7:223; scale 2.38²/d), discards a burn-in and keeps
every ``thin``-th sample. Seeded: the same seed gives the same ensemble.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from senotwin._errors import ValidationError
from senotwin.calibrate.fit import FitResult
from senotwin.calibrate.objective import Objective
from senotwin.sim.options import SolverOptions
from senotwin.sim.scenario import ScenarioSetup
from senotwin.sim.simulate import simulate_batch


@dataclass(frozen=True)
class Ensemble:
    """Posterior samples (linear scale, one row per sample, one column per fitted parameter),
    their negative log-posterior, and the chain's acceptance rate."""

    samples: pd.DataFrame
    nllh: np.ndarray
    acceptance: float

    def quantiles(self, q: tuple[float, ...] = (0.05, 0.5, 0.95)) -> pd.DataFrame:
        """Per-parameter quantiles of the ensemble."""
        return self.samples.quantile(list(q))


def sample_posterior(
    objective: Objective,
    fit: FitResult,
    *,
    samples: int = 200,
    burn_in: int = 200,
    thin: int = 2,
    seed: int = 0,
) -> Ensemble:
    """Adaptive Metropolis chain from the best fit; ``samples`` kept after ``burn_in`` steps."""
    for name, value, least in (("samples", samples, 1), ("burn_in", burn_in, 0), ("thin", thin, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValidationError(f"{name} = {value!r}; allowed: a whole number >= {least}")
    rng = np.random.default_rng(seed)
    lo, hi = objective.bounds()
    d = lo.size
    x = objective.to_vector(fit.best)
    f = fit.nllh
    cov = np.diag(((hi - lo) / 100.0) ** 2)
    scale = 2.38**2 / d
    chain: list[np.ndarray] = []
    kept: list[np.ndarray] = []
    kept_f: list[float] = []
    accepted = 0
    total = burn_in + samples * thin
    for step in range(total):
        if step >= 2 * d and step % 10 == 0:
            history = np.array(chain)
            cov = scale * (np.cov(history.T).reshape(d, d) + 1e-10 * np.eye(d))
        proposal = rng.multivariate_normal(x, cov)
        if np.all(proposal >= lo) and np.all(proposal <= hi):
            fp = objective.nllh(objective.values(proposal))
            if math.isfinite(fp) and math.log(rng.uniform()) < f - fp:
                x, f = proposal, fp
                accepted += 1
        chain.append(x.copy())
        if step >= burn_in and (step - burn_in) % thin == 0:
            kept.append(x.copy())
            kept_f.append(f)
    ids = [p.id for p in objective.estimated]
    linear = [
        [float(p.from_scale(v)) for p, v in zip(objective.estimated, row, strict=True)]
        for row in kept
    ]
    return Ensemble(pd.DataFrame(linear, columns=ids), np.array(kept_f), accepted / total)


@dataclass(frozen=True)
class Bands:
    """Quantile bands of an ensemble run: time, then COLUMN_q05 / _q50 / _q95 per species and
    observable; how many parameter sets ran, failed, and which ensemble columns were ignored."""

    table: pd.DataFrame
    runs: int
    failed: int
    ignored: tuple[str, ...]


def ensemble_bands(
    setup: ScenarioSetup,
    sets: pd.DataFrame,
    *,
    solver: SolverOptions | None = None,
    blocks: Mapping[str, float] | None = None,
) -> Bands:
    """Run ``setup`` once per row of ``sets`` (columns naming model parameters replace the
    setup's values; other columns, e.g. noise sigmas, are ignored) and summarise the runs as
    5 / 50 / 95 % quantile bands; failed runs are left out and counted."""
    spec = setup.spec
    used = [c for c in sets.columns if c in spec.parameter_ids]
    ignored = tuple(str(c) for c in sets.columns if c not in spec.parameter_ids)
    if not used:
        raise ValidationError(
            f"ensemble: no parameter of {spec.id} among its columns "
            f"({', '.join(map(str, sets.columns))})"
        )
    if len(sets) == 0:
        raise ValidationError("ensemble: no parameter sets (rows)")
    values = sets[used].apply(pd.to_numeric, errors="coerce")
    if not np.isfinite(values.to_numpy(dtype=float)).all():
        raise ValidationError("ensemble: every parameter value must be a finite number")
    param_sets = [
        dict(setup.params) | {k: float(v) for k, v in row.items()} for _, row in values.iterrows()
    ]
    batch = simulate_batch(
        spec,
        param_sets,
        t_end=setup.days,
        regimen=setup.schedule,
        initial=setup.initial,
        blocks=blocks,
        solver=solver,
        check_ranges=False,
    )
    ok = np.array([s == "success" for s in batch.status])
    table = pd.DataFrame({"time": batch.times})
    if ok.any():
        q = np.nanquantile(batch.values[ok], [0.05, 0.5, 0.95], axis=0)
        for k, col in enumerate(batch.columns):
            for label, row in zip(("q05", "q50", "q95"), q, strict=True):
                table[f"{col}_{label}"] = row[:, k]
    return Bands(table, len(param_sets), int((~ok).sum()), ignored)
