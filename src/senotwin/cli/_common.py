"""Shared CLI plumbing: errors as one line and exit 2, JSON output, the model/scenario options
and the ``--set``/``--block`` parsers every command uses."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from pydantic import BaseModel

from senotwin._errors import SenotwinError

if TYPE_CHECKING:
    from senotwin.model.spec import ModelSpec

MODEL = typer.Option(None, "--model", help="A ModelSpec YAML file.")
SCENARIO = typer.Option(
    None, "--scenario", help="A named scenario (see `senotwin scenarios list`)."
)


@contextmanager
def user_errors() -> Iterator[None]:
    """Report expected failures (bad input, unwritable output) as ``error: ...`` and exit 2."""
    try:
        yield
    except (SenotwinError, ValueError, TypeError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None


def to_jsonable(value: Any) -> Any:
    """Convert records (pydantic, dataclasses, tuples, paths) into JSON-ready structures."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if is_dataclass(value) and not isinstance(value, type):
        return {k: to_jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def print_json(value: Any) -> None:
    """Write ``value`` as indented JSON to standard output."""
    sys.stdout.write(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False) + "\n")


def model_or_scenario(model: Path | None, scenario: str | None) -> ModelSpec | str | None:
    """What --model/--scenario name (not both): a loaded spec, a scenario name or None."""
    if model is not None and scenario is not None:
        raise ValueError("give either --model or --scenario, not both")
    if model is not None:
        from senotwin.model.io import load_spec

        return load_spec(model)
    return scenario


def parse_sets(items: list[str]) -> dict[str, float]:
    """``NAME=VALUE`` pairs (``--set``), read by the regimen grammar's tokenizer."""
    from senotwin.therapy.language import parse_setting

    return {
        s.name: float(s.value or 0.0) for s in (parse_setting(i, source="--set") for i in items)
    }


def parse_blocks(items: list[str]) -> dict[str, float]:
    """``ENTITY`` (knockout, fraction 1) or ``ENTITY=FRACTION`` (``--block``)."""
    from senotwin.therapy.language import parse_setting

    out: dict[str, float] = {}
    for item in items:
        s = parse_setting(item, source="--block", value=None)
        out[s.name] = 1.0 if s.value is None else s.value
    return out
