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

Senolysis of the host's own senescent cells (review 4.2: removing the senescent cells of aged
tissue may harm it) is a host pool, the share ``h`` of the host tissue's cells that are senescent,
measured at baseline (~0.5 % of normal lung), turned over at the senescent-cell removal rate and
killed at the model's senolytic apoptosis rate; the proxy is the share of host tissue cells killed
per day, ``apoptosis x h`` (see ``senolysis_damage_parts``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from senotwin.model.spec import (
    CitationProvenance,
    MeasuredProvenance,
    ModelSpec,
    Observable,
    Parameter,
    Process,
    Species,
)
from senotwin.therapy.drugs import SENOLYSIS_DAMAGE, SENOLYSIS_SOURCE, Drug

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


def anc_1e9_per_l(values: Any) -> Any:
    """ANC from the model (cells/uL) in 10^9/L."""
    return values / PER_1E9_PER_L


def grade(anc: float) -> int:
    """CTCAE grade of an absolute neutrophil count in 10^9/L (0 = none; grade 1 below 2.0)."""
    for g, bound in CTCAE_ANC:
        if anc < bound:
            return g
    return 0


def myelosuppressive(drugs: Sequence[Drug]) -> tuple[Drug, ...]:
    """The drugs with a neutropenia model."""
    return tuple(d for d in drugs if d.myelosuppression is not None)


def neutropenia_parts(
    drugs: Sequence[Drug], compartment: str, conc_ids: dict[str, str]
) -> tuple[list[Species], list[Parameter], list[Process], list[Observable]]:
    """Species, parameters, processes and observables of the Friberg chain for ``drugs``."""
    chosen = myelosuppressive(drugs)
    if not chosen:
        return [], [], [], []
    prov = CitationProvenance(kind="citation", text=_SYSTEM_SOURCE)
    params = [
        Parameter(id=pid, name=name, value=v, unit=u, range=(v / 2, v * 2), provenance=prov)
        for pid, v, u, name in SYSTEM
    ]
    effect_terms = []
    for d in chosen:
        assert d.myelosuppression is not None
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
        effect_terms.append(f"{pid} * {conc_ids[d.id]}")
    stages = ["anc_prol", "anc_t1", "anc_t2", "anc_t3", ANC]
    species = [
        Species(
            id=s,
            name="circulating neutrophils (ANC)" if s == ANC else f"neutrophil precursors {s}",
            unit=ANC_UNIT,
            compartment=compartment,
            initial=4280.0,
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
    for a, b in itertools.pairwise(stages):
        processes.append(
            Process(
                id=f"anc_transit_{a}",
                expression=f"{ktr} * {a}",
                stoichiometry={a: -1, b: 1},
                description="maturation transit",
            )
        )
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
