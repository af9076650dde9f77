"""Per-case robustness over a parameter ensemble (e.g. a calibration posterior).

Each case is run on every parameter set of the ensemble (values replace the model's under each
system's context, as in the null test); its robustness is the fraction of sets in which it
holds. The ensemble is a CSV or TSV file (a ``.tsv`` name or a tab in the header line means
tab-separated, as ``senotwin calibrate --ensemble`` writes ``ensemble.tsv``): one row per
parameter set; columns naming model parameters are used, other columns (a calibration problem's
noise sigmas) are ignored and reported, and a column that looks like a misspelt parameter is an
error.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from senotwin._errors import ValidationError
from senotwin._io import read_text
from senotwin._suggest import closest, did_you_mean
from senotwin.analysis.validation.load import Case
from senotwin.analysis.validation.runner import DEFAULT_ENGINE, evaluate_case, simulate_cases
from senotwin.model.spec import ModelSpec
from senotwin.sim.tissue_growth import carried_tissue, growth_at, shipped_value

#: how close an unknown column must be to a parameter id to count as a misspelling of it
TYPO_CUTOFF = 0.8


@dataclass(frozen=True)
class EnsembleFile:
    """Parameter sets read from an ensemble file and the columns that were not parameters."""

    sets: tuple[dict[str, float], ...]
    ignored: tuple[str, ...]


def _separator(path: Path, text: str) -> str:
    header = text.split("\n", 1)[0]
    return "\t" if path.suffix.lower() in (".tsv", ".tab") or "\t" in header else ","


def load_ensemble(path: str | Path, spec: ModelSpec) -> EnsembleFile:
    """Parameter sets from a CSV/TSV (header = ids; non-parameter columns ignored and listed),
    checked cell by cell."""
    path = Path(path)
    text = read_text(path, what="ensemble file", expected="CSV or TSV of parameter sets")
    try:
        frame = pd.read_csv(io.StringIO(text), sep=_separator(path, text))
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ValidationError(f"ensemble file {str(path)!r}: not a CSV table ({exc})") from None
    ignored = []
    for col in map(str, frame.columns):
        if col in spec.parameter_ids:
            continue
        if closest(col, spec.parameter_ids, cutoff=TYPO_CUTOFF):
            hint = did_you_mean(col, spec.parameter_ids, cutoff=TYPO_CUTOFF)
            raise ValidationError(
                f"ensemble file {str(path)!r}: column {col!r} is not a parameter of {spec.id}{hint}"
            )
        ignored.append(col)
    used = [c for c in frame.columns if str(c) in spec.parameter_ids]
    if not used:
        raise ValidationError(
            f"ensemble file {str(path)!r}: no column names a parameter of {spec.id} "
            f"(columns: {', '.join(map(str, frame.columns))})"
        )
    if frame.empty:
        raise ValidationError(f"ensemble file {str(path)!r}: no parameter sets (rows)")
    out = []
    for i, row in enumerate(frame[used].to_dict("records")):
        clean = {}
        for k, v in row.items():
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise ValidationError(
                    f"ensemble file {str(path)!r}: row {i + 1}, {k}: must be a finite number, "
                    f"got {v!r}"
                )
            if v < 0:
                raise ValidationError(
                    f"ensemble file {str(path)!r}: row {i + 1}, {k}: {v!r} is negative "
                    "(model parameters must be >= 0)"
                )
            clean[str(k)] = float(v)
        out.append(clean)
    return EnsembleFile(tuple(out), tuple(ignored))


def read_ensemble(path: str | Path, spec: ModelSpec) -> tuple[dict[str, float], ...]:
    """The parameter sets of an ensemble file (see :func:`load_ensemble`)."""
    return load_ensemble(path, spec).sets


def derived_contexts(
    cases: Sequence[Case], params: Mapping[str, float]
) -> dict[str, dict[str, float]]:
    """Scenario name -> ``{"k_grow": rate}`` for every case system that runs with a tissue's
    derived proliferation (:func:`senotwin.sim.tissue_growth.carried_tissue`), re-derived under
    ``params``: a set with more immune kill needs more growth for the cited doubling, as the
    shipped rate was derived at qsp.yaml's values. Rounded as the shipped rates are
    (:func:`~senotwin.sim.tissue_growth.shipped_value`: the doubling at or just above the cited
    one, which is the floor of the pancreas and melanoma ranges). Empty where the set gives
    ``k_grow`` itself."""
    if "k_grow" in params:
        return {}
    values = tuple(sorted(params.items()))
    out: dict[str, dict[str, float]] = {}
    for case in cases:
        sc = case.scenario
        tissue = None if sc.name in out else carried_tissue(sc)
        if tissue is not None:
            out[sc.name] = {"k_grow": shipped_value(growth_at(tissue, values))}
    return out


def case_robustness(
    cases: Sequence[Case],
    param_sets: Sequence[Mapping[str, float]],
    *,
    engine: str = DEFAULT_ENGINE,
) -> dict[str, float]:
    """Case id -> fraction of the parameter sets in which the case holds (tissue growth
    re-derived per set: :func:`derived_contexts`)."""
    if not param_sets:
        raise ValidationError("ensemble: no parameter sets")
    held = dict.fromkeys((c.spec_case.id for c in cases), 0)
    for params in param_sets:
        contexts = derived_contexts(cases, params)
        tables = simulate_cases(cases, engine=engine, base_params=params, contexts=contexts)
        for case in cases:
            held[case.spec_case.id] += evaluate_case(case, tables).passed
    return {cid: n / len(param_sets) for cid, n in held.items()}
