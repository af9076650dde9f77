"""simulate(): analytic oracles, piece-wise doses, blocks, failures as data, validation."""

from __future__ import annotations

import numpy as np
import pytest

from senotwin._errors import SimulationError, ValidationError
from senotwin.model import ModelSpec
from senotwin.sim import Dose, Infusion, Schedule, Step, simulate, simulate_batch

ENGINES = ["reference", "fast", "roadrunner"]


@pytest.mark.parametrize("engine", ENGINES)
def test_decay_matches_exponential(decay: ModelSpec, engine: str) -> None:
    res = simulate(decay, t_end=10.0, engine=engine, rtol=1e-9, atol=1e-12)
    assert res.ok and res.status == "success"
    t = res.table["time"].to_numpy()
    np.testing.assert_allclose(res.table["X"], 100 * np.exp(-0.2 * t), rtol=1e-6)
    np.testing.assert_allclose(res.table["twice"], 2 * res.table["X"], rtol=1e-12)
    assert list(res.table.columns) == ["time", "X", "twice"]


@pytest.mark.parametrize("engine", ENGINES)
def test_bolus_dose_is_a_jump(decay: ModelSpec, engine: str) -> None:
    grid = np.linspace(0, 10, 11)
    res = simulate(
        decay,
        t_end=10.0,
        t_eval=grid,
        engine=engine,
        rtol=1e-9,
        atol=1e-12,
        regimen=[Dose(time=5.0, target="X", amount=50.0)],
    )
    x = res.table["X"].to_numpy()
    expected = 100 * np.exp(-0.2 * grid) + np.where(grid >= 5, 50 * np.exp(-0.2 * (grid - 5)), 0)
    np.testing.assert_allclose(x, expected, rtol=1e-6)


@pytest.mark.parametrize("engine", ENGINES)
def test_infusion_and_step(decay: ModelSpec, engine: str) -> None:
    # infusion u on [2, 6): X = X0 e^{-kt} + u/k (1 - e^{-k (t-2)}) then decays
    k, u = 0.2, 30.0
    grid = np.linspace(0, 8, 17)
    res = simulate(
        decay,
        t_end=8.0,
        t_eval=grid,
        engine=engine,
        rtol=1e-9,
        atol=1e-12,
        regimen=Schedule(infusions=(Infusion(2.0, 6.0, "X", u),)),
    )
    base = 100 * np.exp(-k * grid)
    inf6 = u / k * (1 - np.exp(-k * 4))
    extra = np.where(
        grid < 2,
        0,
        np.where(grid < 6, u / k * (1 - np.exp(-k * (grid - 2))), inf6 * np.exp(-k * (grid - 6))),
    )
    np.testing.assert_allclose(res.table["X"], base + extra, rtol=1e-6)
    # a step doubling k at t=4
    res2 = simulate(
        decay,
        t_end=8.0,
        t_eval=grid,
        engine=engine,
        rtol=1e-9,
        atol=1e-12,
        regimen=[Step(4.0, "k", 0.4)],
    )
    exp2 = np.where(grid < 4, base, 100 * np.exp(-0.8) * np.exp(-0.4 * (grid - 4)))
    np.testing.assert_allclose(res2.table["X"], exp2, rtol=1e-6)


@pytest.mark.parametrize("engine", ENGINES)
def test_block_scales_entity_use(decay: ModelSpec, engine: str) -> None:
    res = simulate(decay, t_end=5.0, engine=engine, blocks={"KE": 0.5}, rtol=1e-9, atol=1e-12)
    t = res.table["time"].to_numpy()
    np.testing.assert_allclose(res.table["X"], 100 * np.exp(-0.1 * t), rtol=1e-6)
    assert dict(res.provenance.blocks) == {"KE": 0.5}
    # a step on a block parameter works like a timed drug
    grid = np.array([0.0, 2.0, 4.0])
    res2 = simulate(
        decay,
        t_end=4.0,
        t_eval=grid,
        engine=engine,
        rtol=1e-9,
        atol=1e-12,
        regimen=[Step(2.0, "block_KE", 1.0)],
    )
    np.testing.assert_allclose(
        res2.table["X"], [100, 100 * np.exp(-0.4), 100 * np.exp(-0.4)], rtol=1e-6
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_failure_is_data_and_throw_raises(blowup: ModelSpec, engine: str) -> None:
    # a zero dose at t=0.5 cuts the run in two segments: rows of the first one survive
    res = simulate(
        blowup,
        t_end=2.0,
        engine=engine,
        t_eval=np.linspace(0, 2, 21),
        regimen=[Dose(0.5, "X", 0.0)],
    )
    assert res.status == "failed" and not res.ok
    assert "[0.5, 2]" in res.message
    np.testing.assert_allclose(res.table["time"], np.linspace(0, 0.4, 5))
    np.testing.assert_allclose(res.table["X"], 1 / (1 - res.table["time"]), rtol=1e-4)
    with pytest.raises(SimulationError, match="blowup"):
        simulate(blowup, t_end=2.0, engine=engine, throw=True)


def test_validation_messages(decay: ModelSpec) -> None:
    with pytest.raises(ValidationError, match="unknown parameter 'kk'; did you mean 'k'"):
        simulate(decay, t_end=1.0, params={"kk": 0.1})
    with pytest.raises(ValidationError, match=r"outside its plausible range \[0.01, 1.0\]"):
        simulate(decay, t_end=1.0, params={"k": 5.0})
    res = simulate(decay, t_end=1.0, params={"k": 5.0}, check_ranges=False)
    assert res.ok
    with pytest.raises(ValidationError, match="unknown entity 'XF' to block; did you mean 'XE'"):
        simulate(decay, t_end=1.0, blocks={"XF": 0.5})
    with pytest.raises(ValidationError, match=r"fraction in \[0, 1\]"):
        simulate(decay, t_end=1.0, blocks={"XE": 1.5})
    with pytest.raises(ValidationError, match="unknown species 'Y'"):
        simulate(decay, t_end=1.0, initial={"Y": 1.0})
    with pytest.raises(ValidationError, match=">= 0"):
        simulate(decay, t_end=1.0, initial={"X": -1.0})
    with pytest.raises(ValidationError, match="t_end"):
        simulate(decay, t_end=-1.0)
    with pytest.raises(ValidationError, match="unknown engine"):
        simulate(decay, t_end=1.0, engine="warp")
    with pytest.raises(ValidationError, match="dose targets unknown species"):
        simulate(decay, t_end=1.0, regimen=[Dose(0.5, "Z", 1.0)])
    with pytest.raises(ValidationError, match="strictly increasing"):
        simulate(decay, t_end=1.0, t_eval=[0.0, 0.5, 0.5])


def test_provenance_and_summary(decay: ModelSpec) -> None:
    res = simulate(decay, t_end=3.0, params={"k": 0.3})
    prov = res.provenance
    assert prov.engine == "reference" and prov.rtol == 1e-6 and prov.atol == 1e-9
    assert dict(prov.params) == {"k": 0.3} and prov.model_digest == decay.digest()
    summary = res.summary()
    assert summary["status"] == "success"
    assert summary["final"]["X"] == pytest.approx(100 * np.exp(-0.9), rel=1e-4)
    long = res.long()
    assert set(long["kind"]) == {"species", "observable"}


def test_batch_matches_single_runs(decay: ModelSpec) -> None:
    sets = [{"k": 0.1}, {"k": 0.5}]
    batch = simulate_batch(decay, sets, t_end=4.0, t_eval=[0.0, 2.0, 4.0], rtol=1e-9, atol=1e-12)
    assert batch.status == ("success", "success")
    for i, ps in enumerate(sets):
        np.testing.assert_allclose(
            batch.run(i)["X"], 100 * np.exp(-ps["k"] * np.array([0, 2, 4])), rtol=1e-6
        )


def test_a_block_may_name_the_entity_by_a_knowledge_base_alias() -> None:
    """'PD-L1' was refused with 'did you mean PDCD1' (PD-1, another molecule): a block resolves
    the knowledge base's names and aliases to the model's entity (audit, session 41)."""
    from senotwin import run_scenario

    by_alias = run_scenario("default", blocks={"PD-L1": 0.9}, days=20)
    by_id = run_scenario("default", blocks={"CD274": 0.9}, days=20)
    assert by_alias.ok and by_alias.table.equals(by_id.table)
    with pytest.raises(ValidationError, match=r"knows it as BCL2, which this model does not"):
        run_scenario("default", blocks={"BCL-2": 0.9}, days=20)


def test_an_unknown_engine_fails_when_the_options_are_made() -> None:
    """SolverOptions(engine='turbo') was accepted and failed at the first run (audit, s41)."""
    from senotwin import SolverOptions

    with pytest.raises(ValidationError, match=r"unknown engine 'turbo'.*fast"):
        SolverOptions(engine="turbo")


@pytest.mark.parametrize("engine", ["fast", "roadrunner"])
def test_a_method_the_engine_does_not_take_is_refused(engine: str) -> None:
    """SolverOptions(engine='fast', method='Radau') ran Rodas5P without a word (RoadRunner alike,
    CVODE): the method asked for was silently ignored (audit s51)."""
    from senotwin import SolverOptions

    with pytest.raises(ValidationError, match=rf"^method 'Radau': engine '{engine}' has one .*"):
        SolverOptions(engine=engine, method="Radau")
    assert SolverOptions(engine=engine).method is None


def test_an_unknown_method_of_the_reference_engine_fails_when_the_options_are_made(
    decay: ModelSpec,
) -> None:
    """method='lsoda' made a failed run carrying SciPy's "`method` must be one of {...}" with
    the classes' reprs; now the options are refused, naming the methods (audit s51)."""
    from senotwin import SolverOptions

    with pytest.raises(ValidationError, match=r"unknown method 'lsoda'.*did you mean 'LSODA'"):
        SolverOptions(engine="reference", method="lsoda")
    opts = SolverOptions(engine="reference", method="Radau")
    res = simulate(decay, t_end=1.0, solver=opts)
    assert res.ok and res.provenance.method == "scipy.Radau"


def test_a_step_value_or_infusion_rate_that_is_not_a_number_is_refused_by_name() -> None:
    """Step(1, 'k', '0.5') and Infusion(0, 1, 'X', '2') ended in math.isfinite's bare
    "must be real number, not str" (audit s51)."""
    with pytest.raises(ValidationError, match=r"^step of k: value must be a finite number, got '0"):
        Step(1.0, "k", "0.5")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^infusion into X: rate must be a finite number, "):
        Infusion(0.0, 1.0, "X", None)  # type: ignore[arg-type]
    assert Step(1.0, "k", np.int64(2)).value == 2 and Infusion(0, 1, "X", np.float32(1.5)).rate
