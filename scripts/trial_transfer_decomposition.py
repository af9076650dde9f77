"""Which part of the melanoma -> trial-tissue immune transfer makes the checkpoint arm overshoot?

Measurement only (issue 13): a library trial (default KEYNOTE-189) and the cross-tissue
held-back cohort Miao 2018 are re-run with each transferred tissue element set back to its
melanoma value in turn, then all together (``trial/tissue.py``: antigenicity, baseline CD8
factor median and sigma, CD8-PD-L1 copula, HLA class I-negative classes; melanoma = the Liu
population: antigenicity 1, CD8 x1 with sigma 1, no copula, its invisible classes), each with
the transferable immune parameters from the liu2019 point fit and from its posterior (one draw
per patient). A diagnostic arm (default pembrolizumab alone) runs beside the trial's arms.
Prints per arm ORR, CR share and the share of patients whose live cancer cells
(visible + HLA-loss) fall below one cell. Both are also run on the melanoma growth context
(the scenario's tissue sets only k_grow). First, the liu2019 fit itself: Liu and the melanoma
held-back cohorts simulated vs observed, with the eradication share and the share recorded PD
yet eradicated and the OS at 12/24 months per best-response class beside the observed (Greenwood
SE), and the Liu patients on the lung and ccRCC growth contexts. Nothing is fitted
or tuned; the trial's published outcome is printed beside, never used (docs/trials.md,
"Session 13 (transfer helper)").

    python scripts/trial_transfer_decomposition.py [--trial keynote189] [--n 200] [--miao-draws 0]
    python scripts/trial_transfer_decomposition.py --skip-trial --skip-miao --liu-only  # the fit
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd

import senotwin.trial.ici_transfer as ici_transfer
import senotwin.trial.run as trial_run
from senotwin.analysis.endpoints import TrialEndpointReducer
from senotwin.cohort.runner import CohortArm, run_cohort
from senotwin.cohort.store import load_rows, load_timecourses
from senotwin.trial.clinical import trial_hazard
from senotwin.trial.ici_cohort import CohortDesign, VirtualCohort
from senotwin.trial.ici_fit import cohort_statistics, shared, split, stored_fit, survival_at
from senotwin.trial.library import get_trial
from senotwin.trial.tissue import TissueImmunity, get_tissue, melanoma_invisible

#: each transferred element and the fields that set it back to melanoma's (the Liu population)
ELEMENTS: dict[str, dict[str, object]] = {
    "antigenicity": {"antigenicity": 1.0},
    "cd8 factor": {"cd8_relative": 1.0, "cd8_sigma": 1.0},
    "cd8-pdl1 copula": {"cd8_pdl1_spearman": 0.0},
    "hla classes": {"invisible_classes": None},  # None: melanoma_invisible()
}


def melanoma_like(tissue: TissueImmunity, names: tuple[str, ...]) -> TissueImmunity:
    """``tissue`` with the named elements set back to melanoma's."""
    fields: dict[str, object] = {}
    for name in names:  # GROWTH is not a tissue field (see setting)
        for k, v in ELEMENTS[name].items():
            fields[k] = melanoma_invisible() if v is None else v
    return replace(tissue, **fields)  # type: ignore[arg-type]


@contextmanager
def tissue_as(tissue: TissueImmunity) -> Iterator[None]:
    """Every tissue look-up of the trial runner and the held-back transfer returns ``tissue``."""
    with (
        mock.patch.object(trial_run, "get_tissue", lambda _name: tissue),
        mock.patch.object(ici_transfer, "get_tissue", lambda _name: tissue),
    ):
        yield


#: not a tissue element but what else differs from the Liu cohort: the tumour's net growth
#: (the scenario's tissue sets only k_grow; melanoma 33 d doubling, lung 99 d, ccRCC 178 d)
GROWTH = "growth context"
MELANOMA_SCENARIO = "aged_melanoma_untreated"


def variants() -> list[tuple[str, tuple[str, ...]]]:
    """(label, elements set back): as shipped, each alone, all four, then the growth context
    alone and with all four."""
    return [
        ("as shipped", ()),
        *((f"{k} = melanoma", (k,)) for k in ELEMENTS),
        ("all four = melanoma", tuple(ELEMENTS)),
        (f"{GROWTH} = melanoma", (GROWTH,)),
        ("all four + growth = melanoma", (*ELEMENTS, GROWTH)),
    ]


@contextmanager
def setting(tissue: TissueImmunity, names: tuple[str, ...]) -> Iterator[None]:
    """The tissue with ``names`` set back to melanoma's; with :data:`GROWTH` also the held-back
    Miao cohort on the melanoma growth context (the trial's is swapped in :func:`trial_arms`)."""
    miao = ici_transfer.TRANSFER_HELD_BACK["miao"]
    held = {"miao": replace(miao, scenario=MELANOMA_SCENARIO) if GROWTH in names else miao}
    with (
        tissue_as(melanoma_like(tissue, tuple(k for k in names if k != GROWTH))),
        mock.patch.object(ici_transfer, "TRANSFER_HELD_BACK", held),
    ):
        yield


def trial_arms(
    trial_id: str, n: int, seed: int, immune: str, growth: bool, alone: str = ""
) -> pd.DataFrame:
    """Per arm: ORR, CR share, eradication share (live cancer cells below one cell); ``growth``:
    on the melanoma growth context; ``alone``: a diagnostic arm with this regimen added."""
    trial = get_trial(trial_id)
    if growth:
        trial = replace(trial, scenario=MELANOMA_SCENARIO)
    cfg = trial_run.trial_config(trial, n, seed=seed, immune=immune)
    extra = (CohortArm("alone", text=alone, language=alone),) if alone else ()
    cfg = replace(cfg, arms=(*cfg.arms, *extra), keep_timecourses=("C", "Ci"))
    with tempfile.TemporaryDirectory() as tmp:
        reducer = TrialEndpointReducer(trial.rules, trial_hazard(trial))
        run_cohort(cfg, tmp, reducer=reducer, workers=1, processes=False)
        rows = load_rows(tmp)
        tc = load_timecourses(tmp)
    rows = rows[rows["status"] == "success"]
    live = tc.assign(live=tc["C"] + tc["Ci"]).groupby(["arm", "patient"])["live"].min()
    out = []
    for arm, g in rows.groupby("arm"):
        gone = live.loc[str(arm)].reindex(g["patient"]).to_numpy() < 1.0
        out.append(
            {
                "arm": arm,
                "n": len(g),
                "ORR": 100 * g["best_response"].isin(("CR", "PR")).mean(),
                "CR": 100 * (g["best_response"] == "CR").mean(),
                "eradicated": 100 * float(np.mean(gone)),
            }
        )
    return pd.DataFrame(out)


def posterior_values(k: int) -> list[dict[str, float]]:
    """``k`` evenly spaced rows of the shipped liu2019 posterior as fit-value mappings."""
    from senotwin.calibrate.sample import shipped_ensemble

    ens = shipped_ensemble()
    cols = ens.provenance["columns"]
    fit = {p["parameter"]: p["best"] for p in stored_fit()["parameters"]}
    rows = np.linspace(0, len(ens.table) - 1, k).round().astype(int)
    out = []
    for i in rows:
        row = ens.table.iloc[int(i)]
        values = dict(fit)
        for c in ens.table.columns:
            key = str(cols[c].get("fitted_as", c))
            if key in values:
                values[key] = float(row[c])
        out.append(values)
    return out


def miao(values: list[dict[str, float]] | None, n: int, seed: int) -> dict[str, float]:
    """Miao held-back ORR / CR share (%) under the current tissue, pooled over ``values``."""
    each: list[dict[str, float] | None] = list(values) if values else [None]  # None: the fit
    runs = [ici_transfer.predict_transfer("miao", v, n=n, seed=seed) for v in each]
    n_sim = sum(r["n_sim"] for r in runs)
    return {
        "n": n_sim,
        "ORR": 100 * sum(r["orr_sim"] * r["n_sim"] for r in runs) / n_sim,
        "CR": 100 * sum(r["recist_sim"]["CR"] for r in runs) / n_sim,
        "ORR_obs": 100 * runs[0]["orr_obs"],
        "CR_obs": 100 * runs[0]["cr_share_obs"],
    }


class EradicationCohort(VirtualCohort):
    """The liu2019 virtual cohort that also records whether live cancer cells (visible +
    HLA-loss) fall below one cell under treatment (the trial runs' eradication share)."""

    def _endpoints(self, run: Any, out: Any, base: Mapping[str, object]) -> dict[str, object]:
        col = run.columns
        live = out.values[:, col.index("C")] + out.values[:, col.index("Ci")]
        return super()._endpoints(run, out, base) | {"eradicated": bool(live.min() < 1.0)}


def os_by_class(sim: Mapping[str, Any], obs: Mapping[str, Any]) -> list[str]:
    """Lines: OS at 12/24 months per best-response class, simulated (n) beside observed
    (Greenwood SE), flagging a simulated value outside the observed +- 1.96 SE."""
    lines = []
    for r in ("PD", "SD", "PR", "CR"):
        s, o = sim["os_by_response"].get(r), obs.get("os_by_response", {}).get(r)
        cells = []
        for m in (12.0, 24.0):
            sv = survival_at(s, m) if s and any(lm["month"] == m for lm in s["landmarks"]) else None
            ol = next((lm for lm in (o or {}).get("landmarks", []) if lm["month"] == m), None)
            txt = "sim  -  " if sv is None else f"sim {sv:.2f}"
            if ol is not None:
                txt += f" obs {ol['survival']:.2f} +- {ol['se']:.2f}"
                if sv is not None and abs(sv - ol["survival"]) > 1.96 * ol["se"]:
                    txt += " OUTSIDE"
            cells.append(f"{m:g} mo {txt}")
        n_s, n_o = (s or {}).get("n", 0), (o or {}).get("n", 0)
        lines.append(f"    OS {r} (n sim {n_s}, obs {n_o}): " + "; ".join(cells))
    return lines


def melanoma(n: int, predict_n: int, liu_only: bool = False) -> None:
    """(c) the fit itself: Liu (fitted) and the melanoma held-back cohorts, simulated vs
    observed with the point fit as ``senotwin calibrate --problem liu2019`` scores them (n 60
    seed 0, held back n 90 seed 1), with the eradication share; then the Liu cohort on the lung
    and ccRCC growth contexts (only k_grow differs): how much of the kill fitted on a 33-day
    doubling carries to a slower tumour. "Recorded PD yet eradicated": best response PD (the
    lesion outgrew the first scan) while the kill later clears every cancer cell, the model's
    counterpart of a pseudoprogression."""
    from senotwin.trial.ici_data import cohort
    from senotwin.trial.ici_fit import FIT_COHORT, FIT_REGIMEN, HELD_BACK, RULES

    values = {p["parameter"]: p["best"] for p in stored_fit()["parameters"]}
    centres, spreads = split(values)
    runs = [
        (f"{FIT_COHORT} (fitted) on {sc}", FIT_COHORT, sc, FIT_REGIMEN, n, 0)
        for sc in (MELANOMA_SCENARIO, "aged_lung_untreated", "aged_ccrcc_untreated")
    ] + [
        (f"{k} held back", k, MELANOMA_SCENARIO, reg, predict_n, 1)
        for k, (reg, _) in HELD_BACK.items()
    ]
    runs = runs[:1] if liu_only else runs
    for label, name, scenario, regimen, size, seed in runs:
        design = CohortDesign(scenario=scenario, regimen=regimen, n=size, seed=seed, rules=RULES)
        rows = EradicationCohort(design).simulate(centres, spreads, shared(values))
        sim = cohort_statistics(rows)
        ok = rows[
            rows["plausible"]
            & rows["best_response"].isin(("CR", "PR", "SD", "PD", "NE"))
            & rows["pfs_days"].notna()
        ]
        gone = ok["eradicated"].astype(bool)
        obs = cohort(name)
        obs_cr = obs["recist"]["CR"] / max(sum(obs["recist"].values()), 1)
        print(
            f"  {label:<42} n {sim['n']:>3}  ORR {100 * sim['orr']:5.1f} (obs "
            f"{100 * obs['orr']:.1f})  CR {100 * sim['recist']['CR'] / sim['n']:5.1f} (obs "
            f"{100 * obs_cr:.1f})  eradicated {100 * gone.mean():5.1f}  recorded PD yet "
            f"eradicated {100 * (gone & (ok['best_response'] == 'PD')).mean():5.1f}"
        )
        if scenario == MELANOMA_SCENARIO:
            print("\n".join(os_by_class(sim, obs)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trial", default="keynote189")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--miao-n", type=int, default=150)
    ap.add_argument("--miao-seed", type=int, default=1)
    ap.add_argument(
        "--miao-draws", type=int, default=0, help="posterior rows pooled for Miao (0: fit only)"
    )
    ap.add_argument(
        "--alone",
        default="pembrolizumab 200 mg iv q21d d0-d714",
        help="regimen of a diagnostic arm run beside the trial's ('' for none)",
    )
    ap.add_argument("--immune", nargs="+", default=["posterior", "fit"])
    ap.add_argument("--skip-trial", action="store_true")
    ap.add_argument("--skip-miao", action="store_true")
    ap.add_argument("--skip-melanoma", action="store_true")
    ap.add_argument("--liu-only", action="store_true", help="melanoma: the fitted Liu cohort only")
    args = ap.parse_args()
    pd.set_option("display.width", 200)
    if not args.skip_melanoma:
        print("melanoma (the liu2019 point fit)")
        melanoma(60, 90, args.liu_only)
    if not args.skip_trial:
        trial = get_trial(args.trial)
        shipped = get_tissue(trial.tissue)
        print(f"{trial.id} (tissue {shipped.id}), n {args.n}, seed {args.seed}")
        print("published ORR:", {a.name: a.published.orr for a in trial.arms if a.published})
        for immune in args.immune:
            for label, names in variants():
                t0 = time.time()
                with setting(shipped, names):
                    df = trial_arms(
                        args.trial, args.n, args.seed, immune, GROWTH in names, args.alone
                    )
                for rec in df.to_dict(orient="records"):
                    print(
                        f"  immune {immune:<9} {label:<26} {rec['arm']:<8} n {rec['n']:>3}  "
                        f"ORR {rec['ORR']:5.1f}  CR {rec['CR']:5.1f}  "
                        f"eradicated {rec['eradicated']:5.1f}  ({time.time() - t0:.0f} s)"
                    )
    if not args.skip_miao:
        shipped = get_tissue(ici_transfer.TRANSFER_HELD_BACK["miao"].tissue)
        print(f"miao (tissue {shipped.id}), n {args.miao_n}, seed {args.miao_seed}")
        sources: list[tuple[str, list[dict[str, float]] | None]] = [("fit", None)]
        if args.miao_draws:
            sources.append((f"posterior x{args.miao_draws}", posterior_values(args.miao_draws)))
        for source, values in sources:
            for label, names in variants():
                t0 = time.time()
                with setting(shipped, names):
                    r = miao(values, args.miao_n, args.miao_seed)
                print(
                    f"  immune {source:<14} {label:<26} n {r['n']:>4}  ORR {r['ORR']:5.1f} "
                    f"(obs {r['ORR_obs']:.1f})  CR {r['CR']:5.1f} (obs {r['CR_obs']:.1f})  "
                    f"({time.time() - t0:.0f} s)"
                )


if __name__ == "__main__":
    main()
