"""The aging tumour-microenvironment model (``tme.yaml``) and its named scenarios.

``load_tme()`` returns the validated ModelSpec (cached: the spec is immutable). The scenario
registry (:mod:`senotwin.model.scenarios`) registers the TME scenarios on first use, each named
``legacy_<name>``: ``legacy_default`` (aged host, lung tumour, chemotherapy-induced senescence),
young/aged, every tissue, every inducer, the acute-versus-chronic pair and controls without
senescence. This relative-units model is kept for comparison; the default model is the
physical-units one (:mod:`senotwin.model.qsp`), whose scenarios carry the unprefixed names.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from senotwin.model.contexts import INDUCERS, TISSUES, compose, get_context
from senotwin.model.io import load_spec
from senotwin.model.scenarios import Scenario
from senotwin.model.spec import ModelSpec

TME_DAYS = 365.0
#: prefix of every scenario of the legacy model (the unprefixed names belong to the qsp model)
LEGACY_PREFIX = "legacy_"
#: what the TME model encodes (its mechanisms; magnitudes carry their own provenance)
TME_REFERENCE = (
    "Wang et al. 2025 Acta Pharm Sin B (review encoded by the senotwin TME model, tme.yaml)"
)


def tme_path() -> Path:
    """Path of the shipped model file (package data)."""
    return Path(str(resources.files("senotwin.model") / "tme.yaml"))


@cache
def load_tme() -> ModelSpec:
    """The TME ModelSpec (validated once per process)."""
    return load_spec(tme_path())


@dataclass(frozen=True)
class TmeScenario:
    """A TME scenario as data: contexts plus extra overrides (before registration)."""

    name: str
    description: str
    tissue: str = "lung"
    age: str = "aged"
    inducer: str = "tis_dna_damage"
    extra_params: tuple[tuple[str, float], ...] = ()
    extra_initial: tuple[tuple[str, float], ...] = ()
    days: float = TME_DAYS

    def to_scenario(self) -> Scenario:
        """Resolve contexts into a registry Scenario."""
        comp = compose(tissue=self.tissue, age=self.age, inducer=self.inducer)
        params = dict(comp.params) | dict(self.extra_params)
        initial = dict(comp.initial) | dict(self.extra_initial)
        sources = (
            f"tissue {self.tissue}: {get_context('tissue', self.tissue).source}; "
            f"age {self.age}: {get_context('age', self.age).source}; "
            f"inducer {self.inducer}: {get_context('inducer', self.inducer).source}"
        )
        return Scenario(
            self.name,
            f"legacy model: {self.description}",
            load_tme,
            MappingProxyType(params),
            MappingProxyType(initial),
            self.days,
            reference=f"{TME_REFERENCE}; contexts — {sources}",
        )


_NO_SENESCENCE = (("rs_stroma", 0.0), ("k_rs_T", 0.0))
_NO_SEN_INITIAL = (("Sfe", 0.0), ("Sfl", 0.0), ("Sfd", 0.0))
_CHRONIC = (("stress_src", 0.05), ("tumour_exposure", 0.1), ("stroma_exposure", 1.0))


def tme_scenarios() -> tuple[TmeScenario, ...]:
    """Every TME scenario (named ``legacy_<name>``), in listing order."""
    out = [
        TmeScenario(
            "default",
            "aged host, lung tumour, chemotherapy-induced (DNA-damage) senescence",
        ),
        TmeScenario("young_lung_chemo", "young host, lung tumour, chemotherapy", age="young"),
        TmeScenario("aged_lung_chemo", "aged host, lung tumour, chemotherapy"),
        TmeScenario(
            "young_lung_untreated",
            "young host, lung tumour, no inducer",
            age="young",
            inducer="none",
        ),
        TmeScenario(
            "aged_lung_untreated",
            "aged host, lung tumour, no inducer (baseline senescent stroma of age)",
            inducer="none",
        ),
        TmeScenario(
            "aged_lung_no_senescence",
            "aged host, lung tumour, senescence prevented (no inducer, no age-related stromal "
            "senescence): control for the chronic scenario",
            inducer="none",
            extra_params=_NO_SENESCENCE,
            extra_initial=_NO_SEN_INITIAL,
        ),
        TmeScenario(
            "acute_young",
            "dual effect, acute arm: young host, one transient DNA-damage senescence pulse",
            age="young",
        ),
        TmeScenario(
            "chronic_aged",
            "dual effect, chronic arm: aged host, persistent senescence induction (stroma-led)",
            inducer="rs",
            extra_params=_CHRONIC,
        ),
    ]
    for tissue in TISSUES:
        out.append(
            TmeScenario(
                f"aged_{tissue}_chemo", f"aged host, {tissue} tumour, chemotherapy", tissue=tissue
            )
        )
    for inducer in INDUCERS:
        if inducer in ("tis_dna_damage", "none"):
            continue
        out.append(
            TmeScenario(
                f"aged_lung_{inducer}",
                f"aged host, lung tumour, inducer {inducer}: {INDUCERS[inducer].description}",
                inducer=inducer,
            )
        )
    seen: set[str] = set()
    unique = []
    for sc in out:
        if sc.name not in seen:
            seen.add(sc.name)
            unique.append(replace(sc, name=LEGACY_PREFIX + sc.name))
    return tuple(unique)


#: registered names of the TME scenarios (``legacy_*``), in listing order
TME_SCENARIOS: tuple[str, ...] = tuple(sc.name for sc in tme_scenarios())
