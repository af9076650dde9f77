"""senotwin: the SASP-driven aging tumour microenvironment, executable and evidence-linked.

``import senotwin`` is light and has no side effects: the names in ``__all__`` are loaded on
first use (PEP 562), so ``senotwin.run_scenario`` imports the simulation layer only when it is
touched. ``senotwin.citation()`` says what to cite. It wires (without importing) the trial
layer's ``liu2019`` into the calibration problems, which the calibrate layer may not import.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from senotwin import _registry
from senotwin._errors import (
    ArgumentTypeError,
    CompileError,
    ExportError,
    SenotwinError,
    SimulationError,
    ValidationError,
)

try:
    __version__ = version("senotwin")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

REVIEW_CITATION = (
    "Wang H, Yu Y, Li R, Zhang H, Chen ZS, Sun C, Zhuang J. Immunoregulatory mechanisms in the "
    "aging microenvironment: targeting the senescence-associated secretory phenotype for cancer "
    "immunotherapy. Acta Pharm Sin B 2025. doi:10.1016/j.apsb.2025.07.022"
)


def _trial_problems(registry: _registry.Registry[Any]) -> None:
    """The trial layer's simulated-cohort problem (``liu2019``), a built-in calibration problem:
    wired here, above both layers, because calibrate may not import trial."""
    from senotwin.trial.ici_fit import named_problem

    registry.register(named_problem())


_registry.extend("calibration problem", _trial_problems)

# public name -> module that defines it (loaded on first attribute access)
_LAZY: dict[str, str] = {
    # knowledge base
    "KnowledgeBase": "senotwin.kb.loader",
    "load_kb": "senotwin.kb.loader",
    # models and scenarios
    "ModelSpec": "senotwin.model.spec",
    "load_spec": "senotwin.model.io",
    "load_tme": "senotwin.model.tme",
    "Scenario": "senotwin.model.scenarios",
    "get_scenario": "senotwin.model.scenarios",
    "register_scenario": "senotwin.model.scenarios",
    "scenario_names": "senotwin.model.scenarios",
    "Dose": "senotwin.model.schedule",
    "Infusion": "senotwin.model.schedule",
    "Schedule": "senotwin.model.schedule",
    "Step": "senotwin.model.schedule",
    # simulation
    "SolverOptions": "senotwin.sim.options",
    "SimulationResult": "senotwin.sim.result",
    "simulate": "senotwin.sim.simulate",
    "simulate_batch": "senotwin.sim.simulate",
    "run_scenario": "senotwin.sim.scenario",
    "prepare_scenario": "senotwin.sim.scenario",
    "engine_names": "senotwin.sim.engines",
    # therapy
    "Drug": "senotwin.therapy.drugs",
    "drug_library": "senotwin.therapy.drugs",
    "get_drug": "senotwin.therapy.drugs",
    "Regimen": "senotwin.therapy.language",
    "parse_regimen": "senotwin.therapy.language",
    # cohorts and analysis
    "CohortArm": "senotwin.cohort.runner",
    "CohortConfig": "senotwin.cohort.runner",
    "run_cohort": "senotwin.cohort.runner",
    "load_rows": "senotwin.cohort.store",
    "population_for": "senotwin.cohort.population",
    "qsp_population": "senotwin.cohort.population",
    "tme_population": "senotwin.cohort.population",
    "optimize_schedule": "senotwin.cohort.optimize",
    "EndpointReducer": "senotwin.analysis.endpoints",
    "EndpointRules": "senotwin.analysis.endpoints",
    "arm_summary": "senotwin.analysis.survival",
    "compare_arms": "senotwin.analysis.therapy",
    "dose_response": "senotwin.analysis.therapy",
    "run_sensitivity": "senotwin.analysis.sensitivity",
    "run_validation": "senotwin.analysis.validation",
    "run_model_check": "senotwin.analysis.model_check",
    "make_twin": "senotwin.analysis.twin",
    # transcriptome scoring
    "score_adata": "senotwin.sc.scoring",
    "score_matrix": "senotwin.sc.scoring",
    "get_signature": "senotwin.sc.signatures",
}
# public names whose defining module calls them something else
_RENAMED: dict[str, str] = {"load_kb": "load", "drug_library": "library"}

__all__ = [
    "REVIEW_CITATION",
    "ArgumentTypeError",
    "CohortArm",
    "CohortConfig",
    "CompileError",
    "Dose",
    "Drug",
    "EndpointReducer",
    "EndpointRules",
    "ExportError",
    "Infusion",
    "KnowledgeBase",
    "ModelSpec",
    "Regimen",
    "Scenario",
    "Schedule",
    "SenotwinError",
    "SimulationError",
    "SimulationResult",
    "SolverOptions",
    "Step",
    "ValidationError",
    "__version__",
    "arm_summary",
    "citation",
    "compare_arms",
    "dose_response",
    "drug_library",
    "engine_names",
    "get_drug",
    "get_scenario",
    "get_signature",
    "load_kb",
    "load_rows",
    "load_spec",
    "load_tme",
    "make_twin",
    "optimize_schedule",
    "parse_regimen",
    "population_for",
    "prepare_scenario",
    "qsp_population",
    "register_scenario",
    "run_cohort",
    "run_model_check",
    "run_scenario",
    "run_sensitivity",
    "run_validation",
    "scenario_names",
    "score_adata",
    "score_matrix",
    "simulate",
    "simulate_batch",
    "tme_population",
]


def __getattr__(name: str) -> Any:
    """Load a public name on first use (PEP 562) and cache it on the package."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'senotwin' has no attribute {name!r}")
    value = getattr(import_module(module), _RENAMED.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


def citation(run: object | None = None) -> str:
    """What to cite: the review senotwin implements and this version of senotwin.

    Given a ModelSpec, also the references of the rate-law templates it uses; given a
    SimulationResult, also the engine and integration method the run used.
    """
    lines = [REVIEW_CITATION, f"senotwin {__version__} (the executable model)."]
    model = import_module("senotwin.model.spec")
    result = import_module("senotwin.sim.result") if run is not None else None
    if isinstance(run, model.ModelSpec):
        ratelaws = import_module("senotwin.model.ratelaws")
        used = sorted({p.rate_law for p in run.processes if p.rate_law is not None})
        refs = sorted({ratelaws.get(name).reference for name in used})
        lines += [f"rate law: {ref}" for ref in refs]
    elif result is not None and isinstance(run, result.SimulationResult):
        prov = run.provenance
        lines.append(
            f"run: model {prov.model_id} ({prov.model_digest[:12]}), engine {prov.engine}, "
            f"method {prov.method}, rtol {prov.rtol:g}, atol {prov.atol:g}"
        )
    elif run is not None:  # refused by parameter, type and value, as every public entry does
        what = "a ModelSpec or a SimulationResult (or None)"
        raise ArgumentTypeError(f"run must be {what}, got {type(run).__name__} {run!r:.40}")
    return "\n".join(lines)


if TYPE_CHECKING:  # what the lazy names are, for type checkers and IDEs
    from senotwin.analysis.endpoints import EndpointReducer, EndpointRules
    from senotwin.analysis.model_check import run_model_check
    from senotwin.analysis.sensitivity import run_sensitivity
    from senotwin.analysis.survival import arm_summary
    from senotwin.analysis.therapy import compare_arms, dose_response
    from senotwin.analysis.twin import make_twin
    from senotwin.analysis.validation import run_validation
    from senotwin.cohort.optimize import optimize_schedule
    from senotwin.cohort.population import population_for, qsp_population, tme_population
    from senotwin.cohort.runner import CohortArm, CohortConfig, run_cohort
    from senotwin.cohort.store import load_rows
    from senotwin.kb.loader import KnowledgeBase
    from senotwin.kb.loader import load as load_kb
    from senotwin.model.io import load_spec
    from senotwin.model.scenarios import (
        Scenario,
        get_scenario,
        register_scenario,
        scenario_names,
    )
    from senotwin.model.schedule import Dose, Infusion, Schedule, Step
    from senotwin.model.spec import ModelSpec
    from senotwin.model.tme import load_tme
    from senotwin.sc.scoring import score_adata, score_matrix
    from senotwin.sc.signatures import get_signature
    from senotwin.sim.engines import engine_names
    from senotwin.sim.options import SolverOptions
    from senotwin.sim.result import SimulationResult
    from senotwin.sim.scenario import prepare_scenario, run_scenario
    from senotwin.sim.simulate import simulate, simulate_batch
    from senotwin.therapy.drugs import Drug, get_drug
    from senotwin.therapy.drugs import library as drug_library
    from senotwin.therapy.language import Regimen, parse_regimen
