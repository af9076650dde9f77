"""Run a library trial on selected virtual patients and set simulated beside published results.

Every arm sees the same virtual patients (selected to the trial's reported baseline); RECIST 1.1
is applied on the trial's scan calendar; the death hazard is the trial's
(:func:`senotwin.trial.clinical.trial_hazard`: its cited post-progression survival). Both arms
are predictions: nothing is fitted to any trial's outcomes, and a miss is reported as a miss.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from senotwin._errors import ValidationError, check_type
from senotwin._text import column_widths
from senotwin.analysis.endpoints import DeathHazard, TrialEndpointReducer
from senotwin.analysis.survival import arm_summary, kaplan_meier, survival_at, wilson
from senotwin.cohort.population import (
    GROWTH_TRAIT,
    LUNG_GROWTH_SIGMA,
    PopulationSpec,
    population_for,
    select_population,
    typical_growth,
    with_prior_spread,
)
from senotwin.cohort.runner import (
    SPREAD,
    CohortArm,
    CohortConfig,
    CohortRun,
    DifferentCohort,
    check_size_seed,
    check_workers,
    run_cohort,
)
from senotwin.cohort.store import MANIFEST, clear_run, load_rows
from senotwin.model.qsp import TISSUES
from senotwin.model.scenarios import get_scenario
from senotwin.model.spec import ModelSpec
from senotwin.sim.tissue_growth import carried_tissue
from senotwin.therapy.dose_rules import DoseRules
from senotwin.therapy.toxicity import BloodChain
from senotwin.trial.clinical import trial_hazard
from senotwin.trial.ici_fit import (
    LEGACY_READ,
    TRANSFERABLE,
    calibrated_population,
    split,
    stored_fit,
    stored_values,
)
from senotwin.trial.independence import (
    Independence,
    independence,
    independence_png,
    independence_trial,
    write_independence,
)
from senotwin.trial.spec import (
    ADVERSE_EVENTS,
    DAYS_PER_MONTH,
    ORR_DEFINITIONS,
    AdverseEvent,
    Landmark,
    Published,
    TrialSpec,
)
from senotwin.trial.tissue import ANTIGEN_TRAIT, TREG_TRAIT, get_tissue, transfer
from senotwin.trial.toxicity import CHAINS, blood_counts

GROWTH_WHY = (
    "untreated lung-cancer volume-doubling times spread with sigma of ln 0.73-0.78 in three CT "
    "series (quantitative-sources nsclc_vdt_spread: I-ELCAP, Wilson, Hasegawa); applied to "
    "every library trial's patients (the breast screening spread is wider still)"
)


def trial_population(
    trial: TrialSpec, n: int, *, seed: int = 0, scenario: str | None = None
) -> PopulationSpec:
    """The scenario's (default: the trial's) population with the trial's baseline, selected to
    it: on the physical-units model the human population calibrated on Liu 2019
    (:func:`senotwin.trial.ici_fit.calibrated_population`: its transferable T-cell traits),
    carried to the trial's tissue (:func:`select_trial_patients`); else the preset population."""
    spec = get_scenario(trial.scenario if scenario is None else scenario).load()
    base = calibrated_population() if "N_tumour" in spec.observable_ids else population_for(spec)
    return select_trial_patients(trial, base, n, seed=seed, model=spec)


def select_trial_patients(
    trial: TrialSpec, pop: PopulationSpec, n: int, *, seed: int, model: ModelSpec
) -> PopulationSpec:
    """``pop`` with the trial's baseline and the cited between-patient spread of growth
    (:data:`GROWTH_WHY`), carried to the trial's tissue when it names one and
    the population has the precursor trait (:func:`senotwin.trial.tissue.transfer`: precursors
    scaled by antigenicity from the liu2019 fit's melanoma centre, baseline CD8 and its
    correlation with PD-L1), then selected by probability of inclusion; the tissue transfer is
    recorded in the selection (manifest)."""
    pop = replace(pop, baseline=trial.baseline)
    if any(p.parameter == GROWTH_TRAIT for p in pop.priors):
        pop = with_prior_spread(pop, GROWTH_TRAIT, LUNG_GROWTH_SIGMA, GROWTH_WHY)
    info: dict[str, object] | None = None
    if trial.tissue and any(p.parameter == ANTIGEN_TRAIT for p in pop.priors):
        centres, _ = split(stored_values())
        pop, info = transfer(
            pop,
            trial.baseline,
            get_tissue(trial.tissue),
            melanoma_precursors=centres[ANTIGEN_TRAIT],
            bounds=model.parameter(ANTIGEN_TRAIT).range,
            melanoma_treg=centres.get(TREG_TRAIT),
        )
    selected = select_population(pop, n, seed=seed)
    if info is not None:
        selected = replace(selected, selection=dict(selected.selection or {}) | {"tissue": info})
    return selected


#: where trial patients' transferable immune parameters come from: ``posterior`` = one draw of
#: the shipped liu2019 posterior ensemble per patient (parameter uncertainty propagated, issue 13
#: item 6), ``fit`` = the shipped point fit for every patient, ``auto`` (the default) = the
#: posterior when it was drawn on the current model, else the point fit (:func:`resolve_immune`)
IMMUNE_SOURCES = ("auto", "posterior", "fit")


def posterior_fit_mismatch(provenance: Mapping[str, Any]) -> str:
    """'' when a liu2019 posterior's provenance names the shipped fit's optimum as its own (the
    same fitted quantities at the same values, scored with the same RECIST read), else what
    differs: a chain drawn around another optimum is the posterior of another fit, even on an
    unchanged model."""
    record = stored_fit()
    read = dict(provenance.get("read") or LEGACY_READ)
    if read != dict(record.get("read") or LEGACY_READ):
        return (
            f"scored with another RECIST read than the shipped fit's ({read} against "
            f"{record.get('read') or LEGACY_READ})"
        )
    fit = {str(p["parameter"]): float(p["best"]) for p in record["parameters"]}
    drawn = {str(k): float(v) for k, v in dict(provenance.get("optimum") or {}).items()}
    if set(drawn) != set(fit):
        return (
            f"drawn around another fit (its quantities {sorted(drawn)}; the shipped fit's "
            f"{sorted(fit)})"
        )
    off = [k for k in fit if not math.isclose(drawn[k], fit[k], rel_tol=1e-9)]
    if off:
        return f"drawn around another optimum than the shipped fit's ({', '.join(off)} differ)"
    return ""


def posterior_drawn_on_current_model() -> tuple[bool, str, str]:
    """Whether the shipped liu2019 posterior was drawn on the model as it is now and around the
    shipped fit's optimum (:func:`posterior_fit_mismatch`): (current, the model digest it was
    drawn on, the digest now), both of the calibration cohort's scenario and both of what it
    computes (:meth:`ModelSpec.numbers_digest`: an edited name or rationale is no change). A
    stale ensemble is still usable but its draws were not refitted to the current model, so a
    trial run says so."""
    from senotwin.calibrate.sample import shipped_ensemble
    from senotwin.trial.ici_cohort import CohortDesign

    record = shipped_ensemble().provenance
    drawn = str(record.get("model_digest") or "")
    now = get_scenario(CohortDesign().scenario).load().numbers_digest()
    return drawn == now and not posterior_fit_mismatch(record), drawn, now


def posterior_staleness() -> str:
    """'' when the shipped liu2019 posterior is current, else the sentence a run prints."""
    from senotwin.calibrate.sample import shipped_ensemble

    current, drawn, now = posterior_drawn_on_current_model()
    if current:
        return ""
    why = []
    if drawn != now:
        why.append(
            f"drawn on an earlier model (digest {drawn[:12] or 'unrecorded'}, now {now[:12]})"
        )
    if mismatch := posterior_fit_mismatch(shipped_ensemble().provenance):
        why.append(mismatch)
    return (
        f"the shipped liu2019 posterior was {' and '.join(why)}: its draws are not refitted to "
        "this model and fit"
    )


def resolve_immune(immune: str) -> tuple[str, str]:
    """The immune source a trial runs with for ``immune`` and a note saying why: ``auto`` takes
    the shipped posterior only when it was drawn on the current model (a stale ensemble's draws
    are not refitted to it), else the point fit, refitted with the model; an explicit source is
    honoured, a stale posterior with a note."""
    if immune not in IMMUNE_SOURCES:
        raise ValidationError(
            f"immune source {immune!r} (--immune; immune= in Python) is not one of: "
            f"{', '.join(IMMUNE_SOURCES)} (posterior: one liu2019 "
            "posterior draw per patient; fit: the point fit for every patient; auto: the "
            "posterior when drawn on the current model, else the fit)"
        )
    if immune == "fit":
        return "fit", ""
    stale = posterior_staleness()
    if not stale:
        return "posterior", ""
    if immune == "auto":
        return "fit", f"{stale}; using the current point fit (--immune posterior runs it anyway)"
    return "posterior", f"{stale}; run on request (--immune fit uses the current point fit)"


def posterior_members(
    pop: PopulationSpec, tissue: str, bounds: tuple[float, float] | None
) -> tuple[PopulationSpec, tuple[tuple[tuple[str, float], ...], ...], dict[str, object]]:
    """``pop`` (a :func:`trial_population`) with its transferable immune traits taken from the
    shipped liu2019 posterior ensemble, one whole row per member: per-CTL kill, burst and
    ``N_ag`` spread (:data:`~senotwin.trial.ici_fit.TRANSFERABLE`), the shared values of the fit
    (``k_byst``) and, with a tissue, the melanoma precursor centre x the tissue's antigenicity
    (clipped into ``bounds``) and the melanoma Treg centre x its ``treg_relative``, as
    :func:`senotwin.trial.tissue.transfer` does for the point fit.
    The priors of those traits lose their fixed centre (the member's value is the centre).
    Also the members (for :class:`CohortConfig`'s ``ensemble``) and a manifest record."""
    from senotwin.calibrate.sample import shipped_ensemble

    ens = shipped_ensemble()
    described = ens.provenance["columns"]
    by_fit = {str(described[c].get("fitted_as", c)): str(c) for c in ens.table.columns}
    keys = [*TRANSFERABLE, *(k for k in by_fit if k.endswith(".value"))]
    if tissue:
        keys += [f"{ANTIGEN_TRAIT}.centre", f"{TREG_TRAIT}.centre"]
    missing = [k for k in keys if k not in by_fit]
    if missing:
        raise ValidationError(
            f"shipped ensemble {ens.name!r} lacks the transferable column(s) {missing} "
            f"(it has {sorted(by_fit)})"
        )
    scale = get_tissue(tissue).antigenicity if tissue else 1.0
    treg_scale = get_tissue(tissue).treg_relative if tissue else 1.0
    members = []
    for _, row in ens.table.iterrows():
        member = []
        for key in keys:
            name, what = key.rsplit(".", 1)
            value = float(row[by_fit[key]])
            if name == ANTIGEN_TRAIT and what == "centre":
                value *= scale
                if bounds is not None:
                    value = min(max(value, bounds[0]), bounds[1])
            if name == TREG_TRAIT and what == "centre":
                value *= treg_scale
            member.append((key if what == "spread" else name, value))
        members.append(tuple(member))
    centred = {k.rsplit(".", 1)[0] for k in keys if k.endswith(".centre")}
    priors = tuple(
        replace(p, centre=None, rationale=f"{p.rationale}; centre: a liu2019 posterior draw")
        if p.parameter in centred
        else p
        for p in pop.priors
    )
    record = {
        "source": "posterior",
        "ensemble": ens.name,
        "draws": len(members),
        "columns": {k: by_fit[k] for k in keys},
        "antigenicity": scale,
        "treg_relative": treg_scale,
        "mixed": ens.provenance.get("mixed"),
        "ensemble_model_digest": ens.provenance.get("model_digest"),
        "ensemble_current": posterior_drawn_on_current_model()[0],
    }
    return replace(pop, priors=priors), tuple(members), record


Members = tuple[tuple[tuple[str, float], ...], ...]


def derived_growth(
    pop: PopulationSpec, members: Members, scenario: str
) -> tuple[PopulationSpec, Members, dict[str, object]]:
    """Trial patients' proliferation derived at the immune values they carry.

    A tissue's ``k_grow`` is derived (the untreated lesion doubles in the cited net time) at
    qsp.yaml's immune values; trial patients carry the liu2019 ones (per-CTL kill, bystander
    kill, the Treg brake), so with the shipped rate their untreated lesions double faster or
    slower than cited (session 17: more kill, slower, some regressed). Here the rate is
    re-derived at the typical patient's values: each ensemble member's parameter values (the
    member then sets ``k_grow``, the centre of the growth prior) or, without members, the
    population's prior centres (the growth prior's centre is set).
    The growth prior's spread is the cited spread of *net* rates (:data:`GROWTH_WHY`, sigma of
    ln doubling time); the gross rate that gives it to first order (net = gross - loss, the
    loss held) varies by sigma x net / gross, set the same way.
    The typical patient and its rate: :func:`senotwin.cohort.population.typical_growth`.
    Scenarios that carry no tissue's derived rate
    (:func:`senotwin.sim.tissue_growth.carried_tissue`) are left as they are (empty record)."""
    tissue = carried_tissue(get_scenario(scenario))
    if tissue is None:
        return pop, members, {}
    growth = [p for p in pop.priors if p.parameter == GROWTH_TRAIT]
    if not growth:
        raise ValidationError(f"the trial population has no {GROWTH_TRAIT} prior to derive")
    net_sigma = growth[0].spread
    net_rate = TISSUES[tissue].net_rate

    def rate(values: Mapping[str, float]) -> float:
        k = typical_growth(pop, tissue, values)
        if k is None:  # a member that sets k_grow itself: the derivation is not ours
            raise ValidationError(f"an ensemble member sets {GROWTH_TRAIT}; it is derived here")
        return k

    if members:
        rates = [rate({k: v for k, v in m if not k.endswith(SPREAD)}) for m in members]
        members = tuple(
            (*m, (GROWTH_TRAIT, g), (GROWTH_TRAIT + SPREAD, net_sigma * net_rate / g))
            for m, g in zip(members, rates, strict=True)
        )
    else:
        rates = [rate({})]
        pop = replace(
            pop,
            priors=tuple(
                replace(p, centre=rates[0], spread=net_sigma * net_rate / rates[0])
                if p.parameter == GROWTH_TRAIT
                else p
                for p in pop.priors
            ),
        )
    record: dict[str, object] = {
        "tissue": tissue,
        "cited_doubling_days": TISSUES[tissue].doubling_days,
        "shipped_k_grow": TISSUES[tissue].k_grow,
        "derived_at": "each ensemble member's values" if len(rates) > 1 else "the prior centres",
        "k_grow_median": float(np.median(rates)),
        "k_grow_range": [float(min(rates)), float(max(rates))],
        "net_sigma": net_sigma,
        "gross_sigma_range": [net_sigma * net_rate / max(rates), net_sigma * net_rate / min(rates)],
    }
    return pop, members, record


def trial_config(
    trial: TrialSpec,
    n: int,
    *,
    seed: int = 0,
    engine: str = "fast",
    step_days: float = 1.0,
    immune: str = "auto",
    scenario: str | None = None,
    days: float | None = None,
) -> CohortConfig:
    """Cohort configuration of a trial: selected patients, each with their own clearances and
    blood-count marrow (``pk_spread``, ``blood_spread``), one cohort arm per trial arm, its
    doses held and reduced on the patient's blood counts as protocols do (``dose_rules``); the
    transferable immune parameters from ``immune`` (:data:`IMMUNE_SOURCES`, resolved by
    :func:`resolve_immune`; the manifest records what was asked, used and why).
    ``scenario`` and ``days`` default to the trial's scenario and follow-up (``cohort run
    --trial`` passes the user's, so its patients are the trial run's when they agree)."""
    check_type(trial, TrialSpec, name="trial", what=TRIAL_WHAT)
    check_size_seed(n, seed)
    used, note = resolve_immune(immune)
    scenario = trial.scenario if scenario is None else scenario
    arms = tuple(
        CohortArm(a.name, text=a.regimen, language="" if a.regimen == "none" else a.regimen)
        for a in trial.arms
    )
    pop = trial_population(trial, n, seed=seed, scenario=scenario)
    members: Members = ()
    source = ""
    record: dict[str, object]
    if used == "posterior" and any(p.parameter == ANTIGEN_TRAIT for p in pop.priors):
        model = get_scenario(scenario).load()
        pop, members, record = posterior_members(
            pop, trial.tissue, model.parameter(ANTIGEN_TRAIT).range
        )
        source = f"{record['ensemble']} (shipped liu2019 posterior)"
    else:
        record = {"source": "fit"}
    record |= {"requested": immune} | ({"note": note} if note else {})
    pop, members, growth = derived_growth(pop, members, scenario)
    picked = {"immune": record} | ({"growth": growth} if growth else {})
    pop = replace(pop, selection=dict(pop.selection or {}) | picked)
    return CohortConfig(
        scenario=scenario,
        n=n,
        arms=arms,
        population=pop,
        seed=seed,
        t_end=trial.rules.follow_days if days is None else days,
        step_days=step_days,
        engine=engine,
        allow_off_label=bool(trial.off_label),
        ensemble=members,
        ensemble_source=source,
        pk_spread=True,
        blood_spread=True,
        dose_rules=DoseRules(),
    )


def run_trial(
    trial: TrialSpec,
    n: int,
    out: str | Path,
    *,
    seed: int = 0,
    workers: int = 2,
    engine: str = "fast",
    resume: bool = False,
    hazard: DeathHazard | None = None,
    progress: Any = None,
    processes: bool = True,
    immune: str = "auto",
) -> CohortRun:
    """Simulate ``n`` virtual patients in every arm of ``trial`` into ``out`` (a cohort dir);
    ``immune``: where the transferable immune parameters come from (:data:`IMMUNE_SOURCES`).

    Returns the :class:`~senotwin.cohort.runner.CohortRun` (counts, failures, manifest); the
    rows are read back with :func:`load_trial_rows` and compared with :func:`compare_trial`."""
    check_workers(workers)
    config = trial_config(trial, n, seed=seed, engine=engine, immune=immune)
    reducer = TrialEndpointReducer(trial.rules, trial_hazard(trial) if hazard is None else hazard)
    return run_cohort(
        config,
        out,
        reducer=reducer,
        workers=workers,
        resume=resume,
        progress=progress,
        processes=processes,
    )


@dataclass(frozen=True)
class TrialComparison:
    """Simulated vs published endpoints, one row per population, arm and endpoint."""

    table: pd.DataFrame  # population, arm, endpoint, simulated, sim_low, sim_high, published, ...
    summaries: dict[str, pd.DataFrame]  # population -> arm_summary table


def _months(days: float) -> float:
    return days / DAYS_PER_MONTH if math.isfinite(days) else math.inf


#: what a trial argument must be (a name is looked up first)
TRIAL_WHAT = "a TrialSpec, e.g. senotwin.trial.get_trial('keynote189')"

#: endpoint name of the simulated event-free probability at the published median
AT_MEDIAN = "{ep} at median"


#: half the last digit of a published median (every library file gives months to 0.1): the
#: published value stands for any time within +- this many months of it
MEDIAN_ROUNDING_MONTHS = 0.05


def at_published_median(
    rows: pd.DataFrame, arm: str, pub: Published | None
) -> dict[str, tuple[float, float, float]]:
    """Per endpoint (pfs, os) with a published median: the arm's simulated Kaplan-Meier
    probability of being event-free at that time (:func:`senotwin.analysis.survival.survival_at`)
    with a 95 % CI (exponential Greenwood) spanning the published value's rounding (+-
    :data:`MEDIAN_ROUNDING_MONTHS`): the lower bound at its late end, the upper at its early end.
    0.5 if the simulated arm matches.

    Why beside the median: on a scan calendar a simulated median can only be a scan day, so a
    few patients move it by a whole scan interval (IMpassion130 control 7.4 vs 5.5 months is one
    step), while the curve at a fixed time moves by one patient's share per event and has a CI.
    The curve is a step function too: when a scan day falls inside the published median's
    rounding (IMpassion130's week-24 scan, day 168 = 5.52 months), the reading at the published
    value is the step before that scan, so the CI spans both sides of it rather than taking one.
    A read-out, not a fit: nothing is chosen by it."""
    if pub is None:
        return {}
    good = rows[(rows["status"] == "success") & (rows["arm"] == arm)]
    out = {}
    for ep in ("pfs", "os"):
        med = getattr(pub, f"median_{ep}_months")
        if med is None or good.empty or not math.isfinite(med):
            continue
        km = kaplan_meier(good[f"{ep}_days"].to_numpy(), good[f"{ep}_event"].to_numpy())
        s, _, _ = survival_at(km, med * DAYS_PER_MONTH)
        early = survival_at(km, max(med - MEDIAN_ROUNDING_MONTHS, 0.0) * DAYS_PER_MONTH)
        late = survival_at(km, (med + MEDIAN_ROUNDING_MONTHS) * DAYS_PER_MONTH)
        out[ep] = (s, late[1], early[2])
    return out


#: endpoint name of a response rate read at the published median follow-up (e.g. "CR at 10.5
#: months of follow-up")
AT_FOLLOW = "{ep} at {months:g} months of follow-up"


def at_median_follow(
    rows: pd.DataFrame, arm: str, pub: Published | None, median_follow_days: float
) -> dict[str, tuple[float, float, float]]:
    """ORR (of the published value's definition) and CR of ``arm`` from the second read of the
    best overall response, with the scans up to the trial's published median follow-up
    (``best_response_at_median_follow``; :class:`senotwin.analysis.endpoints.TrialRules`),
    with Wilson 95 % CIs. A published response rate counts the responses confirmed by the data
    cut-off; the simulation follows everyone for two years or more. Empty when the trial gives no
    median follow-up or the rows predate the read. A read-out, not a fit."""
    col = "best_response_at_median_follow"
    if not math.isfinite(median_follow_days) or col not in rows:
        return {}
    good = rows[(rows["status"] == "success") & (rows["arm"] == arm)]
    if good.empty:
        return {}
    unconfirmed = pub is not None and pub.orr_definition == "unconfirmed"
    best = good["best_response_unconfirmed_at_median_follow" if unconfirmed else col]
    n = len(good)
    return {
        "ORR": _share(int(best.isin(["CR", "PR"]).sum()), n),
        "CR": _share(int((good[col] == "CR").sum()), n),
    }


def _share(k: int, n: int) -> tuple[float, float, float]:
    p, lo, hi = wilson(k, n)
    return 100 * p, 100 * lo, 100 * hi


#: endpoint name of a published landmark rate (e.g. "OS at 12 months")
LANDMARK = "{ep} at {months:g} months"


def at_landmarks(
    rows: pd.DataFrame, arm: str, pub: Published | None
) -> dict[str, list[tuple[Landmark, tuple[float, float, float]]]]:
    """Per endpoint, each published landmark rate of ``arm`` with the simulated Kaplan-Meier
    probability of being event-free at that time and its 95 % band (exponential Greenwood); NaN
    where the simulated follow-up ends before it. A read-out, not a fit."""
    if pub is None or not pub.landmarks:
        return {}
    good = rows[(rows["status"] == "success") & (rows["arm"] == arm)]
    out: dict[str, list[tuple[Landmark, tuple[float, float, float]]]] = {}
    if good.empty:
        return out
    for lm in pub.landmarks:
        km = kaplan_meier(
            good[f"{lm.endpoint}_days"].to_numpy(), good[f"{lm.endpoint}_event"].to_numpy()
        )
        out.setdefault(lm.endpoint, []).append((lm, survival_at(km, lm.months * DAYS_PER_MONTH)))
    return out


def _rows(
    pop: str,
    arm: str,
    s: dict[str, Any],
    pub: Published | None,
    at_median: Mapping[str, tuple[float, float, float]] | None = None,
    landmarks: Mapping[str, list[tuple[Landmark, tuple[float, float, float]]]] | None = None,
    at_follow: tuple[float, Mapping[str, tuple[float, float, float]]] | None = None,
    blood: pd.DataFrame | None = None,
) -> list[dict[str, Any]]:
    out = []

    def add(
        endpoint: str,
        sim: tuple[float, float, float],
        published: tuple[Any, Any, Any],
        unit: str,
        definition: str = "",
    ) -> None:
        value, lo, hi = published
        within = None  # an open upper bound ("not reached", inf) still bounds from below
        if value is not None and not any(math.isnan(x) for x in sim[1:]):
            # as printed: a published 5.5 months is inside a simulated 5.52-9.2 printed 5.5-9.2
            d = decimals(endpoint)
            within = bool(round(sim[1], d) <= round(value, d) <= round(sim[2], d))
        out.append(
            {
                "population": pop,
                "arm": arm,
                "endpoint": endpoint,
                "definition": definition,
                "unit": unit,
                "simulated": sim[0],
                "sim_low": sim[1],
                "sim_high": sim[2],
                "published": value,
                "pub_low": lo,
                "pub_high": hi,
                "published_in_sim_ci": within,
                "difference": None
                if value is None or not math.isfinite(sim[0])
                else sim[0] - value,
            }
        )

    p = pub or Published()
    # the simulated ORR of the published value's definition (confirmed when none is published)
    key = ORR_DEFINITIONS[p.orr_definition]
    lo, hi = s.get(f"{key}_low", math.nan), s.get(f"{key}_high", math.nan)
    orr = (100 * s.get(key, math.nan), 100 * lo, 100 * hi)
    add("ORR", orr, (p.orr, None, None), "%", p.orr_definition)
    # complete responses (confirmed best response CR): the split the read's DETECT_MM sets. A
    # published CR counts confirmed responses where the arm's published ORR does (the trial
    # files take both from one table); otherwise its definition was not read, and the row says so
    cr = (
        100 * s.get("CR", math.nan),
        100 * s.get("CR_low", math.nan),
        100 * s.get("CR_high", math.nan),
    )
    cr_definition = "confirmed" if p.cr is None or p.orr_definition == "confirmed" else "not_read"
    add("CR", cr, (p.cr, None, None), "%", cr_definition)
    if at_follow and at_follow[1]:  # the same rates as of the published median follow-up
        months, rates = at_follow
        add(
            AT_FOLLOW.format(ep="ORR", months=months),
            rates["ORR"],
            (p.orr, None, None),
            "%, responses confirmed by then",
            p.orr_definition,
        )
        add(
            AT_FOLLOW.format(ep="CR", months=months),
            rates["CR"],
            (p.cr, None, None),
            "%, responses confirmed by then",
            cr_definition,
        )
    add("DCR", (100 * s["DCR"], 100 * s["DCR_low"], 100 * s["DCR_high"]), (None, None, None), "%")
    for ep in ("pfs", "os"):
        med = getattr(p, f"median_{ep}_months")
        ci = getattr(p, f"median_{ep}_ci") or (None, None)
        add(
            f"median {ep.upper()}",
            (
                _months(s[f"median_{ep}"]),
                _months(s[f"median_{ep}_low"]),
                _months(s[f"median_{ep}_high"]),
            ),
            (med, *ci),
            "months",
        )
        if at_median and ep in at_median:  # the curve at the published median: 50 % if matched
            p_sim, p_lo, p_hi = at_median[ep]
            add(
                AT_MEDIAN.format(ep=ep.upper()),
                (100 * p_sim, 100 * p_lo, 100 * p_hi),
                (50.0, None, None),
                f"% at the published {med:g} months (CI over the months it rounds, "
                f"+-{MEDIAN_ROUNDING_MONTHS:g}); 50 = matched",
            )
        for lm, sim in (landmarks or {}).get(ep, ()):
            add(
                LANDMARK.format(ep=ep.upper(), months=lm.months),
                (100.0 * sim[0], 100.0 * sim[1], 100.0 * sim[2]),
                (lm.percent, *(lm.ci or (None, None))),
                "% (Kaplan-Meier)",
            )
        hr = getattr(p, f"hr_{ep}") or (None, None, None)
        if not math.isnan(s[f"hr_{ep}"]) or hr[0] is not None:
            add(
                f"HR {ep.upper()}",
                (s[f"hr_{ep}"], s[f"hr_{ep}_low"], s[f"hr_{ep}_high"]),
                hr,
                "against the control arm",
            )
    if blood is not None and not blood.empty:  # the blood-count read (trial.toxicity)
        for chain in CHAINS:
            _blood_rows(chain, blood, p, add)
        _dose_rows(blood, add)
    return out


#: endpoint name of a blood-count read's rate (trial.toxicity): "neutropenia grade >= 3"
BLOOD_ENDPOINT = "{chain} grade >= {grade}"
#: the same rate by the model's own nadir (no laboratory noise), beside the laboratory read
NADIR_ENDPOINT = "{chain} grade >= {grade}, model nadir"


def _blood_rows(
    chain: BloodChain, blood: pd.DataFrame, p: Published, add: Callable[..., None]
) -> None:
    """One chain's rows: the share of patients at grade >= 3, 4 (and any grade the trial
    publishes) by the worst laboratory value at the dose-day draws, counted where it is worse
    than the baseline's grade (trials grade measured values "worsened from baseline"), where
    the run has them, else by the model's nadir; with a laboratory read, the model nadir's
    grade >= 3 share beside it (no comparator)."""
    nadir = blood[f"{chain.prefix}_grade"].dropna().to_numpy()
    if not len(nadir):
        return
    col = f"{chain.prefix}_lab_worsened"  # laboratory tables count worsened from baseline
    lab = blood[col].dropna().to_numpy() if col in blood.columns else np.array([])
    label = chain.prefix.upper()
    grades, what = (
        (lab, f"worst laboratory {label} at the dose-day draws on treatment, worse than baseline")
        if len(lab)
        else (nadir, f"{label} nadir on treatment")
    )
    # grades 3 and 4 always; another grade where the trial publishes a rate of it
    named = {a.min_grade for a in p.adverse_events if ADVERSE_EVENTS[a.event] == chain.name}
    for g in sorted({3, 4} | named):
        sim = _share(int((grades >= g).sum()), len(grades))
        events: list[AdverseEvent | None] = [
            a
            for a in p.adverse_events
            if a.min_grade == g and ADVERSE_EVENTS[a.event] == chain.name
        ] or [None]
        for ae in events:
            add(
                BLOOD_ENDPOINT.format(chain=chain.name, grade=g),
                sim,
                (None if ae is None else ae.percent, None, None),
                f"% of patients (simulated: {what}"
                + ("" if ae is None else f"; published: {ae.event}, n {ae.n}")
                + ")",
            )
    if len(lab):
        add(
            NADIR_ENDPOINT.format(chain=chain.name, grade=3),
            _share(int((nadir >= 3).sum()), len(nadir)),
            (None, None, None),
            f"% of patients (the model's {label} nadir on treatment, no laboratory noise)",
        )


#: endpoint names of what the protocol's dose rules did (trial.toxicity.DOSE_READ), in order
DOSE_ENDPOINTS = (
    ("cycles_delayed", "cycle delayed for blood counts"),
    ("doses_held", "dose withheld for blood counts"),
    ("dose_reductions", "dose reduced for blood counts"),
    ("dose_stopped", "drug stopped for blood counts"),
)


def _dose_rows(blood: pd.DataFrame, add: Callable[..., None]) -> None:
    """Rows of what the dose rules did on treatment: the share of patients with each change and
    the median relative dose intensity (no published value was read for any trial)."""
    mine = blood.dropna(subset=["dose_intensity"])
    if mine.empty:
        return
    why = "% of patients on treatment (the protocol's rules on their laboratory values)"
    for col, endpoint in DOSE_ENDPOINTS:
        add(endpoint, _share(int((mine[col] > 0).sum()), len(mine)), (None, None, None), why)
    rdi = 100.0 * mine["dose_intensity"].to_numpy(dtype=float)
    q1, med, q3 = np.percentile(rdi, [25, 50, 75])
    add(
        "relative dose intensity",
        (float(med), float(q1), float(q3)),
        (None, None, None),
        "% median (interquartile range, not a CI) of the amount given / planned on treatment, "
        "the drugs the rules watch",
    )


def compare_trial(
    trial: TrialSpec, rows: pd.DataFrame, blood: pd.DataFrame | None = None
) -> TrialComparison:
    """Simulated (95 % CIs) vs published endpoints for the ITT population and each subgroup;
    beside each published median PFS/OS, the simulated probability of being event-free at it
    (:func:`at_published_median`, an additional row: 50 % if the arm matches); with ``blood``
    (:func:`senotwin.trial.toxicity.blood_counts` of these rows) the share of patients with
    grade >= 3 and 4 neutropenia (or thrombocytopenia) beside the published adverse-event
    rates."""
    pops: list[tuple[str, pd.DataFrame, dict[str, Published]]] = [
        ("ITT", rows, {a.name: a.published for a in trial.arms})
    ]
    for sg in trial.subgroups:
        if sg.column not in rows.columns:
            raise ValidationError(f"cohort rows lack {sg.column!r} (not a trial cohort?)")
        pops.append((sg.name, rows[rows[sg.column] == sg.value], dict(sg.published)))
    table: list[dict[str, Any]] = []
    summaries = {}
    follow = trial.rules.median_follow_days
    for name, sub, published in pops:
        if sub.empty:
            continue
        summary = arm_summary(sub, reference=trial.control.name)
        summaries[name] = summary
        for rec in summary.to_dict(orient="records"):
            arm, pub = str(rec["arm"]), published.get(str(rec["arm"]))
            mine = None
            if blood is not None:
                ids = sub.loc[sub["arm"] == arm, "patient"]
                mine = blood[(blood["arm"] == arm) & blood["patient"].isin(ids)]
            table += _rows(
                name,
                arm,
                rec,
                pub,
                at_published_median(sub, arm, pub),
                at_landmarks(sub, arm, pub),
                (follow / DAYS_PER_MONTH, at_median_follow(sub, arm, pub, follow)),
                mine,
            )
    return TrialComparison(pd.DataFrame(table), summaries)


def plot_km(trial: TrialSpec, rows: pd.DataFrame, path: str | Path) -> Path:
    """Write :func:`km_png` to ``path`` (atomically)."""
    from senotwin._io import atomic_write_bytes

    return atomic_write_bytes(Path(path), km_png(trial, rows))


def km_png(trial: TrialSpec, rows: pd.DataFrame) -> bytes:
    """KM curves of PFS and OS per arm (ITT and subgroups), published medians overlaid (PNG)."""
    from matplotlib import rcParams
    from matplotlib.figure import Figure

    pops = [("ITT", rows, {a.name: a.published for a in trial.arms})]
    pops += [
        (sg.name, rows[rows[sg.column] == sg.value], dict(sg.published)) for sg in trial.subgroups
    ]
    # constrained layout places the two-line title and the legends below the panels without
    # the empty band tight_layout left under the title
    fig = Figure(figsize=(11, 5.6 * len(pops)), layout="constrained")
    axes = fig.subplots(len(pops), 2, squeeze=False)
    colours = rcParams["axes.prop_cycle"].by_key()["color"]
    for r, (name, sub, published) in enumerate(pops):
        ok = sub[sub["status"] == "success"]
        for c, ep in enumerate(("pfs", "os")):
            ax = axes[r][c]
            for k, arm in enumerate(trial.arms):
                a = ok[ok["arm"] == arm.name]
                if a.empty:
                    continue
                km = kaplan_meier(a[f"{ep}_days"].to_numpy(), a[f"{ep}_event"].to_numpy())
                col = colours[k % len(colours)]
                ax.step(
                    np.r_[0.0, km.times / DAYS_PER_MONTH],
                    np.r_[1.0, km.survival],
                    where="post",
                    color=col,
                    label=f"{arm.label} (simulated, n={km.n})",
                )
                ax.fill_between(
                    km.times / DAYS_PER_MONTH,
                    km.lower,
                    km.upper,
                    step="post",
                    color=col,
                    alpha=0.15,
                )
                pub = published.get(arm.name)
                med = getattr(pub, f"median_{ep}_months") if pub else None
                if med is not None:
                    ax.plot(
                        [med],
                        [0.5],
                        marker="D",
                        color=col,
                        markersize=9,
                        markeredgecolor="black",
                        linestyle="none",
                        label=f"{arm.label}: published median {med:g} mo",
                    )
                elif any(  # beside another arm's diamond, a missing one is said, not read
                    getattr(published.get(o.name), f"median_{ep}_months", None) is not None
                    for o in trial.arms
                ):
                    ax.plot(
                        [],
                        [],
                        linestyle="none",
                        label=f"{arm.label}: no published median (not reported or not reached)",
                    )
            ax.axhline(0.5, color="grey", lw=0.6, ls=":")
            ax.set_xlim(0, trial.rules.follow_days / DAYS_PER_MONTH)
            ax.set_ylim(0, 1.02)
            ax.set_xlabel("months since randomisation")
            ax.set_ylabel(
                "progression-free (probability)" if ep == "pfs" else "alive (probability)"
            )
            ax.set_title(f"{trial.id} {name}: {ep.upper()}")
            if ax.get_legend_handles_labels()[0]:  # below the axes: never over the curves' tails
                ax.legend(
                    fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False
                )
    fig.suptitle(
        f"{trial.title}\nsimulated KM (95% band) vs published medians (diamonds)", fontsize=9
    )
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()


_RESPONSE_COLOURS = {
    "CR": "#1b7837",
    "PR": "#5aae61",
    "SD": "#9e9e9e",
    "PD": "#b2182b",
    "NE": "#e0e0e0",
}


def plot_waterfall(trial: TrialSpec, rows: pd.DataFrame, path: str | Path) -> Path:
    """Waterfall per arm: best % change of the sum of target diameters, coloured by the
    confirmed best overall response (a PD by new lesions can sit below zero, as in trials);
    hatched: a better CR/PR first seen too late to be confirmed before the data cut-off (a bar
    at -100 % labelled PR is such a CR)."""
    import io

    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    from senotwin._io import atomic_write_bytes

    ok = rows[rows["status"] == "success"]
    fig = Figure(figsize=(5.5 * len(trial.arms), 3.8))
    axes = fig.subplots(1, len(trial.arms), sharey=True, squeeze=False)[0]
    for ax, arm in zip(axes, trial.arms, strict=True):
        a = ok[ok["arm"] == arm.name].sort_values("best_change_pct", ascending=False)
        change = a["best_change_pct"].fillna(0.0).to_numpy()
        colours = [_RESPONSE_COLOURS.get(str(r), "#e0e0e0") for r in a["best_response"]]
        bars = ax.bar(np.arange(change.size), change, color=colours, width=1.0)
        if "awaiting_confirmation" in a.columns:  # a better CR/PR seen too late to confirm
            for bar, pending in zip(bars, a["awaiting_confirmation"].fillna(""), strict=True):
                if pending:
                    bar.set_hatch("///")
                    bar.set_edgecolor("#303030")  # the hatch's colour
                    bar.set_linewidth(0.0)  # no outline: at n = 200 outlines fill 1-px bars
        ax.axhline(-30.0, color="black", lw=0.7, ls="--")
        ax.axhline(20.0, color="black", lw=0.7, ls=":")
        ax.set_title(f"{arm.label} (n={change.size})", fontsize=8)
        ax.set_xticks([])
        ax.set_xlabel("virtual patients")
    axes[0].set_ylabel("best change of the sum of target diameters (%)")
    axes[-1].legend(
        handles=[
            *(Patch(color=c, label=k) for k, c in _RESPONSE_COLOURS.items()),
            Patch(
                facecolor="white",
                edgecolor="black",
                hatch="///",
                label="CR/PR unconfirmed at cut-off",
            ),
        ],
        fontsize=7,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),  # outside the axes: no bar is ever hidden
    )
    fig.suptitle(f"{trial.id}: waterfall (dashed -30 % PR, dotted +20 % PD)", fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    path = Path(path)
    atomic_write_bytes(path, buf.getvalue())
    return path


#: how printed tables name each ORR definition (spec.ORR_DEFINITIONS)
DEFINITION_TEXT = {
    "confirmed": "confirmed",
    "unconfirmed": "unconfirmed",
    "not_read": "confirmed; published definition not read",
}


def decimals(endpoint: str) -> int:
    """Decimals a comparison row prints (hazard ratios 2, the rest 1), and so compares at."""
    return 2 if endpoint.startswith("HR") else 1


def comparison_text(trial: TrialSpec, comp: TrialComparison) -> list[str]:
    """Plain-text lines of the comparison (CLI and report): a header, then one line per row,
    the columns as wide as their longest entry; a row with a published value ends [holds] or
    [MISS]: whether the simulated 95% CI holds it."""

    def f(x: Any, d: int = 1) -> str:
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return "-"
        return "NR" if isinstance(x, float) and math.isinf(x) else f"{x:.{d}f}"

    records = comp.table.to_dict(orient="records")
    w_pop, w_arm, w_end = column_widths(records, ("population", "arm", "endpoint"))
    header = (
        "simulated (95% CI) vs published (95% CI) [holds / MISS: the published value inside / "
        "outside the simulated CI]"
    )
    lines = [f"{'population':<{w_pop}} {'arm':<{w_arm}} {'endpoint':<{w_end}} {header}"]
    for rec in records:
        hr = rec["endpoint"].startswith("HR")
        d = decimals(rec["endpoint"])
        pub = f(rec["published"], d)
        if rec["pub_low"] is not None and not pd.isna(rec["pub_low"]):
            pub += f" ({f(rec['pub_low'], d)}-{f(rec['pub_high'], d)})"
        sim = f(rec["simulated"], d)
        if sim == "-":  # no estimate: an HR without events is not estimable (it printed '- (---)')
            sim = "not estimable" if hr else "-"
        else:
            sim += f" ({f(rec['sim_low'], d)}-{f(rec['sim_high'], d)})"
        unit = rec["unit"] + (
            f" ({DEFINITION_TEXT[rec['definition']]})" if rec.get("definition") else ""
        )
        within = rec.get("published_in_sim_ci")
        verdict = "" if within is None or pd.isna(within) else (" [holds]" if within else " [MISS]")
        lines.append(
            f"{rec['population']:<{w_pop}} {rec['arm']:<{w_arm}} {rec['endpoint']:<{w_end}} "
            f"{sim} vs {pub} {unit}{verdict}"
        )
    return lines


def load_trial_rows(out: str | Path) -> pd.DataFrame:
    """Rows of a trial cohort directory (the runner's shards)."""
    return load_rows(out)


@dataclass(frozen=True)
class TrialOutcome:
    """A finished library trial: its spec, patient rows, comparison and KM figure (PNG bytes)."""

    trial: TrialSpec
    rows: pd.DataFrame
    comparison: TrialComparison
    km_png: bytes
    #: which immune parameters the patients carried and why (the manifest's record)
    immune: dict[str, Any] = field(default_factory=dict)
    #: the combination against independent action of its parts (``trial independence``), and
    #: its figure (PNG bytes); None / empty when not run
    independence: Independence | None = None
    independence_png: bytes = b""


def trial_outcome(trial: TrialSpec, out: str | Path) -> TrialOutcome:
    """Read a finished trial directory into a :class:`TrialOutcome` (comparison, KM and the
    immune-parameter record of its manifest)."""
    rows = load_trial_rows(out)
    manifest = json.loads((Path(out) / "manifest.json").read_text())
    comp = compare_trial(trial, rows, blood_counts(trial, rows))
    png = km_png(trial, rows)
    plot_km(trial, rows, Path(out) / "km.png")  # inside staged writes it appears at the end
    selection = manifest["config"]["population"].get("selection") or {}
    return TrialOutcome(trial, rows, comp, png, dict(selection.get("immune") or {}))


#: the library trial of the demo report (fewest stand-in products; see docs/trials.md)
DEMO_TRIAL = "impower133"


def demo_trial(
    out: str | Path, *, n: int = 40, seed: int = 2025, workers: int = 2, name: str = DEMO_TRIAL
) -> TrialOutcome:
    """Run the demo's library trial (small N) into ``out`` and read it back; a run already
    there (an earlier ``senotwin demo`` into the same folder) is resumed, not refused, and one
    of another cohort (an older version's, or another model's) is rebuilt: the demo owns
    ``out``."""
    from senotwin.trial.library import get_trial

    owned = {MANIFEST, "shards", "timecourses", "km.png", "independence.json", "independence.png"}

    def foreign(path: Path, below: tuple[Path, ...]) -> bool:
        """Whether ``path`` holds anything the demo did not write there."""
        return path.is_dir() and any(p.name not in owned and p not in below for p in path.iterdir())

    def discard(path: Path) -> None:
        """The demo's run in ``path`` and what the demo wrote beside it; the folder if empty."""
        for name in ("km.png", "independence.json", "independence.png"):
            (path / name).unlink(missing_ok=True)
        clear_run(path)
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()

    def run_owned(spec: TrialSpec, where: Path, *below: Path) -> None:
        """Resume the demo's run in ``where``, or rebuild it (and the runs ``below`` it, as
        old) when it is another cohort's and the folders hold only what the demo wrote."""
        try:
            resume = (where / MANIFEST).is_file()
            run_trial(spec, n, where, seed=seed, workers=workers, resume=resume)
        except DifferentCohort:
            if any(foreign(p, below) for p in (*below, where)):
                raise  # a user's file among them: nothing is removed
            for path in (*below, where):
                discard(path)
            run_trial(spec, n, where, seed=seed, workers=workers)

    trial = get_trial(name)
    out = Path(out)
    where = out / "independence"
    run_owned(trial, out, where)
    outcome = trial_outcome(trial, out)
    arm = trial.arms[1].name
    cut = independence_trial(trial, arm)
    run_owned(cut, where)
    rows = load_trial_rows(where)
    res = independence(cut, rows, arm, seed=seed)
    png = independence_png(res, rows)
    write_independence(res, png, where)
    return replace(outcome, independence=res, independence_png=png)
