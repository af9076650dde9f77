"""Shipped fit results: each shipped problem's multi-start fit, profiles and fit curves, computed
once by ``scripts/calibration_results.py`` and kept as package data
(``calibrate/data/<name>/fit_result.json``) so that the demo report draws them without refitting.

A fingerprint of the problem (its model's equations and values, data, held-back part, fit
parameters and conditions) is stored with the results; :func:`load_shipped_fit` says
``current: False`` when the problem changed since (regenerate with the script).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from senotwin._errors import ValidationError
from senotwin.calibrate.fit import FitResult, GoodnessOfFit, Start
from senotwin.calibrate.objective import Objective
from senotwin.calibrate.problem import Problem
from senotwin.calibrate.profile import Profile
from senotwin.model.describe import spec_fingerprint

RESULT_FILE = "fit_result.json"
#: bumped when the stored layout changes
FORMAT = 1


def problem_fingerprint(problem: Problem) -> str:
    """Hash of everything a fit of ``problem`` depends on."""
    held = problem.held_back.to_csv(index=False) if problem.held_back is not None else ""
    parts = {
        "model": spec_fingerprint(problem.spec),
        "measurements": problem.measurements.to_csv(index=False),
        "held_back": held,
        # an estimated parameter's nominal value is only one of the starts (and the shipped
        # best value becomes the next nominal): not part of what the fit depends on
        "parameters": [
            asdict(p) | ({"nominal": None} if p.estimate else {}) for p in problem.parameters
        ],
        # a readout without a limit hashes as before the field existed (session 28, ceil)
        "observables": [
            {k: v for k, v in asdict(o).items() if k != "limit" or v is not None}
            for o in problem.observables
        ],
        "conditions": {c: dict(v) for c, v in problem.conditions.items()},
        "params": dict(problem.params),
        "initial": dict(problem.initial),
    }
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


#: a stored optimum still holds when its nllh, re-evaluated on the problem as it is now, moves
#: by less than this (deterministic fast-engine runs agree far closer; a model change that
#: matters to the fit moves it by much more)
REPRODUCE_TOL = 0.05


@dataclass(frozen=True)
class ShippedFit:
    """A stored fit of a shipped problem and whether it is still current: the problem's
    fingerprint is unchanged, or (when verified) the stored optimum's nllh re-evaluated on the
    problem as it is now reproduces the stored one (an edit elsewhere in the model that does not
    touch what the data see keeps the fit)."""

    problem: str
    fit: FitResult
    profiles: tuple[Profile, ...]
    curves: pd.DataFrame
    design: dict[str, Any]
    current: bool
    fingerprint_matches: bool = True
    nllh_now: float | None = None


def fit_record(
    problem: Problem,
    fit: FitResult,
    profiles: tuple[Profile, ...],
    curves: pd.DataFrame,
    design: dict[str, Any],
) -> dict[str, Any]:
    """The JSON document of one fit (what :func:`load_shipped_fit` reads back)."""
    return {
        "format": FORMAT,
        "problem": problem.name,
        "fingerprint": problem_fingerprint(problem),
        "design": design,
        "fit": asdict(fit),
        "profiles": [asdict(p) for p in profiles],
        "curves": curves.to_dict("list"),
    }


def _fit_from(doc: dict[str, Any]) -> FitResult:
    d = dict(doc)
    d["parameter_ids"] = tuple(d["parameter_ids"])
    d["starts"] = tuple(
        Start(**(s | {"x0": tuple(s["x0"]), "x": tuple(s["x"])})) for s in d["starts"]
    )
    d["goodness"] = tuple(GoodnessOfFit(**g) for g in d["goodness"])
    d["held_back"] = GoodnessOfFit(**d["held_back"]) if d["held_back"] else None
    for key in ("held_back_by_dataset", "held_back_by_observable"):
        d[key] = tuple(GoodnessOfFit(**g) for g in d.get(key, ()))
    d["fim_eigenvalues"] = tuple(d["fim_eigenvalues"])
    d["notes"] = tuple(d.get("notes", ()))
    return FitResult(**d)


def _profile_from(doc: dict[str, Any]) -> Profile:
    return Profile(**(doc | {"values": tuple(doc["values"]), "nllh": tuple(doc["nllh"])}))


def shipped_path(name: str) -> Path:
    """Where the shipped fit result of problem ``name`` lives (package data)."""
    return Path(str(resources.files("senotwin.calibrate") / "data" / name / RESULT_FILE))


def stored_optimum_nllh(problem: Problem, fit: FitResult) -> float:
    """nllh of the stored best values on ``problem`` as it is now (one objective evaluation)."""
    objective = Objective(problem)
    known = {p.id for p in objective.estimated}
    return objective.nllh({k: v for k, v in fit.best.items() if k in known})


def load_shipped_fit(
    problem: Problem, path: Path | None = None, *, verify: bool = False
) -> ShippedFit | None:
    """The stored fit of ``problem`` (None when none is shipped), flagged stale when the
    problem's fingerprint changed — unless ``verify`` and the stored optimum still reproduces
    its nllh on the problem as it is now (within ``REPRODUCE_TOL``)."""
    path = shipped_path(problem.name) if path is None else path
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text("utf-8"))
        if doc.get("format") != FORMAT:
            raise ValueError(f"format {doc.get('format')!r}, expected {FORMAT}")
        fit = _fit_from(doc["fit"])
        profiles = tuple(_profile_from(p) for p in doc["profiles"])
        curves = pd.DataFrame(doc["curves"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationError(f"shipped fit {path.name} of {problem.name}: {exc}") from None
    matches = doc.get("fingerprint") == problem_fingerprint(problem)
    nllh_now = None
    current = matches
    if not matches and verify and set(fit.parameter_ids) == {p.id for p in problem.estimated}:
        nllh_now = stored_optimum_nllh(problem, fit)
        current = abs(nllh_now - fit.nllh) < REPRODUCE_TOL
    return ShippedFit(
        problem=problem.name,
        fit=fit,
        profiles=profiles,
        curves=curves,
        design=dict(doc.get("design", {})),
        current=current,
        fingerprint_matches=matches,
        nllh_now=nllh_now,
    )
