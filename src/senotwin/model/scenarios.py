"""Registry of named scenarios: a model plus the context overrides a run starts from.

``senotwin simulate --scenario NAME`` resolves names here. A scenario is (spec loader, parameter
and initial-state overrides, default duration, description, reference). The built-ins — the
fixtures' scenarios, the physical-units model's (the default model: ``default``, ``acute_young``,
``chronic_aged``, ``<age>_<tissue>_<inducer>``) and the legacy relative-units TME model's
(``legacy_*``) — are registered on first use; add others with :func:`register_scenario`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType

from senotwin._errors import check_type
from senotwin._registry import Registry
from senotwin._views import PicklableViews
from senotwin.model.io import load_fixture
from senotwin.model.spec import ModelSpec


@dataclass(frozen=True)
class Scenario(PicklableViews):
    """A named starting point for simulation: model, context overrides and default duration,
    with the reference of the model (and contexts) it starts from. ``check_ranges=False`` marks a
    context of another host (the mouse) whose values lie outside the model's plausible ranges,
    which are stated for the human host. Pickles (for a process pool) when its loader does."""

    name: str
    description: str
    load: Callable[[], ModelSpec]
    params: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    initial: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    days: float = 365.0
    reference: str = ""
    check_ranges: bool = True


_KUZNETSOV = "Kuznetsov et al. 1994 Bull Math Biol 56:295"


def _builtin_scenarios(registry: Registry[Scenario]) -> None:
    """The fixtures' scenarios, every physical-units one (mouse_emt6_*, mouse_mc38_* and
    mouse_transplant_* included) and every legacy (``legacy_*``) one."""
    from senotwin.model.mouse_mc38 import mc38_scenarios
    from senotwin.model.mouse_transplant import transplant_scenarios
    from senotwin.model.qsp import mouse_scenarios, qsp_scenarios
    from senotwin.model.tme import tme_scenarios
    from senotwin.model.vaccine import vaccine_scenario

    for scenario in (
        Scenario(
            "kuznetsov1994",
            "Kuznetsov 1994 effector-tumour model, small inoculum (dormancy)",
            partial(load_fixture, "kuznetsov1994"),
            days=365.0,
            reference=_KUZNETSOV,
        ),
        Scenario(
            "kuznetsov1994_escape",
            "Kuznetsov 1994 effector-tumour model, large inoculum (escape)",
            partial(load_fixture, "kuznetsov1994"),
            initial=MappingProxyType({"T": 1.0e8}),
            days=365.0,
            reference=_KUZNETSOV,
        ),
        Scenario(
            "depillis2005",
            "de Pillis 2005 tumour / NK / CD8+ model, 1e6-cell challenge (rejected)",
            partial(load_fixture, "depillis2005"),
            days=120.0,
            reference="de Pillis, Radunskaya & Wiseman 2005 Cancer Res 65:7950",
        ),
        Scenario(
            "karin2019",
            "Karin 2019 senescent-cell production and saturating removal, birth to 600 days",
            partial(load_fixture, "karin2019"),
            days=600.0,
            reference="Karin et al. 2019 Nat Commun 10:5495",
        ),
    ):
        registry.register(scenario)
    for qsp in (
        *qsp_scenarios(),
        *mouse_scenarios(),
        *mc38_scenarios(),
        vaccine_scenario(),
        *transplant_scenarios(),
    ):
        registry.register(qsp)
    for tme in tme_scenarios():
        registry.register(tme.to_scenario())


#: every scenario, built-ins always present (see :mod:`senotwin._registry`)
SCENARIOS: Registry[Scenario] = Registry(
    "scenario", _builtin_scenarios, listed_by="senotwin scenarios list"
)
_DEFAULT: list[str] = ["default"]


def set_default_scenario(name: str) -> None:
    """Make ``name`` the scenario used when a command is given neither a model nor a scenario."""
    get_scenario(name)
    _DEFAULT[0] = name


def default_scenario() -> Scenario:
    """The default scenario: the physical-units model's ``default`` unless changed."""
    return get_scenario(_DEFAULT[0])


def register_scenario(scenario: Scenario, *, replace: bool = False) -> Scenario:
    """Add a scenario; re-registering a name needs ``replace=True``."""
    check_type(
        scenario,
        Scenario,
        name="scenario",
        what="a Scenario(name, description, load, ...) (get_scenario(name) gives a built-in one)",
    )
    return SCENARIOS.register(scenario, replace=replace)


def get_scenario(name: str) -> Scenario:
    """The scenario called ``name``; unknown names list the closest ones."""
    return SCENARIOS.get(name)


def scenario_names() -> tuple[str, ...]:
    """Registered scenario names, sorted."""
    return SCENARIOS.names()
