"""Posterior ensembles: parameter sets consistent with the data, by adaptive Metropolis sampling,
and quantile bands of a scenario run once per parameter set (``senotwin simulate --ensemble``).

The posterior is the problem's likelihood times its priors (parameterScaleNormal where given,
uniform on the parameter's scale within the bounds otherwise). The chain starts at the best fit,
proposes Gaussian steps on the scaled parameters with the covariance adapted from the chain
(Haario, Saksman & Tamminen 2001 Bernoulli 7:223; scale 2.38²/d), discards a burn-in and keeps
every ``thin``-th sample. Seeded: the same seed gives the same ensemble.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from senotwin._ensembles import SHIPPED_ENSEMBLES as SHIPPED_ENSEMBLES
from senotwin._ensembles import shipped_ensemble_path as shipped_ensemble_path
from senotwin._errors import ValidationError, check_seed
from senotwin._io import numeric_table, read_table
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


@dataclass(frozen=True)
class Chain:
    """An adaptive Metropolis chain on the scaled parameters: the kept samples and their
    negative log-posterior, the whole trace after burn-in (every step, for the mixing
    diagnostics), the acceptance rate over all steps and the number of likelihood evaluations."""

    kept: np.ndarray
    kept_nllh: np.ndarray
    trace: np.ndarray
    acceptance: float
    evaluations: int


def adaptive_metropolis(
    nllh: Callable[[np.ndarray], float],
    x0: np.ndarray,
    f0: float,
    lo: np.ndarray,
    hi: np.ndarray,
    *,
    samples: int = 200,
    burn_in: int = 200,
    thin: int = 2,
    seed: int = 0,
    initial_step: float = 0.01,
    initial_cov: np.ndarray | None = None,
    target_acceptance: float | None = None,
    progress: Callable[[int, Chain], None] | None = None,
    progress_every: int = 50,
) -> Chain:
    """Adaptive Metropolis (Haario 2001) on scaled parameters bounded by ``lo``/``hi`` (a
    proposal outside is rejected: uniform prior within the bounds), from ``x0`` whose negative
    log-posterior is ``f0``. The first proposals are Gaussian with standard deviation
    ``initial_step`` x the bounds' width; from step 2d on, every 10 steps, the covariance is
    2.38^2/d x the chain's. ``initial_cov`` (e.g. a pilot chain's covariance) replaces the
    first proposals' covariance. With ``target_acceptance`` the factor 2.38^2/d is tuned during
    the burn-in towards that acceptance (Robbins-Monro on its log, Andrieu & Thoms 2008 Stat
    Comput 18:343) and the proposal is frozen after it, so the kept steps are a plain Metropolis
    chain. ``nllh`` may be any deterministic function of the scaled vector (a PEtab objective, a
    simulated-cohort likelihood). ``progress(step, chain_so_far)`` is called every
    ``progress_every`` steps."""
    for name, value, least in (("samples", samples, 1), ("burn_in", burn_in, 0), ("thin", thin, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValidationError(f"{name} = {value!r}; allowed: a whole number >= {least}")
    if not 0.0 < initial_step <= 1.0:
        raise ValidationError(f"initial_step = {initial_step!r}; allowed: 0 < initial_step <= 1")
    if target_acceptance is not None and not 0.0 < target_acceptance < 1.0:
        raise ValidationError(f"target_acceptance = {target_acceptance!r}; allowed: in (0, 1)")
    rng = np.random.default_rng(seed)
    d = lo.size
    x = np.asarray(x0, dtype=float).copy()
    f = float(f0)
    if initial_cov is None:
        cov = np.diag(((hi - lo) / (1.0 / initial_step)) ** 2)  # 0.01: width / 100 exactly
    else:
        cov = np.asarray(initial_cov, dtype=float).reshape(d, d).copy()
    scale = 2.38**2 / d
    log_gain = 0.0  # tuned factor on scale (target_acceptance, burn-in only)
    chain: list[np.ndarray] = []
    kept: list[np.ndarray] = []
    kept_f: list[float] = []
    accepted = 0
    evaluations = 0
    total = burn_in + samples * thin

    def snapshot(steps: int) -> Chain:
        trace = np.array(chain[burn_in:]).reshape(-1, d)
        return Chain(
            np.array(kept).reshape(-1, d),
            np.array(kept_f),
            trace,
            accepted / max(steps, 1),
            evaluations,
        )

    frozen = target_acceptance is not None
    for step in range(total):
        adapting = not (frozen and step >= burn_in)
        if adapting and step >= 2 * d and step % 10 == 0:
            history = np.array(chain)
            cov = scale * (np.cov(history.T).reshape(d, d) + 1e-10 * np.eye(d))
        proposal = rng.multivariate_normal(x, cov * math.exp(log_gain))
        moved = False
        if np.all(proposal >= lo) and np.all(proposal <= hi):
            fp = nllh(proposal)
            evaluations += 1
            if math.isfinite(fp) and math.log(rng.uniform()) < f - fp:
                x, f = proposal, fp
                accepted += 1
                moved = True
        if target_acceptance is not None and step < burn_in:
            log_gain += (float(moved) - target_acceptance) / math.sqrt(step + 1.0)
        chain.append(x.copy())
        if step >= burn_in and (step - burn_in) % thin == 0:
            kept.append(x.copy())
            kept_f.append(f)
        if progress is not None and (step + 1) % progress_every == 0:
            progress(step + 1, snapshot(step + 1))
    return snapshot(total)


@dataclass(frozen=True)
class WalkerChains:
    """A stretch-move ensemble run: per-walker traces after burn-in (walkers x steps x
    parameters) and their negative log-posterior (walkers x steps), the acceptance rate over all
    moves and the number of likelihood evaluations."""

    traces: np.ndarray
    nllh: np.ndarray
    acceptance: float
    evaluations: int

    def pooled(self, thin: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Every ``thin``-th step of every walker, as (rows x parameters, nllh per row)."""
        return (
            self.traces[:, ::thin].reshape(-1, self.traces.shape[2]),
            self.nllh[:, ::thin].reshape(-1),
        )


def stretch_move(
    nllh: Callable[[np.ndarray], float],
    starts: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    *,
    steps: int = 200,
    burn_in: int = 100,
    seed: int = 0,
    a: float = 2.0,
    evaluate: Callable[[list[np.ndarray]], list[float]] | None = None,
    progress: Callable[[int, WalkerChains], None] | None = None,
    progress_every: int = 10,
) -> WalkerChains:
    """Affine-invariant ensemble sampler (Goodman & Weare 2010 Comm Appl Math Comput Sci 5:65,
    the stretch move; the two-half parallel update of Foreman-Mackey et al. 2013 PASP 125:306):
    walker k moves to x_j + z (x_k - x_j), x_j a walker of the other half, z drawn from
    g(z) ~ 1/sqrt(z) on [1/a, a], accepted with z^(d-1) p(y)/p(x_k). Any linear change of
    coordinates leaves it unchanged, so a straight ridge between parameters costs it nothing.
    ``starts`` (walkers x d, an even number >= 2d, inside ``lo``/``hi``; a proposal outside is
    rejected: uniform prior within the bounds); ``steps`` kept per walker after ``burn_in``.
    ``evaluate`` maps ``nllh`` over one half's proposals at once (e.g. a process pool's map);
    the result is the same as without it."""
    for name, value, least in (("steps", steps, 4), ("burn_in", burn_in, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValidationError(f"{name} = {value!r}; allowed: a whole number >= {least}")
    if not a > 1.0:
        raise ValidationError(f"stretch scale a = {a!r}; allowed: a > 1")
    x = np.array(starts, dtype=float)
    if x.ndim != 2 or x.shape[1] != lo.size:
        raise ValidationError(f"starts must be walkers x {lo.size}; got shape {x.shape}")
    w, d = x.shape
    if w < 2 * d or w % 2:
        raise ValidationError(f"{w} walkers; allowed: an even number >= 2 x {d} parameters")
    if not (np.all(x >= lo) and np.all(x <= hi)):
        raise ValidationError("every start must lie inside the bounds")
    rng = np.random.default_rng(seed)
    f = np.array([float(nllh(row)) for row in x])
    evaluations = w
    if not np.all(np.isfinite(f)):
        raise ValidationError("every start needs a finite negative log-posterior")
    total = burn_in + steps
    trace = np.empty((w, total, d))
    trace_f = np.empty((w, total))
    accepted = 0
    halves = (np.arange(0, w // 2), np.arange(w // 2, w))

    def snapshot(done: int) -> WalkerChains:
        moves = max(done * w, 1)
        return WalkerChains(
            trace[:, burn_in:done].copy(),
            trace_f[:, burn_in:done].copy(),
            accepted / moves,
            evaluations,
        )

    for step in range(total):
        for move, other in (halves, halves[::-1]):
            z = ((a - 1.0) * rng.uniform(size=move.size) + 1.0) ** 2 / a
            partner = other[rng.integers(other.size, size=move.size)]
            log_u = np.log(rng.uniform(size=move.size))
            ys = x[partner] + z[:, None] * (x[move] - x[partner])
            inside = [i for i, y in enumerate(ys) if np.all(y >= lo) and np.all(y <= hi)]
            batch = [ys[i] for i in inside]
            values = evaluate(batch) if evaluate is not None else [nllh(y) for y in batch]
            evaluations += len(batch)
            for i, fy in zip(inside, map(float, values), strict=True):
                k, zk = move[i], z[i]
                if math.isfinite(fy) and log_u[i] < (d - 1) * math.log(zk) + f[k] - fy:
                    x[k], f[k] = ys[i], fy
                    accepted += 1
        trace[:, step], trace_f[:, step] = x, f
        if progress is not None and (step + 1) % progress_every == 0:
            progress(step + 1, snapshot(step + 1))
    return snapshot(total)


@dataclass(frozen=True)
class Importance:
    """Importance draws of a posterior: the draws (rows x parameters, scaled), their negative
    log-posterior (inf outside the bounds), normalised weights, Kish's effective sample size
    and the Pareto shape k of the largest weights (PSIS: reliable below 0.7)."""

    draws: np.ndarray
    nllh: np.ndarray
    weights: np.ndarray
    ess: float
    pareto_k: float

    def resample(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` rows drawn with replacement in proportion to the weights (an unweighted
        ensemble); the row indices."""
        rng = np.random.default_rng(seed)
        return rng.choice(self.weights.size, size=n, replace=True, p=self.weights)


def pareto_k(log_weights: np.ndarray) -> float:
    """Shape k of a generalised Pareto fitted to the largest importance weights (tail of
    min(n/5, 3 sqrt n) draws; Zhang & Stephens 2009 Technometrics 51:316 with the weak prior
    of Vehtari et al. 2024 JMLR 25:72, Pareto-smoothed importance sampling): below 0.5 the
    weights' variance is finite, below 0.7 the estimate is usable, above it is not."""
    lw = np.sort(np.asarray(log_weights, dtype=float)[np.isfinite(log_weights)])
    tail = math.ceil(min(0.2 * lw.size, 3.0 * math.sqrt(lw.size)))
    if tail < 5:
        raise ValidationError(f"pareto_k needs >= 25 finite weights; got {lw.size}")
    w = np.exp(lw - lw[-1])
    x = w[-tail:] - w[-tail - 1]
    x = x[x > 0]
    n = x.size
    if n < 5:
        return math.inf  # the largest weights are tied: nothing to fit, not reliable
    m = 30 + int(math.sqrt(n))
    b = 1.0 - np.sqrt(m / (np.arange(1, m + 1, dtype=float) - 0.5))
    b = b / (3.0 * x[int(n / 4 + 0.5) - 1]) + 1.0 / x[-1]
    k = np.log1p(-b[:, None] * x).mean(axis=1)
    profile = n * (np.log(-(b / k)) - k - 1.0)
    post = 1.0 / np.exp(profile - profile[:, None]).sum(axis=1)
    keep = post >= 10 * np.finfo(float).eps
    post, b = post[keep] / post[keep].sum(), b[keep]
    k_hat = float(np.log1p(-np.sum(b * post) * x).mean())
    return (n * k_hat + 10 * 0.5) / (n + 10)  # the weak prior pulls k towards 0.5


def importance_sample(
    nllh: Callable[[np.ndarray], float],
    centre: np.ndarray,
    cov: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    *,
    n: int,
    df: float = 4.0,
    stages: int = 1,
    inflate: float = 1.0,
    seed: int = 0,
    evaluate: Callable[[list[np.ndarray]], list[float]] | None = None,
    progress: Callable[[int, Importance], bool] | None = None,
) -> Importance:
    """Importance sampling of the posterior exp(-nllh) (uniform prior within ``lo``/``hi``)
    from a multivariate Student t (``df`` degrees of freedom: heavier tails than the posterior)
    at ``centre`` with scale matrix ``cov``, ``n`` draws per stage. With ``stages`` > 1 each
    stage's proposal is refitted to the weighted draws so far (their mean; scale matrix their
    covariance x ``inflate``^2, so that a few heavy draws do not collapse it) and every draw is
    weighted by the equal mixture of all stages' proposals (adaptive multiple importance
    sampling, Cornuet et al. 2012 Scand J Stat 39:798). The draws are independent, so nothing
    has to mix; the weights say how well the proposals cover the posterior (:func:`pareto_k`,
    Kish ESS). ``evaluate`` maps ``nllh`` over one stage's draws inside the bounds at once
    (e.g. a process pool). ``progress(stage, draws so far)`` runs after every stage; when it
    returns True the later stages are skipped (the draws so far are weighted as above)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 25:
        raise ValidationError(f"n = {n!r}; allowed: a whole number >= 25")
    if isinstance(stages, bool) or not isinstance(stages, int) or stages < 1:
        raise ValidationError(f"stages = {stages!r}; allowed: a whole number >= 1")
    if not df > 0:
        raise ValidationError(f"df = {df!r}; allowed: > 0")
    if not inflate >= 1.0:
        raise ValidationError(f"inflate = {inflate!r}; allowed: >= 1")
    rng = np.random.default_rng(seed)
    loc, shape = np.asarray(centre, dtype=float), np.asarray(cov, dtype=float)
    proposals: list[Any] = []
    draws = np.empty((0, lo.size))
    f = np.empty(0)
    log_w = np.empty(0)
    for stage in range(stages):
        q = stats.multivariate_t(loc=loc, shape=shape, df=df, seed=rng)
        x = np.asarray(q.rvs(size=n)).reshape(n, lo.size)
        inside = np.all((x >= lo) & (x <= hi), axis=1)
        batch = [x[i] for i in np.flatnonzero(inside)]
        values = evaluate(batch) if evaluate is not None else [nllh(y) for y in batch]
        fx = np.full(n, math.inf)
        fx[inside] = np.asarray(values, dtype=float)
        proposals.append(q)
        draws, f = np.vstack([draws, x]), np.concatenate([f, fx])
        log_q = np.logaddexp.reduce([p.logpdf(draws) for p in proposals], axis=0)
        log_w = np.where(np.isfinite(f), -f - (log_q - math.log(len(proposals))), -np.inf)
        w = np.exp(log_w - np.max(log_w))
        w /= w.sum()
        loc = w @ draws
        centred = draws - loc
        shape = inflate**2 * (w[:, None] * centred).T @ centred + 1e-12 * np.eye(lo.size)
        if progress is not None and progress(stage + 1, _weighted(draws, f, log_w)):
            break
    return _weighted(draws, f, log_w)


def _weighted(draws: np.ndarray, f: np.ndarray, log_w: np.ndarray) -> Importance:
    """Importance draws with their log-weights normalised, Kish ESS and Pareto k."""
    w = np.exp(log_w - np.max(log_w))
    w /= w.sum()
    return Importance(draws, f, w, float(1.0 / np.sum(w**2)), pareto_k(log_w))


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
    check_seed(seed)
    lo, hi = objective.bounds()
    chain = adaptive_metropolis(
        lambda x: objective.nllh(objective.values(x)),
        objective.to_vector(fit.best),
        fit.nllh,
        lo,
        hi,
        samples=samples,
        burn_in=burn_in,
        thin=thin,
        seed=seed,
    )
    ids = [p.id for p in objective.estimated]
    linear = [
        [float(p.from_scale(v)) for p, v in zip(objective.estimated, row, strict=True)]
        for row in chain.kept
    ]
    return Ensemble(pd.DataFrame(linear, columns=ids), chain.kept_nllh, chain.acceptance)


def integrated_autocorrelation_time(series: np.ndarray) -> float:
    """Integrated autocorrelation time of one series (Geyer 1992's initial positive sequence:
    autocorrelations summed in adjacent pairs while the pair sum stays positive). 1 for
    independent draws; a constant series (never moved) gives inf."""
    x = np.asarray(series, dtype=float)
    n = x.size
    if n < 4:
        raise ValidationError(f"autocorrelation needs >= 4 steps; got {n}")
    x = x - x.mean()
    var = float(np.dot(x, x)) / n
    if var == 0.0:
        return math.inf
    size = 1 << (2 * n - 1).bit_length()
    spec = np.fft.rfft(x, size)
    acf = np.fft.irfft(spec * np.conj(spec), size)[:n] / (n * var)
    tau = -1.0  # tau = -1 + 2 * sum of the positive pair sums (acf[0] = 1 counted once)
    for k in range(0, n - 1, 2):
        pair = acf[k] + acf[k + 1]
        if pair <= 0.0:
            break
        tau += 2.0 * pair
    return max(tau, 1.0)


def effective_sample_size(trace: np.ndarray) -> np.ndarray:
    """Per column of a chain's trace (rows = steps): steps / integrated autocorrelation time."""
    t = np.asarray(trace, dtype=float)
    if t.ndim != 2:
        raise ValidationError("effective_sample_size needs a 2-D trace (steps x parameters)")
    return np.array(
        [t.shape[0] / integrated_autocorrelation_time(t[:, j]) for j in range(t.shape[1])]
    )


def _chains(traces: np.ndarray) -> np.ndarray:
    t = np.asarray(traces, dtype=float)
    if t.ndim != 3 or t.shape[1] < 4:
        raise ValidationError("multi-chain diagnostics need chains x steps (>= 4) x parameters")
    return t


def multichain_ess(traces: np.ndarray) -> np.ndarray:
    """Per parameter, the effective sample size of several chains together (chains x steps x
    parameters; BDA3 11.5 / Vehtari et al. 2021 Bayesian Anal 16:667): autocorrelations from
    the mean within-chain autocovariance against the pooled variance (so chains that disagree
    lower it), summed as Geyer's initial positive sequence; chains x steps / tau."""
    t = _chains(traces)
    m, n, d = t.shape
    out = np.empty(d)
    size = 1 << (2 * n - 1).bit_length()
    for j in range(d):
        x = t[:, :, j] - t[:, :, j].mean(axis=1, keepdims=True)
        spec = np.fft.rfft(x, size, axis=1)
        acov = np.fft.irfft(spec * np.conj(spec), size, axis=1)[:, :n] / n  # biased, per chain
        within = float(acov[:, 0].mean()) * n / (n - 1)
        between = n * float(t[:, :, j].mean(axis=1).var(ddof=1)) if m > 1 else 0.0
        var_plus = (n - 1) / n * within + between / n
        if var_plus == 0.0:
            out[j] = 0.0
            continue
        rho = 1.0 - (within - acov.mean(axis=0)) / var_plus
        rho[0] = 1.0
        tau = -1.0
        for k in range(0, n - 1, 2):
            pair = rho[k] + rho[k + 1]
            if pair <= 0.0:
                break
            tau += 2.0 * pair
        out[j] = m * n / max(tau, 1.0)
    return out


def multichain_split_rhat(traces: np.ndarray) -> np.ndarray:
    """Per parameter, split-R-hat of several chains (chains x steps x parameters): each chain
    cut in halves, the potential scale reduction of all halves (BDA3 11.4); the multi-chain
    form of :func:`split_rhat`, which is its one-chain case."""
    t = _chains(traces)
    m = t.shape[1] // 2
    halves = np.concatenate([t[:, :m], t[:, m : 2 * m]])  # (2 chains, m, d)
    within = halves.var(axis=1, ddof=1).mean(axis=0)
    between = m * halves.mean(axis=1).var(axis=0, ddof=1)
    var_plus = (m - 1) / m * within + between / m
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt(var_plus / within)


def split_rhat(trace: np.ndarray) -> np.ndarray:
    """Per column, the potential scale reduction of the trace's two halves (Gelman et al.,
    Bayesian Data Analysis 3rd ed., split-R-hat): about 1 when both halves sample the same
    distribution; above 1.1 the chain has not mixed. A column constant in both halves gives
    nan (nothing to compare)."""
    t = np.asarray(trace, dtype=float)
    if t.ndim != 2 or t.shape[0] < 4:
        raise ValidationError("split_rhat needs a 2-D trace with >= 4 steps")
    return multichain_split_rhat(t[None])  # one chain: its two halves


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
    setup's values, columns naming species set their initial amounts; other columns, e.g.
    noise sigmas, are ignored) and summarise the runs as 5 / 50 / 95 % quantile bands; failed
    runs are left out and counted."""
    spec = setup.spec
    used = [c for c in sets.columns if c in spec.parameter_ids]
    starts = [c for c in sets.columns if c in spec.species_ids]
    ignored = tuple(str(c) for c in sets.columns if c not in (*used, *starts))
    if not used and not starts:
        raise ValidationError(
            f"ensemble: no parameter or species of {spec.id} among its columns "
            f"({', '.join(map(str, sets.columns))})"
        )
    if len(sets) == 0:
        raise ValidationError("ensemble: no parameter sets (rows)")
    values = numeric_table(sets[[*used, *starts]], what="ensemble", nonnegative=True)
    param_sets = [
        dict(setup.params) | {k: float(v) for k, v in row.items()}
        for _, row in values[used].iterrows()
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
        initial_sets=[
            {k: float(v) for k, v in row.items()} for _, row in values[starts].iterrows()
        ],
    )
    ok = np.array([s == "success" for s in batch.status])
    columns: dict[str, np.ndarray] = {"time": np.asarray(batch.times)}
    if ok.any():
        q = np.nanquantile(batch.values[ok], [0.05, 0.5, 0.95], axis=0)
        for k, col in enumerate(batch.columns):
            for label, row in zip(("q05", "q50", "q95"), q, strict=True):
                columns[f"{col}_{label}"] = row[:, k]
    # one frame from all columns at once (inserting ~400 one by one fragments it)
    return Bands(pd.DataFrame(columns), len(param_sets), int((~ok).sum()), ignored)


#: what a shipped ensemble's provenance must state
PROVENANCE_KEYS = (
    "problem",
    "optimum",
    "optimum_nllh",
    "sampler",
    "seed",
    "n",
    "acceptance",
    "effective_sample_size",
    "split_rhat",
    "date",
    "model_digest",
    "columns",
)


@dataclass(frozen=True)
class ShippedEnsemble:
    """A shipped posterior ensemble: its draws (one row each) and its provenance record."""

    name: str
    table: pd.DataFrame
    provenance: dict[str, Any]


def shipped_ensemble(name: str = "liu2019_posterior") -> ShippedEnsemble:
    """Load a shipped ensemble (see :func:`read_ensemble_with_provenance`)."""
    return read_ensemble_with_provenance(shipped_ensemble_path(name))


def read_ensemble_with_provenance(path: Path) -> ShippedEnsemble:
    """An ensemble TSV and the provenance JSON beside it (same name), checked against each
    other: every key of :data:`PROVENANCE_KEYS` present, one row per stated draw, every column
    described."""
    name = path.stem
    table = read_table(path, what="ensemble")
    prov = path.with_suffix(".json")
    if not prov.is_file():
        raise ValidationError(f"ensemble {name!r}: no provenance file {prov.name} beside it")
    record = json.loads(prov.read_text("utf-8"))
    if missing := [k for k in PROVENANCE_KEYS if k not in record]:
        raise ValidationError(f"ensemble {name!r}: provenance lacks {missing}")
    if record["n"] != len(table):
        raise ValidationError(
            f"ensemble {name!r}: provenance says n = {record['n']}, the table has {len(table)} rows"
        )
    if undescribed := [c for c in map(str, table.columns) if c not in record["columns"]]:
        raise ValidationError(f"ensemble {name!r}: columns {undescribed} not described")
    return ShippedEnsemble(name, table, record)


def uniform_curvature(direction: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """1 / the variance, along the unit vector ``direction``, of the uniform prior on the box
    [lo, hi]: the curvature a flat direction of a likelihood gets from the prior alone."""
    v = np.asarray(direction, dtype=float)
    v = v / np.linalg.norm(v)
    return float(1.0 / np.sum(v**2 * (hi - lo) ** 2 / 12.0))


def positive_hessian(
    hessian: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """``hessian`` made positive definite for a Laplace approximation: each non-positive
    eigenvalue replaced by the uniform prior's curvature along its eigenvector
    (:func:`uniform_curvature`); returns it and, per replaced direction, what was replaced."""
    h = 0.5 * (np.asarray(hessian, dtype=float) + np.asarray(hessian, dtype=float).T)
    values, vectors = np.linalg.eigh(h)
    replaced = []
    for k, lam in enumerate(values):
        if lam <= 0.0:
            values[k] = uniform_curvature(vectors[:, k], lo, hi)
            replaced.append(
                {
                    "eigenvalue": float(lam),
                    "prior_curvature": float(values[k]),
                    "vector": vectors[:, k].tolist(),
                }
            )
    return np.asarray(vectors @ np.diag(values) @ vectors.T), replaced


def truncated_normal(
    mean: np.ndarray,
    cov: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    n: int,
    *,
    seed: int = 0,
    max_draws: int = 10_000_000,
) -> tuple[np.ndarray, float]:
    """``n`` draws of N(mean, cov) truncated to the box [lo, hi] by rejection, and the share of
    proposals accepted (the Gaussian's mass inside the box, estimated)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValidationError(f"n = {n!r}; allowed: a whole number >= 1")
    rng = np.random.default_rng(seed)
    kept: list[np.ndarray] = []
    proposed = accepted = 0
    while accepted < n:
        if proposed >= max_draws:
            raise ValidationError(
                f"truncated_normal: {accepted} of {proposed} proposals inside the bounds; "
                "the Gaussian has too little mass there"
            )
        y = rng.multivariate_normal(mean, cov, size=max(n, 1000))
        inside = y[np.all((y >= lo) & (y <= hi), axis=1)]
        kept.append(inside)
        proposed += y.shape[0]
        accepted += inside.shape[0]
    return np.vstack(kept)[:n], accepted / proposed
