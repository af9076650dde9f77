"""Multi-start local optimisation of a calibration problem.

SciPy ``least_squares`` (trust-region reflective, bounded, finite-difference Jacobian) from
``starts`` Latin-hypercube points of the estimated parameters' bounds on their scale (log10 by
default), on the fast engine. Why not pyPESTO/fides: their sampling of starts and their
optimisers need AMICI or a PEtab importer for gradients; our models are ModelSpecs simulated
by the fast engine, for which SciPy's bounded trust-region method with finite differences is a
standard, well-kept choice (Raue et al. 2013 PLoS One 8:e74335 recommend exactly this:
multi-start deterministic local optimisation in log space). Results: every start (waterfall),
the best parameter set, goodness of fit (chi2, AIC, BIC per data set) and the eigenvalues of the
Fisher information at the optimum (collinearity summary).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import OptimizeWarning, least_squares
from scipy.stats import chi2 as chi2_dist
from scipy.stats import qmc

from senotwin._errors import ValidationError, check_seed, check_type
from senotwin.calibrate.objective import Objective
from senotwin.calibrate.problem import Problem

DIFF_STEP = 1e-4  # relative finite-difference step on the scaled parameters


@dataclass(frozen=True)
class Start:
    """One local optimisation: where it began and ended (scaled vectors), its objective."""

    index: int
    x0: tuple[float, ...]
    x: tuple[float, ...]
    nllh: float
    evaluations: int
    status: int
    message: str


#: a held-back chi2 with a smaller upper-tail p says the fit does not predict those data
NOT_PREDICTED_P = 0.01


@dataclass(frozen=True)
class GoodnessOfFit:
    """Fit statistics of one data set (the measurements of one ``datasetId`` or all)."""

    dataset: str
    n: int
    chi2: float
    nllh: float

    def chi2_p(self) -> float:
        """P(chi2 with n degrees of freedom >= this chi2): for predicted (held-back) data, the
        chance of a misfit this large if the model and the fitted noise were right."""
        return float(chi2_dist.sf(self.chi2, self.n)) if self.n > 0 else math.nan

    def predicted(self) -> bool:
        """Held-back data count as predicted unless :meth:`chi2_p` < :data:`NOT_PREDICTED_P`."""
        return not self.chi2_p() < NOT_PREDICTED_P


@dataclass(frozen=True)
class FitResult:
    """Every start sorted by objective (best first), the best values (linear scale), goodness
    of fit, held-back prediction error and the Fisher-information eigenvalues at the optimum."""

    problem: str
    parameter_ids: tuple[str, ...]
    starts: tuple[Start, ...]
    best: Mapping[str, float]
    nllh: float
    aic: float
    bic: float
    n_data: int
    goodness: tuple[GoodnessOfFit, ...]
    held_back: GoodnessOfFit | None
    held_back_rmse: float | None
    fim_eigenvalues: tuple[float, ...]
    seconds: float
    evaluations: int
    converged: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: held-back prediction per data set (``datasetId``), when the held-back rows name them
    held_back_by_dataset: tuple[GoodnessOfFit, ...] = field(default_factory=tuple)
    #: held-back prediction per observable: which series a misfit is in
    held_back_by_observable: tuple[GoodnessOfFit, ...] = field(default_factory=tuple)

    def waterfall(self) -> np.ndarray:
        """Final objective of every start, sorted ascending."""
        return np.array([s.nllh for s in self.starts])


def latin_starts(objective: Objective, n: int, seed: int) -> np.ndarray:
    """``n`` Latin-hypercube points inside the scaled bounds (scrambled, seeded)."""
    lo, hi = objective.bounds()
    if lo.size == 0:
        raise ValidationError(f"problem {objective.problem.name}: no parameter to estimate")
    sampler = qmc.LatinHypercube(d=lo.size, seed=np.random.default_rng(seed))
    return np.asarray(qmc.scale(sampler.random(n), lo, hi))


def local_fit(
    objective: Objective,
    x0: np.ndarray,
    *,
    fixed: Mapping[str, float] | None = None,
    free: np.ndarray | None = None,
    max_nfev: int = 200,
) -> tuple[np.ndarray, float, int, int, str]:
    """One bounded trust-region least-squares run from ``x0``; ``free`` masks the coordinates
    that move (the others stay at ``x0``). Returns (x, nllh, evaluations, status, message)."""
    lo, hi = objective.bounds()
    mask = np.ones(x0.size, bool) if free is None else free
    x_full = np.clip(np.array(x0, float), lo, hi)

    def fun(z: np.ndarray) -> np.ndarray:
        x = x_full.copy()
        x[mask] = z
        return objective.residuals(x, fixed=fixed)

    before = objective.evaluations
    if not mask.any():
        x = x_full
        status, message = 0, "nothing to optimise"
    else:
        eps = 1e-9 * (hi[mask] - lo[mask])
        z0 = np.clip(x_full[mask], lo[mask] + eps, hi[mask] - eps)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            sol = least_squares(
                fun,
                z0,
                bounds=(lo[mask], hi[mask]),
                method="trf",
                diff_step=DIFF_STEP,
                max_nfev=max_nfev,
                x_scale="jac",
            )
        x = x_full.copy()
        x[mask] = sol.x
        status, message = int(sol.status), str(sol.message)
    nllh = objective.nllh(objective.values(x, fixed=fixed))
    return x, nllh, objective.evaluations - before, status, message


def _goodness(
    objective: Objective,
    values: Mapping[str, float],
    *,
    held_back: bool = False,
    by: str = "datasetId",
) -> list[GoodnessOfFit]:
    """chi2 and nllh per ``datasetId`` (or another measurement column, e.g. ``observableId``)
    of the fitted (or held-back) measurements."""
    pred = objective.predict(values, held_back=held_back)
    table = objective.problem.held_back if held_back else objective.problem.measurements
    if table is None or len(table) == 0:
        return []
    datasets = (
        table[by].astype(str).to_numpy()
        if by in table.columns
        else np.full(len(table), "all", dtype=object)
    )
    rows = objective.held if held_back else objective.fit
    sigma = objective._sigmas(rows, values)
    r = objective._scaled_residuals(rows, pred, sigma)
    out = []
    for ds in dict.fromkeys(datasets):
        m = datasets == ds
        nll = float(np.sum(0.5 * np.log(2 * math.pi * sigma[m] ** 2) + 0.5 * r[m] ** 2))
        out.append(GoodnessOfFit(str(ds), int(m.sum()), float(np.sum(r[m] ** 2)), nll))
    return out


def _fim_eigenvalues(objective: Objective, x: np.ndarray) -> tuple[float, ...]:
    """Eigenvalues of J^T J of the data residuals (scaled parameters), largest first."""
    _, hi = objective.bounds()
    r0 = objective.residuals(x)
    jac = np.empty((r0.size, x.size))
    for j in range(x.size):
        h = DIFF_STEP * max(1.0, abs(x[j]))
        xp = x.copy()
        xp[j] = x[j] + h if x[j] + h <= hi[j] else x[j] - h
        jac[:, j] = (objective.residuals(xp) - r0) / (xp[j] - x[j])
    eig = np.linalg.eigvalsh(jac.T @ jac)
    return tuple(float(e) for e in sorted(eig, reverse=True))


def fit_problem(
    problem: Problem | Objective,
    *,
    starts: int = 50,
    seed: int = 0,
    max_nfev: int = 200,
    include_nominal: bool = True,
    progress: Callable[[tuple[Start, ...], int], None] | None = None,
) -> FitResult:
    """Fit ``problem`` from ``starts`` Latin-hypercube starts (plus the nominal values when
    ``include_nominal``); the same seed gives the same starts. ``progress`` is called after each
    start with the starts done so far and the number planned (long fits save partial results)."""
    what = "a Problem (senotwin.calibrate.get_problem(name)) or an Objective"
    check_type(problem, (Problem, Objective), name="problem", what=what)
    check_type(starts, int, name="starts", what="a whole number >= 1")
    check_type(seed, int, name="seed", what="a whole number >= 0")
    check_type(max_nfev, int, name="max_nfev", what="a whole number >= 1 (evaluations per start)")
    if isinstance(starts, bool) or not isinstance(starts, int) or starts < 1:
        raise ValidationError(f"starts = {starts!r}; allowed: a whole number >= 1")
    check_seed(seed)
    if isinstance(max_nfev, bool) or not isinstance(max_nfev, int) or max_nfev < 1:
        raise ValidationError(
            f"max_nfev = {max_nfev!r}; allowed: a whole number >= 1 (evaluations per start)"
        )
    objective = problem if isinstance(problem, Objective) else Objective(problem)
    began = time.perf_counter()
    evals0 = objective.evaluations
    x0s = latin_starts(objective, starts, seed)
    if include_nominal:
        x0s = np.vstack([objective.to_vector(objective.problem.nominal()), x0s])
    results = []
    for i, x0 in enumerate(x0s):
        x, nllh, nev, status, message = local_fit(objective, x0, max_nfev=max_nfev)
        results.append(
            Start(i, tuple(map(float, x0)), tuple(map(float, x)), nllh, nev, status, message)
        )
        if progress is not None:
            progress(tuple(results), len(x0s))
    results.sort(key=lambda s: (not math.isfinite(s.nllh), s.nllh))
    best_x = np.array(results[0].x)
    best = objective.values(best_x)
    n_data = len(objective.problem.measurements)
    k = len(objective.estimated)
    nllh = results[0].nllh
    held = held_rmse = None
    if objective.held.value.size:
        pred = objective.predict(best, held_back=True)
        sigma = objective._sigmas(objective.held, best)
        r = objective._scaled_residuals(objective.held, pred, sigma)
        held = GoodnessOfFit(
            "held back",
            int(r.size),
            float(np.sum(r**2)),
            objective.nllh_of(pred, best, held_back=True),
        )
        held_rmse = float(np.sqrt(np.mean((pred - objective.held.value) ** 2)))
    converged = sum(1 for s in results if s.nllh - nllh < 0.1)
    return FitResult(
        problem=objective.problem.name,
        parameter_ids=tuple(p.id for p in objective.estimated),
        starts=tuple(results),
        best=best,
        nllh=nllh,
        aic=2 * k + 2 * nllh,
        bic=k * math.log(max(n_data, 1)) + 2 * nllh,
        n_data=n_data,
        goodness=tuple(_goodness(objective, best)),
        held_back=held,
        held_back_rmse=held_rmse,
        fim_eigenvalues=_fim_eigenvalues(objective, best_x),
        seconds=time.perf_counter() - began,
        evaluations=objective.evaluations - evals0,
        converged=converged,
        held_back_by_dataset=tuple(_goodness(objective, best, held_back=True)) if held else (),
        held_back_by_observable=(
            tuple(_goodness(objective, best, held_back=True, by="observableId")) if held else ()
        ),
    )
