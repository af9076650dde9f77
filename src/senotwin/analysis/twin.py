"""A sample's digital twin: map its measured TME/SASP scores onto the model and run it.

Each mapped signature moves one or more model quantities multiplicatively around their nominal
value: a sample standardised to ``z`` (SDs from the mean of its cohort) gets the factor
``2 ** (z / 2)`` — ±2 SD halve or double the quantity — clipped into the quantity's plausible
range. The mapping table, the factor rule and the cohort standardisation are ``assumed``
(documented choices, not fitted); every override is reported so a user can see and change it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from senotwin._errors import ValidationError
from senotwin.model.scenarios import Scenario, get_scenario
from senotwin.model.spec import ModelSpec

FACTOR_PER_2SD = 2.0
MIN_COHORT = 3


@dataclass(frozen=True)
class TwinLink:
    """One signature -> model quantity link and why it is there."""

    signature: str
    target: str
    kind: str  # "parameter" or "initial"
    rationale: str


# Signature (Bagaev et al. 2021 TME sets; senotwin composite scores) -> model quantity.
LINKS: tuple[TwinLink, ...] = (
    TwinLink("tme_nk_cells", "nk_tissue", "parameter", "NK abundance sets tissue NK supply"),
    TwinLink("tme_nk_cells", "NK", "initial", "NK cells present at the start"),
    TwinLink("tme_effector_cells", "t_supply_age", "parameter", "CD8 effector supply"),
    TwinLink("tme_effector_cells", "CD8", "initial", "effector CD8 T cells present"),
    TwinLink("tme_th1_signature", "r_th1", "parameter", "Th1 recruitment"),
    TwinLink("tme_treg", "treg_age", "parameter", "Treg abundance"),
    TwinLink("tme_treg", "Treg", "initial", "Tregs present"),
    TwinLink("tme_mdsc", "mdsc_age", "parameter", "MDSC abundance"),
    TwinLink("tme_mdsc", "MDSC", "initial", "MDSCs present"),
    TwinLink("tme_neutrophil_signature", "tan_age", "parameter", "neutrophil/TAN abundance"),
    TwinLink("tme_macrophages", "r_mono", "parameter", "monocyte/macrophage influx"),
    TwinLink("tme_macrophage_dc_traffic", "r_dc", "parameter", "DC recruitment"),
    TwinLink("tme_proliferation_rate", "r_T", "parameter", "tumour-cell proliferation rate"),
    TwinLink("tme_angiogenesis", "Ang", "initial", "angiogenic support at the start"),
    TwinLink("senescence", "Sfe", "initial", "senescent stroma (early) at the start"),
    TwinLink("senescence", "Sfl", "initial", "senescent stroma (late) at the start"),
    TwinLink("senescence", "Sfd", "initial", "senescent stroma (deep) at the start"),
    TwinLink("senescence", "rs_stroma", "parameter", "ongoing stromal senescence"),
    TwinLink("sasp", "s_il6_sen", "parameter", "IL-6 secretion per senescent cell"),
    TwinLink("sasp", "s_il8_sen", "parameter", "IL-8 secretion per senescent cell"),
    TwinLink("sasp", "s_ccl2_sen", "parameter", "CCL2 secretion per senescent cell"),
    TwinLink("sasp", "s_cxcl1_sen", "parameter", "CXCL1 secretion per senescent cell"),
)
TWIN_SIGNATURES: tuple[str, ...] = tuple(dict.fromkeys(link.signature for link in LINKS))


@dataclass(frozen=True)
class Twin:
    """The scenario overrides derived from one sample, with the table that explains them."""

    sample: str
    scenario: str
    params: Mapping[str, float]
    initial: Mapping[str, float]
    table: pd.DataFrame  # signature, score, z, target, kind, nominal, factor, value, rationale


def standardise(scores: pd.DataFrame) -> pd.DataFrame:
    """Cohort z-scores per signature (columns); constant columns give z = 0."""
    if len(scores) < MIN_COHORT:
        raise ValidationError(
            f"a twin needs the sample's cohort to standardise scores: got {len(scores)} "
            f"sample(s), need at least {MIN_COHORT}"
        )
    numeric = scores.apply(pd.to_numeric, errors="coerce")
    if numeric.isna().any().any():
        bad = numeric.columns[numeric.isna().any()].tolist()
        raise ValidationError(f"score columns {bad} contain missing or non-numeric values")
    sd = numeric.std(ddof=1).replace(0.0, np.nan)
    return ((numeric - numeric.mean()) / sd).fillna(0.0)


def _nominal(spec: ModelSpec, scenario: Scenario, link: TwinLink) -> tuple[float, float, float]:
    """Nominal value and plausible range of a linked quantity in the scenario."""
    if link.kind == "parameter":
        par = next((p for p in spec.parameters if p.id == link.target), None)
        if par is None:
            raise ValidationError(f"twin link {link.signature}->{link.target}: no such parameter")
        value = float(scenario.params.get(par.id, par.value))
        low, high = par.range if par.range is not None else (value / 4, value * 4)
        return value, float(low), float(high)
    sp = next((s for s in spec.species if s.id == link.target), None)
    if sp is None:
        raise ValidationError(f"twin link {link.signature}->{link.target}: no such species")
    value = float(scenario.initial.get(sp.id, sp.initial))
    return value, value / (FACTOR_PER_2SD**2), value * FACTOR_PER_2SD**2


def make_twin(scores: pd.DataFrame, sample: str, *, scenario: str = "legacy_default") -> Twin:
    """Overrides for ``sample`` from a cohort score table (rows = samples, columns = signatures)."""
    if sample not in scores.index:
        close = [str(s) for s in scores.index[:5]]
        raise ValidationError(f"sample {sample!r} is not in the score table (first rows: {close})")
    missing = [s for s in TWIN_SIGNATURES if s not in scores.columns]
    if len(missing) == len(TWIN_SIGNATURES):
        raise ValidationError(
            "the score table has none of the twin signatures "
            f"({', '.join(TWIN_SIGNATURES)}); score with `senotwin score` first"
        )
    z_all = standardise(scores[[s for s in TWIN_SIGNATURES if s in scores.columns]])
    sc = get_scenario(scenario)
    spec = sc.load()
    params: dict[str, float] = {}
    initial: dict[str, float] = {}
    rows = []
    for link in LINKS:
        if link.signature not in z_all.columns:
            continue
        z = float(z_all.loc[sample, link.signature])
        nominal, low, high = _nominal(spec, sc, link)
        factor = FACTOR_PER_2SD ** (z / 2.0)
        value = float(np.clip(nominal * factor, low, high))
        (params if link.kind == "parameter" else initial)[link.target] = value
        rows.append(
            {
                "signature": link.signature,
                "score": float(scores.loc[sample, link.signature]),
                "z": z,
                "target": link.target,
                "kind": link.kind,
                "nominal": nominal,
                "factor": factor,
                "value": value,
                "rationale": link.rationale,
            }
        )
    return Twin(
        sample=sample,
        scenario=scenario,
        params={**sc.params, **params},
        initial={**sc.initial, **initial},
        table=pd.DataFrame(rows),
    )


def missing_signatures(columns: Sequence[str]) -> list[str]:
    """Twin signatures absent from a score table (their quantities keep nominal values)."""
    return [s for s in TWIN_SIGNATURES if s not in set(columns)]


def score_for_twin(
    x: object, genes: Sequence[str], obs_names: Sequence[str], *, method: str = "mean_z"
) -> tuple[pd.DataFrame, list[str]]:
    """Score every twin signature the data support; return scores and the ones left out (why)."""
    from senotwin.sc.scoring import score_matrix

    columns: dict[str, pd.Series] = {}
    skipped: list[str] = []
    for name in TWIN_SIGNATURES:
        try:
            res = score_matrix(x, genes, [name], method=method, obs_names=obs_names)
        except ValidationError as exc:
            skipped.append(f"{name}: {exc}")
            continue
        columns[name] = res.scores[name]
    if not columns:
        raise ValidationError("no twin signature could be scored: " + "; ".join(skipped))
    return pd.DataFrame(columns), skipped
