"""Antimony export: the SBML export converted by the ``antimony`` package.

Going through SBML keeps one source of truth for the mathematics; the test suite checks that
the Antimony text converts back to SBML that simulates identically. The units on numbers are
left out: libAntimony 3.x renames unit ids that end in 's' ('u_cells' -> 'u_cell') and then
defines the renamed unit twice when a number refers to it, so it refuses such a model.
"""

from __future__ import annotations

import antimony
import libsbml

from senotwin._errors import ExportError
from senotwin.export.sbml import build_document
from senotwin.model.spec import ModelSpec


def to_antimony(spec: ModelSpec) -> str:
    """Antimony text of ``spec``."""
    doc = build_document(spec)
    elements = doc.getModel().getListOfAllElements()
    for i in range(elements.getSize()):
        element = elements.get(i)
        if hasattr(element, "isSetMath") and element.isSetMath():
            _drop_number_units(element.getMath())
    antimony.clearPreviousLoads()
    if antimony.loadSBMLString(libsbml.writeSBMLToString(doc)) < 0:
        raise ExportError(f"Antimony: cannot load the SBML of {spec.id}: {antimony.getLastError()}")
    text = antimony.getAntimonyString(spec.id)
    if not text:
        raise ExportError(f"Antimony: conversion of {spec.id} failed: {antimony.getLastError()}")
    return str(text)


def _drop_number_units(node: libsbml.ASTNode) -> None:
    if node.isNumber() and node.isSetUnits():
        node.unsetUnits()
    for i in range(node.getNumChildren()):
        _drop_number_units(node.getChild(i))


def antimony_to_sbml(text: str) -> str:
    """SBML text of an Antimony model (for round-trip checks)."""
    antimony.clearPreviousLoads()
    if antimony.loadAntimonyString(text) < 0:
        raise ExportError(f"Antimony: cannot parse model: {antimony.getLastError()}")
    return str(antimony.getSBMLString(antimony.getMainModuleName()))
