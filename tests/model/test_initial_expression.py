"""Initial amounts that follow the parameters (``Species.initial_expression``): checked at load,
recomputed from each run's parameter values unless the run gives the amount, exported to SBML as
an initialAssignment, and left out of the dump (and digest) of a model without any."""

from __future__ import annotations

import copy
from typing import Any

import libsbml
import numpy as np
import pytest

from senotwin._errors import ValidationError
from senotwin.export.sbml import consistency_errors, to_sbml
from senotwin.export.values import with_values
from senotwin.model import flatten, load_fixture
from senotwin.model.compile import initial_rules
from senotwin.model.io import spec_from_dict, spec_from_yaml, spec_to_yaml
from senotwin.model.qsp import load_qsp
from senotwin.model.unitcheck import unit_problems
from senotwin.sim import simulate
from senotwin.sim.inputs import resolve


def _param(pid: str, value: float, unit: str, rng: list[float] | None = None) -> dict[str, Any]:
    return {
        "id": pid,
        "value": value,
        "unit": unit,
        "range": rng,
        "provenance": {"kind": "assumed", "rationale": "toy value"},
    }


#: X is supplied at s and removed at d: its steady state s / d is its initial expression
STEADY: dict[str, Any] = {
    "id": "steady",
    "species": [
        {"id": "X", "unit": "cells", "initial": 200.0, "initial_expression": "s / d"},
        {"id": "Y", "unit": "cells", "initial": 1.0},
    ],
    "parameters": [
        _param("s", 20.0, "cells/day", [5.0, 80.0]),
        _param("d", 0.1, "1/day", [0.05, 0.4]),
    ],
    "processes": [
        {"id": "supply", "expression": "s", "stoichiometry": {"X": 1}},
        {"id": "loss", "expression": "d * X", "stoichiometry": {"X": -1}},
        {"id": "grow", "expression": "d * Y", "stoichiometry": {"Y": 1}},
    ],
    "observables": [{"id": "level", "unit": "cells", "expression": "X"}],
}


def _steady(**species: Any) -> dict[str, Any]:
    data = copy.deepcopy(STEADY)
    data["species"][0].update(species)
    return data


#: the fields a species dumped before initial_expression existed, in that order
SPECIES_KEYS = [
    "id",
    "name",
    "unit",
    "compartment",
    "initial",
    "non_negative",
    "entity",
    "hgnc",
    "cell_ontology",
    "description",
    "provenance",
]


def test_a_model_without_initial_expressions_keeps_its_digest() -> None:
    """The compiled-model cache is keyed by the digest: a model without the field must dump as
    before. The fixtures' digests were taken before the field existed (the files are unchanged
    since they were added); the shipped QSP model dumps the same keys as then."""
    assert load_fixture("kuznetsov1994").digest() == (
        "957227a45aacc9220e08c6a855ba574211f58e10dc5bf4b314daea95842211a2"
    )
    assert load_fixture("karin2019").digest() == (
        "9293d1c55863ff2feec4fb13a7a63ae72a7f08ebab8e2be76274d5ca4ce5f017"
    )
    qsp = load_qsp()
    assert "initial_expression" not in qsp.model_dump_json()
    assert all(list(s) == SPECIES_KEYS for s in qsp.model_dump()["species"])


def test_an_initial_expression_is_dumped_round_trips_and_enters_the_digest() -> None:
    spec = spec_from_dict(STEADY)
    assert spec.model_dump()["species"][0]["initial_expression"] == "s / d"
    assert spec_from_yaml(spec_to_yaml(spec)) == spec
    plain = spec_from_dict(_steady(initial_expression=None))
    assert plain.digest() != spec.digest() and plain.numbers_digest() != spec.numbers_digest()


@pytest.mark.parametrize(
    ("species", "fragment"),
    [
        ({"initial_expression": "s / dd"}, r"unknown name 'dd'.*did you mean 'd'.*parameters"),
        ({"initial_expression": "s / d +"}, r"cannot parse 's / d \+'"),
        ({"initial_expression": "Y * 200"}, r"'Y \* 200' names 'Y' \(a species\)"),
        ({"initial_expression": "level"}, r"names 'level' \(an observable\)"),
        ({"initial_expression": "s * time"}, r"names 'time' \(model time\)"),
        ({"initial_expression": "-s / d", "initial": 0.0}, r"is -200 at the parameters'.*>= 0"),
        ({"initial_expression": "s / (d - d)"}, r"is inf at the parameters' default values"),
        ({"initial": 199.0}, r"'X'\.initial: 199\.0 differs .* write initial: 200\.0"),
        ({"initial_expression": ""}, "at least 1 character"),
    ],
)
def test_a_bad_initial_expression_is_refused_at_load(species: dict, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment) as info:
        spec_from_dict(_steady(**species), source="toy.yaml")
    assert "toy.yaml" in str(info.value) and "'X'" in str(info.value)


def test_initial_agrees_with_the_expression_to_a_relative_1e9() -> None:
    assert spec_from_dict(_steady(initial=200.0 * (1 + 5e-10))).species[0].initial > 200.0


def test_the_initial_state_follows_the_runs_parameters() -> None:
    spec = spec_from_dict(STEADY)
    flat = flatten(spec)

    def y0(**kw: Any) -> np.ndarray:
        base: dict[str, Any] = {"params": None, "initial": None, "blocks": None}
        return resolve(flat, **(base | kw), check_ranges=True).y0

    assert y0().tolist() == [200.0, 1.0]
    assert y0(params={"s": 40.0}).tolist() == [400.0, 1.0]
    assert y0(params={"s": 40.0, "d": 0.2}).tolist() == [200.0, 1.0]
    assert y0(params={"s": 20.0}).tolist() == [200.0, 1.0]  # the model's own value
    # an amount the run gives wins over the expression
    assert y0(params={"s": 40.0}, initial={"X": 7.0}).tolist() == [7.0, 1.0]
    rules = initial_rules(flat)
    assert rules.parameters == {"s", "d"} and rules.species == ("X",)
    p = np.array([-40.0, 0.1])
    with pytest.raises(ValidationError, match=r"species 'X' = s / d is -400 .* >= 0"):
        rules.apply(p, np.array([200.0, 1.0]))
    assert rules.apply(p, np.array([3.0, 1.0]), keep={"X"}).tolist() == [3.0, 1.0]
    assert not initial_rules(flatten(load_fixture("kuznetsov1994")))


@pytest.mark.parametrize("engine", ["fast", "reference", "roadrunner"])
def test_a_run_with_another_supply_starts_at_its_own_steady_state(engine: str) -> None:
    spec = spec_from_dict(STEADY)
    res = simulate(spec, params={"s": 40.0}, t_end=30.0, engine=engine, throw=True)
    np.testing.assert_allclose(res.table["X"], 400.0, rtol=1e-9)
    given = simulate(spec, params={"s": 40.0}, initial={"X": 100.0}, t_end=30.0, engine=engine)
    assert given.table["X"].iloc[0] == 100.0 and given.table["X"].iloc[-1] > 300.0


def test_sbml_writes_an_initial_assignment_unless_the_amount_is_given() -> None:
    spec = spec_from_dict(STEADY)
    text = to_sbml(spec, params={"s": 40.0})
    assert consistency_errors(text) == []
    model = libsbml.readSBMLFromString(text).getModel()
    assignment = model.getInitialAssignmentBySymbol("X")
    assert libsbml.formulaToL3String(assignment.getMath()) == "s / d"
    assert model.getSpecies("X").getInitialAmount() == 400.0  # the number agrees with it
    assert model.getInitialAssignmentBySymbol("Y") is None
    given = libsbml.readSBMLFromString(to_sbml(spec, initial={"X": 7.0})).getModel()
    assert given.getNumInitialAssignments() == 0 and given.getSpecies("X").getInitialAmount() == 7


def test_scenario_values_written_into_a_spec_move_the_amount_or_replace_the_expression() -> None:
    spec = spec_from_dict(STEADY)
    moved = with_values(spec, {"s": 40.0})
    assert moved.species[0].initial == 400.0 and moved.species[0].initial_expression == "s / d"
    assert with_values(spec, {"d": 0.1}).species[0].initial == 200.0
    given = with_values(spec, {"s": 40.0}, {"X": 7.0})
    assert given.species[0].initial == 7.0 and given.species[0].initial_expression is None


def test_an_initial_expression_in_the_wrong_unit_is_a_unit_problem() -> None:
    assert unit_problems(spec_from_dict(STEADY)) == []
    wrong = spec_from_dict(_steady(initial_expression="s", initial=20.0))
    assert unit_problems(wrong) == [
        "species 'X'.initial_expression: 's' gives 1.15741e-05 x item second^-1, the species is in "
        "'cells' (1 x item)"
    ]


def test_explain_and_the_model_card_show_the_expression() -> None:
    from senotwin.export.card import sections
    from senotwin.model.describe import explain

    spec = spec_from_dict(STEADY)
    assert "initial amount follows the parameters: s / d" in explain(spec, "X")
    species = next(rows for title, _, rows in sections(spec) if title.lower().startswith("species"))
    assert species[0][3] == "200 (= s / d)" and species[1][3] == "1"
