"""PEtab v1 export, import and lint of calibration problems (the ``petab`` library validates).

A problem directory holds the PEtab files — ``problem.yaml``, the SBML model (``model.xml``,
written by :mod:`senotwin.export.sbml` with the scenario's values), the condition, observable,
measurement and parameter tables — and two senotwin files beside them: ``model.senotwin.yaml``
(the ModelSpec, so the fast engine simulates exactly the exported model) and ``senotwin.yaml``
(name, description, scenario values and the file of HELD-BACK measurements, which PEtab tools
never see and the fit never uses). Any PEtab tool can fit the PEtab part; senotwin loads both.
"""

from __future__ import annotations

import io
import logging
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import MappingProxyType
from typing import Any

import libsbml
import pandas as pd
import yaml

from senotwin._errors import ValidationError, check_type
from senotwin._io import (
    atomic_remove,
    atomic_write_text,
    check_input_dir,
    ensure_writable_dir,
    read_text,
    staged_writes,
)
from senotwin._yaml import load_yaml
from senotwin.calibrate.problem import FitParameter, Problem, Readout
from senotwin.export.sbml import build_document
from senotwin.model.io import spec_from_yaml, spec_to_yaml

PROBLEM_YAML = "problem.yaml"
SIDECAR = "senotwin.yaml"
FILES = {
    "sbml": "model.xml",
    "spec": "model.senotwin.yaml",
    "conditions": "conditions.tsv",
    "observables": "observables.tsv",
    "measurements": "measurements.tsv",
    "parameters": "parameters.tsv",
    "held_back": "measurements_held_back.tsv",
}
PRIOR = "parameterScaleNormal"


def _tsv(df: pd.DataFrame) -> str:
    return df.to_csv(sep="\t", index=False, lineterminator="\n")


def _num(value: float) -> str:
    return repr(float(value))


def _model_value(problem: Problem, target: str) -> float:
    """The value a condition column falls back to: the scenario's, else the model's."""
    spec = problem.spec
    if target in problem.params:
        return float(problem.params[target])
    if target in problem.initial:
        return float(problem.initial[target])
    if target in spec.parameter_ids:
        return float(spec.parameter(target).value)
    if target in spec.species_ids:
        return float(next(s.initial for s in spec.species if s.id == target))
    return 0.0  # block_* fraction: no block


def condition_table(problem: Problem) -> pd.DataFrame:
    """PEtab condition table: one row per condition, one column per overridden target."""
    targets: list[str] = []
    for overrides in problem.conditions.values():
        targets += [t for t in overrides if t not in targets]
    rows = []
    for cid, overrides in problem.conditions.items():
        row: dict[str, Any] = {"conditionId": cid}
        for t in targets:
            v = overrides.get(t, _model_value(problem, t))
            row[t] = v if isinstance(v, str) else float(v)
        rows.append(row)
    return pd.DataFrame(rows, columns=["conditionId", *targets])


def observable_table(problem: Problem) -> pd.DataFrame:
    """PEtab observable table (normal noise on the transformation scale)."""
    return pd.DataFrame(
        [
            {
                "observableId": o.id,
                "observableName": o.name or o.id,
                "observableFormula": o.formula.replace("**", "^"),
                "observableTransformation": o.transformation,
                "noiseFormula": o.sigma if isinstance(o.sigma, str) else _num(o.sigma),
                "noiseDistribution": "normal",
            }
            for o in problem.observables
        ]
    )


def parameter_table(problem: Problem) -> pd.DataFrame:
    """PEtab parameter table: scale, bounds, nominal value, estimate flag, optional prior."""
    rows = []
    for p in problem.parameters:
        row: dict[str, Any] = {
            "parameterId": p.id,
            "parameterName": p.name or p.id,
            "parameterScale": p.scale,
            "lowerBound": p.lower,
            "upperBound": p.upper,
            "nominalValue": p.nominal,
            "estimate": int(p.estimate),
        }
        if p.prior is not None:
            row["objectivePriorType"] = PRIOR
            row["objectivePriorParameters"] = f"{p.prior[0]!r};{p.prior[1]!r}"
        rows.append(row)
    return pd.DataFrame(rows)


def _measurement_table(table: pd.DataFrame) -> pd.DataFrame:
    first = ["observableId", "simulationConditionId", "time", "measurement"]
    return table[first + [c for c in table.columns if c not in first]].reset_index(drop=True)


def _sbml_text(problem: Problem) -> str:
    spec = problem.spec
    params = {k: v for k, v in problem.params.items() if k in spec.parameter_ids}
    doc = build_document(spec, params=params, initial=dict(problem.initial))
    return str(libsbml.writeSBMLToString(doc))


def export_target(out: str | Path) -> str | None:
    """Check that ``out`` may take a PEtab export: a new or empty folder, or one holding an
    earlier export (which is replaced). Returns that earlier problem's name, else None.

    Anything else is refused, so a user's own files (their ``problem.yaml``, ``model.xml``) are
    never overwritten and an export never mixes with them."""
    directory = Path(out)
    if directory.exists() and not directory.is_dir():
        raise ValidationError(f"output folder {str(directory)!r} exists and is not a directory")
    if not directory.is_dir():
        return None
    entries = sorted(p.name for p in directory.iterdir())
    if not entries:
        return None
    previous = _earlier_export(directory)
    if previous is None:
        more = f" and {len(entries) - 5} more" if len(entries) > 5 else ""
        raise ValidationError(
            f"output folder {str(directory)!r} is not empty (it holds {', '.join(entries[:5])}"
            f"{more}) and holds no "
            "PEtab problem exported by senotwin; choose a new or empty folder (an earlier "
            "export there would be replaced as a whole)"
        )
    return previous


def _earlier_export(directory: Path) -> str | None:
    """The problem name of a senotwin PEtab export in ``directory`` (None: not one)."""
    side = directory / SIDECAR
    if not (directory / PROBLEM_YAML).is_file() or not side.is_file():
        return None
    try:
        data = load_yaml(read_text(side, what="senotwin problem file"), source=str(side))
    except ValidationError:
        return None
    if not isinstance(data, dict) or data.get("model") != FILES["spec"] or "name" not in data:
        return None
    return str(data["name"])


def export_problem(problem: Problem, out: str | Path) -> Path:
    """Write ``problem`` as a PEtab v1 problem directory ``out`` (created if missing); every
    file appears or none does. Returns the path of ``problem.yaml``. ``out`` must be new, empty
    or an earlier export, which is replaced (see :func:`export_target`). A problem with a limit
    readout (a ceiling) is refused: PEtab v1 has no censored rows, and writing them as values
    would change the problem."""
    for o in problem.observables:
        if o.limit is not None:
            raise ValidationError(
                f"problem {problem.name}: observable {o.id} is an {o.limit} limit (its rows are "
                "ceilings, fitted as a one-sided hinge); PEtab v1 cannot state a censored row, "
                "so this problem cannot be exported without changing it"
            )
    directory = Path(out)
    export_target(directory)
    petab_yaml = {
        "format_version": 1,
        "parameter_file": FILES["parameters"],
        "problems": [
            {
                "sbml_files": [FILES["sbml"]],
                "condition_files": [FILES["conditions"]],
                "measurement_files": [FILES["measurements"]],
                "observable_files": [FILES["observables"]],
            }
        ],
    }
    sidecar: dict[str, Any] = {
        "name": problem.name,
        "description": problem.description,
        "reference": problem.reference,
        "model": FILES["spec"],
        "params": {k: float(v) for k, v in problem.params.items()},
        "initial": {k: float(v) for k, v in problem.initial.items()},
        "held_back": FILES["held_back"] if problem.held_back is not None else None,
    }
    with staged_writes():
        ensure_writable_dir(directory)  # removed again if the export fails
        atomic_write_text(directory / FILES["sbml"], _sbml_text(problem))
        atomic_write_text(directory / FILES["spec"], spec_to_yaml(problem.spec))
        atomic_write_text(directory / FILES["conditions"], _tsv(condition_table(problem)))
        atomic_write_text(directory / FILES["observables"], _tsv(observable_table(problem)))
        atomic_write_text(
            directory / FILES["measurements"], _tsv(_measurement_table(problem.measurements))
        )
        atomic_write_text(directory / FILES["parameters"], _tsv(parameter_table(problem)))
        if problem.held_back is not None:
            atomic_write_text(
                directory / FILES["held_back"], _tsv(_measurement_table(problem.held_back))
            )
        else:  # an earlier export's held-back rows are not this problem's
            atomic_remove(directory / FILES["held_back"])
        atomic_write_text(directory / SIDECAR, yaml.safe_dump(sidecar, sort_keys=False))
        atomic_write_text(directory / PROBLEM_YAML, yaml.safe_dump(petab_yaml, sort_keys=False))
    return directory / PROBLEM_YAML


@contextmanager
def _captured(logger_name: str = "petab") -> Iterator[list[str]]:
    """Messages the petab library logs at WARNING or above, collected in a list, each with its
    level ('warning: ...', 'error: ...'): a skipped visualization table was printed as an
    error (audit, session 41)."""
    messages: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            level = "error" if record.levelno >= logging.ERROR else "warning"
            messages.append(f"{level}: {record.getMessage()}")

    handler = _Collect(level=logging.WARNING)
    logger = logging.getLogger(logger_name)
    old_propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = old_propagate


def _petab_problem(directory: Path) -> Any:
    import petab.v1 as petab

    path = directory / PROBLEM_YAML
    if not path.is_file():
        raise ValidationError(
            f"{str(directory)!r} is not a PEtab problem directory: no {PROBLEM_YAML}"
        )
    try:
        return petab.Problem.from_yaml(path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValidationError(f"{str(path)!r}: cannot read the PEtab problem: {exc}") from None


def lint_problem(directory: str | Path) -> list[str]:
    """Problems the ``petab`` linter finds in the PEtab directory (empty list: valid)."""
    import petab.v1 as petab

    d = check_input_dir(directory, what="PEtab problem directory")
    if not (d / PROBLEM_YAML).is_file():  # bad input (exit 2), not a lint finding (exit 1)
        raise ValidationError(f"{str(d)!r} is not a PEtab problem directory: no {PROBLEM_YAML}")
    with _captured() as messages:
        try:
            petab.validate(str(d / PROBLEM_YAML))
        except Exception as exc:  # the schema validator raises its own error types
            return [f"error: problem.yaml: {exc}"]
        problem = _petab_problem(d)
        failed = petab.lint_problem(problem)
    if failed and not messages:
        messages.append("error: petab lint failed (no message)")
    return messages if failed else []


def _read_tsv(directory: Path, name: str) -> pd.DataFrame:
    text = read_text(directory / name, what="PEtab table")
    return pd.read_csv(io.StringIO(text), sep="\t")


def _sigma(value: Any) -> float | str:
    try:
        s = float(value)
    except (TypeError, ValueError):
        return str(value).strip()
    return s


def _cell(value: Any) -> float | str:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value.strip()
    return float(value)


def load_problem(directory: str | Path) -> Problem:
    """Read a PEtab problem directory written by :func:`export_problem` (PEtab files and the
    senotwin model beside them) into a :class:`Problem`."""
    what = "the path of a PEtab problem directory (str or Path)"
    check_type(directory, (str, os.PathLike), name="directory", what=what)
    d = check_input_dir(directory, what="PEtab problem directory")
    pp = _petab_problem(d)
    side_path = d / SIDECAR
    if not side_path.is_file():
        raise ValidationError(
            f"{str(d)!r}: no {SIDECAR}; senotwin fits PEtab problems it exported itself (the "
            "ModelSpec beside the SBML is what the fast engine simulates)"
        )
    side = load_yaml(read_text(side_path, what="senotwin problem file"), source=str(side_path))
    if not isinstance(side, dict) or "model" not in side:
        raise ValidationError(f"{str(side_path)!r}: expected a mapping with 'model'")
    spec_path = d / str(side["model"])
    spec = spec_from_yaml(read_text(spec_path, what="model file"), source=str(spec_path))
    observables = tuple(
        Readout(
            id=str(oid),
            formula=str(row["observableFormula"]),
            sigma=_sigma(row["noiseFormula"]),
            transformation=str(row.get("observableTransformation", "lin") or "lin"),  # type: ignore[arg-type]
            name=str(row.get("observableName", "") or ""),
        )
        for oid, row in pp.observable_df.iterrows()
    )
    parameters = []
    for pid, row in pp.parameter_df.iterrows():
        prior = None
        ptype = row.get("objectivePriorType")
        if isinstance(ptype, str) and ptype:
            if ptype != PRIOR:
                raise ValidationError(
                    f"parameter {pid}: objectivePriorType {ptype!r}; supported: {PRIOR}"
                )
            mean, sd = (float(v) for v in str(row["objectivePriorParameters"]).split(";"))
            prior = (mean, sd)
        parameters.append(
            FitParameter(
                id=str(pid),
                lower=float(row["lowerBound"]),
                upper=float(row["upperBound"]),
                nominal=float(row["nominalValue"]),
                scale=str(row["parameterScale"]),  # type: ignore[arg-type]
                estimate=bool(int(row["estimate"])),
                prior=prior,
                name=str(row.get("parameterName", "") or ""),
            )
        )
    conditions = {
        str(cid): MappingProxyType(
            {
                str(col): _cell(v)
                for col, v in row.items()
                if col != "conditionName" and not (isinstance(v, float) and math.isnan(v))
            }
        )
        for cid, row in pp.condition_df.iterrows()
    }
    held = None
    if side.get("held_back"):
        held = _read_tsv(d, str(side["held_back"]))
    return Problem(
        name=str(side.get("name") or d.name),
        spec=spec,
        observables=observables,
        measurements=pp.measurement_df.reset_index(drop=True),
        parameters=tuple(parameters),
        conditions=MappingProxyType(conditions),
        params=MappingProxyType({k: float(v) for k, v in (side.get("params") or {}).items()}),
        initial=MappingProxyType({k: float(v) for k, v in (side.get("initial") or {}).items()}),
        held_back=held,
        description=str(side.get("description") or ""),
        reference=str(side.get("reference") or ""),
    )


__all__ = [
    "condition_table",
    "export_problem",
    "export_target",
    "lint_problem",
    "load_problem",
    "observable_table",
    "parameter_table",
]
