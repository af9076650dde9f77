"""A spec carrying a scenario's values, so that every export format writes the scenario.

A scenario is a model plus parameter values and initial amounts; exporters read values from the
spec, so the scenario is applied to the spec itself (validated again: ranges still hold).
"""

from __future__ import annotations

from collections.abc import Mapping

from senotwin._errors import ValidationError
from senotwin.model.compile import evaluate
from senotwin.model.expr import symbols
from senotwin.model.io import spec_from_dict
from senotwin.model.spec import ModelSpec


def with_values(
    spec: ModelSpec,
    params: Mapping[str, float] | None = None,
    initial: Mapping[str, float] | None = None,
    *,
    check_ranges: bool = True,
) -> ModelSpec:
    """``spec`` with parameter values ``params`` and initial amounts ``initial`` written in.
    A species whose initial amount is an expression of parameters takes its value at ``params``
    (as a run does), or, given in ``initial``, that amount in place of its expression.

    A value outside its parameter's plausible range is an error, unless ``check_ranges`` is
    False -- a scenario of another host (the ``mouse_*`` contexts) -- and then that parameter
    carries no range: the human one does not describe it (every mouse export was refused)."""
    if not params and not initial:
        return spec
    data = spec.model_dump()
    for key, field, given in (
        ("parameters", "value", params or {}),
        ("species", "initial", initial or {}),
    ):
        known = {item["id"] for item in data[key]}
        unknown = sorted(set(given) - known)
        if unknown:
            raise ValidationError(
                f"unknown {key} {', '.join(map(repr, unknown))} for model {spec.id!r} "
                f"(known: {', '.join(sorted(known))})"
            )
        for item in data[key]:
            if item["id"] in given:
                item[field] = float(given[item["id"]])
                rng = item.get("range")
                if not check_ranges and rng is not None and not rng[0] <= item[field] <= rng[1]:
                    item["range"] = None
    values = {item["id"]: item["value"] for item in data["parameters"]}
    for item, species in zip(data["species"], spec.species, strict=True):
        tree = spec.initial_tree(species)
        if tree is None:
            continue
        if species.id in (initial or {}):  # an amount given explicitly replaces the expression
            item.pop("initial_expression", None)
        elif any(values[x] != spec.parameter(x).value for x in symbols(tree)):
            item["initial"] = evaluate(tree, values)  # follows the parameters, as in a run
    return spec_from_dict(data, source=f"model {spec.id!r} with scenario values")
