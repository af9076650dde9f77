"""Contexts of the TME model: tissue, host age and senescence inducer, as parameter overrides.

A context is data: parameter and initial-state overrides with a provenance line. The three kinds
touch disjoint parameter sets, so a run's context is the union of one tissue, one age and one
inducer (:func:`compose`). Values are anchored where the review or an outside source gives them
(NK-rich lung vs NK-poor pancreas, review section 5 ref 97; CDK4/6-inhibitor senescence without
an NF-kB SASP, ref 76; slower senescent-cell removal with age, Karin et al. 2019) and marked as
assumed otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from senotwin._errors import ValidationError
from senotwin._suggest import did_you_mean

Kind = Literal["tissue", "age", "inducer"]


def _frozen(data: Mapping[str, float] | None = None) -> Mapping[str, float]:
    return MappingProxyType(dict(data or {}))


@dataclass(frozen=True)
class ModelContext:
    """A named set of overrides of one kind, with the source of its values."""

    name: str
    kind: Kind
    description: str
    source: str
    params: Mapping[str, float] = field(default_factory=_frozen)
    initial: Mapping[str, float] = field(default_factory=_frozen)


def _ctx(
    name: str,
    kind: Kind,
    description: str,
    source: str,
    params: Mapping[str, float] | None = None,
    initial: Mapping[str, float] | None = None,
) -> ModelContext:
    return ModelContext(name, kind, description, source, _frozen(params), _frozen(initial))


_DT_NOTE = (
    "intrinsic growth rate ~3x the net rate implied by clinical volume-doubling times "
    "(order of magnitude; assumed, calibrate per cohort)"
)

TISSUES: Mapping[str, ModelContext] = MappingProxyType(
    {
        c.name: c
        for c in (
            _ctx(
                "lung",
                "tissue",
                "lung (NSCLC): NK-rich tissue, volume doubling ~3-6 months",
                "review 5 ref 97 (lungs rich in NK cells); Detterbeck & Gibson 2008 J Thorac "
                "Oncol 3:781 (NSCLC doubling times)",
                {"nk_tissue": 1.3, "r_T": 0.02, "F0": 0.5},
            ),
            _ctx(
                "pancreas",
                "tissue",
                "pancreas (PDAC): NK-poor, desmoplastic stroma, fast growth",
                "review 5 ref 97 (pancreas has fewer NK cells); dense stroma and growth "
                "rate assumed",
                {"nk_tissue": 0.3, "r_T": 0.025, "F0": 1.5},
            ),
            _ctx(
                "liver",
                "tissue",
                "liver (HCC): NK-rich, CCL2/CCR2 myeloid surveillance context",
                "review 3.1.2 ref 34 (NrasG12V hepatocytes, CCL2/CCR2 myeloid cells); "
                "Sheu et al. 1985 Gastroenterology 89:259 (HCC doubling ~4 months); "
                "NK abundance assumed",
                {"nk_tissue": 1.2, "r_T": 0.02, "F0": 0.5},
            ),
            _ctx(
                "breast",
                "tissue",
                "breast: intermediate NK, slow growth",
                _DT_NOTE,
                {"nk_tissue": 0.8, "r_T": 0.015, "F0": 0.8},
            ),
            _ctx(
                "colon",
                "tissue",
                "colon: intermediate NK",
                _DT_NOTE,
                {"nk_tissue": 0.7, "r_T": 0.02, "F0": 0.6},
            ),
            _ctx(
                "prostate",
                "tissue",
                "prostate: NK-poor, very slow growth",
                _DT_NOTE,
                {"nk_tissue": 0.6, "r_T": 0.008, "F0": 0.8},
            ),
            _ctx(
                "melanoma",
                "tissue",
                "melanoma: fast growth, sparse stroma",
                _DT_NOTE,
                {"nk_tissue": 1.0, "r_T": 0.035, "F0": 0.3},
            ),
            _ctx(
                "ovary",
                "tissue",
                "ovary: intermediate NK, fast growth",
                _DT_NOTE,
                {"nk_tissue": 0.8, "r_T": 0.025, "F0": 0.6},
            ),
        )
    }
)

AGES: Mapping[str, ModelContext] = MappingProxyType(
    {
        "young": _ctx(
            "young",
            "age",
            "young host: the model's reference immune function",
            "model defaults (young = 1 for every age factor)",
        ),
        "aged": _ctx(
            "aged",
            "age",
            "aged host: immunosenescence (weaker NK/T, fewer naive T, more MDSC/Treg/TAN), more "
            "ROS, baseline senescent stroma and slower senescent-cell removal",
            "review Fig. 1 and 2.1.1 (refs 9, 23, 31-33, 37-38, 42-43, 47-48, 56-57); Karin et "
            "al. 2019 Nat Commun 10:5495 (removal ~5x slower in old mice); magnitudes assumed",
            {
                "nk_func_age": 0.7,
                "t_func_age": 0.75,
                "t_supply_age": 0.6,
                "mdsc_age": 1.5,
                "treg_age": 1.3,
                "tan_age": 1.3,
                "clear_age": 0.5,
                "rs_stroma": 0.005,
                "ros_age": 1.0,
            },
            {"Sfe": 0.01, "Sfl": 0.03, "Sfd": 0.01},
        ),
    }
)

INDUCERS: Mapping[str, ModelContext] = MappingProxyType(
    {
        c.name: c
        for c in (
            _ctx(
                "none",
                "inducer",
                "no senescence inducer (untreated)",
                "control condition",
                {"stress_src": 0.0},
                {"stress": 0.0},
            ),
            _ctx(
                "tis_dna_damage",
                "inducer",
                "therapy-induced senescence by a DNA-damaging course (chemotherapy or "
                "radiotherapy): cytotoxic plus senescence, strong DDR, cytoplasmic DNA, RPN1",
                "review 2 (ref 21), 2.1.2 (refs 70, 74-75), 2.2 (ref 76), 3.1.1 (refs 111-112)",
                {
                    "stress_src": 0.0,
                    "k_cyto": 0.08,
                    "ddr_level": 1.0,
                    "nfkb_competence": 1.0,
                    "dna_release": 0.5,
                    "tis_rpn1": 1.0,
                    "tumour_exposure": 1.0,
                    "stroma_exposure": 0.3,
                    "k_ois": 0.0,
                    "ras_mtor": 0.0,
                },
                {"stress": 1.0},
            ),
            _ctx(
                "tis_cdk46i",
                "inducer",
                "therapy-induced senescence by a CDK4/6 inhibitor: cytostatic, no NF-kB SASP",
                "review 2.2 ref 76: CDK4/6 inhibitors do not activate NF-kB target genes; "
                "Table 1 (ref 160); residual values assumed",
                {
                    "stress_src": 0.0,
                    "k_cyto": 0.0,
                    "ddr_level": 0.2,
                    "nfkb_competence": 0.05,
                    "dna_release": 0.05,
                    "tis_rpn1": 0.0,
                    "tumour_exposure": 1.0,
                    "stroma_exposure": 0.1,
                    "k_ois": 0.0,
                    "ras_mtor": 0.0,
                },
                {"stress": 1.0},
            ),
            _ctx(
                "rs",
                "inducer",
                "replicative senescence: persistent telomere/replication stress, mostly in "
                "stroma (tumour cells keep telomerase)",
                "review 2 ref 20; magnitudes assumed",
                {
                    "stress_src": 0.05,
                    "k_cyto": 0.0,
                    "ddr_level": 0.6,
                    "nfkb_competence": 1.0,
                    "dna_release": 0.2,
                    "tis_rpn1": 0.0,
                    "tumour_exposure": 0.1,
                    "stroma_exposure": 1.0,
                    "k_ois": 0.0,
                    "ras_mtor": 0.0,
                },
                {"stress": 0.0},
            ),
            _ctx(
                "ois",
                "inducer",
                "oncogene-induced senescence (RAS/MYC): tumour-intrinsic, RAS boosts mTOR, "
                "oncogenic stress releases cytoplasmic DNA",
                "review 2 ref 22, 3.1.1 refs 100-102, 111-112; magnitudes assumed",
                {
                    "stress_src": 0.035,
                    "k_cyto": 0.0,
                    "ddr_level": 0.8,
                    "nfkb_competence": 1.0,
                    "dna_release": 0.5,
                    "tis_rpn1": 0.0,
                    "tumour_exposure": 0.0,
                    "stroma_exposure": 0.0,
                    "k_ois": 0.01,
                    "ras_mtor": 1.0,
                },
                {"stress": 0.0},
            ),
        )
    }
)

_BY_KIND: Mapping[Kind, Mapping[str, ModelContext]] = MappingProxyType(
    {"tissue": TISSUES, "age": AGES, "inducer": INDUCERS}
)


def get_context(kind: Kind, name: str) -> ModelContext:
    """The context ``name`` of ``kind``; unknown names list the known ones."""
    table = _BY_KIND.get(kind)
    if table is None:
        raise ValidationError(f"unknown context kind {kind!r}; use tissue, age or inducer")
    if name not in table:
        hint = did_you_mean(name, table)
        raise ValidationError(f"unknown {kind} {name!r}{hint} (known: {', '.join(table)})")
    return table[name]


@dataclass(frozen=True)
class Composition:
    """Parameter and initial overrides of one tissue + age + inducer."""

    tissue: str
    age: str
    inducer: str
    params: Mapping[str, float]
    initial: Mapping[str, float]


def compose(
    *, tissue: str = "lung", age: str = "aged", inducer: str = "tis_dna_damage"
) -> Composition:
    """Union of a tissue, an age and an inducer context (their parameter sets are disjoint)."""
    parts = (
        get_context("tissue", tissue),
        get_context("age", age),
        get_context("inducer", inducer),
    )
    params: dict[str, float] = {}
    initial: dict[str, float] = {}
    for part in parts:
        clash = set(params) & set(part.params)
        if clash:
            raise ValidationError(
                f"context {part.name!r} overrides {sorted(clash)} already set by another context"
            )
        params.update(part.params)
        initial.update(part.initial)
    return Composition(tissue, age, inducer, _frozen(params), _frozen(initial))
