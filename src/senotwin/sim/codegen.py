"""Generate and JIT-compile the right-hand side of a lowered model for the fast engine.

The source is produced here from the validated expression trees of :func:`model.compile.flatten`
— never from user text: every symbol becomes an array slot (``yc[i]``, ``p[j]``) or a local
(``o<k>``, ``r<k>``), every number is a float literal and every call is one of a fixed set, so
nothing a model file contains can reach the generated code as code. Observables are computed
once per evaluation in dependency order (no inlining blow-up), then the process rates, then
dy/dt = S · rates + u. numba compiles the function to machine code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np

from senotwin._errors import CompileError
from senotwin.model.compile import FlatModel
from senotwin.model.expr import TIME, Call, Expr, Num, Op, Sym

_UNARY = {"exp": "np.exp", "log": "np.log", "sqrt": "np.sqrt"}
_BINARY = {"+", "-", "*", "/", "**"}


def _hill(x: float, k: float, n: float) -> float:
    xn = x**n
    return xn / (k**n + xn)


class _Renderer:
    """Render expression trees as Python source over the slot names of one model."""

    def __init__(self, flat: FlatModel) -> None:
        self.slots: dict[str, str] = {TIME: "t"}
        self.slots.update({s: f"yc[{i}]" for i, s in enumerate(flat.species)})
        self.slots.update({p: f"p[{i}]" for i, p in enumerate(flat.parameters)})
        self.slots.update({o: f"o{i}" for i, (o, _) in enumerate(flat.observables)})

    def __call__(self, expr: Expr) -> str:
        if isinstance(expr, Num):
            value = float(expr.value)
            if not np.isfinite(value):  # 'inf'/'nan' are not names in the generated code
                return "np.nan" if np.isnan(value) else ("np.inf" if value > 0 else "(-np.inf)")
            return repr(value)
        if isinstance(expr, Sym):
            if expr.name not in self.slots:
                raise CompileError(f"symbol {expr.name!r} has no value slot")
            return self.slots[expr.name]
        if isinstance(expr, Op):
            if expr.op == "neg":
                return f"(-{self(expr.args[0])})"
            if expr.op not in _BINARY:
                raise CompileError(f"unknown operator {expr.op!r}")
            return f"({self(expr.args[0])} {expr.op} {self(expr.args[1])})"
        if isinstance(expr, Call):
            args = [self(a) for a in expr.args]
            if expr.fn in _UNARY:
                return f"{_UNARY[expr.fn]}({args[0]})"
            if expr.fn == "hill":
                return f"_hill({args[0]}, {args[1]}, {args[2]})"
            if expr.fn in ("min", "max"):
                out = args[0]
                for arg in args[1:]:
                    out = f"{expr.fn}({out}, {arg})"
                return out
            raise CompileError(f"unknown function {expr.fn!r}")
        raise CompileError(f"cannot render node {expr!r}")


def rhs_source(flat: FlatModel) -> str:
    """Python source of ``rhs(y, t, p, u, clip) -> dy`` (odeint argument order)."""
    render = _Renderer(flat)
    species = {s: i for i, s in enumerate(flat.species)}
    lines = [
        "def rhs(y, t, p, u, clip):",
        "    yc = np.empty_like(y)",
        "    for i in range(y.shape[0]):",
        "        yc[i] = max(y[i], 0.0) if clip[i] else y[i]",
    ]
    lines += [f"    o{i} = {render(e)}" for i, (_, e) in enumerate(flat.observables)]
    lines += [f"    r{j} = {render(e)}" for j, (_, e, _) in enumerate(flat.processes)]
    lines.append("    dy = u.copy()")
    for j, (_, _, coefs) in enumerate(flat.processes):
        for sid, coef in coefs:
            lines.append(f"    dy[{species[sid]}] += {float(coef)!r} * r{j}")
    lines.append("    return dy")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class CompiledRhs:
    """A compiled right-hand side and the source it was compiled from."""

    fn: Callable[..., np.ndarray]
    source: str


_CACHE: dict[str, CompiledRhs] = {}


def compiled_rhs(flat: FlatModel) -> CompiledRhs:
    """The JIT-compiled RHS of a lowered model, compiled once per process and spec digest."""
    key = flat.spec.digest()
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    source = rhs_source(flat)
    # error_model="numpy": x/0 gives inf/nan (then a 'failed' result) instead of raising
    namespace: dict[str, Any] = {"np": np, "_hill": numba.njit(_hill, error_model="numpy")}
    # the source was generated above from validated trees (see the module docstring)
    exec(compile(source, f"<senotwin rhs {flat.spec.id}>", "exec"), namespace)
    fn = namespace["rhs"]
    jitted = numba.njit(fn, error_model="numpy")
    n = len(flat.species)
    # compile now (first call), with the argument types every run uses
    jitted(
        np.array(flat.initial, dtype=float),
        0.0,
        np.array(flat.values, dtype=float),
        np.zeros(n),
        np.ones(n, dtype=np.bool_),
    )
    hit = CompiledRhs(fn=jitted, source=source)
    if len(_CACHE) >= 16:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = hit
    return hit
