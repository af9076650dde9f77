"""Generate the analytic Jacobian ∂(dy/dt)/∂y of a lowered model as straight-line source.

Forward-mode differentiation of the same validated expression trees the right-hand side is
generated from (:mod:`senotwin.sim.codegen`): every node that reads a species gets a value local
``v<k>`` and one derivative local per species it reads (``d<k>_<j>``; derivatives that are 0 or
1 are folded while generating), observables once each in dependency order, then each process
rate, then every entry of the Jacobian's pattern as the stoichiometric sum of the rates'
derivatives. Work and code grow with the derivatives that exist (the pattern), not with n².

A clipped species (rates see max(y, 0)) is differentiated as y itself: the derivative the
integrator's finite differences take at y = 0, where clipped species usually sit. ``min``/``max``
follow the argument they return. The generated function returns False when an entry is not
finite (x^n at x = 0 with n < 1, ...): the integrator then differences that step instead.
"""

from __future__ import annotations

from collections.abc import Callable

from senotwin.model.compile import FlatModel
from senotwin.model.expr import TIME, Call, Expr, Num, Op, Sym

_ZERO, _ONE = "0.0", "1.0"


class NotDifferentiable(Exception):
    """A construct this generator does not differentiate (the model keeps finite differences)."""


def _times(a: str, b: str) -> str:
    if _ONE in (a, b):
        return b if a == _ONE else a
    return f"({a} * {b})"


class JacobianWriter:
    """Emit the statements of ``jac_q`` for one model.

    ``render`` gives the source of a species-free expression (parameters and numbers: the
    right-hand side's hoisted slots); ``constant`` says whether an expression is species-free.
    """

    def __init__(
        self, flat: FlatModel, render: Callable[[Expr], str], constant: Callable[[Expr], bool]
    ) -> None:
        self.flat = flat
        self.render = render
        self.constant = constant
        self.species = {s: i for i, s in enumerate(flat.species)}
        self.obs = {o: k for k, (o, _) in enumerate(flat.observables)}
        self.lines: list[str] = []
        self._memo: dict[int, tuple[str, dict[int, str]]] = {}
        self._obs_nodes: dict[str, tuple[str, dict[int, str]]] = {}
        self._n = 0
        self._seen: dict[str, str] = {}
        self._keep: list[Expr] = []

    def _local(self, prefix: str, text: str) -> str:
        """A new local holding ``text`` (names and literals are returned as they are)."""
        if text.replace("_", "").replace(".", "").isalnum() and not text.startswith("("):
            return text
        name = self._seen.get(text)
        if name is None:  # value numbering: equal text, equal value (one local)
            name = self._seen[text] = f"{prefix}{self._n}"
            self._n += 1
            self.lines.append(f"    {name} = {text}")
        return name

    def node(self, expr: Expr) -> tuple[str, dict[int, str]]:
        """(value source, species index -> derivative source) of one expression."""
        hit = self._memo.get(id(expr))
        if hit is None:
            hit = self._memo[id(expr)] = self._node(expr)
        return hit

    def _node(self, expr: Expr) -> tuple[str, dict[int, str]]:
        if isinstance(expr, Num) or self.constant(expr):
            return self.render(expr), {}
        if isinstance(expr, Sym):
            if expr.name in self.species:
                i = self.species[expr.name]
                return f"s{i}", {i: _ONE}
            if expr.name in self._obs_nodes:
                return self._obs_nodes[expr.name]
            if expr.name == TIME:
                return "t", {}
            raise NotDifferentiable(f"symbol {expr.name!r}")
        if isinstance(expr, Op):
            return self._op(expr)
        if isinstance(expr, Call):
            return self._call(expr)
        raise NotDifferentiable(repr(expr))

    def _op(self, expr: Op) -> tuple[str, dict[int, str]]:
        if expr.op == "neg":
            va, da = self.node(expr.args[0])
            return self._emit(f"(-{va})", {j: f"(-{d})" for j, d in da.items()})
        (va, da), (vb, db) = self.node(expr.args[0]), self.node(expr.args[1])
        keys = sorted(set(da) | set(db))
        out: dict[int, str] = {}
        if expr.op in ("+", "-"):
            for j in keys:
                if j not in db:
                    out[j] = da[j]
                elif j not in da:
                    out[j] = db[j] if expr.op == "+" else f"(-{db[j]})"
                else:
                    out[j] = f"({da[j]} {expr.op} {db[j]})"
            return self._emit(f"({va} {expr.op} {vb})", out)
        if expr.op == "*":
            for j in keys:
                terms = [_times(da[j], vb)] if j in da else []
                terms += [_times(va, db[j])] if j in db else []
                out[j] = terms[0] if len(terms) == 1 else f"({terms[0]} + {terms[1]})"
            return self._emit(f"({va} * {vb})", out)
        if expr.op == "/":
            value = self._local("v", f"({va} / {vb})")
            if not db:
                return value, self._derivs({j: f"({d} / {vb})" for j, d in da.items()})
            for j in keys:
                if j not in db:
                    num = da[j]
                elif j in da:
                    num = f"({da[j]} - {_times(value, db[j])})"
                else:
                    num = f"(-{_times(value, db[j])})"
                out[j] = f"({num} / {vb})"
            return value, self._derivs(out)
        if expr.op == "**":
            if db:
                raise NotDifferentiable("a power whose exponent reads a species")
            value = self._local("v", f"({va} ** {vb})")
            exponent = expr.args[1]
            if isinstance(exponent, Num) and float(exponent.value) == 2.0:
                slope = f"(2.0 * {va})"
            elif isinstance(exponent, Num) and float(exponent.value) == 1.0:
                slope = _ONE
            else:
                slope = f"({vb} * ({va} ** ({vb} - 1.0)))"
            return value, self._derivs({j: _times(slope, d) for j, d in da.items()})
        raise NotDifferentiable(f"operator {expr.op!r}")

    def _call(self, expr: Call) -> tuple[str, dict[int, str]]:
        fn = expr.fn
        if fn in ("exp", "log", "sqrt"):
            va, da = self.node(expr.args[0])
            value = self._local("v", f"np.{fn}({va})")
            if fn == "exp":
                slope = value
            elif fn == "log":
                slope = f"(1.0 / {va})"
            else:
                slope = f"(0.5 / {value})"
            slope = self._local("v", slope) if len(da) > 1 else slope
            return value, self._derivs({j: _times(slope, d) for j, d in da.items()})
        if fn == "hill":
            x, k, n = expr.args
            if not (self.constant(k) and self.constant(n)):
                raise NotDifferentiable("hill() with a species-dependent K or n")
            vx, dx = self.node(x)
            vk, vn = self.render(k), self.render(n)
            value = self._local("v", f"hill({vx}, {vk}, {vn})")
            if isinstance(n, Num) and float(n.value) == 1.0:
                slope = f"({vk} / (({vk} + {vx}) * ({vk} + {vx})))"
            else:
                power = Op("**", (k, n))
                self._keep.append(power)  # the renderer memoises by id(): keep it alive
                kn = self.render(power)
                rise = f"(({vn} * ({vx} ** ({vn} - 1.0))) * {kn})"
                slope = f"({rise} / (({kn} + ({vx} ** {vn})) ** 2.0))"
            slope = self._local("v", slope) if len(dx) > 1 else slope
            return value, self._derivs({j: _times(slope, d) for j, d in dx.items()})
        if fn in ("min", "max"):
            va, da = self.node(expr.args[0])
            for arg in expr.args[1:]:
                vb, db = self.node(arg)
                cmp = ">=" if fn == "max" else "<="
                keep = self._local("v", f"({va} {cmp} {vb})")
                value = self._local("v", f"({va} if {keep} else {vb})")
                da = self._derivs(
                    {
                        j: f"({da.get(j, _ZERO)} if {keep} else {db.get(j, _ZERO)})"
                        for j in sorted(set(da) | set(db))
                    }
                )
                va = value
            return va, da
        raise NotDifferentiable(f"function {fn!r}")

    def _derivs(self, out: dict[int, str]) -> dict[int, str]:
        return {j: self._local("d", d) for j, d in out.items()}

    def _emit(self, value: str, out: dict[int, str]) -> tuple[str, dict[int, str]]:
        return self._local("v", value), self._derivs(out)

    def body(self, pattern: list[tuple[int, int]]) -> list[str]:
        """Statements after the species locals: observables, rates, then the pattern's entries
        ``(row, column)`` of ``jmat`` (0 where no rate's derivative reaches one)."""
        for k, (oid, expr) in enumerate(self.flat.observables):
            if self.constant(expr):  # read as o<k> by the renderer
                self.lines.append(f"    o{k} = {self.render(expr)}")
            else:
                self._obs_nodes[oid] = self.node(expr)
        sums: dict[tuple[int, int], list[str]] = {}
        for _, expr, coefs in self.flat.processes:
            _, dr = self.node(expr)
            for sid, coef in coefs:
                i = self.species[sid]
                for j, d in dr.items():
                    sums.setdefault((i, j), []).append(_times(repr(float(coef)), d))
        # entry (i, j) through a flat view, at i·n + j: numba types a 1-D literal index in
        # about half the time of a 2-D one (compile time, not run time)
        n = len(self.species)
        lines = [*self.lines, "    jflat = jmat.reshape(jmat.size)"]
        for i, j in pattern:
            terms = sums.get((i, j))
            lines.append(f"    jflat[{i * n + j}] = {' + '.join(terms) if terms else _ZERO}")
        lines.append("    return True")
        return lines
