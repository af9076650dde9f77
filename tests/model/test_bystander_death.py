"""The IFN-gamma/TNF bystander death of HLA class I-negative cancer cells is half-maximal at the
IFN-gamma that kills cancer cells (1 nM), not at the picomolar signalling half-maximum: 10-100 pM
only arrests them (quantitative-sources ifng_death_concentration; session 20)."""

from __future__ import annotations

import pytest

from senotwin.model.compile import evaluate
from senotwin.model.qsp import load_qsp
from senotwin.model.spec import MeasuredProvenance


def _rate_per_cell(ifng_rec_nm: float) -> float:
    """bystander_kill per invisible cancer cell per day at a given IFNg_rec (nM)."""
    spec = load_qsp()
    values = {p.id: p.value for p in spec.parameters}
    values |= {"IFNg_rec": ifng_rec_nm, "Ci": 1.0}
    process = next(p for p in spec.processes if p.id == "bystander_kill")
    return evaluate(spec.rate_tree(process), values)


def test_arresting_ifng_kills_few_bystanders() -> None:
    """At 100 pM, which only arrests colonic cancer cells, under a tenth of the maximal rate;
    at the signalling half-maximum (2.96 pM) well under a hundredth."""
    spec = load_qsp()
    k = spec.parameter("k_byst").value
    assert k > 0
    assert _rate_per_cell(0.1) < 0.1 * k
    assert _rate_per_cell(spec.parameter("EC50_ifng_pdl1").value) < 0.01 * k
    assert _rate_per_cell(1.0) == pytest.approx(0.5 * k, rel=1e-9)


def test_death_half_maximum_is_the_measured_one() -> None:
    p = load_qsp().parameter("EC50_ifng_death")
    assert isinstance(p.provenance, MeasuredProvenance)
    assert "ifng_death_concentration" in p.provenance.source
    assert p.unit == "nM" and p.range[0] <= p.value <= p.range[1]
