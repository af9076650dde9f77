"""Global ranking of every uncertain parameter by its influence on the 1-year tumour volume.

PRCC (partial rank correlation, :func:`senotwin.analysis.sensitivity.prcc`) of log10 lesion volume
at the horizon on a Latin hypercube over each parameter's plausible ``range:`` (log-uniform where
the range is positive, uniform where it starts at 0); blockable activity scales stay at their
untreated level and mechanisms the scenario switches off stay off
(:func:`senotwin.model.describe.uncertain_parameters`). The ranking is computed
once per model and shipped as package data (``senotwin/model/gsa/<model id>.yaml``, read by
``model stats``); ``scripts/gsa_ranking.py`` regenerates it. Its fingerprint of what the model
computes tells whether the model changed since.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from senotwin._errors import ValidationError
from senotwin._io import atomic_write_text
from senotwin.analysis.sensitivity import prcc
from senotwin.model.describe import spec_fingerprint, uncertain_parameters
from senotwin.sim import SolverOptions, prepare_scenario
from senotwin.sim.simulate import simulate_batch

_CHUNK = 500  # parameter sets per compiled batch (bounds the memory of one batch)


@dataclass(frozen=True)
class GsaRanking:
    """PRCC of each uncertain parameter on log10 ``observable`` at ``days``, ranked by |PRCC|."""

    model: str
    scenario: str
    observable: str
    days: float
    samples: int
    seed: int
    failed: int  # samples whose simulation failed (left out of the PRCC)
    table: pd.DataFrame  # parameter, prcc, p, rank
    fingerprint: str
    engine: str = "fast"  # simulation engine the samples ran on

    def to_yaml(self, *, date: str | None = None) -> str:
        """The package-data document read by ``senotwin.model.describe.gsa_top``."""
        doc = {
            "model": self.model,
            "fingerprint": self.fingerprint,
            "design": {
                "method": "PRCC on a Latin hypercube over each parameter's range "
                "(log-uniform where the range is positive, uniform where it starts at 0); "
                "blockable activity scales stay at their untreated level and mechanisms the "
                "scenario switches off (value 0 at the floor of the range) stay off",
                "scenario": self.scenario,
                "outcome": f"log10 {self.observable} at day {self.days:g}",
                "samples": self.samples,
                "failed_samples": self.failed,
                "seed": self.seed,
                "engine": self.engine,
                "date": date or dt.date.today().isoformat(),
                "regenerate": "python scripts/gsa_ranking.py",
            },
            "ranking": [
                {
                    "parameter": str(r.parameter),
                    "prcc": round(float(r.prcc), 4),
                    "p": float(f"{float(r.p):.3g}"),
                }
                for r in self.table.itertuples()
            ],
        }
        return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)

    def write(self, path: Path, *, date: str | None = None) -> None:
        """Write the ranking atomically (nothing half-written)."""
        atomic_write_text(path, self.to_yaml(date=date))


def _sample(bounds: Sequence[tuple[float, float]], n: int, seed: int) -> np.ndarray:
    """Latin hypercube rows of parameter values inside ``bounds``."""
    from scipy.stats import qmc

    u = qmc.LatinHypercube(d=len(bounds), seed=np.random.default_rng(seed)).random(n)
    x = np.empty_like(u)
    for j, (lo, hi) in enumerate(bounds):
        if lo > 0:
            x[:, j] = 10.0 ** (math.log10(lo) + u[:, j] * (math.log10(hi) - math.log10(lo)))
        else:
            x[:, j] = lo + u[:, j] * (hi - lo)
    return x


def rank_parameters(
    scenario: str = "default",
    *,
    n: int = 2000,
    seed: int = 0,
    observable: str = "V_T",
    days: float = 365.0,
    engine: str = "fast",
) -> GsaRanking:
    """Rank every uncertain parameter of ``scenario``'s model by |PRCC| on log10 ``observable``."""
    setup = prepare_scenario(scenario, days=days)
    spec = setup.spec
    if observable not in spec.observable_ids and observable not in spec.species_ids:
        raise ValidationError(f"gsa ranking: {spec.id} has no observable or species {observable!r}")
    ranged = uncertain_parameters(spec)
    names = [p.id for p in ranged]
    if n < len(names) + 3:
        raise ValidationError(f"gsa ranking: n must be >= {len(names) + 3} samples, got {n}")
    bounds = [p.range for p in ranged if p.range is not None]
    x = _sample(bounds, n, seed)
    solver = SolverOptions(engine=engine, t_eval=(0.0, float(setup.days)))
    y = np.full(n, np.nan)
    for start in range(0, n, _CHUNK):
        rows = x[start : start + _CHUNK]
        batch = simulate_batch(
            spec,
            [dict(setup.params) | dict(zip(names, r.tolist(), strict=True)) for r in rows],
            t_end=float(setup.days),
            initial=setup.initial,
            regimen=setup.schedule,
            solver=solver,
            check_ranges=False,
        )
        final = batch.values[:, -1, batch.columns.index(observable)]
        good = np.array([st == "success" for st in batch.status]) & np.isfinite(final)
        good &= np.where(np.isfinite(final), final, 0.0) > 0
        y[start : start + len(rows)][good] = np.log10(final[good])
    ok = np.isfinite(y)
    if ok.sum() < len(names) + 3:
        raise ValidationError(f"gsa ranking: only {int(ok.sum())} of {n} simulations succeeded")
    r, p = prcc(x[ok], y[ok])
    table = pd.DataFrame({"parameter": names, "prcc": r, "p": p})
    table = table.assign(a=table["prcc"].abs()).sort_values("a", ascending=False)
    table = table.drop(columns="a").reset_index(drop=True)
    table["rank"] = np.arange(1, len(table) + 1)
    return GsaRanking(
        model=spec.id,
        scenario=scenario,
        observable=observable,
        days=float(setup.days),
        samples=n,
        seed=seed,
        failed=int((~ok).sum()),
        table=table,
        fingerprint=spec_fingerprint(spec),
        engine=engine,
    )
