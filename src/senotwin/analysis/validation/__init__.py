"""Validation suite v2 of the physical-units model: tiered cases, effect sizes, a null test.

Cases live in ``analysis/data/validation_cases.yaml`` (schema: :mod:`.schema`). Each has a tier
(``consistency``: structural and algebraic expectations; ``literature``: a claim of the review or
a primary paper it cites, with the paper's number and panel where it gives one; ``calibration``:
data used to set parameters, naming the data set), an experimental system mapped onto the
model's contexts, and an expectation — a fold or percent change, a value range with units, a
time-course shape, or a direction where the source gives nothing more (labelled so).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from senotwin._ensembles import check_members, ensemble_file
from senotwin._errors import ValidationError, check_seed, check_type
from senotwin.analysis.validation.ensemble import (
    EnsembleFile,
    case_robustness,
    load_ensemble,
    read_ensemble,
)
from senotwin.analysis.validation.load import Case, cases_path, load_cases, parse_cases
from senotwin.analysis.validation.null import NullResult, draw_parameters, run_null
from senotwin.analysis.validation.rules import algebraic_closure, scenario_for
from senotwin.analysis.validation.runner import (
    DEFAULT_ENGINE,
    CaseResult,
    TierCount,
    ValidationReport,
    run_cases,
)

#: what ``null`` may be
NULL_DRAWS = "a whole number >= 0 (random parameter sets of the null test; 0 = no null test)"


def run_validation(
    path: str | Path | None = None,
    *,
    cases: Sequence[Case] | None = None,
    engine: str = DEFAULT_ENGINE,
    null: int = 0,
    seed: int = 0,
    ensemble: str | Path | None = None,
    members: int | None = None,
) -> ValidationReport:
    """Load the cases (shipped by default), run them, the null test on ``null`` draws, and
    each case's robustness over the parameter sets of an ``ensemble`` CSV/TSV when given (its
    first ``members`` sets only, when given: rows of independent draws, such as the shipped
    posterior's, are then a random subsample). ``ensemble="shipped"`` names the package's
    liu2019 posterior, as ``--ensemble shipped`` does (``Path("shipped")`` is a file).
    ``cases``: cases already loaded (instead of reading ``path``), so a caller that needs them
    too reads the file once.

    Returns a :class:`ValidationReport`: every case's result, per-tier counts, and the null
    test and robustness when asked for (``report.to_dict()`` is ``validate --json``)."""
    from dataclasses import replace

    check_seed(seed)
    # checked before the suite runs (run_null refused it only after every case had run)
    check_type(null, int, name="null", what=NULL_DRAWS)
    if null < 0:
        raise ValidationError(f"null (--null) must be {NULL_DRAWS}, got {null!r}")
    if members is not None:
        if isinstance(members, bool) or not isinstance(members, int) or members < 1:
            raise ValidationError(
                f"members (--members) must be a whole number >= 1, got {members!r}"
            )
        if ensemble is None:
            raise ValidationError(
                "members (--members) selects ensemble members; it needs an ensemble (--ensemble)"
            )
    if cases is not None and path is not None:
        raise ValidationError("give the cases file (path) or loaded cases (cases), not both")
    cases = tuple(cases) if cases is not None else load_cases(path)
    ens = None
    if ensemble is not None and cases:  # read before the suite runs: a bad file fails at once
        ens = load_ensemble(ensemble_file(ensemble), cases[0].scenario.load())
        check_members(members, len(ens.sets), name="members (--members)")
    report = run_cases(cases, engine=engine)
    if ens is not None:
        sets = ens.sets[:members] if members is not None else ens.sets
        report = replace(
            report,
            robustness=case_robustness(cases, sets, engine=engine),
            ensemble_sets=len(sets),
            ensemble_ignored=ens.ignored,
        )
    if null:
        lit = [c for c in cases if c.spec_case.tier == "literature"]
        lit_ids = {c.spec_case.id for c in lit}
        rows = [r for r in report.results if r.id in lit_ids]
        rate = sum(r.passed for r in rows) / len(rows) if rows else 0.0
        report = replace(report, null=run_null(lit, rate, n=null, seed=seed, engine=engine))
    return report


__all__ = [
    "DEFAULT_ENGINE",
    "Case",
    "CaseResult",
    "EnsembleFile",
    "NullResult",
    "TierCount",
    "ValidationReport",
    "algebraic_closure",
    "case_robustness",
    "cases_path",
    "draw_parameters",
    "load_cases",
    "load_ensemble",
    "parse_cases",
    "read_ensemble",
    "run_cases",
    "run_null",
    "run_validation",
    "scenario_for",
]
