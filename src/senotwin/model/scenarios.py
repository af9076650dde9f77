"""Registry of named scenarios: a model plus the context overrides a run starts from.

``senotwin simulate --scenario NAME`` resolves names here. A scenario is (spec loader, parameter
and initial-state overrides, default duration, description). The fixtures register themselves
below; the tumour-microenvironment model and its contexts (tissue, age, inducer) add theirs with
:func:`register_scenario`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType

from senotwin._errors import ValidationError
from senotwin.model.io import load_fixture
from senotwin.model.spec import ModelSpec


@dataclass(frozen=True)
class Scenario:
    """A named starting point for simulation: model, context overrides and default duration."""

    name: str
    description: str
    load: Callable[[], ModelSpec]
    params: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    initial: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    days: float = 365.0


_SCENARIOS: dict[str, Scenario] = {}
_DEFAULT: list[str] = ["kuznetsov1994"]


def set_default_scenario(name: str) -> None:
    """Make ``name`` the scenario used when a command is given neither a model nor a scenario."""
    get_scenario(name)
    _DEFAULT[0] = name


def default_scenario() -> Scenario:
    """The default scenario (the TME model once it registers itself as default)."""
    return get_scenario(_DEFAULT[0])


def register_scenario(scenario: Scenario, *, replace: bool = False) -> Scenario:
    """Add a scenario; re-registering a name needs ``replace=True``."""
    if scenario.name in _SCENARIOS and not replace:
        raise ValidationError(f"scenario {scenario.name!r} is already registered")
    _SCENARIOS[scenario.name] = scenario
    return scenario


def get_scenario(name: str) -> Scenario:
    """The scenario called ``name``; unknown names list the closest ones."""
    if name in _SCENARIOS:
        return _SCENARIOS[name]
    close = difflib.get_close_matches(name, sorted(_SCENARIOS), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ValidationError(
        f"unknown scenario {name!r}{hint} (known: {', '.join(sorted(_SCENARIOS))})"
    )


def scenario_names() -> tuple[str, ...]:
    """Registered scenario names, sorted."""
    return tuple(sorted(_SCENARIOS))


register_scenario(
    Scenario(
        "kuznetsov1994",
        "Kuznetsov 1994 effector-tumour model, small inoculum (dormancy)",
        partial(load_fixture, "kuznetsov1994"),
        days=365.0,
    )
)
register_scenario(
    Scenario(
        "kuznetsov1994_escape",
        "Kuznetsov 1994 effector-tumour model, large inoculum (escape)",
        partial(load_fixture, "kuznetsov1994"),
        initial=MappingProxyType({"T": 1.0e8}),
        days=365.0,
    )
)
register_scenario(
    Scenario(
        "depillis2005",
        "de Pillis 2005 tumour / NK / CD8+ model, 1e6-cell challenge (rejected)",
        partial(load_fixture, "depillis2005"),
        days=120.0,
    )
)
register_scenario(
    Scenario(
        "karin2019",
        "Karin 2019 senescent-cell production and saturating removal, birth to 600 days",
        partial(load_fixture, "karin2019"),
        days=600.0,
    )
)
