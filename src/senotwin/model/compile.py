"""Lower a ModelSpec to flat expression trees and compose them into numpy callables.

Lowering (``flatten``) binds templates, orders observables, and applies the block mechanism:
each blockable entity E gets a parameter ``block_E`` (default 0) and every *use* of a quantity
tagged with E inside a rate or observable becomes ``X * (1 - block_E)`` (an observable tagged E
is scaled in its own definition, so all its users see the blocked value). A tagged species keeps
its own turnover: inside processes whose stoichiometry changes that species it is not scaled, so a
block removes its effects on everything else, not the cells themselves. Event assignments are
never scaled. Engines and exporters
all read this one lowered form, so knockouts, drugs and sensitivity analysis act identically in
SciPy, libRoadRunner and the exported SBML.

Compilation (``compile_spec``) turns each tree into a Python closure that calls numpy operators
node by node. No source text is generated or executed: the closures are composed from the
validated tree, which makes injection impossible by construction and keeps the reference engine
readable. It is slower than generated code; speed is the fast engine's job.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from senotwin._errors import CompileError, ValidationError
from senotwin.model.expr import TIME, Call, Expr, Num, Op, Sym, parse, substitute, symbols
from senotwin.model.spec import ModelSpec, Parameter, Species, observable_order

Value = Any  # float or numpy array
Fn = Callable[[Value, np.ndarray, np.ndarray, list], Value]


def block_id(entity: str) -> str:
    """Parameter id holding the blocked fraction of ``entity`` (0 = no block, 1 = knockout)."""
    return "block_" + re.sub(r"[^A-Za-z0-9_]", "_", entity)


@dataclass(frozen=True)
class FlatModel:
    """The lowered model: ids in engine order, default values, and final expression trees."""

    spec: ModelSpec
    species: tuple[str, ...]
    parameters: tuple[str, ...]  # spec parameters then block_* parameters
    entities: tuple[str, ...]
    initial: tuple[float, ...]
    values: tuple[float, ...]
    observables: tuple[tuple[str, Expr], ...]  # dependency order
    processes: tuple[tuple[str, Expr, tuple[tuple[str, float], ...]], ...]
    events: tuple[tuple[str, float, tuple[tuple[str, Expr], ...]], ...]
    #: species whose initial amount is an expression of parameters (no blocks applied: the
    #: state before the run, not a drug's action), in species order
    initial_rules: tuple[tuple[str, Expr], ...] = ()


def _one_minus(bid: str) -> Expr:
    return Op("-", (Num(1.0), Sym(bid)))


_FLAT_CACHE: dict[str, FlatModel] = {}
_COMPILED_CACHE: dict[str, CompiledModel] = {}
_CACHE_SIZE = 64


def _remember(cache: dict, key: str, value: Any) -> None:
    if len(cache) >= _CACHE_SIZE:
        cache.pop(next(iter(cache)))
    cache[key] = value


def _flatten_uncached(spec: ModelSpec) -> FlatModel:
    entities = spec.entities()
    bids = [block_id(e) for e in entities]
    if len(set(bids)) != len(bids):
        raise CompileError(f"entity tags collide after sanitising to SBML ids: {entities}")
    # uses of tagged species/parameters are scaled; tagged observables scale their definition
    use_map: dict[str, Expr] = {}
    tagged: list[Species | Parameter] = [*spec.species, *spec.parameters]
    for item in tagged:
        if item.entity is not None:
            use_map[item.id] = Op("*", (Sym(item.id), _one_minus(block_id(item.entity))))
    by_id = {o.id: o for o in spec.observables}
    observables = []
    for oid in observable_order(spec):
        obs = by_id[oid]
        tree = substitute(spec.rate_tree(obs), use_map)
        if obs.entity is not None:
            tree = Op("*", (_one_minus(block_id(obs.entity)), tree))
        observables.append((oid, tree))
    # a tagged species keeps its own turnover: in processes that change it, it is not scaled
    processes = tuple(
        (
            pr.id,
            substitute(
                spec.rate_tree(pr),
                {k: v for k, v in use_map.items() if k not in pr.stoichiometry},
            ),
            tuple((sid, float(c)) for sid, c in pr.stoichiometry.items()),
        )
        for pr in spec.processes
    )
    allowed = {*spec.species_ids, *spec.parameter_ids, *spec.observable_ids}
    events = tuple(
        (
            ev.id,
            float(ev.at),
            tuple(
                (sid, parse(text, allowed, where=f"event {ev.id!r}.assign[{sid}]"))
                for sid, text in ev.assign.items()
            ),
        )
        for ev in spec.events
    )
    return FlatModel(
        spec=spec,
        species=spec.species_ids,
        parameters=(*spec.parameter_ids, *bids),
        entities=entities,
        initial=tuple(s.initial for s in spec.species),
        values=(*(p.value for p in spec.parameters), *([0.0] * len(bids))),
        observables=tuple(observables),
        processes=processes,
        events=events,
        initial_rules=tuple(
            (s.id, rule) for s in spec.species if (rule := spec.initial_tree(s)) is not None
        ),
    )


def flatten(spec: ModelSpec) -> FlatModel:
    """Lower a spec (cached by the spec's content digest)."""
    key = spec.digest()
    if key not in _FLAT_CACHE:
        _remember(_FLAT_CACHE, key, _flatten_uncached(spec))
    return _FLAT_CACHE[key]


# ---- closures -----------------------------------------------------------------------------
_UNARY: dict[str, Callable[[Value], Value]] = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt}


def to_callable(expr: Expr, index: Mapping[str, tuple[str, int]]) -> Fn:
    """Compose a numpy closure f(t, y, p, o) for ``expr``.

    ``index`` maps each id to ('y'|'p'|'o', position); ``time`` reads t. Works element-wise, so
    y may be (n_species,) or (n_species, n_times).
    """
    if isinstance(expr, Num):
        c = expr.value
        return lambda t, y, p, o: c
    if isinstance(expr, Sym):
        if expr.name == TIME:
            return lambda t, y, p, o: t
        if expr.name not in index:
            raise CompileError(f"symbol {expr.name!r} has no value slot")
        where, i = index[expr.name]
        if where == "y":
            return lambda t, y, p, o: y[i]
        if where == "p":
            return lambda t, y, p, o: p[i]
        return lambda t, y, p, o: o[i]
    args = [to_callable(a, index) for a in expr.args]
    if isinstance(expr, Op):
        if expr.op == "neg":
            (a,) = args
            return lambda t, y, p, o: -a(t, y, p, o)
        a, b = args
        if expr.op == "+":
            return lambda t, y, p, o: a(t, y, p, o) + b(t, y, p, o)
        if expr.op == "-":
            return lambda t, y, p, o: a(t, y, p, o) - b(t, y, p, o)
        if expr.op == "*":
            return lambda t, y, p, o: a(t, y, p, o) * b(t, y, p, o)
        if expr.op == "/":
            return lambda t, y, p, o: a(t, y, p, o) / b(t, y, p, o)
        if expr.op == "**":
            if isinstance(expr.args[1], Num):
                power = expr.args[1].value
                return lambda t, y, p, o: a(t, y, p, o) ** power
            return lambda t, y, p, o: a(t, y, p, o) ** b(t, y, p, o)
        raise CompileError(f"unknown operator {expr.op!r}")
    if isinstance(expr, Call):
        if expr.fn in _UNARY:
            fn = _UNARY[expr.fn]
            (a,) = args
            return lambda t, y, p, o: fn(a(t, y, p, o))
        if expr.fn in ("min", "max"):
            red = np.minimum if expr.fn == "min" else np.maximum
            first, rest = args[0], args[1:]

            def minmax(t: Value, y: np.ndarray, p: np.ndarray, o: list) -> Value:
                acc = first(t, y, p, o)
                for f in rest:
                    acc = red(acc, f(t, y, p, o))
                return acc

            return minmax
        if expr.fn == "hill":
            x, k, n = args

            def hill(t: Value, y: np.ndarray, p: np.ndarray, o: list) -> Value:
                xn = x(t, y, p, o) ** n(t, y, p, o)
                return xn / (k(t, y, p, o) ** n(t, y, p, o) + xn)

            return hill
        raise CompileError(f"unknown function {expr.fn!r}")
    raise CompileError(f"cannot compile node {expr!r}")


@dataclass(frozen=True)
class CompiledModel:
    """Numpy right-hand side, observables and event maps of a lowered model."""

    flat: FlatModel
    stoichiometry: np.ndarray  # (n_species, n_processes)
    clip: np.ndarray  # bool (n_species,): non-negative species evaluated at max(y, 0)
    observable_fns: tuple[Fn, ...]
    rate_fns: tuple[Fn, ...]
    event_fns: tuple[tuple[str, float, tuple[tuple[int, Fn], ...]], ...]

    @property
    def species(self) -> tuple[str, ...]:
        return self.flat.species

    @property
    def parameters(self) -> tuple[str, ...]:
        return self.flat.parameters

    def observables(self, t: Value, y: np.ndarray, p: np.ndarray) -> list[Value]:
        """Observable values in dependency order (same order as ``flat.observables``)."""
        o: list[Value] = [0.0] * len(self.observable_fns)
        for i, f in enumerate(self.observable_fns):
            o[i] = f(t, y, p, o)
        return o

    def rates(self, t: float, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Process rates at one state (y clipped at 0 where the species is non-negative)."""
        yc = np.where(self.clip, np.maximum(y, 0.0), y)
        o = self.observables(t, yc, p)
        return np.array([f(t, yc, p, o) for f in self.rate_fns], dtype=float)

    def rhs(
        self, t: float, y: np.ndarray, p: np.ndarray, u: np.ndarray | None = None
    ) -> np.ndarray:
        """dy/dt = S @ rates (+ u, piecewise-constant inputs such as infusions)."""
        dy = self.stoichiometry @ self.rates(t, y, p) if self.rate_fns else np.zeros(len(y))
        return dy if u is None else dy + u

    def apply_events_at(self, time: float, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Apply every spec event scheduled at ``time`` (assignments read the pre-event state)."""
        out = y.copy()
        for _, at, assigns in self.event_fns:
            if at == time:
                o = self.observables(time, y, p)
                for i, f in assigns:
                    out[i] = float(f(time, y, p, o))
        return out

    def observable_table(self, t: np.ndarray, y: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Observables for many time points at once: y (n_species, n_t) -> (n_obs, n_t)."""
        yc = np.where(self.clip[:, None], np.maximum(y, 0.0), y)
        o = self.observables(t, yc, p)
        return np.array([np.broadcast_to(v, t.shape) for v in o], dtype=float).reshape(
            len(o), len(t)
        )


def _index(flat: FlatModel) -> dict[str, tuple[str, int]]:
    idx: dict[str, tuple[str, int]] = {s: ("y", i) for i, s in enumerate(flat.species)}
    idx.update({p: ("p", i) for i, p in enumerate(flat.parameters)})
    idx.update({oid: ("o", i) for i, (oid, _) in enumerate(flat.observables)})
    return idx


def compile_spec(spec: ModelSpec) -> CompiledModel:
    """Compile a spec for the reference engine (cached by the spec's content digest)."""
    key = spec.digest()
    if key not in _COMPILED_CACHE:
        _remember(_COMPILED_CACHE, key, _compile_uncached(spec))
    return _COMPILED_CACHE[key]


def _compile_uncached(spec: ModelSpec) -> CompiledModel:
    flat = flatten(spec)
    idx = _index(flat)
    s_index = {s: i for i, s in enumerate(flat.species)}
    stoich = np.zeros((len(flat.species), len(flat.processes)))
    for j, (_, _, coefs) in enumerate(flat.processes):
        for sid, c in coefs:
            stoich[s_index[sid], j] += c
    return CompiledModel(
        flat=flat,
        stoichiometry=stoich,
        clip=np.array([s.non_negative for s in spec.species], dtype=bool),
        observable_fns=tuple(to_callable(e, idx) for _, e in flat.observables),
        rate_fns=tuple(to_callable(e, idx) for _, e, _ in flat.processes),
        event_fns=tuple(
            (eid, at, tuple((s_index[sid], to_callable(e, idx)) for sid, e in assigns))
            for eid, at, assigns in flat.events
        ),
    )


def evaluate(expr: Expr, values: Mapping[str, float], *, time: float = 0.0) -> float:
    """Evaluate a tree with plain values (helper for tests, model cards and the check of an
    initial expression); a division by zero or an overflow gives inf or nan, not a warning."""
    names = sorted(values)
    idx = {n: ("p", i) for i, n in enumerate(names)}
    f = to_callable(expr, idx)
    p = np.array([values[n] for n in names], dtype=float)
    with np.errstate(all="ignore"):
        return float(f(time, np.zeros(0), p, []))


@dataclass(frozen=True, eq=False)
class InitialRules:
    """The initial expressions of a lowered model compiled once: a run's initial state follows
    its parameter values (:meth:`apply`). Empty for a model without initial expressions."""

    species: tuple[str, ...]
    texts: tuple[str, ...]
    slots: tuple[int, ...]  # slot of each rule's species in the initial state
    reads: tuple[np.ndarray, ...]  # parameter slots each rule reads
    fns: tuple[Fn, ...]
    defaults: np.ndarray  # the model's parameter vector (flat.values)
    #: every parameter a rule reads: a run that sets none of them keeps the declared amounts
    parameters: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.fns)

    def apply(self, p: np.ndarray, y0: np.ndarray, *, keep: Collection[str] = ()) -> np.ndarray:
        """``y0`` with each rule's species set to its expression at ``p`` where ``p`` differs
        from the model's values in a parameter the rule reads (else the declared ``initial``
        stays, bit for bit); species in ``keep`` (given explicitly by the run) are left as they
        are. Returns ``y0`` itself when nothing changes. Raises ValidationError naming the
        species, its expression and the values when the amount is not finite or is negative."""
        out = y0
        for sid, text, slot, reads, fn in zip(
            self.species, self.texts, self.slots, self.reads, self.fns, strict=True
        ):
            if sid in keep or np.array_equal(p[reads], self.defaults[reads]):
                continue
            with np.errstate(all="ignore"):
                value = float(fn(0.0, y0, p, []))
            if not math.isfinite(value) or value < 0:
                raise ValidationError(
                    f"initial amount of species {sid!r} = {text} is {value:g} for this run's "
                    f"parameter values; it must be finite and >= 0 (set the parameters it reads "
                    f"within their ranges, or give {sid} an explicit initial amount)"
                )
            if out is y0:
                out = y0.copy()
            out[slot] = value
        return out


_RULES_CACHE: dict[str, InitialRules] = {}


def initial_rules(flat: FlatModel) -> InitialRules:
    """The compiled initial expressions of ``flat`` (cached by the spec's content digest)."""
    key = flat.spec.digest()
    hit = _RULES_CACHE.get(key)
    if hit is None:
        idx = _index(flat)
        s_index = {sid: i for i, sid in enumerate(flat.species)}
        p_index = {pid: i for i, pid in enumerate(flat.parameters)}
        texts = {s.id: s.initial_expression or "" for s in flat.spec.species}
        reads = [sorted(symbols(tree)) for _, tree in flat.initial_rules]
        hit = InitialRules(
            species=tuple(sid for sid, _ in flat.initial_rules),
            texts=tuple(texts[sid] for sid, _ in flat.initial_rules),
            slots=tuple(s_index[sid] for sid, _ in flat.initial_rules),
            reads=tuple(np.array([p_index[x] for x in r], dtype=np.intp) for r in reads),
            fns=tuple(to_callable(tree, idx) for _, tree in flat.initial_rules),
            defaults=np.array(flat.values, dtype=float),
            parameters=frozenset(x for r in reads for x in r),
        )
        _remember(_RULES_CACHE, key, hit)
    return hit
