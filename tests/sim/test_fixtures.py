"""Published behaviour of the fixture models, and agreement of all engines on them."""

from __future__ import annotations

import libsbml
import numpy as np
import pytest
import roadrunner

from senotwin.export.sbml import to_sbml
from senotwin.model import fixture_names, get_scenario, load_fixture, scenario_names
from senotwin.model.spec import ModelSpec
from senotwin.sim import Dose, simulate

FIXTURE_DAYS = {"kuznetsov1994": 200.0, "depillis2005": 60.0, "karin2019": 600.0}
RTOL, ATOL = 1e-9, 1e-12  # tight so that both solvers are well inside the 1e-4 agreement


def _plain_roadrunner(
    spec: ModelSpec,
    grid: np.ndarray,
    params: dict[str, float] | None = None,
    initial: dict[str, float] | None = None,
) -> np.ndarray:
    rr = roadrunner.RoadRunner(to_sbml(spec))
    for sid, value in (initial or {}).items():
        rr[f"init({sid})"] = value
    rr.reset()  # also restores global parameters, so they are set afterwards
    for pid, value in (params or {}).items():
        rr[pid] = value
    rr.integrator.relative_tolerance = RTOL
    rr.integrator.absolute_tolerance = ATOL
    rr.integrator.maximum_num_steps = 100_000
    rr.timeCourseSelections = ["time", *spec.species_ids, *spec.observable_ids]
    return np.asarray(rr.simulate(times=grid))[:, 1:]


def _close(a: np.ndarray, b: np.ndarray) -> None:
    """Relative difference <= 1e-4, with a floor of 1e-9 x the column's largest magnitude (at
    least 1e-7: a column that stays 0, such as senescent cells without senescence, picks up
    ~1e-9 of solver noise in libRoadRunner and ~1e-8 on the fast engine -- 1.2e-8 cells of
    p16_arrest in aged_lung_no_senescence since session 15's C_max)."""
    scale = np.maximum(np.max(np.abs(b), axis=0, keepdims=True), 100.0)
    excess = np.abs(a - b) - (1e-4 * np.abs(b) + 1e-9 * scale)
    worst = np.unravel_index(np.argmax(excess), excess.shape)
    assert excess.max() <= 0, f"row/column {worst}: {a[worst]} vs {b[worst]}"


def test_all_fixtures_listed() -> None:
    assert set(FIXTURE_DAYS) == set(fixture_names())


@pytest.mark.parametrize("name", sorted(FIXTURE_DAYS))
def test_engines_agree_with_each_other_and_exported_sbml(name: str) -> None:
    spec = load_fixture(name)
    days = FIXTURE_DAYS[name]
    grid = np.linspace(0, days, 61)
    kw = {"t_end": days, "t_eval": grid, "rtol": RTOL, "atol": ATOL}
    ref = simulate(spec, engine="reference", method="BDF", **kw)
    fast = simulate(spec, engine="fast", **kw)
    rr_engine = simulate(spec, engine="roadrunner", **kw)
    assert ref.ok and fast.ok and rr_engine.ok, (ref.message, fast.message, rr_engine.message)
    cols = [*spec.species_ids, *spec.observable_ids]
    a = ref.table[cols].to_numpy()
    b = fast.table[cols].to_numpy()
    _close(a, b)
    _close(rr_engine.table[cols].to_numpy(), a)
    _close(b, _plain_roadrunner(spec, grid))


def test_engines_agree_on_the_full_tme_model_and_its_exported_sbml() -> None:
    """Legacy default scenario, 1 year: reference, fast and libRoadRunner on the exported SBML."""
    sc = get_scenario("legacy_default")
    spec = sc.load()
    grid = np.linspace(0, 365.0, 74)
    kw = {"t_end": 365.0, "t_eval": grid, "rtol": RTOL, "atol": ATOL}
    params, initial = dict(sc.params), dict(sc.initial)
    ref = simulate(spec, params=params, initial=initial, engine="reference", **kw)
    fast = simulate(spec, params=params, initial=initial, engine="fast", **kw)
    assert ref.ok and fast.ok, (ref.message, fast.message)
    cols = [*spec.species_ids, *spec.observable_ids]
    a = ref.table[cols].to_numpy()
    b = fast.table[cols].to_numpy()
    _close(b, a)
    _close(_exported_roadrunner(sc.name, grid), a)


_LOADED: dict[str, roadrunner.RoadRunner] = {}


def _values(doc: libsbml.SBMLDocument) -> tuple[dict[str, float], dict[str, float]]:
    """Parameter values and initial amounts (concentrations for a species in ug/mL) written in
    an SBML document, and clear them."""
    model = doc.getModel()
    params, initial = {}, {}
    for i in range(model.getNumParameters()):
        par = model.getParameter(i)
        if par.getConstant():
            params[par.getId()] = par.getValue()
            par.setValue(0.0)
    for i in range(model.getNumSpecies()):
        sp = model.getSpecies(i)
        if sp.getHasOnlySubstanceUnits():
            initial[sp.getId()] = sp.getInitialAmount()
            sp.setInitialAmount(0.0)
        else:
            initial[sp.getId()] = sp.getInitialConcentration()
            sp.setInitialConcentration(0.0)
    return params, initial


def _symbols(doc: libsbml.SBMLDocument) -> dict[str, str]:
    """libRoadRunner's name of each species' value: ``[S]`` where the export writes a
    concentration (the model's unit is one: ug/mL), ``S`` (the amount) otherwise."""
    model = doc.getModel()
    out = {}
    for i in range(model.getNumSpecies()):
        sp = model.getSpecies(i)
        out[sp.getId()] = sp.getId() if sp.getHasOnlySubstanceUnits() else f"[{sp.getId()}]"
    return out


def _exported_roadrunner(name: str, grid: np.ndarray) -> np.ndarray:
    """libRoadRunner on the SBML exported for scenario ``name``.

    Scenarios of one model differ only in values: the exported file is checked to be the
    model's SBML with exactly those values, so one loaded instance runs every scenario.
    """
    sc = get_scenario(name)
    spec = sc.load()
    doc = libsbml.readSBMLFromString(to_sbml(spec, params=sc.params, initial=sc.initial))
    params, initial = _values(doc)
    symbol = _symbols(doc)
    # libsbml writes 15 significant digits
    assert {k: params[k] for k in sc.params} == pytest.approx(dict(sc.params), rel=1e-14)
    assert {k: initial[k] for k in sc.initial} == pytest.approx(dict(sc.initial), rel=1e-14)
    structure = libsbml.writeSBMLToString(doc)
    if structure not in _LOADED:
        _LOADED[structure] = roadrunner.RoadRunner(structure)
    rr = _LOADED[structure]
    rr.resetAll()
    # current amounts at t = 0, not init(...): setting an init value makes libRoadRunner
    # regenerate the model (seconds each), which made this test take minutes
    for name, value in (*initial.items(), *params.items()):
        rr[symbol.get(name, name)] = value
    rr.integrator.relative_tolerance = RTOL
    rr.integrator.absolute_tolerance = ATOL
    rr.integrator.maximum_num_steps = 100_000
    rr.timeCourseSelections = [
        "time",
        *(symbol[s] for s in spec.species_ids),
        *spec.observable_ids,
    ]
    return np.asarray(rr.simulate(times=grid))[:, 1:]


@pytest.mark.parametrize("name", scenario_names())
def test_every_scenario_exported_as_sbml_runs_like_simulate(name: str) -> None:
    """libRoadRunner on each scenario's exported SBML agrees with the fast engine to 1e-4."""
    sc = get_scenario(name)
    spec = sc.load()
    grid = np.linspace(0, sc.days, 41)
    res = simulate(
        spec,
        params=dict(sc.params),
        initial=dict(sc.initial),
        engine="fast",
        t_end=sc.days,
        t_eval=grid,
        rtol=RTOL,
        atol=ATOL,
        check_ranges=sc.check_ranges,  # a mouse context lies outside the human ranges
    )
    assert res.ok, res.message
    cols = [*spec.species_ids, *spec.observable_ids]
    _close(_exported_roadrunner(name, grid), res.table[cols].to_numpy())


def test_kuznetsov_dormancy_versus_escape() -> None:
    spec = load_fixture("kuznetsov1994")
    small = simulate(spec, t_end=1000.0, initial={"T": 1.0e6})
    large = simulate(spec, t_end=1000.0, initial={"T": 1.0e8})
    # small inoculum: tumour held in a dormant state far below capacity 1/b = 5e8
    t_small = small.table["T"].to_numpy()
    assert 1.0e6 < t_small[-1] < 5.0e7
    assert np.all(t_small[-200:] < 5.0e7)
    # large inoculum escapes to near carrying capacity and exhausts effectors
    assert large.final()["T"] > 4.0e8
    assert large.final()["E"] < small.final()["E"]


def test_kuznetsov_blocking_killing_lets_small_tumour_escape() -> None:
    spec = load_fixture("kuznetsov1994")
    res = simulate(spec, t_end=365.0, blocks={"effector_killing": 1.0})
    assert res.final()["T"] > 4.0e8


def test_depillis_small_challenge_rejected_large_escapes_cd8_needed() -> None:
    spec = load_fixture("depillis2005")
    small = simulate(spec, t_end=120.0, initial={"T": 1.0e5})
    large = simulate(spec, t_end=120.0, initial={"T": 1.0e8})
    assert small.final()["T"] < 1.0
    assert large.final()["T"] > 5.0e8
    knockout = simulate(spec, t_end=120.0, initial={"T": 1.0e5}, blocks={"CD8": 1.0})
    assert knockout.final()["T"] > 5.0e8


def test_karin_removal_half_life_lengthens_with_age() -> None:
    spec = load_fixture("karin2019")
    res = simulate(spec, t_end=600.0)
    tab = res.table.set_index("time")
    young, old = tab.loc[90.0], tab.loc[540.0]
    assert young["removal_half_life"] < 5.0  # days in young mice
    assert old["removal_half_life"] > 7.0  # weeks-scale in old mice
    # young: X follows the quasi-steady state kappa eta t / (beta - eta t) closely
    assert young["X"] == pytest.approx(young["qss_X"], rel=0.1)


@pytest.mark.parametrize("age", [90.0, 500.0])
def test_karin_small_perturbation_decays_at_linearised_rate(age: float) -> None:
    spec = load_fixture("karin2019")
    eps = 1e-3
    grid = np.array([0.0, age, age + 1.0])
    base = simulate(spec, t_end=age + 1.0, t_eval=grid, rtol=1e-10, atol=1e-14)
    kicked = simulate(
        spec, t_end=age + 1.0, t_eval=grid, rtol=1e-10, atol=1e-14, regimen=[Dose(age, "X", eps)]
    )
    x = float(base.table["X"].iloc[1])
    excess = float(kicked.table["X"].iloc[2] - base.table["X"].iloc[2])
    rate = 0.27 * 1.1 / (1.1 + x) ** 2  # d/dX of beta X/(kappa + X)
    assert excess == pytest.approx(eps * np.exp(-rate), rel=2e-2)
