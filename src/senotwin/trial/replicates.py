"""A library trial once per liu2019 posterior draw: trial-level predictive uncertainty.

``trial run --immune posterior`` gives every virtual patient its own posterior draw, so the
posterior's uncertainty about the *population* centres acts as extra spread between patients.
Here the trial runs once per draw instead -- every patient of replicate r carries draw r (its
centres, and the tissue's proliferation re-derived at them), the selected patients the same in
every replicate -- and each endpoint is summarised over the replicates: the range of trial
results the calibrated uncertainty allows, beside the published value. Nothing is fitted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from senotwin._errors import ValidationError, check_type
from senotwin._io import check_not_mixed
from senotwin._text import column_widths
from senotwin.analysis.endpoints import TrialEndpointReducer
from senotwin.cohort.runner import CohortConfig, run_cohort
from senotwin.cohort.store import MANIFEST, empty_run_folder
from senotwin.trial.clinical import trial_hazard
from senotwin.trial.run import compare_trial, load_trial_rows, trial_config
from senotwin.trial.spec import TrialSpec

#: endpoints summarised over the replicates (with the landmark rates, "PFS at 12 months")
SUMMARISED = ("ORR", "CR", "median PFS", "median OS", "HR PFS", "HR OS")


def replicate_configs(config: CohortConfig, replicates: int) -> list[tuple[int, CohortConfig]]:
    """(draw, the cohort with that one posterior member) per replicate: draws spread evenly over
    the ensemble (rows ``r * len // replicates``); the patients are the config's own."""
    members = config.ensemble
    if not members:
        raise ValidationError(
            "replicates need the shipped liu2019 posterior: this trial's population took no "
            "posterior members"
        )
    if isinstance(replicates, bool) or not 1 <= replicates <= len(members):
        raise ValidationError(
            f"replicates (--replicates) = {replicates!r}: allowed a whole number "
            f"1-{len(members)} (the posterior's draws)"
        )
    step = len(members) // replicates
    return [(r * step, replace(config, ensemble=(members[r * step],))) for r in range(replicates)]


def run_replicates(
    trial: TrialSpec,
    n: int,
    out: str | Path,
    *,
    replicates: int,
    seed: int = 0,
    workers: int = 2,
    engine: str = "fast",
    progress: Callable[[int, int], None] | None = None,
    resume: bool = False,
) -> pd.DataFrame:
    """Run ``replicates`` trials of ``n`` patients per arm into ``out/r00``, ``out/r01``, ...
    (cohort directories) and return every replicate's comparison table (columns ``replicate``
    and ``draw`` added). ``resume=True`` finishes an interrupted run: a replicate already in
    ``out`` is re-read (finished) or completed, the others run (an earlier run was refused with
    a pointer to --resume, which the command did not have; ux53)."""
    check_type(resume, bool, name="resume", what="True or False")
    config = trial_config(trial, n, seed=seed, engine=engine, immune="posterior")
    reducer = TrialEndpointReducer(trial.rules, trial_hazard(trial))
    tables = []
    runs = replicate_configs(config, replicates)
    begun = [(Path(out) / f"r{r:02d}" / MANIFEST).exists() for r in range(len(runs))]
    if resume and not any(begun):
        raise ValidationError(
            f"--resume (resume=True): {out} holds no replicate of an earlier run (r00/"
            f"{MANIFEST}, ...); leave --resume out to start one"
        )
    # a user's folder is refused before r00 is made in it (each replicate's cohort refuses only
    # its own r00, r01, ... folder, so the run mixed its folders and tables in; ux53)
    check_not_mixed(
        out,
        own=any(Path(out).glob(f"r[0-9][0-9]*/{MANIFEST}")),
        marker=f"replicate run (r00/{MANIFEST}, ...)",
        allowed="name a new or empty folder (or an interrupted replicates run's own, with "
        "--resume)",
        skip=_killed_replicate,
    )
    for r, (draw, one) in enumerate(runs):
        where = Path(out) / f"r{r:02d}"
        run_cohort(one, where, reducer=reducer, workers=workers, resume=resume and begun[r])
        table = compare_trial(trial, load_trial_rows(where)).table
        tables.append(table.assign(replicate=r, draw=draw))
        if progress is not None:
            progress(r + 1, len(runs))
    return pd.concat(tables, ignore_index=True)


def _killed_replicate(path: Path) -> bool:
    """A replicate folder (``r00``, ...) holding only the empty folders of a run killed before
    its manifest: the command's own, not a user's."""
    return (
        path.is_dir()
        and re.fullmatch(r"r[0-9]{2,}", path.name) is not None
        and all(empty_run_folder(p) for p in path.iterdir())
    )


def summarise(tables: pd.DataFrame) -> pd.DataFrame:
    """Per population, arm and endpoint: the median and 5-95 % of the simulated value over the
    replicates (a median not reached counts in ``not_reached``, not in the quantiles), the
    published value, the share of replicates whose 95 % CI holds it, and the unit."""
    landmark = tables["endpoint"].str.contains(r" at [0-9]", regex=True)
    keep = tables[tables["endpoint"].isin(SUMMARISED) | landmark]
    rows: list[dict[str, Any]] = []
    for (pop, arm, endpoint), g in keep.groupby(["population", "arm", "endpoint"], sort=False):
        values = g["simulated"].astype(float).to_numpy()
        finite = values[np.isfinite(values)]
        q = np.quantile(finite, [0.05, 0.5, 0.95]) if finite.size else [np.nan] * 3
        inside = g["published_in_sim_ci"].dropna()
        rows.append(
            {
                "population": pop,
                "arm": arm,
                "endpoint": endpoint,
                "median": float(q[1]),
                "q05": float(q[0]),
                "q95": float(q[2]),
                "not_reached": int(np.isinf(values).sum()),
                "published": g["published"].iloc[0],
                "ci_holds_published": float(inside.astype(bool).mean()) if len(inside) else None,
                "replicates": len(g),
                "unit": g["unit"].iloc[0],  # as the comparison's (% or months, ...)
            }
        )
    return pd.DataFrame(rows)


def summary_text(summary: pd.DataFrame) -> list[str]:
    """Plain-text lines of :func:`summarise` (the CLI's)."""
    records = summary.to_dict(orient="records")
    w_pop, w_arm, w_end = column_widths(records, ("population", "arm", "endpoint"))
    lines = [
        f"{'population':<{w_pop}} {'arm':<{w_arm}} {'endpoint':<{w_end}} median (5-95 % over "
        "replicates) vs published; replicates whose CI holds it"
    ]
    for rec in records:
        d = 2 if str(rec["endpoint"]).startswith("HR") else 1
        pub = "-" if pd.isna(rec["published"]) else f"{rec['published']:.{d}f}"
        held = "-" if pd.isna(rec["ci_holds_published"]) else f"{rec['ci_holds_published']:.0%}"
        nr = f", not reached in {rec['not_reached']}" if rec["not_reached"] else ""
        unit = rec.get("unit")  # as trial run prints it after the published value
        unit = f" {unit}" if isinstance(unit, str) and unit else ""
        mid = "-" if pd.isna(rec["median"]) else f"{rec['median']:.{d}f}"
        span = "" if pd.isna(rec["q05"]) else f" ({rec['q05']:.{d}f}-{rec['q95']:.{d}f})"
        lines.append(
            f"{rec['population']:<{w_pop}} {rec['arm']:<{w_arm}} {rec['endpoint']:<{w_end}} "
            f"{mid}{span}{nr} vs {pub}{unit}; {held}"
        )
    return lines
