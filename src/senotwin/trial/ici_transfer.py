"""Held-back checkpoint cohorts in another tissue: an independent test of the tissue transfer.

The liu2019 fit's transferable part (:data:`senotwin.trial.ici_fit.TRANSFERABLE` and the shared
bystander rate) is carried to a non-melanoma cohort exactly as to the library trials' patients
(:func:`senotwin.trial.tissue.transfer`: precursors x antigenicity, baseline CD8 and its
correlation with PD-L1, the invisible-share classes) on the tissue's growth context (its
proliferation centre derived at the transferred values, as for melanoma), and the cohort is
simulated as the melanoma held-back cohorts are (:func:`senotwin.trial.ici_fit.predict`:
the CRN virtual cohort, same RECIST rules, no refit). Nothing here is fitted to the cohort.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from senotwin._errors import ValidationError
from senotwin._suggest import did_you_mean
from senotwin.analysis.survival import NOT_REACHED_SUFFIX
from senotwin.cohort.population import qsp_population
from senotwin.model.scenarios import get_scenario
from senotwin.trial.ici_cohort import CohortDesign, VirtualCohort
from senotwin.trial.ici_data import cohort
from senotwin.trial.ici_fit import (
    RULES,
    TRANSFERABLE,
    cohort_statistics,
    compare_cohort,
    growth_record,
    shared,
    split,
    stored_values,
)
from senotwin.trial.tissue import ANTIGEN_TRAIT, TREG_TRAIT, get_tissue, transfer


@dataclass(frozen=True)
class TransferCohort:
    """A held-back cohort in another tissue: regimen simulated, what it is, tissue immunity id
    (``trial/data/tissues/immunity.yaml``), growth context scenario, the observed endpoints
    that cannot be compared (with why), and caveats on the ones that are."""

    regimen: str
    what: str
    tissue: str
    scenario: str
    not_compared: Mapping[str, str]
    caveats: Mapping[str, str] = field(default_factory=dict)


#: cross-tissue held-back cohorts (stated before they were predicted: docs/trials.md)
TRANSFER_HELD_BACK: Mapping[str, TransferCohort] = {
    "miao": TransferCohort(
        regimen="nivolumab 3 mg/kg iv q14d d0-d714",
        what="anti-PD-1/PD-L1, ccRCC (Miao 2018): a cross-tissue prediction of the transfer",
        tissue="ccrcc_clear_cell",
        scenario="aged_ccrcc_untreated",
        not_compared={
            "pfs": "every PD patient has PFS event 0 in the curated table (the flag looks "
            "inverted): the observed PFS is not usable",
            "os": "compared with the Liu 2019 (melanoma) death hazard: indicative only",
        },
    ),
    # session 30 (paad): held back by the lead before any prediction (docs/trials.md). Doses:
    # the chemotherapy backbone as in the nivolumab + nab-paclitaxel + gemcitabine phase 1
    # (Wainberg 2020 Clin Cancer Res 26:4814, abstract); the PRINCE schedule (nivolumab twice,
    # the chemotherapy three times per 28-day cycle) from its trial record NCT03214250; the
    # nivolumab 240 mg flat dose not read in Padron 2022 (quantitative-sources not_found).
    "padron": TransferCohort(
        regimen="gemcitabine 1000 mg/m2 iv d0,d7,d14 x26 cycles of 28d; "
        "nab-paclitaxel 125 mg/m2 iv d0,d7,d14 x26 cycles of 28d; nivolumab 240 mg iv q14d d0-d714",
        what="gemcitabine + nab-paclitaxel + nivolumab, metastatic PDAC first line (Padron 2022 "
        "PRINCE arm A1): a cross-tissue, chemo-combined prediction of the transfer",
        tissue="pancreas_adenocarcinoma",
        scenario="aged_pancreas_untreated",
        not_compared={
            "orr": "no RECIST best response in the curated table (R/NR only, for 13 of 25)",
            "recist": "no RECIST best response in the curated table",
            "cd8_tertiles": "response by CD8 tertile needs the RECIST response",
            "sotigalimab_arm": "arm C2 (+ sotigalimab, a CD40 agonist) is not simulated: the "
            "drug is not in the model",
        },
        caveats={
            "os": "simulated deaths follow the Liu 2019 (melanoma) death hazard after "
            "progression, not a pancreatic one: indicative only",
        },
    ),
}


def transfer_design(
    name: str, values: Mapping[str, float], *, n: int = 150, seed: int = 1
) -> tuple[VirtualCohort, dict[str, float], dict[str, float], dict[str, float], dict[str, Any]]:
    """The virtual cohort of held-back cohort ``name`` and the fit's transferable centres,
    spreads and shared values to simulate it with; also the tissue transfer record."""
    if name not in TRANSFER_HELD_BACK:
        raise ValidationError(
            f"cohort {name!r} is not a cross-tissue held-back cohort; known: "
            f"{', '.join(TRANSFER_HELD_BACK)}" + did_you_mean(name, TRANSFER_HELD_BACK)
        )
    spec = TRANSFER_HELD_BACK[name]
    centres, spreads = split(values)
    keep_centres = {k.split(".")[0] for k in TRANSFERABLE if k.endswith(".centre")}
    keep_spreads = {k.split(".")[0] for k in TRANSFERABLE if k.endswith(".spread")}
    model = get_scenario(spec.scenario).load()
    design = CohortDesign(scenario=spec.scenario, regimen=spec.regimen, n=n, seed=seed, rules=RULES)
    pop, info = transfer(
        qsp_population(),
        design.baseline,
        get_tissue(spec.tissue),
        melanoma_precursors=centres[ANTIGEN_TRAIT],
        bounds=model.parameter(ANTIGEN_TRAIT).range,
        melanoma_treg=centres.get(TREG_TRAIT),
    )
    assert pop.baseline is not None
    vc = VirtualCohort(replace(design, baseline=pop.baseline), replace(pop, baseline=None))
    return (
        vc,
        {k: v for k, v in centres.items() if k in keep_centres},
        {k: v for k, v in spreads.items() if k in keep_spreads},
        shared(values),
        info,
    )


#: units of :func:`predict_transfer`'s numbers (``trial heldback --json``'s ``units``)
TRANSFER_UNITS = {
    **{
        key: "fraction of patients (0-1)"
        for key in (
            "orr_sim",
            "orr_obs",
            "orr_error",
            "cr_share_sim",
            "cr_share_obs",
            "tertile_orr_sim",
            "tertile_orr_obs",
        )
    },
    "recist_sim": "patients",
    "recist_obs": "patients",
    **{
        f"median_{ep}_{what}": "months"
        for ep in ("pfs", "os")
        for what in ("sim", "obs", "obs_low", "obs_high", "error")
    },
    "landmarks_pfs": "month: months; sim, obs, obs_se, obs_low, obs_high: fraction (0-1)",
    "landmarks_os": "month: months; sim, obs, obs_se, obs_low, obs_high: fraction (0-1)",
}


def split_intervals(out: dict[str, Any]) -> None:
    """``median_<ep>_obs_ci`` ([low, high] of :func:`compare_cohort`) as ``median_<ep>_obs_low``
    and ``_high``: the one interval convention of the CLI's JSON (``trial heldback --json``)."""
    for ep in ("pfs", "os"):
        if (key := f"median_{ep}_obs_ci") in out:
            out[f"median_{ep}_obs_low"], out[f"median_{ep}_obs_high"] = out.pop(key) or (None, None)


def predict_transfer(
    name: str, values: Mapping[str, float] | None = None, *, n: int = 150, seed: int = 1
) -> dict[str, Any]:
    """Simulated vs observed for a cross-tissue held-back cohort with no refit (``values``: a
    liu2019 fit's values, default the shipped one): ORR, RECIST counts, response by CD8
    tertile, medians (None: not reached, flagged ``_not_reached``), plus what is not comparable,
    the tissue transfer and the ``units`` (:data:`TRANSFER_UNITS`)."""
    if values is None:
        values = stored_values()
    vc, centres, spreads, fixed, info = transfer_design(name, values, n=n, seed=seed)
    spec = TRANSFER_HELD_BACK[name]
    sim = cohort_statistics(vc.simulate(centres, spreads, fixed))
    out = compare_cohort(sim, cohort(name), spec.what, spec.regimen)
    out["cr_share_sim"] = sim["recist"]["CR"] / max(sim["n"], 1)
    if "recist_obs" in out:  # survival-only cohorts (padron) have no observed RECIST
        obs = out["recist_obs"]
        out["cr_share_obs"] = obs["CR"] / max(sum(obs.values()), 1)
    out["not_compared"] = dict(spec.not_compared)
    out["caveats"] = dict(spec.caveats)
    out["tissue"] = info
    out["scenario"] = spec.scenario
    out["k_grow_centre"] = growth_record(vc, centres, fixed)
    split_intervals(out)
    for ep in ("pfs", "os"):  # a median here is None only when not reached: say so beside it
        for what in ("sim", "obs"):
            if (key := f"median_{ep}_{what}") in out:
                out[f"{key}{NOT_REACHED_SUFFIX}"] = out[key] is None
    out["units"] = TRANSFER_UNITS
    return out
