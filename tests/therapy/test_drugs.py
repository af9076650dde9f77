"""The shipped drug library: kb agents, model-valid targets, provenance, listed agents present."""

from __future__ import annotations

import pytest

from senotwin._errors import ValidationError
from senotwin.model.qsp import load_qsp
from senotwin.model.tme import load_tme
from senotwin.therapy.drugs import DRIVE_TARGET, get_drug, library
from senotwin.therapy.pkpd import represented_targets

REQUIRED = [
    "metformin", "rapamycin", "artesunate", "oleuropein", "quercetin", "silymarin", "apigenin",
    "resveratrol", "sb203580", "birb796", "syq-pa", "aspirin", "nsaid", "bay11-7082",
    "jak2-stat3-inhibitor", "tocilizumab", "anti-il-6", "anti-ccl2", "csf1r-inhibitor",
    "ccr2-inhibitor", "cxcr2-inhibitor", "navitoclax", "apod-adc", "gos-nanoparticle",
    "anti-pd-1", "anti-pd-l1", "anti-ctla-4", "b68", "lipoic-acid", "osu13", "th1902",
    "doxorubicin", "irinotecan", "bleomycin", "carboplatin", "etoposide", "radiation",
    "cdk4-6-inhibitor", "ra223-sazyme",
]  # fmt: skip


def test_every_listed_agent_is_present() -> None:
    ids = {d.id for d in library().drugs}
    assert not set(REQUIRED) - ids


def test_entries_name_kb_agents_and_model_targets(shipped_kb) -> None:
    agents = shipped_kb.agents
    entities = set(load_tme().entities())
    for drug in library().drugs:
        assert drug.kb_agent in agents or drug.outside_review, drug.id
        for e in drug.effects:
            assert e.target in entities or e.target == DRIVE_TARGET, (drug.id, e.target)


def test_default_model_represents_the_checkpoint_senolytic_and_sasp_targets() -> None:
    represented = set(represented_targets(load_qsp()))
    assert {
        *("CD274", "PDCD1", "NFKB", "BCL2_FAMILY", "SCAP", "IL6", "CCL2", "CCR2", DRIVE_TARGET),
    } <= represented
    # every drug either acts on the default model or is refused with the one clear error
    acting = [d for d in library().drugs if any(e.target in represented for e in d.effects)]
    assert {"anti-pd-l1", "anti-pd-1", "navitoclax", "doxorubicin", "tocilizumab"} <= {
        d.id for d in acting
    }


def test_half_lives_in_expected_ranges() -> None:
    days = {d.id: d.pk.terminal_half_life_days() for d in library().drugs if d.pk.model != "none"}
    assert 20 / 24 <= days["doxorubicin"] <= 48 / 24
    assert days["navitoclax"] == pytest.approx(15 / 24)
    assert days["rapamycin"] == pytest.approx(62 / 24)
    assert 11 <= days["tocilizumab"] <= 13
    assert 14 <= days["anti-pd-l1"] <= 28


def test_senomorphics_turn_senolytic_at_high_dose_with_curator_note() -> None:
    checked = []
    for drug in library().drugs:
        if drug.category == "senomorphic" and drug.id not in (
            "syq-pa", "jak2-stat3-inhibitor", "sting-inhibitor"
        ):  # fmt: skip
            high = [e for e in drug.effects if e.high_dose]
            assert high and high[0].target == "SCAP", drug.id
            assert "NOTE_C22_DOSE_REFS" in drug.kb_notes
            checked.append(drug.id)
    assert {"rapamycin", "metformin"} <= set(checked), checked


def test_aliases_and_suggestions() -> None:
    assert get_drug("ABT-263").id == "navitoclax"
    assert get_drug("Adriamycin").id == "doxorubicin"
    with pytest.raises(ValidationError, match="navitoclax"):
        get_drug("navitoclx")


def test_toxicity_proxies_follow_targets() -> None:
    assert "thrombocytopenia" in get_drug("navitoclax").toxicities()
    assert "hepatorenal_load" in get_drug("rapamycin").toxicities()
    assert "immune_suppression" in get_drug("bay11-7082").toxicities()
