"""Posterior ensemble of the qsp model's calibrated parameters (issues 14.4 and 13.6).

The liu2019 population parameters around the shipped optimum
(``calibrate/data/ici_cohorts/fit.json``) on the same simulated-cohort likelihood (same virtual
patients and seed as the fit: common random numbers, so the likelihood is deterministic), plus
``s_il8_C`` drawn independently from its own one-dimensional plasma likelihood (CancerSEEK lung
patients, a different data set: exact inverse-CDF sampling on a grid). Writes
``calibrate/data/ensembles/liu2019_posterior.tsv`` and its provenance ``.json`` (``--out``).

``--sampler laplace`` (session 26) is the remedy for a noisy simulation-based likelihood: the
nllh averaged over the virtual cohorts of ``--laplace-seeds`` (common random numbers each) at the
optimum and ``--design`` Latin-hypercube points of a box (the optimum +- ``--box`` x each
conditional profile half-width, clipped to the bounds), a full quadratic least-squares emulator
fitted to 80 % of them (20 % held out: rule (a), held-out R^2 >= ``--min-r2``), its Hessian made
positive definite with the uniform prior's curvature, 200 rows from the truncated Gaussian
around its minimiser (the optimum when that lies outside the bounds), and check (b): the first
``--check`` rows scored like the design must lie on average 1.5-7 nllh above the quadratic at
the mean (a d-dimensional Gaussian predicts d / 2: 3.5 for all seven quantities). "mixed" in
the provenance means (a) and (b) held.
Every evaluation is appended to ``build/ensembles/laplace_evaluations.tsv``; the same command
resumes from it (move it aside before a different design):

    python scripts/liu2019_posterior.py --sampler laplace --box 0.5 --max-minutes 40 \
        --out build/ensembles/laplace

``--fix k_byst.value`` (session 34; laplace only) holds a shared quantity at the fit's value,
which the model must carry (k_byst sat at its range ceiling until session 36, so the box was
one-sided in it; since the joint refit it is 0.7849 and still poorly identified, 0.148-open): the
quadratic and the rows have one dimension fewer.

The default sampler (session 20) is adaptive multiple importance sampling
(``calibrate.sample.importance_sample``): 4 stages of 1,200 independent draws from a Student t
(4 degrees of freedom), the first at the optimum with the covariance of ``--start-cov``'s draws
(the shipped ensemble) with each sd raised to the fit's conditional profile interval where wider,
x 1.25^2; each later stage refitted to the weighted draws (x 1.2^2); evaluated in 2 processes;
200 rows resampled by weight. Usable when Kish ESS >= 200 and Pareto k < 0.7:

    python scripts/liu2019_posterior.py --max-minutes 40 --out build/ensembles/new
    # then, if the printed "mixed" is true, copy the .tsv/.json into calibrate/data/ensembles/

Session 20 on a loaded 2-core machine: 12-15 min per stage (0.27 CPU-s per evaluation), so the
40-minute cap ran 3 stages (Kish ESS 13.5, Pareto k 1.02: not usable; docs/calibration.md);
``--stages 8 --max-minutes 90`` is the next try.

``--sampler metropolis`` is the adaptive Metropolis chain of sessions 14-19; session 23 ran two
independent chains of it in two processes from a diagonal start on the fit's own conditional
profile widths (``--initial-cov profile``; the previous ensemble lacked ``k_exh`` and sat
elsewhere), judged on both chains together (multi-chain split-R-hat and ESS):

    python scripts/liu2019_posterior.py --sampler metropolis --chains 2 --seed 1 --burn-in 400 \
        --samples 100 --thin 12 --initial-cov profile --target-acceptance 0.234 --max-minutes 60

``--sampler stretch`` runs the affine-invariant ensemble sampler instead
(``calibrate.sample.stretch_move``; ``--walkers`` walkers started at the optimum plus Gaussian
draws with the covariance of a previous ensemble's draws, ``--start-cov``, on the fit's
scales; ``--burn-in`` and ``--samples`` count ensemble steps; every ``--thin``-th step of every
walker is kept). Its mixing is judged on all walkers together (multi-chain split-R-hat and
effective sample size), by the same rule.

Columns named as model parameters are applied by every ``--ensemble`` consumer (the centre of a
transferable population prior is the typical patient's value); the melanoma-specific population
quantities of the same draws are kept as ``PARAM.centre`` / ``PARAM.spread`` columns, which the
consumers ignore and list.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import multiprocessing as mp
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from senotwin._hessian import fit_quadratic
from senotwin._io import atomic_write_text, read_table
from senotwin.calibrate.plasma_cohort import cancer_cell_secretion_fit, secretion_likelihood
from senotwin.calibrate.sample import (
    Chain,
    Importance,
    WalkerChains,
    adaptive_metropolis,
    effective_sample_size,
    importance_sample,
    multichain_ess,
    multichain_split_rhat,
    positive_hessian,
    split_rhat,
    stretch_move,
    truncated_normal,
)
from senotwin.model.scenarios import get_scenario
from senotwin.trial.ici_cohort import CohortDesign
from senotwin.trial.ici_fit import (
    ICI_PARAMETERS,
    LEGACY_READ,
    IciObjective,
    PopulationParameter,
    _lhs,
    ensemble_column,
    stored_fit,
)

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "senotwin" / "calibrate" / "data" / "ensembles"
PROGRESS = ROOT / "build" / "ensembles" / "liu2019_posterior.progress.json"
#: importance draws are usable with at least this Kish ESS (the rows shipped) and Pareto k < 0.7
MIN_KISH_ESS = 200


def il8_draws(n: int, seed: int) -> tuple[np.ndarray, dict]:
    """``n`` draws of s_il8_C from its plasma likelihood (uniform prior on log10 within +-1
    decade of the optimum; 2001-point grid, inverse CDF)."""
    lik = secretion_likelihood("IL8")
    fit = cancer_cell_secretion_fit("IL8")
    centre = np.log10(fit.value)
    grid = np.linspace(centre - 1.0, centre + 1.0, 2001)
    f = np.array([lik.nllh(float(g)) for g in grid])
    w = np.exp(-(f - f.min()))
    cdf = np.cumsum(w)
    cdf /= cdf[-1]
    rng = np.random.default_rng(seed)
    draws = 10.0 ** np.interp(rng.uniform(size=n), cdf, grid)
    q = 10.0 ** np.interp([0.025, 0.5, 0.975], cdf, grid)
    return draws, {
        "parameter": "s_il8_C",
        "dataset": "cohen2018_plasma (CancerSEEK Table S6 stage I-III lung-cancer plasma IL-8)",
        "method": "exact one-dimensional posterior on a 2001-point grid of log10(s_il8_C) over "
        "+-1 decade of the optimum (uniform prior on log10), inverse-CDF draws; the likelihood "
        "of senotwin.calibrate.plasma_cohort.secretion_likelihood('IL8')",
        "seed": seed,
        "optimum": fit.value,
        "profile_interval_95": [fit.low, fit.high],
        "posterior_2.5_50_97.5": [float(v) for v in q],
        "independence": "drawn independently of the liu2019 rows by construction (a different "
        "data set, another tissue); the liu2019 chain ran with s_il8_C at its shipped value",
    }


_OBJECTIVE: IciObjective | None = None


def _evaluate(x: np.ndarray) -> float:
    """The liu2019 nllh in a forked worker (the objective is the parent's, set before the fork)."""
    assert _OBJECTIVE is not None
    return float(_OBJECTIVE(x))


class TimeUp(Exception):
    """Raised by the walkers' progress report once ``--max-minutes`` have passed (after the
    burn-in): the run stops there and keeps the steps done."""

    def __init__(self, chains: WalkerChains) -> None:
        super().__init__("time up")
        self.chains = chains


def walker_progress(step: int, chains: WalkerChains) -> None:
    PROGRESS.parent.mkdir(parents=True, exist_ok=True)
    PROGRESS.write_text(
        json.dumps(
            {
                "step": step,
                "acceptance": chains.acceptance,
                "evaluations": chains.evaluations,
                "traces": chains.traces.tolist(),
                "nllh": chains.nllh.tolist(),
            }
        )
    )
    print(
        f"step {step}: acceptance {chains.acceptance:.2f}, kept steps {chains.traces.shape[1]}",
        flush=True,
    )


def start_covariance(obj: IciObjective, cov_from: Path) -> np.ndarray:
    """Covariance, on the fit's scales, of a previous ensemble's draws."""
    table = read_table(cov_from, what="ensemble")
    cols = [ensemble_column(p.id) for p in obj.parameters]
    pairs = zip(obj.parameters, cols, strict=True)
    scaled = np.column_stack([np.vectorize(p.to_x)(table[c].to_numpy(float)) for p, c in pairs])
    return np.asarray(np.cov(scaled.T))


def profile_matched(obj: IciObjective, cov: np.ndarray, record: dict) -> np.ndarray:
    """``cov`` (the fit's scales) with each parameter's sd raised to the fit's conditional 95 %
    profile interval / 3.92 where that is wider (a conditional width is a lower bound on the
    marginal one); its correlations kept: a previous ensemble's shape, the current fit's widths."""
    ci = {p["parameter"]: (p["ci_low"], p["ci_high"]) for p in record["parameters"]}
    widths = [abs(p.to_x(ci[p.id][1]) - p.to_x(ci[p.id][0])) for p in obj.parameters]
    d = np.maximum(1.0, np.array(widths) / 3.92 / np.sqrt(np.diag(cov)))
    return np.asarray(cov * np.outer(d, d))


def profile_diagonal(obj: IciObjective, record: dict) -> np.ndarray:
    """Diagonal covariance on the fit's scales from the fit's conditional 95 % profile
    intervals: each sd = the interval's width / 3.92, or, where one end is open (the bound
    reached), the closed side's distance from the optimum / 1.96. No earlier ensemble's shape:
    the current fit's own widths (a chain's burn-in then learns the correlations)."""
    rows = {p["parameter"]: p for p in record["parameters"]}
    sds = []
    for p in obj.parameters:
        row = rows[p.id]
        best, low, high = p.to_x(row["best"]), row["ci_low"], row["ci_high"]
        if low is not None and high is not None:
            sd = (p.to_x(high) - p.to_x(low)) / 3.92
        elif low is not None or high is not None:
            sd = abs(best - p.to_x(low if low is not None else high)) / 1.96
        else:
            raise ValueError(f"{p.id}: no profile interval end in fit.json")
        sds.append(sd)
    return np.diag(np.square(sds))


def initial_covariance(obj: IciObjective, spec: str | None, record: dict) -> np.ndarray | None:
    """Metropolis first proposals' covariance: 2.38^2/d x the profile diagonal (``profile``) or
    x a previous ensemble's draws' covariance (a path); None = the bounds-width default."""
    if spec is None:
        return None
    base = profile_diagonal(obj, record) if spec == "profile" else start_covariance(obj, Path(spec))
    return np.asarray(2.38**2 / len(obj.parameters) * base)


class ChainTimeUp(Exception):
    """Raised by a chain's progress report past its deadline (after the burn-in): the chain
    stops there and keeps the steps done."""

    def __init__(self, chain: Chain) -> None:
        super().__init__("time up")
        self.chain = chain


def run_chain(job: tuple) -> Chain:
    """One adaptive Metropolis chain (a worker process; ``_OBJECTIVE`` set before the fork)."""
    x0, f0, lo, hi, seed, kwargs, deadline, burn_in = job
    assert _OBJECTIVE is not None

    def report(step: int, chain: Chain) -> None:
        print(
            f"chain seed {seed} step {step}: acceptance {chain.acceptance:.2f}, "
            f"kept {len(chain.kept)}",
            flush=True,
        )
        if deadline is not None and time.time() > deadline and step > burn_in + 4:
            raise ChainTimeUp(chain)

    try:
        return adaptive_metropolis(
            _OBJECTIVE, x0, f0, lo, hi, seed=seed, burn_in=burn_in, progress=report, **kwargs
        )
    except ChainTimeUp as stop:
        print(f"chain seed {seed} stopped (--max-minutes)", flush=True)
        return stop.chain


#: every evaluation of the laplace design and check, one line each: a killed run resumes from it
LAPLACE_TSV = ROOT / "build" / "ensembles" / "laplace_evaluations.tsv"
#: the laplace objectives by common-random-number seed, warmed in the parent before the fork
_SEEDED: dict[int, IciObjective] = {}


def fixed_parameters(
    ids: list[str], best: dict[str, float], model_value: Callable[[str], float]
) -> tuple[list[PopulationParameter], dict[str, float]]:
    """(the parameters left to sample, the fixed ones at their values) for ``--fix``: only a
    quantity shared by every patient (``.value``) whose fitted value the model already carries
    (``model_value(name)``, qsp.yaml's value) can be held -- the cohort then simulates it at
    that value without being told; a centre or spread, or a value the model lacks, is refused."""
    known = {p.id for p in ICI_PARAMETERS}
    fixed: dict[str, float] = {}
    for pid in ids:
        if pid not in known:
            raise SystemExit(f"--fix {pid!r}: allowed: one of {sorted(known)}")
        if not pid.endswith(".value"):
            raise SystemExit(
                f"--fix {pid!r}: only a quantity shared by every patient (ID.value) can be held; "
                "a population centre or spread has no model value to hold it at"
            )
        name = pid.split(".")[0]
        if not math.isclose(float(model_value(name)), float(best[pid]), rel_tol=1e-9):
            raise SystemExit(
                f"--fix {pid!r}: the model carries {name} = {model_value(name)!r}, the fit "
                f"{best[pid]!r}; hold it only where they agree (copy the fit into qsp.yaml first)"
            )
        fixed[pid] = float(best[pid])
    return [p for p in ICI_PARAMETERS if p.id not in fixed], fixed


def laplace_box(
    obj: IciObjective, record: dict, x0: np.ndarray, factor: float
) -> tuple[np.ndarray, np.ndarray]:
    """The emulator's design box on the fit's scales: the optimum +- ``factor`` x each
    parameter's conditional profile half-width (the wider side; an open side: its distance to
    the bound), clipped to the bounds."""
    rows = {p["parameter"]: p for p in record["parameters"]}
    lo, hi = obj.bounds()
    half = []
    for k, p in enumerate(obj.parameters):
        low, high = rows[p.id]["ci_low"], rows[p.id]["ci_high"]
        end_lo = lo[k] if low is None else p.to_x(low)
        end_hi = hi[k] if high is None else p.to_x(high)
        half.append(max(x0[k] - end_lo, end_hi - x0[k]))
    h = factor * np.array(half)
    return np.maximum(lo, x0 - h), np.minimum(hi, x0 + h)


def _seeded_worker(
    seed: int, kind: str, points: np.ndarray, todo: list[int], deadline: float
) -> None:
    """Evaluate ``points[todo]`` on one seed's cohort (forked), appending each to LAPLACE_TSV."""
    obj = _SEEDED[seed]
    with LAPLACE_TSV.open("a") as out:
        for i in todo:
            if time.time() > deadline:
                return
            t = time.perf_counter()
            f = float(obj(points[i]))
            fields = [kind, str(i), str(seed), repr(f), f"{time.perf_counter() - t:.1f}"]
            out.write("\t".join(fields + [repr(float(v)) for v in points[i]]) + "\n")
            out.flush()


def _seeded_done(kind: str, points: np.ndarray) -> dict[tuple[int, int], float]:
    """(point, seed) -> nllh already in LAPLACE_TSV for ``kind``; refuses a changed design."""
    done: dict[tuple[int, int], float] = {}
    if not LAPLACE_TSV.is_file():
        return done
    for line in LAPLACE_TSV.read_text().splitlines():
        k, i, s, f, _, *x = line.split("\t")
        if k != kind:
            continue
        if int(i) >= len(points) or not np.allclose(np.array(x, dtype=float), points[int(i)]):
            raise SystemExit(f"{LAPLACE_TSV.name}: {kind} point {i} differs; move the file aside")
        done[int(i), int(s)] = float(f)
    return done


def evaluate_seeded(
    kind: str, points: np.ndarray, seeds: list[int], deadline: float = math.inf
) -> np.ndarray:
    """nllh of every point on every seed's cohort (points x seeds; nan where ``deadline``
    stopped it), one forked process per seed, resuming from LAPLACE_TSV."""
    LAPLACE_TSV.parent.mkdir(parents=True, exist_ok=True)
    done = _seeded_done(kind, points)
    procs = []
    for s in seeds:
        todo = [i for i in range(len(points)) if (i, s) not in done]
        if todo:
            proc = mp.get_context("fork").Process(
                target=_seeded_worker, args=(s, kind, points, todo, deadline)
            )
            proc.start()
            procs.append(proc)
    for proc in procs:
        proc.join()
    done = _seeded_done(kind, points)
    return np.array([[done.get((i, s), np.nan) for s in seeds] for i in range(len(points))])


def r_squared(y: np.ndarray, fitted: np.ndarray) -> tuple[float, float]:
    """(R^2, residual sd) of a prediction."""
    res = y - fitted
    return float(1.0 - np.sum(res**2) / np.sum((y - y.mean()) ** 2)), float(
        np.sqrt(np.mean(res**2))
    )


LINE_STEPS = (-0.3, -0.2, -0.1, 0.1, 0.2, 0.3)


def line_curvatures(
    hessian: np.ndarray,
    replaced: list[dict],
    x0: np.ndarray,
    y0: float,
    blo: np.ndarray,
    bhi: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    seeds: list[int],
) -> tuple[np.ndarray, list[dict]]:
    """``hessian`` with each direction the quadratic gave a curvature <= 0 (``replaced``) refitted
    on the line through the optimum: the seed-averaged nllh at ``LINE_STEPS`` x each side's own
    distance to the design box's edge along the eigenvector (a side a bound blocks at the
    optimum gives no point), fitted as y0 + a t + c t^2 / 2; the direction takes max(c, the
    prior curvature) (session 32; its first run took one distance for both sides, 0 where the
    optimum sits on a bound)."""
    values, vectors = np.linalg.eigh(hessian)
    points, where = [], []
    for j, r in enumerate(replaced):
        v = np.asarray(r["vector"], dtype=float)
        for sign in (-1.0, 1.0):  # each side's own distance to the box edge (0 where blocked)
            u = sign * v
            with np.errstate(divide="ignore", invalid="ignore"):
                reach = np.where(
                    u > 1e-12, (bhi - x0) / u, np.where(u < -1e-12, (blo - x0) / u, np.inf)
                )
            edge = float(np.min(reach))
            for f in (f for f in LINE_STEPS if f * sign > 0):
                x = x0 + abs(f) * edge * u
                if edge > 0 and np.all((x >= lo) & (x <= hi)):
                    points.append(x)
                    where.append((j, abs(f) * edge * sign))
    f_line = evaluate_seeded("line", np.array(points), seeds).mean(axis=1)
    fits = []
    for j, r in enumerate(replaced):
        t = np.array([tt for (jj, tt) in where if jj == j])
        y = np.array([f_line[i] for i, (jj, _) in enumerate(where) if jj == j])
        c = math.nan
        if t.size >= 2:
            a_mat = np.column_stack([t, 0.5 * t**2])
            (_, c), *_ = np.linalg.lstsq(a_mat, y - y0, rcond=None)
        curv = max(float(c), r["prior_curvature"]) if math.isfinite(c) else r["prior_curvature"]
        k = int(
            np.argmax([abs(float(np.dot(vectors[:, m], r["vector"]))) for m in range(len(values))])
        )
        values[k] = curv
        fits.append(
            {"steps": t.tolist(), "nllh": y.tolist(), "fitted_curvature": float(c), "used": curv}
        )
    return np.asarray(vectors @ np.diag(values) @ vectors.T), fits


def laplace_run(
    args: argparse.Namespace, obj: IciObjective, record: dict, x0: np.ndarray, t0: float
) -> tuple[np.ndarray, float, int, dict]:
    """Emulator-based Laplace posterior: the seed-averaged nllh on a Latin hypercube in the
    profile box, a full quadratic fitted to 80 % of it (20 % held out), its Hessian made
    positive definite with the prior's curvature, truncated Gaussian draws, and check (b): the
    first ``--check`` draws scored like the design. Returns (draws, acceptance, evaluations,
    record)."""
    if not args.box > 0:
        raise SystemExit(f"--box {args.box}: allowed: a factor > 0 (0.5 drew the shipped ensemble)")
    lo, hi = obj.bounds()
    seeds = list(args.laplace_seeds)
    blo, bhi = laplace_box(obj, record, x0, args.box)
    design = np.vstack([x0, _lhs(args.design, blo, bhi, args.seed)])
    for s in seeds:  # warm every cohort before the fork (its set-up dominates the first call)
        _SEEDED[s] = (
            obj
            if s == obj.cohort.design.seed
            else IciObjective(n=obj.cohort.design.n, seed=s, parameters=obj.parameters)
        )
        _SEEDED[s](x0)
    deadline = math.inf if args.max_minutes is None else time.time() + 60 * args.max_minutes
    t_design = time.perf_counter()
    f = evaluate_seeded("design", design, seeds, deadline)
    if np.isnan(f).any():
        raise SystemExit(
            f"{int(np.isfinite(f).sum())} of {f.size} design evaluations done by --max-minutes; "
            "rerun the same command to continue (it resumes)"
        )
    t_design = time.perf_counter() - t_design
    y = f.mean(axis=1)
    order = np.random.default_rng(args.seed).permutation(len(y))
    n_hold = round(args.holdout * len(y))
    hold, train = order[:n_hold], order[n_hold:]
    q = fit_quadratic(design[train], y[train], x0, (bhi - blo) / 2.0)
    r2_in, sd_in = r_squared(y[train], q(design[train]))
    r2_out, sd_out = r_squared(y[hold], q(design[hold]))
    fixed, replaced = positive_hessian(q.hessian, lo, hi)
    line_fits = []
    if args.line_curvature and replaced:
        fixed, line_fits = line_curvatures(
            fixed, replaced, x0, float(y[0]), blo, bhi, lo, hi, seeds
        )
    stationary = replace(q, hessian=fixed).stationary_point()
    inside = bool(np.all((stationary >= lo) & (stationary <= hi)))
    mean = stationary if inside else x0
    cov = np.linalg.inv(fixed)
    draws, acceptance = truncated_normal(mean, cov, lo, hi, args.samples, seed=args.seed)
    q_mean = float(q(mean))
    t_check = time.perf_counter()
    fc = evaluate_seeded("check_line" if line_fits else "check", draws[: args.check], seeds)
    t_check = time.perf_counter() - t_check
    excess = fc.mean(axis=1) - q_mean
    rule_a, rule_b = r2_out >= args.min_r2, bool(1.5 <= float(np.mean(excess)) <= 7.0)
    ids = [p.id for p in obj.parameters]
    natural = lambda v: {p.id: p.from_x(float(x)) for p, x in zip(obj.parameters, v, strict=True)}  # noqa: E731
    sd = np.sqrt(np.diag(cov))
    out = {
        "box_scaled": {"low": natural(blo), "high": natural(bhi), "factor": args.box},
        "design_points": len(design),
        "design": f"the optimum plus {args.design} Latin-hypercube points (seed {args.seed}) "
        "in the box",
        "seeds": seeds,
        "virtual_patients": obj.cohort.design.n,
        "evaluations": int(f.size + fc.size),
        "design_seconds": round(t_design, 1),
        "check_seconds": round(t_check, 1),
        "nllh_seed_mean_range": [float(y.min()), float(y.max())],
        "nllh_seed_mean_at_optimum": float(y[0]),
        "seed_difference_sd": float(np.std(f[:, 0] - f[:, 1], ddof=1)) if len(seeds) == 2 else None,
        "train_points": int(train.size),
        "held_out_points": int(hold.size),
        "r2_in_sample": r2_in,
        "residual_sd_in_sample": sd_in,
        "r2_held_out": r2_out,
        "residual_sd_held_out": sd_out,
        "hessian_eigenvalues": np.linalg.eigvalsh(q.hessian).tolist(),
        "hessian_replaced_directions": [
            r | {"vector": dict(zip(ids, r["vector"], strict=True))} for r in replaced
        ],
        "line_curvatures": line_fits,
        "mean_is": "the quadratic's minimiser (inside the bounds)"
        if inside
        else "the shipped optimum (the quadratic's minimiser lies outside the bounds)",
        "quadratic_minimiser": natural(stationary),
        "mean": natural(mean),
        "sd_scaled": dict(zip(ids, sd.tolist(), strict=True)),
        "correlation": (cov / np.outer(sd, sd)).round(3).tolist(),
        "quadratic_at_mean": q_mean,
        "truncation_acceptance": acceptance,
        "check_rows": int(fc.shape[0]),
        "check_nllh_seed_mean": fc.mean(axis=1).tolist(),
        "check_mean_excess": float(np.mean(excess)),
        "rule_a": f"held-out R^2 >= {args.min_r2:g}: {rule_a}",
        "rule_b": "mean of (seed-averaged nllh of the first check rows - the quadratic at the "
        f"mean) in [1.5, 7] (a {len(ids)}-d Gaussian posterior predicts {len(ids) / 2:g}): "
        f"{rule_b}",
        "usable": bool(rule_a and rule_b),
    }
    print(
        json.dumps(
            {k: out[k] for k in ("r2_in_sample", "r2_held_out", "check_mean_excess", "usable")}
        ),
        flush=True,
    )
    return draws, acceptance, int(f.size + fc.size), out


def walker_starts(
    obj: IciObjective, x0: np.ndarray, cov: np.ndarray, walkers: int, seed: int
) -> np.ndarray:
    """``walkers`` starts: the optimum plus Gaussian draws with covariance ``cov`` (on the fit's
    scales), redrawn until inside the bounds."""
    lo, hi = obj.bounds()
    rng = np.random.default_rng(seed)
    out: list[np.ndarray] = []
    while len(out) < walkers:
        y = rng.multivariate_normal(x0, cov)
        if np.all(y >= lo) and np.all(y <= hi):
            out.append(y)
    return np.array(out)


def sampler_text(args: argparse.Namespace) -> str:
    """What the provenance says about the sampler and its settings."""
    if args.sampler == "laplace":
        return (
            "emulator-based Laplace approximation of the seed-averaged synthetic likelihood: "
            f"the nllh averaged over common-random-number seeds {args.laplace_seeds} at the "
            f"optimum and {args.design} Latin-hypercube points (seed {args.seed}) of a box, on "
            "the fit's scaled parameters (log10 or linear as fitted), of the optimum +- "
            f"{args.box:g} x each conditional profile half-width (the wider side; an open side: "
            "the distance to the bound) clipped to the bounds; a full quadratic fitted by least "
            f"squares (senotwin._hessian.fit_quadratic) to a random {1 - args.holdout:.0%} of "
            f"them, {args.holdout:.0%} held out; its Hessian made positive definite with the "
            "uniform prior's curvature along any non-positive eigenvector "
            "(senotwin.calibrate.sample.positive_hessian); mean = the quadratic's minimiser if "
            "inside the bounds, else the shipped optimum; rows drawn from N(mean, H^-1) "
            "truncated to the fit's bounds by rejection (senotwin.calibrate.sample."
            "truncated_normal)"
        )
    if args.sampler == "importance":
        return (
            "adaptive multiple importance sampling (Cornuet et al. 2012; "
            "senotwin.calibrate.sample.importance_sample): "
            f"{args.stages} stages of {args.draws} independent draws from a multivariate "
            f"Student t ({args.df:g} degrees of freedom), the first at the optimum with scale "
            f"matrix the covariance of the draws of {args.start_cov.name}"
            + (
                " with each sd raised to the fit's conditional 95 % profile interval / 3.92 "
                "where that is wider (correlations kept)"
                if args.start_scale == "profile"
                else ""
            )
            + f" x {args.scale:g}^2, "
            "each later one refitted to the weighted draws so far (their covariance x "
            f"{args.inflate:g}^2); on the fit's scaled "
            "parameters; weights exp(-nllh) / the equal mixture of the stages' proposal "
            "densities, uniform prior within the fit's bounds (draws outside get weight 0); "
            f"{args.samples} rows resampled with replacement in proportion to the weights; "
            f"{args.processes} processes"
        )
    if args.sampler == "stretch":
        return (
            "affine-invariant ensemble sampler (Goodman & Weare 2010 stretch move, a = 2; "
            "senotwin.calibrate.sample.stretch_move) on the fit's scaled parameters (log10 or "
            f"linear as fitted), uniform prior within the fit's bounds, {args.walkers} walkers "
            "started at the optimum plus Gaussian draws with the covariance of the draws of "
            f"{args.start_cov.name} (redrawn until inside the bounds), burn-in discarded"
        )
    return (
        "adaptive Metropolis (Haario, Saksman & Tamminen 2001; "
        "senotwin.calibrate.sample.adaptive_metropolis) on the fit's scaled parameters (log10 "
        "or linear as fitted), uniform prior within the fit's bounds, started at the optimum, "
        + (
            f"first proposals sd {args.initial_step} x bounds width"
            if args.initial_cov is None
            else "first proposals' covariance 2.38^2/d x diag(the fit's conditional 95 % "
            "profile interval / 3.92)^2 (an interval open at a bound: its closed side / 1.96)"
            if args.initial_cov == "profile"
            else "first proposals' covariance 2.38^2/d x that of the draws of "
            f"{Path(args.initial_cov).name}"
        )
        + ", covariance adapted every 10 steps from step 2d"
        + (
            ""
            if args.target_acceptance is None
            else f", its scale tuned towards acceptance {args.target_acceptance:g} during the "
            "burn-in (Robbins-Monro) and the proposal frozen after it"
        )
        + (
            ""
            if args.chains == 1
            else f"; {args.chains} independent chains (seeds {args.seed}-"
            f"{args.seed + args.chains - 1}) in parallel processes, their rows pooled"
            + (
                ", the first started at the optimum and the others at Gaussian draws around it "
                "with the profile sds (over-dispersed)"
                if args.chain_starts == "profile"
                else ", all started at the optimum"
            )
        )
    )


def settings(args: argparse.Namespace) -> dict:
    """The run's settings (steps = ensemble steps x walkers for the stretch sampler)."""
    if args.sampler == "laplace":
        return {
            "design": args.design,
            "box": args.box,
            "laplace_seeds": args.laplace_seeds,
            "holdout": args.holdout,
            "min_r2": args.min_r2,
            "check": args.check,
            "rows": args.samples,
            "max_minutes": args.max_minutes,
        }
    if args.sampler == "importance":
        return {
            "draws_per_stage": args.draws,
            "stages": args.stages,
            "inflate": args.inflate,
            "df": args.df,
            "scale": args.scale,
            "start_scale": args.start_scale,
            "max_minutes": args.max_minutes,
            "processes": args.processes,
            "rows": args.samples,
        }
    if args.sampler == "stretch":
        return {
            "walkers": args.walkers,
            "max_minutes": args.max_minutes,
            "burn_in": args.burn_in,
            "samples": args.samples,
            "thin": args.thin,
            "steps": (args.burn_in + args.samples) * args.walkers,
        }
    return {
        "burn_in": args.burn_in,
        "samples": args.samples,
        "thin": args.thin,
        "initial_step": args.initial_step,
        "initial_cov": cov_name(args.initial_cov),
        "target_acceptance": args.target_acceptance,
        "chains": args.chains,
        "chain_starts": args.chain_starts,
        "max_minutes": args.max_minutes,
        "steps": (args.burn_in + args.samples * args.thin) * args.chains,
    }


def cov_name(spec: str | None) -> str | None:
    """How the provenance names an --initial-cov (``profile``, or a file by its name only)."""
    if spec is None or spec == "profile":
        return spec
    return Path(spec).name


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=200, help="rows kept (importance: resampled)")
    ap.add_argument("--burn-in", type=int, default=100)
    ap.add_argument("--thin", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--initial-step", type=float, default=0.05)
    ap.add_argument(
        "--sampler",
        choices=("metropolis", "stretch", "importance", "laplace"),
        default="importance",
    )
    ap.add_argument("--design", type=int, default=96, help="laplace: Latin-hypercube points")
    ap.add_argument(
        "--box",
        type=float,
        default=0.5,
        help="laplace: box half-width / profile half-width (0.5 drew the shipped ensemble in "
        "session 27, where 1.0 failed check (b); session 26: 1.0 passed, 2.5 failed; "
        "docs/calibration.md)",
    )
    ap.add_argument(
        "--laplace-seeds",
        type=int,
        nargs="+",
        default=[0, 1],
        help="laplace: common-random-number cohorts whose nllh is averaged (one process each)",
    )
    ap.add_argument("--holdout", type=float, default=0.2, help="laplace: share held out")
    ap.add_argument(
        "--line-curvature",
        action="store_true",
        help="laplace: refit each non-positive quadratic direction on a line through the optimum",
    )
    ap.add_argument("--min-r2", type=float, default=0.7, help="laplace: rule (a), held-out R^2")
    ap.add_argument("--check", type=int, default=20, help="laplace: draws scored for rule (b)")
    ap.add_argument("--draws", type=int, default=1200, help="importance: draws per stage")
    ap.add_argument("--stages", type=int, default=4, help="importance: adaptive stages")
    ap.add_argument(
        "--inflate", type=float, default=1.2, help="importance: refitted sd / weighted draws' sd"
    )
    ap.add_argument(
        "--start-scale",
        choices=("profile", "ensemble"),
        default="profile",
        help="importance: first proposal = --start-cov's covariance with its sds raised to the "
        "fit's conditional profile intervals where wider (profile) or as it is (ensemble)",
    )
    ap.add_argument(
        "--df", type=float, default=4.0, help="importance: Student t degrees of freedom"
    )
    ap.add_argument(
        "--scale", type=float, default=1.25, help="importance: first proposal sd / its start sd"
    )
    ap.add_argument(
        "--initial-cov",
        default=None,
        help="metropolis: first proposals' covariance 2.38^2/d x that of this ensemble's draws "
        "(a TSV path), or 'profile': the diagonal of the fit's conditional profile intervals",
    )
    ap.add_argument(
        "--chains",
        type=int,
        default=1,
        help="metropolis: independent chains (seeds --seed, --seed + 1, ...) in that many "
        "processes; mixing judged on all together (multi-chain split-R-hat and ESS)",
    )
    ap.add_argument(
        "--chain-starts",
        choices=["optimum", "profile"],
        default="optimum",
        help="metropolis: every chain at the optimum, or chain 1 there and the others at "
        "Gaussian draws around it with the fit's conditional profile sds (inside the bounds): "
        "over-dispersed starts, so that R-hat can see two regions",
    )
    ap.add_argument(
        "--target-acceptance",
        type=float,
        default=None,
        help="metropolis: tune the proposal scale towards it in the burn-in, then freeze",
    )
    ap.add_argument("--walkers", type=int, default=24)
    ap.add_argument("--start-cov", type=Path, default=OUT / "liu2019_posterior.tsv")
    ap.add_argument(
        "--max-minutes",
        type=float,
        default=None,
        help="stretch: stop at the first progress report after this wall time once the burn-in "
        "is done; the ensemble keeps the steps done (recorded; rerun with --samples = that "
        "number to reproduce it); importance: start no stage that would end after it (the "
        "stages done are recorded); metropolis: each chain stops at its first progress report "
        "after it once past the burn-in, all cut to the shortest (recorded)",
    )
    ap.add_argument(
        "--processes",
        type=int,
        default=2,
        help="stretch/importance: evaluate proposals in this many processes (the result is the "
        "same as with one)",
    )
    ap.add_argument(
        "--fix",
        action="append",
        default=[],
        metavar="ID",
        help="laplace: hold a shared quantity (e.g. k_byst.value, poorly identified) at the "
        "fit's value, which the model must carry; the posterior has one "
        "dimension fewer and its rows no column for it (consumers keep the model's value)",
    )
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    global _OBJECTIVE

    record = stored_fit()
    best = {p["parameter"]: p["best"] for p in record["parameters"]}
    if args.fix and args.sampler != "laplace":
        raise SystemExit(f"--fix is for --sampler laplace, not {args.sampler}")
    spec = get_scenario(CohortDesign().scenario).load()
    sampled, held = fixed_parameters(args.fix, best, lambda name: spec.parameter(name).value)
    obj = IciObjective(n=record["virtual_patients"], seed=record["seed"], parameters=sampled)
    x0 = np.array([p.to_x(best[p.id]) for p in obj.parameters])
    t0 = time.perf_counter()
    f0 = obj(x0)
    stored = f"mean over seeds {record['seeds']}" if record.get("seeds") else "its cohort"
    print(
        f"optimum nllh re-evaluated on seed {record['seed']}: {f0:.4f} (stored, {stored}: "
        f"{record['nllh']:.4f})",
        flush=True,
    )
    lo, hi = obj.bounds()
    importance: dict | None = None
    metropolis: dict | None = None
    laplace: dict | None = None
    if args.sampler == "laplace":
        _OBJECTIVE = obj
        kept, acceptance, evaluations, laplace = laplace_run(args, obj, record, x0, t0)
        ess = np.full(len(obj.parameters), float(len(kept)))
        rhat = np.full(len(obj.parameters), np.nan)
    elif args.sampler == "stretch":
        starts = walker_starts(
            obj, x0, start_covariance(obj, args.start_cov), args.walkers, args.seed
        )

        def report(step: int, chains: WalkerChains) -> None:
            walker_progress(step, chains)
            late = args.max_minutes is not None and time.perf_counter() - t0 > 60 * args.max_minutes
            if late and chains.traces.shape[1] >= 4:
                raise TimeUp(chains)

        _OBJECTIVE = obj
        pool = mp.get_context("fork").Pool(args.processes) if args.processes > 1 else None
        try:
            walkers = stretch_move(
                obj,
                starts,
                lo,
                hi,
                steps=args.samples,
                burn_in=args.burn_in,
                seed=args.seed,
                evaluate=None if pool is None else lambda ys: pool.map(_evaluate, ys),
                progress=report,
                progress_every=5,
            )
        except TimeUp as stop:
            walkers = stop.chains
            print(f"stopped after {walkers.traces.shape[1]} kept steps (--max-minutes)", flush=True)
        finally:
            if pool is not None:
                pool.terminate()
        args.samples = walkers.traces.shape[1]
        kept, _ = walkers.pooled(args.thin)
        acceptance, evaluations = walkers.acceptance, walkers.evaluations
        ess = multichain_ess(walkers.traces)
        rhat = multichain_split_rhat(walkers.traces)
    elif args.sampler == "importance":
        _OBJECTIVE = obj
        pool = mp.get_context("fork").Pool(args.processes) if args.processes > 1 else None
        start = start_covariance(obj, args.start_cov)
        if args.start_scale == "profile":
            start = profile_matched(obj, start, record)
        stage_t: list[float] = [time.perf_counter()]
        done: list[int] = [0]

        def stage_report(stage: int, imp: Importance) -> bool:
            """Print the stage's diagnostics; stop when the next stage would end past the cap."""
            now = time.perf_counter()
            stage_t.append(now)
            done[0] = stage
            print(
                f"stage {stage}: {imp.draws.shape[0]} draws, Kish ESS {imp.ess:.1f}, Pareto k "
                f"{imp.pareto_k:.2f}, best nllh {np.min(imp.nllh):.3f}, {now - t0:.0f} s",
                flush=True,
            )
            cap = args.max_minutes
            return cap is not None and now - t0 + (now - stage_t[-2]) > 60 * cap

        try:
            imp = importance_sample(
                obj,
                x0,
                args.scale**2 * start,
                lo,
                hi,
                n=args.draws,
                df=args.df,
                stages=args.stages,
                inflate=args.inflate,
                seed=args.seed,
                evaluate=None if pool is None else lambda ys: pool.map(_evaluate, ys),
                progress=stage_report,
            )
        finally:
            if pool is not None:
                pool.terminate()
        PROGRESS.parent.mkdir(parents=True, exist_ok=True)
        PROGRESS.write_text(
            json.dumps(
                {
                    "draws": imp.draws.tolist(),
                    "nllh": [v if np.isfinite(v) else None for v in imp.nllh.tolist()],
                    "weights": imp.weights.tolist(),
                }
            )
        )
        kept = imp.draws[imp.resample(args.samples, seed=args.seed)]
        acceptance = imp.ess / args.draws  # importance efficiency: Kish ESS per draw
        evaluations = int(np.isfinite(imp.nllh).sum())
        ess = np.full(len(obj.parameters), imp.ess)
        rhat = np.full(len(obj.parameters), np.nan)
        importance = {
            "draws": int(imp.draws.shape[0]),
            "stages_done": done[0],
            "inside_bounds": evaluations,
            "kish_ess": imp.ess,
            "pareto_k": imp.pareto_k,
            "best_nllh": float(np.min(imp.nllh)),
            "best": {
                p.id: p.from_x(float(v))
                for p, v in zip(obj.parameters, imp.draws[np.argmin(imp.nllh)], strict=True)
            },
        }
        print(json.dumps(importance), flush=True)
    else:
        _OBJECTIVE = obj
        kwargs = {
            "samples": args.samples,
            "thin": args.thin,
            "initial_step": args.initial_step,
            "initial_cov": initial_covariance(obj, args.initial_cov, record),
            "target_acceptance": args.target_acceptance,
            "progress_every": 25,
        }
        deadline = None if args.max_minutes is None else time.time() + 60 * args.max_minutes
        starts = [(x0, f0)]
        if args.chain_starts == "profile" and args.chains > 1:
            cov = profile_diagonal(obj, record)
            for y in walker_starts(obj, x0, cov, args.chains - 1, args.seed + 1000):
                starts.append((y, obj(y)))
                print(f"chain start nllh {starts[-1][1]:.4f}", flush=True)
        else:
            starts *= args.chains
        jobs = [
            (x, f, lo, hi, args.seed + k, kwargs, deadline, args.burn_in)
            for k, (x, f) in enumerate(starts)
        ]
        if args.chains == 1:
            chains = [run_chain(jobs[0])]
        else:
            with mp.get_context("fork").Pool(args.chains) as pool:
                chains = pool.map(run_chain, jobs)
        steps = min(c.trace.shape[0] for c in chains)  # a stopped chain: its common length
        per = min(len(c.kept) for c in chains)
        kept = np.vstack([c.kept[:per] for c in chains])
        traces = np.stack([c.trace[:steps] for c in chains])
        acceptance = float(np.mean([c.acceptance for c in chains]))
        evaluations = int(sum(c.evaluations for c in chains))
        args.samples = per
        if args.chains == 1:
            ess, rhat = effective_sample_size(traces[0]), split_rhat(traces[0])
        else:
            ess, rhat = multichain_ess(traces), multichain_split_rhat(traces)
        metropolis = {
            "post_burn_in_steps_per_chain": steps,
            "per_chain": [
                {
                    "seed": args.seed + k,
                    "acceptance": c.acceptance,
                    "evaluations": c.evaluations,
                    "best_kept_nllh": float(np.min(c.kept_nllh)),
                    "split_rhat": dict(
                        zip(
                            [p.id for p in obj.parameters],
                            map(float, split_rhat(c.trace[:steps])),
                            strict=True,
                        )
                    ),
                    "effective_sample_size": dict(
                        zip(
                            [p.id for p in obj.parameters],
                            map(float, effective_sample_size(c.trace[:steps])),
                            strict=True,
                        )
                    ),
                }
                for k, c in enumerate(chains)
            ],
        }
        PROGRESS.parent.mkdir(parents=True, exist_ok=True)
        PROGRESS.write_text(json.dumps({"traces": traces.tolist(), **metropolis}))
    seconds = time.perf_counter() - t0
    if importance:
        mixed = bool(importance["kish_ess"] >= MIN_KISH_ESS and importance["pareto_k"] < 0.7)
    elif laplace:
        mixed = laplace["usable"]
    else:
        mixed = bool(np.all(np.isfinite(rhat)) and np.all(rhat < 1.1) and ess.min() >= 20)
    ids = [p.id for p in obj.parameters]
    linear = pd.DataFrame(
        [[p.from_x(float(v)) for p, v in zip(obj.parameters, row, strict=True)] for row in kept],
        columns=ids,
    )
    il8, il8_record = il8_draws(len(linear), args.seed + 1)
    table = pd.DataFrame({ensemble_column(pid): linear[pid] for pid in ids})
    table["s_il8_C"] = il8
    columns = {}
    for p in obj.parameters:
        col = ensemble_column(p.id)
        applied = col != p.id
        columns[col] = {
            "fitted_as": p.id,
            "meaning": p.name,
            "scale": p.scale,
            "bounds": [p.lower, p.upper],
            "applied_by_ensemble_consumers": applied,
            "note": (
                "a model parameter: validate/treat compare/simulate use it as the value, cohort "
                "run as its prior's centre"
                if applied
                else "melanoma-specific population quantity (not transferable to other tissues,"
                " trial.ici_fit.TRANSFERABLE) or a between-patient spread: kept so that each row "
                "is a whole posterior draw; ignored and listed by the --ensemble consumers"
            ),
        }
    columns["s_il8_C"] = {
        "fitted_as": "s_il8_C",
        "meaning": "IL-8 (CXCL8) secretion per cancer cell (pg/cell/day)",
        "applied_by_ensemble_consumers": True,
        "note": "independent column from its own data set (see s_il8_C)",
    }
    n_eff = {pid: float(e) for pid, e in zip(ids, ess, strict=True)}
    r_hat = {
        pid: None if importance or laplace else float(r) for pid, r in zip(ids, rhat, strict=True)
    }
    provenance = {
        "name": "liu2019_posterior",
        "problem": "liu2019",
        "what": "posterior draws of the liu2019 population parameters (Liu 2019 anti-PD-1 "
        "melanoma: response by CD8 tertile, RECIST split, PFS and OS landmarks) and, "
        "independently, of "
        "s_il8_C (CancerSEEK plasma)",
        "optimum": best,
        "fixed": held,
        "optimum_nllh": record["nllh"],
        "optimum_nllh_reevaluated": f0,
        "fit_model_digest": record["model_digest"],
        "model_digest": get_scenario(CohortDesign().scenario).load().numbers_digest(),
        "read": record.get("read") or LEGACY_READ,
        "likelihood": "half the deviance of trial.ici_fit.goodness (binomial G^2 of the three "
        "tertile response rates and of the RECIST split: CR among responders, SD among "
        "non-responders; squared Greenwood z of PFS at 3/6/12 and OS at 12/24 months) on the fit's "
        f"{record['virtual_patients']} virtual patients, seed {record['seed']} (common random "
        "numbers: deterministic, a step function of the parameters), their k_grow centre "
        "derived at each draw's own values (cohort.population.typical_growth); the "
        "virtual cohort's own sampling noise is not in it"
        if laplace is None
        else "the seed-averaged synthetic likelihood: half the deviance of "
        "trial.ici_fit.goodness (binomial G^2 of the three tertile response rates and of the "
        "RECIST split: CR among responders, SD among non-responders; squared Greenwood z of PFS "
        "at 3/6/12 and OS at 12/24 months), averaged over virtual cohorts of "
        f"{laplace['virtual_patients']} patients with common-random-number seeds "
        f"{' and '.join(map(str, laplace['seeds']))} (each a smooth trend plus step noise), "
        "their k_grow centre derived at each point's own values; emulated by a full quadratic "
        "least-squares response surface (the regression averages the step noise out)",
        "ignores": None
        if laplace is None
        else "the shift of the optimum across virtual cohorts other than the averaged ones (the "
        "fit's optimum, on its record's cohorts, is the centre; session 25 measured the "
        "between-seed sd of the nllh, 3.45 at n 1000); the uncertainty of any quantity held by "
        "--fix ('fixed': every row runs it at the fit's value); the "
        "n_reinv upper bound 6, which is assumed (qsp.yaml's declared range) and truncates the "
        "posterior; non-Gaussian tails and any structure a quadratic cannot represent over the "
        "box (held-out R^2 in 'laplace')",
        "sampler": sampler_text(args),
        "settings": settings(args),
        "seed": args.seed,
        "n": len(table),
        "acceptance": acceptance,
        "evaluations": evaluations,
        "seconds": round(seconds, 1),
        "effective_sample_size": n_eff,
        "effective_sample_size_note": (
            "independent draws of the truncated Gaussian (every row counts; no chain): the ESS "
            "is the number of rows; split_rhat does not apply (null); 'acceptance' is the "
            "rejection sampler's share of Gaussian draws inside the bounds"
            if laplace
            else "Kish's (sum w)^2 / sum w^2 of the importance weights, the same for every "
            "parameter; 'acceptance' is it per draw; split_rhat does not apply (independent "
            "draws, null)"
            if importance
            else "per parameter over the post-burn-in trace (every step), steps / integrated "
            "autocorrelation time (Geyer initial positive sequence)"
            if args.sampler == "metropolis" and args.chains == 1
            else "per parameter over every chain's post-burn-in steps together (chains x steps / "
            "the integrated autocorrelation time of the mean within-chain autocovariance against "
            "the pooled variance, BDA3 11.5, senotwin.calibrate.sample.multichain_ess); "
            "split-R-hat of every chain's halves (multichain_split_rhat); per-chain values under "
            "'metropolis'"
            if args.sampler == "metropolis"
            else "per parameter over every walker's post-burn-in steps together: walkers x steps "
            "/ the integrated autocorrelation time of the mean within-walker autocovariance "
            "against the pooled variance (BDA3 11.5, Geyer initial positive sequence; "
            "senotwin.calibrate.sample.multichain_ess); split-R-hat of every walker's halves "
            "(multichain_split_rhat). Walkers of one ensemble are not independent chains: read "
            "the ESS as an upper estimate"
        ),
        "split_rhat": r_hat,
        "mixed": mixed,
        "mixed_rule": "for the laplace sampler 'mixed' means usable: held-out R^2 of the "
        "quadratic >= the rule (a) threshold and check (b) met (see 'laplace')"
        if laplace
        else "split-R-hat < 1.1 for every parameter and effective sample size >= 20"
        + (
            f"; for independent importance draws (no chain, so no R-hat): Kish effective sample "
            f"size >= {MIN_KISH_ESS} (the rows resampled) and Pareto k of the largest weights < "
            "0.7 (Vehtari et al. 2024: above it the weighted estimate is unreliable)"
            if importance
            else ""
        ),
        "importance": importance,
        "metropolis": metropolis,
        "laplace": laplace,
        "posterior_5_50_95": {
            c: [float(v) for v in table[c].quantile([0.05, 0.5, 0.95])] for c in table.columns
        },
        "s_il8_C": il8_record,
        "date": datetime.date.today().isoformat(),
        "command": f"python scripts/liu2019_posterior.py --sampler laplace --design "
        f"{args.design} --box {args.box:g} --laplace-seeds "
        f"{' '.join(map(str, args.laplace_seeds))} --holdout {args.holdout:g} --min-r2 "
        f"{args.min_r2:g} --check {args.check} --samples {args.samples} --seed {args.seed}"
        + (" --line-curvature" if args.line_curvature else "")
        + "".join(f" --fix {pid}" for pid in args.fix)
        if laplace
        else "python scripts/liu2019_posterior.py "
        f"--burn-in {args.burn_in} --samples {args.samples} --thin {args.thin} "
        f"--seed {args.seed} "
        + (
            f"--sampler metropolis --initial-step {args.initial_step}"
            + ("" if args.initial_cov is None else f" --initial-cov {cov_name(args.initial_cov)}")
            + ("" if args.chains == 1 else f" --chains {args.chains}")
            + (
                ""
                if args.target_acceptance is None
                else f" --target-acceptance {args.target_acceptance:g}"
            )
            if args.sampler == "metropolis"
            else f"--sampler stretch --walkers {args.walkers} --start-cov {args.start_cov.name}"
            if args.sampler == "stretch"
            else f"--sampler importance --draws {args.draws} --stages {done[0]} --inflate "
            f"{args.inflate:g} --df {args.df:g} --scale {args.scale:g} --start-scale "
            f"{args.start_scale} --start-cov {args.start_cov.name} --samples {args.samples}"
        ),
        "columns": columns,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out / "liu2019_posterior.tsv", table.to_csv(sep="\t", index=False))
    atomic_write_text(args.out / "liu2019_posterior.json", json.dumps(provenance, indent=1) + "\n")
    print(json.dumps({k: provenance[k] for k in ("n", "acceptance", "seconds", "mixed")}))
    print("ESS", n_eff, "\nR-hat", r_hat)


if __name__ == "__main__":
    main()
