"""Read a validation cases file (schema v2) into checked cases."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pydantic

from senotwin._errors import ValidationError
from senotwin._io import read_text
from senotwin._yaml import load_yaml
from senotwin.analysis.validation.rules import Resolved, resolve_case
from senotwin.analysis.validation.schema import CasesFile
from senotwin.model.io import format_errors

Case = Resolved


def cases_path() -> Path:
    """Path of the shipped validation cases (package data)."""
    return Path(str(resources.files("senotwin.analysis") / "data" / "validation_cases.yaml"))


def parse_cases(data: object, *, source: str = "<cases>") -> tuple[Case, ...]:
    """Validate a cases document (``version: 2`` and ``cases``) into checked cases."""
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise ValidationError(f"{source}: expected a mapping with 'version: 2' and a 'cases' list")
    if data.get("version") != 2:
        raise ValidationError(
            f"{source}: version: {data.get('version')!r} is not supported (allowed: 2)"
        )
    try:
        # strict types; JSON input lets YAML lists stand for the schema's tuples
        doc = CasesFile.model_validate_json(json.dumps(data), strict=True)
    except pydantic.ValidationError as exc:
        raise ValidationError(f"{source}: invalid cases:\n" + format_errors(exc, data)) from None
    except (TypeError, ValueError) as exc:  # json.dumps of YAML dates or other non-JSON values
        raise ValidationError(f"{source}: cases must be plain YAML values: {exc}") from None
    seen: set[str] = set()
    out = []
    for case in doc.cases:
        if case.id in seen:
            raise ValidationError(f"{source}: case {case.id}: duplicate id")
        seen.add(case.id)
        out.append(resolve_case(case, source=source))
    return tuple(out)


def load_cases(path: str | Path | None = None) -> tuple[Case, ...]:
    """Read and check the cases file (the shipped one by default)."""
    p = Path(path) if path is not None else cases_path()
    text = read_text(p, what="validation cases file", expected="validation cases YAML")
    return parse_cases(load_yaml(text, source=str(p)), source=str(p))
