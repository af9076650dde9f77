"""Exporters: SBML validity and annotations, Antimony round trip, model card, registry."""

from __future__ import annotations

import libsbml
import numpy as np
import pytest
import roadrunner

from senotwin._errors import ExportError, ValidationError
from senotwin.export import export, get, names
from senotwin.export.antimony import antimony_to_sbml, to_antimony
from senotwin.export.sbml import consistency_errors, to_sbml
from senotwin.model import ModelSpec, fixture_names, load_fixture
from senotwin.sim import Dose, Infusion, Schedule, simulate


@pytest.mark.parametrize("name", ["kuznetsov1994", "depillis2005", "karin2019"])
def test_sbml_is_valid_level3v2(name: str) -> None:
    text = to_sbml(load_fixture(name))
    assert consistency_errors(text) == []
    doc = libsbml.readSBMLFromString(text)
    assert (doc.getLevel(), doc.getVersion()) == (3, 2)
    model = doc.getModel()
    spec = load_fixture(name)
    assert model.getNumSpecies() == len(spec.species)
    assert model.getNumReactions() == len(spec.processes)
    assert model.getNumRules() == len(spec.observables)
    assert model.getUnitDefinition("day") is not None


def test_sbml_annotations_units_and_evidence() -> None:
    spec = load_fixture("kuznetsov1994")
    model = libsbml.readSBMLFromString(to_sbml(spec)).getModel()
    e = model.getSpecies("E")
    resources = [e.getCVTerm(i).getResourceURI(0) for i in range(e.getNumCVTerms())]
    assert "http://identifiers.org/CL:0000910" in resources
    n = model.getParameter("n")
    ud = model.getUnitDefinition(n.getUnits())
    kinds = sorted(
        libsbml.UnitKind_toString(ud.getUnit(i).getKind()) for i in range(ud.getNumUnits())
    )
    assert kinds == ["item", "second"]
    assert "Kuznetsov 1994" in n.getNotesString()
    assert model.getParameter("block_effector").getValue() == 0.0


def test_sbml_doses_become_events_and_match_engine() -> None:
    spec = load_fixture("kuznetsov1994")
    sched = Schedule(doses=(Dose(30.0, "T", 2.0e7),))
    text = to_sbml(spec, regimen=sched)
    assert consistency_errors(text) == []
    rr = roadrunner.RoadRunner(text)
    rr.integrator.relative_tolerance = 1e-9
    rr.integrator.absolute_tolerance = 1e-12
    grid = np.linspace(0, 60, 13)
    rr.timeCourseSelections = ["time", "E", "T"]
    plain = np.asarray(rr.simulate(times=grid))
    ours = simulate(spec, t_end=60.0, t_eval=grid, regimen=sched, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.table[["E", "T"]].to_numpy()[:6], plain[:6, 1:], rtol=1e-4)
    np.testing.assert_allclose(ours.table[["E", "T"]].to_numpy()[7:], plain[7:, 1:], rtol=1e-4)


def test_sbml_refuses_what_it_cannot_represent() -> None:
    spec = load_fixture("kuznetsov1994")
    with pytest.raises(ExportError, match="feature not supported"):
        to_sbml(spec, regimen=Schedule(infusions=(Infusion(0.0, 1.0, "T", 1.0),)))


@pytest.mark.parametrize("name", ["kuznetsov1994", "karin2019"])
def test_antimony_round_trip_simulates_identically(name: str) -> None:
    spec = load_fixture(name)
    ant = to_antimony(spec)
    assert f"model *{spec.id}" in ant
    selections = ["time", *spec.species_ids, *spec.observable_ids]
    runs = _sbml_and_antimony_runs(spec, ant, np.linspace(0, 100, 11), selections)
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-10)


def _sbml_and_antimony_runs(
    spec: ModelSpec, ant: str, grid: np.ndarray, selections: list[str]
) -> list[np.ndarray]:
    """``spec``'s SBML and the SBML of its Antimony text, each run in libRoadRunner."""
    runs = []
    for sbml in (to_sbml(spec), antimony_to_sbml(ant)):
        rr = roadrunner.RoadRunner(sbml)
        rr.integrator.relative_tolerance = 1e-9
        rr.integrator.absolute_tolerance = 1e-12
        rr.timeCourseSelections = selections
        runs.append(np.asarray(rr.simulate(times=grid)))
    return runs


def test_antimony_round_trip_keeps_the_neutropenia_chain_in_cells_per_ul() -> None:
    """The chain's scaled substance unit (1000 cells) and conversion factor (0.001) survive
    Antimony: the round trip simulates identically and the ANC reads 4280 cells/uL."""
    from senotwin.model import get_scenario
    from senotwin.therapy.language import apply_regimen

    spec = apply_regimen(get_scenario("default").load(), "nab-paclitaxel 125 mg/m2 iv d0").spec
    ant = to_antimony(spec)
    assert "cf_cells_per_uL_mL = 0.001" in ant
    selections = ["time", "[anc]", "[anc_prol]", "tox_anc"]
    runs = _sbml_and_antimony_runs(spec, ant, np.linspace(0, 21, 8), selections)
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-10)
    assert runs[1][0, 1] == 4280.0


def test_antimony_keeps_annotations() -> None:
    assert "CL:0000910" in to_antimony(load_fixture("kuznetsov1994"))


def test_model_card_lists_everything() -> None:
    spec = load_fixture("depillis2005")
    md = export(spec, "markdown")
    for item in (*spec.species_ids, *spec.parameter_ids, *(p.id for p in spec.processes)):
        assert f"| {item} |" in md
    assert "assumed: recalled from de Pillis 2005" in md
    html = export(spec, "html")
    assert html.startswith("<!DOCTYPE html>") and "<td>cd8_kill</td>" in html
    assert "<script" not in html


def test_registry() -> None:
    assert set(names()) >= {"sbml", "antimony", "markdown", "html"}
    assert get("sbml").suffix == ".xml"
    with pytest.raises(ValidationError, match="did you mean 'sbml'"):
        get("sbm")
    assert set(fixture_names()) == {"kuznetsov1994", "depillis2005", "karin2019"}


def _inlined_size(model: libsbml.Model) -> int:
    """Nodes libRoadRunner generates: rule variables inlined at every use, call arguments once."""
    rules = {
        model.getRule(i).getVariable(): model.getRule(i).getMath()
        for i in range(model.getNumRules())
    }
    bodies = {
        model.getFunctionDefinition(i).getId(): model.getFunctionDefinition(i).getMath()
        for i in range(model.getNumFunctionDefinitions())
    }
    memo: dict[str, int] = {}

    def size(node: libsbml.ASTNode) -> int:
        name = node.getName() if node.isName() else None
        if name in rules:
            if name not in memo:
                memo[name] = size(rules[name])
            return memo[name]
        own = 1
        if node.getType() == libsbml.AST_FUNCTION and node.getName() in bodies:
            lam = bodies[node.getName()]
            own = size(lam.getChild(lam.getNumChildren() - 1))
        return own + sum(size(node.getChild(i)) for i in range(node.getNumChildren()))

    laws = [model.getReaction(i).getKineticLaw().getMath() for i in range(model.getNumReactions())]
    return sum(size(m) for m in [*rules.values(), *laws])


def test_tme_sbml_stays_small_when_rules_are_inlined() -> None:
    """Load time of libRoadRunner follows the inlined size: it was ~190,000 nodes (20-80 s)."""
    from senotwin.model import get_scenario

    model = libsbml.readSBMLFromString(to_sbml(get_scenario("legacy_default").load())).getModel()
    hill = libsbml.formulaToL3String(model.getFunctionDefinition("hill").getMath())
    # = x^n / (K^n + x^n), one power; the numbers carry their unit
    assert hill == "lambda(x, K, n, 1 dimensionless / (1 dimensionless + (K / x)^n))"
    assert _inlined_size(model) < 70_000


def test_sbml_functions_are_defined_once_and_only_when_used() -> None:
    model = libsbml.readSBMLFromString(to_sbml(load_fixture("kuznetsov1994"))).getModel()
    ids = [model.getFunctionDefinition(i).getId() for i in range(model.getNumFunctionDefinitions())]
    assert ids == ["max2"]  # kuznetsov uses max(., 0), no hill and no min
    body = libsbml.formulaToL3String(model.getFunctionDefinition("max2").getMath())
    assert body == "lambda(a, b, piecewise(a, a >= b, b))"


def test_sbml_carries_scenario_values() -> None:
    spec = load_fixture("kuznetsov1994")
    text = to_sbml(spec, params={"s": 2.0e4, "block_effector": 0.5}, initial={"T": 3.0e7})
    model = libsbml.readSBMLFromString(text).getModel()
    assert model.getSpecies("T").getInitialAmount() == 3.0e7
    assert model.getParameter("s").getValue() == 2.0e4
    assert model.getParameter("block_effector").getValue() == 0.5
    with pytest.raises(ValidationError, match="unknown parameter 'nope'"):
        to_sbml(spec, params={"nope": 1.0})
    with pytest.raises(ValidationError, match=r"species T = -1\.0"):
        to_sbml(spec, initial={"T": -1.0})


def test_with_values_checks_names_and_ranges() -> None:
    from senotwin.export.values import with_values

    spec = load_fixture("kuznetsov1994")
    assert with_values(spec) is spec
    moved = with_values(spec, {"s": 2.0e4}, {"T": 5.0})
    assert moved.parameter("s").value == 2.0e4 and moved.species[1].initial == 5.0
    with pytest.raises(ValidationError, match="unknown species 'X'"):
        with_values(spec, initial={"X": 1.0})
    with pytest.raises(ValidationError, match="outside its plausible range"):
        with_values(spec, {"s": 1.0})
    # another host's context (a mouse scenario): the value is written, the range dropped
    mouse = with_values(spec, {"s": 1.0}, check_ranges=False)
    assert mouse.parameter("s").value == 1.0 and mouse.parameter("s").range is None


def test_every_mouse_scenario_exports(tmp_path) -> None:
    """All 20 mouse_* scenarios were refused by `model export --scenario` (their values were
    checked against the human ranges; audit, session 41)."""
    from typer.testing import CliRunner

    from senotwin.cli.app import app
    from senotwin.model.scenarios import scenario_names

    mice = [n for n in scenario_names() if n.startswith("mouse_")]
    assert len(mice) >= 20
    for name in mice:
        out = tmp_path / f"{name}.txt"
        args = ["model", "export", "--format", "antimony", "--scenario", name, "--out", str(out)]
        res = CliRunner().invoke(app, args)
        assert res.exit_code == 0 and out.stat().st_size > 0, (name, res.output)
