"""Shared CLI plumbing: turn senotwin errors into one clear line and exit code 2, print JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel

from senotwin._errors import SenotwinError


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
