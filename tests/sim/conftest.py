"""Small models with analytic solutions for engine tests."""

from __future__ import annotations

import pytest

from senotwin.model import ModelSpec
from senotwin.model.io import spec_from_dict

ASSUMED = {"kind": "assumed", "rationale": "test value"}


def decay_spec() -> ModelSpec:
    """dX/dt = -k X (+ infusions); observable 2X; X tagged with entity XE."""
    return spec_from_dict(
        {
            "id": "decay",
            "species": [{"id": "X", "unit": "cells", "initial": 100.0, "entity": "XE"}],
            "parameters": [
                {
                    "id": "k",
                    "value": 0.2,
                    "unit": "1/day",
                    "range": [0.01, 1.0],
                    "provenance": ASSUMED,
                    "entity": "KE",
                },
                {"id": "c", "value": 2.0, "unit": "1", "provenance": ASSUMED},
            ],
            "processes": [
                {
                    "id": "loss",
                    "rate_law": "first_order",
                    "args": {"k": "k", "X": "X"},
                    "stoichiometry": {"X": -1},
                }
            ],
            "observables": [{"id": "twice", "expression": "c * X"}],
        }
    )


@pytest.fixture
def decay() -> ModelSpec:
    return decay_spec()


@pytest.fixture
def blowup() -> ModelSpec:
    """dX/dt = X^2, X(0) = 1: finite-time blow-up at t = 1."""
    return spec_from_dict(
        {
            "id": "blowup",
            "species": [{"id": "X", "unit": "1", "initial": 1.0}],
            "parameters": [{"id": "one", "value": 1.0, "unit": "1/day", "provenance": ASSUMED}],
            "processes": [{"id": "grow", "expression": "one * X ** 2", "stoichiometry": {"X": 1}}],
        }
    )
