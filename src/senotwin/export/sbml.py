"""SBML Level 3 Version 2 export via python-libsbml.

Species are amounts (hasOnlySubstanceUnits; one in a concentration unit: see below) in
compartments of size 1 unless stated, processes
are irreversible reactions with the lowered rate as kinetic law, observables are parameters with
assignment rules, block fractions are parameters ``block_<ENTITY>`` (default 0), spec events and
bolus doses are SBML events.

Units are declared so that libSBML's unit-consistency check passes (tested): units become
unitDefinitions (litres as cubic metres of the same size); the model declares time (day),
extent and substance units (the substance unit most processes change, cells in the QSP model)
and volume units; every number in the math carries ``sbml:units`` (dimensionless, or its
partner's unit where :mod:`senotwin.model.unitcheck` gives it one: ``max(T, 1)``, an event time
in days). SBML wants every kinetic law in extent/time, while a process rate is in its species'
unit per day: a species in another substance unit (the dimensionless drives, 1) gets a
conversion factor ``cf_<unit>`` of value 1 and the rates of its processes are divided by it,
so the dynamics are bit for bit the same. A species in a concentration unit (an antibody in
ug/mL) is written as a concentration of its substance in its compartment, whose processes'
rates are multiplied by the compartment size (equal up to rounding). Where no named unit is that
substance (the neutrophil chain: cells/uL x mL = 1000 cells), it is a unit of 1000 items, so the
value stays the count as read (an ANC of 4280 cells/uL); its conversion factor from the cells of
the extent is then their true ratio, 0.001, so a reaction's rate reads in cells/day (the rates
are still divided by it: the dynamics stay equal up to rounding). Species carry MIRIAM CVTerms
(identifiers.org HGNC symbols and Cell Ontology terms); processes carry their kb evidence as
notes and ``bqbiol:isDescribedBy`` terms. Infusions and parameter steps cannot be written as
plain SBML events without changing parameter constancy, so they raise ExportError. A scenario's
parameter values and initial amounts (``params=``/``initial=``) are written as the model's values.
A species whose initial amount is an expression of parameters (``initial_expression``) gets an
initialAssignment, so a tool that sets other parameter values starts it where the engines do;
one given an explicit amount in ``initial=`` keeps that number instead.

Written so that tools load it quickly. libRoadRunner inlines an assignment rule at every place
its variable is used (no sharing), so an expression repeated inside a formula multiplies the code
along every path of the observable graph: with ``hill`` expanded to ``x^n/(K^n + x^n)`` and
min/max as ``piecewise(a, a <= b, b)`` the TME model became a ~115,000-node expression and took
20-80 s to compile. Here ``hill``, ``min2`` and ``max2`` are SBML function definitions: a call
evaluates each argument once, so an observable argument is inlined once, not two or three times.
``hill(x, K, n)`` is written ``1/(1 + (K/x)^n)`` (equal to ``x^n/(K^n + x^n)``, also 0 at x = 0,
with one power instead of two: power calls dominate the compile time).

The SBML has no notion of clipping: the reference engine evaluates rates at max(y, 0) for
non-negative species, which coincides with the SBML whenever the dynamics keep states >= 0.
"""

from __future__ import annotations

import html
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

import libsbml

from senotwin._errors import ExportError, ValidationError
from senotwin.model.compile import block_id, evaluate, flatten
from senotwin.model.expr import Call, Expr, Num, Op, Sym, symbols, to_text, walk
from senotwin.model.schedule import Schedule
from senotwin.model.spec import ModelSpec
from senotwin.model.unitcheck import (
    ONE,
    Quantity,
    UnitMismatch,
    declared_quantities,
    expression_quantity,
    quantity,
)
from senotwin.model.units import (
    UnitTerm,
    fold,
    parse_unit,
    substance_of,
    substance_unit,
    unit_sid,
)

LEVEL, VERSION = 3, 2
KB_URN = "urn:senotwin:kb:"


def input_id(species: str) -> str:
    """Parameter id of the piecewise-constant input (infusion rate) into ``species``."""
    return f"input_{species}"


def _check(code: int, what: str) -> None:
    if code != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise ExportError(f"SBML: cannot set {what}: {libsbml.OperationReturnValue_toString(code)}")


# SBML function definitions standing for the functions of model expressions: (arguments, body)
FUNCTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "hill": (("x", "K", "n"), "1 / (1 + (K / x)^n)"),
    "min2": (("a", "b"), "piecewise(a, a <= b, b)"),
    "max2": (("a", "b"), "piecewise(a, a >= b, b)"),
}


def _lower(expr: Expr) -> Expr:
    """The tree as SBML writes it: ``ln`` for log, min/max as nested calls of ``min2``/``max2``."""
    if isinstance(expr, Call):
        args = tuple(_lower(a) for a in expr.args)
        if expr.fn == "log":  # the SBML L3 parser reads log(x) as log10
            return Call("ln", args)
        if expr.fn in ("min", "max"):
            acc = args[0]
            for arg in args[1:]:
                acc = Call(f"{expr.fn}2", (acc, arg))
            return acc
        return Call(expr.fn, args)
    if isinstance(expr, Op):
        return Op(expr.op, tuple(_lower(a) for a in expr.args))
    return expr


def _parse(text: str, where: str) -> libsbml.ASTNode:
    node = libsbml.parseL3Formula(text)
    if node is None:
        raise ExportError(f"SBML: cannot express {where}: {libsbml.getLastParseL3Error()}")
    return node


def _literal_units(node: libsbml.ASTNode, unit: str) -> libsbml.ASTNode:
    """``node`` with ``unit`` on every number in it that has none yet (SBML L3 ``sbml:units``)."""
    if node.isNumber() and not node.isSetUnits():
        _check(node.setUnits(unit), f"units {unit} of the number {node.getValue()!r}")
    for i in range(node.getNumChildren()):
        _literal_units(node.getChild(i), unit)
    return node


class _MathWriter:
    """Expression trees as SBML math whose every literal number carries a unit.

    A number is dimensionless, except where the model's unit rules (:mod:`model.unitcheck`) let
    it take its partner's unit: the guard of ``min``/``max`` (``max(T, 1)``, cells), a 0 in a
    sum, the first two arguments of ``hill``; a whole expression that is a number (an event
    setting a species to 1, an observable fixed at 0) takes the unit of what it defines. The
    text is parsed exactly as without units and the units are put on its numbers in reading
    order, so the math stays the same tree.
    """

    def __init__(self, model: libsbml.Model, spec: ModelSpec, entities: Iterable[str]) -> None:
        self.model = model
        self.units = declared_quantities(spec) | {block_id(e): ONE for e in entities}
        texts = [c.unit for c in spec.compartments] + [
            item.unit
            for group in (spec.species, spec.parameters, spec.observables)
            for item in group
        ]
        self.named = [(quantity(t), t) for t in dict.fromkeys(["day", *texts])]
        self.derived: dict[str, str] = {}

    def unit_id(self, q: Quantity) -> str:
        """The id of a unit definition of ``q``: a unit the model declares if one matches."""
        if q.same(ONE):
            return "dimensionless"
        for known, text in self.named:
            if q.same(known):
                return "day" if text == "day" else _unit_ref(self.model, text)
        sid = self.derived.get(q.text())
        if sid is None:
            sid = f"u_derived_{len(self.derived) + 1}"
            self.derived[q.text()] = sid
            ud = self.model.createUnitDefinition()
            _check(ud.setId(sid), f"unit {q.text()}")
            ud.setName(q.text())
            for i, (kind, exp) in enumerate(q.dims or (("dimensionless", Fraction(1)),)):
                u = ud.createUnit()
                u.setKind(libsbml.UnitKind_forName(kind))
                u.setExponent(float(exp))
                u.setScale(0)
                u.setMultiplier(q.factor ** (1.0 / float(exp)) if i == 0 else 1.0)
        return sid

    def unit_of(self, expr: Expr) -> str:
        """The unit id of ``expr``; dimensionless where its units cannot be worked out (a
        genuine mismatch, which libSBML's unit check then reports)."""
        try:
            return self.unit_id(expression_quantity(expr, self.units))
        except (UnitMismatch, KeyError, ValueError, ZeroDivisionError, OverflowError):
            return "dimensionless"

    def _units(self, expr: Expr, want: str | None) -> list[str]:
        """The unit of every number of ``expr`` in reading order; ``want``: the unit a number
        standing for the whole of ``expr`` takes."""
        if isinstance(expr, Num):
            return [want or "dimensionless"]
        if isinstance(expr, Sym):
            return []
        partner = next((a for a in expr.args if not isinstance(a, Num)), None)
        if isinstance(expr, Op) and expr.op == "neg":
            return self._units(expr.args[0], want)
        if isinstance(expr, Op) and expr.op in ("+", "-"):
            return [u for a in expr.args for u in self._flexible(a, partner, want, zero=True)]
        if isinstance(expr, Call) and expr.fn in ("min", "max"):
            return [u for a in expr.args for u in self._flexible(a, partner, want, zero=False)]
        if isinstance(expr, Call) and expr.fn == "hill":
            x, k, n = expr.args
            pair = next((a for a in (x, k) if not isinstance(a, Num)), None)
            return [
                *self._flexible(x, pair, None, zero=False),
                *self._flexible(k, pair, None, zero=False),
                *self._units(n, None),
            ]
        return [u for a in expr.args for u in self._units(a, None)]

    def _flexible(
        self, arg: Expr, partner: Expr | None, want: str | None, *, zero: bool
    ) -> list[str]:
        """An argument of a sum, min/max or hill: a number there takes its partner's unit (in a
        sum only a 0 does); anything else keeps the unit wanted of the whole."""
        if not isinstance(arg, Num):
            return self._units(arg, want)
        if partner is None:
            return [want or "dimensionless"]
        if zero and arg.value != 0.0:
            return ["dimensionless"]
        return [self.unit_of(partner)]

    def math(self, expr: Expr, where: str, *, unit: str | None = None) -> libsbml.ASTNode:
        """SBML math of ``expr``; ``unit`` is the unit of the quantity it defines (if known)."""
        node = _parse(to_text(_lower(expr), power="^"), where)
        _rational_exponents(node)
        units = self._units(expr, unit)
        left = _put_units(node, units)
        if left:
            raise ExportError(f"SBML: units of the numbers of {where} do not line up ({left})")
        return node


def _rational_exponents(node: libsbml.ASTNode) -> None:
    """Write an exponent ``1 / 3`` as the MathML rational number 1/3 (the same double): libSBML
    checks the units of a power only for a number exponent; for an expression it reports that
    it cannot (the lesion diameter, (6 V / pi)^(1/3))."""
    for i in range(node.getNumChildren()):
        _rational_exponents(node.getChild(i))
    if node.getType() not in (libsbml.AST_POWER, libsbml.AST_FUNCTION_POWER):
        return
    exp = node.getRightChild()
    if not (
        exp.getType() == libsbml.AST_DIVIDE
        and exp.getNumChildren() == 2
        and all(exp.getChild(k).isInteger() for k in (0, 1))
        and exp.getChild(1).getInteger() != 0
    ):
        return
    rational = libsbml.ASTNode(libsbml.AST_RATIONAL)
    _check(rational.setValue(exp.getChild(0).getInteger(), exp.getChild(1).getInteger()), "1/n")
    _check(node.replaceChild(1, rational, True), "a rational exponent")


def _put_units(node: libsbml.ASTNode, units: list[str]) -> int:
    """Set the next unit of ``units`` (consumed) on each number below ``node`` in reading order;
    the parser reads ``(1/3)`` as one rational number, which takes the unit of its numerator,
    and writes ``sqrt(x)`` as ``root(2, x)``, whose degree is dimensionless.
    Returns how many units were left over (0) or missing (negative)."""
    if node.isNumber():
        if not units:
            return -1
        _check(node.setUnits(units.pop(0)), f"units of the number {node.getValue()!r}")
        if node.isRational() and units:
            units.pop(0)
        return len(units)
    for i in range(node.getNumChildren()):
        child = node.getChild(i)
        if i == 0 and node.getType() == libsbml.AST_FUNCTION_ROOT and node.getNumChildren() == 2:
            _literal_units(child, "dimensionless")  # the degree of sqrt(x) = root(2, x)
        elif _put_units(child, units) < 0:
            return -1
    return len(units)


def _used_functions(trees: Iterable[Expr]) -> list[str]:
    used = {n.fn for tree in trees for n in walk(_lower(tree)) if isinstance(n, Call)}
    return [name for name in FUNCTIONS if name in used]


def _add_functions(model: libsbml.Model, names: list[str], taken: set[str]) -> None:
    for name in names:
        if name in taken:
            raise ExportError(f"SBML: model id {name!r} clashes with the SBML function {name}()")
        args, body = FUNCTIONS[name]
        fd = model.createFunctionDefinition()
        _check(fd.setId(name), f"function {name}")
        lam = _literal_units(
            libsbml.parseL3Formula(f"lambda({', '.join(args)}, {body})"), "dimensionless"
        )
        _check(fd.setMath(lam), name)


def _overrides(
    spec: ModelSpec, params: Mapping[str, float] | None, initial: Mapping[str, float] | None
) -> tuple[dict[str, float], dict[str, float]]:
    """Checked scenario values: parameter (or block_*) values and initial species amounts."""
    known_p = {*spec.parameter_ids, *(block_id(e) for e in spec.entities())}
    out: list[dict[str, float]] = []
    for what, given, known in (
        ("parameter", params, known_p),
        ("species", initial, set(spec.species_ids)),
    ):
        checked: dict[str, float] = {}
        for name, value in (given or {}).items():
            if name not in known:
                raise ValidationError(
                    f"SBML export: unknown {what} {name!r} (known: {', '.join(sorted(known))})"
                )
            v = float(value)
            if not math.isfinite(v) or (what == "species" and v < 0):
                allowed = "a finite number >= 0" if what == "species" else "a finite number"
                raise ValidationError(f"SBML export: {what} {name} = {value!r}; allowed: {allowed}")
            checked[name] = v
        out.append(checked)
    return out[0], out[1]


def _sbml_terms(text: str, *, folded: bool = False) -> tuple[UnitTerm, ...]:
    """The SBML units of the unit ``text``; ``folded``: one per kind where a kind comes twice
    (:func:`fold`), as a species' substance unit and its conversion factor are written: the
    substance '(cells/uL)*(mL)' as 1000 items, a valid substance unit (other units, 'mL/L',
    keep a term per name).

    Litres are written as cubic metres of the same size (mL as cm^3, L as dm^3): libSBML's unit
    check takes a rational power of a unit term by its exponent, so the cube root of a volume
    (a lesion diameter) is a length only in metre^3, and a litre kind would be flagged."""
    terms = []
    for term in parse_unit(text):
        kind, exponent, scale = term.kind, term.exponent, term.scale
        if kind == "litre" and term.multiplier == 1.0 and (scale - 3) % 3 == 0:
            term = UnitTerm("metre", 3 * exponent, (scale - 3) // 3, term.multiplier)
        terms.append(term)
    if folded and len({t.kind for t in terms}) < len(terms):
        return fold(terms)
    return tuple(terms)


def _unit_ref(model: libsbml.Model, text: str, *, folded: bool = False) -> str:
    """The id of the unit definition of ``text`` (created on first use; ``folded``: see
    :func:`_sbml_terms`)."""
    terms = _sbml_terms(text, folded=folded)
    if not terms:
        return "dimensionless"
    sid = unit_sid(text)
    if model.getUnitDefinition(sid) is None:
        ud = model.createUnitDefinition()
        _check(ud.setId(sid), f"unit {text}")
        ud.setName(text)
        for term in terms:
            u = ud.createUnit()
            u.setKind(libsbml.UnitKind_forName(term.kind))
            u.setExponent(term.exponent)
            u.setScale(term.scale)
            u.setMultiplier(term.multiplier)
    return sid


def _notes(element: libsbml.SBase, lines: Iterable[str]) -> None:
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines if line)
    if body:
        _check(
            element.setNotes(f'<body xmlns="http://www.w3.org/1999/xhtml">{body}</body>'),
            "notes",
        )


def _cv(element: libsbml.SBase, qualifier: int, uris: Iterable[str]) -> None:
    uris = list(uris)
    if not uris:
        return
    if not element.isSetMetaId():
        element.setMetaId("meta_" + element.getId())
    term = libsbml.CVTerm(libsbml.BIOLOGICAL_QUALIFIER)
    term.setBiologicalQualifierType(qualifier)
    for uri in uris:
        term.addResource(uri)
    _check(element.addCVTerm(term), f"annotation of {element.getId()}")


@dataclass(frozen=True)
class _SpeciesUnits:
    """How a species is written: its substance unit, whether its symbol is a concentration
    (substance per compartment size) and its conversion factor (None: in extent units)."""

    substance: str
    concentration: bool
    factor: str | None


def conversion_id(substance: str) -> str:
    """Id of the conversion factor (species substance per reaction extent, value 1) of the
    species in ``substance`` units that differ from the model's extent units."""
    return "cf_" + unit_sid(substance).removeprefix("u_")


def conversion_value(substance: str, extent: str) -> float:
    """Value of the conversion factor from ``extent`` to ``substance``: their ratio where the
    two are one kind (0.001 of 1000 cells per cell), else 1 (a drive or ug per cell has no
    ratio: unit bookkeeping only). Its processes' rates are divided by it, so either value
    leaves the dynamics as written."""
    terms = _sbml_terms(f"({substance})/({extent})", folded=True)
    if len(terms) == 1 and terms[0].kind == "dimensionless":
        (t,) = terms
        return 1.0 / (t.multiplier * 10.0**t.scale) ** t.exponent
    return 1.0


def _species_units(
    spec: ModelSpec,
    processes: Iterable[tuple[str, Expr, tuple[tuple[str, float], ...]]],
    *,
    amounts: bool,
) -> tuple[str, dict[str, _SpeciesUnits]]:
    """The model's extent unit and how each species is written.

    A species in a substance unit (cells, nmol, ug, 1) is an amount. One in a concentration unit
    (ug/mL in a compartment in mL) is a concentration of the substance unit it times its
    compartment's unit gives, unless ``amounts`` (the engine sets and reads amounts) or a process
    changes it together with species that are not concentrations in the same compartment: a rate
    cannot be one extent for both. The extent unit is the substance unit most processes change;
    a species in another one gets a conversion factor.
    """
    by_id = {s.id: s for s in spec.species}
    where = {c.id: c.unit for c in spec.compartments}
    conc: dict[str, str] = {}
    if not amounts:
        for s in spec.species:
            if substance_unit(s.unit) is None:
                via = substance_of(s.unit, where.get(s.compartment, "1"))
                if via is not None:
                    conc[s.id] = via
    changed_by = [{sid for sid, _ in coefs} for _, _, coefs in processes]
    mixed = True
    while mixed:
        mixed = False
        for ids in changed_by:
            together = ids <= conc.keys() and len({by_id[i].compartment for i in ids}) == 1
            if ids & conc.keys() and not together:
                for sid in ids & conc.keys():
                    del conc[sid]
                mixed = True
    substance = {s.id: conc.get(s.id, s.unit) for s in spec.species}
    counted = Counter(parse_unit(substance[sid]) for ids in changed_by for sid in sorted(ids))
    if not counted:
        counted = Counter(parse_unit(u) for u in substance.values())
    extent_key = counted.most_common(1)[0][0] if counted else ()
    extent = next((u for u in substance.values() if parse_unit(u) == extent_key), "1")
    out = {
        sid: _SpeciesUnits(
            unit,
            sid in conc,
            None if parse_unit(unit) == extent_key else conversion_id(unit),
        )
        for sid, unit in substance.items()
    }
    return extent, out


def build_document(
    spec: ModelSpec,
    *,
    regimen: Schedule | None = None,
    params: Mapping[str, float] | None = None,
    initial: Mapping[str, float] | None = None,
    inputs: bool = False,
    events: bool = True,
    amounts: bool = False,
) -> libsbml.SBMLDocument:
    """The SBML document of ``spec`` (plus bolus doses of ``regimen`` as events).

    ``params``/``initial`` replace parameter values (``block_*`` included) and initial amounts,
    e.g. a scenario's. ``inputs=True`` adds an input parameter and influx reaction per species
    (used by the libRoadRunner engine for piece-wise infusions); ``events=False`` leaves spec
    events to the caller; ``amounts=True`` writes every species as an amount, a concentration
    too (the engine sets and reads amounts; its units are then no valid SBML substance units).
    """
    flat = flatten(spec)
    p_over, y_over = _overrides(spec, params, initial)
    schedule = regimen or Schedule()
    if schedule.infusions or schedule.steps:
        raise ExportError(
            "feature not supported: infusions and parameter steps in SBML export "
            "(only bolus doses become SBML events)"
        )
    extent, how = _species_units(spec, flat.processes, amounts=amounts)
    doc = libsbml.SBMLDocument(LEVEL, VERSION)
    model = doc.createModel()
    _check(model.setId(spec.id), "model id")
    model.setName(spec.name or spec.id)
    _notes(model, [spec.description, *(f"Reference: {r}" for r in spec.references)])
    day = model.createUnitDefinition()
    day.setId("day")
    u = day.createUnit()
    u.setKind(libsbml.UNIT_KIND_SECOND)
    u.setExponent(1)
    u.setScale(0)
    u.setMultiplier(86400.0)
    model.setTimeUnits("day")
    model.setExtentUnits(_unit_ref(model, extent, folded=True))
    model.setSubstanceUnits(_unit_ref(model, extent, folded=True))
    volumes = Counter(c.unit for c in spec.compartments)
    if volumes:
        model.setVolumeUnits(_unit_ref(model, volumes.most_common(1)[0][0]))
    writer = _MathWriter(model, spec, flat.entities)

    for c in spec.compartments:
        comp = model.createCompartment()
        _check(comp.setId(c.id), f"compartment {c.id}")
        comp.setName(c.name or c.id)
        comp.setConstant(True)
        comp.setSize(c.size)
        comp.setSpatialDimensions(3)
        comp.setUnits(_unit_ref(model, c.unit))

    unit_of = {s.id: s.unit for s in spec.species}
    compartment_of = {s.id: s.compartment for s in spec.species}
    # an initial amount that follows the parameters is an initialAssignment, unless given
    follows = {sid: tree for sid, tree in flat.initial_rules if sid not in y_over}
    written_values = {p.id: p_over.get(p.id, p.value) for p in spec.parameters}
    for s in spec.species:
        sp = model.createSpecies()
        _check(sp.setId(s.id), f"species {s.id}")
        sp.setName(s.name or s.id)
        sp.setCompartment(s.compartment)
        value = y_over.get(s.id, s.initial)
        if s.id in follows:  # the number agrees with the assignment at the written values
            value = evaluate(follows[s.id], written_values)
        written = how[s.id]
        if written.concentration:
            sp.setInitialConcentration(value)
        else:
            sp.setInitialAmount(value)
        sp.setHasOnlySubstanceUnits(not written.concentration)
        sp.setBoundaryCondition(False)
        sp.setConstant(False)
        sp.setSubstanceUnits(_unit_ref(model, written.substance, folded=True))
        if written.factor is not None:
            sp.setConversionFactor(written.factor)
        _cv(
            sp,
            libsbml.BQB_IS,
            [f"http://identifiers.org/{s.cell_ontology}"] if s.cell_ontology else [],
        )
        _cv(
            sp,
            libsbml.BQB_IS_ENCODED_BY,
            [f"http://identifiers.org/hgnc.symbol:{g}" for g in s.hgnc],
        )
        _notes(sp, [s.description, f"blockable entity: {s.entity}" if s.entity else ""])

    for prm in spec.parameters:
        par = model.createParameter()
        _check(par.setId(prm.id), f"parameter {prm.id}")
        par.setName(prm.name or prm.id)
        par.setValue(p_over.get(prm.id, prm.value))
        par.setConstant(True)
        par.setUnits(_unit_ref(model, prm.unit))
        prov = prm.provenance
        lines = [prm.description, f"provenance ({prov.kind}): {prov.detail()}"]
        if prm.range is not None:
            lines.append(f"plausible range: [{prm.range[0]}, {prm.range[1]}]")
        _notes(par, lines)
        if prov.kind == "kb":
            _cv(par, libsbml.BQB_IS_DESCRIBED_BY, [KB_URN + i for i in prov.interactions])

    for entity in flat.entities:
        par = model.createParameter()
        _check(par.setId(block_id(entity)), f"block parameter of {entity}")
        par.setName(f"blocked fraction of {entity}")
        par.setValue(p_over.get(block_id(entity), 0.0))
        par.setConstant(True)
        par.setUnits("dimensionless")

    taken = {*flat.species, *flat.parameters, *(o for o, _ in flat.observables)}
    taken |= {c.id for c in spec.compartments}
    for factor, substance in sorted({(w.factor, w.substance) for w in how.values() if w.factor}):
        if factor in taken:
            raise ExportError(f"SBML: model id {factor!r} clashes with a unit conversion factor")
        par = model.createParameter()
        _check(par.setId(factor), f"conversion factor {factor}")
        par.setName(f"{substance} per reaction extent ({extent})")
        value = conversion_value(substance, extent)
        par.setValue(value)
        par.setConstant(True)
        par.setUnits(_unit_ref(model, f"({substance})/({extent})", folded=True))
        meaning = (
            "Unit bookkeeping only: the value 1 leaves the dynamics as written."
            if value == 1.0
            else f"The ratio of the two units ({value!r}); the dynamics stay as written."
        )
        _notes(
            par,
            [
                f"A reaction's extent is counted in {extent}; species in {substance} change by "
                "stoichiometry x rate x this factor, and rates of processes on them are divided "
                f"by it. {meaning}"
            ],
        )

    obs_spec = {o.id: o for o in spec.observables}
    for oid, tree in flat.observables:
        o = obs_spec[oid]
        par = model.createParameter()
        _check(par.setId(oid), f"observable {oid}")
        par.setName(o.name or oid)
        par.setConstant(False)
        par.setUnits(_unit_ref(model, o.unit))
        rule = model.createAssignmentRule()
        rule.setVariable(oid)
        math = writer.math(tree, f"observable {oid}", unit=_unit_ref(model, o.unit))
        _check(rule.setMath(math), f"rule of {oid}")
        _notes(par, [o.description, *(f"kb: {k}" for k in o.kb)])
        _cv(par, libsbml.BQB_IS_DESCRIBED_BY, [KB_URN + k for k in o.kb])

    species_ids = set(flat.species)
    pr_spec = {p.id: p for p in spec.processes}
    for pid, tree, coefs in flat.processes:
        pr = pr_spec[pid]
        rx = model.createReaction()
        _check(rx.setId(pid), f"process {pid}")
        rx.setReversible(False)
        for sid, coef in coefs:
            ref = rx.createReactant() if coef < 0 else rx.createProduct()
            ref.setSpecies(sid)
            ref.setStoichiometry(abs(coef))
            ref.setConstant(True)
        in_stoich = {sid for sid, _ in coefs}
        for sid in sorted((symbols(tree) & species_ids) - in_stoich):
            mod = rx.createModifier()
            mod.setSpecies(sid)
        law = rx.createKineticLaw()
        first = coefs[0][0] if coefs else None
        rate_unit = _unit_ref(model, f"({unit_of[first]})/day") if first else None
        math = writer.math(
            _to_extent(tree, first, how, compartment_of), f"process {pid}", unit=rate_unit
        )
        _check(law.setMath(math), f"kinetic law of {pid}")
        template = f"rate law: {pr.rate_law}" if pr.rate_law else f"expression: {pr.expression}"
        _notes(rx, [pr.description, template, *(f"kb evidence: {k}" for k in pr.kb)])
        _cv(rx, libsbml.BQB_IS_DESCRIBED_BY, [KB_URN + k for k in pr.kb])

    if inputs:
        for sid in flat.species:
            par = model.createParameter()
            par.setId(input_id(sid))
            par.setValue(0.0)
            par.setConstant(True)
            par.setUnits(_unit_ref(model, f"({unit_of[sid]})/day"))
            rx = model.createReaction()
            rx.setId(f"infusion_{sid}")
            rx.setReversible(False)
            ref = rx.createProduct()
            ref.setSpecies(sid)
            ref.setStoichiometry(1.0)
            ref.setConstant(True)
            law = _to_extent(Sym(input_id(sid)), sid, how, compartment_of)
            rx.createKineticLaw().setMath(writer.math(law, f"input of {sid}"))

    for sid, tree in follows.items():
        assignment = model.createInitialAssignment()
        _check(assignment.setSymbol(sid), f"initial assignment of {sid}")
        where = f"species {sid!r}.initial_expression"
        _check(
            assignment.setMath(writer.math(tree, where, unit=_unit_ref(model, unit_of[sid]))),
            f"initial assignment of {sid}",
        )

    trees = [t for _, t in flat.observables] + [t for _, t, _ in flat.processes]
    trees += list(follows.values())
    if events:
        trees += [e for _, _, assigns in flat.events for _, e in assigns]
    _add_functions(model, _used_functions(trees), taken)
    if events:
        for eid, at, assigns in flat.events:
            _event(
                model,
                eid,
                at,
                [
                    (sid, writer.math(e, f"event {eid}", unit=_unit_ref(model, unit_of[sid])))
                    for sid, e in assigns
                ],
            )
    for i, dose in enumerate(sorted(schedule.doses, key=lambda d: d.time)):
        if dose.target not in species_ids:
            raise ExportError(f"dose targets unknown species {dose.target!r}")
        node = libsbml.parseL3Formula(f"{dose.target} + {dose.amount!r}")
        _literal_units(node, _unit_ref(model, unit_of[dose.target]))
        _event(model, f"dose_{i + 1}", dose.time, [(dose.target, node)])
    return doc


def _to_extent(
    rate: Expr, species: str | None, how: Mapping[str, _SpeciesUnits], where: Mapping[str, str]
) -> Expr:
    """A rate in (species unit)/day as a kinetic law in extent/day: times the compartment size
    for a concentration species (the rate of its amount), divided by its conversion factor."""
    if species is None:
        return rate
    written = how[species]
    if written.concentration:
        rate = Op("*", (rate, Sym(where[species])))
    if written.factor is not None:
        rate = Op("/", (rate, Sym(written.factor)))
    return rate


def _event(
    model: libsbml.Model, eid: str, at: float, assigns: list[tuple[str, libsbml.ASTNode]]
) -> None:
    ev = model.createEvent()
    _check(ev.setId(eid), f"event {eid}")
    ev.setUseValuesFromTriggerTime(True)
    trig = ev.createTrigger()
    trig.setInitialValue(False)
    trig.setPersistent(True)
    trig.setMath(_literal_units(libsbml.parseL3Formula(f"time >= {at!r}"), "day"))
    for sid, node in assigns:
        ea = ev.createEventAssignment()
        ea.setVariable(sid)
        ea.setMath(node)


def to_sbml(
    spec: ModelSpec,
    *,
    regimen: Schedule | None = None,
    params: Mapping[str, float] | None = None,
    initial: Mapping[str, float] | None = None,
) -> str:
    """SBML L3V2 text of a spec (bolus doses of ``regimen`` as events; ``params``/``initial``
    as the model's values, e.g. a scenario's)."""
    doc = build_document(spec, regimen=regimen, params=params, initial=initial)
    return libsbml.writeSBMLToString(doc)


def engine_sbml(spec: ModelSpec) -> str:
    """SBML used by the libRoadRunner engine: inputs for infusions, spec events handled
    piece-wise, every species an amount (the engine sets and reads amounts)."""
    return libsbml.writeSBMLToString(build_document(spec, inputs=True, events=False, amounts=True))


def consistency_errors(sbml: str) -> list[str]:
    """libsbml consistency-check messages of severity error or fatal (empty = valid)."""
    doc = libsbml.readSBMLFromString(sbml)
    doc.checkConsistency()
    out = []
    for i in range(doc.getNumErrors()):
        err = doc.getError(i)
        if err.getSeverity() >= libsbml.LIBSBML_SEV_ERROR:
            out.append(f"{err.getErrorId()}: {err.getMessage().strip()}")
    return out
