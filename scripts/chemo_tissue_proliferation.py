"""What a proliferation-scaled chemotherapy kill would do to the library trials (a what-if).

The model's cytotoxic kill and senescence induction are ``k_cyto * stress * C`` and
``k_tis * stress * C`` (model/qsp.yaml): per unit exposure they do not depend on how fast the
cancer cells divide, so every tissue gets the kill of the NSCLC carboplatin-paclitaxel course
the constants are derived from (Claret 2014 MONET1). Cell-cycle-specific drugs kill cycling
cells, so one candidate per-tissue sensitivity would be the tissue's gross proliferation rate
relative to NSCLC's, ``k_grow(tissue) / k_grow(lung)`` (model.qsp.TISSUES, derived from cited
untreated doubling times). This script prints that factor per library trial and, with ``--run``,
runs each trial twice on the same selected patients -- as shipped and with the patients'
``k_cyto`` and ``k_tis`` medians times the factor -- and prints simulated vs published ORR and
median PFS of every arm. A sensitivity, never a fit: nothing in senotwin uses the factor.

    python scripts/chemo_tissue_proliferation.py [--run] [--n 200] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import replace

from senotwin.analysis.endpoints import TrialEndpointReducer
from senotwin.cohort.population import CHEMO_KILL_SIGMA, LUNG_GROWTH_SIGMA
from senotwin.cohort.runner import run_cohort
from senotwin.cohort.store import load_rows
from senotwin.model.qsp import TISSUES
from senotwin.model.scenarios import get_scenario
from senotwin.trial.clinical import trial_hazard
from senotwin.trial.library import get_trial
from senotwin.trial.run import compare_trial, trial_config

TRIALS = ("keynote189", "impassion130", "impower133")
KILL = ("k_cyto", "k_tis")
REFERENCE = "lung"  # the tissue of the MONET1 course k_cyto and k_tis come from


def tissue_of(trial_id: str) -> str:
    """The model tissue context a trial's scenario runs on (``aged_<tissue>_untreated``)."""
    return get_trial(trial_id).scenario.split("_")[1]


def kill_terms(scenario: str) -> dict[str, str]:
    """The model's processes that use a kill constant (``KILL``), each as its rate law and
    arguments (or its expression)."""
    spec = get_scenario(scenario).load()
    return {
        p.id: f"{p.rate_law} {dict(p.args)}" if p.rate_law else str(p.expression)
        for p in spec.processes
        if set(p.args.values()) & set(KILL) or any(k in (p.expression or "") for k in KILL)
    }


def factor(tissue: str) -> float:
    """Gross proliferation rate of ``tissue`` relative to the reference (NSCLC) tissue."""
    return TISSUES[tissue].k_grow / TISSUES[REFERENCE].k_grow


def endpoints(trial_id: str, n: int, seed: int, scale: float) -> list[dict[str, object]]:
    """Simulated vs published ORR and median PFS of every arm, the kill medians times ``scale``."""
    trial = get_trial(trial_id)
    cfg = trial_config(trial, n, seed=seed)
    model = get_scenario(trial.scenario).load()
    pop = cfg.population
    priors = tuple(
        replace(p, centre=model.parameter(p.parameter).value * scale) if p.parameter in KILL else p
        for p in pop.priors
    )
    cfg = replace(cfg, population=replace(pop, priors=priors))
    reducer = TrialEndpointReducer(trial.rules, trial_hazard(trial))
    with tempfile.TemporaryDirectory() as tmp:
        run_cohort(cfg, tmp, reducer=reducer, workers=1, processes=False)
        rows = load_rows(tmp)
    table = compare_trial(trial, rows).table
    keep = table[(table["population"] == "ITT") & table["endpoint"].isin(["ORR", "median PFS"])]
    return [
        {
            "arm": r["arm"],
            "endpoint": r["endpoint"],
            "simulated": round(float(r["simulated"]), 2),
            "published": r["published"],
        }
        for r in keep.to_dict(orient="records")
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", action="store_true", help="run the trials (as shipped and scaled)")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    out: dict[str, object] = {
        "kill_terms": (terms := kill_terms(get_trial(TRIALS[0]).scenario)),
        "kill_reads_k_grow": any("k_grow" in v for v in terms.values()),
        "patient_spreads": {
            "sd_ln_kill_MONET1": CHEMO_KILL_SIGMA,
            "sd_ln_growth_lung_vdt": LUNG_GROWTH_SIGMA,
        },
        "trials": {},
    }
    for tid in TRIALS:
        tissue = tissue_of(tid)
        rec: dict[str, object] = {
            "tissue": tissue,
            "k_grow": TISSUES[tissue].k_grow,
            "doubling_days": TISSUES[tissue].doubling_days,
            "factor_vs_lung": round(factor(tissue), 3),
        }
        if args.run:
            rec["as_shipped"] = endpoints(tid, args.n, args.seed, 1.0)
            rec["scaled"] = endpoints(tid, args.n, args.seed, factor(tissue))
        out["trials"][tid] = rec  # type: ignore[index]
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
