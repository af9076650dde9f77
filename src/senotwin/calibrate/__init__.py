"""Calibration: PEtab problems, multi-start fits, profiles and shipped data sets (issue 12).

Layer: above sim and therapy, beside analysis; report and cli draw and drive it.
"""

from senotwin.calibrate.fit import FitResult, fit_problem
from senotwin.calibrate.objective import Objective
from senotwin.calibrate.petab_io import export_problem, lint_problem, load_problem
from senotwin.calibrate.problem import FitParameter, Problem, Readout
from senotwin.calibrate.problems import (
    NamedProblem,
    get_problem,
    problem_names,
    register_problem,
    scenario_problem,
)

__all__ = [
    "FitParameter",
    "FitResult",
    "NamedProblem",
    "Objective",
    "Problem",
    "Readout",
    "export_problem",
    "fit_problem",
    "get_problem",
    "lint_problem",
    "load_problem",
    "problem_names",
    "register_problem",
    "scenario_problem",
]
