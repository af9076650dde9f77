"""Simulation: engines (reference SciPy, fast LSODA, libRoadRunner), simulate(), run_scenario()."""

from __future__ import annotations

from senotwin.model.schedule import Dose, Infusion, Schedule, Step
from senotwin.sim.engines import engine_names, register_engine
from senotwin.sim.options import SolverOptions, daily, default_grid
from senotwin.sim.result import BatchResult, RunProvenance, SimulationResult, SolverStats
from senotwin.sim.scenario import (
    ScenarioSetup,
    Treatment,
    as_scenario,
    prepare_scenario,
    run_scenario,
    split_overrides,
)
from senotwin.sim.simulate import MAX_DAYS, check_days, simulate, simulate_batch

__all__ = [
    "MAX_DAYS",
    "BatchResult",
    "Dose",
    "Infusion",
    "RunProvenance",
    "ScenarioSetup",
    "Schedule",
    "SimulationResult",
    "SolverOptions",
    "SolverStats",
    "Step",
    "Treatment",
    "as_scenario",
    "check_days",
    "daily",
    "default_grid",
    "engine_names",
    "prepare_scenario",
    "register_engine",
    "run_scenario",
    "simulate",
    "simulate_batch",
    "split_overrides",
]
