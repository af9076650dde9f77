"""Expression trees for rate laws and observables, and the whitelisting parser that builds them.

A model never executes text. Free-form expressions are parsed with :mod:`ast` and walked by a
whitelist: numbers, names of declared ids (plus ``time``), ``+ - * / **``, unary minus and calls
of the functions in :data:`FUNCTIONS`. Anything else (attributes, subscripts, keywords, lambdas,
comparisons, ...) is rejected with the column at fault. The resulting tree is the only thing the
engines and exporters read: it is rendered to text / SBML infix, differentiated structurally for
dependencies, and turned into numpy callables by composing closures (see ``model.compile``).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from senotwin._errors import ValidationError
from senotwin._suggest import closest as closest
from senotwin._suggest import did_you_mean

TIME = "time"
"""The reserved name for model time (days) inside expressions."""

# name -> (minimum arity, maximum arity or None for variadic), with a one-line meaning
FUNCTIONS: dict[str, tuple[int, int | None, str]] = {
    "exp": (1, 1, "exponential"),
    "log": (1, 1, "natural logarithm"),
    "sqrt": (1, 1, "square root"),
    "min": (2, None, "smallest argument"),
    "max": (2, None, "largest argument"),
    "hill": (3, 3, "hill(x, K, n) = x^n / (K^n + x^n)"),
}


@dataclass(frozen=True)
class Num:
    """A numeric literal."""

    value: float


@dataclass(frozen=True)
class Sym:
    """A reference to a declared id (species, parameter, observable) or ``time``."""

    name: str


@dataclass(frozen=True)
class Op:
    """An arithmetic operator: '+', '-', '*', '/', '**' (binary) or 'neg' (unary minus)."""

    op: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Call:
    """A call of a whitelisted function (see :data:`FUNCTIONS`)."""

    fn: str
    args: tuple[Expr, ...]


Expr = Num | Sym | Op | Call

_BINOPS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
}


def parse(text: str, allowed: frozenset[str] | set[str], *, where: str = "expression") -> Expr:
    """Parse ``text`` into an expression tree, accepting only whitelisted syntax and names.

    ``allowed`` holds the ids the expression may reference (``time`` is always allowed).
    Raises ValidationError naming ``where``, the offending construct and its column.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValidationError(f"{where}: expression must be a non-empty string, got {text!r}")
    if len(text) > 4000:
        raise ValidationError(f"{where}: expression longer than 4000 characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValidationError(
            f"{where}: cannot parse {text!r}: {exc.msg} at column {exc.offset}"
        ) from None
    return _walk(tree.body, allowed, where, text)


def _walk(node: ast.AST, allowed: frozenset[str] | set[str], where: str, text: str) -> Expr:
    col = getattr(node, "col_offset", 0) + 1
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise ValidationError(
                f"{where}: only numbers are allowed as constants, got {node.value!r}"
            )
        value = float(node.value)
        if not math.isfinite(value):
            literal = ast.get_source_segment(text.strip(), node) or str(node.value)
            raise ValidationError(
                f"{where}: number {literal} at column {col} of {text!r} is not finite "
                "(numbers must lie within +-1.8e308)"
            )
        return Num(value)
    if isinstance(node, ast.Name):
        if node.id != TIME and node.id not in allowed:
            raise ValidationError(
                f"{where}: unknown name {node.id!r} at column {col} of {text!r}"
                + _suggest(node.id, allowed)
            )
        return Sym(node.id)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return Op(
            _BINOPS[type(node.op)],
            (_walk(node.left, allowed, where, text), _walk(node.right, allowed, where, text)),
        )
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _walk(node.operand, allowed, where, text)
        if isinstance(node.op, ast.UAdd):
            return inner
        if isinstance(inner, Num):
            return Num(-inner.value)
        return Op("neg", (inner,))
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else ast.dump(node.func)[:40]
            raise ValidationError(
                f"{where}: call of {name!r} at column {col} is not allowed; allowed functions: "
                + ", ".join(sorted(FUNCTIONS))
            )
        if node.keywords:
            raise ValidationError(f"{where}: keyword arguments are not allowed (column {col})")
        lo, hi, _ = FUNCTIONS[node.func.id]
        n = len(node.args)
        if n < lo or (hi is not None and n > hi):
            want = f"{lo}" if lo == hi else f"{lo}..{hi if hi is not None else 'n'}"
            raise ValidationError(
                f"{where}: {node.func.id}() takes {want} arguments, got {n} (column {col})"
            )
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise ValidationError(f"{where}: starred arguments are not allowed (column {col})")
        return Call(node.func.id, tuple(_walk(a, allowed, where, text) for a in node.args))
    raise ValidationError(
        f"{where}: {type(node).__name__} at column {col} of {text!r} is not allowed "
        "(use numbers, declared ids, + - * / **, and " + ", ".join(sorted(FUNCTIONS)) + ")"
    )


def _suggest(name: str, allowed: frozenset[str] | set[str]) -> str:
    return did_you_mean(name, allowed)


def symbols(expr: Expr) -> set[str]:
    """All names an expression references (including ``time`` if used)."""
    return {node.name for node in walk(expr) if isinstance(node, Sym)}


def walk(expr: Expr) -> Iterator[Expr]:
    """Every node of the tree, depth first."""
    yield expr
    if isinstance(expr, Op | Call):
        for arg in expr.args:
            yield from walk(arg)


def substitute(expr: Expr, mapping: Mapping[str, Expr]) -> Expr:
    """Replace symbols by sub-trees (used to bind template arguments and to apply blocks)."""
    if isinstance(expr, Sym):
        return mapping.get(expr.name, expr)
    if isinstance(expr, Op):
        return Op(expr.op, tuple(substitute(a, mapping) for a in expr.args))
    if isinstance(expr, Call):
        return Call(expr.fn, tuple(substitute(a, mapping) for a in expr.args))
    return expr


def expand_hill(expr: Expr) -> Expr:
    """Rewrite hill(x, K, n) as x^n/(K^n + x^n) so formats without a hill function can hold it."""
    if isinstance(expr, Call):
        args = tuple(expand_hill(a) for a in expr.args)
        if expr.fn == "hill":
            x, k, n = args
            xn = Op("**", (x, n))
            return Op("/", (xn, Op("+", (Op("**", (k, n)), xn))))
        return Call(expr.fn, args)
    if isinstance(expr, Op):
        return Op(expr.op, tuple(expand_hill(a) for a in expr.args))
    return expr


_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "**": 4}


def _fmt_num(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def to_text(expr: Expr, *, power: str = "**") -> str:
    """Infix text of the tree (``power='^'`` gives SBML L3 / Antimony infix)."""
    return _render(expr, power, expand=False)


def to_sbml_infix(expr: Expr) -> str:
    """SBML Level 3 infix: '^' for powers, hill expanded, min/max as piecewise, log as ln."""
    return _render(expand_hill(expr), "^", expand=True)


def _render(expr: Expr, power: str, *, expand: bool) -> str:
    def go(e: Expr, parent: int, right: bool) -> str:
        if isinstance(e, Num):
            s = _fmt_num(e.value)
            return f"({s})" if e.value < 0 else s
        if isinstance(e, Sym):
            return e.name
        if isinstance(e, Call):
            if expand and e.fn in ("min", "max"):
                return _minmax_piecewise(e, lambda x: go(x, 0, False))
            if expand and e.fn == "log":  # the SBML L3 parser reads log(x) as log10
                return f"ln({go(e.args[0], 0, False)})"
            return f"{e.fn}({', '.join(go(a, 0, False) for a in e.args)})"
        prec = _PREC[e.op]
        if e.op == "neg":
            s = "-" + go(e.args[0], prec, False)
        else:
            op = power if e.op == "**" else e.op
            # '**' is right-associative, the others left-associative
            left = go(e.args[0], prec + (1 if e.op == "**" else 0), False)
            right_s = go(e.args[1], prec + (0 if e.op == "**" else 1), True)
            s = f"{left} {op} {right_s}"
        return f"({s})" if prec < parent else s

    return go(expr, 0, False)


def _minmax_piecewise(e: Call, render: Callable[[Expr], str]) -> str:
    cmp = "<=" if e.fn == "min" else ">="
    args = [render(a) for a in e.args]
    acc = args[0]
    for nxt in args[1:]:
        acc = f"piecewise({acc}, {acc} {cmp} {nxt}, {nxt})"
    return acc
