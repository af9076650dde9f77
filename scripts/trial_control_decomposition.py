"""Where a library trial's chemotherapy control arm gets its response (a diagnostic, not a fit).

Runs the control arm of ``--trial`` on the same selected virtual patients several times and
prints ORR (confirmed and unconfirmed), DCR and median PFS of each variant:

* the tissue's chemotherapy loss per exposure (``k_cyto`` and ``k_tis`` together, the senescent
  share unchanged) at ``f`` x the NSCLC (MONET1) value for each ``--factor f``; ``shipped`` is
  :func:`senotwin.model.qsp.chemo_sensitivity` of the trial's tissue (the patients' kill priors
  are scaled, so each patient keeps its quantile of the MONET1 spread);
* at the shipped factor, each ``--arm NAME=REGIMEN`` beside the protocol regimen (e.g. the same
  dose per cycle given at once, to isolate the schedule, or ``none``: the immune arm alone;
  ``protocol`` is the trial's own regimen), with ``--arm-param NAME:PARAM=VALUE`` overrides
  (e.g. ``pd_chemo_resistance=0.00193``, its range floor: almost no acquired resistance);
* ``--growth g`` multiplies the patients' proliferation-rate centre (``k_grow``) in every variant
  (the plausibility filter then re-draws, so the patients differ slightly).

Nothing in senotwin reads these numbers and nothing may be chosen by them (the trials are
evaluation only, docs/trials.md).

    python scripts/trial_control_decomposition.py --trial impassion130 --factor shipped 1.0 \
        --arm bolus="nab-paclitaxel 300 mg/m2 iv d0 x32 cycles of 28d" --arm none=none
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import replace

from senotwin.analysis.endpoints import TrialEndpointReducer
from senotwin.analysis.survival import arm_summary
from senotwin.cohort.runner import CohortArm, CohortConfig, run_cohort
from senotwin.cohort.store import load_rows
from senotwin.model.qsp import chemo_sensitivity, load_qsp
from senotwin.trial.clinical import trial_hazard
from senotwin.trial.library import get_trial
from senotwin.trial.run import trial_config
from senotwin.trial.spec import DAYS_PER_MONTH

KILL = ("k_cyto", "k_tis")  # the chemotherapy loss per exposure (model/qsp.yaml, MONET1)


def variant_config(
    trial_id: str,
    n: int,
    seed: int,
    factor: float | None,
    arms: dict[str, tuple[str, dict[str, float]]],
    growth: float = 1.0,
    immune: str = "fit",
) -> CohortConfig:
    """The trial's cohort with its control arm and ``arms`` only, the kill priors at ``factor``
    x the NSCLC value (None: as shipped) and the proliferation centre x ``growth``; immune
    values from ``immune`` (default the point fit, whose tissue ``k_grow`` centre ``growth``
    scales: under the posterior each draw derives its own)."""
    trial = get_trial(trial_id)
    cfg = trial_config(trial, n, seed=seed, immune=immune)
    control = next(a for a in cfg.arms if a.name == trial.control.name)
    extra = []
    for name, (reg, params) in arms.items():
        reg = trial.control.regimen if reg == "protocol" else reg
        lang = "" if reg == "none" else reg
        extra.append(CohortArm(name, text=reg, language=lang, params=tuple(params.items())))
    base = load_qsp()
    scale = {k: base.parameter(k).value * factor for k in KILL} if factor is not None else {}
    pop = cfg.population
    priors = []
    for p in pop.priors:
        if p.parameter in scale:
            p = replace(p, centre=scale[p.parameter])
        elif p.parameter == "k_grow" and growth != 1.0:
            if p.centre is None:
                raise SystemExit(
                    "the trial population's k_grow prior has no centre to scale "
                    "(--growth needs --immune fit)"
                )
            p = replace(p, centre=p.centre * growth)
        priors.append(p)
    if scale and sum(p.parameter in KILL for p in priors) != len(KILL):
        raise SystemExit(f"the trial population lacks a prior of {KILL}")
    return replace(cfg, arms=(control, *extra), population=replace(pop, priors=tuple(priors)))


def run_variant(
    trial_id: str,
    n: int,
    seed: int,
    factor: float | None,
    arms: dict[str, tuple[str, dict[str, float]]],
    growth: float = 1.0,
    workers: int = 2,
    immune: str = "fit",
) -> list[dict[str, object]]:
    """ORR (confirmed, unconfirmed), DCR and median PFS per arm of :func:`variant_config`."""
    trial = get_trial(trial_id)
    cfg = variant_config(trial_id, n, seed, factor, arms, growth, immune)
    control = cfg.arms[0]
    reducer = TrialEndpointReducer(trial.rules, trial_hazard(trial))
    with tempfile.TemporaryDirectory() as tmp:
        run_cohort(cfg, tmp, reducer=reducer, workers=workers)
        rows = load_rows(tmp)
    out = []
    for r in arm_summary(rows, reference=control.name).to_dict(orient="records"):
        out.append(
            {
                "arm": r["arm"],
                "n_analysed": r["n_analysed"],
                "ORR": round(100 * float(r["ORR"]), 1),
                "ORR_unconfirmed": round(100 * float(r["ORR_unconfirmed"]), 1),
                "DCR": round(100 * float(r["DCR"]), 1),
                "median_PFS_months": round(float(r["median_pfs"]) / DAYS_PER_MONTH, 1),
            }
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trial", default="impassion130")
    ap.add_argument("--factor", nargs="+", default=["shipped", "1.0"])
    ap.add_argument("--arm", action="append", default=[], help="NAME=REGIMEN (shipped factor)")
    ap.add_argument("--arm-param", action="append", default=[], help="NAME:PARAM=VALUE")
    ap.add_argument("--growth", type=float, default=1.0, help="x the k_grow prior centre")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--immune",
        choices=("fit", "posterior", "auto"),
        default="fit",
        help="immune values: the liu2019 point fit (default; session 25) or the posterior",
    )
    args = ap.parse_args()
    arms: dict[str, tuple[str, dict[str, float]]] = {}
    for a in args.arm:
        name, eq, reg = a.partition("=")
        if not eq or not reg:
            raise SystemExit(f"--arm {a!r}: expected NAME=REGIMEN")
        arms[name] = (reg, {})
    for a in args.arm_param:
        name, _, rest = a.partition(":")
        key, eq, value = rest.partition("=")
        if name not in arms or not eq:
            raise SystemExit(
                f"--arm-param {a!r}: expected NAME:PARAM=VALUE, NAME one of {list(arms)}"
            )
        arms[name][1][key] = float(value)
    tissue = get_trial(args.trial).scenario.split("_")[1]  # aged_<tissue>_untreated
    result: dict[str, object] = {
        "trial": args.trial,
        "tissue": tissue,
        "shipped_factor": round(chemo_sensitivity(tissue), 3),
        "n": args.n,
        "seed": args.seed,
        "growth": args.growth,
        "immune": args.immune,
        "variants": {},
    }
    for f in args.factor:
        shipped = f == "shipped"
        result["variants"][f"factor {f}"] = run_variant(  # type: ignore[index]
            args.trial,
            args.n,
            args.seed,
            None if shipped else float(f),
            arms if shipped else {},
            args.growth,
            args.workers,
            args.immune,
        )
        print(json.dumps(result, indent=1), flush=True)


if __name__ == "__main__":
    main()
