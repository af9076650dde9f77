"""Registry of signature-scoring methods: one record per method, the one place to add a method.

A :class:`ScoringMethod` holds the method's name, its options (a frozen dataclass with defaults),
the scorer ``(X, W, options, rng) -> scores`` built on a kernel of :mod:`senotwin.sc.kernels`,
and its reference. :func:`senotwin.sc.scoring.score_matrix`, ``senotwin score --method`` and its
help text read this registry; nothing else switches on the method name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from senotwin._errors import ValidationError
from senotwin._registry import Registry
from senotwin.sc.kernels import (
    FloatArray,
    Matrix,
    gene_stats,
    matched_controls,
    mean_z,
    rank_score,
    ulm,
)

#: a scorer: (X observations × genes, W genes × sets, options, rng) -> observations × sets
Scorer = Callable[[Matrix, FloatArray, Any, np.random.Generator], FloatArray]


@dataclass(frozen=True)
class NoOptions:
    """A method without options."""


@dataclass(frozen=True)
class ScoringMethod:
    """A scoring method: name, options type, scorer, reference, one-line description, whether
    it draws random numbers (then the run's seed is recorded with the scores), and the fewest
    observations it can score, with the reason when that is more than one."""

    name: str
    options: type[Any]
    score: Scorer
    reference: str
    description: str
    uses_seed: bool = False
    min_observations: int = 1
    min_observations_why: str = ""

    def check_observations(self, n_obs: int) -> None:
        """Refuse too few observations, pointing to the methods that score each on its own."""
        if n_obs >= self.min_observations:
            return
        alone = [m.name for m in SCORING_METHODS.records() if m.min_observations <= 1]
        alternatives = " or ".join(repr(n) for n in alone)
        raise ValidationError(
            f"method {self.name!r} {self.min_observations_why} and needs at least "
            f"{self.min_observations}, got {n_obs}; use method {alternatives}, which score "
            "each sample on its own"
        )

    def make_options(self, values: Mapping[str, Any] | None = None) -> Any:
        """The options dataclass from ``values``; an unknown option names the allowed ones."""
        values = dict(values or {})
        fields = {f.name: f for f in dataclasses.fields(self.options)}
        unknown = sorted(set(values) - set(fields))
        if unknown:
            allowed = ", ".join(fields) or "none"
            raise ValidationError(
                f"scoring method {self.name!r} has no option(s) {', '.join(unknown)} "
                f"(its options: {allowed})"
            )
        for key, value in values.items():
            want = type(getattr(self.options(), key))
            if want is int and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValidationError(
                    f"option {key} of scoring method {self.name!r} must be an integer, "
                    f"got {value!r}"
                )
        return self.options(**values)

    def options_from_text(self, items: Sequence[str]) -> Any:
        """The options from ``KEY=VALUE`` strings (command line), typed like their defaults."""
        defaults = self.option_defaults()
        values: dict[str, Any] = {}
        for item in items:
            key, sep, text = item.partition("=")
            key = key.strip()
            if not sep or not key:
                raise ValidationError(f"--option {item!r} is not KEY=VALUE")
            if key not in defaults:
                self.make_options({key: text})  # raises, naming the allowed options
            kind = type(defaults[key])
            try:
                values[key] = kind(text.strip())
            except ValueError:
                raise ValidationError(
                    f"--option {key}={text!r}: {self.name} expects {kind.__name__} "
                    f"(default {defaults[key]!r})"
                ) from None
        return self.make_options(values)

    def option_defaults(self) -> dict[str, Any]:
        """Option names and their default values."""
        return dataclasses.asdict(self.options())


# ---- the methods ---------------------------------------------------------------------------
@dataclass(frozen=True)
class MeanZOptions:
    """Control genes per signature gene, and expression bins they are matched in."""

    ctrl_size: int = 50
    n_bins: int = 25

    def __post_init__(self) -> None:
        if self.ctrl_size < 1:
            raise ValidationError(f"ctrl_size must be >= 1, got {self.ctrl_size}")
        if self.n_bins < 1:
            raise ValidationError(f"n_bins must be >= 1, got {self.n_bins}")


def _score_mean_z(
    x: Matrix, w: FloatArray, opts: MeanZOptions, rng: np.random.Generator
) -> FloatArray:
    stats = gene_stats(x)
    ctrl = matched_controls(w, stats, ctrl_size=opts.ctrl_size, n_bins=opts.n_bins, rng=rng)
    return mean_z(x, w, stats=stats, controls=ctrl)


@dataclass(frozen=True)
class RankOptions:
    """Ranks above ``max_rank`` count as ``max_rank + 1`` (UCell's cap)."""

    max_rank: int = 1500

    def __post_init__(self) -> None:
        if self.max_rank < 1:
            raise ValidationError(f"max_rank must be >= 1, got {self.max_rank}")


def _score_rank(
    x: Matrix, w: FloatArray, opts: RankOptions, rng: np.random.Generator
) -> FloatArray:
    return rank_score(x, w, max_rank=opts.max_rank)


def _score_ulm(x: Matrix, w: FloatArray, opts: NoOptions, rng: np.random.Generator) -> FloatArray:
    return ulm(x, w)


def _builtin_methods(registry: Registry[ScoringMethod]) -> None:
    registry.register(
        ScoringMethod(
            "mean_z",
            MeanZOptions,
            _score_mean_z,
            "controls as in Tirosh et al. 2016 Science 352:189 / scanpy score_genes (Wolf et "
            "al. 2018 Genome Biol 19:15)",
            "direction-aware mean z-score minus matched control genes",
            uses_seed=True,
            min_observations=2,
            min_observations_why="standardises each gene across observations (one sample "
            "would score 0.0)",
        )
    )
    registry.register(
        ScoringMethod(
            "rank",
            RankOptions,
            _score_rank,
            "Andreatta & Carmona 2021 Comput Struct Biotechnol J 19:3796 (UCell)",
            "UCell-like Mann-Whitney U rank score, signed as U(up) - U(down)",
        )
    )
    registry.register(
        ScoringMethod(
            "ulm",
            NoOptions,
            _score_ulm,
            "Badia-i-Mompel et al. 2022 Bioinform Adv 2:vbac016 (decoupler)",
            "univariate linear model t-value of the expression on the signature weights",
        )
    )


#: every scoring method, built-ins always present (see :mod:`senotwin._registry`)
SCORING_METHODS: Registry[ScoringMethod] = Registry("scoring method", _builtin_methods)


def register_method(method: ScoringMethod, *, replace: bool = False) -> ScoringMethod:
    """Add a scoring method; an existing name needs ``replace=True``."""
    if not dataclasses.is_dataclass(method.options):
        raise ValidationError(
            f"scoring method {method.name!r}: options must be a dataclass type, "
            f"got {method.options!r}"
        )
    return SCORING_METHODS.register(method, replace=replace)


def get_method(name: str) -> ScoringMethod:
    """The scoring method called ``name``; unknown names list the registered ones."""
    return SCORING_METHODS.get(name)


def methods_help() -> str:
    """Help text for ``--method``: each method with its options, from the registry."""
    parts = []
    for m in SCORING_METHODS.records():
        opts = ", ".join(f"{k}={v}" for k, v in m.option_defaults().items())
        parts.append(f"{m.name} ({m.description}{'; options ' + opts if opts else ''})")
    return "One of: " + "; ".join(parts) + "."


__all__ = [
    "SCORING_METHODS",
    "MeanZOptions",
    "NoOptions",
    "RankOptions",
    "ScoringMethod",
    "get_method",
    "methods_help",
    "register_method",
]
