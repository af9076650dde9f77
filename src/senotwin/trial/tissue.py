"""Tissue immunity of a trial's disease relative to melanoma, and its transfer to trial patients.

The immune arm's virtual population is calibrated on a melanoma cohort (Liu 2019). A trial in
another disease carries it over with three tissue numbers (``trial/data/tissues/immunity.yaml``):
antigenicity (tumour-specific CD8 precursors scale with the neoantigen load: the ratio of
per-exome nonsynonymous mutation medians to melanoma's), baseline CD8 infiltration relative to
melanoma with its spread, and the CD8-PD-L1 rank correlation (both measured on TCGA tumours:
:func:`tcga_contexture`). A fourth, the immune-invisible (HLA class I-negative) share of cancer
cells per patient, is the tissue's own distribution, not a ratio to melanoma's (HLA class I
immunohistochemistry classes; :attr:`TissueImmunity.invisible_classes`). These describe the
populations, never a trial's outcome. A fifth, the distribution of the share of PD-L1-positive
cancer cells (tumour proportion score), is also the tissue's own
(:attr:`TissueImmunity.tps_bins`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from senotwin._errors import ValidationError
from senotwin._suggest import did_you_mean
from senotwin._yaml import read_yaml
from senotwin.cohort.baseline import BaselineDisease, check_invisible_classes, check_tps_bins
from senotwin.cohort.population import PopulationSpec, Prior

DATA = Path(__file__).parent / "data" / "tissues" / "immunity.yaml"
#: the precursor trait scaled by antigenicity
ANTIGEN_TRAIT = "N_ag"
#: the Treg load (Tregs per CD8 T cell) scaled by ``treg_relative``
TREG_TRAIT = "r_treg"


@dataclass(frozen=True)
class TissueImmunity:
    """One disease's immunity relative to melanoma (see the module docstring)."""

    id: str
    label: str
    antigenicity: float  # tumour-specific precursors relative to melanoma
    antigenicity_formula: str
    antigenicity_source: str
    cd8_relative: float  # median baseline CD8 infiltration relative to melanoma
    cd8_sigma: float  # between-patient sigma of its ln
    cd8_pdl1_spearman: float
    cd8_source: str
    #: (share of patients, lowest, highest HLA class I-negative share of cancer cells)
    invisible_classes: tuple[tuple[float, float, float], ...] = ()
    invisible_source: str = ""
    treg_relative: float = 1.0  # Tregs per CD8 T cell relative to melanoma
    treg_source: str = ""
    #: (lowest, highest share of PD-L1-positive cancer cells, share of patients)
    tps_bins: tuple[tuple[float, float, float], ...] = ()
    tps_source: str = ""

    @property
    def cd8_pdl1_rho(self) -> float:
        """Spearman's rho as the Gaussian copula's correlation: 2 sin(pi rho_s / 6)."""
        return 2.0 * math.sin(math.pi * self.cd8_pdl1_spearman / 6.0)

    def describe(self) -> dict[str, object]:
        """JSON-friendly description (manifest)."""
        return dict(self.__dict__) | {"cd8_pdl1_rho": self.cd8_pdl1_rho}


def _triples(
    name: str, field: str, raw: Any, layout: str, check: Callable[[Any], None]
) -> tuple[tuple[float, float, float], ...]:
    """A tissue's list of number triples ``field`` (``layout`` says what each holds), checked
    by ``check`` as a trial baseline would check it."""
    if not isinstance(raw, list) or not all(isinstance(c, list) and len(c) == 3 for c in raw):
        raise ValidationError(
            f"tissue {name!r}: field {field!r} = {raw!r}: must be a list of [{layout}]"
        )
    triples = tuple((float(a), float(b), float(c)) for a, b, c in raw)
    try:
        check(triples)
    except ValidationError as err:
        raise ValidationError(f"tissue {name!r}: {err}") from None
    return triples


def _classes(name: str, raw: Any) -> tuple[tuple[float, float, float], ...]:
    """A tissue's invisible-share classes, checked."""
    layout = "share of patients, low, high"
    return _triples(name, "invisible_classes", raw, layout, check_invisible_classes)


def _tps(name: str, raw: Any) -> tuple[tuple[float, float, float], ...]:
    """A tissue's PD-L1 share bins, checked."""
    layout = "lowest share, highest share, share of patients"
    return _triples(name, "tps_bins", raw, layout, check_tps_bins)


def melanoma_tps() -> tuple[tuple[float, float, float], ...]:
    """The PD-L1 share bins of the melanoma population (the liu2019 virtual cohort)."""
    data = read_yaml(DATA, what="tissue immunity file")
    return _tps("melanoma", data["melanoma"]["tps_bins"])


def melanoma_invisible() -> tuple[tuple[float, float, float], ...]:
    """The invisible-share classes of the melanoma population (the liu2019 virtual cohort)."""
    data = read_yaml(DATA, what="tissue immunity file")
    return _classes("melanoma", data["melanoma"]["invisible_classes"])


def _positive(name: str, field: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not (0 < float(v) < math.inf):
        raise ValidationError(f"tissue {name!r}: field {field!r} = {v!r}: must be a number > 0")
    return float(v)


@cache
def tissues() -> Mapping[str, TissueImmunity]:
    """The shipped tissues by id, checked."""
    data = read_yaml(DATA, what="tissue immunity file")
    out = {}
    for name, t in data["tissues"].items():
        rho = t.get("cd8_pdl1_spearman")
        if isinstance(rho, bool) or not isinstance(rho, int | float) or not -1 < rho < 1:
            raise ValidationError(
                f"tissue {name!r}: field 'cd8_pdl1_spearman' = {rho!r}: must lie in (-1, 1)"
            )
        out[name] = TissueImmunity(
            id=name,
            label=str(t["label"]),
            antigenicity=_positive(name, "antigenicity", t.get("antigenicity")),
            antigenicity_formula=str(t["antigenicity_formula"]),
            antigenicity_source=" ".join(str(t["antigenicity_source"]).split()),
            cd8_relative=_positive(name, "cd8_relative", t.get("cd8_relative")),
            cd8_sigma=_positive(name, "cd8_sigma", t.get("cd8_sigma")),
            cd8_pdl1_spearman=float(rho),
            cd8_source=" ".join(str(t["cd8_source"]).split()),
            invisible_classes=_classes(name, t.get("invisible_classes")),
            invisible_source=" ".join(str(t["invisible_source"]).split()),
            treg_relative=_positive(name, "treg_relative", t.get("treg_relative")),
            treg_source=" ".join(str(t["treg_source"]).split()),
            tps_bins=_tps(name, t.get("tps_bins")),
            tps_source=" ".join(str(t["tps_source"]).split()),
        )
    return out


def get_tissue(name: str) -> TissueImmunity:
    """The tissue ``name`` (error with suggestions when unknown)."""
    known = tissues()
    if name not in known:
        raise ValidationError(
            f"unknown tissue {name!r}; known: {', '.join(known)}{did_you_mean(name, list(known))}"
        )
    return known[name]


def transfer(
    pop: PopulationSpec,
    baseline: BaselineDisease,
    tissue: TissueImmunity,
    *,
    melanoma_precursors: float,
    bounds: tuple[float, float] | None = None,
    melanoma_treg: float | None = None,
) -> tuple[PopulationSpec, dict[str, object]]:
    """``pop`` with ``baseline`` carried to ``tissue``: precursor centre = melanoma's x
    antigenicity (clipped into ``bounds``, the parameter's range), baseline CD8 infiltration
    median and sigma, the PD-L1-positive share drawn jointly with it from the tissue's TPS bins,
    the tissue's immune-invisible share classes
    and, given the fit's melanoma Treg load, its Treg centre = melanoma's x the tissue's
    ``treg_relative`` (the fit's kill was calibrated with that brake on); also what was done
    (for the manifest)."""
    if not (math.isfinite(melanoma_precursors) and melanoma_precursors > 0):
        raise ValidationError(f"melanoma precursor centre must be > 0, got {melanoma_precursors}")
    if melanoma_treg is not None and not (math.isfinite(melanoma_treg) and melanoma_treg >= 0):
        raise ValidationError(f"melanoma Treg centre must be >= 0, got {melanoma_treg}")
    derived = melanoma_precursors * tissue.antigenicity
    centre = derived if bounds is None else min(max(derived, bounds[0]), bounds[1])
    treg = None if melanoma_treg is None else melanoma_treg * tissue.treg_relative

    def carried(p: Prior) -> Prior:
        if p.parameter == ANTIGEN_TRAIT:
            return replace(
                p,
                centre=centre,
                rationale=f"{p.rationale}; {tissue.label}: melanoma centre x "
                f"{tissue.antigenicity:g} ({tissue.antigenicity_formula})",
            )
        if p.parameter == TREG_TRAIT and treg is not None:
            return replace(
                p,
                centre=treg,
                rationale=f"{p.rationale}; {tissue.label}: melanoma centre x "
                f"{tissue.treg_relative:g} (Tregs per CD8 relative to melanoma)",
            )
        return p

    priors = tuple(carried(p) for p in pop.priors)
    if not any(p.parameter == ANTIGEN_TRAIT for p in pop.priors):
        raise ValidationError(f"the population has no {ANTIGEN_TRAIT} prior to scale per tissue")
    bd = replace(
        baseline,
        cd8_median=tissue.cd8_relative,
        cd8_sigma=tissue.cd8_sigma,
        cd8_pdl1_rho=tissue.cd8_pdl1_rho,
        invisible_classes=tissue.invisible_classes,
        pdl1_bins=tissue.tps_bins,
    )
    info = (
        tissue.describe()
        | {
            "melanoma_precursors": melanoma_precursors,
            "precursors_derived": derived,
            "precursors_centre": centre,
            "clipped_to_range": centre != derived,
        }
        | ({"melanoma_treg": melanoma_treg, "treg_centre": treg} if treg is not None else {})
    )
    return replace(pop, priors=priors, baseline=bd), info


# ---- measuring the contexture on TCGA --------------------------------------------------------
CD8_GENES = ("CD8A", "CD8B")
PDL1_GENE = "CD274"
TREG_GENE = "FOXP3"
PSEUDO_TPM = 0.5


def tcga_contexture(tpm: pd.DataFrame, types: pd.Series, reference: str) -> pd.DataFrame:
    """Per tumour type: n, CD8 infiltration relative to ``reference`` (ratio of medians of the
    geometric-mean CD8A/CD8B TPM), sigma of its ln, Spearman CD8 vs CD274 (with p) and, where
    FOXP3 is measured, the Treg load per CD8 relative to ``reference`` (ratio of medians of
    FOXP3 / CD8 TPM).

    ``tpm``: genes x samples; ``types``: sample -> type. A pooled row ``pooled`` gives the
    root-mean-square within-type sigma and the within-type rank correlation over all samples.
    """
    from scipy import stats

    missing = [g for g in (*CD8_GENES, PDL1_GENE) if g not in tpm.index]
    if missing:
        raise ValidationError(f"expression lacks gene(s) {missing}")
    types = types.reindex(tpm.columns)
    if types.isna().any() or reference not in set(types):
        raise ValidationError(f"every sample needs a type, and {reference!r} must be one")
    cd8 = np.log(tpm.loc[list(CD8_GENES)] + PSEUDO_TPM).mean(axis=0)
    pdl1 = np.log(tpm.loc[PDL1_GENE] + PSEUDO_TPM)
    ref = float(cd8[types == reference].median())
    treg = np.log(tpm.loc[TREG_GENE] + PSEUDO_TPM) - cd8 if TREG_GENE in tpm.index else None
    treg_ref = math.nan if treg is None else float(treg[types == reference].median())
    rows = []
    for t, idx in types.groupby(types).groups.items():
        x, y = cd8[idx], pdl1[idx]
        r = stats.spearmanr(x, y)
        rows.append(
            {
                "type": t,
                "n": len(idx),
                "cd8_relative": math.exp(float(x.median()) - ref),
                "cd8_sigma": float(x.std()),
                "spearman": float(r.statistic),
                "p": float(r.pvalue),
                "treg_relative": math.nan
                if treg is None
                else math.exp(float(treg[idx].median()) - treg_ref),
            }
        )
    table = pd.DataFrame(rows).set_index("type")
    rx = cd8.groupby(types).rank(pct=True)
    ry = pdl1.groupby(types).rank(pct=True)
    pooled = stats.spearmanr(rx, ry)
    table.loc["pooled"] = {
        "n": len(types),
        "cd8_relative": math.nan,
        "cd8_sigma": float(np.sqrt(np.mean(table["cd8_sigma"] ** 2))),
        "spearman": float(pooled.statistic),
        "p": float(pooled.pvalue),
        "treg_relative": math.nan,
    }
    return table
