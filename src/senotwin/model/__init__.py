"""Declarative models: ModelSpec, the rate-law registry, YAML I/O, compilation and scenarios."""

from __future__ import annotations

from senotwin.model import ratelaws
from senotwin.model.compile import CompiledModel, FlatModel, block_id, compile_spec, flatten
from senotwin.model.io import (
    fixture_names,
    load_fixture,
    load_spec,
    save_spec,
    spec_from_dict,
    spec_from_yaml,
    spec_to_yaml,
)
from senotwin.model.scenarios import Scenario, get_scenario, register_scenario, scenario_names
from senotwin.model.spec import (
    AssumedProvenance,
    CitationProvenance,
    Compartment,
    DefinitionProvenance,
    DerivedProvenance,
    Event,
    KbProvenance,
    MeasuredProvenance,
    ModelSpec,
    Observable,
    Parameter,
    Process,
    Species,
)

__all__ = [
    "AssumedProvenance",
    "CitationProvenance",
    "Compartment",
    "CompiledModel",
    "DefinitionProvenance",
    "DerivedProvenance",
    "Event",
    "FlatModel",
    "KbProvenance",
    "MeasuredProvenance",
    "ModelSpec",
    "Observable",
    "Parameter",
    "Process",
    "Scenario",
    "Species",
    "block_id",
    "compile_spec",
    "fixture_names",
    "flatten",
    "get_scenario",
    "load_fixture",
    "load_spec",
    "ratelaws",
    "register_scenario",
    "save_spec",
    "scenario_names",
    "spec_from_dict",
    "spec_from_yaml",
    "spec_to_yaml",
]
