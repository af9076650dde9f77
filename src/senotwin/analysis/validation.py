"""Literature validation suite: the review's claims as executable perturbation -> read-out cases.

Cases live in ``analysis/data/validation_cases.yaml`` (data, not code). Each case runs a control
arm and a perturbed arm of a TME scenario, reads a named observable or species (optionally a
ratio) at a day, or its max/mean over a window, and checks the expected direction. A failed case
stays failed and says why; nothing is loosened to pass.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from senotwin._errors import SenotwinWarning, ValidationError
from senotwin._io import read_text
from senotwin._yaml import load_yaml
from senotwin.model.scenarios import get_scenario
from senotwin.model.tme import load_tme
from senotwin.sim import SolverOptions, daily, run_scenario
from senotwin.sim.engines import get_engine

Expected = Literal["increase", "decrease", "unchanged"]
Stat = Literal["at", "max", "mean", "min"]
_EXPECTED = ("increase", "decrease", "unchanged")
_STATS = ("at", "max", "mean", "min")
RTOL = 1e-5
ATOL = 1e-8


def cases_path() -> Path:
    """Path of the shipped validation cases (package data)."""
    return Path(str(resources.files("senotwin.analysis") / "data" / "validation_cases.yaml"))


def _frozen(data: Mapping[str, float] | None = None) -> Mapping[str, float]:
    return MappingProxyType(dict(data or {}))


@dataclass(frozen=True)
class ValidationArm:
    """One arm of a case: scenario plus overrides, and when/how the read-out is taken."""

    scenario: str
    blocks: Mapping[str, float] = field(default_factory=_frozen)
    params: Mapping[str, float] = field(default_factory=_frozen)
    initial: Mapping[str, float] = field(default_factory=_frozen)
    at: float | None = None
    window: tuple[float, float] | None = None
    stat: Stat = "at"
    regimen: str | None = None  # regimen-language text (drugs with PK/PD), see sim.regimens

    @property
    def t_needed(self) -> float:
        """Last day this arm reads."""
        if self.stat == "at":
            return float(self.at or 0.0)
        return float(self.window[1]) if self.window else 0.0

    def run_key(self) -> tuple[Any, ...]:
        """Arms with equal keys share one simulation."""
        return (
            self.scenario,
            tuple(sorted(self.blocks.items())),
            tuple(sorted(self.params.items())),
            tuple(sorted(self.initial.items())),
            self.regimen,
        )

    def describe(self) -> str:
        """Short text of the arm's condition."""
        parts = [f"scenario {self.scenario}"]
        parts += [f"block {k}={v:g}" for k, v in sorted(self.blocks.items())]
        parts += [f"{k}={v:g}" for k, v in sorted(self.params.items())]
        parts += [f"initial {k}={v:g}" for k, v in sorted(self.initial.items())]
        if self.regimen:
            parts.append(f"regimen {self.regimen}")
        if self.stat == "at":
            parts.append(f"day {self.at:g}")
        elif self.window is not None:
            parts.append(f"{self.stat} over days {self.window[0]:g}-{self.window[1]:g}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Case:
    """A review claim as a control/perturbed comparison of one read-out."""

    id: str
    claim: str
    section: str
    refs: tuple[int, ...]
    control: ValidationArm
    perturbed: ValidationArm
    readout: str
    per: str | None
    expected: Expected
    min_effect: float
    tolerance: float
    note: str | None = None


@dataclass(frozen=True)
class CaseResult:
    """Outcome of one case, JSON-ready through :meth:`to_dict`."""

    id: str
    claim: str
    perturbation: str
    readout: str
    expected: str
    control_value: float
    perturbed_value: float
    relative_change: float
    passed: bool
    section: str
    refs: tuple[int, ...]
    explanation: str | None

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "claim": self.claim,
            "perturbation": self.perturbation,
            "readout": self.readout,
            "expected": self.expected,
            "observed": {
                "control": self.control_value,
                "perturbed": self.perturbed_value,
                "relative_change": self.relative_change,
            },
            "passed": self.passed,
            "section": self.section,
            "refs": list(self.refs),
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class ValidationReport:
    """All case results with the pass count."""

    results: tuple[CaseResult, ...]

    @property
    def n_passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def pass_rate(self) -> float:
        return self.n_passed / len(self.results) if self.results else 0.0

    def failures(self) -> tuple[CaseResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    def to_dict(self) -> dict[str, object]:
        return {
            "n_cases": len(self.results),
            "n_passed": self.n_passed,
            "pass_rate": self.pass_rate,
            "cases": [r.to_dict() for r in self.results],
        }


# ---- loading ---------------------------------------------------------------------------------
_CASE_KEYS = {
    "id", "claim", "section", "refs", "scenario", "control", "perturbed", "readout", "per",
    "expected", "at", "min_effect", "tolerance", "note",
}  # fmt: skip
_ARM_KEYS = {"scenario", "blocks", "params", "initial", "at", "window", "stat", "regimen"}


def _number_map(value: object, where: str) -> dict[str, float]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(f"{where}: must be a mapping of name -> number, got {value!r}")
    out = {}
    for k, v in value.items():
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ValidationError(f"{where}.{k}: must be a finite number, got {v!r}")
        out[str(k)] = float(v)
    return out


def _arm(raw: object, base: dict[str, object], where: str) -> ValidationArm:
    data = dict(base)
    if raw is not None:
        if not isinstance(raw, dict):
            raise ValidationError(f"{where}: an arm must be a mapping, got {raw!r}")
        extra = set(raw) - _ARM_KEYS
        if extra:
            raise ValidationError(
                f"{where}: unknown field(s) {sorted(extra)} (allowed: {sorted(_ARM_KEYS)})"
            )
        data.update(raw)
        if "at" in raw and "stat" not in raw:  # a day given without a statistic reads that day
            data["stat"], data["window"] = "at", None
    stat_raw = data.get("stat", "at")
    if stat_raw not in _STATS:
        raise ValidationError(f"{where}.stat: {stat_raw!r} is not one of {', '.join(_STATS)}")
    stat: Stat = (
        "at"
        if stat_raw == "at"
        else "max"
        if stat_raw == "max"
        else ("mean" if stat_raw == "mean" else "min")
    )
    window = data.get("window")
    if stat != "at":
        if not (isinstance(window, list) and len(window) == 2 and window[0] < window[1]):
            raise ValidationError(f"{where}.window: give [start, end] days for stat {stat!r}")
        win: tuple[float, float] | None = (float(window[0]), float(window[1]))
    else:
        win = None
    at = data.get("at")
    day: float | None = None
    if stat == "at":
        if isinstance(at, bool) or not isinstance(at, int | float) or at < 0:
            raise ValidationError(f"{where}.at: the read-out day must be a number >= 0, got {at!r}")
        day = float(at)
    scenario = data.get("scenario")
    if not isinstance(scenario, str):
        raise ValidationError(f"{where}.scenario: missing scenario name")
    get_scenario(scenario)  # raises with suggestions when unknown
    regimen = data.get("regimen")
    if regimen is not None:
        if not isinstance(regimen, str) or not regimen.strip():
            raise ValidationError(f"{where}.regimen: give regimen text, got {regimen!r}")
        from senotwin.therapy.language import parse_regimen

        try:
            parse_regimen(regimen)
        except ValidationError as exc:
            raise ValidationError(f"{where}.regimen: {exc}") from None
    return ValidationArm(
        scenario=scenario,
        blocks=_frozen(_number_map(data.get("blocks"), f"{where}.blocks")),
        params=_frozen(_number_map(data.get("params"), f"{where}.params")),
        initial=_frozen(_number_map(data.get("initial"), f"{where}.initial")),
        at=day,
        window=win,
        stat=stat,
        regimen=regimen,
    )


def parse_cases(data: object, *, source: str = "<cases>") -> tuple[Case, ...]:
    """Validate a cases document (``defaults`` + ``cases``) into Case records."""
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise ValidationError(f"{source}: expected a mapping with a 'cases' list")
    defaults = data.get("defaults") or {}
    spec = load_tme()
    columns = {*spec.species_ids, *spec.observable_ids}
    entities = set(spec.entities())
    seen: set[str] = set()
    out = []
    for i, raw in enumerate(data["cases"]):
        cid = raw.get("id", f"#{i}") if isinstance(raw, dict) else f"#{i}"
        where = f"{source}: case {cid}"
        if not isinstance(raw, dict):
            raise ValidationError(f"{where}: must be a mapping")
        extra = set(raw) - _CASE_KEYS
        if extra:
            raise ValidationError(f"{where}: unknown field(s) {sorted(extra)}")
        if cid in seen:
            raise ValidationError(f"{where}: duplicate id")
        seen.add(cid)
        for key in ("claim", "section", "readout", "expected"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise ValidationError(f"{where}.{key}: required text is missing")
        if raw["expected"] not in _EXPECTED:
            raise ValidationError(f"{where}.expected: {raw['expected']!r} not in {_EXPECTED}")
        for key in ("readout", "per"):
            name = raw.get(key)
            if name is not None and name not in columns:
                raise ValidationError(f"{where}.{key}: {name!r} is not a species or observable")
        base = {
            "scenario": raw.get("scenario", defaults.get("scenario", "legacy_default")),
            "at": raw.get("at", defaults.get("at", 30)),
        }
        control = _arm(raw.get("control"), base, f"{where}.control")
        perturbed = _arm(raw.get("perturbed"), _arm_dict(control), f"{where}.perturbed")
        for arm in (control, perturbed):
            unknown = set(arm.blocks) - entities
            if unknown:
                raise ValidationError(f"{where}: unknown block target(s) {sorted(unknown)}")
            for pid in arm.params:
                spec.parameter(pid)
        refs = raw.get("refs") or []
        if not isinstance(refs, list) or not all(isinstance(r, int) for r in refs):
            raise ValidationError(f"{where}.refs: must be a list of reference numbers")
        out.append(
            Case(
                id=str(cid),
                claim=raw["claim"].strip(),
                section=str(raw["section"]),
                refs=tuple(refs),
                control=control,
                perturbed=perturbed,
                readout=raw["readout"],
                per=raw.get("per"),
                expected=raw["expected"],
                min_effect=float(raw.get("min_effect", defaults.get("min_effect", 0.05))),
                tolerance=float(raw.get("tolerance", defaults.get("tolerance", 0.05))),
                note=str(raw["note"]).strip() if raw.get("note") else None,
            )
        )
    return tuple(out)


def _arm_dict(arm: ValidationArm) -> dict[str, object]:
    return {
        "scenario": arm.scenario,
        "blocks": dict(arm.blocks),
        "params": dict(arm.params),
        "initial": dict(arm.initial),
        "at": arm.at,
        "window": list(arm.window) if arm.window else None,
        "stat": arm.stat,
        "regimen": arm.regimen,
    }


def load_cases(path: str | Path | None = None) -> tuple[Case, ...]:
    """Read and validate the cases file (the shipped one by default)."""
    p = Path(path) if path is not None else cases_path()
    text = read_text(p, what="validation cases file", expected="validation cases YAML")
    data = load_yaml(text, source=str(p))
    return parse_cases(data, source=str(p))


# ---- running ---------------------------------------------------------------------------------
def _describe_change(control: ValidationArm, perturbed: ValidationArm) -> str:
    c_parts = set(control.describe().split(", "))
    p_parts = perturbed.describe().split(", ")
    changed = [part for part in p_parts if part not in c_parts]
    removed = [part for part in control.describe().split(", ") if part not in set(p_parts)]
    text = ", ".join(changed) if changed else "none"
    if removed:
        text += f" (control: {', '.join(removed)})"
    return text


def _read(
    table: Mapping[str, np.ndarray], arm: ValidationArm, readout: str, per: str | None
) -> float:
    t = table["time"]
    values = table[readout] / table[per] if per else table[readout]
    if arm.stat == "at":
        return float(np.interp(float(arm.at or 0.0), t, values))
    window = arm.window if arm.window is not None else (0.0, float(t[-1]))
    mask = (t >= window[0]) & (t <= window[1])
    sel = values[mask]
    if arm.stat == "max":
        return float(np.max(sel))
    if arm.stat == "min":
        return float(np.min(sel))
    return float(np.mean(sel))


def _judge(case: Case, control: float, perturbed: float) -> tuple[bool, float, str | None]:
    change = (perturbed - control) / max(abs(control), 1e-12)
    if case.expected == "increase":
        ok = change >= case.min_effect
        need = f"an increase of at least {case.min_effect:.0%}"
    elif case.expected == "decrease":
        ok = change <= -case.min_effect
        need = f"a decrease of at least {case.min_effect:.0%}"
    else:
        ok = abs(change) <= case.tolerance
        need = f"no change beyond {case.tolerance:.0%}"
    why = None
    if not ok:
        why = (
            f"expected {need} in {case.readout}{'/' + case.per if case.per else ''}, observed "
            f"{change:+.1%} ({control:.4g} -> {perturbed:.4g})"
        )
        if case.note:
            why += f". Model note: {case.note}"
    return ok, change, why


def run_cases(cases: Sequence[Case], *, engine: str = "reference") -> ValidationReport:
    """Run every case; arms sharing a condition share one simulation."""
    get_engine(engine)  # an unknown name fails before any simulation, listing the known ones
    needed: dict[tuple[Any, ...], tuple[ValidationArm, float]] = {}
    for case in cases:
        for arm in (case.control, case.perturbed):
            key = arm.run_key()
            t = max(arm.t_needed, needed[key][1] if key in needed else 0.0)
            needed[key] = (arm, t)
    tables: dict[tuple[Any, ...], dict[str, np.ndarray]] = {}
    for key, (arm, t_need) in needed.items():
        tables[key] = _simulate_arm(arm, max(t_need, 1.0), engine=engine)
    results = []
    for case in cases:
        c_val = _read(tables[case.control.run_key()], case.control, case.readout, case.per)
        p_val = _read(tables[case.perturbed.run_key()], case.perturbed, case.readout, case.per)
        ok, change, why = _judge(case, c_val, p_val)
        results.append(
            CaseResult(
                id=case.id,
                claim=case.claim,
                perturbation=_describe_change(case.control, case.perturbed),
                readout=case.readout + (f"/{case.per}" if case.per else ""),
                expected=case.expected,
                control_value=c_val,
                perturbed_value=p_val,
                relative_change=change,
                passed=ok,
                section=case.section,
                refs=case.refs,
                explanation=why,
            )
        )
    return ValidationReport(tuple(results))


def _simulate_arm(arm: ValidationArm, t_end: float, *, engine: str) -> dict[str, np.ndarray]:
    from senotwin.therapy.language import parse_regimen

    with warnings.catch_warnings():
        # a case read out at day 'at' stops there on purpose, before the regimen's later doses
        warnings.simplefilter("ignore", SenotwinWarning)
        result = run_scenario(
            arm.scenario,
            overrides={**arm.params, **arm.initial},
            blocks=arm.blocks,
            regimen=parse_regimen(arm.regimen) if arm.regimen else None,
            days=t_end,
            solver=SolverOptions(engine=engine, rtol=RTOL, atol=ATOL, t_eval=daily(t_end)),
            throw=True,
        )
    return {c: result.table[c].to_numpy() for c in result.table.columns}


def run_validation(
    path: str | Path | None = None, *, engine: str = "reference"
) -> ValidationReport:
    """Load the cases (shipped by default) and run them."""
    return run_cases(load_cases(path), engine=engine)
