"""Plain-language names of the model's codes (``r_T`` = intrinsic tumour growth rate, 1/day),
taken from the model's own parameter, species and observable records."""

from __future__ import annotations

import re
from collections.abc import Iterable

from senotwin.model.spec import ModelSpec, Observable, Parameter, Species
from senotwin.report.section import Table

_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def describe_code(model: ModelSpec, code: str) -> str | None:
    """'name (unit)' of a parameter, species or observable id; None if the model lacks it.
    ``block_X`` (the knockdown switch of entity X, added when a run blocks X) is named too."""
    if code.startswith("block_") and len(code) > 6:
        return f"fraction of {code[6:]} activity blocked (0-1; 0.9 = 90 % inhibition)"
    items: list[Parameter | Species | Observable] = [
        *model.parameters,
        *model.species,
        *model.observables,
    ]
    for item in items:
        if item.id == code:
            name = item.name or item.description or code
            return name if item.unit in ("1", "") else f"{name} ({item.unit})"
    return None


def label(model: ModelSpec, code: str, *, width: int = 60) -> str:
    """'code — name' for axes and tables (name cut at ``width``); the code alone if unknown."""
    name = describe_code(model, code)
    if not name:
        return code
    if len(name) > width:
        name = name[: width - 1].rstrip() + "…"
    return f"{code} — {name}"


def glossary(model: ModelSpec, texts: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """(code, 'name (unit)') of every model code in ``texts``, in order of first use."""
    seen: dict[str, str] = {}
    for text in texts:
        for token in _TOKEN.findall(text):
            if token in seen:
                continue
            name = describe_code(model, token)
            if name and name != token:
                seen[token] = name
    return tuple(seen.items())


def glossary_table(model: ModelSpec, texts: Iterable[str]) -> Table | None:
    """A 'code | meaning' table of the model codes in ``texts`` (None when there are none)."""
    pairs = glossary(model, texts)
    if not pairs:
        return None
    return Table.of(
        ("model code", "meaning (unit)"), pairs, caption="Model codes used above, in plain words."
    )
