"""What a measured CD8 pool expansion under anti-PD-1 says about the burst ``n_reinv`` (issue 11).

Diagnosis only: nothing is fitted or changed. The liu2019 virtual cohort at the shipped fit
(:mod:`senotwin.trial.ici_fit`) is run treated (the fit's pembrolizumab regimen) and untreated
from the same start, and the tumour CD8 pool (``T8`` + ``T8x`` + ``T8r`` + ``T8t``) is read at
days 6 / 12 / 21, for a grid of ``n_reinv`` centres with every other fitted value kept. The
treated / untreated pool ratio at a day is what a treated-vs-control count of the
antigen-specific pool measures (Barber 2006 style), so a measured ratio maps onto ``n_reinv``
through this table -- model-dependent: the ratio also carries the priming route and the lifted
kill brake (the ``n_reinv`` 0 row), and only the reinvigorable share (``f_pex`` x ``T8x``,
printed) bursts. Also printed: that share of the untreated pool at day 21.

``--emt6``: the same ratio in the mouse EMT6 scenarios (``mouse_emt6_anti_pdl1`` over
``mouse_emt6_isotype``, the calibrated mouse values) at days 4 / 7 / 10 of treatment, as a count
and per tumour volume -- the model side of the Mariathasan 2018 Fig. 4c CD8 fold (session 25).

    python scripts/reinv_burst_fold.py [--n 100] [--seed 0] [--centres 0 2 4 5.89] [--emt6]
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from senotwin.model.qsp import MOUSE_TREATMENT_START
from senotwin.model.schedule import Schedule
from senotwin.sim.options import SolverOptions
from senotwin.sim.scenario import run_scenario
from senotwin.trial import ici_fit
from senotwin.trial.ici_cohort import CohortDesign, VirtualCohort, _prepare, _Prepared

DAYS = (6, 12, 21)  # on the treated run's 3-day output grid
POOL = ("T8", "T8x", "T8r", "T8t")
EMT6_DAYS = (4, 7, 10)  # days of treatment (the EMT6 arms start treatment at MOUSE_TREATMENT_START)


class PoolReadout(VirtualCohort):
    """The virtual cohort whose treated run returns the tumour CD8 pool, treated and untreated."""

    def _untreated(self) -> _Prepared:
        """The untreated course on the treated run's model (the drug compiled in, never dosed)."""
        if not hasattr(self, "_untreated_run"):
            self._untreated_run = _prepare(
                self._plan_spec(),
                Schedule(),
                dict(self._setup.params),
                dict(self._setup.initial),
                float(max(DAYS)),
                self.design.step_days,
            )
        return self._untreated_run

    def _plan_spec(self) -> object:
        """The model with the regimen's drug compiled in (as :attr:`VirtualCohort._runs`)."""
        from senotwin.therapy.dosing import body_for_scenario
        from senotwin.therapy.language import apply_regimen, parse_regimen

        reg = parse_regimen(self.design.regimen, body=body_for_scenario(self.design.scenario))
        return apply_regimen(self.spec, reg).spec

    def _treated(
        self,
        run: _Prepared,
        params: Mapping[str, float],
        initial: Mapping[str, float],
        base: Mapping[str, object],
    ) -> dict[str, object]:
        untreated = self._untreated()
        row: dict[str, object] = {
            "f_pex": float(self._vectors(run, params, initial)[0][run.slots["f_pex"]])
        }
        for arm, prepared in (("tr", run), ("un", untreated)):
            p, y0 = self._vectors(prepared, params, initial)
            out = prepared.plan.run(p, y0)  # type: ignore[attr-defined]
            if out.status != "success":
                return {"best_response": "NE"}
            for day in DAYS:
                i = int(np.argmin(np.abs(out.times - day)))
                if abs(out.times[i] - day) > 1e-6:
                    raise ValueError(f"day {day} is not on the output grid (step_days)")
                values = out.values[i]
                row[f"pool_{arm}_{day}"] = sum(
                    float(values[prepared.columns.index(s)]) for s in POOL
                )
                row[f"T8x_{arm}_{day}"] = float(values[prepared.columns.index("T8x")])
        return row


def pool_table(rows: pd.DataFrame) -> dict[str, float]:
    """Median (5-95 %) treated / untreated pool ratio per day, and the untreated reinvigorable
    share at the last day, over the plausible patients of :meth:`PoolReadout.simulate` rows."""
    ok = rows[rows["plausible"] & rows["pool_un_21"].notna()]
    out: dict[str, float] = {"patients": float(len(ok))}
    for day in DAYS:
        ratio = ok[f"pool_tr_{day}"] / ok[f"pool_un_{day}"]
        out[f"fold_{day}"] = float(np.median(ratio))
        out[f"fold_{day}_p5"] = float(np.percentile(ratio, 5))
        out[f"fold_{day}_p95"] = float(np.percentile(ratio, 95))
    last = max(DAYS)
    share = ok["f_pex"] * ok[f"T8x_un_{last}"] / ok[f"pool_un_{last}"]
    out["reinvigorable_share"] = float(np.median(share))
    return out


def emt6_folds(n_reinv: float) -> dict[str, float]:
    """Anti-PD-L1 / isotype tumour CD8 pool in the mouse EMT6 scenarios at ``n_reinv``: the count
    ratio and the ratio per tumour volume (what a per-mg flow count measures) per treatment day."""
    end = MOUSE_TREATMENT_START + max(EMT6_DAYS)
    solver = SolverOptions(engine="fast", t_eval=np.arange(0.0, end + 1.0, 1.0))
    runs = {}
    for arm in ("isotype", "anti_pdl1"):
        res = run_scenario(
            f"mouse_emt6_{arm}", overrides={"n_reinv": n_reinv}, days=end, solver=solver
        )
        if not res.ok:
            raise RuntimeError(f"mouse_emt6_{arm} at n_reinv {n_reinv} failed: {res.status}")
        runs[arm] = res.table.set_index("time")
    out: dict[str, float] = {}
    for day in EMT6_DAYS:
        t = MOUSE_TREATMENT_START + day
        iso, pdl1 = (runs[a].loc[t] for a in ("isotype", "anti_pdl1"))
        count = sum(float(pdl1[s]) for s in POOL) / sum(float(iso[s]) for s in POOL)
        out[f"count_{day}"] = count
        out[f"density_{day}"] = count * float(iso["V_T"]) / float(pdl1["V_T"])
    return out


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--centres", type=float, nargs="+", default=[0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    ap.add_argument("--emt6", action="store_true", help="the mouse EMT6 table instead")
    args = ap.parse_args(argv)
    if args.emt6:
        print("mouse EMT6, anti-PD-L1 / isotype tumour CD8 pool (count; per tumour volume):")
        for centre in sorted({*args.centres, 6.0}):
            f = emt6_folds(centre)
            days = "; ".join(
                f"day {d} {f[f'count_{d}']:.2f}; {f[f'density_{d}']:.2f}" for d in EMT6_DAYS
            )
            print(f"  n_reinv {centre:.2f}: {days}")
        return
    values = {p["parameter"]: float(p["best"]) for p in ici_fit.stored_fit()["parameters"]}
    design = CohortDesign(
        regimen=ici_fit.FIT_REGIMEN, n=args.n, seed=args.seed, rules=ici_fit.RULES
    )
    cohort = PoolReadout(design, ici_fit.fitted_population(values))
    shipped = values["n_reinv.centre"]
    print(f"liu2019 cohort n {args.n} seed {args.seed}, shipped fit (n_reinv centre {shipped:.2f})")
    print("tumour CD8 pool treated / untreated, median (5-95 %):")
    for centre in sorted({*args.centres, shipped}):
        point = {**values, "n_reinv.centre": centre}
        rows = cohort.simulate(*ici_fit.split(point), ici_fit.shared(point))
        t = pool_table(rows)
        days = "; ".join(
            f"day {d} {t[f'fold_{d}']:.2f} ({t[f'fold_{d}_p5']:.2f}-{t[f'fold_{d}_p95']:.2f})"
            for d in DAYS
        )
        print(
            f"  n_reinv centre {centre:.2f} (2^n {2**centre:.0f}): {days}; reinvigorable share "
            f"untreated day {max(DAYS)} {t['reinvigorable_share']:.3f} "
            f"({t['patients']:.0f} patients)"
        )


if __name__ == "__main__":
    main()
