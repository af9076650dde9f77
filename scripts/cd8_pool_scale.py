"""Are the model's antigen-specific CD8 pools physically plausible? (session 26, issues 13/14)

Diagnosis only: nothing is fitted or changed. For the mouse arms (``mouse_emt6_isotype``,
``mouse_emt6_anti_pdl1``, ``mouse_mc38_isotype``, ``mouse_mc38_anti_pdl1``), the human scenarios
(``default``, ``aged_lung_untreated``) and a few liu2019 virtual patients (shipped fit, untreated
and on the fit's pembrolizumab), prints over time:

* ``T8b``, the primed antigen-specific CD8 outside the tumour (cells, and per uL of the model's
  blood volume ``V_c``), beside the cited ceilings (all CD8 T cells of a mouse; all leukocytes
  per uL of mouse blood; the upper reference limit of human blood CD8 per uL);
* the tumour CD8 pool ``T8 + T8x + T8r + T8t`` (cells, and per mL of lesion = per mg at 1 g/mL);
* the tumour CD8's own volume as a share of the lesion volume ``V_T`` (which counts no immune
  cells): above 1 the pool cannot fit in the lesion;
* (scenarios) what sets ``T8b``: the priming flux into it (process ``priming``), its per-cell loss
  by death ``d_T8`` and by trafficking into the tumour (process ``trafficking`` / ``T8b``), the
  residence time, the quasi-steady pool priming / loss, and the naive activations per precursor
  per day the priming flux implies (priming / (2^n_gen x ln_checkpoints x N_ag x naive_age); the
  naive pool ``N_ag`` is a constant, not consumed by activation).

    python scripts/cd8_pool_scale.py [--liu-n 12] [--seed 0] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from senotwin.cohort.baseline import baseline_overrides
from senotwin.cohort.population import GROWTH_TRAIT, typical_growth
from senotwin.model.schedule import Schedule
from senotwin.sim.options import SolverOptions
from senotwin.sim.scenario import prepare_scenario, run_scenario
from senotwin.therapy.dosing import body_for_scenario
from senotwin.therapy.language import apply_regimen, parse_regimen
from senotwin.trial.ici_cohort import CohortDesign, VirtualCohort, _prepare
from senotwin.trial.ici_fit import FIT_REGIMEN, RULES, shared, split, stored_fit

MOUSE = ("mouse_emt6_isotype", "mouse_emt6_anti_pdl1", "mouse_mc38_isotype", "mouse_mc38_anti_pdl1")
HUMAN = ("default", "aged_lung_untreated")
MOUSE_DAYS = (0, 10, 20, 27, 34, 41, 62)
HUMAN_DAYS = (0, 30, 90, 180, 365)
LIU_DAYS = (0, 7, 21, 42, 84)
TUMOUR = ("T8", "T8x", "T8r", "T8t")
UL_PER_ML = 1000.0
#: cited ceilings (docs/quantitative-sources.yaml)
MOUSE_ALL_CD8 = 2.0e7  # cells: all CD8 T cells of a mouse (mouse_cd8_total_lonchay2004)
MOUSE_LEUKOCYTES_UL = 1.0e4  # per uL: upper end of mouse blood leukocytes (mouse_blood_leukocytes)
HUMAN_CD8_UL = (
    1243.0  # per uL: upper reference limit of adult blood CD8 (human_blood_cd8_reference)
)
T_CELL_ML = 1.75e-10  # mL: one T cell, sphere of 6.94 um (qsp_t_cell_diameter: 175 um^3)


def values(setup: Any) -> dict[str, float]:
    """Every parameter value of a prepared scenario (model defaults with its overrides)."""
    return {q.id: float(q.value) for q in setup.spec.parameters} | dict(setup.params)


def t8b_budget(table: pd.DataFrame, p: Mapping[str, float]) -> pd.DataFrame:
    """Per day: priming into T8b, per-cell death and trafficking loss, residence, steady pool."""
    naive = p["N_ag"] * p["naive_age"]
    if "N8u" in table:  # scripts/cd8_naive_prototype.py's consumed naive pool
        naive = naive * (1.0 - table["N8u"])
    prime = (
        p["k_act"]
        * naive
        * table["mDC"]
        / (table["mDC"] + p["K_mdc"] * p["naive_age"])
        * table["ln_checkpoints"]
        * 2.0 ** p["n_gen"]
    )
    ifn = table["IFNI_t"] / (table["IFNI_t"] + p["K_ifnar"])
    traffic = p["q_in"] * table["V_T"] / p["V_c"] * (1.0 + p["w_traf"] * ifn) * table["tgfb_excl"]
    death = p["d_T8"] + p.get("k_contract", 0.0)  # + scripts/cd8_contraction_prototype.py's
    loss = death + traffic
    return pd.DataFrame(
        {
            "priming": prime,
            "activations": prime / (2.0 ** p["n_gen"] * table["ln_checkpoints"] * naive),
            "death": death,
            "traffic": traffic,
            "residence_d": 1.0 / loss,
            "steady": prime / loss,
        }
    )


def scenario_rows(name: str, days: Sequence[int]) -> list[dict[str, float | str]]:
    """One row per day of a named scenario: pools, per-volume values and the T8b budget."""
    setup = prepare_scenario(name)
    p = values(setup)
    end = max(days)
    res = run_scenario(
        name, solver=SolverOptions(engine="fast", t_eval=np.arange(0.0, end + 0.5, 1.0))
    )
    if not res.ok:
        raise RuntimeError(f"{name}: {res.status}")
    table = res.table.set_index("time")
    budget = t8b_budget(table, p)
    rows: list[dict[str, float | str]] = []
    for d in days:
        r, b = table.loc[float(d)], budget.loc[float(d)]
        tumour = float(sum(r[s] for s in TUMOUR))
        rows.append(
            {
                "scenario": name,
                "day": d,
                "T8b": float(r["T8b"]),
                "T8b_per_uL": float(r["T8b"]) / (p["V_c"] * UL_PER_ML),
                "tumour_cd8": tumour,
                "tumour_cd8_per_mL": tumour / float(r["V_T"]) if r["V_T"] > 0 else math.nan,
                "V_T_mL": float(r["V_T"]),
                "tumour_cd8_vol_share": tumour * T_CELL_ML / float(r["V_T"]),
                "priming_per_day": float(b["priming"]),
                "activations_per_precursor_day": float(b["activations"]),
                "death_per_day": float(b["death"]),
                "traffic_per_day": float(b["traffic"]),
                "residence_days": float(b["residence_d"]),
                "steady_T8b": float(b["steady"]),
            }
        )
    return rows


def liu_patients(n: int, seed: int) -> tuple[str, list[tuple[dict[str, float], dict[str, float]]]]:
    """The first ``n`` liu2019 virtual patients at the shipped fit (as the fit scores them)."""
    vals = {q["parameter"]: q["best"] for q in stored_fit()["parameters"]}
    centres, spreads = split(vals)
    vc = VirtualCohort(CohortDesign(regimen=FIT_REGIMEN, n=n, seed=seed, rules=RULES))
    growth = typical_growth(vc.population, vc.tissue, {**centres, **shared(vals)})
    if growth is not None:
        centres = {**centres, GROWTH_TRAIT: growth}
    drawn = vc.values(centres, spreads)
    bases, _ = vc.draws
    patients = []
    for i in range(n):
        fixed, initial = baseline_overrides(vc.spec, vc.design.baseline, bases[i])
        patients.append(({**drawn.iloc[i].to_dict(), **shared(vals), **fixed}, initial))
    return vc.design.scenario, patients


def liu_rows(n: int, seed: int) -> list[dict[str, float | str]]:
    """T8b and tumour CD8 of liu2019 virtual patients, untreated and on the fit's pembrolizumab."""
    scenario, patients = liu_patients(n, seed)
    setup = prepare_scenario(scenario)
    v_c = values(setup)["V_c"]
    plan = apply_regimen(setup.spec, parse_regimen(FIT_REGIMEN, body=body_for_scenario(scenario)))
    rows: list[dict[str, float | str]] = []
    for arm, spec, schedule in (
        ("untreated", setup.spec, Schedule()),
        ("anti-PD-1", plan.spec, plan.schedule),
    ):
        run = _prepare(spec, schedule, dict(setup.params), dict(setup.initial), max(LIU_DAYS), 1.0)
        col = {c: i for i, c in enumerate(run.columns)}
        for i, (params, initial) in enumerate(patients):
            pv, y0 = VirtualCohort._vectors(run, params, initial)
            res = run.plan.run(pv, y0)  # type: ignore[attr-defined]
            if res.status != "success":
                continue
            for d in LIU_DAYS:
                v = res.values[int(np.argmin(np.abs(res.times - d)))]
                tumour = sum(v[col[s]] for s in TUMOUR)
                rows.append(
                    {
                        "arm": arm,
                        "patient": i,
                        "day": d,
                        "T8b": float(v[col["T8b"]]),
                        "T8b_per_uL": float(v[col["T8b"]]) / (v_c * UL_PER_ML),
                        "tumour_cd8_per_mL": float(tumour / v[col["V_T"]]),
                        "tumour_cd8_vol_share": float(tumour * T_CELL_ML / v[col["V_T"]]),
                    }
                )
    return rows


def report(scen: pd.DataFrame, liu: pd.DataFrame) -> None:
    """Markdown tables and the cited-ceiling verdicts."""
    cols = [
        "scenario",
        "day",
        "T8b",
        "T8b_per_uL",
        "tumour_cd8",
        "tumour_cd8_per_mL",
        "V_T_mL",
        "tumour_cd8_vol_share",
        "priming_per_day",
        "activations_per_precursor_day",
        "traffic_per_day",
        "residence_days",
        "steady_T8b",
    ]
    print("## Scenarios (T8b outside the tumour; tumour CD8 = T8 + T8x + T8r + T8t)\n")
    print("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
    for _, r in scen.iterrows():
        print("| " + " | ".join(f"{r[c]:.3g}" if c != "scenario" else r[c] for c in cols) + " |")
    print(
        f"\nCeilings: all CD8 T cells of a mouse {MOUSE_ALL_CD8:.0e}; mouse blood leukocytes "
        f"<= {MOUSE_LEUKOCYTES_UL:.0e}/uL; human blood CD8 <= {HUMAN_CD8_UL:g}/uL"
    )
    for name in MOUSE:
        s = scen[(scen["scenario"] == name) & scen["day"].between(20, 41)]
        top = s["T8b"].max()
        at27 = float(s.loc[s["day"] == 27, "T8b_per_uL"].iloc[0])
        print(
            f"- {name}: max T8b days 20-41 {top:.3g} = {top / MOUSE_ALL_CD8:.2g} x all mouse CD8; "
            f"day 27 {at27:.3g}/uL = {at27 / MOUSE_LEUKOCYTES_UL:.2g} x all blood leukocytes"
        )
    for name in HUMAN:
        s = scen[scen["scenario"] == name]
        top = s["T8b_per_uL"].max()
        print(f"- {name}: max T8b {top:.3g}/uL = {top / HUMAN_CD8_UL:.2g} x the CD8 ceiling")
    if liu.empty:
        return
    print(f"\n## liu2019 virtual patients (n {liu['patient'].nunique()}): median [min-max]\n")
    print(
        "| arm | day | T8b | T8b per uL | tumour CD8 per mL | CD8 volume / lesion volume |\n"
        "|---|---|---|---|---|---|"
    )
    for (arm, day), g in liu.groupby(["arm", "day"], sort=False):
        cells = [
            f"{g[c].median():.3g} [{g[c].min():.3g}-{g[c].max():.3g}]"
            for c in ("T8b", "T8b_per_uL", "tumour_cd8_per_mL", "tumour_cd8_vol_share")
        ]
        print(f"| {arm} | {day} | " + " | ".join(cells) + " |")
    on = liu[liu["arm"] == "anti-PD-1"].set_index(["patient", "day"])["T8b"]
    off = liu[liu["arm"] == "untreated"].set_index(["patient", "day"])["T8b"]
    fold = (on / off).groupby(level="day").median()
    print(
        "\nT8b anti-PD-1 / untreated, median by day: "
        + ", ".join(f"d{d} {f:.3g}" for d, f in fold.items())
    )
    print(
        f"max T8b per uL, any patient and day: {liu['T8b_per_uL'].max():.3g} "
        f"(ceiling {HUMAN_CD8_UL:g})"
    )


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--liu-n", type=int, default=12, help="liu2019 virtual patients (0: none)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    rows = [r for n in MOUSE for r in scenario_rows(n, MOUSE_DAYS)]
    rows += [r for n in HUMAN for r in scenario_rows(n, HUMAN_DAYS)]
    scen = pd.DataFrame(rows)
    liu = pd.DataFrame(liu_rows(args.liu_n, args.seed)) if args.liu_n > 0 else pd.DataFrame()
    if args.json:
        out = {"scenarios": scen.to_dict("records"), "liu2019": liu.to_dict("records")}
        print(json.dumps(out, indent=1, default=float))
        return
    report(scen, liu)


if __name__ == "__main__":
    main()
