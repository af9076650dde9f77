"""scripts/chemo_tissue_proliferation.py: the model's kill terms it reads and the
proliferation factor it would scale the kill by (docs/trials.md, session 14 chemo)."""

from __future__ import annotations

import pytest

from senotwin.model.qsp import TISSUES
from tests.scripts_loader import load_script


def test_the_shipped_kill_terms_do_not_read_the_proliferation_rate() -> None:
    s = load_script("chemo_tissue_proliferation")
    terms = s.kill_terms("aged_sclc_untreated")
    assert {"cytotoxic_kill", "tis"} <= set(terms)
    assert all("stress" in v for v in terms.values())
    assert not any("k_grow" in v for v in terms.values())


def test_the_factor_is_the_tissue_proliferation_rate_over_nsclc() -> None:
    s = load_script("chemo_tissue_proliferation")
    assert s.tissue_of("impower133") == "sclc"
    assert s.tissue_of("keynote189") == "lung"
    assert s.factor("lung") == 1.0
    assert s.factor("sclc") == pytest.approx(TISSUES["sclc"].k_grow / TISSUES["lung"].k_grow)
    assert s.factor("sclc") > 1.3 > 1.0 > s.factor("tnbc") > 0.9  # sclc 1.43 since session 15
