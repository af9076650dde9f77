"""Therapy arms over a posterior ensemble: each arm's outcome as a median and 90 % interval,
and for each pair of arms the shares in which one beats the other, ties it or loses (issues
12.5 and 13.6).

Every ensemble member (a row of parameter values, e.g. ``senotwin calibrate --ensemble``'s
``ensemble.tsv``) runs every arm once; columns that are not parameters of the scenario's model
(noise sigmas, initial amounts of a calibration submodel) are ignored and listed. A claim "A
beats B" is printed as *supported* only when A is strictly better in at least ``SUPPORT``
(80 %) of the members (a tie is no win): a sequencing claim (senolytic before vs after an ICI)
is one such pair of arms.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from senotwin._ensembles import check_members
from senotwin._errors import ValidationError
from senotwin._io import numeric_table
from senotwin._suggest import did_you_mean
from senotwin.analysis.therapy import METRICS, ArmMetrics, compare_arms, metric_units
from senotwin.model.scenarios import get_scenario
from senotwin.sim import SolverOptions
from senotwin.sim.scenario import prepare_scenario
from senotwin.therapy.language import Regimen

#: share of ensemble members in which a claim must hold to be called supported
SUPPORT = 0.8
#: the direction in which each metric is better (+1 higher, -1 lower)
BETTER: Mapping[str, int] = {
    "final_tumour": -1,
    "min_tumour": -1,
    "tumour_auc": -1,
    "time_to_progression": 1,
    "senescent_auc": -1,
    "sasp_auc": -1,
    "effector_suppressor_mean": 1,
    "effector_suppressor_final": 1,
}


def _value(arm: ArmMetrics, metric: str) -> float:
    v = getattr(arm, metric)
    if v is None:  # no progression within follow-up: later than any observed progression
        return math.inf
    return float(v)


@dataclass(frozen=True)
class PairwiseClaim:
    """The claim "``arm`` beats ``other`` on ``metric``", paired over ``members``: the shares
    in which ``arm`` is strictly better (``wins``), equal (``ties``) and worse (``losses``).
    Supported when wins >= ``SUPPORT``: a tie is no win (PFS read on a scan calendar often ties,
    and counting ties half reported wins that never happened, audit s42)."""

    arm: str
    other: str
    metric: str
    wins: float
    ties: float
    losses: float
    members: int
    median_difference: float = 0.0  # median over members of (arm - other), metric units
    unit: str = "ensemble members"  # what was counted (cohorts: ensemble-drawn patients)

    @property
    def supported(self) -> bool:
        return self.wins >= SUPPORT

    def sentence(self) -> str:
        """One line for the terminal: wins, ties and losses, the median difference, the verdict."""
        verdict = "supported" if self.supported else f"not supported (< {SUPPORT:.0%})"
        diff = _difference(self.median_difference)
        return (
            f"{self.arm} beats {self.other} on {self.metric} in {_share(self.wins)} of "
            f"{self.members} {self.unit} (ties {_share(self.ties)}, {self.other} better "
            f"{_share(self.losses)}; median difference {diff}): {verdict}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "claim": f"{self.arm} beats {self.other}",
            "arm": self.arm,
            "other": self.other,
            "metric": self.metric,
            "win_share": self.wins,
            "tie_share": self.ties,
            "loss_share": self.losses,
            "members": self.members,
            "unit": self.unit,
            "median_difference": (
                self.median_difference if math.isfinite(self.median_difference) else None
            ),
            "supported": self.supported,
            "support_rule": f"win_share >= {SUPPORT:g} (ties are not wins)",
        }


def _share(x: float) -> str:
    """A share as a whole percent; one decimal where rounding would reach the support
    threshold from below (79.5 % printed as '80%' beside 'not supported' reads as a bug)."""
    if x < SUPPORT and round(x * 100) >= SUPPORT * 100:
        return f"{x:.1%}"
    return f"{x:.0%}"


def _difference(d: float) -> str:
    """A median difference for the terminal (infinite: one arm's event lies beyond follow-up)."""
    return f"{d:+.3g}" if math.isfinite(d) else "beyond follow-up"


def paired_shares(a: np.ndarray, b: np.ndarray, direction: int) -> tuple[float, float, float]:
    """Shares of paired members in which ``a`` is strictly better than ``b``, equal, and worse
    (``direction`` +1: higher is better, -1: lower is better)."""
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    if a.shape != b.shape or a.size == 0:
        raise ValidationError("paired_shares needs two equally long, non-empty series")
    # comparisons, not differences: inf vs inf (no progression in either arm) is a tie
    wins = np.sum(direction * a > direction * b)
    losses = np.sum(direction * a < direction * b)
    ties = np.sum(a == b)
    return float(wins / a.size), float(ties / a.size), float(losses / a.size)


def one_per_pair(claims: Sequence[PairwiseClaim]) -> tuple[PairwiseClaim, ...]:
    """One claim per unordered pair of arms and metric, for the terminal: the direction with
    more wins than losses (even: the first listed), so both orders of a pair are not printed."""
    chosen: dict[frozenset[str], PairwiseClaim] = {}
    for c in claims:
        key = frozenset((c.arm, c.other, c.metric))
        if key not in chosen or c.wins > chosen[key].wins:
            chosen[key] = c
    return tuple(chosen.values())


#: cohort endpoints compared patient by patient: (time column, event column); higher is better
PATIENT_METRICS: Mapping[str, tuple[str, str]] = {
    "pfs": ("pfs_days", "pfs_event"),
    "os": ("os_days", "os_event"),
}


def patient_claims(rows: pd.DataFrame, metric: str = "pfs") -> tuple[PairwiseClaim, ...]:
    """For each ordered pair of a cohort's arms, the shares of patients who do strictly better,
    the same and worse on the first (every arm sees the same patients; with ``cohort run
    --ensemble`` each patient runs with one ensemble member drawn for it, so the shares are over
    ensemble-weighted patients).

    A patient without the event within follow-up counts as beyond it (two such arms tie);
    patients whose run failed in either arm are left out.
    """
    if metric not in PATIENT_METRICS:
        raise ValidationError(
            f"metric {metric!r}; allowed: {', '.join(PATIENT_METRICS)}"
            + did_you_mean(metric, list(PATIENT_METRICS))
        )
    time_col, event_col = PATIENT_METRICS[metric]
    need = {"patient", "arm", "status", time_col, event_col}
    if missing := need - set(rows.columns):
        raise ValidationError(f"cohort rows lack columns {sorted(missing)}")
    ok = rows[rows["status"] == "success"]
    value = np.where(ok[event_col].astype(bool), ok[time_col].astype(float), math.inf)
    wide = pd.DataFrame({"patient": ok["patient"], "arm": ok["arm"], "v": value}).pivot(
        index="patient", columns="arm", values="v"
    )
    wide = wide.dropna()
    arms = [a for a in dict.fromkeys(rows["arm"]) if a in wide.columns]
    out = []
    for a in arms:
        for b in arms:
            if a == b or not len(wide):
                continue
            va, vb = wide[a].to_numpy(dtype=float), wide[b].to_numpy(dtype=float)
            same = va == vb
            with np.errstate(invalid="ignore"):
                diff = np.where(same, 0.0, va - vb)
            out.append(
                PairwiseClaim(
                    a,
                    b,
                    f"{metric} (days)",
                    *paired_shares(va, vb, 1),
                    len(wide),
                    float(np.median(diff)),
                    unit="patients",
                )
            )
    return tuple(out)


@dataclass(frozen=True)
class EnsembleComparison:
    """Per member and arm, every metric (``values``: columns member, arm, METRICS); the
    parameters that varied, the columns ignored, and the members whose runs failed."""

    scenario: str
    days: float
    arms: tuple[str, ...]
    values: pd.DataFrame
    parameters: tuple[str, ...]
    ignored: tuple[str, ...]
    failed: tuple[int, ...]
    metric: str = "final_tumour"
    notes: tuple[str, ...] = ()
    units: Mapping[str, str] = field(default_factory=dict)  # metric -> unit (metric_units)

    @property
    def members(self) -> int:
        """Members that ran in every arm."""
        return int(self.values["member"].nunique()) if len(self.values) else 0

    def summary(self) -> pd.DataFrame:
        """One row per arm and metric: median, 5 % and 95 % quantiles over the members
        (time_to_progression: members without progression count as beyond follow-up)."""
        rows = []
        for arm in self.arms:
            sel = self.values[self.values["arm"] == arm]
            for m in METRICS:
                v = sel[m].to_numpy(dtype=float)
                # inf (no progression) cannot be interpolated: then take order statistics
                if not v.size:
                    q05 = q50 = q95 = math.nan
                elif np.isinf(v).any():
                    q05, q50, q95 = np.quantile(v, [0.05, 0.5, 0.95], method="inverted_cdf")
                else:
                    q05, q50, q95 = np.quantile(v, [0.05, 0.5, 0.95])
                rows.append(
                    {
                        "arm": arm,
                        "metric": m,
                        "median": q50,
                        "q05": q05,
                        "q95": q95,
                        "no_progression": float(np.mean(np.isinf(v))) if v.size else math.nan,
                    }
                )
        return pd.DataFrame(rows)

    def claims(self, metric: str | None = None) -> tuple[PairwiseClaim, ...]:
        """For each ordered pair of arms, the shares of members in which the first beats the
        second on ``metric`` (default: the comparison's), ties it and loses; both orders."""
        m = metric or self.metric
        if m not in BETTER:
            raise ValidationError(
                f"metric {m!r}; allowed: {', '.join(BETTER)}{did_you_mean(m, list(BETTER))}"
            )
        wide = self.values.pivot(index="member", columns="arm", values=m)
        out = []
        for a in self.arms:
            for b in self.arms:
                if a == b:
                    continue
                va, vb = wide[a].to_numpy(dtype=float), wide[b].to_numpy(dtype=float)
                shares = paired_shares(va, vb, BETTER[m])
                same = va == vb  # both inf (no progression in either arm) differ by 0
                with np.errstate(invalid="ignore"):
                    diff = np.where(same, 0.0, va - vb)
                out.append(PairwiseClaim(a, b, m, *shares, len(wide), float(np.median(diff))))
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        def clean(x: float) -> float | None:
            return None if math.isnan(x) else (x if math.isfinite(x) else None)

        summary = [
            {k: (clean(v) if isinstance(v, float) else v) for k, v in row.items()}
            for row in self.summary().to_dict("records")
        ]
        return {
            "scenario": self.scenario,
            "days": self.days,
            "arms": list(self.arms),
            "members": self.members,
            "failed_members": list(self.failed),
            "parameters": list(self.parameters),
            "ignored_columns": list(self.ignored),
            "summary": summary,
            "units": dict(self.units),
            "support_threshold": SUPPORT,
            "claims": [c.to_dict() for c in self.claims()],
            "notes": list(self.notes),
            "note": "time_to_progression: null quantiles lie beyond follow-up (no progression)",
        }


def ensemble_parameters(scenario: str, sets: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Columns of ``sets`` that are parameters of ``scenario``'s model, and the others."""
    spec = prepare_scenario(get_scenario(scenario)).spec
    used = [str(c) for c in sets.columns if c in spec.parameter_ids]
    ignored = [str(c) for c in sets.columns if c not in spec.parameter_ids]
    if not used:
        raise ValidationError(
            f"ensemble: no parameter of {spec.id} among its columns "
            f"({', '.join(map(str, sets.columns))})"
        )
    if len(sets) == 0:
        raise ValidationError("ensemble: no parameter sets (rows)")
    numeric_table(sets[used], what="ensemble", nonnegative=True)
    return used, ignored


def outside_ranges(scenario: str, sets: pd.DataFrame, used: list[str]) -> tuple[str, ...]:
    """One note per parameter with members outside its declared ``range:`` (they still run:
    a calibrated posterior may leave a prior plausible range, which is worth saying)."""
    spec = prepare_scenario(get_scenario(scenario)).spec
    notes = []
    for pid in used:
        rng = spec.parameter(pid).range
        if rng is None:
            continue
        v = pd.to_numeric(sets[pid]).to_numpy(dtype=float)
        n = int(np.sum((v < rng[0]) | (v > rng[1])))
        if n:
            notes.append(
                f"{pid}: {n} of {v.size} members outside its declared range "
                f"[{rng[0]:g}, {rng[1]:g}] (run anyway)"
            )
    return tuple(notes)


def compare_arms_ensemble(
    scenario: str,
    arms: Mapping[str, Regimen | str | None],
    sets: pd.DataFrame,
    *,
    days: float | None = None,
    metric: str = "final_tumour",
    max_members: int | None = None,
    solver: SolverOptions | None = None,
    allow_off_label: bool = False,
    **options: Any,
) -> EnsembleComparison:
    """Run every arm once per ensemble member (row of ``sets``) on ``scenario``.

    ``max_members`` keeps the first N rows (a posterior chain's rows are exchangeable draws);
    a member whose run fails in any arm is left out of every arm and counted.
    """
    if metric not in BETTER:
        raise ValidationError(
            f"metric {metric!r}; allowed: {', '.join(BETTER)}{did_you_mean(metric, list(BETTER))}"
        )
    if max_members is not None:
        if isinstance(max_members, bool) or not isinstance(max_members, int) or max_members < 1:
            raise ValidationError(f"max_members = {max_members!r}; allowed: a whole number >= 1")
        check_members(max_members, len(sets), name="max_members")
        sets = sets.iloc[:max_members]
    used, ignored = ensemble_parameters(scenario, sets)
    base = get_scenario(scenario)
    notes: dict[str, None] = dict.fromkeys(outside_ranges(scenario, sets, used))
    rows: list[dict[str, Any]] = []
    failed: list[int] = []
    days_run = base.days if days is None else days
    units: dict[str, str] = {}
    for k, (_, row) in enumerate(sets[used].iterrows()):
        member = {p: float(row[p]) for p in used}
        try:
            comp = compare_arms(
                scenario,
                arms,
                days=days,
                solver=solver,
                overrides=member,
                check_ranges=False,
                allow_off_label=allow_off_label,
                **options,
            )
        except ValidationError as exc:
            if "simulation failed" not in str(exc):
                raise
            failed.append(k)
            continue
        days_run = comp.days
        notes |= dict.fromkeys(comp.notes)
        if not units:
            units = metric_units(next(iter(comp.tables.values())))
            units = {m: units[m] for m in METRICS}
        for a in comp.arms:
            rows.append({"member": k, "arm": a.name} | {m: _value(a, m) for m in METRICS})
    if not rows:
        raise ValidationError(f"every one of the {len(sets)} ensemble members failed to run")
    return EnsembleComparison(
        scenario=scenario,
        days=float(days_run),
        arms=tuple(arms),
        values=pd.DataFrame(rows),
        parameters=tuple(used),
        ignored=tuple(ignored),
        failed=tuple(failed),
        metric=metric,
        notes=tuple(notes),
        units=units,
    )
