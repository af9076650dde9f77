"""Therapy experiments: arms on one scenario, per-arm metrics, comparison and dose-response.

Every arm of a comparison is compiled onto one shared therapy model (all arms' drugs present,
doses only where the arm gives them), so arms differ only by their dosing events. Per arm:
final and minimum tumour burden, tumour AUC, time to progression (RECIST 1.1 on scheduled scans,
:mod:`senotwin.analysis.endpoints`), senescent-burden AUC, SASP-index AUC, effector/suppressor
ratio (time mean and final), and the toxicity proxies of :mod:`senotwin.therapy.pkpd` (AUC and max).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Real
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from senotwin._errors import ValidationError, check_type
from senotwin._views import PicklableViews
from senotwin.analysis.endpoints import EndpointRules, patient_endpoints
from senotwin.model.readouts import readouts_for
from senotwin.model.scenarios import get_scenario
from senotwin.sim import SolverOptions, run_scenario
from senotwin.sim.simulate import MAPPING, check_days
from senotwin.therapy.dose_rules import DoseRules, EventTherapy, apply_dose_rules
from senotwin.therapy.dosing import body_for_scenario
from senotwin.therapy.drugs import get_drug
from senotwin.therapy.language import (
    DosingEvent,
    Regimen,
    SharedTherapy,
    merge_schedule_notes,
    parse_regimen,
)
from senotwin.therapy.pkpd import SENOLYSIS_DAMAGE, TOXICITY, tox_id
from senotwin.therapy.toxicity import (
    HOST_SEN,
    PLT_OBS,
    count_1e9_per_l,
    grade,
    platelet_grade,
)

TOXICITIES: tuple[str, ...] = (*TOXICITY, SENOLYSIS_DAMAGE)
METRICS: tuple[str, ...] = (
    "final_tumour",
    "min_tumour",
    "tumour_auc",
    "time_to_progression",
    "senescent_auc",
    "sasp_auc",
    "effector_suppressor_mean",
    "effector_suppressor_final",
)


def metric_units(table: pd.DataFrame) -> dict[str, str]:
    """The unit of each number of :meth:`ArmMetrics.to_dict` for the model that ran ``table``
    (the JSON's ``units``; ``treat compare`` prints them as its ``units:`` line)."""
    read = readouts_for(table)
    return {
        "final_tumour": "1e9 cells",
        "min_tumour": "1e9 cells",
        "tumour_auc": "1e9 cells*day",
        "time_to_progression": "day (null: no RECIST progression within follow-up)",
        "senescent_auc": "1e9 cells*day",
        "sasp_auc": f"{read.sasp_unit_text}*day",
        "effector_suppressor_mean": read.balance_label,
        "effector_suppressor_final": read.balance_label,
        "toxicity_auc": "relative toxicity proxy*day (AUC; senolysis_tissue_damage on a QSP "
        "model: share of host tissue cells killed)",
        "toxicity_max": "relative toxicity proxy (senolysis_tissue_damage on a QSP model: share "
        "of host tissue cells killed per day)",
        "anc_nadir": "1e9 cells/L",
        "neutropenia_grade": "CTCAE grade",
        "platelet_nadir": "1e9 cells/L",
        "thrombocytopenia_grade": "CTCAE grade",
        # a flat dose ("850 mg") is recorded per kg of the scenario's body: say so (ux52)
        "doses": "day; amount in the record's unit: mg/kg (a flat or per-m2 dose per kg of the "
        "scenario's body), Gy or kBq/kg",
    }


def toxicity_max_unit(name: str, table: pd.DataFrame) -> str:
    """The unit of one proxy's peak: the QSP models' senolysis tissue damage is the share of
    host tissue cells killed per day (therapy.toxicity); the others are relative proxies."""
    if name == SENOLYSIS_DAMAGE and HOST_SEN in table:
        return "share of host tissue cells killed per day"
    return "relative toxicity proxy"


def _auc(t: np.ndarray, y: np.ndarray) -> float:
    return float(np.trapezoid(y, t))


#: a toxicity proxy's peak below this is solver round-off, reported as 0; its AUC likewise below
#: this times the run's days. The proxies are fractions of full inhibition (0-1) or shares of
#: host cells killed per day; an arm's model carries every compared arm's drugs, and an undosed
#: drug's concentration, exactly 0, picks up ~1e-18 mg/L from the implicit solver's linear
#: algebra over a long run (a doxorubicin arm beside a navitoclax one read thrombocytopenia
#: AUC 1.7e-15). Real proxies of a dosed drug are orders above (navitoclax's ~1e-3 and more).
TOX_NOISE = 1e-9


def without_noise(value: float, scale: float = 1.0) -> float:
    """``value``, or 0.0 where ``|value|`` < :data:`TOX_NOISE` x ``scale`` (round-off of an exact
    0: ``scale`` 1 for a proxy's value, the run's days for its AUC)."""
    return 0.0 if abs(value) < TOX_NOISE * scale else value


@dataclass(frozen=True)
class ArmMetrics(PicklableViews):
    """The outcome of one arm (tumour and senescent burden in 1e9 cells)."""

    name: str
    regimen: str
    status: str
    final_tumour: float
    min_tumour: float
    tumour_auc: float
    time_to_progression: float | None
    best_response: str
    senescent_auc: float
    sasp_auc: float
    effector_suppressor_mean: float
    effector_suppressor_final: float
    toxicity_auc: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    toxicity_max: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    anc_nadir: float | None = None  # 10^9/L, when a myelosuppressive drug is in the model
    neutropenia_grade: int | None = None  # CTCAE grade of the nadir
    platelet_nadir: float | None = None  # 10^9/L, when a platelet-killing drug is in the model
    thrombocytopenia_grade: int | None = None  # CTCAE grade of the platelet nadir
    dose_changes: tuple[str, ...] = ()  # holds and reductions made by the dose rules
    doses: tuple[DosingEvent, ...] = ()  # given within follow-up (dose rules applied)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record (None for no progression within follow-up)."""
        out: dict[str, Any] = {
            "arm": self.name,
            "regimen": self.regimen,
            "status": self.status,
        }
        out.update({m: getattr(self, m) for m in METRICS})
        out["best_response"] = self.best_response
        out["toxicity_auc"] = dict(self.toxicity_auc)
        out["toxicity_max"] = dict(self.toxicity_max)
        out["anc_nadir"] = self.anc_nadir
        out["neutropenia_grade"] = self.neutropenia_grade
        out["platelet_nadir"] = self.platelet_nadir
        out["thrombocytopenia_grade"] = self.thrombocytopenia_grade
        out["dose_changes"] = list(self.dose_changes)
        out["doses"] = [
            {"day": e.time, "drug": e.drug, "amount": e.amount, "unit": e.unit, "route": e.route}
            for e in self.doses
        ]
        return out


def arm_metrics(
    name: str,
    regimen: str,
    table: pd.DataFrame,
    status: str,
    dose_changes: tuple[str, ...] = (),
    doses: Sequence[DosingEvent] = (),
) -> ArmMetrics:
    """Metrics of one simulated arm from its time-course table (either TME model's run)."""
    t = table["time"].to_numpy()
    read = readouts_for(table)
    tumour = read.burden(table)
    es = read.balance(table)
    rules = EndpointRules(lethal_burden=read.lethal_burden)
    ends = patient_endpoints(t, read.diameter(table), tumour, rules)
    span = float(t[-1] - t[0]) or 1.0
    tox_auc = {k: without_noise(_auc(t, table[tox_id(k)].to_numpy()), span) for k in TOXICITIES}
    tox_max = {k: without_noise(float(table[tox_id(k)].max())) for k in TOXICITIES}
    nadir = float(count_1e9_per_l(table["tox_anc"].min())) if "tox_anc" in table else None
    plt = float(count_1e9_per_l(table[PLT_OBS].min())) if PLT_OBS in table else None
    return ArmMetrics(
        name=name,
        regimen=regimen,
        status=status,
        final_tumour=float(tumour[-1]),
        min_tumour=float(tumour.min()),
        tumour_auc=_auc(t, tumour),
        time_to_progression=ends.pfs_days if ends.pfs_event else None,
        best_response=ends.best_response,
        senescent_auc=_auc(t, read.senescent(table)),
        sasp_auc=_auc(t, read.sasp(table)),
        effector_suppressor_mean=_auc(t, es) / span,
        effector_suppressor_final=float(es[-1]),
        toxicity_auc=MappingProxyType(tox_auc),
        toxicity_max=MappingProxyType(tox_max),
        anc_nadir=nadir,
        neutropenia_grade=None if nadir is None else grade(nadir),
        platelet_nadir=plt,
        thrombocytopenia_grade=None if plt is None else platelet_grade(plt),
        dose_changes=dose_changes,
        doses=tuple(e for e in doses if e.time <= t[-1]),
    )


@dataclass(frozen=True)
class Comparison(PicklableViews):
    """Arms run on one scenario: metrics per arm and the time courses (not serialised)."""

    scenario: str
    days: float
    arms: tuple[ArmMetrics, ...]
    tables: Mapping[str, pd.DataFrame]
    notes: tuple[str, ...] = ()  # drug effects the scenario's model could not apply

    def to_frame(self) -> pd.DataFrame:
        """One row per arm: the metrics plus toxicity AUCs as tox_<name> columns."""
        rows = []
        for a in self.arms:
            row: dict[str, Any] = {"arm": a.name}
            row.update({m: getattr(a, m) for m in METRICS})
            row.update({f"tox_{k}": v for k, v in a.toxicity_auc.items()})
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the arms' metrics, with ``units`` (:func:`metric_units`)."""
        first = next(iter(self.tables.values()), None)
        return {
            "scenario": self.scenario,
            "days": self.days,
            "arms": [a.to_dict() for a in self.arms],
            "units": metric_units(first) if first is not None else {},
            "notes": list(self.notes),
        }


def _as_regimen(
    value: Regimen | str | None,
    where: str,
    scenario: str,
    allow_off_label: bool,
    *,
    off_label: bool = False,
) -> Regimen | None:
    """``value`` parsed in the scenario's body, its errors prefixed with ``where``; with
    ``off_label`` an off-label refusal too (else it comes when the arm runs)."""
    if value is None or isinstance(value, Regimen):
        return value
    if not value.strip() or value.strip().lower() in ("none", "untreated", "control"):
        return None
    try:
        reg = parse_regimen(
            value, body=body_for_scenario(scenario), allow_off_label=allow_off_label
        )
        if off_label:
            reg.events()
        return reg
    except ValidationError as exc:
        raise ValidationError(f"{where}: {exc}") from None


#: what the arguments of compare_arms and dose_response may be, for a wrong type's message
SCENARIO = "a scenario name such as 'default' (str)"
REGIMEN = "a regimen text, a parsed Regimen (senotwin.parse_regimen) or None (untreated)"


def compare_arms(
    scenario: str,
    arms: Mapping[str, Regimen | str | None],
    *,
    days: float | None = None,
    solver: SolverOptions | None = None,
    allow_off_label: bool = False,
    overrides: Mapping[str, float] | None = None,
    check_ranges: bool = True,
    dose_rules: DoseRules | None = None,
    **options: Any,
) -> Comparison:
    """Run every arm (name -> regimen; None/'none' = untreated) on ``scenario``.

    All arms run one therapy model carrying every arm's drugs. ``solver`` (and loose
    SolverOptions fields such as ``engine=``) set the numerics. Text regimens are dosed in the
    scenario's body (mouse for ``mouse_*``); off-label doses are refused unless
    ``allow_off_label`` (then said in the notes). ``overrides`` replaces parameter values in every
    arm (one ensemble member); ``check_ranges`` refuses values outside the parameters' declared
    ranges. With ``dose_rules`` the doses of
    myelosuppressive drugs are held or reduced on the simulated neutrophil count (each change
    in the arm's ``dose_changes``).
    """
    check_type(scenario, str, name="scenario", what=SCENARIO)
    check_type(arms, Mapping, name="arms", what="a mapping of arm names to regimens (dict)")
    for name, reg in arms.items():
        check_type(reg, (Regimen, str, type(None)), name=f"arms[{name!r}]", what=REGIMEN)
    check_type(days, (Real, type(None)), name="days", what="a number of days or None")
    check_type(overrides, (Mapping, type(None)), name="overrides", what=MAPPING)
    if not arms:
        raise ValidationError("compare needs at least one arm (NAME=REGIMEN)")
    opts = SolverOptions.of(solver, **options)
    sc = get_scenario(scenario)
    regs = {
        name: _as_regimen(reg, f"arm {name!r}", scenario, allow_off_label)
        for name, reg in arms.items()
    }
    drugs = tuple(sorted({d.id for r in regs.values() if r is not None for d in r.drugs()}))
    t_end = check_days(days if days is not None else sc.days, name="days")
    metrics = []
    tables: dict[str, pd.DataFrame] = {}
    notes: dict[str, list[str]] = {}  # note -> the arms that gave it
    for name, reg in regs.items():
        runner = _ArmRunner(
            sc, SharedTherapy(reg, drugs), t_end, opts, name, overrides, check_ranges
        )
        changes: tuple[str, ...] = ()
        given: tuple[DosingEvent, ...] = ()
        try:  # an off-label refusal (known only with the scenario's body) names its arm
            if dose_rules is not None and reg is not None:
                outcome = apply_dose_rules(reg.events(), runner, dose_rules, horizon=t_end)
                changes, given = outcome.changes, outcome.events
            else:
                runner(None)
                given = reg.events() if reg is not None else ()
        except ValidationError as exc:
            raise ValidationError(f"arm {name!r}: {exc}") from None
        res = runner.result
        tables[name] = res.table
        for note in res.provenance.notes:
            notes.setdefault(note, []).append(name)
        metrics.append(
            arm_metrics(name, reg.to_text() if reg else "", res.table, res.status, changes, given)
        )
    merged = merge_schedule_notes(notes)  # a dose-response's arms: one note, every dose
    named = tuple(_arms_note(note, notes.get(note), len(regs)) for note in merged)
    return Comparison(scenario, t_end, tuple(metrics), MappingProxyType(tables), named)


def _arms_note(note: str, arms: list[str] | None, n_arms: int) -> str:
    """``note`` led by the arms it is about when only some arms gave it (as ``cohort run``
    writes them: 'arm NAME: ...'); a merged dose-response note names its doses itself."""
    if arms is None or len(arms) == n_arms:
        return note
    return f"arm{'s' if len(arms) > 1 else ''} {', '.join(arms)}: {note}"


class _ArmRunner:
    """Runs one arm: its shared therapy as written, or exactly the doses given (dose rules)."""

    def __init__(
        self,
        scenario: Any,
        therapy: SharedTherapy,
        days: float,
        opts: SolverOptions,
        arm: str,
        overrides: Mapping[str, float] | None,
        check_ranges: bool,
    ) -> None:
        self.scenario, self.therapy, self.days, self.opts, self.arm = (
            scenario,
            therapy,
            days,
            opts,
            arm,
        )
        self.overrides, self.check_ranges = overrides, check_ranges
        self.result: Any = None

    def __call__(self, events: tuple[DosingEvent, ...] | None) -> pd.DataFrame:
        treat = self.therapy if events is None else EventTherapy(self.therapy, events)
        res = run_scenario(
            self.scenario,
            overrides=self.overrides,
            regimen=treat,
            days=self.days,
            solver=self.opts,
            check_ranges=self.check_ranges,
        )
        if not res.ok or len(res.table) != self.opts.grid(self.days).size:
            raise ValidationError(f"arm {self.arm!r}: simulation failed: {res.message}")
        self.result = res
        return res.table


@dataclass(frozen=True)
class DoseResponse:
    """Metrics of one drug across doses (each dose one arm on the same scenario), and of the
    control arm (the background regimen alone, or no drug), which the figure draws too."""

    drug: str
    unit: str
    doses: tuple[float, ...]
    comparison: Comparison
    schedule: str = ""  # the regimen-language schedule every dose follows
    background: str | None = None  # regimen every arm, the control included, is given
    control: ArmMetrics | None = None  # the control arm's metrics (None: not kept)

    def to_frame(self, *, control: bool = True) -> pd.DataFrame:
        """One row per dose (column ``dose``), after the control's row (arm ``control``, dose
        0; the text and JSON had no row for it although the figure draws it; ux53) unless
        ``control=False`` (the figure's dose axis, log scaled)."""
        rows = Comparison(
            self.comparison.scenario,
            self.comparison.days,
            self.comparison.arms
            if self.control is None or not control
            else (self.control, *self.comparison.arms),
            self.comparison.tables,
        )
        frame = rows.to_frame()
        frame.insert(1, "dose", ([0.0] if len(rows.arms) > len(self.doses) else []) + [*self.doses])
        return frame

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: every arm's metrics with its ``dose`` (the control's first, dose 0), and
        ``doses``, the doses run."""
        out = self.comparison.to_dict()
        out["arms"] = [
            a.to_dict() | {"dose": dose}
            for a, dose in zip(self.comparison.arms, self.doses, strict=True)
        ]
        if self.control is not None:
            out["arms"].insert(0, self.control.to_dict() | {"dose": 0.0})
        out.update(drug=self.drug, unit=self.unit, doses=list(self.doses))
        return out


def dose_response(
    scenario: str,
    drug: str,
    doses: Sequence[float],
    *,
    unit: str | None = None,
    route: str | None = None,
    schedule: str = "qd d0-d13",
    background: str | None = None,
    days: float | None = None,
    solver: SolverOptions | None = None,
    allow_off_label: bool = False,
    **options: Any,
) -> DoseResponse:
    """Run ``drug`` at each dose (same schedule, optional background regimen) plus a control.

    ``schedule`` is the regimen-language schedule part ('qd d0-d13', 'd0,d7', ...); ``unit``
    defaults to the drug's reference-dose unit and ``route`` to its reference route.
    """
    check_type(scenario, str, name="scenario", what=SCENARIO)
    check_type(drug, str, name="drug", what="a drug id or alias (str)")
    d = get_drug(drug)
    check_type(doses, (list, tuple, range, np.ndarray), name="doses", what="a list of doses")
    for i, x in enumerate(doses):
        check_type(x, Real, name=f"doses[{i}]", what="a dose (a number > 0)")
    for name, text in (("unit", unit), ("route", route), ("background", background)):
        check_type(text, (str, type(None)), name=name, what="a str or None")
    check_type(schedule, str, name="schedule", what="a regimen schedule such as 'qd d0-d13' (str)")
    if len(doses) == 0:  # an array's truth value is ambiguous
        raise ValidationError("dose-response needs at least one dose")
    for x in doses:
        if not (math.isfinite(x) and x > 0):
            raise ValidationError(f"doses (--doses) must be numbers > 0, got {x:g}")
    repeated = sorted({f"{x:g}" for x in doses if sum(f"{y:g}" == f"{x:g}" for y in doses) > 1})
    if repeated:
        raise ValidationError(f"doses: {', '.join(repeated)} given more than once (each dose once)")
    unit = unit or d.reference_dose.unit
    route = route or d.reference_dose.route
    route_part = "" if d.pk.model == "none" else f" {route}"
    prefix = f"{background.strip().rstrip(';')}; " if background and background.strip() else ""
    # its errors name the background, not the 'control' arm it becomes (audit, session 41)
    _as_regimen(background, "background (--background)", scenario, allow_off_label, off_label=True)
    arms: dict[str, str | None] = {"control": background or None}
    for x in doses:
        arms[f"{x:g} {unit}"] = f"{prefix}{d.id} {x:g} {unit}{route_part} {schedule}"
    comp = compare_arms(
        scenario,
        arms,
        days=days,
        solver=SolverOptions.of(solver, **options),
        allow_off_label=allow_off_label,
    )
    # rows are the dosed arms; the control's time course stays in ``tables`` for plots
    dosed = Comparison(comp.scenario, comp.days, comp.arms[1:], comp.tables, comp.notes)
    return DoseResponse(
        d.id,
        unit,
        tuple(float(x) for x in doses),
        dosed,
        schedule,
        prefix.rstrip("; ") or None,
        comp.arms[0],
    )
