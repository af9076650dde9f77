"""SBML Level 3 Version 2 export via python-libsbml.

Species are amounts (hasOnlySubstanceUnits) in compartments of size 1 unless stated, processes
are irreversible reactions with the lowered rate as kinetic law, observables are parameters with
assignment rules, block fractions are parameters ``block_<ENTITY>`` (default 0), spec events and
bolus doses are SBML events. Units become unitDefinitions; species carry MIRIAM CVTerms
(identifiers.org HGNC symbols and Cell Ontology terms); processes carry their kb evidence as
notes and ``bqbiol:isDescribedBy`` terms. Infusions and parameter steps cannot be written as
plain SBML events without changing parameter constancy, so they raise ExportError. A scenario's
parameter values and initial amounts (``params=``/``initial=``) are written as the model's values.

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
from collections.abc import Iterable, Mapping

import libsbml

from senotwin._errors import ExportError, ValidationError
from senotwin.model.compile import block_id, flatten
from senotwin.model.expr import Call, Expr, Op, symbols, to_text, walk
from senotwin.model.schedule import Schedule
from senotwin.model.spec import ModelSpec
from senotwin.model.units import parse_unit, unit_sid

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


def _math(expr: Expr, where: str) -> libsbml.ASTNode:
    text = to_text(_lower(expr), power="^")
    node = libsbml.parseL3Formula(text)
    if node is None:
        raise ExportError(f"SBML: cannot express {where}: {libsbml.getLastParseL3Error()}")
    return node


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
        _check(fd.setMath(libsbml.parseL3Formula(f"lambda({', '.join(args)}, {body})")), name)


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


def _unit_ref(model: libsbml.Model, text: str) -> str:
    terms = parse_unit(text)
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


def build_document(
    spec: ModelSpec,
    *,
    regimen: Schedule | None = None,
    params: Mapping[str, float] | None = None,
    initial: Mapping[str, float] | None = None,
    inputs: bool = False,
    events: bool = True,
) -> libsbml.SBMLDocument:
    """The SBML document of ``spec`` (plus bolus doses of ``regimen`` as events).

    ``params``/``initial`` replace parameter values (``block_*`` included) and initial amounts,
    e.g. a scenario's. ``inputs=True`` adds an input parameter and influx reaction per species
    (used by the libRoadRunner engine for piece-wise infusions); ``events=False`` leaves spec
    events to the caller.
    """
    flat = flatten(spec)
    p_over, y_over = _overrides(spec, params, initial)
    schedule = regimen or Schedule()
    if schedule.infusions or schedule.steps:
        raise ExportError(
            "feature not supported: infusions and parameter steps in SBML export "
            "(only bolus doses become SBML events)"
        )
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

    for c in spec.compartments:
        comp = model.createCompartment()
        _check(comp.setId(c.id), f"compartment {c.id}")
        comp.setName(c.name or c.id)
        comp.setConstant(True)
        comp.setSize(c.size)
        comp.setSpatialDimensions(3)
        comp.setUnits(_unit_ref(model, c.unit))

    for s in spec.species:
        sp = model.createSpecies()
        _check(sp.setId(s.id), f"species {s.id}")
        sp.setName(s.name or s.id)
        sp.setCompartment(s.compartment)
        sp.setInitialAmount(y_over.get(s.id, s.initial))
        sp.setHasOnlySubstanceUnits(True)
        sp.setBoundaryCondition(False)
        sp.setConstant(False)
        sp.setSubstanceUnits(_unit_ref(model, s.unit))
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
        _check(rule.setMath(_math(tree, f"observable {oid}")), f"rule of {oid}")
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
        _check(law.setMath(_math(tree, f"process {pid}")), f"kinetic law of {pid}")
        template = f"rate law: {pr.rate_law}" if pr.rate_law else f"expression: {pr.expression}"
        _notes(rx, [pr.description, template, *(f"kb evidence: {k}" for k in pr.kb)])
        _cv(rx, libsbml.BQB_IS_DESCRIBED_BY, [KB_URN + k for k in pr.kb])

    if inputs:
        for sid in flat.species:
            par = model.createParameter()
            par.setId(input_id(sid))
            par.setValue(0.0)
            par.setConstant(True)
            rx = model.createReaction()
            rx.setId(f"infusion_{sid}")
            rx.setReversible(False)
            ref = rx.createProduct()
            ref.setSpecies(sid)
            ref.setStoichiometry(1.0)
            ref.setConstant(True)
            rx.createKineticLaw().setMath(libsbml.parseL3Formula(input_id(sid)))

    trees = [t for _, t in flat.observables] + [t for _, t, _ in flat.processes]
    if events:
        trees += [e for _, _, assigns in flat.events for _, e in assigns]
    taken = {*flat.species, *flat.parameters, *(o for o, _ in flat.observables)}
    _add_functions(model, _used_functions(trees), taken | {c.id for c in spec.compartments})
    if events:
        for eid, at, assigns in flat.events:
            _event(model, eid, at, [(sid, _math(e, f"event {eid}")) for sid, e in assigns])
    for i, dose in enumerate(sorted(schedule.doses, key=lambda d: d.time)):
        if dose.target not in species_ids:
            raise ExportError(f"dose targets unknown species {dose.target!r}")
        node = libsbml.parseL3Formula(f"{dose.target} + {dose.amount!r}")
        _event(model, f"dose_{i + 1}", dose.time, [(dose.target, node)])
    return doc


def _event(
    model: libsbml.Model, eid: str, at: float, assigns: list[tuple[str, libsbml.ASTNode]]
) -> None:
    ev = model.createEvent()
    _check(ev.setId(eid), f"event {eid}")
    ev.setUseValuesFromTriggerTime(True)
    trig = ev.createTrigger()
    trig.setInitialValue(False)
    trig.setPersistent(True)
    trig.setMath(libsbml.parseL3Formula(f"time >= {at!r}"))
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
    """SBML used by the fast engine: inputs for infusions, spec events handled piece-wise."""
    return libsbml.writeSBMLToString(build_document(spec, inputs=True, events=False))


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
