"""Global sensitivity: which parameters decide the outcome, and whether the SASP helps or hurts.

Methods: Sobol first-order and total indices (SALib; Saltelli sampling, Jansen estimators with
bootstrap CIs) and PRCC (partial rank correlation on a Latin hypercube; Marino et al.,
J Theor Biol 2008;254:178). Parameters vary over [value / spread, value * spread] around the
scenario value (log-uniform, clipped to each plausible range).

Metrics (one number per simulated patient):
* ``final_burden``: log10 tumour burden at the horizon;
* ``best_change``: best (most negative) % change of the longest diameter from baseline;
* ``senescent_burden``: log10 senescent burden at the horizon;
* ``sasp_net_effect``: log10(tumour burden with / without the senescent cells' secretome) at
  the horizon. The secretome is switched off by setting every senescent-cell secretion
  parameter of the model to 0 (:func:`secretome_off`; cells, stages and removal stay). > 0: the
  SASP net-hurts tumour control; < 0: it net-helps.

Both TME models are supported: the physical-units model (default scenario ``default``) and the
legacy relative-units model (``legacy_*`` scenarios); the metrics read the run through
:func:`senotwin.model.readouts.readouts_for`, and the default parameter set is the model's own
(:func:`default_parameters`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from senotwin._errors import ValidationError, check_seed, check_type
from senotwin._suggest import did_you_mean
from senotwin.model.describe import gsa_ranking
from senotwin.model.readouts import readouts_for
from senotwin.model.spec import ModelSpec
from senotwin.sim import ScenarioSetup, SolverOptions, daily, prepare_scenario

Method = Literal["sobol", "prcc"]

# Secretion by senescent cells (tumour and stroma) in the legacy model. IL-1alpha is switched off
# through its translation gain, which only acts in senescent cells. Macrophage/lymphocyte
# secretion stays.
SECRETOME_OFF: Mapping[str, float] = {
    "s_il6_sen": 0.0,
    "s_il8_sen": 0.0,
    "s_ccl2_sen": 0.0,
    "s_cxcl1_sen": 0.0,
    "s_ccl5_sen": 0.0,
    "s_cxcl12_str": 0.0,
    "s_tgf_early": 0.0,
    "s_mmp_sen": 0.0,
    "s_vegf_sen": 0.0,
    "s_ifni": 0.0,
    "s_tnf_sen": 0.0,
    "il1a_gain": 0.0,
}

# Secretion per SASP-secreting (and IFN-I per deep) senescent cell in the physical-units model;
# cancer-cell and T-cell secretion stay. Same effect as blocking the entity SASP.
QSP_SECRETOME_OFF: Mapping[str, float] = {
    "s_il6_sen": 0.0,
    "s_il8_sen": 0.0,
    "s_ccl2_sen": 0.0,
    "s_ifn_sen": 0.0,
}

METRICS = ("final_burden", "best_change", "senescent_burden", "sasp_net_effect")

#: the curated default set of the legacy model (tme.yaml)
DEFAULT_PARAMETERS = (
    "r_T",
    "k_t_cd8",
    "k_t_nk",
    "pd1_level",
    "k_tis",
    "s_il6_sen",
    "s_ccl2_sen",
    "k_ld",
    "notch_level",
    "nk_func_age",
    "t_func_age",
    "clear_age",
    "mdsc_age",
    "r_mdsc",
    "w_adj",
    "g_fib",
)
#: how many of the shipped GSA ranking's top parameters a model without a curated set varies
DEFAULT_TOP = 16
_CURATED: Mapping[str, tuple[str, ...]] = {"sasp_tme": DEFAULT_PARAMETERS}


def secretome_off(spec: ModelSpec) -> dict[str, float]:
    """Parameter values that switch the senescent cells' secretome off in ``spec``'s model."""
    for table in (SECRETOME_OFF, QSP_SECRETOME_OFF):
        if set(table) <= set(spec.parameter_ids):
            return dict(table)
    raise ValidationError(
        f"sasp_net_effect: model {spec.id} has neither the legacy senescent-secretion "
        f"parameters ({', '.join(SECRETOME_OFF)}) nor the physical-units ones "
        f"({', '.join(QSP_SECRETOME_OFF)})"
    )


def default_parameters(
    spec: ModelSpec, params: Mapping[str, float] | None = None, *, spread: float = 2.0
) -> tuple[str, ...]:
    """The parameters varied when none are named: the model's curated set, else the
    ``DEFAULT_TOP`` highest-ranked of its shipped global-sensitivity ranking that can vary
    ×/÷ ``spread`` around their scenario value (positive, room in their range)."""
    if spec.id in _CURATED:
        return _CURATED[spec.id]
    doc = gsa_ranking(spec)
    if doc is None:
        raise ValidationError(
            f"sensitivity: model {spec.id} has no curated parameter set and no shipped GSA "
            "ranking; name the parameters to vary (--param)"
        )
    out: list[str] = []
    for row in doc["ranking"]:
        name = str(row["parameter"])
        if name not in spec.parameter_ids:
            continue
        try:
            parameter_bounds(spec, params or {}, [name], spread=spread)
        except ValidationError:
            continue  # zero in this scenario, or no room in its range
        out.append(name)
        if len(out) == DEFAULT_TOP:
            break
    return tuple(out)


@dataclass(frozen=True)
class SensitivityResult:
    """Indices per (metric, parameter), ranked, plus how often the SASP net-hurts."""

    method: Method
    table: pd.DataFrame  # metric, parameter, index, ci_low, ci_high (Sobol), p (PRCC), rank
    samples: int
    sasp_hurts_fraction: float  # share of samples with sasp_net_effect > 0 (NaN if not run)
    bounds: Mapping[str, tuple[float, float]]
    scenario: str = ""
    days: float = math.nan  # horizon at which every metric is read
    seed: int = 0
    spread: float = 2.0

    def design(self) -> str:
        """One line saying what was sampled: scenario, horizon, samples, seed, spread, and the
        parameters whose plausible range cut their ×/÷ spread interval."""
        how = "Latin-hypercube samples" if self.method == "prcc" else "Saltelli samples"
        full = self.spread**2 * (1 - 1e-9)  # hi / lo of an interval its range did not cut
        cut = [name for name, (lo, hi) in self.bounds.items() if lo > 0 and hi / lo < full]
        return (
            f"scenario {self.scenario}, horizon {self.days:g} days, {self.samples} {how} "
            f"(seed {self.seed}), each parameter ×/÷ {self.spread:g} around its scenario value"
            + (f", narrower where its plausible range ends ({', '.join(cut)})" if cut else "")
        )


#: why rankings of the same metric differ between horizons (said by the CLI and the report)
HORIZON_NOTE = (
    "Every metric is read at the horizon, so indices depend on it. sasp_net_effect compares "
    "tumour burden with and without the senescent secretome: over a short horizon a faster "
    "tumour shows a larger SASP effect, but once tumours approach their plateau with and "
    "without the secretome the difference shrinks — e.g. in the legacy model the growth "
    "rate r_T's PRCC on sasp_net_effect is positive at 150 days and negative at 365 days "
    "(scenario legacy_default). Compare rankings only at the same horizon."
)


# ---- estimators ---------------------------------------------------------------------------------
def prcc(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Partial rank correlation of each column of ``x`` with ``y`` and its two-sided p value."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n, k = x.shape
    if y.shape != (n,) or n < k + 3:
        raise ValidationError(f"PRCC needs more samples ({n}) than parameters + 2 ({k + 2})")
    if np.all(y == y[0]):  # nothing varies: the residuals were float noise read as a PRCC
        return np.full(k, math.nan), np.full(k, math.nan)
    rx = np.apply_along_axis(stats.rankdata, 0, x)
    ry = stats.rankdata(y)
    out = np.zeros(k)
    for j in range(k):
        others = np.column_stack([np.ones(n), np.delete(rx, j, axis=1)])
        res_x = rx[:, j] - others @ np.linalg.lstsq(others, rx[:, j], rcond=None)[0]
        res_y = ry - others @ np.linalg.lstsq(others, ry, rcond=None)[0]
        den = math.sqrt(float(res_x @ res_x) * float(res_y @ res_y))
        out[j] = float(res_x @ res_y) / den if den > 0 else 0.0
    dof = n - 2 - (k - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = out * np.sqrt(dof / np.maximum(1 - out**2, 1e-300))
    p = 2 * stats.t.sf(np.abs(t), dof)
    return out, p


def sobol_problem(bounds: Mapping[str, tuple[float, float]]) -> dict[str, object]:
    """SALib problem on log10 of each parameter (log-uniform sampling)."""
    names = list(bounds)
    return {
        "num_vars": len(names),
        "names": names,
        "bounds": [[math.log10(lo), math.log10(hi)] for lo, hi in bounds.values()],
    }


def sobol_indices(
    problem: Mapping[str, object],
    fn: Callable[[np.ndarray], np.ndarray],
    *,
    n: int,
    seed: int,
) -> pd.DataFrame:
    """First-order (S1) and total (ST) Sobol indices of ``fn`` with 95 % bootstrap CIs."""
    from SALib.sample import sobol as sample

    if n < 2 or n & (n - 1):
        raise ValidationError(f"Sobol base sample size must be a power of two, got {n}")
    x = sample.sample(dict(problem), n, calc_second_order=False, seed=seed)
    y = np.asarray(fn(x), dtype=float)
    return _sobol_from(problem, y, seed=seed)


def _sobol_from(problem: Mapping[str, object], y: np.ndarray, *, seed: int) -> pd.DataFrame:
    from SALib.analyze import sobol as analyze

    ok = np.isfinite(y)
    yy = np.where(ok, y, np.nanmean(y[ok]) if ok.any() else 0.0)
    si = analyze.analyze(dict(problem), yy, calc_second_order=False, seed=seed)
    names = list(problem["names"])  # type: ignore[call-overload]
    return pd.DataFrame(
        {
            "parameter": names,
            "S1": si["S1"],
            "S1_conf": si["S1_conf"],
            "ST": si["ST"],
            "ST_conf": si["ST_conf"],
        }
    )


# ---- model evaluation ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _EvalJob:
    setup: ScenarioSetup
    names: tuple[str, ...]
    metrics: tuple[str, ...]
    solver: SolverOptions
    secretome_off: Mapping[str, float]


def _metrics_of(job: _EvalJob, values: np.ndarray) -> np.ndarray:
    p = dict(zip(job.names, (float(v) for v in values), strict=True))
    res = job.setup.run(params=p, solver=job.solver, check_ranges=False)
    out = np.full(len(job.metrics), np.nan)
    if not res.ok:
        return out
    read = readouts_for(res.table)
    burden = read.burden(res.table)
    diam = read.diameter(res.table)
    for k, m in enumerate(job.metrics):
        if m == "final_burden":
            out[k] = math.log10(max(burden[-1], 1e-12))
        elif m == "best_change":
            out[k] = 100.0 * (diam.min() - diam[0]) / diam[0]
        elif m == "senescent_burden":
            out[k] = math.log10(max(float(read.senescent(res.table)[-1]), 1e-12))
        elif m == "sasp_net_effect":
            off = job.setup.run(
                params=p | dict(job.secretome_off), solver=job.solver, check_ranges=False
            )
            if off.ok:
                b_off = float(read.burden(off.table)[-1])
                out[k] = math.log10(max(burden[-1], 1e-12) / max(b_off, 1e-12))
    return out


def _evaluate_chunk(job: _EvalJob, x: np.ndarray) -> np.ndarray:
    return np.vstack([_metrics_of(job, row) for row in x])


def evaluate(
    job: _EvalJob,
    x: np.ndarray,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    chunk: int = 16,
) -> np.ndarray:
    """Metrics for each row of ``x`` (parameter values), in process or on Dask."""
    if workers <= 1 and scheduler is None:
        return _evaluate_chunk(job, x)
    from senotwin.cohort.runner import close_client, open_client

    client, cluster = open_client(scheduler, workers, True)
    try:
        [jf] = client.scatter([job], broadcast=True)
        futs = [
            client.submit(_evaluate_chunk, jf, x[i : i + chunk]) for i in range(0, len(x), chunk)
        ]
        return np.vstack(client.gather(futs))
    finally:
        close_client(client, cluster)


def parameter_bounds(
    spec: ModelSpec, params: Mapping[str, float], names: Sequence[str], *, spread: float = 2.0
) -> dict[str, tuple[float, float]]:
    """[value / spread, value * spread] clipped to each plausible range (values must be > 0)."""
    if not (math.isfinite(spread) and spread > 1):
        raise ValidationError(f"spread (--spread) must be a finite number > 1, got {spread}")
    out = {}
    for name in names:
        if name not in spec.parameter_ids:
            hint = did_you_mean(name, spec.parameter_ids)
            raise ValidationError(f"sensitivity: unknown parameter {name!r} of {spec.id}{hint}")
        spec.parameter(name).check_variable("varied in a sensitivity analysis (--param)")
        v = float(params.get(name, spec.parameter(name).value))
        if v <= 0:
            raise ValidationError(f"sensitivity: {name}={v} must be > 0 to vary it on a log scale")
        lo, hi = v / spread, v * spread
        rng = spec.parameter(name).range
        if rng is not None:
            lo, hi = max(lo, rng[0]), min(hi, rng[1])
        if not 0 < lo < hi:
            raise ValidationError(f"sensitivity: {name} has no room to vary in its range {rng}")
        out[name] = (lo, hi)
    return out


#: what run_sensitivity's name lists may be, for a wrong type's message
NAMES = "a list of names (one name alone is one)"


def run_sensitivity(
    scenario: str,
    *,
    method: Method = "prcc",
    metrics: Sequence[str] = ("final_burden", "sasp_net_effect"),
    parameters: Sequence[str] | None = None,
    n: int = 64,
    seed: int = 0,
    t_end: float | None = None,
    engine: str = "fast",
    spread: float = 2.0,
    workers: int = 1,
    scheduler: str | None = None,
) -> SensitivityResult:
    """Rank the parameters of ``scenario`` by their influence on each metric.

    ``n``: Latin-hypercube size for PRCC; base size (power of two) for Sobol, which costs
    n * (k + 2) simulations (twice that with ``sasp_net_effect``). ``parameters``: None varies
    the model's default set (:func:`default_parameters`); a single name is one parameter (and
    one metric name one metric).
    """
    check_type(method, str, name="method", what="'prcc' or 'sobol' (str)")
    if method not in ("sobol", "prcc"):
        raise ValidationError(f"method must be sobol or prcc, got {method!r}")
    check_type(n, Integral, name="n", what="a whole number of samples")
    check_type(seed, int, name="seed", what="a whole number >= 0")
    check_seed(seed)
    if isinstance(parameters, str):
        parameters = (parameters,)
    names_or_none = (list, tuple, np.ndarray, pd.Index, pd.Series, type(None))
    check_type(parameters, names_or_none, name="parameters", what=NAMES + " or None")
    if isinstance(metrics, str):
        metrics = (metrics,)
    check_type(metrics, (list, tuple), name="metrics", what=NAMES)
    check_type(t_end, (Real, type(None)), name="t_end", what="a number of days or None")
    check_type(engine, str, name="engine", what="an engine name such as 'fast' (str)")
    check_type(spread, Real, name="spread", what="a number > 1")
    check_type(workers, Integral, name="workers", what="a whole number >= 1")
    check_type(
        scheduler, (str, type(None)), name="scheduler", what="a Dask scheduler address or None"
    )
    if parameters is not None and len(parameters) == 0:
        raise ValidationError(
            "parameters (--param) is empty: name at least one parameter to vary, or leave it "
            "out (None in Python) for the model's default set"
        )
    bad = [m for m in metrics if m not in METRICS]
    if bad or not metrics:
        raise ValidationError(f"unknown metric(s) {bad}; choose from {', '.join(METRICS)}")
    setup = prepare_scenario(scenario, days=t_end)
    if parameters is None:
        parameters = default_parameters(setup.spec, setup.params, spread=spread)
    bounds = parameter_bounds(setup.spec, setup.params, parameters, spread=spread)
    names = tuple(bounds)
    solver = SolverOptions(engine=engine, t_eval=daily(setup.days))
    off = secretome_off(setup.spec) if "sasp_net_effect" in metrics else {}
    job = _EvalJob(setup, names, tuple(metrics), solver, off)
    problem = sobol_problem(bounds)
    log_lo = np.log10([b[0] for b in bounds.values()])
    log_hi = np.log10([b[1] for b in bounds.values()])
    if method == "prcc":
        if n < len(names) + 3:
            raise ValidationError(
                f"PRCC needs n >= {len(names) + 3} samples for {len(names)} parameters, got n = {n}"
            )
        from scipy.stats import qmc

        u = qmc.LatinHypercube(d=len(names), seed=np.random.default_rng(seed)).random(n)
        logx = log_lo + u * (log_hi - log_lo)
    else:
        from SALib.sample import sobol as sample

        if n < 2 or n & (n - 1):
            raise ValidationError(f"Sobol base sample size must be a power of two, got {n}")
        logx = sample.sample(dict(problem), n, calc_second_order=False, seed=seed)
    y = evaluate(job, 10.0**logx, workers=workers, scheduler=scheduler)
    rows = []
    for k, metric in enumerate(metrics):
        yk = y[:, k]
        if method == "prcc":
            ok = np.isfinite(yk)
            r, p = prcc(logx[ok], yk[ok])
            for name, rv, pv in zip(names, r, p, strict=True):
                rows.append(
                    {
                        "metric": metric,
                        "parameter": name,
                        "index": rv,
                        "ci_low": np.nan,
                        "ci_high": np.nan,
                        "p": pv,
                    }
                )
        else:
            si = _sobol_from(problem, yk, seed=seed)
            for rec in si.to_dict(orient="records"):
                rows.append(
                    {
                        "metric": metric,
                        "parameter": rec["parameter"],
                        "index": rec["ST"],
                        "ci_low": rec["ST"] - rec["ST_conf"],
                        "ci_high": rec["ST"] + rec["ST_conf"],
                        "p": np.nan,
                        "S1": rec["S1"],
                    }
                )
    table = pd.DataFrame(rows)
    table["rank"] = (
        table.assign(a=table["index"].abs())
        .groupby("metric")["a"]
        .rank(ascending=False, method="first", na_option="bottom")  # NaN: a constant metric
    ).astype(int)
    table = table.sort_values(["metric", "rank"]).reset_index(drop=True)
    hurts = math.nan
    if "sasp_net_effect" in metrics:
        col = y[:, list(metrics).index("sasp_net_effect")]
        col = col[np.isfinite(col)]
        hurts = float(np.mean(col > 0)) if col.size else math.nan
    return SensitivityResult(
        method,
        table,
        len(logx),
        hurts,
        bounds,
        scenario=scenario,
        days=float(setup.days),
        seed=seed,
        spread=spread,
    )
