"""Null test: the literature tier on random parameter sets drawn from the plausible ranges.

A suite that random models pass is no evidence. Each draw takes every ranged parameter of the
model log-uniformly within its ``range:`` (uniformly where the range starts at 0); the system's
context (tissue, host age, inducer) and each arm's own settings stay as written, because they
define the experiment. A draw whose simulation fails fails the cases that need it. Each case's
own null pass rate is kept too: a case that most random sets pass is no evidence on its own.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from senotwin._errors import ValidationError
from senotwin.analysis.validation.load import Case
from senotwin.analysis.validation.runner import DEFAULT_ENGINE, evaluate_case, simulate_cases
from senotwin.model.spec import ModelSpec

#: a case passed by at least this share of random parameter sets is flagged as uninformative
UNINFORMATIVE = 0.9


@dataclass(frozen=True)
class NullResult:
    """Pass rates of the random draws against the model's own pass rate (same cases), and the
    share of draws that pass each case."""

    n_cases: int
    model_rate: float
    rates: tuple[float, ...]
    seed: int
    failed_runs: int
    case_rates: tuple[tuple[str, float], ...] = ()  # (case id, share of draws passing it)

    @property
    def case_rate(self) -> dict[str, float]:
        """Case id -> share of the random parameter sets in which the case holds."""
        return dict(self.case_rates)

    def uninformative(self, threshold: float = UNINFORMATIVE) -> tuple[str, ...]:
        """Cases that at least ``threshold`` of the random sets pass."""
        return tuple(cid for cid, r in self.case_rates if r >= threshold)

    def structural(self) -> tuple[str, ...]:
        """Cases that every random set passes: their sign is fixed by the model's wiring, not by
        its numbers, so they belong to the consistency tier (docs/validation.md, Tiers)."""
        return tuple(cid for cid, r in self.case_rates if r >= 1.0 - 1e-12)

    @property
    def median(self) -> float:
        return float(np.median(self.rates))

    @property
    def p99(self) -> float:
        return float(np.percentile(self.rates, 99))

    @property
    def p_value(self) -> float:
        """One-sided: share of draws (plus one) passing at least as many cases as the model."""
        hits = sum(r >= self.model_rate - 1e-12 for r in self.rates)
        return (1 + hits) / (1 + len(self.rates))

    def to_dict(self) -> dict[str, object]:
        return {
            "n_draws": len(self.rates),
            "n_cases": self.n_cases,
            "seed": self.seed,
            "model_pass_rate": self.model_rate,
            "null_median": self.median,
            "null_p99": self.p99,
            "p_value": self.p_value,
            "failed_runs": self.failed_runs,
            "null_pass_rates": list(self.rates),
            "case_pass_rates": self.case_rate,
            "uninformative_threshold": UNINFORMATIVE,
            "uninformative_cases": list(self.uninformative()),
            "structural_cases": list(self.structural()),
        }


def draw_parameters(
    spec: ModelSpec, rng: np.random.Generator, *, skip: frozenset[str] = frozenset()
) -> dict[str, float]:
    """One random parameter set: log-uniform within each declared range (uniform from 0);
    parameters in ``skip`` are not drawn."""
    out = {}
    for p in spec.parameters:
        if p.id in skip:
            continue
        if p.range is None:
            continue
        lo, hi = float(p.range[0]), float(p.range[1])
        if hi <= lo:
            out[p.id] = lo
        elif lo > 0:
            out[p.id] = float(math.exp(rng.uniform(math.log(lo), math.log(hi))))
        else:
            out[p.id] = float(rng.uniform(lo, hi))
    return out


def run_null(
    cases: Sequence[Case],
    model_rate: float,
    *,
    n: int,
    seed: int = 0,
    engine: str = DEFAULT_ENGINE,
) -> NullResult:
    """Run ``cases`` on ``n`` random parameter sets; ``model_rate`` is the nominal pass rate."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValidationError(
            f"--null: the number of random parameter sets must be >= 1, got {n!r}"
        )
    if not cases:
        raise ValidationError("--null: there are no cases to run")
    # the model most cases use draws first (its draws do not depend on the other models); the
    # parameters only other models have (overlays: the mouse, the vaccine site) draw from a
    # second stream of the same seed, and a parameter shared by several models gets one value
    uses = Counter(c.scenario.load().id for c in cases)
    specs = {c.scenario.load().id: c.scenario.load() for c in cases}
    main = specs[uses.most_common(1)[0][0]]
    others = [s for sid, s in sorted(specs.items()) if sid != main.id]
    rng = np.random.default_rng(seed)
    rng_other = np.random.default_rng([seed, 1])
    rates = []
    failed = 0
    held = dict.fromkeys((c.spec_case.id for c in cases), 0)
    for _ in range(n):
        draw = draw_parameters(main, rng)
        for other in others:
            draw |= draw_parameters(other, rng_other, skip=frozenset(draw))
        tables = simulate_cases(cases, engine=engine, base_params=draw)
        failed += sum(t is None for t in tables.values())
        results = [evaluate_case(c, tables) for c in cases]
        rates.append(sum(r.passed for r in results) / len(results))
        for r in results:
            held[r.id] += r.passed
    per_case = tuple((cid, k / n) for cid, k in held.items())
    return NullResult(len(cases), model_rate, tuple(rates), seed, failed, per_case)
