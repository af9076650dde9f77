"""Chemotherapy neutropenia as a semi-mechanistic model (Friberg 2002), added to a therapy model.

A drug with a ``myelosuppression`` record (linear drug effect ``slope`` per plasma concentration,
with its source) drives the Friberg chain: a proliferating pool, three maturation transits and
circulating neutrophils (ANC in cells/uL: 1000 cells/uL = 1.0 x 10^9/L), with feedback
(ANC0 / ANC)^gamma on proliferation:

    dProl/dt = ktr Prol (1 - E) (ANC0/ANC)^gamma - ktr Prol,   E = sum_d slope_d C_d
    dT1/dt = ktr (Prol - T1), ..., dANC/dt = ktr (T3 - ANC),   ktr = 4 / MTT

The system parameters (ANC0, MTT, gamma) are those of the nab-paclitaxel analysis of Chen 2014
(Friberg showed them consistent across drugs); the drug term is written as production minus a
drug kill so every process rate stays non-negative. ``grade`` maps an ANC to its CTCAE grade.
A slope belongs to the concentrations it was fitted on: where a drug's record gives that PK
(``myelosuppression.pk``, Chen 2014's saturable model for nab-paclitaxel), the chain is driven by
it, dosed beside the library's PK (``driver_pk_parts``, ``driver_dose``).

A drug with a ``platelet_kill`` record (navitoclax) adds the platelet chain
(``thrombocytopenia_parts``): the same Friberg marrow with Guo 2023's platelet parameters,
releasing into circulating platelets that age over their measured lifespan and that the drug
kills (all but the youngest); ``tox_platelets`` is the count, ``platelet_grade`` its grade.

Senolysis of the host's own senescent cells (review 4.2: removing the senescent cells of aged
tissue may harm it) is a host pool, the share ``h`` of the host tissue's cells that are senescent,
measured at baseline (~0.5 % of normal lung), turned over at the senescent-cell removal rate and
killed at the model's senolytic apoptosis rate; the proxy is the share of host tissue cells killed
per day, ``apoptosis x h`` (see ``senolysis_damage_parts``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from senotwin._errors import ValidationError
from senotwin.model.schedule import Dose
from senotwin.model.spec import (
    CalibratedProvenance,
    CitationProvenance,
    DefinitionProvenance,
    MeasuredProvenance,
    ModelSpec,
    Observable,
    Parameter,
    Process,
    Species,
)
from senotwin.therapy.drugs import REFERENCE_WEIGHT_KG, SENOLYSIS_DAMAGE, SENOLYSIS_SOURCE, Drug

ANC = "anc"
ANC_UNIT = "cells/uL"
PER_1E9_PER_L = 1000.0  # cells/uL in 1.0 x 10^9/L (CTCAE grades are in 10^9/L)
_SYSTEM_SOURCE = (
    "Chen N et al. J Clin Pharmacol 2014;54:1097-107, Table 2 (nab-paclitaxel, 125 patients; "
    "Friberg LE et al. J Clin Oncol 2002;20:4713-21 structure), as encoded in nlmixr2lib "
    "Chen_2014_nab_paclitaxel: baseline ANC 4.28e9/L, MTT 117 h, feedback gamma 0.187"
)
#: (id, value, unit, meaning) of the drug-independent system parameters
SYSTEM: tuple[tuple[str, float, str, str], ...] = (
    ("anc_base", 4280.0, ANC_UNIT, "baseline absolute neutrophil count"),
    ("anc_mtt", 117.0 / 24.0, "day", "mean transit time from proliferation to circulation"),
    ("anc_gamma", 0.187, "1", "feedback exponent of (ANC0 / ANC) on proliferation"),
)
#: CTCAE v5 neutrophil count decreased: lower bounds (10^9/L) of grades 1-4
CTCAE_ANC = ((4, 0.5), (3, 1.0), (2, 1.5), (1, 2.0))


def lognormal_sigma(cv: float) -> float:
    """The log-scale SD of a log-normal spread reported as a CV (omega^2 = ln(1 + CV^2))."""
    return math.sqrt(math.log1p(cv * cv))


@dataclass(frozen=True)
class MarrowSpread:
    """Between-patient spread of a blood-count model: log-normal SDs of its parameters (by id;
    a drug's own slope as ``slope``, read by prefix) and the drug slope's factor from
    ``age_cut`` years on (1: none read)."""

    sigmas: tuple[tuple[str, float], ...]
    slope_prefix: str
    slope_sigma: float
    age_factor: float
    age_cut: float
    source: str
    #: the source model's residual error on the log scale: how far one laboratory value lies
    #: from the model's count (a trial grades measured values; 0: none read)
    residual_sigma: float = 0.0


#: Chen 2014's between-patient spread of its nab-paclitaxel neutropenia model (the system
#: parameters above are its typical values)
ANC_SPREAD = MarrowSpread(
    sigmas=(("anc_base", lognormal_sigma(0.351)), ("anc_mtt", lognormal_sigma(0.190))),
    slope_prefix="anc_slope_",
    slope_sigma=lognormal_sigma(0.429),
    age_factor=1.501,
    age_cut=65.0,
    source=(
        "Chen N et al. J Clin Pharmacol 2014;54:1097-107, Table 2 (as encoded in nlmixr2lib "
        "Chen_2014_nab_paclitaxel): interindividual variability of baseline ANC 35.1 %, MTT "
        "19.0 %, drug slope 42.9 % (CV, log-normal: omega^2 = ln(1 + CV^2)); slope x (1 + 0.501) "
        "at age >= 65 years; residual error of a measured ANC 0.291 (log scale), the spread of "
        "a laboratory value around the model's count. Not carried: the albumin covariate on "
        "baseline ANC (no albumin is drawn) and the PK's own spread (the library's PK is the "
        "typical patient's)"
    ),
    residual_sigma=0.291,
)


def count_1e9_per_l(values: Any) -> Any:
    """A blood count from the model (the ANC or the platelet count, cells/uL) in 10^9/L."""
    return values / PER_1E9_PER_L


def _ctcae(value: float, bounds: tuple[tuple[int, float], ...]) -> int:
    """The CTCAE grade of a blood count given its grades' lower bounds (0 = none)."""
    return next((g for g, bound in bounds if value < bound), 0)


def grade(anc: float) -> int:
    """CTCAE grade of an absolute neutrophil count in 10^9/L (0 = none; grade 1 below 2.0)."""
    return _ctcae(anc, CTCAE_ANC)


def _transits(stages: Sequence[str], rate: str, prefix: str, description: str) -> list[Process]:
    """First-order transits ``rate x stage`` from each of ``stages`` to the next (ids
    PREFIX_STAGE), as the maturation chains of the blood-count models move their cells."""
    return [
        Process(
            id=f"{prefix}_{a}",
            expression=f"{rate} * {a}",
            stoichiometry={a: -1, b: 1},
            description=description,
        )
        for a, b in itertools.pairwise(stages)
    ]


def myelosuppressive(drugs: Sequence[Drug]) -> tuple[Drug, ...]:
    """The drugs with a neutropenia model."""
    return tuple(d for d in drugs if d.myelosuppression is not None)


def driver_ids(drug: Drug) -> tuple[str, str, str, str]:
    """Species ids of a drug's driver PK (therapy.drugs.DriverPK): infusion depot, central,
    saturable and linear peripheral compartments (each an amount over the typical central
    volume, mg/L; ``driver_concentration`` is the plasma concentration)."""
    base = f"drug_{drug.key}_txpk"
    return f"{base}_depot", base, f"{base}_p1", f"{base}_p2"


def driver_vmax_id(drug: Drug) -> str:
    """Parameter id of the driver PK's elimination capacity (a patient's clearance moves it)."""
    return f"txpk_{drug.key}_vmel"


#: driver PK record fields with a between-patient spread -> the parameter id's suffix
DRIVER_SPREAD_IDS = {"v1": "v1", "v2": "v2", "transport_max": "vmtr"}


def driver_parameter_id(drug: Drug, field: str) -> str:
    """Parameter id of a driver PK constant with a between-patient spread."""
    return f"txpk_{drug.key}_{DRIVER_SPREAD_IDS[field]}"


def driver_dose(drug: Drug, amount: float, time: float) -> Dose | None:
    """The dose into ``drug``'s driver PK of an administration of ``amount`` (canonical mg/kg of
    the reference adult; None when the drug has none): a bolus into the infusion depot, which
    releases it over the infusion (first order, mean half the infusion time)."""
    ms = drug.myelosuppression
    if ms is None or ms.pk is None:
        return None
    return Dose(time, driver_ids(drug)[0], amount * REFERENCE_WEIGHT_KG / ms.pk.values()["v1"])


def driver_concentration(drug: Drug) -> str:
    """Expression of the driver PK's plasma concentration (mg/L): the central species holds the
    amount over the typical V1 (``_v1ref``, fixed), so a patient's own V1 scales it."""
    k = f"txpk_{drug.key}"
    return f"({driver_ids(drug)[1]} * {k}_v1ref / {k}_v1)"


def driver_pk_parts(
    drug: Drug, compartment: str
) -> tuple[list[Species], list[Parameter], list[Process]]:
    """Species, parameters and processes of ``drug``'s driver PK. Each compartment holds its
    amount over the typical central volume (mg/L, fixed: a dose does not depend on the patient),
    so a patient's own volumes enter only the concentrations, as in the source model."""
    ms = drug.myelosuppression
    assert ms is not None and ms.pk is not None
    v = ms.pk.values()
    depot, c, p1, p2 = driver_ids(drug)
    prov = CitationProvenance(kind="citation", text=ms.pk.source)
    k = f"txpk_{drug.key}"
    values = (
        (f"{k}_v1", v["v1"], "L", "central volume"),
        (f"{k}_v2", v["v2"], "L", "volume of the saturable peripheral compartment"),
        (f"{k}_v3", v["v3"], "L", "volume of the linear peripheral compartment"),
        (f"{k}_q", v["q"], "L/day", "intercompartmental clearance to V3"),
        (driver_parameter_id(drug, "transport_max"), v["transport_max"], "mg/day",
         "saturable transport capacity to V2"),
        (f"{k}_kmtr", v["transport_km"], "mg/L", "half-saturation of the transport"),
        (driver_vmax_id(drug), v["elimination_max"], "mg/day", "elimination capacity"),
        (f"{k}_kmel", v["elimination_km"], "mg/L", "half-saturation of the elimination"),
        (f"{k}_krel", 2.0 / v["infusion"], "1/day", "release of the infused dose"),
    )  # fmt: skip
    params = [
        Parameter(
            id=pid,
            name=f"{drug.id} driver PK {what}",
            value=val,
            unit=unit,
            range=(val / 2, val * 2),
            provenance=prov,
        )
        for pid, val, unit, what in values
    ]
    params.append(
        Parameter(
            id=f"{k}_v1ref",
            name=f"{drug.id} driver PK: the typical central volume its amounts are counted in",
            value=v["v1"],
            unit="L",
            range=None,
            provenance=DefinitionProvenance(
                kind="definition",
                statement="the unit of the driver PK's species: amount / typical V1 (mg/L)",
            ),
        )
    )
    species = [
        Species(
            id=sid,
            name=f"{drug.id} ({what}) on the PK its neutropenia slope was fitted with",
            unit="mg/L",
            compartment=compartment,
            initial=0.0,
        )
        for sid, what in (
            (depot, "infusion still to run in, per typical central volume"),
            (c, "central amount per typical central volume"),
            (p1, "saturable peripheral amount, per typical central volume"),
            (p2, "linear peripheral amount, per typical central volume"),
        )
    ]
    cc = driver_concentration(drug)
    cp1 = f"({p1} * {k}_v1ref / {k}_v2)"  # the V2 compartment's own concentration
    cp2 = f"({p2} * {k}_v1ref / {k}_v3)"
    vmtr = driver_parameter_id(drug, "transport_max")
    processes = [
        Process(
            id=f"{k}_release",
            expression=f"{k}_krel * {depot}",
            stoichiometry={depot: -1, c: 1},
            description="the infusion runs in (first order, mean half its duration)",
        ),
        Process(
            id=f"{k}_elimination",
            expression=f"{driver_vmax_id(drug)} / {k}_v1ref * {cc} / ({k}_kmel + {cc})",
            stoichiometry={c: -1},
            description="saturable (Michaelis-Menten) elimination",
        ),
        Process(
            id=f"{k}_transport",
            expression=(
                f"{vmtr} / {k}_v1ref * ({cc} / ({k}_kmtr + {cc}) - {cp1} / ({k}_kmtr + {cp1}))"
            ),
            stoichiometry={c: -1, p1: 1},
            description="saturable transport between plasma and V2 (net, either way)",
        ),
        Process(
            id=f"{k}_exchange",
            expression=f"{k}_q / {k}_v1ref * ({cc} - {cp2})",
            stoichiometry={c: -1, p2: 1},
            description="linear exchange between plasma and V3 (net, either way)",
        ),
    ]
    return species, params, processes


def neutropenia_parts(
    drugs: Sequence[Drug], compartment: str, conc_ids: dict[str, str]
) -> tuple[list[Species], list[Parameter], list[Process], list[Observable]]:
    """Species, parameters, processes and observables of the Friberg chain for ``drugs``; a drug
    whose slope was fitted on another PK drives it with that PK's concentration."""
    chosen = myelosuppressive(drugs)
    if not chosen:
        return [], [], [], []
    prov = CitationProvenance(kind="citation", text=_SYSTEM_SOURCE)
    params = [
        Parameter(id=pid, name=name, value=v, unit=u, range=(v / 2, v * 2), provenance=prov)
        for pid, v, u, name in SYSTEM
    ]
    driver_species: list[Species] = []
    driver_processes: list[Process] = []
    effect_terms = []
    for d in chosen:
        assert d.myelosuppression is not None
        conc = conc_ids[d.id]
        if d.myelosuppression.pk is not None:
            d_sp, d_par, d_pr = driver_pk_parts(d, compartment)
            driver_species += d_sp
            params += d_par
            driver_processes += d_pr
            conc = driver_concentration(d)
        pid = f"anc_slope_{d.key}"
        params.append(
            Parameter(
                id=pid,
                name=f"{d.id} neutropenia slope",
                value=d.myelosuppression.slope_l_per_mg(),
                unit="L/mg",
                range=None,
                provenance=CitationProvenance(kind="citation", text=d.myelosuppression.source),
            )
        )
        effect_terms.append(f"{pid} * {conc}")
    stages = ["anc_prol", "anc_t1", "anc_t2", "anc_t3", ANC]
    species = [
        Species(
            id=s,
            name="circulating neutrophils (ANC)" if s == ANC else f"neutrophil precursors {s}",
            unit=ANC_UNIT,
            compartment=compartment,
            initial=SYSTEM[0][1],
            initial_expression="anc_base",  # the steady state: a patient's own baseline
            description="Friberg 2002 myelosuppression chain (therapy.toxicity)",
        )
        for s in stages
    ]
    ktr = "(4 / anc_mtt)"
    feedback = f"(anc_base / max({ANC}, 1e-3)) ** anc_gamma"
    effect = " + ".join(effect_terms)
    processes = [
        Process(
            id="anc_proliferation",
            expression=f"{ktr} * anc_prol * {feedback}",
            stoichiometry={"anc_prol": 1},
            description="self-renewal of neutrophil precursors with feedback from the ANC",
        ),
        Process(
            id="anc_drug_kill",
            expression=f"{ktr} * anc_prol * {feedback} * ({effect})",
            stoichiometry={"anc_prol": -1},
            description="chemotherapy inhibits precursor proliferation (linear in concentration)",
        ),
    ]
    processes += _transits(stages, ktr, "anc_transit", "maturation transit")
    processes.append(
        Process(
            id="anc_elimination",
            expression=f"{ktr} * {ANC}",
            stoichiometry={ANC: -1},
            description="circulating neutrophils leave the blood",
        )
    )
    obs = [
        Observable(
            id="tox_anc",
            name="absolute neutrophil count (cells/uL; 1000 = 1.0e9/L)",
            unit=ANC_UNIT,
            expression=ANC,
            description="Friberg 2002 chain driven by the myelosuppressive drugs of the regimen",
        )
    ]
    return [*species, *driver_species], params, [*processes, *driver_processes], obs


PLATELETS = "plt"
PLT_OBS = "tox_platelets"
_PLT_SYSTEM_SOURCE = (
    "Guo C et al. CPT Pharmacometrics Syst Pharmacol 2023;12:1619-25, Table 1 (PF-06939999, 28 "
    "patients with solid tumours; Friberg LE et al. J Clin Oncol 2002;20:4713-21 structure), as "
    "encoded in nlmixr2lib Guo_2022_PF_06939999: baseline platelets 232e9/L, MTT 134 h, "
    "feedback gamma 0.217"
)
#: (id, value, unit, meaning) of the drug-independent platelet marrow chain (Guo 2023)
PLT_SYSTEM: tuple[tuple[str, float, str, str], ...] = (
    ("plt_base", 232_000.0, ANC_UNIT, "baseline platelet count"),
    ("plt_mtt", 134.0 / 24.0, "day", "mean transit time from megakaryocyte precursor to blood"),
    ("plt_gamma", 0.217, "1", "feedback exponent of (PLT0 / PLT) on precursor proliferation"),
)
PLT_LIFE = 216.0 / 24.0  # days: measured 111In platelet survival, 216 +- 17 h (Heyns 1980)
PLT_AGES = 4  # circulating age compartments; the drug kills all but the youngest
#: CTCAE v5 platelet count decreased: lower bounds (10^9/L) of grades 1-4 (grade 1 below the
#: lower limit of normal, taken as 150)
CTCAE_PLT = ((4, 25.0), (3, 50.0), (2, 75.0), (1, 150.0))
#: Guo 2023's between-patient spread of the platelet chain (its marrow is the chain's); no
#: spread of navitoclax's own platelet kill was read, so the drug term carries none
PLT_SPREAD = MarrowSpread(
    sigmas=(("plt_base", lognormal_sigma(0.283)), ("plt_gamma", lognormal_sigma(0.469))),
    slope_prefix="plt_kill_",
    slope_sigma=0.0,
    age_factor=1.0,
    age_cut=65.0,
    source=(
        "Guo C et al. CPT Pharmacometrics Syst Pharmacol 2023;12:1619-25, Table 1 (as encoded in "
        "nlmixr2lib Guo_2022_PF_06939999): interindividual variability of baseline platelets "
        "28.3 % and of the feedback gamma 46.9 % (CV, log-normal: omega^2 = ln(1 + CV^2)); the "
        "PF-06939999 slope's own spread (52.2 %) belongs to that drug, not to navitoclax; "
        "residual error of a measured platelet count 0.153 (log scale, sqrt of sigma^2 0.0235)"
    ),
    residual_sigma=0.153,
)


def platelet_grade(count: float) -> int:
    """CTCAE grade of a platelet count in 10^9/L (0 = none)."""
    return _ctcae(count, CTCAE_PLT)


def thrombocytopenic(drugs: Sequence[Drug]) -> tuple[Drug, ...]:
    """The drugs with a platelet-kill model."""
    return tuple(d for d in drugs if d.platelet_kill is not None)


def thrombocytopenia_parts(
    drugs: Sequence[Drug], compartment: str, conc_ids: dict[str, str]
) -> tuple[list[Species], list[Parameter], list[Process], list[Observable]]:
    """Species, parameters, processes and observables of the platelet chain for ``drugs``.

    The marrow is a Friberg chain (proliferating precursors, three transits; Guo 2023's system
    parameters); circulating platelets age through ``PLT_AGES`` compartments over their measured
    216 h lifespan, so their survival is nearly linear as measured, not exponential as in the
    Friberg chain's own circulating compartment (whose residence, MTT / 4 = 33 h, fits drugs
    acting in the marrow, not one killing platelets in the blood). The drug kills the older
    platelets (all but the youngest age compartment: reticulated young platelets resist
    BCL-xL inhibition, Vogler 2011), at ``slope x C``; that puts the nadir on days 3-5 as
    measured, where a kill of every platelet puts it on days 7-11 (docs/quantitative-sources
    navitoclax_platelet_drops).
    """
    chosen = thrombocytopenic(drugs)
    if not chosen:
        return [], [], [], []
    prov = CitationProvenance(kind="citation", text=_PLT_SYSTEM_SOURCE)
    params = [
        Parameter(id=pid, name=name, value=v, unit=u, range=(v / 2, v * 2), provenance=prov)
        for pid, v, u, name in PLT_SYSTEM
    ]
    params.append(
        Parameter(
            id="plt_life",
            name="lifespan of circulating platelets",
            value=PLT_LIFE,
            unit="day",
            range=(6.9, 10.0),
            provenance=MeasuredProvenance(
                kind="measured",
                value="216 +- 17",
                unit="h (111In-labelled autologous platelets, linear survival)",
                species="human (6 normal subjects)",
                source=(
                    "Heyns AduP et al. Br J Haematol 1980;44:269 (quantitative-sources "
                    "platelet_lifespan_heyns1980)"
                ),
                conversion=(
                    "216 h / 24 = 9.0 days. Range 6.9-10 days: 51Cr mean life span 6.9 d "
                    "(Kutti 1975) to 'about 9 to 10 days' (Harker 1977)"
                ),
            ),
        )
    )
    kill_terms = []
    for d in chosen:
        assert d.platelet_kill is not None
        pk = d.platelet_kill
        pid = f"plt_kill_{d.key}"
        params.append(
            Parameter(
                id=pid,
                name=f"{d.id} kill of circulating platelets per plasma concentration",
                value=pk.slope_l_per_mg_day(),
                unit="L/mg/day",
                range=None,
                provenance=CalibratedProvenance(
                    kind="calibrated",
                    dataset=pk.dataset,
                    fit=pk.fit,
                    interval=pk.interval_l_per_mg_day(),
                    identifiable=True,
                ),
            )
        )
        kill_terms.append(f"{pid} * {conc_ids[d.id]}")
    marrow = ["plt_prol", "plt_t1", "plt_t2", "plt_t3"]
    blood = [f"{PLATELETS}_c{i}" for i in range(1, PLT_AGES + 1)]
    # steady state: each marrow stage holds base x MTT / (4 x life), each age a quarter of base
    # (as expressions, so a patient's own plt_base / plt_mtt / plt_life start it at its own)
    marrow0 = PLT_SYSTEM[0][1] * PLT_SYSTEM[1][1] / (4 * PLT_LIFE)
    marrow_expr = "plt_base * plt_mtt / (4 * plt_life)"
    age_expr = f"plt_base / {PLT_AGES}"
    species = [
        Species(
            id=s,
            name=f"platelet precursors {s}",
            unit=ANC_UNIT,
            compartment=compartment,
            initial=marrow0,
            initial_expression=marrow_expr,
            description="Friberg marrow chain of the platelet model (therapy.toxicity)",
        )
        for s in marrow
    ] + [
        Species(
            id=s,
            name=f"circulating platelets, age class {i} of {PLT_AGES}",
            unit=ANC_UNIT,
            compartment=compartment,
            initial=PLT_SYSTEM[0][1] / PLT_AGES,
            initial_expression=age_expr,
            description="circulating platelets by age over their lifespan (therapy.toxicity)",
        )
        for i, s in enumerate(blood, start=1)
    ]
    total = "(" + " + ".join(blood) + ")"
    ktr = "(4 / plt_mtt)"
    kage = f"({PLT_AGES} / plt_life)"
    feedback = f"(plt_base / max({total}, 1e-3)) ** plt_gamma"
    processes = [
        Process(
            id="plt_proliferation",
            expression=f"{ktr} * plt_prol * {feedback}",
            stoichiometry={"plt_prol": 1},
            description="self-renewal of platelet precursors with feedback from the count",
        )
    ]
    processes += _transits(marrow, ktr, "plt_transit", "megakaryocyte maturation transit")
    processes.append(
        Process(
            id="plt_release",
            expression=f"{ktr} * plt_t3",
            stoichiometry={"plt_t3": -1, blood[0]: 1},
            description="platelets released into the blood",
        )
    )
    processes += _transits(blood, kage, "plt_ageing", "circulating platelets age")
    processes.append(
        Process(
            id="plt_senescence",
            expression=f"{kage} * {blood[-1]}",
            stoichiometry={blood[-1]: -1},
            description="platelets cleared at the end of their lifespan",
        )
    )
    kill = " + ".join(kill_terms)
    for s in blood[1:]:
        processes.append(
            Process(
                id=f"plt_drug_kill_{s}",
                expression=f"({kill}) * {s}",
                stoichiometry={s: -1},
                description="drug-induced apoptosis of older circulating platelets "
                "(BCL-xL inhibition)",
            )
        )
    obs = [
        Observable(
            id=PLT_OBS,
            name="platelet count (cells/uL; 1000 = 1.0e9/L)",
            unit=ANC_UNIT,
            expression=total,
            description="platelet chain driven by the regimen's platelet-killing drugs",
        )
    ]
    return species, params, processes, obs


HOST_SEN = "host_sen_share"
#: what a QSP model must have for the host pool: the senolytic apoptosis rate of a senescent cell
#: and the removal rate of senescent cells (model/qsp.yaml)
_HOST_NEEDS = ("apoptosis", "k_rem")
_HOST_SHARE = 0.005  # p16-positive share of normal human lung cells (Idda 2020)


def senolysis_damage_parts(
    spec: ModelSpec, drugs: Sequence[Drug], compartment: str
) -> tuple[list[Species], list[Parameter], list[Process], str]:
    """Host senescent pool and the tissue-damage expression (1/day) for a QSP model.

    Only when a drug of the regimen raises the senolysis proxy (``Drug.toxicities``) and the
    model has the senolytic apoptosis rate and the senescent-cell removal rate; otherwise no parts
    and ``"0"``. The pool starts at the measured share and is refilled at ``k_rem x share0`` (the
    influx that holds it there untreated), so repeated courses deplete it and a drug holiday lets
    it recover: the damage falls as the host's senescent cells are used up.
    """
    present = {*spec.observable_ids, *spec.parameter_ids}
    if not all(n in present for n in _HOST_NEEDS) or not any(
        SENOLYSIS_DAMAGE in d.toxicities() for d in drugs
    ):
        return [], [], [], "0"
    share = Parameter(
        id="host_sen_share0",
        name="share of the host tissue's cells that are senescent, untreated",
        value=_HOST_SHARE,
        unit="1",
        range=(0.0003, 0.04),
        provenance=MeasuredProvenance(
            kind="measured",
            value="~0.5",
            unit="% of cells p16-positive (IHC)",
            species="human (normal lung, donors 13 to > 65 y)",
            source=(
                "quantitative-sources lung_p16_share_idda_notes (Idda ML et al. Aging 2020;"
                "12:4052): the same ~0.5 % in young, middle-aged and old lung"
            ),
            conversion=(
                "0.5 % = 0.005. Range 0.0003-0.04: the other organs of the same study, from "
                "young kidney (~0.03 %) to old skin epidermis (~4 %); old endocrine pancreas "
                "(~35 %) is left out as one islet cell type, not a tissue"
            ),
        ),
    )
    pool = Species(
        id=HOST_SEN,
        name="share of the host tissue's cells that are senescent",
        unit="1",
        compartment=compartment,
        initial=_HOST_SHARE,
        initial_expression=share.id,  # the untreated steady state of the pool
        description=(
            "the host's own senescent cells outside the lesion, as a share of its tissue cells; "
            "they meet the drug's senolytic apoptosis rate as the lesion's do (assumed: the "
            "dependence on BCL-xL/PI3K survival is that of therapy-induced senescent cells) "
            "and turn over at the senescent-cell removal rate k_rem (therapy.toxicity)"
        ),
    )
    note = (
        "assumed: the untreated host tissue turns its senescent cells over at k_rem, the "
        "senescent-cell removal rate measured in aged (25 d half-life) or young (5 d) mouse lung "
        "(Karin 2019), without the lesion's SASP boost, saturation and MDSC brake"
    )
    processes = [
        Process(
            id="host_sen_formation",
            expression="k_rem * host_sen_share0",
            stoichiometry={HOST_SEN: 1},
            description="new senescent cells in host tissue: the influx that holds the share "
            "at its measured value untreated; " + note,
        ),
        Process(
            id="host_sen_removal",
            expression=f"k_rem * {HOST_SEN}",
            stoichiometry={HOST_SEN: -1},
            description="innate removal of the host's senescent cells; " + note,
        ),
        Process(
            id="host_senolysis",
            expression=f"apoptosis * {HOST_SEN}",
            stoichiometry={HOST_SEN: -1},
            description="senolytic apoptosis of the host's senescent cells ("
            + SENOLYSIS_SOURCE
            + ")",
        ),
    ]
    return [pool], [share], processes, f"apoptosis * {HOST_SEN}"


# ---- the chains as a trial reads them ------------------------------------------------------
#: seed-sequence tag of a patient's blood-count draws: a stream of their own, so that adding
#: them moved no other draw of the patients; the same patient has the same marrow in every arm
MARROW_STREAM = 0xB100D


@dataclass(frozen=True)
class BloodChain:
    """A blood-count chain as trials and dose rules read it: the parameter that marks it in a
    therapy model, its between-patient spread, its observable, grading, record prefix, the
    count's name in words and which drugs lower it."""

    name: str  # "neutropenia", "thrombocytopenia": the comparison's endpoint word
    marker: str
    spread: MarrowSpread
    observable: str
    grade: Callable[[float], int]
    prefix: str  # record fields PREFIX_nadir (10^9/L), PREFIX_grade
    label: str  # the count in a message: "ANC", "platelets"
    lowers: Callable[[Drug], bool]
    ctcae: tuple[tuple[int, float], ...]  # (grade, the count in 10^9/L below which it holds)

    def bound(self, grade: int) -> float:
        """The count (10^9/L) below which the CTCAE grade is at least ``grade``."""
        return dict(self.ctcae)[grade]


#: the chains in their stream order (index 0 keeps the stream the ANC read first drew from)
CHAINS = (
    BloodChain(
        "neutropenia",
        "anc_base",
        ANC_SPREAD,
        "tox_anc",
        grade,
        "anc",
        "ANC",
        lambda d: d.myelosuppression is not None,
        CTCAE_ANC,
    ),
    BloodChain(
        "thrombocytopenia",
        "plt_base",
        PLT_SPREAD,
        PLT_OBS,
        platelet_grade,
        "plt",
        "platelets",
        lambda d: d.platelet_kill is not None,
        CTCAE_PLT,
    ),
)


def patient_marrow(
    defaults: Mapping[str, float],
    chain: int,
    age: float,
    seed: int,
    patient: int,
    floor: float = 0.0,
) -> dict[str, float]:
    """One patient's parameters of blood-count chain ``chain`` (an index into :data:`CHAINS`):
    each of its spread's log-normal SDs around the model value (``defaults``), and its drug
    slopes (every parameter named with the spread's slope prefix) times the age factor from the
    spread's age on (an unknown age, NaN, takes none); drawn from the patient's own stream
    (seed, patient index, chain). A draw whose baseline count is below ``floor`` (10^9/L: a
    trial's eligibility) is drawn again from the same stream, so an eligible first draw is
    the draw without a floor."""
    c = CHAINS[chain]
    s = c.spread
    key = [seed, patient, MARROW_STREAM] + ([chain] if chain else [])
    rng = np.random.default_rng(key)
    for _ in range(_MAX_REDRAWS):
        z = rng.standard_normal(len(s.sigmas) + 1)
        out = {
            pid: defaults[pid] * math.exp(sigma * z[i]) for i, (pid, sigma) in enumerate(s.sigmas)
        }
        if count_1e9_per_l(out.get(c.marker, defaults[c.marker])) >= floor:
            break
    else:
        raise ValidationError(
            f"no {c.name} baseline of patient {patient} reached the eligibility floor {floor:g} "
            f"x 10^9/L in {_MAX_REDRAWS} draws (typical {count_1e9_per_l(defaults[c.marker]):g})"
        )
    factor = math.exp(s.slope_sigma * z[-1]) * (s.age_factor if age >= s.age_cut else 1.0)
    out |= {k: v * factor for k, v in defaults.items() if k.startswith(s.slope_prefix)}
    return out


#: draws of an ineligible marrow before giving up (one in a thousand patients needs a second)
_MAX_REDRAWS = 100


#: spawn-key tag of a patient's laboratory noise (a stream apart from every other draw)
LAB_STREAM = 0x1AB


def lab_factor(seed: int, patient: int, chain: int, day: float) -> float:
    """The factor between the laboratory value of blood-count chain ``chain`` (an index into
    :data:`CHAINS`) drawn on ``day`` and the model's count: exp(residual SD x z), z from the
    patient's own stream keyed by the day (to the hour), so every arm and every read of the
    patient meets the same value on the same day; 1 for a chain without a residual."""
    sigma = CHAINS[chain].spread.residual_sigma
    if sigma == 0.0:
        return 1.0
    key = [seed, patient, LAB_STREAM, chain, round(day * 24)]
    return math.exp(sigma * float(np.random.default_rng(key).standard_normal()))


def patient_marrows(
    spec: ModelSpec,
    age: float,
    seed: int,
    patient: int,
    floors: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """One patient's parameters of every blood-count chain ``spec`` carries
    (:func:`patient_marrow`), each baseline at least its chain's ``floors`` entry (by prefix,
    10^9/L)."""
    defaults = {p.id: p.value for p in spec.parameters}
    floors = floors or {}
    out: dict[str, float] = {}
    for i, chain in enumerate(CHAINS):
        if chain.marker in defaults:
            out |= patient_marrow(defaults, i, age, seed, patient, floors.get(chain.prefix, 0.0))
    return out


def nadirs_on_treatment(table: Mapping[str, Any], until: float) -> dict[str, float]:
    """Per chain, the count's nadir (10^9/L) and its CTCAE grade from day 0 to ``until``
    (NaN: to the end) in a run's columns; NaN for a chain the run does not carry."""
    t = np.asarray(table["time"], dtype=float)
    on = t <= (until + 1e-9 if math.isfinite(until) else math.inf)
    out: dict[str, float] = {}
    for chain in CHAINS:
        nadir = math.nan
        if chain.observable in table:
            nadir = float(count_1e9_per_l(np.asarray(table[chain.observable])[on].min()))
        out[f"{chain.prefix}_nadir"] = nadir
        out[f"{chain.prefix}_grade"] = math.nan if math.isnan(nadir) else chain.grade(nadir)
    return out


#: a dose-limiting blood count, per chain prefix: (CTCAE grade, days it must last beyond; 0: any)
DLT_BLOOD: Mapping[str, tuple[int, float]] = {"anc": (4, 7.0), "plt": (4, 0.0)}
DLT_SHARE = 1.0 / 3.0  # a dose level with dose-limiting toxicity in >= 1/3 of patients is too toxic
DLT_SOURCE = (
    "grade-4 neutropenia (ANC < 0.5e9/L) lasting more than 7 days, or grade-4 thrombocytopenia "
    "(< 25e9/L): the usual haematological dose-limiting toxicities of phase-I protocols "
    "(assumed: the definitions vary, e.g. > 5 days in an EZN-2208 phase I report, Cancer "
    "Chemother Pharmacol 2013;71(6), Table 1; the 7 days are the nab-paclitaxel label's "
    "reduction trigger), read on the model's count (no laboratory noise); a dose level is too "
    "toxic when at least a third of its patients have one (the 3+3 design: Le Tourneau C, Lee "
    "JJ, Siu LL. J Natl Cancer Inst 2009;101:708-20); quantitative-sources "
    "dose_limiting_blood_counts"
)


def dose_limiting(table: Mapping[str, Any]) -> bool | None:
    """Whether a run's blood counts reach a dose-limiting toxicity (:data:`DLT_BLOOD`): the
    count below its grade's bound at any sample (rule days 0) or for longer than the rule's
    days (each sample below lasting until the next); None when the run carries no count."""
    t = np.asarray(table["time"], dtype=float)
    found: bool | None = None
    for chain in CHAINS:
        if chain.observable not in table or chain.prefix not in DLT_BLOOD:
            continue
        level, days = DLT_BLOOD[chain.prefix]
        count = count_1e9_per_l(np.asarray(table[chain.observable], dtype=float))
        below = count < chain.bound(level)
        hit = bool(below.any()) if days <= 0 else bool(_longest(t, below) > days)
        found = bool(found) or hit
    return found


def _longest(t: np.ndarray, below: np.ndarray) -> float:
    """The longest time ``below`` holds without a break, each true sample lasting until the next
    sample (the last one: zero)."""
    step = np.diff(t, append=t[-1])
    best = run = 0.0
    for flag, dt in zip(below, step, strict=True):
        run = run + dt if flag else 0.0
        best = max(best, run)
    return best
