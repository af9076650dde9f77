"""Antimony export: the SBML export converted by the ``antimony`` package.

Going through SBML keeps one source of truth for the mathematics; the test suite checks that
the Antimony text converts back to SBML that simulates identically.
"""

from __future__ import annotations

import antimony

from senotwin._errors import ExportError
from senotwin.export.sbml import to_sbml
from senotwin.model.spec import ModelSpec


def to_antimony(spec: ModelSpec) -> str:
    """Antimony text of ``spec``."""
    antimony.clearPreviousLoads()
    if antimony.loadSBMLString(to_sbml(spec)) < 0:
        raise ExportError(f"Antimony: cannot load the SBML of {spec.id}: {antimony.getLastError()}")
    text = antimony.getAntimonyString(spec.id)
    if not text:
        raise ExportError(f"Antimony: conversion of {spec.id} failed: {antimony.getLastError()}")
    return str(text)


def antimony_to_sbml(text: str) -> str:
    """SBML text of an Antimony model (for round-trip checks)."""
    antimony.clearPreviousLoads()
    if antimony.loadAntimonyString(text) < 0:
        raise ExportError(f"Antimony: cannot parse model: {antimony.getLastError()}")
    return str(antimony.getSBMLString(antimony.getMainModuleName()))
