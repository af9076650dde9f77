"""Generate and JIT-compile the right-hand side and observables of a lowered model.

The source is produced here from the validated expression trees of :func:`model.compile.flatten`
— never from user text: every symbol becomes an array slot (``y[i]``, ``p[j]``) or a local
(``s<i>`` = the species as the rates see it, ``o<k>``, ``r<j>``), every number is a float literal
and every call is one of a fixed set, so nothing a model file contains can reach the generated
code as code. Observables are computed once per evaluation in dependency order (no inlining
blow-up), then the process rates, then dy/dt = S · rates + u (one statement per species). The
integrator's copies (``rhs_q``/``obs_q``) read every operation on parameters alone — powers,
square roots, quotients of rate constants — from slots that ``prep_q`` fills once per segment
(a third of the qsp model's arithmetic per evaluation; results unchanged bit for bit).
numba compiles the functions to machine code, once per model *structure*: parameters are
runtime arrays, so models differing only in values share the compiled code. The generated
functions and the Rodas5P integrator bound to them are written as a module under the user cache
directory ($SENOTWIN_CACHE_DIR; "off" disables) and compiled with numba's ``cache=True``, so a
later process loads the machine code instead of compiling again (default model: ~12 s to
compile under load, ~1 s to load). The module also holds ``jac_q``, the analytic Jacobian on
the pattern of :func:`jacobian_groups` (:mod:`senotwin.sim.jacobian`: forward-mode straight-line
code with value numbering, ~800 statements for the qsp model, ~15-25 % more compile time, 0.27
instead of ~1.3 µs for the 12 RHS evaluations a finite-difference Jacobian costs); a rate law
it does not differentiate, or a model whose Jacobian would be too large to compile quickly (the
legacy model), gets a stub and the integrator differences the compiled RHS instead, grouping
the species no derivative reads together (:func:`jacobian_groups`). (An earlier generated
Jacobian, expression by expression, took numba 25 s to compile for the qsp model.)
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import math
import os
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numba
import numpy as np

from senotwin._errors import CompileError
from senotwin._io import atomic_write_text
from senotwin.model.compile import FlatModel
from senotwin.model.expr import TIME, Call, Expr, Num, Op, Sym
from senotwin.sim.jacobian import JacobianWriter, NotDifferentiable

_UNARY = {"exp": "np.exp", "log": "np.log", "sqrt": "np.sqrt"}
_BINARY = {"+", "-", "*", "/", "**"}


def _hill_py(x: float, k: float, n: float) -> float:
    xn = x**n
    return xn / (k**n + xn)


#: the Hill function of generated code (file-backed and cached, so cached callers can link it)
hill = numba.njit(_hill_py, cache=True, error_model="numpy")


class Renderer:
    """Render expression trees as Python source over the slot names of one model."""

    def __init__(self, flat: FlatModel) -> None:
        self.slots: dict[str, str] = {TIME: "t"}
        self.slots.update({s: f"s{i}" for i, s in enumerate(flat.species)})
        self.slots.update({p: f"p[{i}]" for i, p in enumerate(flat.parameters)})
        self.slots.update({o: f"o{i}" for i, (o, _) in enumerate(flat.observables)})
        self._memo: dict[int, str] = {}

    def __call__(self, expr: Expr) -> str:
        key = id(expr)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = self._render(expr)
        return hit

    def _render(self, expr: Expr) -> str:
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
                return f"hill({args[0]}, {args[1]}, {args[2]})"
            if expr.fn in ("min", "max"):
                out = args[0]
                for arg in args[1:]:
                    out = f"{expr.fn}({out}, {arg})"
                return out
            raise CompileError(f"unknown function {expr.fn!r}")
        raise CompileError(f"cannot render node {expr!r}")


def _species_locals(flat: FlatModel) -> list[str]:
    """``s<i>``: the species as rates and observables see them (max(y, 0) where non-negative)."""
    clip = [s.non_negative for s in flat.spec.species]
    return [
        f"    s{i} = max(y[{i}], 0.0)" if clip[i] else f"    s{i} = y[{i}]"
        for i in range(len(flat.species))
    ]


def _constant_test(flat: FlatModel) -> tuple[Callable[[Expr], bool], dict[str, bool]]:
    """(is_constant(expr), observable -> constant): an expression is constant over a segment
    when it reads parameters and numbers only (directly or through constant observables)."""
    params = set(flat.parameters)
    const_obs: dict[str, bool] = {}
    memo: dict[int, bool] = {}

    def constant(expr: Expr) -> bool:
        hit = memo.get(id(expr))
        if hit is None:
            if isinstance(expr, Num):
                hit = True
            elif isinstance(expr, Sym):
                hit = expr.name in params or const_obs.get(expr.name, False)
            else:
                hit = all(constant(a) for a in expr.args)
            memo[id(expr)] = hit
        return hit

    for oid, expr in flat.observables:  # dependency order
        const_obs[oid] = constant(expr)
    return constant, const_obs


def _reads_symbol(expr: Expr) -> bool:
    if isinstance(expr, Sym):
        return True
    if isinstance(expr, Num):
        return False
    return any(_reads_symbol(a) for a in expr.args)


class HoistingRenderer(Renderer):
    """Render with every constant operation (parameters and numbers only) read from a slot of
    ``p`` after the model's parameters: ``prep_q`` computes those slots once per segment, so a
    right-hand side evaluation does no arithmetic (powers, square roots, divisions) on
    parameters alone. The slot holds the value the plain rendering computes, bit for bit."""

    def __init__(self, flat: FlatModel) -> None:
        super().__init__(flat)
        self.constant, self.const_obs = _constant_test(flat)
        self.plain = Renderer(flat)
        self.base = len(flat.parameters)
        self.hoisted: dict[str, int] = {}  # plain source -> slot offset

    def _render(self, expr: Expr) -> str:
        # numbers alone stay literals: the compiler folds them (and keeps x ** 2.0 a product)
        if isinstance(expr, (Op, Call)) and self.constant(expr) and _reads_symbol(expr):
            text = self.plain(expr)
            k = self.hoisted.setdefault(text, len(self.hoisted))
            return f"p[{self.base + k}]"
        return super()._render(expr)


def _functions(
    render: Renderer, flat: FlatModel, rhs: str, obs: str
) -> tuple[list[str], list[str]]:
    """Source lines of the right-hand side and observables functions named ``rhs``/``obs``."""
    species = {s: i for i, s in enumerate(flat.species)}
    n = len(flat.species)
    head = _species_locals(flat)
    obs_lines = [f"    o{k} = {render(e)}" for k, (_, e) in enumerate(flat.observables)]
    rates = [f"    r{j} = {render(e)}" for j, (_, e, _) in enumerate(flat.processes)]
    lines = [f"def {rhs}(t, y, p, u, dy):", *head, *obs_lines, *rates]
    terms: list[list[str]] = [[] for _ in range(n)]
    for j, (_, _, coefs) in enumerate(flat.processes):
        for sid, coef in coefs:
            terms[species[sid]].append(f"{float(coef)!r} * r{j}")
    lines += [f"    dy[{i}] = u[{i}]" + "".join(f" + {t}" for t in terms[i]) for i in range(n)]
    out = [f"def {obs}(t, y, p, out):", *head, *obs_lines]
    out += [f"    out[{k}] = o{k}" for k in range(len(flat.observables))]
    return lines, out


#: the largest generated Jacobian (statements) compiled; a larger model keeps finite differences
#: (numba's compile time grows with the code: the legacy model's would cost minutes)
MAX_JACOBIAN_LINES = 2000


def _jacobian(flat: FlatModel, hoist: HoistingRenderer) -> list[str]:
    """Source lines of ``jac_q`` (:mod:`senotwin.sim.jacobian`): the analytic Jacobian on the
    pattern of :func:`jacobian_groups`, or a stub returning False (finite differences) when a
    rate law is not differentiated or the code would be too large to compile quickly."""
    head = "def jac_q(t, y, p, u, jmat):"
    _, _, rows, rptr = jacobian_groups(flat)
    pattern = [(int(i), j) for j in range(len(flat.species)) for i in rows[rptr[j] : rptr[j + 1]]]
    try:
        body = JacobianWriter(flat, hoist, hoist.constant).body(pattern)
    except NotDifferentiable:
        body = []
    if not body or len(body) > MAX_JACOBIAN_LINES:
        return [head, "    return False"]
    return [head, *_species_locals(flat), *body]


def fast_source(flat: FlatModel) -> str:
    """Python source of ``rhs_into`` and ``obs_into`` (see :class:`CompiledFast`), and of
    the integrator's variants ``rhs_q``/``obs_q``/``jac_q``, which read every constant operation
    from the slots ``prep_q(p)`` appends to the parameters (:class:`HoistingRenderer`)."""
    rhs, obs = _functions(Renderer(flat), flat, "rhs_into", "obs_into")
    hoist = HoistingRenderer(flat)
    rhs_q, obs_q = _functions(hoist, flat, "rhs_q", "obs_q")
    jac_q = _jacobian(flat, hoist)  # before prep_q: it may hoist constants of its own
    base = hoist.base
    prep = ["def prep_q(p):", f"    q = np.empty({base + len(hoist.hoisted)})"]
    prep += [f"    for i in range({base}):", "        q[i] = p[i]"]
    prep += [
        f"    o{k} = {hoist.plain(e)}"
        for k, (oid, e) in enumerate(flat.observables)
        if hoist.const_obs[oid]
    ]
    prep += [f"    q[{base + k}] = {text}" for text, k in hoist.hoisted.items()]
    prep += ["    return q"]
    blocks = [rhs, obs, prep, rhs_q, obs_q, jac_q]
    return "\n\n\n".join("\n".join(b) for b in blocks) + "\n"


def _species_read(expr: Expr, species: dict[str, int], obs: dict[str, set[int]]) -> set[int]:
    """Species an expression reads, directly or through observables (whose reads are known)."""
    if isinstance(expr, Sym):
        if expr.name in species:
            return {species[expr.name]}
        return obs.get(expr.name, set())
    if isinstance(expr, Num):
        return set()
    out: set[int] = set()
    for arg in expr.args:
        out |= _species_read(arg, species, obs)
    return out


def jacobian_groups(flat: FlatModel) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Which species each generated derivative reads, as the integrator's column groups.

    Returns (cols, ptr, rows, rptr): group g differences the columns ``cols[ptr[g]:ptr[g+1]]``
    in one RHS evaluation; ``rows[rptr[j]:rptr[j+1]]`` are the derivatives that read species j.
    Columns are grouped first-fit when no derivative reads two of them (the qsp model: 14
    species in 9 groups, so a Jacobian costs 9 RHS evaluations instead of 14).
    """
    species = {s: i for i, s in enumerate(flat.species)}
    n = len(species)
    obs: dict[str, set[int]] = {}
    for oid, expr in flat.observables:  # dependency order: what an observable reads is known
        obs[oid] = _species_read(expr, species, obs)
    readers: list[set[int]] = [set() for _ in range(n)]  # column j -> rows reading it
    for _, expr, coefs in flat.processes:
        reads = _species_read(expr, species, obs)
        for sid, _ in coefs:
            for j in reads:
                readers[j].add(species[sid])
    groups: list[list[int]] = []
    taken: list[set[int]] = []
    for j in range(n):
        for g, seen in enumerate(taken):
            if not seen & readers[j]:
                groups[g].append(j)
                seen |= readers[j]
                break
        else:
            groups.append([j])
            taken.append(set(readers[j]))
    cols = np.array([j for g in groups for j in g], dtype=np.int64)
    ptr = np.cumsum([0, *(len(g) for g in groups)]).astype(np.int64)
    rows = np.array([i for j in range(n) for i in sorted(readers[j])], dtype=np.int64)
    rptr = np.cumsum([0, *(len(r) for r in readers)]).astype(np.int64)
    return cols, ptr, rows, rptr


def integrator_structure(flat: FlatModel) -> tuple[np.ndarray, ...]:
    """The integrator's model constants: the Jacobian's column groups (:func:`jacobian_groups`)
    and the stage matrix's static sparse LU (:func:`senotwin.sim.rosenbrock.lu_structure`)."""
    from senotwin.sim.rosenbrock import lu_structure

    groups = jacobian_groups(flat)
    return (*groups, *lu_structure(len(flat.species), groups[2], groups[3]))


def linear_algebra_source(structure: tuple[np.ndarray, ...]) -> str:
    """Straight-line source of the stage matrix and its sparse LU for one model's pattern:
    ``stage_q`` (the matrix on the factors' pattern), ``lu_q`` and ``solve_q`` — the operations
    of the generic ``_pattern_matrix``, ``sparse_lu_factor`` and ``sparse_lu_solve`` of
    :mod:`senotwin.sim.rosenbrock` in the same order (results equal bit for bit) with every
    index a literal: no index arrays to walk (qsp model: a factorisation and 8 solves 0.7 instead
    of 4.2 µs). The n × n matrices are read through flat views (entry (i, j) at i·n + j): numba
    types a 1-D literal index in about half the time of a 2-D one, and these functions were
    two thirds of a model structure's compile time."""
    _, _, jrows, jrptr, order, lptr, lrows, uptr, ucols = ([int(v) for v in a] for a in structure)
    n = len(order)

    def at(i: int, j: int) -> int:
        return i * n + j

    jac = {(i, j) for j in range(n) for i in jrows[jrptr[j] : jrptr[j + 1]]}
    stage = [
        "def stage_q(lu_mat, jmat_mat, wts, winv, ghinv):",
        "    lu = lu_mat.reshape(lu_mat.size)",
        "    jmat = jmat_mat.reshape(jmat_mat.size)",
    ]
    for j in range(n):
        for i in jrows[jrptr[j] : jrptr[j + 1]]:
            plus = " + ghinv" if i == j else ""
            stage.append(f"    lu[{at(i, j)}] = -jmat[{at(i, j)}] * (wts[{j}] * winv[{i}]){plus}")
    stage += [f"    lu[{at(i, i)}] = ghinv" for i in range(n) if (i, i) not in jac]
    fac = ["def lu_q(a_mat, dinv):", "    a = a_mat.reshape(a_mat.size)"]
    sol_l = ["def solve_q(a_mat, dinv, b):", "    a = a_mat.reshape(a_mat.size)"]
    sol_u: list[str] = []
    for k, c in enumerate(order):
        low, up = lrows[lptr[k] : lptr[k + 1]], ucols[uptr[k] : uptr[k + 1]]
        stage += [f"    lu[{at(i, c)}] = 0.0" for i in low if (i, c) not in jac]  # fill-in
        stage += [f"    lu[{at(c, j)}] = 0.0" for j in up if (c, j) not in jac]
        fac.append(f"    d = a[{at(c, c)}]")
        big = "0.0"
        for i in low:
            big = f"max({big}, abs(a[{at(i, c)}]))"
        keep = f"abs(d) >= PIVOT_TOL * {big} and abs(d) > 0.0 and math.isfinite(d)"
        fac.append(f"    if not ({keep}):")
        fac += ["        return False", "    inv = 1.0 / d", f"    dinv[{c}] = inv"]
        for i in low:
            fac += [f"    f = a[{at(i, c)}] * inv", f"    a[{at(i, c)}] = f"]
            if up:
                fac.append("    if f != 0.0:")
                fac += [f"        a[{at(i, j)}] -= f * a[{at(c, j)}]" for j in up]
        if low:
            sol_l += [f"    bc = b[{c}]", "    if bc != 0.0:"]
            sol_l += [f"        b[{i}] -= a[{at(i, c)}] * bc" for i in low]
        back = [f"    s = b[{c}]", *(f"    s -= a[{at(c, j)}] * b[{j}]" for j in up)]
        sol_u = [*back, f"    b[{c}] = s * dinv[{c}]", *sol_u]
    fac.append("    return True")
    head = "@numba.njit(cache=True)\n"
    blocks = ["\n".join(stage), "\n".join(fac), "\n".join(sol_l + sol_u)]
    return "\n\n\n".join(head + b for b in blocks) + "\n"


def uses_time(exprs: list[Expr]) -> bool:
    """True when any expression reads model time (the integrator then needs ∂f/∂t)."""

    def go(e: Expr) -> bool:
        if isinstance(e, Sym):
            return e.name == TIME
        if isinstance(e, Num):
            return False
        return any(go(a) for a in e.args)

    return any(go(e) for e in exprs)


@dataclass(frozen=True)
class CompiledFast:
    """The compiled functions of one model structure and the source they came from.

    ``rhs(t, y, p, u, dy)`` writes dy/dt; ``obs(t, y, p, out)`` writes the observables (y raw:
    both clip where needed);
    ``autonomous`` is False when the model reads ``time`` (then ∂f/∂t is needed).
    """

    rhs: Callable[..., None]
    obs: Callable[..., None]
    integrate: Callable[..., Any]  # rosenbrock.integrate with rhs and obs bound
    autonomous: bool
    source: str
    #: start_finite(t, y, p, u, n_obs): rhs and observables all finite (one compiled call)
    start_finite: Callable[..., bool]
    #: jacobian(t, y, p, u, jmat): the analytic Jacobian on the pattern of jacobian_groups
    #: written into jmat; False when the model has none (the integrator differences instead)
    jacobian: Callable[..., bool]


#: the functions fast_source() defines
_GENERATED = ("rhs_into", "obs_into", "prep_q", "rhs_q", "obs_q", "jac_q")
_CACHE: dict[str, CompiledFast] = {}  # by source hash: one compilation per structure
_BY_DIGEST: dict[str, CompiledFast] = {}  # by spec digest: no code generation per run
#: one compilation at a time per process: threads (a cohort's in-process workers) that need the
#: same structure at once got a half-imported module from sys.modules ("no attribute
#: 'rhs_into'") while the first was still executing it
_COMPILING = threading.RLock()
#: where generated modules are written so that numba's on-disk cache keeps their machine code
#: across processes ($SENOTWIN_CACHE_DIR, else the user cache directory; "off" disables)
CACHE_ENV = "SENOTWIN_CACHE_DIR"
_HERE = Path(__file__).parent


def compiled_fast(flat: FlatModel) -> CompiledFast:
    """The JIT-compiled functions of a lowered model, compiled once per process and structure."""
    digest = flat.spec.digest()
    hit = _BY_DIGEST.get(digest)
    if hit is None:
        with _COMPILING:
            hit = _BY_DIGEST.get(digest) or _compiled_structure(flat)
            if digest not in _BY_DIGEST and len(_BY_DIGEST) >= 64:
                _BY_DIGEST.pop(next(iter(_BY_DIGEST)))
            _BY_DIGEST[digest] = hit
    return hit


def cache_dir() -> Path | None:
    """Directory of the on-disk code cache, or None when disabled ($SENOTWIN_CACHE_DIR=off)."""
    env = os.environ.get(CACHE_ENV, "")
    if env.lower() == "off":
        return None
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "senotwin" / "fast"


def _integrator_source() -> str:
    """Source of the Rosenbrock ``integrate`` and its row writer with the model's ``rhs_into`` /
    ``obs_into`` as module globals instead of arguments: a function passed as an argument is a
    dynamic global to numba, which then refuses to cache the integrator's machine code."""
    from senotwin.sim import rosenbrock as ros

    out = []
    for fn, edits in (
        (
            ros._write_row,
            (("(obs, out,", "(out,"), ("obs(t, y, p, obuf)", "obs_q(t, y, p, obuf)")),
        ),
        (
            ros.integrate,
            (
                (
                    "    rhs,\n    obs,\n    jac,\n    jac_cols,\n    jac_ptr,\n"
                    "    jac_rows,\n    jac_rptr,\n    lu_order,\n    lu_lptr,\n"
                    "    lu_lrows,\n    lu_uptr,\n    lu_ucols,\n",
                    "",
                ),
                ("_write_row(obs, ", "_write_row("),
                ("rhs(", "rhs_q("),
                ("jac(t, y, p, u, jmat)", "jac_q(t, y, p, u, jmat)"),
                # the model's straight-line linear algebra (linear_algebra_source)
                (
                    "_pattern_matrix(lu, jmat, jac_rows, jac_rptr, wts, winv, ghinv)",
                    "stage_q(lu, jmat, wts, winv, ghinv)",
                ),
                (
                    "sparse_lu_factor(lu, lu_order, lu_lptr, lu_lrows, lu_uptr, lu_ucols, dinv)",
                    "lu_q(lu, dinv)",
                ),
                (
                    "sparse_lu_solve(lu, lu_order, lu_lptr, lu_lrows, lu_uptr, lu_ucols, dinv, "
                    "k_st[s])",
                    "solve_q(lu, dinv, k_st[s])",
                ),
                ("def integrate(", "def _integrate_q("),
            ),
        ),
        (
            ros.start_finite,
            (
                ("(rhs, obs, t,", "(t,"),
                ("rhs(t,", "rhs_q(t,"),
                ("obs(t,", "obs_q(t,"),
                ("def start_finite(", "def _start_finite_q("),
            ),
        ),
    ):
        text = inspect.getsource(fn.py_func)
        for old, new in edits:
            if old not in text:
                raise CompileError(
                    f"cannot bind the integrator: {old!r} not in {fn.py_func.__name__}"
                )
            text = text.replace(old, new)
        out.append(text.replace("@numba.njit(", "@numba.njit(cache=True, "))
    names = sorted(
        n
        for fn in (ros._write_row, ros.integrate, ros.start_finite)
        for n in fn.py_func.__code__.co_names
        if hasattr(ros, n) and n not in ("np", "math", "numba", "_write_row")
    )
    names.append("PIVOT_TOL")  # read by linear_algebra_source's lu_q
    imports = f"from senotwin.sim.rosenbrock import {', '.join(sorted(set(names)))}\n"
    return imports + "\n\n" + "\n\n".join(out) + _WRAPPER


#: the bound integrator's entry point: parameters in, their constant operations computed once
_WRAPPER = """

@numba.njit(cache=True, error_model="numpy")
def integrate(y, t0, t1, tout, p, u, clip, autonomous, rtol, atol, max_steps, out, stats):
    return _integrate_q(
        y, t0, t1, tout, prep_q(p), u, clip, autonomous, rtol, atol, max_steps, out, stats
    )


@numba.njit(cache=True, error_model="numpy")
def start_finite(t, y, p, u, n_obs):
    return _start_finite_q(t, y, prep_q(p), u, n_obs)
"""


_LU_NAMES = ("lu_order", "lu_lptr", "lu_lrows", "lu_uptr", "lu_ucols")


def _array_source(name: str, values: np.ndarray) -> str:
    return f"{name} = np.array({[int(v) for v in values]!r}, dtype=np.int64)\n"


def _module_source(source: str, groups: tuple[np.ndarray, ...]) -> str:
    """An importable module: the generated functions and the integrator bound to them (and to
    the model's Jacobian column groups, as constants), all ``cache=True`` so numba stores their
    machine code beside the file."""
    body = source
    for name in _GENERATED:
        body = body.replace(
            f"def {name}(", f'@numba.njit(cache=True, error_model="numpy")\ndef {name}('
        )
    head = (
        "# generated by senotwin.sim.codegen from a validated model (not user text)\n"
        "import math\n\nimport numba\nimport numpy as np\n\n"
        "from senotwin.sim.codegen import hill\n"
    )
    names = ("jac_cols", "jac_ptr", "jac_rows", "jac_rptr", *_LU_NAMES)
    consts = "".join(_array_source(k, v) for k, v in zip(names, groups, strict=True))
    algebra = linear_algebra_source(groups)
    return head + consts + _integrator_source() + "\n\n" + algebra + "\n\n" + body


def _code_version() -> str:
    """Digest of the code a cached module links (integrator, code generator, numba version)."""
    h = hashlib.sha256(numba.__version__.encode())
    for name in ("rosenbrock.py", "codegen.py", "jacobian.py"):
        h.update((_HERE / name).read_bytes())
    return h.hexdigest()[:16]


def _module_name(text: str) -> str:
    """The cached module's name: a digest of its text and of the code it links."""
    return "senotwin_fast_" + hashlib.sha256((_code_version() + text).encode()).hexdigest()[:24]


def is_compiled(flat: FlatModel) -> bool:
    """True when the disk cache holds this structure's machine code (a process loads it in about
    a second instead of compiling it)."""
    folder = cache_dir()
    if folder is None:
        return False
    name = _module_name(_module_source(fast_source(flat), integrator_structure(flat)))
    return any((folder / "__pycache__").glob(f"{name}.integrate-*.nbi"))


def _compile_in_worker(flat: FlatModel) -> bool:
    """A precompile worker: compile one structure into the disk cache (False if it failed: the
    caller's own first run then compiles it again and reports the error where it belongs)."""
    from senotwin.sim.options import SolverOptions
    from senotwin.sim.simulate import simulate

    try:  # one day at the model's own values: the integrator compiles on its first call
        simulate(flat.spec, t_end=1.0, solver=SolverOptions(engine="fast"), check_ranges=False)
    except Exception:  # reported by the caller's own run, not here
        return False
    return True


def precompile(flats: Sequence[FlatModel], workers: int | None = None) -> int:
    """Compile into the disk cache, in parallel processes, the structures it lacks, so that a
    command meeting several (a validation run meets about fifteen) waits for about their sum
    over the cores instead of their sum; returns how many were compiled.

    Nothing runs without a disk cache, with fewer than two structures to compile or with one
    core (the first simulation then compiles as before); results do not depend on it."""
    if cache_dir() is None:
        return 0
    todo: dict[str, FlatModel] = {}
    for flat in flats:
        if not is_compiled(flat):
            todo.setdefault(fast_source(flat), flat)
    n = min(len(todo), workers if workers is not None else min(os.cpu_count() or 1, 8))
    if n < 2:
        return 0
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # spawn: a fresh interpreter per worker (a forked numba or dask process is not safe to use);
    # a pool that cannot start (e.g. a script without a __main__ guard) only loses the speed-up
    try:
        with ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn")) as pool:
            return sum(pool.map(_compile_in_worker, todo.values()))
    except (BrokenProcessPool, OSError, RuntimeError):
        return 0


def _import_cached(source: str, groups: tuple[np.ndarray, ...]) -> ModuleType | None:
    """Write the module once under the cache directory and import it; None if impossible."""
    folder = cache_dir()
    if folder is None:
        return None
    text = _module_source(source, groups)
    name = _module_name(text)
    if name in sys.modules:
        return sys.modules[name]
    path = folder / f"{name}.py"
    try:
        if not path.exists() or path.read_text() != text:
            folder.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, text)
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            return None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    except OSError:
        sys.modules.pop(name, None)
        return None
    return module


def _in_memory(source: str, groups: tuple[np.ndarray, ...]) -> tuple[dict[str, Any], Any]:
    """The generated functions (compiled lazily, on first call) and the integrator bound to
    them, without the disk cache (cache disabled or not writable): once per process."""
    from senotwin.sim.rosenbrock import integrate as ros_integrate
    from senotwin.sim.rosenbrock import start_finite as ros_start_finite

    namespace: dict[str, Any] = {"np": np, "math": math, "hill": hill}
    # the source was generated from validated trees (see the module docstring)
    exec(compile(source, "<senotwin fast>", "exec"), namespace)
    fn: dict[str, Any] = {
        name: numba.njit(namespace[name], error_model="numpy") for name in _GENERATED
    }
    prep = fn["prep_q"]
    run: Callable[..., Any] = ros_integrate

    def integrate(y: Any, t0: Any, t1: Any, tout: Any, p: Any, *rest: Any) -> Any:
        return run(fn["rhs_q"], fn["obs_q"], fn["jac_q"], *groups, y, t0, t1, tout, prep(p), *rest)

    def start(t: Any, y: Any, p: Any, u: Any, n_obs: Any) -> bool:
        return bool(ros_start_finite(fn["rhs_q"], fn["obs_q"], t, y, prep(p), u, n_obs))

    fn["start_finite"] = start
    return fn, integrate


def _compiled_in_memory(
    source: str, groups: tuple[np.ndarray, ...]
) -> tuple[Any, Any, Callable[..., Any]]:
    """(rhs_into, obs_into, integrate) compiled in memory (the plain functions on first call)."""
    fn, integrate = _in_memory(source, groups)
    return fn["rhs_into"], fn["obs_into"], integrate


def _compiled_structure(flat: FlatModel) -> CompiledFast:
    source = fast_source(flat)
    key = hashlib.sha256(source.encode()).hexdigest()
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    # error_model="numpy": x/0 gives inf/nan (then a 'failed' result) instead of raising
    groups = integrator_structure(flat)
    module = _import_cached(source, groups)
    if module is not None:
        fn = {name: getattr(module, name) for name in _GENERATED}
        integrate, start = module.integrate, module.start_finite
    else:
        fn, integrate = _in_memory(source, groups)
        start = fn["start_finite"]
    # rhs/obs for callers outside the integrator go through the integrator's own functions:
    # the plain rhs_into/obs_into are never compiled (compiling them too cost ~50 % more CPU
    # per model structure)
    prep, rhs_q, obs_q, jac_q = fn["prep_q"], fn["rhs_q"], fn["obs_q"], fn["jac_q"]

    def rhs(t: float, y: np.ndarray, p: np.ndarray, u: np.ndarray, dy: np.ndarray) -> None:
        rhs_q(t, y, prep(p), u, dy)

    def obs(t: float, y: np.ndarray, p: np.ndarray, out: np.ndarray) -> None:
        obs_q(t, y, prep(p), out)

    def jacobian(t: float, y: np.ndarray, p: np.ndarray, u: np.ndarray, jmat: np.ndarray) -> bool:
        return bool(jac_q(t, y, prep(p), u, jmat))

    n, m = len(flat.species), len(flat.observables)
    y = np.array(flat.initial, dtype=float)
    p = np.array(flat.values, dtype=float)
    # compile (or load from the disk cache) now, with the argument types every run uses
    rhs(0.0, y, p, np.zeros(n), np.zeros(n))
    obs(0.0, y, p, np.zeros(m))
    exprs = [e for _, e in flat.observables] + [e for _, e, _ in flat.processes]
    start(0.0, y, p, np.zeros(n), m)
    hit = CompiledFast(rhs, obs, integrate, not uses_time(exprs), source, start, jacobian)
    if len(_CACHE) >= 16:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = hit
    return hit
