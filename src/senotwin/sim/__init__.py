"""Simulation: engines (reference SciPy, fast compiled LSODA, libRoadRunner), regimens, results."""

from __future__ import annotations

from senotwin.model.schedule import Dose, Infusion, Schedule, Step
from senotwin.sim.engines import engine_names, register_engine
from senotwin.sim.result import BatchResult, RunProvenance, SimulationResult, SolverStats
from senotwin.sim.simulate import default_grid, simulate, simulate_batch

__all__ = [
    "BatchResult",
    "Dose",
    "Infusion",
    "RunProvenance",
    "Schedule",
    "SimulationResult",
    "SolverStats",
    "Step",
    "default_grid",
    "engine_names",
    "register_engine",
    "simulate",
    "simulate_batch",
]
