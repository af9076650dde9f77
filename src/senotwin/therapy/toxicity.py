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
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from senotwin.model.spec import CitationProvenance, Observable, Parameter, Process, Species
from senotwin.therapy.drugs import Drug

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
