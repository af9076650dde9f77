"""Validation case schema v2: tier, source, experimental system, arms, read-out, expectation.

Plain pydantic records (strict, unknown fields rejected). Rules that need the model — known
entities and parameters, the read-out's expression, the algebraic-identity rule — live in
:mod:`senotwin.analysis.validation.rules`; the records here check only their own fields.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Tier = Literal["consistency", "literature", "calibration"]
TIERS: tuple[Tier, ...] = ("consistency", "literature", "calibration")
Stat = Literal[
    "at",
    "max",
    "min",
    "mean",
    "time_to_peak",
    "time_to_half_max",
    "half_life",
    "doubling_time",
    "time_to_fold",
    "min_fold",
]
#: statistics whose value is a time in days (not in the read-out's unit)
TIME_STATS = frozenset(
    {"time_to_peak", "time_to_half_max", "half_life", "doubling_time", "time_to_fold"}
)
#: statistics whose value is a ratio to the window's first value (unit "fold")
FOLD_STATS = frozenset({"min_fold"})


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, str_strip_whitespace=True)


def _finite(value: float, what: str) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return value


class Source(_Record):
    """Where the claim and its number come from: paper, panel, the number as read, review."""

    paper: str = Field(min_length=3)
    panel: str | None = None  # figure / table panel of the paper
    number: str | None = None  # the value as read in the panel (mean, spread, n)
    review_section: str = Field(min_length=1)
    refs: tuple[int, ...] = ()  # reference numbers of the review


class System(_Record):
    """The experimental system, mapped onto the model's contexts (tissue, host age, inducer).

    ``tumour`` is the paper's tumour as written; ``tissue`` the model's tissue preset that
    stands in for it. ``scenario`` runs a named scenario instead (consistency cases).
    """

    species: Literal["human", "mouse"] = "human"
    tumour: str = "NSCLC"
    host_age: Literal["young", "aged"] = "aged"
    inducer: Literal["none", "chemo", "chronic", "cdk46i", "ois"] = "chemo"
    tissue: str = "lung"
    scenario: str | None = None


class BlockWindow(_Record):
    """A block applied only from ``start`` to ``end`` (days; no end = to the end of the run)."""

    fraction: float = Field(ge=0.0, le=1.0)
    start: float = Field(ge=0.0)
    end: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> BlockWindow:
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end {self.end} must be after start {self.start}")
        return self


BlockValue = Annotated[float, Field(ge=0.0, le=1.0)] | BlockWindow


class Arm(_Record):
    """One condition: blocks (whole run or a window), parameter values, initial amounts, and
    an optional drug regimen in the regimen language (drugs with PK/PD from the library).

    ``off_label`` says why a regimen the library calls off-label for the body (a dose outside
    its labelled range, a drug without a labelled human range) is run: the trial gave it. Only
    with it does such a regimen run; every output shows it.
    """

    blocks: dict[str, BlockValue] = Field(default_factory=dict)
    params: dict[str, float] = Field(default_factory=dict)
    initial: dict[str, float] = Field(default_factory=dict)
    regimen: str | None = Field(default=None, min_length=1)
    off_label: str | None = Field(default=None, min_length=5)

    @model_validator(mode="after")
    def _off_label_needs_a_regimen(self) -> Arm:
        if self.off_label is not None and self.regimen is None:
            raise ValueError("'off_label' explains a regimen: give 'regimen' too")
        return self

    @field_validator("params", "initial")
    @classmethod
    def _finite_values(cls, value: dict[str, float]) -> dict[str, float]:
        for k, v in value.items():
            _finite(v, k)
        return value


class Measure(_Record):
    """How an arm's read-out becomes one number: a day, or a statistic over a day window.

    ``time_to_peak``: day of the maximum in the window; ``time_to_half_max``: first day the
    read-out reaches half its window maximum; ``half_life``: days from the window maximum until
    the read-out falls to half of it (infinite if it never does); ``doubling_time``: days from
    the window start until the read-out first reaches twice its value there (infinite if never);
    ``time_to_fold``: the same for ``fold`` times the start value (a RECIST progression, a
    20 % larger diameter, is ``fold: 1.728`` of a volume); ``min_fold``: the window's minimum
    over its first value (a best response; 0.343 of a volume is a 30 % smaller diameter).
    """

    stat: Stat = "at"
    at: float | None = Field(default=None, ge=0.0)
    window: tuple[float, float] | None = None
    fold: float | None = Field(default=None, gt=0.0)

    @model_validator(mode="after")
    def _when(self) -> Measure:
        if self.stat == "at":
            if self.at is None or self.window is not None:
                raise ValueError("stat 'at' needs 'at: DAY' and no window")
        else:
            if self.window is None or self.at is not None:
                raise ValueError(f"stat {self.stat!r} needs 'window: [START, END]' and no 'at'")
            lo, hi = self.window
            if not (0.0 <= lo < hi):
                raise ValueError(
                    f"window {list(self.window)} must be [start, end] with 0 <= start < end"
                )
        if (self.stat == "time_to_fold") != (self.fold is not None):
            raise ValueError("'fold: RATIO' goes with stat 'time_to_fold' and only with it")
        if self.fold is not None and (not math.isfinite(self.fold) or self.fold == 1.0):
            raise ValueError(f"fold {self.fold!r} must be a finite ratio other than 1")
        return self

    @property
    def t_needed(self) -> float:
        """Last day this measure reads."""
        return float(self.at) if self.at is not None else float(self.window[1])  # type: ignore[index]

    def describe(self) -> str:
        if self.stat == "at":
            return f"day {self.at:g}"
        lo, hi = self.window  # type: ignore[misc]
        what = self.stat.replace("_", " ")
        if self.stat == "time_to_fold":
            what = f"time to {self.fold:g}-fold"
        elif self.stat == "min_fold":
            what = "minimum as fold of the start"
        return f"{what} over days {lo:g}-{hi:g}"


class _Ranged(_Record):
    range: tuple[float, float]

    @field_validator("range")
    @classmethod
    def _ordered(cls, value: tuple[float, float]) -> tuple[float, float]:
        lo, hi = value
        _finite(lo, "range start")
        _finite(hi, "range end")
        if lo > hi:
            raise ValueError(f"range [{lo}, {hi}] must be [low, high]")
        return value


class FoldChange(_Ranged):
    """perturbed / control of the measured read-out lies in ``range`` (a quantitative case)."""

    kind: Literal["fold_change"]
    basis: str = Field(min_length=3)  # how the range follows from the paper's value and spread


class PercentChange(_Ranged):
    """100 x (perturbed / control - 1) lies in ``range`` percent (a quantitative case)."""

    kind: Literal["percent_change"]
    basis: str = Field(min_length=3)


class Value(_Ranged):
    """The control arm's measured value lies in ``range`` ``unit`` (single-arm case)."""

    kind: Literal["value"]
    unit: str = Field(min_length=1)
    basis: str = Field(min_length=3)


class Direction(_Record):
    """Direction only (the source gives no usable magnitude): labelled so in every output."""

    kind: Literal["direction"]
    direction: Literal["increase", "decrease", "unchanged"]
    min_effect: float = Field(default=0.05, gt=0.0)
    tolerance: float = Field(default=0.05, gt=0.0)


class PeakOrder(_Record):
    """In the control arm, ``first`` reaches its measure (peak or half-maximum) before ``then``."""

    kind: Literal["peak_order"]
    first: str
    then: str
    by: Literal["time_to_peak", "time_to_half_max"] = "time_to_half_max"


Expect = Annotated[
    FoldChange | PercentChange | Value | Direction | PeakOrder, Field(discriminator="kind")
]
QUANTITATIVE = ("fold_change", "percent_change", "value")


class CaseSpec(_Record):
    """One validation case as written in the cases file."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$")
    tier: Tier
    claim: str = Field(min_length=5)
    source: Source
    system: System = Field(default_factory=System)
    control: Arm = Field(default_factory=Arm)
    perturbed: Arm | None = None
    readout: str = Field(min_length=1)  # species / observable id or an expression of them
    unit: str | None = None  # the read-out's unit (filled from the model for a single id)
    measure: Measure
    expect: Expect
    dataset: str | None = None  # calibration tier: the data set the case was fitted to
    note: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> CaseSpec:
        two_arm = self.expect.kind in ("fold_change", "percent_change", "direction")
        if two_arm and self.perturbed is None:
            raise ValueError(f"expect kind {self.expect.kind!r} compares arms: give 'perturbed'")
        if not two_arm and self.perturbed is not None:
            raise ValueError(f"expect kind {self.expect.kind!r} reads the control arm only")
        if self.tier == "calibration" and not self.dataset:
            raise ValueError("a calibration case must name its data set ('dataset')")
        if self.tier == "literature":
            if not self.source.panel:
                raise ValueError("a literature case must give the paper's panel (source.panel)")
            if not self.source.refs:
                raise ValueError("a literature case must give the review's refs (source.refs)")
        return self

    @property
    def quantitative(self) -> bool:
        """False for direction-only (and peak-order) cases."""
        return self.expect.kind in QUANTITATIVE


class CasesFile(_Record):
    """The cases document: a schema version and the cases."""

    version: Literal[2]
    cases: tuple[CaseSpec, ...]
