"""ModelSpec: a model as data — species, parameters with provenance, processes, observables.

Every number is a parameter with a unit, an optional plausible range (for virtual patients) and
provenance (a citation, kb interaction ids, or ``assumed`` + rationale). Processes are rate-law
templates (``model.ratelaws``) bound to ids, or whitelisted expressions (``model.expr``), with a
stoichiometry. Observables are quasi-steady-state signals (assignment rules). Any species,
parameter or observable may carry an ``entity`` tag: ``block={ENTITY: f}`` then scales the
tagged quantity by (1 - f) wherever the model uses it — one mechanism for knockouts, drugs and
sensitivity analysis. Cross-references are checked when the spec is built; every problem is
reported with the record and field at fault.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from senotwin._errors import ValidationError
from senotwin._suggest import did_you_mean
from senotwin.model import ratelaws
from senotwin.model.expr import FUNCTIONS, TIME, Expr, parse, symbols
from senotwin.model.units import parse_unit

ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"
ENTITY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
RESERVED_PREFIX = "block_"
RESERVED_IDS = frozenset({TIME, "exp", "log", "sqrt", "min", "max", "hill", "pi", "e"})
#: fields of a model and of its records that annotate it without changing what it computes
ANNOTATION_FIELDS = frozenset(
    {
        "name",
        "description",
        "provenance",
        "references",
        "kb",
        "outside_review",
        "hgnc",
        "cell_ontology",
    }
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class CitationProvenance(_Frozen):
    """A value taken from an outside publication (cite table/figure where possible)."""

    kind: Literal["citation"]
    text: str = Field(min_length=3)

    def detail(self) -> str:
        return self.text


class KbProvenance(_Frozen):
    """A value or structure backed by interactions of the senotwin knowledge base."""

    kind: Literal["kb"]
    interactions: tuple[str, ...] = Field(min_length=1)

    def detail(self) -> str:
        return ", ".join(self.interactions)


class AssumedProvenance(_Frozen):
    """A value chosen by the modeller; the rationale says why this value."""

    kind: Literal["assumed"]
    rationale: str = Field(min_length=3)

    def detail(self) -> str:
        return self.rationale


class MeasuredProvenance(_Frozen):
    """A magnitude read in a source: the number as read, its unit and species, the conversion.

    ``source`` names the publication or an entry of docs/quantitative-sources.yaml; ``conversion``
    says how the number as read became the parameter value (empty when used as read).
    """

    kind: Literal["measured"]
    value: str = Field(min_length=1)
    unit: str = Field(min_length=1)
    species: str = Field(min_length=3)
    source: str = Field(min_length=3)
    conversion: str = ""

    def detail(self) -> str:
        conv = f"; conversion: {self.conversion}" if self.conversion else ""
        return f"{self.value} {self.unit} ({self.species}), {self.source}{conv}"


class DerivedProvenance(_Frozen):
    """A magnitude computed from other (sourced) numbers; ``formula`` shows how."""

    kind: Literal["derived"]
    formula: str = Field(min_length=3)
    sources: tuple[str, ...] = ()

    def detail(self) -> str:
        src = f" [{', '.join(self.sources)}]" if self.sources else ""
        return f"{self.formula}{src}"


class DefinitionProvenance(_Frozen):
    """A number fixed by definition, not a magnitude of biology: a unit conversion (1000 mL per
    L) or a unit constant. It has no plausible range and is never varied, sampled or fitted."""

    kind: Literal["definition"]
    statement: str = Field(min_length=3)

    def detail(self) -> str:
        return self.statement


class CalibratedProvenance(_Frozen):
    """A magnitude fitted to data: the data set, the fit (method, starts, what was held back),
    the 95% profile-likelihood interval (None = open on that side) and whether the parameter is
    practically identifiable from the data (both sides of the interval closed)."""

    kind: Literal["calibrated"]
    dataset: str = Field(min_length=3)
    fit: str = Field(min_length=3)
    interval: tuple[float | None, float | None]
    identifiable: bool

    def detail(self) -> str:
        lo, hi = ("open" if v is None else f"{v:.3g}" for v in self.interval)
        ident = "identifiable" if self.identifiable else "not identifiable"
        return f"{self.dataset}; {self.fit}; 95% CI {lo} - {hi} ({ident})"


Provenance = Annotated[
    CitationProvenance
    | KbProvenance
    | AssumedProvenance
    | MeasuredProvenance
    | DerivedProvenance
    | DefinitionProvenance
    | CalibratedProvenance,
    Field(discriminator="kind"),
]
# Every provenance kind, in the order reports list them.
PROVENANCE_KINDS = (
    "measured",
    "calibrated",
    "derived",
    "definition",
    "citation",
    "kb",
    "assumed",
)


class Compartment(_Frozen):
    """A compartment; species amounts live in it (size 1 unless stated)."""

    id: str = Field(pattern=ID_PATTERN)
    name: str = ""
    size: float = Field(default=1.0, gt=0)
    unit: str = "1"


class Species(_Frozen):
    """A dynamic state variable (cell population, molecule) with its initial value.

    ``initial_expression`` (optional) makes the initial amount follow the parameters: an
    expression of parameters only (a steady state such as ``anc_base``), which ``initial`` must
    equal at the parameters' default values; a run with other parameter values starts the species
    at the expression's value for them (an explicit initial amount of the run still wins).
    """

    id: str = Field(pattern=ID_PATTERN)
    name: str = ""
    unit: str
    compartment: str = "tissue"
    initial: float = Field(ge=0)
    initial_expression: str | None = Field(default=None, min_length=1)
    non_negative: bool = True
    entity: str | None = Field(default=None, pattern=ENTITY_PATTERN)
    hgnc: tuple[str, ...] = ()
    cell_ontology: str | None = Field(default=None, pattern=r"^CL:[0-9]{7}$")
    description: str = ""
    provenance: Provenance | None = None

    @field_validator("initial")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError(f"initial value must be finite, got {value}")
        return value

    @model_serializer(mode="wrap")
    def _without_unset_expression(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """The dump without ``initial_expression`` when there is none, so a model without one
        keeps the digest (the compiled-model cache key) it had before the field existed."""
        data: dict[str, Any] = handler(self)
        if self.initial_expression is None:
            data.pop("initial_expression", None)
        return data


class Parameter(_Frozen):
    """A constant with unit, plausible range for virtual patients, and provenance."""

    id: str = Field(pattern=ID_PATTERN)
    name: str = ""
    value: float
    unit: str
    range: tuple[float, float] | None = None
    provenance: Provenance
    entity: str | None = Field(default=None, pattern=ENTITY_PATTERN)
    description: str = ""

    @property
    def is_definition(self) -> bool:
        """Fixed by definition (a unit conversion or constant): never varied, sampled or fitted."""
        return self.provenance.kind == "definition"

    def check_variable(self, action: str) -> None:
        """Refuse to vary a definition; ``action`` says what was asked ("varied in a
        sensitivity analysis", "estimated")."""
        if self.is_definition:
            raise ValidationError(
                f"{self.id} is a definition (a unit conversion or physical constant: "
                f"{self.provenance.detail()}), not a model parameter; it cannot be {action}"
            )

    @model_validator(mode="after")
    def _in_range(self) -> Parameter:
        if not math.isfinite(self.value):
            raise ValueError(f"value must be finite, got {self.value}")
        if self.is_definition and self.range is not None:
            raise ValueError(
                f"a definition ({self.provenance.detail()}) has no plausible range, got "
                f"{list(self.range)}; drop the range or give the provenance of a magnitude"
            )
        if self.range is not None:
            low, high = self.range
            if not (math.isfinite(low) and math.isfinite(high)) or low > high:
                raise ValueError(f"range [{low}, {high}] must be finite with low <= high")
            if not low <= self.value <= high:
                raise ValueError(
                    f"value {self.value} lies outside its plausible range [{low}, {high}]"
                )
        return self


class _RateSpec(_Frozen):
    """Either a registered template with bound arguments, or a whitelisted expression."""

    rate_law: str | None = None
    args: dict[str, str] = Field(default_factory=dict)
    expression: str | None = None

    @model_validator(mode="after")
    def _one_form(self) -> _RateSpec:
        if (self.rate_law is None) == (self.expression is None):
            raise ValueError("give exactly one of 'rate_law' (with 'args') or 'expression'")
        if self.expression is not None and self.args:
            raise ValueError("'args' only go with 'rate_law', not with 'expression'")
        return self

    def formula(self, allowed: set[str], *, where: str) -> Expr:
        """The bound expression tree (validated against ``allowed`` ids)."""
        if self.rate_law is not None:
            law = ratelaws.get(self.rate_law)
            tree = law.bind(self.args, where=where)
            for arg in law.arguments:
                if self.args[arg.name] not in allowed:
                    raise ValidationError(
                        f"{where}: argument {arg.name}={self.args[arg.name]!r} is not a declared "
                        "id" + _hint(self.args[arg.name], allowed)
                    )
            return tree
        if self.expression is None:  # unreachable: _one_form guarantees one form
            raise ValidationError(f"{where}: neither rate_law nor expression given")
        return parse(self.expression, allowed, where=where)


class Process(_RateSpec):
    """A flux: rate (template or expression) times stoichiometry on species. ``kb`` cites the
    review's statements of its mechanism; ``outside_review`` says why none does (a mechanism
    the review does not state, with its outside source; bookkeeping; an experimental input)."""

    id: str = Field(pattern=ID_PATTERN)
    stoichiometry: dict[str, float] = Field(min_length=1)
    kb: tuple[str, ...] = ()
    outside_review: str = ""
    description: str = ""

    @model_validator(mode="after")
    def _cited_or_outside(self) -> Process:
        if self.kb and self.outside_review:
            raise ValueError(
                f"process {self.id!r} cites kb statements {list(self.kb)} and says it is outside "
                "the review; keep one of 'kb' and 'outside_review'"
            )
        return self


class Observable(_RateSpec):
    """A quasi-steady-state signal (cytokine level, pathway activity) as an assignment rule."""

    id: str = Field(pattern=ID_PATTERN)
    name: str = ""
    unit: str = "1"
    entity: str | None = Field(default=None, pattern=ENTITY_PATTERN)
    kb: tuple[str, ...] = ()
    description: str = ""


class Event(_Frozen):
    """At a fixed time, assign species new values (expressions of the pre-event state)."""

    id: str = Field(pattern=ID_PATTERN)
    at: float = Field(ge=0)
    assign: dict[str, str] = Field(min_length=1)
    kb: tuple[str, ...] = ()
    description: str = ""


class ModelSpec(_Frozen):
    """A complete model. Build it from YAML with ``model.io.load_spec`` or in Python."""

    id: str = Field(pattern=ID_PATTERN)
    name: str = ""
    description: str = ""
    time_unit: Literal["day"] = "day"
    references: tuple[str, ...] = ()
    compartments: tuple[Compartment, ...] = (Compartment(id="tissue"),)
    species: tuple[Species, ...] = Field(min_length=1)
    parameters: tuple[Parameter, ...] = ()
    processes: tuple[Process, ...] = ()
    observables: tuple[Observable, ...] = ()
    events: tuple[Event, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> ModelSpec:
        problems = list(_problems(self))
        if problems:
            raise ValueError("\n".join(problems))
        return self

    # ---- look-ups -------------------------------------------------------------------------
    @cached_property
    def species_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.species)

    @cached_property
    def parameter_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.parameters)

    @cached_property
    def observable_ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.observables)

    @cached_property
    def parameter_index(self) -> dict[str, Parameter]:
        return {p.id: p for p in self.parameters}

    def parameter(self, pid: str) -> Parameter:
        """The parameter ``pid``; unknown ids give the closest valid names (a dict look-up:
        the cohort's patient draws ask for each varied parameter)."""
        hit = self.parameter_index.get(pid)
        if hit is None:
            raise ValidationError(
                f"unknown parameter {pid!r}" + _hint(pid, set(self.parameter_ids))
            )
        return hit

    def entities(self) -> tuple[str, ...]:
        """Blockable entities: every ``entity`` tag on a species, parameter or observable."""
        items: list[Species | Parameter | Observable] = [
            *self.species,
            *self.parameters,
            *self.observables,
        ]
        tags = {x.entity for x in items}
        return tuple(sorted(t for t in tags if t is not None))

    def digest(self) -> str:
        """SHA-256 of the canonical JSON form (cache key for compiled engines)."""
        return self._digest

    @cached_property
    def _digest(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()

    def numbers_digest(self) -> str:
        """SHA-256 of what the model computes: the canonical JSON without its annotations
        (:data:`ANNOTATION_FIELDS`). A fit or posterior records it, so that an edited name,
        rationale or citation does not make a fit drawn on the same numbers stale."""
        return self._numbers_digest

    @cached_property
    def _numbers_digest(self) -> str:
        data = {k: v for k, v in self.model_dump(mode="json").items() if k not in ANNOTATION_FIELDS}
        for key, items in data.items():
            if isinstance(items, list):
                data[key] = [
                    {k: v for k, v in item.items() if k not in ANNOTATION_FIELDS} for item in items
                ]
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def rate_tree(self, item: Process | Observable) -> Expr:
        """The expression tree of a process rate or observable (ids as written, no blocks)."""
        kind = "process" if isinstance(item, Process) else "observable"
        return item.formula(_referable(self), where=f"{kind} {item.id!r}")

    def initial_tree(self, species: Species) -> Expr | None:
        """The tree of ``species``' initial expression (parameters only), None without one."""
        if species.initial_expression is None:
            return None
        return parse(
            species.initial_expression,
            set(self.parameter_ids),
            where=f"species {species.id!r}.initial_expression",
        )


def _hint(name: str, allowed: Iterable[str]) -> str:
    return did_you_mean(name, allowed)


def _referable(spec: ModelSpec) -> set[str]:
    return {*spec.species_ids, *spec.parameter_ids, *spec.observable_ids}


def _problems(spec: ModelSpec) -> Iterable[str]:
    """Every cross-reference problem of a spec, each naming the record and field."""
    seen: dict[str, str] = {}
    for kind, items in (
        ("compartment", spec.compartments),
        ("species", spec.species),
        ("parameter", spec.parameters),
        ("observable", spec.observables),
        ("process", spec.processes),
        ("event", spec.events),
    ):
        for item in items:
            iid = item.id
            if iid in seen:
                yield f"{kind} {iid!r}: duplicate id (already used by a {seen[iid]})"
            seen[iid] = kind
            if iid.startswith(RESERVED_PREFIX) or iid in RESERVED_IDS:
                yield f"{kind} {iid!r}: id is reserved (no '{RESERVED_PREFIX}' prefix, not {TIME})"
    compartments = {c.id for c in spec.compartments}
    for c in spec.compartments:
        yield from _unit_problem(f"compartment {c.id!r}.unit", c.unit)
    for s in spec.species:
        yield from _unit_problem(f"species {s.id!r}.unit", s.unit)
        if s.compartment not in compartments:
            yield f"species {s.id!r}.compartment: unknown compartment {s.compartment!r}" + _hint(
                s.compartment, compartments
            )
        yield from _initial_problems(spec, s)
    for p in spec.parameters:
        yield from _unit_problem(f"parameter {p.id!r}.unit", p.unit)
    allowed = _referable(spec)
    species = set(spec.species_ids)
    params = set(spec.parameter_ids)
    obs_deps: dict[str, set[str]] = {}
    for o in spec.observables:
        yield from _unit_problem(f"observable {o.id!r}.unit", o.unit)
        try:
            tree = spec.rate_tree(o)
        except ValidationError as exc:
            yield str(exc)
            continue
        obs_deps[o.id] = symbols(tree) & set(spec.observable_ids)
        yield from _role_problems(o, species, params, where=f"observable {o.id!r}")
    cycle = _find_cycle(obs_deps)
    if cycle:
        yield "observables form a cycle: " + " -> ".join(cycle)
    for pr in spec.processes:
        where = f"process {pr.id!r}"
        try:
            spec.rate_tree(pr)
        except ValidationError as exc:
            yield str(exc)
        yield from _role_problems(pr, species, params, where=where)
        for sid, coef in pr.stoichiometry.items():
            if sid not in species:
                yield f"{where}.stoichiometry: unknown species {sid!r}" + _hint(sid, species)
            if not math.isfinite(coef) or coef == 0:
                yield f"{where}.stoichiometry[{sid}]: coefficient must be finite and non-zero"
    for ev in spec.events:
        for sid, text in ev.assign.items():
            where = f"event {ev.id!r}.assign[{sid}]"
            if sid not in species:
                yield f"{where}: unknown species {sid!r}" + _hint(sid, species)
            try:
                parse(text, allowed, where=where)
            except ValidationError as exc:
                yield str(exc)


#: relative agreement asked of a species' ``initial`` with its ``initial_expression``
INITIAL_REL_TOL = 1e-9
_INITIAL_ALLOWED = "allowed: numbers, the model's parameters, + - * / ** and " + ", ".join(
    sorted(FUNCTIONS)
)


def _initial_problems(spec: ModelSpec, s: Species) -> Iterable[str]:
    """What is wrong with a species' initial expression: it must parse, name parameters only
    (it is computed before the run, from the run's parameter values), be finite and >= 0 at
    the default values, and equal ``initial`` there."""
    text = s.initial_expression
    if text is None:
        return
    where = f"species {s.id!r}.initial_expression"
    try:
        tree = parse(text, _referable(spec), where=where)
    except ValidationError as exc:
        yield f"{exc} ({_INITIAL_ALLOWED})"
        return
    others = sorted(symbols(tree) - set(spec.parameter_ids))
    if others:
        kinds = {
            TIME: "model time",
            **{x: "a species" for x in spec.species_ids},
            **{x: "an observable" for x in spec.observable_ids},
        }
        named = ", ".join(f"{x!r} ({kinds.get(x, 'not a parameter')})" for x in others)
        yield (
            f"{where}: {text!r} names {named}; an initial amount is computed before the run "
            f"from parameters only ({_INITIAL_ALLOWED})"
        )
        return
    from senotwin.model.compile import evaluate  # compile imports this module

    defaults = {p.id: p.value for p in spec.parameters}
    value = evaluate(tree, defaults)
    if not math.isfinite(value) or value < 0:
        used = ", ".join(f"{x}={defaults[x]:g}" for x in sorted(symbols(tree)))
        yield (
            f"{where}: {text!r} is {value:g} at the parameters' default values ({used}); "
            "an initial amount must be finite and >= 0"
        )
    elif not math.isclose(s.initial, value, rel_tol=INITIAL_REL_TOL, abs_tol=1e-300):
        yield (
            f"species {s.id!r}.initial: {s.initial!r} differs from its initial_expression "
            f"{text!r} = {value!r} at the parameters' default values; write initial: {value!r}"
        )


def _unit_problem(where: str, unit: str) -> Iterable[str]:
    try:
        parse_unit(unit, where=where)
    except ValidationError as exc:
        yield str(exc)


def _role_problems(
    item: Process | Observable, species: set[str], params: set[str], *, where: str
) -> Iterable[str]:
    if item.rate_law is None:
        return
    try:
        law = ratelaws.get(item.rate_law)
    except ValidationError:
        return  # reported by rate_tree already
    for arg in law.arguments:
        bound = item.args.get(arg.name)
        if bound is None:
            continue
        if arg.role == "species" and bound not in species:
            yield f"{where}.args.{arg.name}: {bound!r} must be a species"
        if arg.role == "parameter" and bound not in params:
            yield f"{where}.args.{arg.name}: {bound!r} must be a parameter"


def _find_cycle(deps: dict[str, set[str]]) -> list[str]:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(deps.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for n in sorted(deps):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return []


def observable_order(spec: ModelSpec) -> tuple[str, ...]:
    """Observables in an order where each comes after the observables it uses."""
    deps = {o.id: symbols(spec.rate_tree(o)) & set(spec.observable_ids) for o in spec.observables}
    order: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> None:
        if node in done:
            return
        done.add(node)
        for nxt in sorted(deps[node]):
            visit(nxt)
        order.append(node)

    for o in spec.observables:
        visit(o.id)
    return tuple(order)
