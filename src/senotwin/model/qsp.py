"""The TME model in physical units (``qsp.yaml``, issue 11) and its named scenarios.

The default model (the relative-units ``tme.yaml`` stays as the legacy model): cells as cell
numbers, cytokines as concentrations, tumour / blood / lymph-node compartments, PD-1/PD-L1 as
synapse complexes. ``load_qsp()`` returns the validated spec. Contexts (tissue growth rates from
cited doubling times, host age, inducer) are parameter and initial-state overrides; the scenario
registry (:mod:`senotwin.model.scenarios`) registers these scenarios, under the unprefixed names
(``default``, ``acute_young``, ``chronic_aged``, ``<age>_<tissue>_<inducer>``), on first use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from senotwin._errors import ValidationError
from senotwin.model.io import load_spec
from senotwin.model.scenarios import Scenario
from senotwin.model.spec import ModelSpec

QSP_DAYS = 365.0
#: what the physical-units model builds on (magnitudes carry their own provenance in qsp.yaml)
QSP_REFERENCE = (
    "Wang et al. 2025 Acta Pharm Sin B (mechanisms); Jafarnejad et al. 2019 AAPS J 21:79 and "
    "Wang et al. 2020 Front Bioeng Biotechnol 8:141 (QSP structure); parameter sources in qsp.yaml"
)
LETHAL_BURDEN_CELLS = 1.0e12  # order of magnitude (quantitative-sources lethal_burden_textbook)


def qsp_path() -> Path:
    """Path of the shipped model file (package data)."""
    return Path(str(resources.files("senotwin.model") / "qsp.yaml"))


@cache
def load_qsp() -> ModelSpec:
    """The physical-units TME ModelSpec (validated once per process)."""
    return load_spec(qsp_path())


@dataclass(frozen=True)
class Tissue:
    """A tumour tissue: proliferation rate from a cited doubling time, and the cited range."""

    name: str
    doubling_days: float  # the doubling time the proliferation rate is set from
    source: str  # entry of docs/quantitative-sources.yaml
    range_days: tuple[float, float]  # cited untreated doubling-time range (validation)
    range_source: str

    @property
    def k_grow(self) -> float:
        """Proliferation rate ln2 / doubling time (1/day)."""
        return math.log(2.0) / self.doubling_days


TISSUES: dict[str, Tissue] = {
    t.name: t
    for t in (
        Tissue(
            "lung",
            99.0,
            "qsp_growth_rate_nsclc",
            (98.0, 357.0),
            "nsclc_vdt_henschke (median 98 d) to nsclc_vdt_series_table (Wilson median 357 d)",
        ),
        Tissue(
            "breast",
            167.0,
            "breast_interval_tvdt",
            (80.0, 207.0),
            "qsp_growth_rate_tnbc (TNBC 80 d) to breast_diameter_doubling (population 207 d)",
        ),
        Tissue(
            "pancreas",
            86.0,
            "pdac_rdt_untreated",
            (86.0, 132.0),
            "pdac_rdt_untreated (median 86 d) to pdac_vdt_untreated (mean 132 d)",
        ),
        Tissue(
            "colorectal",
            86.0,
            "crc_liver_met_dt",
            (50.0, 155.0),
            "crc_intraabdominal_dt (50-95 d) and crc_liver_met_dt (86-155 d)",
        ),
        Tissue(
            "melanoma",
            33.0,
            "melanoma_dt",
            (33.0, 94.0),
            "melanoma_dt (metastases median 33 d to primary median 94 d)",
        ),
    )
}

# Host age: innate senescent-cell removal (Karin 2019: half-life 5 d young, 25 d old, read in
# third-party notes -- quantitative-sources karin_snc_halflife_young_old; k = ln2 / half-life),
# naive T-cell pool, baseline plasma IL-6 and IL-8 (il6_il8_elderly_vs_young), age-related
# senescence.
AGES: dict[str, dict[str, float]] = {
    "young": {"k_rem": 0.139, "naive_age": 1.0, "IL6_base": 2.17, "IL8_base": 2.65, "s_rs": 1.0e5},
    "aged": {"k_rem": 0.0277, "naive_age": 0.5, "IL6_base": 10.89, "IL8_base": 9.61, "s_rs": 1.0e6},
}

# Inducers (parameter overrides, initial overrides). Every magnitude is assumed (qsp.yaml says
# why for each parameter); what an inducer changes is the review's (section 2): one DNA-damaging
# chemotherapy course at day 0; a CDK4/6 inhibitor course (arrest without cytotoxic kill and
# without the NF-kB SASP, ref 76: IKK activity left at an assumed 5 %); oncogene-induced
# senescence (persistent tumour-intrinsic stress, no cytotoxic kill); persistent stromal
# (replicative / age-related) senescence, the chronic arm; or none.
INDUCERS: dict[str, tuple[dict[str, float], dict[str, float]]] = {
    "none": ({}, {}),
    "chemo": ({}, {"stress": 1.0}),
    "cdk46i": ({"k_cyto": 0.0, "ikk_level": 0.05}, {"stress": 1.0}),
    "ois": ({"stress_src": 0.01, "k_cyto": 0.0}, {}),
    "chronic": ({"s_rs": 3.0e7}, {}),
}
#: how an inducer appears in a scenario name (``<age>_<tissue>_<label>``)
INDUCER_LABELS: dict[str, str] = {"none": "untreated"}
INDUCER_TEXT: dict[str, str] = {
    "none": "no inducer",
    "chemo": "one DNA-damaging chemotherapy course",
    "cdk46i": "one CDK4/6-inhibitor course (senescence without the NF-kB SASP)",
    "ois": "oncogene-induced senescence (persistent tumour-intrinsic stress)",
    "chronic": "persistent stromal senescence",
}


def context(tissue: str = "lung", age: str = "aged", inducer: str = "chemo") -> Scenario:
    """Parameter and initial overrides of one tissue, host age and inducer, as a scenario named
    ``<age>_<tissue>_<inducer label>``."""
    for kind, name, known in (
        ("tissue", tissue, TISSUES),
        ("age", age, AGES),
        ("inducer", inducer, INDUCERS),
    ):
        if name not in known:
            raise ValidationError(f"unknown {kind} {name!r}; known: {', '.join(known)}")
    params = {"k_grow": TISSUES[tissue].k_grow} | AGES[age]
    extra, initial = INDUCERS[inducer]
    params |= extra
    return Scenario(
        f"{age}_{tissue}_{INDUCER_LABELS.get(inducer, inducer)}",
        f"{age} host, {tissue} tumour, {INDUCER_TEXT[inducer]}",
        load_qsp,
        MappingProxyType(params),
        MappingProxyType(dict(initial)),
        QSP_DAYS,
        reference=QSP_REFERENCE,
    )


def _named(name: str, description: str, **kw: str) -> Scenario:
    sc = context(**kw)
    return Scenario(
        name, description, sc.load, sc.params, sc.initial, sc.days, reference=sc.reference
    )


def qsp_scenarios() -> tuple[Scenario, ...]:
    """Every named scenario of the physical-units model (the default model: unprefixed names).

    Aged lung chemotherapy is ``default`` and young lung chemotherapy is ``acute_young`` (no
    second name for either). Tissues without a cited doubling time here (legacy liver, prostate,
    ovary) are left out.
    """
    out = [
        _named("default", "aged host, lung tumour, one chemotherapy course"),
        _named(
            "acute_young",
            "dual effect, acute arm: young host, lung tumour, one transient senescence pulse "
            "(chemotherapy course)",
            age="young",
        ),
        _named(
            "chronic_aged",
            "dual effect, chronic arm: aged host, lung tumour, persistent stromal senescence",
            inducer="chronic",
        ),
        context(age="young", inducer="none"),
        context(inducer="none"),
    ]
    no_sen = context(inducer="none")
    out.append(
        Scenario(
            "aged_lung_no_senescence",
            "aged host, lung tumour, senescence prevented (no inducer, no age-related stromal "
            "senescence): control for the chronic arm",
            no_sen.load,
            MappingProxyType(dict(no_sen.params) | {"s_rs": 0.0}),
            no_sen.initial,
            no_sen.days,
            reference=no_sen.reference,
        )
    )
    out += [context(inducer="cdk46i"), context(inducer="ois")]
    for tissue in TISSUES:
        if tissue != "lung":
            out.append(context(tissue=tissue))
            out.append(context(tissue=tissue, inducer="none"))
    return tuple(out)


#: names of the physical-units model's scenarios, in listing order
QSP_SCENARIOS: tuple[str, ...] = tuple(sc.name for sc in qsp_scenarios())
