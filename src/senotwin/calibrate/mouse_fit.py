"""Fit of the mouse EMT6 context to Mariathasan 2018 (growth, CD8 killing, PD-L1, TGF-beta brake).

Multi-start SciPy ``least_squares`` (trust-region reflective) in log-parameter space within
stated bounds, on the fast engine with finite differences — the shared calibration machinery
(issue 12) was not on main when this fit was made. Observation model: log-normal volumes; the
noise of an (arm, day) is the spread between mice (SD of log volume, at least ``SIGMA_MIN``);
placeholder volumes of non-measurable tumours are left-censored (a model volume below the
placeholder costs nothing). Only (arm, day) points with at least ``MIN_MICE`` mice still on
study are used: later points keep only the slow tumours (the others reached the end point).
Only the fitted part of the data (``mouse_data.FITTED``) enters the objective; the held-back
part is predicted by :func:`predict`.
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from senotwin._io import atomic_write_figure
from senotwin.calibrate.mouse_data import mariathasan2018
from senotwin.model.qsp import MOUSE_EMT6_FIT, MOUSE_TREATMENT_START, mouse_schedule
from senotwin.sim.options import SolverOptions
from senotwin.sim.scenario import ScenarioSetup, prepare_scenario

MIN_MICE = 6
SIGMA_MIN = 0.15
#: fitted quantities and their bounds (log space); "t_start" is the day of the first dose after
#: inoculation (the paper starts at a volume, not a day)
BOUNDS: dict[str, tuple[float, float]] = {
    "k_grow": (0.1, 1.0),
    "C_max": (2.0e8, 1.0e10),
    "k_kill": (0.5, 16.0),
    "f_mat0": (1.0e-7, 1.0e-3),
    "PDL1_per_C": (3.0e3, 2.24e5),
    "w_tgfb_excl": (0.01, 50.0),
    "t_start": (5.0, 20.0),
}
NAMES = tuple(BOUNDS)
FIT_RTOL = 1e-5


@dataclass(frozen=True)
class Points:
    """Observations of one arm: days since the first dose, observed volumes (mm3), floor flags,
    noise."""

    arm: str
    times: np.ndarray
    volume: np.ndarray
    at_floor: np.ndarray
    sigma: np.ndarray


def arm_points(table: pd.DataFrame, arm: str, *, min_mice: int = MIN_MICE) -> Points:
    """The usable points of one arm (days with at least ``min_mice`` mice) and their noise."""
    rows = table[table["arm"] == arm]
    counts = rows.groupby("day")["mouse"].nunique()
    rows = rows[rows["day"].isin(counts[counts >= min_mice].index)]
    spread = rows.groupby("day")["volume_mm3"].apply(lambda v: float(np.std(np.log(v), ddof=1)))
    sigma = np.maximum(rows["day"].map(spread).to_numpy(float), SIGMA_MIN)
    return Points(
        arm,
        rows["day"].to_numpy(float),
        rows["volume_mm3"].to_numpy(float),
        rows["at_floor"].to_numpy(bool),
        sigma,
    )


@cache
def _setup(arm: str) -> ScenarioSetup:
    return prepare_scenario(f"mouse_emt6_{arm}")


def simulate_arm(
    arm: str,
    values: Mapping[str, float],
    days: Sequence[float] | np.ndarray,
    *,
    engine: str = "fast",
) -> np.ndarray:
    """Lesion volume (mm3) of the mouse EMT6 arm ``days`` after the first dose, with ``values``
    (model parameters plus ``t_start``, the day of the first dose after inoculation)."""
    start = values.get("t_start", MOUSE_TREATMENT_START)
    setup = replace(_setup(arm), schedule=mouse_schedule(arm, start), days=start + 42.0)
    times = start + np.asarray(days, float)
    grid = np.unique(np.concatenate([[0.0], times]))
    opts = SolverOptions(engine=engine, rtol=FIT_RTOL, atol=1e-6, t_eval=tuple(grid))
    params = {k: v for k, v in values.items() if k != "t_start"}
    result = setup.run(params=params, solver=opts)
    if not result.ok:
        return np.full(len(times), np.nan)
    volume = result.table["V_T"].to_numpy() * 1000.0  # mL -> mm3
    return np.interp(times, result.table["time"].to_numpy(), volume)


def residuals(
    values: Mapping[str, float], points: Sequence[Points], *, engine: str = "fast"
) -> np.ndarray:
    """Weighted log residuals of every point (censored floors one-sided)."""
    out = []
    for pts in points:
        model = simulate_arm(pts.arm, values, pts.times, engine=engine)
        r = (np.log(np.maximum(model, 1e-6)) - np.log(pts.volume)) / pts.sigma
        r = np.where(pts.at_floor, np.maximum(r, 0.0), r)
        out.append(np.where(np.isfinite(r), r, 1e3))
    return np.concatenate(out)


def _to_values(x: np.ndarray) -> dict[str, float]:
    return {name: float(math.exp(v)) for name, v in zip(NAMES, x, strict=True)}


def start_values() -> dict[str, float]:
    """The shipped calibrated values (model/qsp.py MOUSE_EMT6_FIT and MOUSE_TREATMENT_START)."""
    return {
        **{k: MOUSE_EMT6_FIT[k] for k in NAMES if k != "t_start"},
        "t_start": MOUSE_TREATMENT_START,
    }


@dataclass(frozen=True)
class MouseFitResult:
    """Best values, its cost, every start's cost (waterfall) and the points fitted."""

    best: dict[str, float]
    cost: float
    n_points: int
    starts: tuple[float, ...]
    start_values: tuple[dict[str, float], ...]


def _one_start(
    x0: np.ndarray,
    points: Sequence[Points],
    lo: np.ndarray,
    hi: np.ndarray,
    max_nfev: int,
    engine: str,
) -> tuple[float, np.ndarray]:
    sol = least_squares(
        lambda x: residuals(_to_values(x), points, engine=engine),
        np.clip(x0, lo, hi),
        bounds=(lo, hi),
        diff_step=1e-3,
        max_nfev=max_nfev,
    )
    return float(2 * sol.cost), sol.x  # cost = sum of squared weighted residuals


def fit(
    *,
    starts: int = 20,
    seed: int = 0,
    max_nfev: int = 50,
    engine: str = "fast",
    workers: int = 1,
) -> MouseFitResult:
    """Multi-start least squares on the fitted arms: the shipped values plus ``starts``
    Latin-hypercube starts in log space; ``workers`` > 1 runs starts in forked processes
    (after one evaluation here, so the compiled model is inherited, not rebuilt)."""
    table = mariathasan2018(part="fitted")
    points = [arm_points(table, arm) for arm in ("isotype", "anti_pdl1", "anti_tgfb")]
    lo = np.log([BOUNDS[n][0] for n in NAMES])
    hi = np.log([BOUNDS[n][1] for n in NAMES])
    rng = np.random.default_rng(seed)
    cube = (
        rng.permuted(np.tile(np.arange(starts), (len(NAMES), 1)), axis=1).T
        + rng.random((starts, len(NAMES)))
    ) / starts
    x0s = [np.log([start_values()[n] for n in NAMES]), *(lo + cube * (hi - lo))]
    args = [(x0, points, lo, hi, max_nfev, engine) for x0 in x0s]
    if workers > 1:
        residuals(_to_values(np.clip(x0s[0], lo, hi)), points, engine=engine)  # compile once
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(workers) as pool:
            outcomes = pool.starmap(_one_start, args)
    else:
        outcomes = [_one_start(*a) for a in args]
    costs = [c for c, _ in outcomes]
    best = int(np.argmin(costs))
    n = sum(len(p.times) for p in points)
    return MouseFitResult(
        _to_values(outcomes[best][1]),
        costs[best],
        n,
        tuple(costs),
        tuple(_to_values(x) for _, x in outcomes),
    )


# ---- goodness of fit and held-back prediction ---------------------------------------------------
ARM_PANELS: tuple[tuple[str, str, str], ...] = (
    ("Fig. 4a", "isotype", "fitted"),
    ("Fig. 4a", "anti_pdl1", "fitted"),
    ("Fig. 4a", "anti_tgfb", "fitted"),
    ("Fig. 4a", "combination", "held back"),
    ("Extended Data Fig. 5i", "combination", "held back"),
    ("Extended Data Fig. 5i", "combination_cd8_depleted", "held back"),
)


def arm_summary(values: Mapping[str, float], *, engine: str = "fast") -> pd.DataFrame:
    """Per panel/arm: points used, RMSE of log volume, share of days where the model lies within
    the mice's 10-90 % range, and model vs observed geometric-mean volume at the last day used."""
    table = mariathasan2018()
    rows = []
    for panel, arm, role in ARM_PANELS:
        data = table[(table["panel"] == panel) & (table["arm"] == arm)]
        pts = arm_points(data, arm)
        model = simulate_arm(arm, values, pts.times, engine=engine)
        err = np.log(model) - np.log(pts.volume)
        err = np.where(pts.at_floor, np.maximum(err, 0.0), err)
        inside = []
        for t in np.unique(pts.times):
            obs = pts.volume[pts.times == t]
            lo, hi = np.percentile(obs, [10, 90])
            m = model[pts.times == t][0]
            inside.append(lo <= m <= hi or (m < lo and bool(pts.at_floor[pts.times == t].any())))
        last = pts.times.max()
        obs_last = pts.volume[pts.times == last]
        rows.append(
            {
                "panel": panel,
                "arm": arm,
                "role": role,
                "points": len(pts.times),
                "rmse_log": float(np.sqrt(np.mean(err**2))),
                "within_10_90": float(np.mean(inside)),
                "last_day": int(last),
                "model_mm3": float(model[pts.times == last][0]),
                "observed_geomean_mm3": float(np.exp(np.mean(np.log(obs_last)))),
            }
        )
    return pd.DataFrame(rows)


def plot_fit(values: Mapping[str, float], path: str, *, engine: str = "fast") -> None:
    """Per-mouse data (thin) and the model (thick) for the fitted and held-back arms (PNG)."""
    from matplotlib.figure import Figure

    table = mariathasan2018()
    fig = Figure(figsize=(13, 7.5), layout="constrained")
    axes = fig.subplots(2, 3, sharey=True)
    grid = np.arange(0.0, 42.0, 0.5)
    for ax, (panel, arm, role) in zip(axes.flat, ARM_PANELS, strict=True):
        data = table[(table["panel"] == panel) & (table["arm"] == arm)]
        for _, mouse in data.groupby("mouse"):
            ax.plot(mouse["day"], mouse["volume_mm3"], color="0.6", lw=0.8, marker=".", ms=3)
        model = simulate_arm(arm, values, grid, engine=engine)
        ax.plot(grid, model, color="C3" if role == "held back" else "C0", lw=2.5, label="model")
        ax.set_yscale("log")
        ax.set_ylim(3, 5000)
        ax.set_xlim(0, 42)
        ax.set_title(f"{panel} {arm.replace('_', ' ')} ({role})", fontsize=10)
        ax.set_xlabel("days since first dose")
    for ax in axes[:, 0]:
        ax.set_ylabel("tumour volume (mm$^3$)")
    fig.suptitle(
        "EMT6 (Mariathasan 2018): model fitted to isotype, anti-PD-L1, anti-TGF-beta (blue); "
        "held-back arms predicted (red); grey = individual mice"
    )
    atomic_write_figure(fig, path, dpi=90)
