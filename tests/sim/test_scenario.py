"""run_scenario() and SolverOptions: one way to run a scenario, one object for the numerics."""

from __future__ import annotations

import numpy as np
import pytest

from senotwin._errors import ValidationError
from senotwin.model import ModelSpec
from senotwin.model.scenarios import get_scenario
from senotwin.model.schedule import Dose, Schedule
from senotwin.sim import SolverOptions, daily, prepare_scenario, run_scenario, simulate


def test_solver_options_are_frozen_checked_and_hashable() -> None:
    opts = SolverOptions(engine="fast", rtol=1e-5, t_eval=np.array([0.0, 1.0, 2.0]))
    assert opts.t_eval == (0.0, 1.0, 2.0) and hash(opts) == hash(opts.with_())
    with pytest.raises(AttributeError):
        opts.rtol = 1e-3  # type: ignore[misc]
    assert opts.with_(atol=1e-6).atol == 1e-6 and opts.atol == 1e-9
    for bad in ({"rtol": 0.0}, {"rtol": 2.0}, {"atol": float("nan")}, {"t_eval": [1.0, 0.5]}):
        with pytest.raises(ValidationError, match=next(iter(bad))):
            SolverOptions(**bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"unknown solver option\(s\) rtl.*allowed: engine"):
        SolverOptions.of(None, rtl=1e-3)


def test_simulate_takes_solver_options_or_the_same_fields_as_keywords(decay: ModelSpec) -> None:
    opts = SolverOptions(rtol=1e-9, atol=1e-12, t_eval=daily(10.0))
    a = simulate(decay, t_end=10.0, solver=opts)
    b = simulate(decay, t_end=10.0, rtol=1e-9, atol=1e-12, t_eval=daily(10.0))
    assert a.table.equals(b.table) and len(a.table) == 11
    assert a.provenance.rtol == 1e-9 and a.provenance.engine == "reference"


def test_run_scenario_equals_the_hand_written_boilerplate() -> None:
    sc = get_scenario("kuznetsov1994_escape")
    by_hand = simulate(sc.load(), params=dict(sc.params), initial=dict(sc.initial), t_end=sc.days)
    assert run_scenario("kuznetsov1994_escape").table.equals(by_hand.table)


def test_run_scenario_sorts_overrides_into_parameters_and_initial_state() -> None:
    res = run_scenario("kuznetsov1994", overrides={"T": 5.0e6, "s": 2.0e4}, days=5.0)
    assert res.table["T"].iloc[0] == pytest.approx(5.0e6)
    assert res.provenance.initial["T"] == 5.0e6 and res.provenance.params["s"] == 2.0e4
    with pytest.raises(ValidationError, match=r"no parameter or species 'TT'; did you mean 'T'"):
        run_scenario("kuznetsov1994", overrides={"TT": 1.0}, days=5.0)


def test_run_scenario_accepts_a_spec_a_schedule_and_a_compiled_treatment(decay: ModelSpec) -> None:
    plain = run_scenario(decay, days=10.0, regimen=Schedule(doses=(Dose(5.0, "X", 50.0),)))
    assert plain.ok and plain.table["X"].iloc[-1] > 100 * np.exp(-2.0)

    class Double:
        def compile_for(self, spec: ModelSpec) -> tuple[ModelSpec, Schedule]:
            return spec, Schedule(doses=(Dose(0.0, "X", 100.0),))

    treated = run_scenario(decay, days=10.0, regimen=Double())
    np.testing.assert_allclose(treated.table["X"].iloc[0], 200.0)


def test_prepare_scenario_is_plain_data_and_runs_with_extra_parameters() -> None:
    setup = prepare_scenario("kuznetsov1994", days=3.0)
    assert setup.name == "kuznetsov1994" and setup.days == 3.0 and isinstance(setup.params, dict)
    res = setup.run(params={"s": 2.0e4}, solver=SolverOptions(t_eval=daily(3.0)))
    assert res.provenance.params["s"] == 2.0e4 and len(res.table) == 4


def test_unknown_scenario_suggests_the_closest_name() -> None:
    with pytest.raises(ValidationError, match="did you mean"):
        run_scenario("kuznetsov199")


@pytest.mark.parametrize("value", ["0.05", None])
def test_an_override_that_is_not_a_number_is_refused_by_name(value: object) -> None:
    """overrides={'k_grow': '0.05'} ended in "Unknown format code 'g' for object of type 'str'"
    (None: "unsupported format string passed to NoneType.__format__") (audit s51)."""
    from senotwin.sim.scenario import prepare_scenario

    with pytest.raises(ValidationError, match=r"^parameter k_grow: expected a number, got "):
        prepare_scenario("default", overrides={"k_grow": value})  # type: ignore[dict-item]


def test_a_run_states_the_unit_of_every_column() -> None:
    """A notebook user got a table of 69 columns and no unit anywhere on the result (the
    spec's species and observables had them); ``res.units`` now gives each (audit s51)."""
    res = run_scenario("default", days=5, solver=SolverOptions(engine="fast"))
    assert list(res.units) == list(res.table.columns)
    assert (res.units["time"], res.units["V_T"], res.units["diameter"]) == ("day", "mL", "mm")
    spec = prepare_scenario("default").spec
    assert all(res.units[o.id] == o.unit for o in spec.observables)


def test_a_batch_states_the_unit_of_every_column_and_pickles() -> None:
    """simulate_batch's result had no units, where a single run's has them (left by the API
    audit, s51): each column's unit as the single run gives it, and it pickles like one."""
    import pickle

    from senotwin.sim import simulate_batch

    spec = prepare_scenario("default").spec
    single = run_scenario("default", days=2, solver=SolverOptions(engine="fast"))
    batch = simulate_batch(spec, [{}, {}], t_end=2.0, t_eval=[0.0, 1.0, 2.0])
    assert set(batch.units) == {"time", *batch.columns}
    assert all(batch.units[c] == single.units[c] for c in batch.columns if c in single.units)
    assert batch.units["V_T"] == "mL"
    back = pickle.loads(pickle.dumps(batch))
    assert dict(back.units) == dict(batch.units) and back.columns == batch.columns


def test_a_run_pickles_and_deep_copies() -> None:
    """pickle.dumps(res) and copy.deepcopy(res) failed ("cannot pickle 'mappingproxy'"), so a
    run could not come back from a process pool nor be saved (audit s51)."""
    import copy
    import pickle
    from types import MappingProxyType

    res = run_scenario("default", days=5, blocks={"CD274": 0.5}, solver=SolverOptions("fast"))
    for back in (pickle.loads(pickle.dumps(res)), copy.deepcopy(res)):
        assert back.provenance == res.provenance and back.table.equals(res.table)
        assert back.units == res.units and isinstance(back.units, MappingProxyType)
        assert isinstance(back.provenance.blocks, MappingProxyType)


def test_every_registered_scenario_pickles_and_deep_copies() -> None:
    """A Scenario's read-only params/initial views made pickle.dumps fail ("cannot pickle
    'mappingproxy'"), so a scenario could not be sent to a process pool (left by the API audit,
    s51): each built-in comes back equal, still read-only, and its loader still loads."""
    import copy
    import pickle
    from types import MappingProxyType

    from senotwin.model.scenarios import scenario_names

    names = scenario_names()
    assert len(names) > 10
    for name in names:
        scenario = get_scenario(name)
        for back in (pickle.loads(pickle.dumps(scenario)), copy.deepcopy(scenario)):
            fields = ("name", "description", "params", "initial", "days", "reference")
            assert all(getattr(back, f) == getattr(scenario, f) for f in fields), name
            assert isinstance(back.params, MappingProxyType), name
            with pytest.raises(TypeError):
                back.params["k_grow"] = 1.0  # type: ignore[index]
    assert (
        get_scenario("default").load().id
        == pickle.loads(pickle.dumps(get_scenario("default"))).load().id
    )
