"""Per-case robustness over a parameter ensemble (e.g. a calibration posterior).

Each case is run on every parameter set of the ensemble (values replace the model's under each
system's context, as in the null test); its robustness is the fraction of sets in which it
holds. The ensemble is a CSV file: one row per parameter set, one column per model parameter.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from senotwin._errors import ValidationError
from senotwin._io import read_text
from senotwin._suggest import did_you_mean
from senotwin.analysis.validation.load import Case
from senotwin.analysis.validation.runner import DEFAULT_ENGINE, evaluate_case, simulate_cases
from senotwin.model.spec import ModelSpec


def read_ensemble(path: str | Path, spec: ModelSpec) -> tuple[dict[str, float], ...]:
    """Parameter sets from a CSV (header = parameter ids of ``spec``), checked cell by cell."""
    text = read_text(Path(path), what="ensemble file", expected="CSV of parameter sets")
    try:
        frame = pd.read_csv(io.StringIO(text))
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ValidationError(f"ensemble file {str(path)!r}: not a CSV table ({exc})") from None
    if frame.empty:
        raise ValidationError(f"ensemble file {str(path)!r}: no parameter sets (rows)")
    for col in frame.columns:
        if col not in spec.parameter_ids:
            hint = did_you_mean(str(col), spec.parameter_ids)
            raise ValidationError(
                f"ensemble file {str(path)!r}: column {col!r} is not a parameter of {spec.id}{hint}"
            )
    out = []
    for i, row in enumerate(frame.to_dict("records")):
        clean = {}
        for k, v in row.items():
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise ValidationError(
                    f"ensemble file {str(path)!r}: row {i + 1}, {k}: must be a finite number, "
                    f"got {v!r}"
                )
            clean[str(k)] = float(v)
        out.append(clean)
    return tuple(out)


def case_robustness(
    cases: Sequence[Case],
    param_sets: Sequence[Mapping[str, float]],
    *,
    engine: str = DEFAULT_ENGINE,
) -> dict[str, float]:
    """Case id -> fraction of the parameter sets in which the case holds."""
    if not param_sets:
        raise ValidationError("ensemble: no parameter sets")
    held = dict.fromkeys((c.spec_case.id for c in cases), 0)
    for params in param_sets:
        tables = simulate_cases(cases, engine=engine, base_params=params)
        for case in cases:
            held[case.spec_case.id] += evaluate_case(case, tables).passed
    return {cid: n / len(param_sets) for cid, n in held.items()}
