"""Counterfactual arms of a library trial: which mechanism makes each arm's ORR (issue 13).

Diagnosis only: nothing is fitted or tuned, the published results are printed beside. Every arm
of the trial (default KEYNOTE-189) is re-run on the same selected virtual patients with one
mechanism switched off at a time (an arm-level parameter override, which takes precedence over
each patient's own draw), plus the arm without its chemotherapy (the checkpoint drug alone, or
untreated):

* ``no CD8 kill``: ``k_kill`` = ``k_byst`` = 0 (no direct or bystander CD8 killing);
* ``no reinvigoration``: ``k_reinv`` = 0 (no progenitor-exhausted CD8 is reinvigorated, with
  or without the drug); ``no burst``: ``n_reinv`` = 0 (reinvigorated cells do not divide);
* ``no bystander kill``: ``k_byst`` = 0 (HLA class I-negative cells escape the IFN-gamma/TNF
  bystander death; direct CD8 killing kept);
* the PD-1 routes of the checkpoint drug: each route can be made to see the drug-free PD-1
  engagement (a copy of PDL1_d / PDPL / H_PD1 / PDPL_LN / PDPL_niche / H_PD1_niche built from
  the uncompiled model, where
  the drug's factor on PDCD1 and CD274 does not act; switch parameters ``cf_*`` added to the
  compiled therapy model by this script only): the killing brake (pd1_function), IFN-gamma
  (IFNg_rec), reinvigoration (both reinvigoration processes, braked in the DC niche since
  session 31) and priming (ln_checkpoints). The
  experimental arm runs with every subset of the four routes ("drug via priming+kill-brake",
  ...; "drug via no PD-1 route" must equal the control arm), and the ORR, eradication share and
  CR gains over the control are split into Shapley shares per route.

Per arm: ORR, CR, DCR, median PFS, PFS HR against the shipped control arm, and the share of
patients whose live cancer cells (visible + HLA-loss) fall below one cell. ``--traits`` adds,
per shipped arm, responders against non-responders: baseline traits (N_ag, invisible share,
PD-L1, CD8 infiltration factor, growth, baseline SLD), ORR by PD-L1 stratum, and per arm and
variant the ORR by invisible-share class (none, 0-0.5 as the NSCLC HLA-LOH class, > 0.5).

    python scripts/trial_counterfactuals.py [--trial keynote189] [--n 200] [--seed 0] [--traits]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
from scipy import stats

import senotwin.cohort.runner as runner
from senotwin.analysis.shapley import shapley_shares
from senotwin.analysis.survival import arm_summary, compare
from senotwin.cohort.runner import CohortArm, run_cohort
from senotwin.cohort.store import load_rows, load_timecourses
from senotwin.model.expr import Op, Sym, substitute, symbols, to_text
from senotwin.model.spec import ModelSpec
from senotwin.trial.clinical import trial_hazard
from senotwin.trial.library import get_trial
from senotwin.trial.run import IMMUNE_SOURCES, resolve_immune, trial_config

sys.path.insert(0, str(Path(__file__).resolve().parent))
from control_arm_pfs import KeepBaseline  # the trial reducer + the baseline record

CHECKPOINT_DRUGS = ("pembrolizumab", "atezolizumab", "nivolumab", "durvalumab")
#: drug-free copies of the PD-1 engagement chain (uncompiled model: no drug factor acts on them)
FREE = {
    "PDL1_d": "PDL1_d_nd",
    "PDPL": "PDPL_nd",
    "H_PD1": "H_PD1_nd",
    "PDPL_LN": "PDPL_LN_nd",
    "PDPL_niche": "PDPL_niche_nd",
    "H_PD1_niche": "H_PD1_niche_nd",
}
#: switch -> (the quantity it replaces by its drug-free copy, the items where it does)
ROUTES = {
    "cf_kill": ("H_PD1", ("pd1_function",)),
    "cf_ifng": ("H_PD1", ("IFNg_rec",)),
    "cf_reinv": ("H_PD1_niche", ("reinvigoration", "reinvigoration_burst")),
    "cf_prime": ("PDPL_LN", ("ln_checkpoints",)),
}
ROUTE_LABEL = {
    "cf_kill": "kill-brake",
    "cf_ifng": "IFN-g",
    "cf_reinv": "reinvigoration",
    "cf_prime": "priming",
}


#: proliferation factor that keeps the nominal untreated aged-lung lesion's net volume doubling
#: (99-100 days from day 30) once CD8 killing is off (measured here: x0.54 106 d, x0.6 96 d)
KGROW_NO_KILL = 0.58


def route_label(on: tuple[str, ...]) -> str:
    """Variant name of the drug acting through the routes ``on`` only."""
    if len(on) == len(ROUTES):
        return "shipped"
    return "drug via " + ("+".join(ROUTE_LABEL[k] for k in on) if on else "no PD-1 route")


#: every subset of the drug's PD-1 routes (the Shapley decomposition needs all 16)
SUBSETS = [on for r in range(len(ROUTES)) for on in itertools.combinations(ROUTES, r)]
VARIANTS: dict[str, dict[str, float]] = {
    "shipped": {},
    "no CD8 kill": {"k_kill": 0.0, "k_byst": 0.0},
    "no CD8 kill, net growth kept": {"k_kill": 0.0, "k_byst": 0.0, "cf_kgrow": KGROW_NO_KILL},
    "no reinvigoration": {"k_reinv": 0.0},
    "no burst": {"n_reinv": 0.0},
    "no bystander kill": {"k_byst": 0.0},
    **{route_label(on): {k: 1.0 for k in ROUTES if k not in on} for on in SUBSETS},
}


def shapley(value: dict[tuple[str, ...], float]) -> dict[str, float]:
    """Shapley share of each route in value(all routes) - value(none); ``value`` maps every
    sorted subset of :data:`ROUTES` to the arm's endpoint."""
    return shapley_shares(value, list(ROUTES))


def with_switches(base: ModelSpec, compiled: ModelSpec) -> ModelSpec:
    """``compiled`` (the shared therapy model) with the drug-free PD-1 chain and the ``cf_*``
    switches (0: the route sees the drug, as shipped; 1: it sees the drug-free engagement), and
    the switched-off rates' plausible ranges opened down to 0."""
    data = compiled.model_dump()
    data["observables"] = list(data["observables"])
    data["parameters"] = list(data["parameters"])
    zeroed = {k for v in VARIANTS.values() for k, x in v.items() if x == 0.0}
    for rec in data["parameters"]:  # a switched-off rate lies below its plausible range
        if rec["id"] in zeroed and rec["range"] is not None:
            rec["range"] = (0.0, rec["range"][1])
    rename = {k: Sym(v) for k, v in FREE.items()}
    for old, new in FREE.items():
        item = next(o for o in base.observables if o.id == old)
        tree = substitute(base.rate_tree(item), rename)
        data["observables"].append(
            {"id": new, "unit": item.unit, "expression": to_text(tree), "name": f"{old}, no drug"}
        )
    for switch in (*ROUTES, "cf_kgrow"):
        data["parameters"].append(
            {
                "id": switch,
                "value": 1.0 if switch == "cf_kgrow" else 0.0,
                "unit": "1",
                "range": [0.0, 1.0],
                "provenance": {"kind": "derived", "formula": "counterfactual switch (script)"},
            }
        )
    where = {item: (switch, q) for switch, (q, items) in ROUTES.items() for item in items}
    by_id = {o.id: o for o in compiled.observables} | {p.id: p for p in compiled.processes}
    for key in ("observables", "processes"):
        for rec in data[key]:
            if rec["id"] not in where:
                continue
            switch, q = where.pop(rec["id"])
            mixed = Op("+", (Sym(q), Op("*", (Sym(switch), Op("-", (Sym(FREE[q]), Sym(q)))))))
            tree = substitute(compiled.rate_tree(by_id[rec["id"]]), {q: mixed})
            rec.update(rate_law=None, args={}, expression=to_text(tree))
    if where:
        raise SystemExit(f"model lacks the PD-1 route items {sorted(where)}")
    spec = ModelSpec.model_validate(data)
    grow = {"k_grow": Op("*", (Sym("k_grow"), Sym("cf_kgrow")))}
    data = spec.model_dump()
    data["processes"] = list(data["processes"])
    for i, pr in enumerate(spec.processes):  # cf_kgrow scales every use of k_grow
        tree = spec.rate_tree(pr)
        if "k_grow" in symbols(tree):
            rec = dict(data["processes"][i])
            rec.update(rate_law=None, args={}, expression=to_text(substitute(tree, grow)))
            data["processes"][i] = rec
    return ModelSpec.model_validate(data)


@contextmanager
def switchable() -> Iterator[None]:
    """Cohort runs compile their arms onto the therapy model with the ``cf_*`` switches."""
    original = runner._compile_language_arms

    def compile_arms(spec: ModelSpec, config: Any) -> Any:
        compiled, cfg = original(spec, config)
        return with_switches(spec, compiled), cfg

    with mock.patch.object(runner, "_compile_language_arms", compile_arms):
        yield


def without_chemo(regimen: str) -> str:
    """The regimen's checkpoint-antibody lines only ('none' when it has none)."""
    keep = [p.strip() for p in regimen.split(";") if p.strip().startswith(CHECKPOINT_DRUGS)]
    return "; ".join(keep) or "none"


def arm_name(arm: str, variant: str) -> str:
    """A cohort arm name for (trial arm, variant)."""
    tag = "".join(c if c.isalnum() else "_" for c in variant).strip("_")
    return f"{arm}.{tag}"


def run(trial_id: str, n: int, seed: int, immune: str, names: list[str]) -> dict[str, Any]:
    """Every trial arm x variant (and each arm without chemotherapy) on the same patients."""
    trial = get_trial(trial_id)
    cfg = trial_config(trial, n, seed=seed, immune=immune)
    arms, labels = [], {}
    for a in trial.arms:
        for v in names:
            if v.startswith("drug via") and without_chemo(a.regimen) == "none":
                continue  # a drug route switch in an arm without the drug changes nothing
            name = arm_name(a.name, v)
            arms.append(
                CohortArm(
                    name, text=a.regimen, language=a.regimen, params=tuple(VARIANTS[v].items())
                )
            )
            labels[name] = (a.name, v)
        alone = without_chemo(a.regimen)
        name = arm_name(a.name, "no chemo")
        arms.append(CohortArm(name, text=alone, language="" if alone == "none" else alone))
        labels[name] = (a.name, f"no chemo ({alone})")
    cfg = replace(cfg, arms=tuple(arms), keep_timecourses=("C", "Ci"))
    with tempfile.TemporaryDirectory() as tmp, switchable():
        reducer = KeepBaseline(trial.rules, trial_hazard(trial))
        run_cohort(cfg, tmp, reducer=reducer, workers=1, processes=False)
        rows = load_rows(tmp)
        tc = load_timecourses(tmp)
    live = tc.assign(live=tc["C"] + tc["Ci"]).groupby(["arm", "patient"])["live"].min()
    rows = rows.merge(live.rename("live_min").reset_index(), on=["arm", "patient"], how="left")
    return {"trial": trial, "rows": rows, "labels": labels}


def summary(res: dict[str, Any]) -> pd.DataFrame:
    """Per arm x variant: ORR, CR, DCR, median PFS, PFS HR vs the shipped control, eradicated."""
    trial, rows, labels = res["trial"], res["rows"], res["labels"]
    ref = arm_name(trial.control.name, "shipped")
    s = arm_summary(rows, reference=ref).set_index("arm")
    ok = rows[rows["status"] == "success"]
    out = []
    for name, (arm, variant) in labels.items():
        g = ok[ok["arm"] == name]
        r = s.loc[name]
        out.append(
            {
                "arm": arm,
                "variant": variant,
                "n": int(r["n_analysed"]),
                "ORR": 100 * r["ORR"],
                "CR": 100 * float((g["best_response"] == "CR").mean()),
                "DCR": 100 * r["DCR"],
                "mPFS": r["median_pfs"] / 30.4375,
                "HR_PFS": r["hr_pfs"],
                "HR_low": r["hr_pfs_low"],
                "HR_high": r["hr_pfs_high"],
                "eradicated": 100 * float((g["live_min"] < 1.0).mean()),
            }
        )
    return pd.DataFrame(out)


INVISIBLE_BINS = (-1.0, 0.0, 0.5, 1.0)  # none, the HLA-LOH range 0-0.5, hard loss
INVISIBLE_LABELS = ("none", "0-0.5", "> 0.5")


def orr_by_invisible(rows: pd.DataFrame) -> pd.DataFrame:
    """ORR % (and n) per arm by invisible-share class, from rows with ``b_invisible``."""
    cls = pd.cut(rows["b_invisible"], INVISIBLE_BINS, labels=INVISIBLE_LABELS)
    resp = rows["best_response"].isin(("CR", "PR"))
    g = resp.groupby([rows["arm"], cls], observed=True)
    return pd.DataFrame({"ORR": 100 * g.mean(), "n": g.size()}).reset_index(names=["arm", "class"])


def traits(res: dict[str, Any]) -> None:
    """Responders vs non-responders per shipped arm, and ORR by PD-L1 stratum."""
    trial, rows = res["trial"], res["rows"]
    ok = rows[rows["status"] == "success"].copy()
    base = ok["baseline_json"].map(json.loads)
    for key in ("invisible", "pdl1", "pdl1_stratum", "cd8_infiltration", "sld_mm", "n_lesions"):
        ok[f"b_{key}"] = base.map(lambda b, k=key: b.get(k, np.nan))
    cols = [
        c
        for c in ("p_N_ag", "p_k_kill", "p_n_reinv", "p_k_grow", "p_k_byst")
        if c in ok.columns and ok[c].nunique() > 1
    ]
    cols += ["b_invisible", "b_pdl1", "b_cd8_infiltration", "b_sld_mm", "b_n_lesions"]
    untreated = ok[ok["arm"] == arm_name(trial.control.name, "no chemo")]
    if without_chemo(trial.control.regimen) == "none" and len(untreated):
        gone = untreated["live_min"] < 1.0
        print(f"\nuntreated: live cancer cells < 1 in {int(gone.sum())} of {len(gone)} patients")
        print("| trait | eradicated untreated (median) | not (median) | Mann-Whitney p |")
        print("|---|---|---|---|")
        for c in [*cols, "untreated_doubling_days"]:
            x, y = untreated.loc[gone, c].astype(float), untreated.loc[~gone, c].astype(float)
            p = stats.mannwhitneyu(x, y).pvalue if len(x) > 1 and len(y) > 1 else np.nan
            print(f"| {c} | {x.median():.3g} | {y.median():.3g} | {p:.2g} |")
    for a in trial.arms:
        g = ok[ok["arm"] == arm_name(a.name, "shipped")]
        resp = g["best_response"].isin(("CR", "PR"))
        print(f"\n{a.name} (shipped): {int(resp.sum())} responders of {len(g)}")
        print("| trait | responders median | non-responders median | Mann-Whitney p |")
        print("|---|---|---|---|")
        for c in cols:
            x, y = g.loc[resp, c].astype(float), g.loc[~resp, c].astype(float)
            p = stats.mannwhitneyu(x, y).pvalue if len(x) > 1 and len(y) > 1 else np.nan
            print(f"| {c} | {x.median():.3g} | {y.median():.3g} | {p:.2g} |")
        vis = g["b_invisible"] > 0.5
        print(
            f"invisible share > 0.5: {int(vis.sum())} patients, ORR "
            f"{100 * resp[vis].mean():.1f} % (others {100 * resp[~vis].mean():.1f} %)"
        )
        by = g.groupby("b_pdl1_stratum")["best_response"].agg(
            lambda r: f"{100 * r.isin(('CR', 'PR')).mean():.1f} % (n {len(r)})"
        )
        print("ORR by PD-L1 stratum (0 <1 %, 1 1-49 %, 2 >=50 %):", by.to_dict())
    ctrl = ok[ok["arm"] == arm_name(trial.control.name, "shipped")]
    exp = ok[ok["arm"] == arm_name(trial.arms[-1].name, "shipped")]
    for ep in ("pfs", "os"):
        hrs = []
        for k in (0, 1, 2):
            a, b = exp[exp["b_pdl1_stratum"] == k], ctrl[ctrl["b_pdl1_stratum"] == k]
            c = compare(
                a[f"{ep}_days"].to_numpy(),
                a[f"{ep}_event"].to_numpy(),
                b[f"{ep}_days"].to_numpy(),
                b[f"{ep}_event"].to_numpy(),
            )
            hrs.append(f"{c.hr:.2f} ({c.hr_lower:.2f}-{c.hr_upper:.2f})")
        print(f"{ep.upper()} HR {trial.arms[-1].name} vs control by PD-L1 stratum:", hrs)
    by = orr_by_invisible(ok)
    sizes = by.groupby("class", observed=True)["n"].max().to_dict()
    print(f"\nORR % by invisible-share class (patients per class {sizes}):")
    print(by.pivot(index="arm", columns="class", values="ORR").round(1).to_string())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trial", default="keynote189")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--immune", default="auto", choices=IMMUNE_SOURCES)
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--traits", action="store_true", help="responder traits, ORR by PD-L1")
    args = ap.parse_args()
    pd.set_option("display.width", 200)
    t0 = time.time()
    res = run(args.trial, args.n, args.seed, args.immune, args.variants)
    trial = res["trial"]
    used, note = resolve_immune(args.immune)
    print(
        f"{trial.id}: n {args.n}, seed {args.seed}, immune {used} (--immune {args.immune}) "
        f"({time.time() - t0:.0f} s)"
    )
    if note:
        print("note:", note)
    for a in trial.arms:
        if a.published:
            p = a.published
            print(
                f"published {a.name}: ORR {p.orr}, median PFS {p.median_pfs_months}, HR {p.hr_pfs}"
            )
    table = summary(res)
    print(table.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    exp = trial.arms[-1].name
    sub = table[table["arm"] == exp].set_index("variant")
    if route_label(()) in sub.index:
        print(f"\nShapley shares of the {exp} arm's gain over no PD-1 route, per drug route:")
        for col in ("ORR", "eradicated", "CR"):
            value = {on: float(sub.loc[route_label(on), col]) for on in SUBSETS}
            value[tuple(ROUTES)] = float(sub.loc["shipped", col])
            shares = shapley(value)
            gain = value[tuple(ROUTES)] - value[()]
            print(
                f"  {col}: {value[()]:.1f} -> {value[tuple(ROUTES)]:.1f} (+{gain:.1f}): "
                + ", ".join(f"{ROUTE_LABEL[k]} {v:+.1f}" for k, v in shares.items())
            )
    if args.traits:
        traits(res)


if __name__ == "__main__":
    main()
