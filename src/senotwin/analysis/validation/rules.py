"""Load-time rules that need the model: the system's scenario, known names, the read-out's
expression, and the tier rule that keeps algebraic identities out of the literature tier.

A literature case must test dynamics. If the read-out is an assignment-rule function of a
quantity the perturbation changes directly (a blocked entity's scale ``block_E``, a parameter
whose value differs between the arms, or an input exposure -- a species whose rates read only
itself and parameters -- started at different amounts), the effect follows from algebra at every
instant and the case says nothing about the model's behaviour: it is rejected (it belongs to
``consistency``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from senotwin._errors import ValidationError
from senotwin.analysis.validation.schema import FOLD_STATS, TIME_STATS, Arm, CaseSpec, System
from senotwin.model.compile import block_id, flatten
from senotwin.model.expr import Expr, parse, symbols
from senotwin.model.qsp import TISSUES, context
from senotwin.model.scenarios import Scenario, get_scenario
from senotwin.model.spec import ModelSpec


@cache
def scenario_for(system: System) -> Scenario:
    """The scenario a system runs in: a named one, or the model's context of tissue/age/inducer."""
    if system.scenario is not None:
        return get_scenario(system.scenario)
    if system.tissue not in TISSUES:
        raise ValidationError(
            f"system.tissue: {system.tissue!r} is not a model tissue ({', '.join(TISSUES)})"
        )
    return context(tissue=system.tissue, age=system.host_age, inducer=system.inducer)


def readout_tree(spec: ModelSpec, text: str, *, where: str) -> Expr:
    """Parse a read-out (a species / observable id or an expression of them)."""
    return parse(text, {*spec.species_ids, *spec.observable_ids}, where=where)


def algebraic_closure(spec: ModelSpec, tree: Expr) -> set[str]:
    """Symbols a read-out depends on at the same instant (observables inlined, blocks visible)."""
    flat = flatten(spec)
    defs = dict(flat.observables)
    seen: set[str] = set()
    todo = [tree]
    out: set[str] = set()
    while todo:
        for name in symbols(todo.pop()):
            if name in defs:
                if name not in seen:
                    seen.add(name)
                    todo.append(defs[name])
            else:
                out.add(name)
    # a read-out naming a tagged species directly sees it through the block as well
    tags = {s.id: s.entity for s in spec.species if s.entity}
    out |= {block_id(tags[n]) for n in out & tags.keys()}
    return out


def input_species(spec: ModelSpec) -> set[str]:
    """Species whose every rate reads only the species itself and parameters (an input
    exposure such as ``stress``): its course is fixed by its start, as a parameter's value is."""
    flat = flatten(spec)
    params = set(flat.parameters)
    reads: dict[str, set[str]] = {s: set() for s in flat.species}
    for _pid, rate, stoich in flat.processes:
        used = algebraic_closure(spec, rate)
        for sid, coeff in stoich:
            if coeff:
                reads[sid] |= used
    for _eid, _at, assigns in flat.events:
        for sid, value in assigns:
            reads.setdefault(sid, set()).update(algebraic_closure(spec, value))
    return {sid for sid, used in reads.items() if used <= params | {sid}}


def changed_quantities(
    control: Arm,
    perturbed: Arm,
    scenario_params: dict[str, float],
    scenario_initial: dict[str, float] | None = None,
    inputs: set[str] | frozenset[str] = frozenset(),
) -> set[str]:
    """Block ids, parameter ids and input species (``inputs``) whose value or start differs
    between the two arms."""
    out = set()
    for entity in set(control.blocks) | set(perturbed.blocks):
        if control.blocks.get(entity) != perturbed.blocks.get(entity):
            out.add(block_id(entity))
    for pid in set(control.params) | set(perturbed.params):
        base = scenario_params.get(pid)
        if control.params.get(pid, base) != perturbed.params.get(pid, base):
            out.add(pid)
    start = scenario_initial or {}
    for sid in (set(control.initial) | set(perturbed.initial)) & set(inputs):
        base = start.get(sid)
        if control.initial.get(sid, base) != perturbed.initial.get(sid, base):
            out.add(sid)
    return out


@dataclass(frozen=True)
class Resolved:
    """A case checked against its model: scenario, parsed read-outs, the read-out unit, and
    the library drugs its arms' regimens use (arms with regimens share one therapy model)."""

    spec_case: CaseSpec
    scenario: Scenario
    readouts: dict[str, Expr]
    unit: str
    drugs: tuple[str, ...] = ()


def regimen_drugs(arm: Arm, where: str) -> tuple[str, ...]:
    """Library drug ids of an arm's regimen (ValidationError naming the field if it is bad)."""
    if arm.regimen is None:
        return ()
    from senotwin.therapy.language import parse_regimen  # same layer; loaded only when used

    try:
        regimen = parse_regimen(arm.regimen)
        off = regimen.off_label()
    except ValidationError as exc:
        raise ValidationError(f"{where}.regimen: {exc}") from None
    if off and arm.off_label is None:
        raise ValidationError(
            f"{where}.regimen: {off[0]}; a trial's own dose runs only with "
            f"'{where}.off_label: WHY' (e.g. the dose the study gave)"
        )
    return tuple(d.id for d in regimen.drugs())


def therapy_model(spec: ModelSpec, drugs: tuple[str, ...]) -> ModelSpec:
    """``spec`` with the PK/PD of ``drugs`` (no doses): the structure regimen arms share."""
    from senotwin.therapy.language import SharedTherapy

    return SharedTherapy(None, drugs).compile_for(spec)[0]


def _check_arm(spec: ModelSpec, arm: Arm, where: str) -> None:
    entities = set(spec.entities())
    for entity in arm.blocks:
        if entity not in entities:
            raise ValidationError(
                f"{where}.blocks: {entity!r} is not a blockable entity of {spec.id} "
                f"(allowed: {', '.join(sorted(entities))})"
            )
    for pid in arm.params:
        if pid not in spec.parameter_ids:
            raise ValidationError(f"{where}.params: {pid!r} is not a parameter of {spec.id}")
    for sid in arm.initial:
        if sid not in spec.species_ids:
            raise ValidationError(f"{where}.initial: {sid!r} is not a species of {spec.id}")


def resolve_case(case: CaseSpec, *, source: str) -> Resolved:
    """Check a case against its model; raise ValidationError naming the case and field."""
    where = f"{source}: case {case.id}"
    try:
        scenario = scenario_for(case.system)
    except ValidationError as exc:
        raise ValidationError(f"{where}.system: {exc}") from None
    spec = scenario.load()
    _check_arm(spec, case.control, f"{where}.control")
    drugs = regimen_drugs(case.control, f"{where}.control")
    if case.perturbed is not None:
        _check_arm(spec, case.perturbed, f"{where}.perturbed")
        drugs += regimen_drugs(case.perturbed, f"{where}.perturbed")
    drugs = tuple(sorted(set(drugs)))
    names = [case.readout]
    if case.expect.kind == "peak_order":
        names = [case.expect.first, case.expect.then]
    readouts = {n: readout_tree(spec, n, where=f"{where}.readout") for n in names}
    unit = case.unit or ""
    if case.measure.stat in TIME_STATS or case.expect.kind == "peak_order":
        unit = "day"
    elif case.measure.stat in FOLD_STATS:
        unit = "fold"
    elif not unit:
        by_id = {**{s.id: s.unit for s in spec.species}, **{o.id: o.unit for o in spec.observables}}
        if case.readout not in by_id:
            raise ValidationError(f"{where}.unit: give the unit of read-out {case.readout!r}")
        unit = str(by_id[case.readout])
    if case.expect.kind == "value" and case.expect.unit != unit:
        raise ValidationError(
            f"{where}.expect.unit: {case.expect.unit!r} but the measured value is in {unit!r}"
        )
    if case.tier == "literature" and case.perturbed is not None:
        closure: set[str] = set()
        for tree in readouts.values():
            closure |= algebraic_closure(spec, tree)
        changed = changed_quantities(
            case.control,
            case.perturbed,
            dict(scenario.params),
            dict(scenario.initial),
            input_species(spec),
        )
        direct = changed & closure
        if drugs and case.control.regimen != case.perturbed.regimen:
            # a read-out that contains a drug concentration or drug factor follows the doses
            tspec = therapy_model(spec, drugs)
            t_closure: set[str] = set()
            for tree in readouts.values():
                t_closure |= algebraic_closure(tspec, tree)
            base = {*spec.species_ids, *spec.parameter_ids, *spec.observable_ids}
            direct |= {n for n in t_closure - base if not n.startswith("block_")}
        if direct:
            raise ValidationError(
                f"{where}: a literature case must not read out a direct algebraic function of "
                f"the perturbed quantity: read-out {case.readout!r} depends at the same instant "
                f"on {', '.join(sorted(direct))} (move it to tier 'consistency' or read out a "
                "state that has to evolve)"
            )
    return Resolved(case, scenario, readouts, unit, drugs)
