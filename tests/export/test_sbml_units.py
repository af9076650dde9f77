"""libSBML's unit-consistency check on the exported SBML: silent on every model whose own unit
check passes, and flagging nothing the model's unit check does not (so a future export change that
breaks units fails here); the unit bookkeeping leaves the dynamics bit for bit as they were."""

from __future__ import annotations

import re

import libsbml
import numpy as np
import pytest
import roadrunner

from senotwin.export.sbml import build_document, conversion_value, engine_sbml, to_sbml
from senotwin.model import get_scenario, load_fixture, scenario_names
from senotwin.model.io import spec_from_dict
from senotwin.model.unitcheck import KNOWN_UNIT_MISMATCHES, unit_problems
from senotwin.model.units import UnitTerm, fold, parse_unit, substance_of, substance_unit
from senotwin.sim import Dose, Schedule, simulate
from senotwin.therapy.language import apply_regimen

#: one scenario per model: its id -> the scenario exported
MODELS = {
    "sasp_qsp": "default",
    "sasp_qsp_mouse_emt6": "mouse_emt6_anti_pdl1",
    "sasp_qsp_mouse_emt6_vaccine": "mouse_vaccine",
    "sasp_tme": "legacy_default",
    "kuznetsov1994": "kuznetsov1994",
    "karin2019": "karin2019",
    "depillis2005": "depillis2005",
}

#: the genuine unit errors of a model's own equations, which libSBML flags too (element: reason).
#: Nothing else may be flagged; the QSP models (human, mouse, vaccine) and the fixtures have none
#: (depillis2005's k is in (cells/day)^2, the square of the lysis flux it is added to).
GENUINE = {
    "sasp_tme": {
        item: "legacy TME model: relative cytokine levels mixed with rates by design "
        "(KNOWN_UNIT_MISMATCHES, docs/qsp-model.md)"
        for item in KNOWN_UNIT_MISMATCHES["sasp_tme"]
    },
}


def _check(text: str) -> libsbml.SBMLDocument:
    doc = libsbml.readSBMLFromString(text)
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
    doc.checkConsistency()
    return doc


def _flagged(doc: libsbml.SBMLDocument) -> dict[str, list[str]]:
    """Every message of libSBML's check, by the observable or process it concerns ('?' when it
    names none, e.g. a number without units)."""
    model = doc.getModel()
    formulas = [
        (f"observable {r.getVariable()!r}", libsbml.formulaToString(r.getMath()))
        for r in (model.getRule(i) for i in range(model.getNumRules()))
    ] + [
        (f"process {rx.getId()!r}", libsbml.formulaToString(rx.getKineticLaw().getMath()))
        for rx in (model.getReaction(i) for i in range(model.getNumReactions()))
    ]
    out: dict[str, list[str]] = {}
    for i in range(doc.getNumErrors()):
        err = doc.getError(i)
        text = err.getMessage()
        where = "?"
        if m := re.search(r"variable '(\w+)'", text):
            where = f"observable {m.group(1)!r}"
        elif m := re.search(r"reaction> with id '(\w+)'", text):
            where = f"process {m.group(1)!r}"
        elif m := re.search(r"The formula '(.+?)' in the", text):
            where = next((el for el, f in formulas if m.group(1) in f), "?")
        out.setdefault(where, []).append(f"{err.getErrorId()}: {text.strip()}")
    return out


def test_every_model_is_covered() -> None:
    assert {get_scenario(n).load().id for n in scenario_names()} == set(MODELS)


@pytest.mark.parametrize("model_id", sorted(MODELS))
def test_exported_sbml_is_unit_consistent(model_id: str) -> None:
    sc = get_scenario(MODELS[model_id])
    spec = sc.load()
    target = spec.species_ids[0]
    sched = Schedule(doses=(Dose(3.0, target, 2.0),))  # a dose event: its time and amount
    doc = _check(to_sbml(spec, params=sc.params, initial=sc.initial, regimen=sched))
    flagged = _flagged(doc)
    allowed = GENUINE.get(model_id, {})
    assert set(flagged) <= set(allowed), {k: v for k, v in flagged.items() if k not in allowed}
    # every allowed entry is a real mismatch of the model's own check, and libSBML sees it too
    own = {p.split(":", 1)[0] for p in unit_problems(spec)}
    assert set(allowed) <= own
    assert set(flagged) == set(allowed)
    model = doc.getModel()
    assert model.getTimeUnits() == "day"
    assert model.isSetExtentUnits() and model.isSetSubstanceUnits() and model.isSetVolumeUnits()


def test_qsp_model_declares_cells_as_extent_and_converts_the_dimensionless_drives() -> None:
    model = libsbml.readSBMLFromString(to_sbml(get_scenario("default").load())).getModel()
    assert model.getExtentUnits() == model.getSubstanceUnits() == "u_cells"
    assert model.getVolumeUnits() == "u_mL"
    stress = model.getSpecies("stress")  # unit 1: its amount changes by extent x cf_1
    assert stress.getConversionFactor() == "cf_1"
    assert model.getParameter("cf_1").getValue() == 1.0
    assert not model.getSpecies("C").isSetConversionFactor()
    law = model.getReaction("stress_decay").getKineticLaw().getMath()
    assert libsbml.formulaToL3String(law).endswith("/ cf_1")
    # mL as cm^3: the cube root in the lesion diameter is a length for libSBML
    unit = model.getUnitDefinition("u_mL").getUnit(0)
    assert (libsbml.UnitKind_toString(unit.getKind()), unit.getExponent(), unit.getScale()) == (
        "metre",
        3,
        -2,
    )


def test_antibody_in_ug_per_ml_is_a_concentration_but_an_amount_for_the_engine() -> None:
    spec = get_scenario("mouse_emt6_anti_pdl1").load()
    model = libsbml.readSBMLFromString(to_sbml(spec)).getModel()
    ab = model.getSpecies("ab_pdl1")
    assert not ab.getHasOnlySubstanceUnits() and ab.getSubstanceUnits() == "u_ug"
    assert ab.getCompartment() == "blood" and ab.isSetInitialConcentration()
    law = libsbml.formulaToL3String(
        model.getReaction("ab_pdl1_elimination").getKineticLaw().getMath()
    )
    assert "* blood" in law and law.endswith("/ cf_ug")
    engine = libsbml.readSBMLFromString(engine_sbml(spec)).getModel()
    assert engine.getSpecies("ab_pdl1").getHasOnlySubstanceUnits()


def test_a_number_guarding_a_compound_quantity_takes_a_derived_unit() -> None:
    data = load_fixture("kuznetsov1994").model_dump()
    data["observables"] = [
        *data["observables"],
        {"id": "contacts", "unit": "cells", "expression": "max(E * T, 0) / g"},
    ]
    doc = _check(to_sbml(spec_from_dict(data)))
    assert _flagged(doc) == {}
    rule = doc.getModel().getRuleByVariable("contacts").getMath()
    zero = rule.getChild(0).getChild(1)  # max2(E * T, 0) / g
    assert zero.isNumber() and zero.getUnits().startswith("u_derived_")
    derived = doc.getModel().getUnitDefinition(zero.getUnits())
    assert [libsbml.UnitKind_toString(derived.getUnit(i).getKind()) for i in range(1)] == ["item"]
    assert derived.getUnit(0).getExponent() == 2


def _strip_unit_bookkeeping(doc: libsbml.SBMLDocument) -> str:
    """The document as it was before the export declared units: kinetic laws without the
    division by a conversion factor, species without one."""
    model = doc.getModel()
    for i in range(model.getNumSpecies()):
        model.getSpecies(i).unsetConversionFactor()
    for i in range(model.getNumReactions()):
        law = model.getReaction(i).getKineticLaw()
        math = law.getMath()
        if math.getType() == libsbml.AST_DIVIDE and (
            math.getRightChild().getName() or ""
        ).startswith("cf_"):
            law.setMath(math.getLeftChild().deepCopy())
    return libsbml.writeSBMLToString(doc)


def test_unit_bookkeeping_leaves_the_default_scenario_dynamics_unchanged() -> None:
    sc = get_scenario("default")
    spec = sc.load()
    doc = build_document(spec, params=sc.params, initial=sc.initial)
    assert any(
        doc.getModel().getSpecies(i).isSetConversionFactor()
        for i in range(doc.getModel().getNumSpecies())
    )
    grid = np.linspace(0.0, sc.days, 61)
    runs = []
    for text in (libsbml.writeSBMLToString(doc), _strip_unit_bookkeeping(doc)):
        rr = roadrunner.RoadRunner(text)
        rr.integrator.relative_tolerance = 1e-9
        rr.integrator.absolute_tolerance = 1e-12
        rr.integrator.maximum_num_steps = 100_000
        rr.timeCourseSelections = ["time", *spec.species_ids, *spec.observable_ids]
        runs.append(np.asarray(rr.simulate(times=grid)))
    a, b = runs
    rel = np.abs(a - b) / np.maximum(np.abs(b), 1e-300)
    assert rel.max() < 1e-9


def test_substance_units() -> None:
    assert substance_unit("cells") == "cells" and substance_unit("1") == "1"
    assert substance_unit("ug/mL") is None and substance_unit("cells/day") is None
    assert substance_of("ug/mL", "mL") == "ug"
    assert substance_of("mg/L", "mL") == "ug"  # litres of any scale cancel
    assert substance_of("nM", "L") == "nmol"
    assert substance_of("ug/mL", "1") is None and substance_of("cells/mm3", "mL") is None
    # no base unit of 1000 cells: the product itself, one term of 1000 items once folded
    assert substance_of("cells/uL", "mL") == "(cells/uL)*(mL)"
    assert substance_of("1/uL", "mL") == "(1/uL)*(mL)"  # 1000, dimensionless
    assert fold(parse_unit("(cells/uL)*(mL)")) == (UnitTerm("item", 1, 3),)
    assert fold(parse_unit("mL/L")) == (UnitTerm("dimensionless", 1, -3),)
    assert fold(parse_unit("uL/(cells*mL)")) == (UnitTerm("item", -1, 3),)
    assert conversion_value("(cells/uL)*(mL)", "cells") == 0.001
    assert conversion_value("ug", "mg") == 1000.0
    assert conversion_value("ug", "cells") == conversion_value("1", "cells") == 1.0


#: a regimen of the three kinds of drug: a chemotherapy drive (stress, and the chemo_on clock of
#: acquired resistance), a senolytic (the senolysis tissue-damage proxy), an antibody
REGIMEN = (
    "doxorubicin 60 mg/m2 iv d0; navitoclax 150 mg po daily d1-d14; "
    "atezolizumab 1200 mg iv q21d d0-d42"
)


def test_a_treatment_compiled_model_exports_unit_consistent_sbml() -> None:
    """The drive parameters are exposure per unit AUC (L/(mg day)): a drive x a concentration in
    mg/L is the 1/day its dimensionless species (stress, chemo_on) needs. Declared 1/day, the
    rates were (mg/L)/day and libSBML flagged pd_doxorubicin_exposure and pd_chemo_start."""
    sc = get_scenario("default")
    plan = apply_regimen(sc.load(), REGIMEN)
    assert plan.spec.parameter("pd_doxorubicin_drive").unit == "L/(mg*day)"
    doc = _check(to_sbml(plan.spec, params=sc.params, initial=sc.initial, regimen=plan.schedule))
    assert _flagged(doc) == {}


NAB = "nab-paclitaxel 125 mg/m2 iv d0,d7,d14"


def test_the_neutropenia_chain_exports_unit_consistent_in_cells_per_ul() -> None:
    """nab-paclitaxel adds the Friberg chain, in cells/uL in the blood (mL). cells/uL x mL is
    1000 cells: the species are concentrations of a substance unit of 1000 items, so their value
    stays the ANC as read (4280 cells/uL). Kept as amounts in cells/uL they drew 5 messages
    (20608: no valid substance unit)."""
    sc = get_scenario("default")
    plan = apply_regimen(sc.load(), NAB)
    assert unit_problems(plan.spec) == []
    doc = _check(to_sbml(plan.spec, params=sc.params, initial=sc.initial, regimen=plan.schedule))
    assert _flagged(doc) == {}
    model = doc.getModel()
    per_ul = model.getUnitDefinition("u_cells_per_uL")  # the unit of the observable tox_anc
    for sid in ("anc_prol", "anc_t1", "anc_t2", "anc_t3", "anc"):
        sp = model.getSpecies(sid)
        assert not sp.getHasOnlySubstanceUnits() and sp.getCompartment() == "blood"
        assert sp.getInitialConcentration() == 4280.0
        # the amount follows the baseline parameter: an initialAssignment, with no unit message
        start = model.getInitialAssignmentBySymbol(sid)
        assert libsbml.formulaToL3String(start.getMath()) == "anc_base"
        # substance / mL is cells/uL to the scale (areEquivalent would ignore a factor 1000)
        assert libsbml.UnitDefinition.areIdentical(
            libsbml.UnitDefinition.convertToSI(sp.getDerivedUnitDefinition()),
            libsbml.UnitDefinition.convertToSI(per_ul),
        )
    substance = model.getUnitDefinition(model.getSpecies("anc").getSubstanceUnits())
    assert substance.getNumUnits() == 1
    unit = substance.getUnit(0)
    assert (libsbml.UnitKind_toString(unit.getKind()), unit.getExponent(), unit.getScale()) == (
        "item",
        1,
        3,
    )
    # a reaction's extent is in cells: 0.001 (1000 cells) per cell, so a flux reads in cells/day
    cf = model.getParameter(model.getSpecies("anc").getConversionFactor())
    assert cf.getValue() == 0.001
    law = libsbml.formulaToL3String(model.getReaction("anc_elimination").getKineticLaw().getMath())
    assert law.endswith(f"* blood / {cf.getId()}")


def test_the_platelet_chain_exports_unit_consistent_in_cells_per_ul() -> None:
    """navitoclax adds the platelet chain (session 45) in the same unit as the ANC chain: its
    marrow, its four circulating age classes and its drug kill (L/mg/day x mg/L) export with no
    libSBML unit message."""
    sc = get_scenario("default")
    plan = apply_regimen(sc.load(), "navitoclax 325 mg po qd d0-d13")
    assert unit_problems(plan.spec) == []
    doc = _check(to_sbml(plan.spec, params=sc.params, initial=sc.initial, regimen=plan.schedule))
    assert _flagged(doc) == {}
    model = doc.getModel()
    blood = [f"plt_c{i}" for i in range(1, 5)]
    assert sum(model.getSpecies(s).getInitialConcentration() for s in blood) == 232_000.0
    starts = {
        sid: libsbml.formulaToL3String(model.getInitialAssignmentBySymbol(sid).getMath())
        for sid in ("plt_prol", "plt_t3", *blood)
    }
    assert starts == {
        "plt_prol": "plt_base * plt_mtt / (4 dimensionless * plt_life)",
        "plt_t3": "plt_base * plt_mtt / (4 dimensionless * plt_life)",
        **dict.fromkeys(blood, "plt_base / 4 dimensionless"),  # numbers carry units
    }
    assert model.getParameter("plt_kill_navitoclax") is not None


def test_the_exported_anc_is_the_engines_anc_in_cells_per_ul() -> None:
    """The exported chain run in libRoadRunner gives the reference engine's ANC (cells/uL), read
    as the concentration ``[anc]`` and as the observable ``tox_anc``."""
    sc = get_scenario("default")
    plan = apply_regimen(sc.load(), NAB)
    grid = np.linspace(0.0, 42.0, 43)
    ours = simulate(
        plan.spec,
        params=sc.params,
        initial=sc.initial,
        regimen=plan.schedule,
        t_end=42.0,
        t_eval=grid,
        rtol=1e-9,
        atol=1e-12,
    ).table
    rr = roadrunner.RoadRunner(
        to_sbml(plan.spec, params=sc.params, initial=sc.initial, regimen=plan.schedule)
    )
    rr.integrator.relative_tolerance = 1e-9
    rr.integrator.absolute_tolerance = 1e-12
    rr.integrator.maximum_num_steps = 100_000
    rr.timeCourseSelections = ["time", "[anc]", "tox_anc", "[anc_prol]"]
    theirs = np.asarray(rr.simulate(times=grid))
    anc = ours["anc"].to_numpy()
    assert anc.min() < 0.6 * anc[0]  # the drug does suppress the count
    np.testing.assert_allclose(theirs[:, 1], anc, rtol=1e-4)
    np.testing.assert_allclose(theirs[:, 2], ours["tox_anc"].to_numpy(), rtol=1e-4)
    np.testing.assert_allclose(theirs[:, 3], ours["anc_prol"].to_numpy(), rtol=1e-4)
