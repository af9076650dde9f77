"""Why the EMT6 model raises tumour CD8 per volume 2.3-fold under anti-PD-L1 (1.4 measured).

Diagnosis only: nothing is fitted or changed. The mouse EMT6 arms (``mouse_emt6_isotype`` with
each arm's antibody doses, ``qsp.mouse_dose_amounts``; the shipped ``MOUSE_EMT6_FIT``) are run
to the read-out of the Fig. 4c CD8 cases (day 7 of treatment, model day 27) on the mouse model
with cumulative-flux trackers (no effect on the dynamics) and counterfactual switches:

* the anti-PD-L1 routes (cf. ``scripts/trial_counterfactuals.py``): each route can be made to see
  the drug-free PD-1 engagement (a copy of the chain with ``occ_pdl1`` = 0): ``priming`` (PD-L1
  on TDLN dendritic cells, ``ln_checkpoints``), ``kill-brake`` (``pd1_function``) and
  ``reinvigoration`` (both reinvigoration processes; DC PD-L1 in the niche since session 31).
  IFN-gamma (``IFNg_rec``) is left out: in the mouse it acts only on HLA-negative cells
  (``bystander_kill``), of which there are none. The anti-PD-L1 arm runs with every subset of
  routes; the log of each ratio (CD8 per volume, CD8 count, 1 / volume) is split into Shapley
  shares per route;
* the anti-TGF-beta routes: exclusion (``tgfb_excl``, on trafficking) and killing suppression
  (``tgfb_supp``), in the anti-TGF-beta and the combination arm;
* ``--scan NAME VALUES``: every arm ratio at other values of one quantity (e.g.
  ``w_tgfb_excl``), every other value as shipped (no refit: how the structure responds);
* the measured Fig. 4c interaction (combination / anti-PD-L1) / (anti-TGF-beta / isotype) with
  its bootstrap interval, beside the model's.

Printed: per arm the tumour CD8 pool, its volume and the pool's flux budget from the first dose
(influx, deaths, burst), the factors of the influx (volume, IFN-I boost, exclusion, blood CD8),
blood CD8 priming; the anti-PD-L1 / isotype ratio split into denominator and count, and the
count into influx and deaths; the route shares.

    python scripts/emt6_cd8_decomposition.py [--day 7] [--scan w_tgfb_excl 0.166 0.82 5] [--json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from senotwin.analysis.shapley import shapley_shares as shapley
from senotwin.calibrate.mouse_data import endpoints
from senotwin.model.expr import Num, Op, Sym, substitute, to_text
from senotwin.model.qsp import (
    MOUSE_TREATMENT_START,
    load_mouse_qsp,
    mouse_dose_amounts,
    mouse_scenario,
)
from senotwin.model.spec import ModelSpec
from senotwin.sim.options import SolverOptions
from senotwin.sim.scenario import run_scenario

ARMS = ("isotype", "anti_pdl1", "anti_tgfb", "combination")
POOL = ("T8", "T8x", "T8r", "T8t")
#: drug-free copies of the chains the dosed antibodies act through (occupancies set to 0)
FREE = ("PDL1_d", "PDPL", "H_PD1", "PDPL_LN", "PDPL_niche", "H_PD1_niche", "TGFb_t")
#: switch -> (quantity replaced by its drug-free copy, the items where it is); 0 = as shipped
PDL1_ROUTES: dict[str, tuple[str, tuple[str, ...]]] = {
    "cf_prime": ("PDPL_LN", ("ln_checkpoints",)),
    "cf_kill": ("H_PD1", ("pd1_function",)),
    "cf_reinv": ("H_PD1_niche", ("reinvigoration", "reinvigoration_burst")),
}
TGFB_ROUTES: dict[str, tuple[str, tuple[str, ...]]] = {
    "cf_excl": ("TGFb_t", ("tgfb_excl",)),
    "cf_supp": ("TGFb_t", ("tgfb_supp",)),
}
LABEL = {
    "cf_prime": "priming",
    "cf_kill": "kill-brake",
    "cf_reinv": "reinvigoration",
    "cf_excl": "exclusion",
    "cf_supp": "kill suppression",
}
#: tracker species -> the processes whose flux it integrates (cells)
TRACKERS: dict[str, tuple[str, ...]] = {
    "cum_influx": ("trafficking",),
    "cum_death": ("t8_death", "t8x_death", "t8r_death", "t8t_death"),
    "cum_burst": ("reinvigoration_burst",),
    "cum_prime": ("priming",),
}


@cache
def switched_spec() -> ModelSpec:
    """The mouse EMT6 model with the drug-free copies, the ``cf_*`` switches and the trackers."""
    base = load_mouse_qsp()
    data = base.model_dump()
    zero = {"occ_pdl1": Num(0.0), "occ_tgfb": Num(0.0)} | {q: Sym(f"{q}_nd") for q in FREE}
    by_id = {o.id: o for o in base.observables}
    data["observables"] = [
        *data["observables"],
        *(
            {
                "id": f"{q}_nd",
                "unit": by_id[q].unit,
                "name": f"{q}, no dosed antibody",
                "expression": to_text(substitute(base.rate_tree(by_id[q]), zero)),
            }
            for q in FREE
        ),
    ]
    routes = PDL1_ROUTES | TGFB_ROUTES
    data["parameters"] = [
        *data["parameters"],
        *(
            {
                "id": s,
                "value": 0.0,
                "unit": "1",
                "range": [0.0, 1.0],
                "provenance": {"kind": "derived", "formula": "counterfactual switch (script)"},
            }
            for s in routes
        ),
    ]
    where: dict[str, list[tuple[str, str]]] = {}
    for switch, (q, items) in routes.items():
        for item in items:
            where.setdefault(item, []).append((switch, q))
    by_item = {o.id: o for o in base.observables} | {p.id: p for p in base.processes}
    for key in ("observables", "processes"):
        for rec in data[key]:
            if rec["id"] not in where:
                continue
            mapping: dict[str, Any] = {
                q: Op("+", (Sym(q), Op("*", (Sym(s), Op("-", (Sym(f"{q}_nd"), Sym(q)))))))
                for s, q in where.pop(rec["id"])
            }
            tree = substitute(base.rate_tree(by_item[rec["id"]]), mapping)
            rec.update(rate_law=None, args={}, expression=to_text(tree))
    if where:
        raise SystemExit(f"model lacks the route items {sorted(where)}")
    compartment = {p.id: next(iter(p.stoichiometry)) for p in base.processes}
    species = {s.id: s.compartment for s in base.species}
    data["species"] = list(data["species"])
    for tracker, processes in TRACKERS.items():
        data["species"].append(
            {
                "id": tracker,
                "unit": "cells",
                "compartment": species[compartment[processes[0]]],
                "initial": 0.0,
                "name": f"cumulative flux of {', '.join(processes)} (diagnostic tracker)",
            }
        )
        for rec in data["processes"]:
            if rec["id"] in processes:
                rec["stoichiometry"] = {**rec["stoichiometry"], tracker: 1.0}
    return ModelSpec.model_validate(data)


def run_arm(
    arm: str,
    switches: Mapping[str, float] | None = None,
    day: float = 7.0,
    values: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Daily table of one EMT6 arm (model days 0 .. first dose + ``day``) on the switched model."""
    sc = mouse_scenario("isotype")
    sc = replace(sc, name=f"emt6_cd8_decomposition_{arm}", load=switched_spec)
    end = MOUSE_TREATMENT_START + day
    overrides = dict(mouse_dose_amounts(arm)) | dict(switches or {}) | dict(values or {})
    res = run_scenario(
        sc,
        overrides=overrides,
        days=end,
        solver=SolverOptions(engine="fast", t_eval=np.arange(0.0, end + 0.5, 1.0)),
        check_ranges=False,
    )
    if not res.ok:
        raise RuntimeError(f"{arm} {switches} {values}: {res.status}")
    return res.table.set_index("time")


def summary(table: pd.DataFrame, day: float = 7.0) -> dict[str, float]:
    """Read-out and flux budget of one run at first dose + ``day`` (from the first dose on)."""
    t0, t1 = MOUSE_TREATMENT_START, MOUSE_TREATMENT_START + day
    a, b = table.loc[t0], table.loc[t1]
    pool = float(sum(b[s] for s in POOL))
    w = table.loc[t0:t1]
    influx = w["cum_influx"].diff().dropna()
    shipped = load_mouse_qsp().parameters
    w_traf = next(q.value for q in shipped if q.id == "w_traf")
    k_ifnar = next(q.value for q in shipped if q.id == "K_ifnar")
    boost = 1.0 + w_traf * w["IFNI_t"] / (w["IFNI_t"] + k_ifnar)

    def mean(x: pd.Series) -> float:  # influx-weighted mean over the treatment days
        mid = (x.to_numpy()[1:] + x.to_numpy()[:-1]) / 2
        return float(np.sum(mid * influx.to_numpy()) / influx.sum())

    return {
        "pool": pool,
        "pool_start": float(sum(a[s] for s in POOL)),
        "V_T": float(b["V_T"]),
        "density": pool / float(b["V_T"]),
        "influx": float(b["cum_influx"] - a["cum_influx"]),
        "death": float(b["cum_death"] - a["cum_death"]),
        "burst": float(b["cum_burst"] - a["cum_burst"]),
        "prime": float(b["cum_prime"] - a["cum_prime"]),
        "T8b": float(b["T8b"]),
        "exhausted_share": float((b["T8x"] + b["T8t"]) / pool),
        "f_V_T": mean(w["V_T"]),
        "f_ifn": mean(boost),
        "f_excl": mean(w["tgfb_excl"]),
        "f_T8b": mean(w["T8b"]),
        "ln_checkpoints": mean(w["ln_checkpoints"]),
    }


def route_shares(
    arm: str, reference: dict[str, float], routes: Sequence[str], day: float = 7.0
) -> dict[str, dict[str, float]]:
    """Shapley shares of the drug routes in ln(arm / reference) of density, count and 1/volume:
    each subset of ``routes`` is the set that sees the drug (the others see it absent)."""
    logs: dict[str, dict[tuple[str, ...], float]] = {"density": {}, "pool": {}, "inv_volume": {}}
    for r in range(len(routes) + 1):
        for on in itertools.combinations(routes, r):
            off = {s: (0.0 if s in on else 1.0) for s in routes}
            s = summary(run_arm(arm, off, day), day)
            logs["density"][on] = math.log(s["density"] / reference["density"])
            logs["pool"][on] = math.log(s["pool"] / reference["pool"])
            logs["inv_volume"][on] = math.log(reference["V_T"] / s["V_T"])
    return {
        name: {"all": v[tuple(routes)], "none": v[()]} | shapley(v, list(routes))
        for name, v in logs.items()
    }


def interaction(n_boot: int = 20_000, seed: int = 0) -> dict[str, Any]:
    """Measured Fig. 4c interaction (combination / anti-PD-L1) / (anti-TGF-beta / isotype) of
    arm means per study (studies with all four arms; geometric mean over them) and its
    bootstrap 95 % interval (mice resampled within study and arm)."""
    table = endpoints()
    table = table[table["quantity"] == "cd8_t_cells"]
    studies = sorted(s for s, g in table.groupby("study") if set(ARMS) <= set(g["arm"]))
    groups = {
        (s, a): table.loc[(table["study"] == s) & (table["arm"] == a), "value"].to_numpy(float)
        for s in studies
        for a in ARMS
    }
    rng = np.random.default_rng(seed)
    point, boot = [], np.zeros(n_boot)
    for s in studies:
        means = {a: groups[(s, a)].mean() for a in ARMS}
        draws = {
            a: groups[(s, a)][rng.integers(0, len(groups[(s, a)]), (n_boot, len(groups[(s, a)])))]
            for a in ARMS
        }
        m = {a: d.mean(axis=1) for a, d in draws.items()}
        point.append(
            math.log(means["combination"] * means["isotype"])
            - math.log(means["anti_pdl1"] * means["anti_tgfb"])
        )
        boot += np.log(m["combination"] * m["isotype"] / (m["anti_pdl1"] * m["anti_tgfb"]))
    boot /= len(studies)
    lo, hi = np.exp(np.percentile(boot, [2.5, 97.5]))
    return {
        "studies": studies,
        "per_study": [math.exp(x) for x in point],
        "interaction": math.exp(float(np.mean(point))),
        "low": float(lo),
        "high": float(hi),
    }


def scan(name: str, *values: float, day: float = 7.0) -> dict[str, Any]:
    """Arm ratios of CD8 per volume and of volume with ``name`` at each of ``values`` (every
    other value as shipped, no refit): how the structure responds to one quantity."""
    rows = []
    for v in values:
        s = {arm: summary(run_arm(arm, day=day, values={name: v}), day) for arm in ARMS}
        iso, pdl1 = s["isotype"], s["anti_pdl1"]
        rows.append(
            {
                "value": v,
                "excl_isotype": iso["f_excl"],
                "ln_checkpoints": pdl1["ln_checkpoints"],
                **{arm: s[arm]["density"] / iso["density"] for arm in ARMS[1:]},
                "combination_vs_anti_pdl1": s["combination"]["density"] / pdl1["density"],
                **{f"volume_{arm}": s[arm]["V_T"] / iso["V_T"] for arm in ARMS[1:]},
            }
        )
    return {"name": name, "rows": rows}


def decompose(day: float = 7.0, scan_values: Sequence[Any] = ()) -> dict[str, Any]:
    """Every number the script prints, as one dict."""
    arms = {arm: summary(run_arm(arm, day=day), day) for arm in ARMS}
    iso, pdl1 = arms["isotype"], arms["anti_pdl1"]
    d_pool = pdl1["pool"] - iso["pool"]
    budget = {
        "density_ratio": pdl1["density"] / iso["density"],
        "count_ratio": pdl1["pool"] / iso["pool"],
        "volume_ratio": pdl1["V_T"] / iso["V_T"],
        "share_count": math.log(pdl1["pool"] / iso["pool"])
        / math.log(pdl1["density"] / iso["density"]),
        "d_pool": d_pool,
        "d_influx_share": (pdl1["influx"] - iso["influx"]) / d_pool,
        "d_death_share": -(pdl1["death"] - iso["death"]) / d_pool,
        "d_burst_share": (pdl1["burst"] - iso["burst"]) / d_pool,
        "influx_ratio": pdl1["influx"] / iso["influx"],
        **{f"{f}_ratio": pdl1[f] / iso[f] for f in ("f_V_T", "f_ifn", "f_excl", "f_T8b")},
        "prime_ratio": pdl1["prime"] / iso["prime"],
        "ln_checkpoints": pdl1["ln_checkpoints"],
    }
    out: dict[str, Any] = {"day": day, "arms": arms, "anti_pdl1_budget": budget}
    out["anti_pdl1_routes"] = route_shares("anti_pdl1", iso, list(PDL1_ROUTES), day)
    out["anti_tgfb_routes"] = route_shares("anti_tgfb", iso, list(TGFB_ROUTES), day)
    out["combination_routes"] = route_shares("combination", pdl1, list(TGFB_ROUTES), day)
    out["scan"] = scan(*scan_values) if scan_values else {}
    out["measured_interaction"] = interaction()
    return out


def report(res: dict[str, Any]) -> None:
    """Print the tables of :func:`decompose`."""
    day = res["day"]
    print(f"EMT6 arms at day {day:g} of treatment (model day {MOUSE_TREATMENT_START + day:g}):")
    print(
        "| arm | CD8 pool | V_T (mL) | CD8/mL | influx | deaths | burst | primed (blood) | "
        "exhausted share | exclusion left |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for arm, s in res["arms"].items():
        print(
            f"| {arm} | {s['pool']:.3g} | {s['V_T']:.3f} | {s['density']:.3g} | "
            f"{s['influx']:.3g} | {s['death']:.3g} | {s['burst']:.3g} | {s['prime']:.3g} | "
            f"{s['exhausted_share']:.2f} | {s['f_excl']:.3f} |"
        )
    b = res["anti_pdl1_budget"]
    print(
        f"\nanti-PD-L1 / isotype: CD8 per volume {b['density_ratio']:.2f} = count "
        f"{b['count_ratio']:.2f} x 1/volume {1 / b['volume_ratio']:.2f} (log share of the count "
        f"{b['share_count']:.0%}, of the denominator {1 - b['share_count']:.0%})"
    )
    print(
        f"  extra CD8 in the tumour from the first dose ({b['d_pool']:.3g} cells): influx "
        f"{b['d_influx_share']:.0%}, fewer deaths {b['d_death_share']:.0%}, burst "
        f"{b['d_burst_share']:.0%}"
    )
    print(
        f"  influx ratio {b['influx_ratio']:.2f}; its factors (influx-weighted means): volume "
        f"{b['f_V_T_ratio']:.2f}, IFN-I boost {b['f_ifn_ratio']:.2f}, exclusion "
        f"{b['f_excl_ratio']:.2f}, blood CD8 {b['f_T8b_ratio']:.2f}; priming ratio "
        f"{b['prime_ratio']:.2f} (ln_checkpoints under the drug {b['ln_checkpoints']:.2f})"
    )
    for key, title in (
        ("anti_pdl1_routes", "anti-PD-L1 / isotype"),
        ("anti_tgfb_routes", "anti-TGF-beta / isotype"),
        ("combination_routes", "combination / anti-PD-L1"),
    ):
        print(f"\n{title}: ratio (no route -> all routes) and Shapley shares of its log")
        for name, v in res[key].items():
            shares = ", ".join(f"{LABEL[k]} {math.exp(x):.2f}x" for k, x in v.items() if k in LABEL)
            print(f"  {name}: {math.exp(v['none']):.2f} -> {math.exp(v['all']):.2f} ({shares})")
    m = res["measured_interaction"]
    model = res["combination_routes"]["density"]["all"] - res["anti_tgfb_routes"]["density"]["all"]
    print(
        f"\nmeasured Fig. 4c interaction (combination / anti-PD-L1) / (anti-TGF-b / isotype): "
        f"{m['interaction']:.2f} (95 % {m['low']:.2f}-{m['high']:.2f}; per study "
        + ", ".join(f"{s} {x:.2f}" for s, x in zip(m["studies"], m["per_study"], strict=True))
        + f"); model at the shipped values {math.exp(model):.2f}"
    )
    if res["scan"]:
        print(f"\n{res['scan']['name']} scan (no refit; CD8 per volume and volume over isotype):")
        print(
            "| value | exclusion left (isotype) | ln_checkpoints (anti-PD-L1) | anti-PD-L1 | "
            "anti-TGF-b | combination | combination / anti-PD-L1 | V anti-PD-L1 | V anti-TGF-b | "
            "V combination |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for r in res["scan"]["rows"]:
            print(
                f"| {r['value']:g} | {r['excl_isotype']:.3f} | {r['ln_checkpoints']:.2f} | "
                f"{r['anti_pdl1']:.2f} | {r['anti_tgfb']:.2f} | {r['combination']:.2f} | "
                f"{r['combination_vs_anti_pdl1']:.2f} | {r['volume_anti_pdl1']:.2f} | "
                f"{r['volume_anti_tgfb']:.2f} | {r['volume_combination']:.2f} |"
            )


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--day", type=float, default=7.0, help="day of treatment (default 7)")
    ap.add_argument(
        "--scan", nargs="+", metavar=("NAME", "VALUE"), help="a parameter and values to scan"
    )
    ap.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = ap.parse_args(argv)
    values = (args.scan[0], *map(float, args.scan[1:])) if args.scan else ()
    res = decompose(args.day, values)
    if args.json:
        print(json.dumps(res, indent=1))
    else:
        report(res)


if __name__ == "__main__":
    main()
