"""A sample's digital twin: map its measured TME/SASP scores onto the model and run it.

Each mapped signature moves one or more model quantities multiplicatively around their nominal
value: a sample standardised to ``z`` (SDs from the mean of its cohort) gets the factor
``2 ** (z / 2)`` — ±2 SD halve or double the quantity — clipped into the quantity's plausible
range. The mapping table, the factor rule and the cohort standardisation are ``assumed``
(documented choices, not fitted); every override is reported so a user can see and change it.

The default twin runs on the physical-units model (scenario ``default``, :data:`QSP_LINKS`); the
legacy model keeps its own table (:data:`LEGACY_LINKS`) and is reached only by naming a
``legacy_*`` scenario. docs/stratify.md lists both tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from senotwin._errors import ValidationError, check_type
from senotwin._suggest import closest, hint
from senotwin.model.scenarios import Scenario, get_scenario
from senotwin.model.spec import ModelSpec

FACTOR_PER_2SD = 2.0
MIN_COHORT = 3
#: scenario a twin personalises unless another is named
DEFAULT_TWIN_SCENARIO = "default"


@dataclass(frozen=True)
class TwinLink:
    """One signature -> model quantity link and why it is there."""

    signature: str
    target: str
    kind: str  # "parameter" or "initial"
    rationale: str


# Signature (Bagaev et al. 2021 TME sets; senotwin composite scores) -> physical-units quantity.
# Each link scales a quantity whose biology the signature's genes report; Tregs, macrophages and
# angiogenesis have no quantity of their own in this model and are not mapped.
QSP_LINKS: tuple[TwinLink, ...] = (
    TwinLink("tme_effector_cells", "T8", "initial", "CD8 infiltration: effector CD8 in the tumour"),
    TwinLink("tme_t_cell_traffic", "q_in", "parameter", "CXCL9/10/11-CXCR3 CD8 trafficking"),
    TwinLink("tme_th1_signature", "s_ifng", "parameter", "IFN-gamma per effector CD8 (Th1)"),
    TwinLink(
        "tme_checkpoint_inhibition", "PDL1_per_C", "parameter", "PD-L1 (CD274) per cancer cell"
    ),
    TwinLink("tme_macrophage_dc_traffic", "APC_T", "parameter", "dendritic cells in the tumour"),
    TwinLink("tme_nk_cells", "k_rem", "parameter", "NK-led innate removal of senescent cells"),
    TwinLink("tme_mdsc", "MDSC", "initial", "monocytic MDSCs in the tumour at the start"),
    TwinLink("tme_mdsc", "k_rec_mdsc", "parameter", "monocytic MDSC recruitment"),
    TwinLink("tme_neutrophil_signature", "PMN", "initial", "PMN-MDSCs/neutrophils at the start"),
    TwinLink("tme_neutrophil_signature", "k_rec_pmn", "parameter", "PMN-MDSC recruitment"),
    TwinLink("tme_proliferation_rate", "k_grow", "parameter", "cancer-cell proliferation rate"),
    TwinLink("senescence", "s_rs", "parameter", "senescent stroma entering the lesion"),
    TwinLink("sasp", "s_il6_sen", "parameter", "IL-6 secretion per SASP-secreting cell"),
    TwinLink("sasp", "s_il8_sen", "parameter", "IL-8 secretion per SASP-secreting cell"),
    TwinLink("sasp", "s_ccl2_sen", "parameter", "CCL2 secretion per SASP-secreting cell"),
)

# The same signatures -> the legacy model's relative quantities (scenarios ``legacy_*``).
LEGACY_LINKS: tuple[TwinLink, ...] = (
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

#: mapping table per model id (ModelSpec.id)
LINKS_BY_MODEL: Mapping[str, tuple[TwinLink, ...]] = {
    "sasp_qsp": QSP_LINKS,
    "sasp_tme": LEGACY_LINKS,
}
#: the default (physical-units) table
LINKS = QSP_LINKS


def signatures_of(links: Sequence[TwinLink]) -> tuple[str, ...]:
    """The signatures a mapping table reads, in table order."""
    return tuple(dict.fromkeys(link.signature for link in links))


TWIN_SIGNATURES: tuple[str, ...] = signatures_of(QSP_LINKS)
#: every signature some table reads (what the Samples page and the CLI score)
ALL_TWIN_SIGNATURES: tuple[str, ...] = signatures_of(
    [link for links in LINKS_BY_MODEL.values() for link in links]
)


def links_for(spec: ModelSpec) -> tuple[TwinLink, ...]:
    """The mapping table of ``spec``'s model; a model without one is refused by name."""
    links = LINKS_BY_MODEL.get(spec.id)
    if links is None:
        raise ValidationError(
            f"no twin mapping for model {spec.id!r}; twins exist for: "
            f"{', '.join(sorted(LINKS_BY_MODEL))}"
        )
    return links


@dataclass(frozen=True)
class Twin:
    """The scenario overrides derived from one sample, with the table that explains them."""

    sample: str
    scenario: str
    params: Mapping[str, float]
    initial: Mapping[str, float]
    table: pd.DataFrame  # signature, score, z, target, kind, nominal, factor, value, rationale


def _check_cohort(n: int) -> None:
    """A twin's scores are z-scores within its cohort: fewer than MIN_COHORT samples refused."""
    if n < MIN_COHORT:
        raise ValidationError(
            f"a twin needs the sample's cohort to standardise scores: got {n} "
            f"sample(s), need at least {MIN_COHORT}"
        )


def standardise(scores: pd.DataFrame) -> pd.DataFrame:
    """Cohort z-scores per signature (columns); constant columns give z = 0."""
    _check_cohort(len(scores))
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


def make_twin(scores: pd.DataFrame, sample: str, *, scenario: str = DEFAULT_TWIN_SCENARIO) -> Twin:
    """Overrides for ``sample`` from a cohort score table (rows = samples, columns = signatures).

    The scenario's model picks the mapping table (:func:`links_for`).
    """
    check_type(scores, pd.DataFrame, name="scores", what="a score table (pandas DataFrame)")
    check_type(sample, str, name="sample", what="a sample name of the score table (str)")
    if sample not in scores.index:  # said "(first rows: ['a', ...])", never the close names
        names = [str(s) for s in scores.index]
        near = closest(sample, names)
        where = f"the score table ({len(names)} samples of the input)"
        tail = hint(near) if near else f"; its first: {', '.join(names[:5])}"
        raise ValidationError(f"sample {sample!r} is not in {where}{tail}")
    sc = get_scenario(scenario)
    spec = sc.load()
    links = links_for(spec)
    wanted = signatures_of(links)
    present = [s for s in wanted if s in scores.columns]
    if not present:
        raise ValidationError(
            f"the score table has none of the twin signatures of model {spec.id!r} "
            f"({', '.join(wanted)}); score with `senotwin score` first"
        )
    z_all = standardise(scores[present])
    params: dict[str, float] = {}
    initial: dict[str, float] = {}
    rows = []
    for link in links:
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


def twin_signatures(scenario: str = DEFAULT_TWIN_SCENARIO) -> tuple[str, ...]:
    """The signatures the twin of ``scenario``'s model reads."""
    return signatures_of(links_for(get_scenario(scenario).load()))


def missing_signatures(
    columns: Sequence[str], *, scenario: str = DEFAULT_TWIN_SCENARIO
) -> list[str]:
    """Twin signatures of the scenario's model absent from a score table (kept nominal)."""
    wanted = twin_signatures(scenario)
    return [s for s in wanted if s not in set(columns)]


def score_for_twin(
    x: object,
    genes: Sequence[str],
    obs_names: Sequence[str],
    *,
    method: str = "mean_z",
    signatures: Sequence[str] = ALL_TWIN_SIGNATURES,
) -> tuple[pd.DataFrame, list[str]]:
    """Score every twin signature the data support; return scores and the ones left out (why)."""
    from senotwin.sc.scoring import TooFewGenes, score_matrix

    _check_cohort(len(obs_names))  # before scoring: each signature would refuse it alike
    columns: dict[str, pd.Series] = {}
    skipped: list[str] = []
    for name in signatures:
        try:
            res = score_matrix(x, genes, [name], method=method, obs_names=obs_names)
        except TooFewGenes as exc:  # the counts alone: its hint is worded for Python callers
            detail = exc.detail if exc.detail.startswith(f"{name}:") else f"{name}: {exc.detail}"
            skipped.append(f"{detail} (need >= {exc.min_genes})")
            continue
        except ValidationError as exc:
            skipped.append(f"{name}: {exc}")
            continue
        columns[name] = res.scores[name]
    if not columns:
        raise ValidationError("no twin signature could be scored: " + "; ".join(skipped))
    return pd.DataFrame(columns), skipped
