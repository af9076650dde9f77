"""Run validation cases: simulate each distinct arm once, measure, judge against the expectation.

Arms that share a system and condition share one simulation; time-windowed blocks are schedule
steps of the block fraction, so every arm of a model runs on one compiled structure (the fast
engine compiles once per process). A failed case stays failed and says why.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from senotwin._errors import SenotwinWarning
from senotwin.analysis.validation.load import Case
from senotwin.analysis.validation.measure import measure, readout_series
from senotwin.analysis.validation.schema import TIERS, Arm, BlockWindow, Measure
from senotwin.model.compile import block_id, flatten
from senotwin.model.schedule import Schedule, Step
from senotwin.model.spec import ModelSpec
from senotwin.model.units import pretty_unit
from senotwin.sim import SolverOptions, simulate
from senotwin.sim.codegen import precompile
from senotwin.sim.engines import get_engine

RTOL = 1e-6
ATOL = 1e-6
POINTS_PER_DAY = 2
DEFAULT_ENGINE = "fast"

Table = dict[str, np.ndarray]


def _arm_key(case: Case, arm: Arm) -> tuple[Any, ...]:
    blocks = tuple(
        sorted(
            (e, b if isinstance(b, float | int) else (b.fraction, b.start, b.end))
            for e, b in arm.blocks.items()
        )
    )
    return (
        case.scenario.name,
        blocks,
        tuple(sorted(arm.params.items())),
        tuple(sorted(arm.initial.items())),
        arm.regimen,
    )


def _schedule(arm: Arm, doses: Schedule | None = None) -> tuple[dict[str, float], Schedule]:
    """Constant blocks, and windowed blocks as steps of their block fraction (added to the
    regimen's ``doses`` when there is one)."""
    constant: dict[str, float] = {}
    steps: list[Step] = []
    for entity, b in arm.blocks.items():
        if isinstance(b, BlockWindow):
            steps.append(Step(b.start, block_id(entity), b.fraction))
            if b.end is not None:
                steps.append(Step(b.end, block_id(entity), 0.0))
        else:
            constant[entity] = float(b)
    base = doses or Schedule()
    steps.extend(base.steps)
    return constant, Schedule(
        base.doses, base.infusions, tuple(sorted(steps, key=lambda s: s.time)), base.name
    )


def _arm_model(case: Case, arm: Arm, drugs: tuple[str, ...]) -> tuple[ModelSpec, Schedule | None]:
    """The model an arm runs (its context's, or the therapy model carrying every drug in
    ``drugs``) and the arm's doses (None without a regimen)."""
    spec = case.scenario.load()
    if arm.regimen is None:
        return spec, None
    from senotwin.therapy.language import SharedTherapy, parse_regimen

    regimen = parse_regimen(arm.regimen, allow_off_label=arm.off_label is not None)
    return SharedTherapy(regimen, drugs).compile_for(spec)


def simulate_arm(
    case: Case,
    arm: Arm,
    t_end: float,
    *,
    engine: str,
    base_params: Mapping[str, float] | None = None,
    drugs: tuple[str, ...] = (),
    context_params: Mapping[str, float] | None = None,
) -> Table | None:
    """One arm's table (time and every column), or None when the run fails.

    An arm with a regimen runs on the therapy model carrying every drug in ``drugs`` (doses
    only for its own), so all regimen arms of a model share one compiled structure.
    ``context_params`` replace the system context's own values (a rate re-derived under
    ``base_params``); the arm's perturbation still goes on top.
    """
    sc = case.scenario
    spec, doses = _arm_model(case, arm, drugs)
    # values of parameters this model lacks (a null draw over several models) do not apply
    base = {k: v for k, v in (base_params or {}).items() if k in spec.parameter_ids}
    blocks, schedule = _schedule(arm, doses)
    t_end = max(t_end, 1.0)
    grid = np.linspace(0.0, t_end, math.ceil(t_end * POINTS_PER_DAY) + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SenotwinWarning)  # a step after the read-out day
        result = simulate(
            spec,
            params=base | dict(sc.params) | dict(context_params or {}) | dict(arm.params),
            initial=dict(sc.initial) | dict(arm.initial),
            blocks=blocks,
            regimen=schedule,
            t_end=t_end,
            solver=SolverOptions(engine=engine, rtol=RTOL, atol=ATOL, t_eval=grid),
            check_ranges=sc.check_ranges,  # a mouse host is outside the human ranges
        )
    if not result.ok:
        return None
    table = result.table  # one float block: its columns in one copy, not one Series each
    return dict(zip(table.columns, table.to_numpy().T.copy(), strict=True))


@dataclass(frozen=True)
class CaseResult:
    """Outcome of one case: observed vs expected with units, source and tier (JSON-ready)."""

    id: str
    tier: str
    claim: str
    perturbation: str
    system: str
    readout: str
    unit: str
    measure: str
    kind: str
    quantitative: bool
    expected: str
    expected_range: tuple[float, float] | None
    effect_unit: str
    control_value: float
    perturbed_value: float
    effect: float
    passed: bool
    paper: str
    panel: str | None
    number: str | None
    section: str
    refs: tuple[int, ...]
    explanation: str | None

    @property
    def relative_change(self) -> float:
        """(perturbed - control) / |control| (NaN for single-arm cases)."""
        if math.isnan(self.perturbed_value) or self.control_value == 0:
            return float("nan")
        return (self.perturbed_value - self.control_value) / abs(self.control_value)

    def observed_text(self) -> str:
        """The observed effect with its unit, e.g. '0.42 fold' or '-35 %'."""
        if not math.isfinite(self.effect):
            if self.control_value == 0 and math.isfinite(self.perturbed_value):
                # a change relative to zero has no size: say so instead of printing 'inf'
                return f"n/a (control 0 -> {self.perturbed_value:.3g})"
            return str(self.effect)
        if self.kind == "peak_order":
            return f"{self.effect:+.3g} day"
        if self.kind == "direction":
            return f"{self.effect:+.1%}"
        return f"{self.effect:.3g} {self.effect_unit}"

    def to_dict(self) -> dict[str, object]:
        def num(x: float) -> float | str:
            return x if math.isfinite(x) else str(x)

        return {
            "id": self.id,
            "tier": self.tier,
            "claim": self.claim,
            "perturbation": self.perturbation,
            "system": self.system,
            "readout": self.readout,
            "unit": self.unit,
            "measure": self.measure,
            "kind": self.kind,
            "direction_only": not self.quantitative,
            "expected": {
                "text": self.expected,
                "range": list(self.expected_range) if self.expected_range else None,
                "unit": self.effect_unit,
            },
            "observed": {
                "control": num(self.control_value),
                "perturbed": num(self.perturbed_value),
                "effect": num(self.effect),
                "unit": self.effect_unit,
            },
            "passed": self.passed,
            "source": {
                "paper": self.paper,
                "panel": self.panel,
                "number": self.number,
                "review_section": self.section,
                "refs": list(self.refs),
            },
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class TierCount:
    """Cases and passes of one tier."""

    n: int
    passed: int

    @property
    def pass_rate(self) -> float:
        return self.passed / self.n if self.n else 0.0


@dataclass(frozen=True)
class ValidationReport:
    """All case results, counted per tier; the null test when it was run."""

    results: tuple[CaseResult, ...]
    engine: str = DEFAULT_ENGINE
    null: Any = field(default=None)  # NullResult (senotwin.analysis.validation.null)
    robustness: Mapping[str, float] | None = None  # case id -> share of an ensemble it holds in
    ensemble_sets: int = 0  # parameter sets of that ensemble
    ensemble_ignored: tuple[str, ...] = ()  # ensemble columns that are no model parameter

    @property
    def n_passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def pass_rate(self) -> float:
        return self.n_passed / len(self.results) if self.results else 0.0

    def failures(self) -> tuple[CaseResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    def tiers(self) -> dict[str, TierCount]:
        """Per-tier counts, in tier order, tiers without cases left out."""
        out: dict[str, TierCount] = {}
        for tier in TIERS:
            rows = [r for r in self.results if r.tier == tier]
            if rows:
                out[tier] = TierCount(len(rows), sum(r.passed for r in rows))
        return out

    def to_dict(self) -> dict[str, object]:
        return {
            "engine": self.engine,
            "n_cases": len(self.results),
            "n_passed": self.n_passed,
            "pass_rate": self.pass_rate,
            "tiers": {
                t: {"n": c.n, "passed": c.passed, "pass_rate": c.pass_rate}
                for t, c in self.tiers().items()
            },
            "null": self.null.to_dict() if self.null is not None else None,
            "ensemble": (
                {"n_sets": self.ensemble_sets, "ignored_columns": list(self.ensemble_ignored)}
                if self.robustness is not None
                else None
            ),
            "cases": [
                r.to_dict()
                | ({"robustness": self.robustness.get(r.id)} if self.robustness is not None else {})
                for r in self.results
            ],
        }


# ---- judging -----------------------------------------------------------------------------------
def _describe_arm(arm: Arm) -> list[str]:
    parts = [f"regimen {arm.regimen}"] if arm.regimen else []
    if arm.off_label:
        parts.append(f"off-label: {arm.off_label}")
    for e, b in sorted(arm.blocks.items()):
        if isinstance(b, BlockWindow):
            end = f"{b.end:g}" if b.end is not None else "end"
            parts.append(f"block {e}={b.fraction:g} days {b.start:g}-{end}")
        else:
            parts.append(f"block {e}={b:g}")
    parts += [f"{k}={v:g}" for k, v in sorted(arm.params.items())]
    parts += [f"initial {k}={v:g}" for k, v in sorted(arm.initial.items())]
    return parts


def describe_change(case: Case) -> str:
    """The perturbation as text (what the perturbed arm adds to the control)."""
    spec = case.spec_case
    control = _describe_arm(spec.control)
    if spec.perturbed is None:
        return ", ".join(control) or "none (single arm)"
    pert = _describe_arm(spec.perturbed)
    added = [p for p in pert if p not in control]
    removed = [p for p in control if p not in pert]
    text = ", ".join(added) or "none"
    return text + (f" (control: {', '.join(removed)})" if removed else "")


def describe_system(case: Case) -> str:
    s = case.spec_case.system
    if s.scenario:
        return f"scenario {s.scenario}"
    return (
        f"{s.species} {s.tumour}, {s.host_age} host, inducer {s.inducer} "
        f"(model context {case.scenario.name})"
    )


def _relative(c: float, p: float) -> float:
    """(p - c) / |c|; from a zero control any change counts as infinitely large."""
    if c != 0:
        return (p - c) / abs(c)
    return 0.0 if p == 0 else math.copysign(float("inf"), p)


def _judge(
    case: Case, c: float, p: float
) -> tuple[bool, float, str, str, tuple[float, float] | None]:
    """(passed, effect, effect unit, expected text, expected range)."""
    e = case.spec_case.expect
    if e.kind == "fold_change":
        fold = p / c if c != 0 else float("nan")
        return (
            e.range[0] <= fold <= e.range[1],
            fold,
            "fold",
            f"fold change {e.range[0]:g}-{e.range[1]:g}",
            e.range,
        )
    if e.kind == "percent_change":
        pct = 100.0 * (p / c - 1.0) if c != 0 else float("nan")
        return (
            e.range[0] <= pct <= e.range[1],
            pct,
            "%",
            f"change {e.range[0]:+g} to {e.range[1]:+g} %",
            e.range,
        )
    if e.kind == "value":
        return (
            e.range[0] <= c <= e.range[1],
            c,
            e.unit,
            f"{e.range[0]:g}-{e.range[1]:g} {e.unit}",
            e.range,
        )
    if e.kind == "peak_order":
        return c < p, p - c, "day", f"{e.first} before {e.then}", None
    change = _relative(c, p)
    if e.direction == "increase":
        ok, need = change >= e.min_effect, f"increase >= {e.min_effect:.0%}"
    elif e.direction == "decrease":
        ok, need = change <= -e.min_effect, f"decrease >= {e.min_effect:.0%}"
    else:
        ok, need = abs(change) <= e.tolerance, f"unchanged within {e.tolerance:.0%}"
    return bool(ok), change, "relative", f"{need} (direction only)", None


def _observed_note(
    kind: str, effect: float, unit: str, control: float, perturbed: float, readout_unit: str
) -> str:
    """A failed case's observation as the table prints it: a direction as a percent change,
    units in plain notation, none for a dimensionless read-out (it read '-0.0136 relative
    (0.7967 -> 0.7859 1)' beside the table's '-1.4%'; audit find)."""
    values = pretty_unit(readout_unit) if readout_unit not in ("1", "") else ""
    if kind == "value":
        return f"{control:.4g} {values}".strip()
    size = (
        f"{effect:+.1%}"
        if kind == "direction" and math.isfinite(effect)
        else f"{effect:.3g} {unit}"
    )
    return f"{size} ({control:.4g} -> {perturbed:.4g} {values}".strip() + ")"


def evaluate_case(case: Case, tables: Mapping[tuple[Any, ...], Table | None]) -> CaseResult:
    """Measure both arms of ``case`` in the simulated ``tables`` and judge it."""
    spec = case.spec_case
    failed_run = None
    # a time-course order reads each read-out's time to peak or half-maximum over the window:
    # 'day 120' (the measure as written) said it read both at day 120 (audit find)
    measured = spec.measure
    if spec.expect.kind == "peak_order":
        window = spec.measure.window or (0.0, spec.measure.t_needed)
        measured = Measure(stat=spec.expect.by, window=window)
        table = tables[_arm_key(case, spec.control)]
        if table is None:
            c_val = p_val = float("nan")
            failed_run = "the control run failed"
        else:
            first, then = (case.readouts[spec.expect.first], case.readouts[spec.expect.then])
            c_val = measure(table["time"], readout_series(table, first), measured)
            p_val = measure(table["time"], readout_series(table, then), measured)
    else:
        tree = case.readouts[spec.readout]
        vals = []
        for arm in (spec.control, spec.perturbed):
            if arm is None:
                vals.append(float("nan"))
                continue
            table = tables[_arm_key(case, arm)]
            if table is None:
                failed_run = "a simulation failed"
                vals.append(float("nan"))
            else:
                vals.append(measure(table["time"], readout_series(table, tree), spec.measure))
        c_val, p_val = vals
    ok, effect, unit, expected, rng = _judge(case, c_val, p_val)
    ok = bool(ok) and failed_run is None and not math.isnan(effect)
    why = None
    if not ok:
        why = failed_run or (
            f"expected {expected} in {spec.readout} ({measured.describe()}), observed "
            + _observed_note(spec.expect.kind, effect, unit, c_val, p_val, case.unit)
        )
        if spec.note:
            why += f". Note: {spec.note}"
    return CaseResult(
        id=spec.id,
        tier=spec.tier,
        claim=spec.claim,
        perturbation=describe_change(case),
        system=describe_system(case),
        readout=spec.readout
        if spec.expect.kind != "peak_order"
        else f"{spec.expect.first} vs {spec.expect.then}",
        unit=case.unit,
        measure=measured.describe(),
        kind=spec.expect.kind,
        quantitative=spec.quantitative,
        expected=expected,
        expected_range=rng,
        effect_unit=unit,
        control_value=c_val,
        perturbed_value=p_val,
        effect=effect,
        passed=ok,
        paper=spec.source.paper,
        panel=spec.source.panel,
        number=spec.source.number,
        section=spec.source.review_section,
        refs=spec.source.refs,
        explanation=why,
    )


def simulate_cases(
    cases: Sequence[Case],
    *,
    engine: str,
    base_params: Mapping[str, float] | None = None,
    contexts: Mapping[str, Mapping[str, float]] | None = None,
) -> dict[tuple[Any, ...], Table | None]:
    """Every distinct arm of ``cases`` simulated once, to the last day any case reads;
    ``contexts``: scenario name -> values replacing that context's own (``simulate_arm``)."""
    needed: dict[tuple[Any, ...], tuple[Case, Arm, float]] = {}
    drugs: dict[str, set[str]] = {}  # scenario -> every drug its regimen arms use
    for case in cases:
        drugs.setdefault(case.scenario.name, set()).update(case.drugs)
        spec = case.spec_case
        for arm in (spec.control, spec.perturbed):
            if arm is None:
                continue
            key = _arm_key(case, arm)
            t = max(spec.measure.t_needed, needed[key][2] if key in needed else 0.0)
            needed[key] = (case, arm, t)
    shared = {name: tuple(sorted(d)) for name, d in drugs.items()}
    if engine == "fast":  # compile the structures a cold cache lacks side by side first
        first = {
            (case.scenario.name, arm.regimen is not None): (case, arm)
            for case, arm, _ in needed.values()
        }
        precompile(
            [flatten(_arm_model(c, a, shared[c.scenario.name])[0]) for c, a in first.values()]
        )
    return {
        key: simulate_arm(
            case,
            arm,
            t,
            engine=engine,
            base_params=base_params,
            drugs=shared[case.scenario.name],
            context_params=(contexts or {}).get(case.scenario.name),
        )
        for key, (case, arm, t) in needed.items()
    }


def run_cases(
    cases: Sequence[Case],
    *,
    engine: str = DEFAULT_ENGINE,
    base_params: Mapping[str, float] | None = None,
) -> ValidationReport:
    """Run every case; ``base_params`` replace model values under each system's context."""
    get_engine(engine)  # an unknown name fails before any simulation, listing the known ones
    tables = simulate_cases(cases, engine=engine, base_params=base_params)
    return ValidationReport(tuple(evaluate_case(c, tables) for c in cases), engine=engine)
