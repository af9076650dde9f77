"""Plain-language names of the model's codes (``r_T`` = intrinsic tumour growth rate, 1/day),
taken from the model's own parameter, species and observable records."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from senotwin.model.spec import ModelSpec, Observable, Parameter, Species
from senotwin.model.units import pretty_unit
from senotwin.report.section import Table

_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _name_unit(model: ModelSpec, code: str) -> tuple[str, str] | None:
    """(name, unit suffix such as ' (1/day)', or '') of a model code; None if the model lacks it.
    ``block_X`` (the knockdown switch of entity X, added when a run blocks X) is named too."""
    if code.startswith("block_") and len(code) > 6:
        return f"fraction of {code[6:]} activity blocked", " (0-1; 0.9 = 90 % inhibition)"
    items: list[Parameter | Species | Observable] = [
        *model.parameters,
        *model.species,
        *model.observables,
    ]
    for item in items:
        if item.id == code:
            name = item.name or item.description or code
            return name, "" if item.unit in ("1", "") else f" ({pretty_unit(item.unit)})"
    return None


def describe_code(model: ModelSpec, code: str) -> str | None:
    """'name (unit)' of a parameter, species or observable id; None if the model lacks it."""
    found = _name_unit(model, code)
    return None if found is None else found[0] + found[1]


def label(model: ModelSpec, code: str, *, width: int = 60) -> str:
    """'code — name (unit)' for axes and tables; a long name is cut at ``width`` characters
    (with the unit), the unit is always kept; the code alone if unknown."""
    found = _name_unit(model, code)
    if found is None:
        return code
    name, unit = found
    if len(name) + len(unit) > width:
        name = name[: max(width - len(unit) - 1, 10)].rstrip() + "…"
    return f"{code} — {name}{unit}"


def glossary(
    model: ModelSpec | Sequence[ModelSpec], texts: Iterable[str]
) -> tuple[tuple[str, str], ...]:
    """(code, 'name (unit)') of every model code in ``texts``, in order of first use; with
    several models (texts about runs of more than one, such as the validation cases on the
    mouse and vaccine-site overlays) a code takes its name from the first model that has it."""
    models = (model,) if isinstance(model, ModelSpec) else tuple(model)
    seen: dict[str, str] = {}
    for text in texts:
        for token in _TOKEN.findall(text):
            if token in seen:
                continue
            name = next((n for m in models if (n := describe_code(m, token)) is not None), None)
            if name and name != token:
                seen[token] = name
    return tuple(seen.items())


def glossary_table(model: ModelSpec | Sequence[ModelSpec], texts: Iterable[str]) -> Table | None:
    """A 'code | meaning' table of the model codes in ``texts`` (None when there are none)."""
    pairs = glossary(model, texts)
    if not pairs:
        return None
    return Table.of(
        ("model code", "meaning (unit)"), pairs, caption="Model codes used above, in plain words."
    )
