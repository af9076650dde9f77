"""Unit strings of a model ('1/day', 'cells', '1/(cells*day)', 'ng/mL') parsed into SBML units.

Grammar: products, quotients and integer powers (``**`` or ``^``) of the base names in
:data:`BASE_UNITS`, or ``1``/``dimensionless``. Parsed with :mod:`ast` through a whitelist, never
executed. Each base name maps to an SBML unit kind with multiplier and scale, which is what the
SBML exporter writes as a unitDefinition.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from senotwin._errors import ValidationError
from senotwin._suggest import did_you_mean


@dataclass(frozen=True)
class UnitTerm:
    """One SBML <unit>: kind, exponent, scale (power of ten) and multiplier."""

    kind: str
    exponent: int
    scale: int = 0
    multiplier: float = 1.0


# name -> (SBML kind, scale, multiplier); '1' and 'dimensionless' have no terms.
BASE_UNITS: dict[str, tuple[str, int, float]] = {
    "second": ("second", 0, 1.0),
    "s": ("second", 0, 1.0),
    "minute": ("second", 0, 60.0),
    "min": ("second", 0, 60.0),
    "hour": ("second", 0, 3600.0),
    "h": ("second", 0, 3600.0),
    "day": ("second", 0, 86400.0),
    "week": ("second", 0, 604800.0),
    "year": ("second", 0, 31557600.0),
    "cell": ("item", 0, 1.0),
    "cells": ("item", 0, 1.0),
    "item": ("item", 0, 1.0),
    "mol": ("mole", 0, 1.0),
    "mmol": ("mole", -3, 1.0),
    "umol": ("mole", -6, 1.0),
    "nmol": ("mole", -9, 1.0),
    "pmol": ("mole", -12, 1.0),
    "g": ("gram", 0, 1.0),
    "mg": ("gram", -3, 1.0),
    "ug": ("gram", -6, 1.0),
    "ng": ("gram", -9, 1.0),
    "pg": ("gram", -12, 1.0),
    "L": ("litre", 0, 1.0),
    "mL": ("litre", -3, 1.0),
    "uL": ("litre", -6, 1.0),
    "M": ("mole", 0, 1.0),  # handled as mol/L below
    "nM": ("mole", -9, 1.0),
    "uM": ("mole", -6, 1.0),
    "mm3": ("metre", -3, 1.0),  # cubed below
    "um": ("metre", -6, 1.0),
    "mm": ("metre", -3, 1.0),
    "cm": ("metre", -2, 1.0),
    "pM": ("mole", -12, 1.0),
    "molecule": ("item", 0, 1.0),
    "molecules": ("item", 0, 1.0),
    "kg": ("gram", 3, 1.0),
}
_MOLAR = {"M", "nM", "uM", "pM"}
_CUBED = {"mm3"}
DIMENSIONLESS = {"1", "dimensionless", "au", "fraction"}


def parse_unit(text: str, *, where: str = "unit") -> tuple[UnitTerm, ...]:
    """Parse a unit string into SBML unit terms (empty tuple = dimensionless)."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationError(f"{where}: unit is missing (give e.g. 'cells', '1/day', '1')")
    s = text.strip()
    if s in DIMENSIONLESS:
        return ()
    try:
        node = ast.parse(s.replace("^", "**"), mode="eval").body
    except SyntaxError:
        raise ValidationError(f"{where}: cannot parse unit {text!r}") from None
    acc: dict[tuple[str, int, float], int] = {}
    _collect(node, 1, acc, where, text)
    terms = tuple(
        UnitTerm(kind, exp, scale, mult)
        for (kind, scale, mult), exp in sorted(acc.items())
        if exp != 0
    )
    return terms


def _collect(node: ast.AST, sign: int, acc: dict, where: str, text: str) -> None:
    def add(key: tuple[str, int, float], exp: int) -> None:
        acc[key] = acc.get(key, 0) + exp

    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        _collect(node.left, sign, acc, where, text)
        _collect(node.right, sign, acc, where, text)
        return
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        _collect(node.left, sign, acc, where, text)
        _collect(node.right, -sign, acc, where, text)
        return
    if isinstance(node, ast.Constant) and node.value == 1 and not isinstance(node.value, bool):
        return
    power = 1
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        exp_node = node.right
        neg = False
        if isinstance(exp_node, ast.UnaryOp) and isinstance(exp_node.op, ast.USub):
            exp_node, neg = exp_node.operand, True
        if not (isinstance(exp_node, ast.Constant) and isinstance(exp_node.value, int)):
            raise ValidationError(f"{where}: unit exponents must be integers in {text!r}")
        power = -exp_node.value if neg else exp_node.value
        node = node.left
    if isinstance(node, ast.Name):
        name = node.id
        if name not in BASE_UNITS:
            hint = did_you_mean(name, BASE_UNITS)
            raise ValidationError(
                f"{where}: unknown unit {name!r} in {text!r}{hint} "
                f"(known: {', '.join(sorted(BASE_UNITS))}, 1, dimensionless)"
            )
        kind, scale, mult = BASE_UNITS[name]
        if name in _CUBED:
            add((kind, scale, mult), 3 * power * sign)
        else:
            add((kind, scale, mult), power * sign)
        if name in _MOLAR:
            add(("litre", 0, 1.0), -power * sign)
        return
    raise ValidationError(
        f"{where}: unit {text!r} may only combine unit names with *, / and integer powers"
    )


#: SBML unit kinds a species' substanceUnits may be derived from (exponent 1), besides dimensionless
SUBSTANCE_KINDS = ("mole", "item", "gram")


def substance_unit(text: str) -> str | None:
    """``text`` if it is an SBML substance unit (one mole, item or gram term with exponent 1,
    or dimensionless), else None: a species amount must be in one (SBML L3V2 section 4.6.4)."""
    terms = parse_unit(text)
    if not terms or (
        len(terms) == 1 and terms[0].kind in SUBSTANCE_KINDS and terms[0].exponent == 1
    ):
        return text
    return None


def substance_of(concentration: str, volume: str) -> str | None:
    """The substance unit of a ``concentration`` unit times a ``volume`` unit, named by its base
    unit ('ug/mL' x 'mL' -> 'ug', 'mg/L' x 'mL' -> 'ug'); where no base unit is that size, the
    product itself ('cells/uL' x 'mL' -> '(cells/uL)*(mL)', 1000 cells, which :func:`fold`
    writes as one scaled term); None if the product is no single substance unit. Litres of any
    scale cancel; mm3 does not cancel mL."""
    factor = 1.0
    exps: dict[str, int] = {}
    for term in parse_unit(f"({concentration})*({volume})"):
        factor *= (term.multiplier * 10.0**term.scale) ** term.exponent
        exps[term.kind] = exps.get(term.kind, 0) + term.exponent
    left = {k: e for k, e in exps.items() if e != 0}
    if not left:
        return "1" if factor == 1.0 else f"({concentration})*({volume})"
    if len(left) != 1 or next(iter(left.values())) != 1 or next(iter(left)) not in SUBSTANCE_KINDS:
        return None
    kind = next(iter(left))
    return next(
        (
            name
            for name, (k, scale, mult) in BASE_UNITS.items()
            if k == kind
            and name not in _MOLAR | _CUBED
            and abs(mult * 10.0**scale - factor) <= 1e-12 * factor
        ),
        f"({concentration})*({volume})",
    )


def fold(terms: Iterable[UnitTerm]) -> tuple[UnitTerm, ...]:
    """The same unit with one term per kind: the exponents of a kind added, every scale and
    multiplier folded into one factor carried by the first kind left (as its scale where that
    is a whole power of ten), or by a dimensionless term where all kinds cancel:
    '(cells/uL)*(mL)' -> item with scale 3 (1000 cells); 'mL/L' -> dimensionless, scale -3."""
    terms = tuple(terms)
    scale = sum(t.scale * t.exponent for t in terms)
    multiplier = math.prod(t.multiplier**t.exponent for t in terms)
    exponents: dict[str, int] = {}
    for t in terms:
        if t.kind != "dimensionless":
            exponents[t.kind] = exponents.get(t.kind, 0) + t.exponent
    kinds = [(k, e) for k, e in exponents.items() if e != 0] or [("dimensionless", 1)]
    kind, exponent = kinds[0]
    if scale % exponent == 0:
        head = UnitTerm(kind, exponent, scale // exponent, multiplier ** (1 / exponent))
    else:
        head = UnitTerm(kind, exponent, 0, (multiplier * 10.0**scale) ** (1 / exponent))
    return (head, *(UnitTerm(k, e) for k, e in kinds[1:]))


def unit_sid(text: str) -> str:
    """A stable SBML id for a unit string ('1/(cells*day)' -> 'u_1_per_cells_day')."""
    s = text.strip().replace("**", "^")
    s = s.replace("/", "_per_").replace("*", "_").replace("^", "_pow_").replace("-", "m")
    s = re.sub(r"[^A-Za-z0-9_]", "", s)
    s = re.sub(r"_+", "_", s).strip("_")
    return "u_" + s


#: unit text as printed for a reader: ``um`` -> ``µm``, ``**2`` -> ``²``, ``**3`` -> ``³``
_UNIT_TEXT = ((r"\bum\b", "µm"), (r"\*\*2\b", "²"), (r"\*\*3\b", "³"))


def pretty_unit(unit: str) -> str:
    """A unit as printed on an axis or in a table: ``molecules/um**2`` -> ``molecules/µm²``."""
    for old, new in _UNIT_TEXT:
        unit = re.sub(old, new, unit)
    return unit
