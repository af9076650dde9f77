"""The one YAML reader of senotwin: safe (no Python objects), and strict where YAML is silent.

Plain YAML keeps the last of two equal keys in a mapping, so a regimen with two ``dose:`` keys
would run at the second dose without a word; an integer longer than Python's conversion limit
(4,300 digits) fails deep inside the parser with a message that names no field. Every YAML file
senotwin reads (knowledge base, model files, regimens, the drug library, validation cases) goes
through :func:`load_yaml`, which rejects both with the source, line, column and key, and says
what is allowed. Base level: every package may import it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from senotwin._errors import ValidationError
from senotwin._io import read_text

_INT_TAG = "tag:yaml.org,2002:int"


def max_int_digits() -> int:
    """Longest integer (in decimal digits) Python converts from text (4,300 by default)."""
    limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
    return limit or 4300


# libyaml's parser when PyYAML has it (the shipped knowledge base loads ~6x faster)
_SafeBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeBase):  # type: ignore[valid-type,misc]
    """Safe loader that rejects a key given twice in one mapping and over-long integers."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, list | dict):  # unhashable: let PyYAML report it
                break
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key!r} is given twice in one mapping (give each key once)",
                    key_node.start_mark,
                )
            seen.add(key)
            _check_numbers(value_node, key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        _check_numbers(node, None)
        return int(super().construct_yaml_int(node))


_StrictLoader.add_constructor(_INT_TAG, _StrictLoader.construct_yaml_int)


def _check_numbers(node: yaml.Node, key: object) -> None:
    """Reject an integer scalar (or one in a list) beyond Python's digit limit, naming ``key``."""
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    for item in items:
        if not (isinstance(item, yaml.ScalarNode) and item.tag == _INT_TAG):
            continue
        digits = sum(ch.isdigit() for ch in item.value)
        if digits > max_int_digits():
            field = f"field {key!r}: " if key is not None else ""
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"{field}integer with {digits} digits is too long (at most "
                f"{max_int_digits()} digits; give a number in a plausible range)",
                item.start_mark,
            )


def load_yaml(text: str, *, source: str) -> Any:
    """Parse YAML ``text`` strictly; errors are ValidationError naming source, line and column."""
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        raise ValidationError(f"{source}: {_describe(exc)}") from None
    except (ValueError, RecursionError) as exc:  # a constructor PyYAML does not guard
        raise ValidationError(f"{source}: is not valid YAML: {exc}") from None


def read_yaml(path: str | Path, *, what: str) -> Any:
    """Read and parse the YAML file ``path`` (``what`` names it in errors: 'model file', ...)."""
    return load_yaml(read_text(path, what=what, expected=f"{what} in YAML"), source=str(path))


def _describe(exc: yaml.YAMLError) -> str:
    """'line L, column C is not valid YAML: problem' from a PyYAML error."""
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1} " if mark is not None else ""
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    if problem is None:
        return f"{where}is not valid YAML: {exc}"
    detail = f"{problem} ({context})" if context else str(problem)
    return f"{where}is not valid YAML: {detail}"
