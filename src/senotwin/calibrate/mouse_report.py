"""Per-arm goodness of fit of the ``mariathasan2018`` problem and its figure (issue 12: do the
fitted curves separate isotype, anti-PD-L1 and the combination, and lose the effect without CD8
T cells, within the spread of the mice?).

The fit itself is :func:`senotwin.calibrate.fit.fit_problem` like any other problem; this module
only reads a parameter set against the per-mouse data of every arm, fitted or held back.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from senotwin._io import atomic_write_figure
from senotwin.calibrate.mouse_data import PANEL_KEYS, mariathasan2018
from senotwin.calibrate.objective import Objective, fit_curves
from senotwin.model.qsp import MOUSE_TREATMENT_START

#: (dataset id, role) of every panel/arm, in figure order
DATASETS: tuple[tuple[str, str], ...] = (
    ("fig4a_isotype", "fitted"),
    ("fig4a_anti_pdl1", "fitted"),
    ("fig4a_anti_tgfb", "fitted"),
    ("ed5i_combination_cd8_depleted", "fitted"),
    ("fig4a_combination", "held back"),
    ("ed5i_combination", "held back"),
)
#: the same for the MC38 study (problem ``mariathasan2018_mc38``)
MC38_DATASETS: tuple[tuple[str, str], ...] = (
    ("ed5n_isotype", "fitted"),
    ("ed5n_anti_pdl1", "held back"),
    ("ed5n_combination", "held back"),
)


def arm_summary(objective: Objective, values: Mapping[str, float]) -> pd.DataFrame:
    """Per data set (panel and arm): points, RMSE of log volume, share of study days where the
    model lies within the mice's 10-90 % range, and model vs observed geometric-mean volume on
    the last day used (days since the first dose); the Fig. 4c CD8 rows (``observable``
    cd8_per_volume) give the fold of isotype in the volume columns; ceilings (limit readouts)
    are no measured values and are left out."""
    limits = {o.id for o in objective.problem.observables if o.limit is not None}
    rows = []
    for held in (False, True):
        table = objective.problem.held_back if held else objective.problem.measurements
        if table is None or len(table) == 0:
            continue
        pred = objective.predict(values, held_back=held)
        frame = table.assign(model=pred)
        frame = frame[~frame["observableId"].isin(limits)]
        for ds, part in frame.groupby("datasetId", sort=False):
            err = np.log(part["model"]) - np.log(part["measurement"])
            inside = []
            for _, day in part.groupby("time"):
                lo, hi = np.percentile(day["measurement"], [10, 90])
                inside.append(bool(lo <= day["model"].iloc[0] <= hi))
            last = part[part["time"] == part["time"].max()]
            rows.append(
                {
                    "dataset": ds,
                    "observable": str(part["observableId"].iloc[0]),
                    "role": "held back" if held else "fitted",
                    "points": len(part),
                    "rmse_log": float(np.sqrt(np.mean(err**2))),
                    "within_10_90": float(np.mean(inside)),
                    "last_day": float(last["time"].iloc[0] - MOUSE_TREATMENT_START),
                    "model_mm3": float(last["model"].iloc[0]),
                    "observed_geomean_mm3": float(np.exp(np.mean(np.log(last["measurement"])))),
                }
            )
    return pd.DataFrame(rows)


def model_volumes(
    objective: Objective, values: Mapping[str, float], days: tuple[float, ...]
) -> pd.DataFrame:
    """Model tumour volume (mm3) of every arm (rows) on study ``days`` after the first dose
    (columns): the separation of the arms on common days."""
    out = {}
    for arm in objective.problem.conditions:
        times = MOUSE_TREATMENT_START + np.asarray(days, float)
        grid = np.unique(np.concatenate([[0.0], times]))
        y = objective._run(arm, values, grid)
        if y is None:
            out[arm] = np.full(len(days), np.nan)
            continue
        series = y[objective._columns.index("V_T")] * 1000.0  # mL -> mm3
        out[arm] = np.interp(times, grid, series)
    return pd.DataFrame(out, index=list(days)).T


def plot_fit(
    objective: Objective,
    values: Mapping[str, float],
    path: str,
    *,
    datasets: tuple[tuple[str, str], ...] = DATASETS,
    title: str = (
        "EMT6 (Mariathasan 2018): model fitted to isotype, anti-PD-L1, anti-TGF-beta and the "
        "CD8-depleted combination (blue);\nheld-back arms predicted (red); grey = individual mice"
    ),
) -> None:
    """Per-mouse volumes (thin grey) and the model (thick: blue fitted, red predicted) of every
    panel and arm in ``datasets`` (PNG)."""
    from matplotlib.figure import Figure

    table = mariathasan2018()
    keys = pd.Series(
        [f"{PANEL_KEYS.get(p, '')}_{a}" for p, a in zip(table["panel"], table["arm"], strict=True)]
    )
    curves = fit_curves(objective, values, points=300)
    cols = 3
    rows = -(-len(datasets) // cols)
    fig = Figure(figsize=(13, 3.75 * rows + 0.5), layout="constrained")
    axes = np.atleast_2d(fig.subplots(rows, cols, sharey=True))
    for ax, (ds, role) in zip(axes.flat, datasets, strict=False):
        data = table[keys.to_numpy() == ds]
        for _, mouse in data.groupby("mouse"):
            ax.plot(mouse["day"], mouse["volume_mm3"], color="0.6", lw=0.8, marker=".", ms=3)
        arm = ds.split("_", 1)[1]
        model = curves[(curves["condition"] == arm) & (curves["observable"] == "tumour_volume")]
        day = model["time"].to_numpy() - MOUSE_TREATMENT_START
        keep = day >= 0
        colour = "C3" if role == "held back" else "C0"
        ax.plot(day[keep], model["value"].to_numpy()[keep], color=colour, lw=2.5, label="model")
        ax.set_yscale("log")
        ax.set_ylim(3, 5000)
        ax.set_xlim(0, 42)
        ax.set_title(f"{ds} ({role})", fontsize=10)
        ax.set_xlabel("days since first dose")
    for ax in axes[:, 0]:
        ax.set_ylabel("tumour volume (mm$^3$)")
    fig.suptitle(title)
    atomic_write_figure(fig, path, dpi=90)
