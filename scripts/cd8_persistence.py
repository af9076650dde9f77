"""Does a virtual patient's baseline CD8 infiltration persist? (session 23, issues 11 and 13)

A trial patient's CD8 infiltration factor (``b_cd8_infiltration``,
:func:`senotwin.cohort.population.draw_baseline`) scales the tumour CD8 T cells at entry and
PD-L1 is drawn correlated with it. If the T-cell dynamics relax to a state set by persistent
parameters, the factor is forgotten before the first scan and the CD8-PD-L1 copula links PD-L1
to nothing that lasts. This prints, for KEYNOTE-189's selected patients (point fit) and for the
liu2019 virtual cohort (shipped fit), the Spearman of the infiltration factor with the tumour
CD8 at day 0, 7, 21, 42, 56 and 84, untreated and on anti-PD-1 alone: all tumour CD8 per mL
(T8 + T8x + T8r + T8t over the lesion volume), effectors per cancer cell ((T8 + T8r) / N_tumour,
the liu2019 biopsy score at day 56 untreated) and exhausted per cancer cell (T8x: the pool PD-1
blockade reinvigorates); then what the day-42 untreated density does correlate with among the
patients' traits. Evaluation only: nothing is chosen by it.

    python scripts/cd8_persistence.py [--n 200] [--liu-n 240] [--seed 0]
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from senotwin.cohort.baseline import baseline_overrides
from senotwin.cohort.population import GROWTH_TRAIT, draw_patients, typical_growth
from senotwin.model.schedule import Schedule
from senotwin.sim.scenario import prepare_scenario
from senotwin.therapy.dosing import body_for_scenario
from senotwin.therapy.language import apply_regimen, parse_regimen
from senotwin.trial.ici_cohort import CohortDesign, VirtualCohort, _prepare
from senotwin.trial.ici_fit import FIT_REGIMEN, RULES, shared, split, stored_values
from senotwin.trial.library import get_trial
from senotwin.trial.run import trial_config

DAYS = (0, 7, 21, 42, 56, 84)
PEMBRO = "pembrolizumab 200 mg iv q21d d0-d714"
CD8 = ("T8", "T8x", "T8r", "T8t")
#: baseline draws shown beside the parameters (PD-L1 is p_PDL1_per_C)
BASE = ("cd8_infiltration", "sld_mm", "invisible")


def courses(
    scenario: str,
    regimen: str,
    patients: Sequence[tuple[Mapping[str, float], Mapping[str, float]]],
) -> dict[str, pd.DataFrame]:
    """Per arm (untreated, treated): one row per patient and day with the CD8 read-outs."""
    setup = prepare_scenario(scenario)
    reg = parse_regimen(regimen, body=body_for_scenario(scenario))
    plan = apply_regimen(setup.spec, reg)
    out = {}
    for arm, spec, schedule in (
        ("untreated", setup.spec, Schedule()),
        ("anti-PD-1", plan.spec, plan.schedule),
    ):
        run = _prepare(spec, schedule, dict(setup.params), dict(setup.initial), max(DAYS), 7.0)
        col = {c: i for i, c in enumerate(run.columns)}
        rows = []
        for i, (params, initial) in enumerate(patients):
            p, y0 = VirtualCohort._vectors(run, params, initial)
            res = run.plan.run(p, y0)  # type: ignore[attr-defined]
            if res.status != "success":
                continue
            for d in DAYS:
                v = res.values[int(np.argmin(np.abs(res.times - d)))]
                cells = max(v[col["N_tumour"]], 1.0)
                rows.append(
                    {
                        "patient": i,
                        "day": d,
                        "cd8_per_ml": sum(v[col[s]] for s in CD8) / v[col["V_T"]],
                        "eff_per_cell": (v[col["T8"]] + v[col["T8r"]]) / cells,
                        "exh_per_cell": v[col["T8x"]] / cells,
                    }
                )
        out[arm] = pd.DataFrame(rows)
    return out


def persistence(name: str, factor: pd.Series, runs: Mapping[str, pd.DataFrame]) -> None:
    """Spearman of the infiltration factor with each read-out, by arm and day."""
    print(f"\n## {name}: Spearman of the infiltration factor with tumour CD8")
    print("| arm | day | CD8/mL | effectors/cell | exhausted/cell |\n|---|---|---|---|---|")
    for arm, df in runs.items():
        for d in DAYS:
            at = df[df["day"] == d].set_index("patient")
            f = factor.reindex(at.index)
            r = [stats.spearmanr(f, at[c]).statistic for c in at.columns if c != "day"]
            print(f"| {arm} | {d} | " + " | ".join(f"{x:+.2f}" for x in r) + " |")


def traits(name: str, table: pd.DataFrame, runs: Mapping[str, pd.DataFrame], day: int) -> None:
    """Spearman of the untreated day-``day`` CD8 per mL with every varying trait."""
    at = runs["untreated"]
    at = at[at["day"] == day].set_index("patient")["cd8_per_ml"]
    t = table.reindex(at.index)
    rhos = {
        c: stats.spearmanr(t[c], at).statistic
        for c in t.columns
        if t[c].nunique() > 2 and np.isfinite(t[c]).all()
    }
    order = sorted(rhos, key=lambda c: -abs(rhos[c]))
    print(f"\n{name}: untreated day-{day} CD8/mL vs traits (Spearman, |rho| order): ")
    print(", ".join(f"{c} {rhos[c]:+.2f}" for c in order))


def keynote189(n: int, seed: int) -> None:
    """KEYNOTE-189's selected patients with the point fit (``--immune fit``)."""
    trial = get_trial("keynote189")
    config = trial_config(trial, n, seed=seed, immune="fit")
    setup = prepare_scenario(config.scenario)
    drawn = draw_patients(
        setup.spec,
        config.population,
        base_params=setup.params,
        base_initial=setup.initial,
        seed=seed,
        indices=range(n),
        engine="fast",
    )
    ok = [vp for vp in drawn if vp.plausible]
    table = pd.DataFrame(
        [
            {f"p_{k}": v for k, v in vp.params.items()}
            | {f"b_{k}": vp.baseline[k] for k in BASE}  # type: ignore[index]
            | {"untreated_doubling_days": vp.doubling_days}
            for vp in ok
        ]
    )
    runs = courses(config.scenario, PEMBRO, [(vp.params, vp.initial) for vp in ok])
    persistence(
        f"KEYNOTE-189 (n {len(ok)} plausible of {n}, seed {seed})",
        table["b_cd8_infiltration"],
        runs,
    )
    traits("KEYNOTE-189", table, runs, 42)


def liu2019(n: int, seed: int) -> None:
    """The liu2019 virtual cohort at the shipped fit (the cohort the fit scored)."""
    values = stored_values()
    centres, spreads = split(values)
    vc = VirtualCohort(CohortDesign(regimen=FIT_REGIMEN, n=n, seed=seed, rules=RULES))
    growth = typical_growth(vc.population, vc.tissue, {**centres, **shared(values)})
    if growth is not None:
        centres = {**centres, GROWTH_TRAIT: growth}
    vals = vc.values(centres, spreads)
    bases, _ = vc.draws
    patients, rows = [], []
    for i in range(n):
        fixed, initial = baseline_overrides(vc.spec, vc.design.baseline, bases[i])
        params = {**vals.iloc[i].to_dict(), **shared(values), **fixed}
        patients.append((params, initial))
        rows.append(
            {f"p_{k}": v for k, v in params.items()} | {f"b_{k}": bases[i][k] for k in BASE}
        )
    table = pd.DataFrame(rows)
    runs = courses(vc.design.scenario, FIT_REGIMEN, patients)
    persistence(f"liu2019 (n {n}, seed {seed}, shipped fit)", table["b_cd8_infiltration"], runs)
    traits("liu2019", table, runs, 56)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--liu-n", type=int, default=240)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    keynote189(args.n, args.seed)
    liu2019(args.liu_n, args.seed)


if __name__ == "__main__":
    main()
