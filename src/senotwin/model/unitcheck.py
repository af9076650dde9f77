"""Unit consistency of a ModelSpec: every process rate and observable against its declared unit
(and an initial expression against its species' unit).

Each expression is walked with the declared units of the ids it uses (species, parameters,
observables; ``time`` is in days). A quantity is a scale factor to SI-like base units times a
dimension (powers of second, item, mole, gram, metre); litres count as 1e-3 metre^3, so mL and
cm^3 agree. Sums, ``min``/``max`` and the two first arguments of ``hill`` need equal units;
``exp``/``log`` and non-constant exponents need dimensionless arguments. A process rate must be
(species unit)/day for every species it changes. Numeric literals are dimensionless, except that
a literal inside ``min``/``max`` and a literal 0 in a sum take the unit of their partner (guards
like ``max(X, 1e-300)``), and a whole expression that is a bare number takes the unit of what it
defines (a toxicity proxy fixed at 0 per day where the model has nothing for it to read; the SBML
export writes that number with the same unit). Conversion factors must therefore be parameters
with units (``mL/L``).

:func:`unit_check` sorts the mismatches into new ones (a failure) and those a model is known to
have (:data:`KNOWN_UNIT_MISMATCHES`, reported, not failed); ``model units`` and ``model check``
both word their result with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from senotwin.model.expr import TIME, Call, Expr, Num, Op, Sym
from senotwin.model.spec import ModelSpec
from senotwin.model.units import parse_unit

_REL = 1e-9


@dataclass(frozen=True)
class Quantity:
    """Scale factor to base units and dimension (base kind -> exponent)."""

    factor: float
    dims: tuple[tuple[str, Fraction], ...]

    def __mul__(self, other: Quantity) -> Quantity:
        acc = dict(self.dims)
        for k, e in other.dims:
            acc[k] = acc.get(k, Fraction(0)) + e
        return Quantity(self.factor * other.factor, _norm(acc))

    def power(self, exp: Fraction) -> Quantity:
        return Quantity(self.factor ** float(exp), _norm({k: e * exp for k, e in self.dims}))

    def same(self, other: Quantity) -> bool:
        return self.dims == other.dims and abs(self.factor - other.factor) <= _REL * max(
            abs(self.factor), abs(other.factor)
        )

    def text(self) -> str:
        dims = " ".join(f"{k}^{e}" if e != 1 else k for k, e in self.dims) or "dimensionless"
        return f"{self.factor:g} x {dims}"


ONE = Quantity(1.0, ())


class UnitMismatch(Exception):
    """An expression whose units do not combine."""


def _norm(acc: dict[str, Fraction]) -> tuple[tuple[str, Fraction], ...]:
    return tuple(sorted((k, e) for k, e in acc.items() if e != 0))


def quantity(unit: str) -> Quantity:
    """The Quantity of a unit string (litres as 1e-3 metre^3)."""
    factor = 1.0
    acc: dict[str, Fraction] = {}
    for term in parse_unit(unit):
        kind, exp = term.kind, Fraction(term.exponent)
        factor *= (term.multiplier * 10.0**term.scale) ** term.exponent
        if kind == "litre":
            factor *= 1e-3**term.exponent
            kind, exp = "metre", 3 * exp
        acc[kind] = acc.get(kind, Fraction(0)) + exp
    return Quantity(factor, _norm(acc))


def _constant(node: Expr) -> float | None:
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Op):
        vals = [_constant(a) for a in node.args]
        if any(v is None for v in vals):
            return None
        nums = [float(v) for v in vals if v is not None]
        if node.op == "neg":
            return -nums[0]
        a, b = nums
        ops = {"+": a + b, "-": a - b, "*": a * b}
        if node.op in ops:
            return ops[node.op]
        if node.op == "/" and b != 0:
            return a / b
        if node.op == "**":
            return float(a**b)
    return None


class _Walker:
    def __init__(self, units: dict[str, Quantity]) -> None:
        self.units = units

    def walk(self, node: Expr) -> Quantity:
        if isinstance(node, Num):
            return ONE
        if isinstance(node, Sym):
            return self.units[node.name]
        if isinstance(node, Op):
            return self._op(node)
        return self._call(node)

    def _flexible(self, args: tuple[Expr, ...], what: str, *, zero_only: bool) -> Quantity:
        fixed = [
            self.walk(a)
            for a in args
            if not (isinstance(a, Num) and (not zero_only or a.value == 0.0))
        ]
        if not fixed:
            return ONE
        for q in fixed[1:]:
            if not q.same(fixed[0]):
                raise UnitMismatch(f"{what} of different units: {fixed[0].text()} vs {q.text()}")
        return fixed[0]

    def _op(self, node: Op) -> Quantity:
        if node.op == "neg":
            return self.walk(node.args[0])
        if node.op in ("+", "-"):
            return self._flexible(node.args, "sum", zero_only=True)
        left, right = node.args
        if node.op == "*":
            return self.walk(left) * self.walk(right)
        if node.op == "/":
            return self.walk(left) * self.walk(right).power(Fraction(-1))
        base, exp_q = self.walk(left), self.walk(right)
        if exp_q.dims:
            raise UnitMismatch(f"exponent has units {exp_q.text()}")
        const = _constant(right)
        if const is None:
            if base.dims:
                raise UnitMismatch(f"variable exponent of a quantity with units {base.text()}")
            return ONE
        return base.power(Fraction(const).limit_denominator(1000))

    def _call(self, node: Call) -> Quantity:
        if node.fn in ("exp", "log"):
            q = self.walk(node.args[0])
            if q.dims:
                raise UnitMismatch(f"{node.fn} of a quantity with units {q.text()}")
            return ONE
        if node.fn == "sqrt":
            return self.walk(node.args[0]).power(Fraction(1, 2))
        if node.fn in ("min", "max"):
            return self._flexible(node.args, node.fn, zero_only=False)
        x, k, n = node.args
        self._flexible((x, k), "hill(x, K, n) with x and K", zero_only=False)
        if self.walk(n).dims:
            raise UnitMismatch("hill coefficient n must be dimensionless")
        return ONE


def declared_quantities(spec: ModelSpec) -> dict[str, Quantity]:
    """The Quantity of every id an expression of ``spec`` may use (``time`` in days)."""
    units = {TIME: quantity("day")}
    units |= {s.id: quantity(s.unit) for s in spec.species}
    units |= {p.id: quantity(p.unit) for p in spec.parameters}
    units |= {o.id: quantity(o.unit) for o in spec.observables}
    return units


def expression_quantity(expr: Expr, units: dict[str, Quantity]) -> Quantity:
    """The Quantity of ``expr`` under the rules above (literals dimensionless except as guards);
    raises UnitMismatch where units do not combine and KeyError for an id not in ``units``."""
    return _Walker(units).walk(expr)


def _bare_number(node: Expr) -> bool:
    """A whole expression that is a number (``0``, ``-1``): it takes the unit of what it
    defines."""
    while isinstance(node, Op) and node.op == "neg":
        node = node.args[0]
    return isinstance(node, Num)


def unit_problems(spec: ModelSpec) -> list[str]:
    """Every process, observable and initial expression whose units do not match its
    declaration (empty if none)."""
    units = declared_quantities(spec)
    walker = _Walker(units)
    per_day = quantity("1/day")
    problems: list[str] = []

    def walk(where: str, tree: Expr | None) -> Quantity | None:
        """The unit of ``tree``, or None (a bare number, or a mismatch recorded as a problem)."""
        if tree is None or _bare_number(tree):
            return None
        try:
            return walker.walk(tree)
        except UnitMismatch as exc:
            problems.append(f"{where}: {exc}")
            return None

    for o in spec.observables:
        got = walk(f"observable {o.id!r}", spec.rate_tree(o))
        if got is None:
            continue
        if not got.same(units[o.id]):
            problems.append(
                f"observable {o.id!r}: expression gives {got.text()}, declared {o.unit!r} "
                f"({units[o.id].text()})"
            )
    for pr in spec.processes:
        got = walk(f"process {pr.id!r}", spec.rate_tree(pr))
        if got is None:
            continue
        for sid in pr.stoichiometry:
            want = units[sid] * per_day
            if not got.same(want):
                spec_unit = next(s.unit for s in spec.species if s.id == sid)
                problems.append(
                    f"process {pr.id!r}: rate is {got.text()}, but species {sid!r} "
                    f"({spec_unit}) needs {want.text()} (its unit per day)"
                )
    for sp in spec.species:  # an initial amount that follows the parameters: the species' unit
        where = f"species {sp.id!r}.initial_expression"
        got = walk(where, spec.initial_tree(sp))
        if got is None:
            continue
        if not got.same(units[sp.id]):
            problems.append(
                f"{where}: {sp.initial_expression!r} gives {got.text()}, the species is in "
                f"{sp.unit!r} ({units[sp.id].text()})"
            )
    return problems


_LEGACY_WHY = (
    "the legacy TME model mixes relative (dimensionless) quantities with rates by design "
    "(docs/qsp-model.md)"
)
_RATIO_KILL_WHY = (
    "not a unit error: the rate law ratio_dependent_kill writes de Pillis's dimensionless "
    "(L/T)^l multiplied through by T^l, d T L^l/(s T^l + L^l), finite at T = 0; the cells^l "
    "cancel, but the check cannot follow a non-constant exponent on cells"
)

_LEGACY_OBSERVABLES = (
    "tumour_diameter_mm IFNG sasp_per_senescent_cell clearance_capacity sen_removal_rate "
    "kill_capacity IL6 IL8 CCL2 CXCL1 CCL5 CXCL12 TGFB MMP VEGF IFN_I TNF"
)

#: unit mismatches a model is known to have, by model id: record -> why. Reported (with the
#: why), not failed; any other mismatch fails the check.
KNOWN_UNIT_MISMATCHES: dict[str, dict[str, str]] = {
    "sasp_tme": {
        item: _LEGACY_WHY
        for item in (
            *(f"observable {o!r}" for o in _LEGACY_OBSERVABLES.split()),
            "process 'tumour_kill'",
        )
    },
    "depillis2005": {
        "observable 'D_lysis'": _RATIO_KILL_WHY,
        "process 'cd8_kill'": _RATIO_KILL_WHY,
    },
}


@dataclass(frozen=True)
class UnitCheck:
    """The unit check of one model: how many records were walked, the mismatches that fail it
    and those the model is known to have (listed, not failed)."""

    model_id: str
    checked: int
    problems: tuple[str, ...]
    known: tuple[str, ...]  # each mismatch with why it is known

    @property
    def passed(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """One line, the same in ``model units`` and ``model check``."""
        text = f"{self.checked} processes and observables, {len(self.problems)} unit mismatches"
        if self.known:
            text += f"; {len(self.known)} more known in this model (listed, not failed)"
        return text

    def lines(self) -> list[str]:
        """The full text: every mismatch, every known one marked so, then the summary."""
        return [
            *self.problems,
            *(f"known: {p}" for p in self.known),
            f"{self.model_id}: {self.summary()}",
        ]


def unit_check(spec: ModelSpec) -> UnitCheck:
    """:func:`unit_problems` of ``spec``, the ones :data:`KNOWN_UNIT_MISMATCHES` lists for it
    set apart (each with why it is known)."""
    known = KNOWN_UNIT_MISMATCHES.get(spec.id, {})
    found = unit_problems(spec)
    return UnitCheck(
        model_id=spec.id,
        checked=len(spec.processes) + len(spec.observables),
        problems=tuple(p for p in found if p.split(":", 1)[0] not in known),
        known=tuple(
            f"{p} (known: {known[p.split(':', 1)[0]]})"
            for p in found
            if p.split(":", 1)[0] in known
        ),
    )
