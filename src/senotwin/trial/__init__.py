"""Virtual clinical trials: a library of published trials as data, run on trial-like patients.

A trial (``trial/data/<id>.yaml``) names its population (inclusion, reported baseline), its arms
as regimens of the regimen language, its tumour-assessment schedule and its published results
with their source. :func:`senotwin.trial.run.run_trial` selects virtual patients to the reported
baseline, runs every arm on the same patients, applies RECIST 1.1 as the trial did and sets the
simulated endpoints beside the published ones; :func:`senotwin.trial.toxicity.blood_counts` reads
each patient's neutropenia where an arm has a model of it. Nothing is fitted to any trial's
outcomes.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# public name -> module that defines it, loaded on first use (PEP 562): importing one trial
# module does not import the whole trial stack. The combination check's own function,
# ``independence``, shares its module's name, so it is imported from
# ``senotwin.trial.independence``.
_LAZY: dict[str, str] = {
    "TrialSpec": "senotwin.trial.spec",
    "get_trial": "senotwin.trial.library",
    "trials": "senotwin.trial.library",
    "run_trial": "senotwin.trial.run",
    "compare_trial": "senotwin.trial.run",
    "load_trial_rows": "senotwin.trial.run",
    "TrialComparison": "senotwin.trial.run",
    "Independence": "senotwin.trial.independence",
    "independence_trial": "senotwin.trial.independence",
    "run_replicates": "senotwin.trial.replicates",
    "blood_counts": "senotwin.trial.toxicity",
}

__all__ = [
    "Independence",
    "TrialComparison",
    "TrialSpec",
    "blood_counts",
    "compare_trial",
    "get_trial",
    "independence_trial",
    "load_trial_rows",
    "run_replicates",
    "run_trial",
    "trials",
]

if TYPE_CHECKING:  # what the lazy names are, for type checkers and IDEs
    from senotwin.trial.independence import Independence, independence_trial
    from senotwin.trial.library import get_trial, trials
    from senotwin.trial.replicates import run_replicates
    from senotwin.trial.run import TrialComparison, compare_trial, load_trial_rows, run_trial
    from senotwin.trial.spec import TrialSpec
    from senotwin.trial.toxicity import blood_counts


def __getattr__(name: str) -> Any:
    """Load a public name on first use (PEP 562) and cache it on the package."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'senotwin.trial' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
