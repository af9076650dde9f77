"""Load and save ModelSpec YAML files (format documented in docs/model-format.md).

Errors name the file, the record (section, index and id) and the field, and say what is allowed.
Saving writes a temporary file and renames it, so a failed save never leaves a half file.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

import pydantic
import yaml

from senotwin._errors import ValidationError, check_type
from senotwin._io import atomic_write_text, read_text
from senotwin._yaml import load_yaml
from senotwin.model.spec import ModelSpec


def load_spec(path: str | Path) -> ModelSpec:
    """Read a ModelSpec YAML file; every problem is reported with file, record and field."""
    check_type(path, (str, os.PathLike), name="path", what="the path of a ModelSpec YAML file")
    p = Path(path)
    text = read_text(p, what="model file", expected="a ModelSpec YAML text file")
    return spec_from_yaml(text, source=str(p))


def spec_from_yaml(text: str, *, source: str = "<string>") -> ModelSpec:
    """Parse YAML text into a validated ModelSpec."""
    data = load_yaml(text, source=source)
    if not isinstance(data, dict):
        raise ValidationError(f"{source}: a model file must be a mapping with 'id', 'species', ...")
    return spec_from_dict(data, source=source)


def spec_from_dict(data: dict[str, Any], *, source: str = "<dict>") -> ModelSpec:
    """Validate a plain mapping as a ModelSpec, with located error messages."""
    try:
        return ModelSpec.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ValidationError(f"{source}: invalid model:\n" + format_errors(exc, data)) from None


def format_errors(exc: pydantic.ValidationError, data: Any) -> str:
    """One line per pydantic error: 'processes[2] (id kill).rate_law: message'."""
    lines = []
    for err in exc.errors():
        loc = err["loc"]
        parts: list[str] = []
        node = data
        for key in loc:
            if isinstance(key, int):
                label = f"[{key}]"
                try:
                    node = node[key]
                    if isinstance(node, dict) and "id" in node:
                        label += f" (id {node['id']!r})"
                except (IndexError, KeyError, TypeError):
                    node = None
                parts.append(label)
            else:
                parts.append(("." if parts else "") + str(key))
                node = node.get(key) if isinstance(node, dict) else None
        msg = err["msg"].removeprefix("Value error, ")
        where = "".join(parts) or "model"
        for line in msg.splitlines():
            lines.append(f"  {line}" if where == "model" else f"  {where}: {line}")
    return "\n".join(lines)


def spec_to_dict(spec: ModelSpec) -> dict[str, Any]:
    """Plain mapping of a spec (defaults omitted) suitable for YAML."""
    return spec.model_dump(mode="json", exclude_defaults=True)


def spec_to_yaml(spec: ModelSpec) -> str:
    """YAML text of a spec; loading it back gives an equal spec."""
    return yaml.safe_dump(spec_to_dict(spec), sort_keys=False, allow_unicode=True, width=100)


def save_spec(spec: ModelSpec, path: str | Path) -> Path:
    """Write a spec as YAML atomically (temporary file, then rename)."""
    return atomic_write_text(Path(path), spec_to_yaml(spec))


def fixture_path(name: str) -> Path:
    """Path of a shipped fixture model (package data ``senotwin/model/fixtures/NAME.yaml``)."""
    return Path(str(resources.files("senotwin.model") / "fixtures" / f"{name}.yaml"))


def fixture_names() -> tuple[str, ...]:
    """Names of the shipped fixture models."""
    folder = Path(str(resources.files("senotwin.model") / "fixtures"))
    return tuple(sorted(p.stem for p in folder.glob("*.yaml")))


def load_fixture(name: str) -> ModelSpec:
    """Load a shipped fixture by name; unknown names list the known ones."""
    names = fixture_names()
    if name not in names:
        raise ValidationError(f"unknown fixture {name!r}; known: {', '.join(names)}")
    return load_spec(fixture_path(name))
