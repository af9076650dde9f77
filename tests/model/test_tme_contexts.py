"""Contexts (tissue, age, inducer) and the registered TME scenarios."""

from __future__ import annotations

import pytest

from senotwin._errors import ValidationError
from senotwin.model.contexts import AGES, INDUCERS, TISSUES, compose, get_context
from senotwin.model.scenarios import get_scenario
from senotwin.model.tme import TME_SCENARIOS, load_tme

TISSUE_NAMES = {"lung", "pancreas", "liver", "breast", "colon", "prostate", "melanoma", "ovary"}


def test_required_presets_exist():
    assert set(TISSUES) >= TISSUE_NAMES
    assert {"young", "aged"} <= set(AGES)
    assert {"rs", "tis_dna_damage", "tis_cdk46i", "ois", "none"} <= set(INDUCERS)


def test_kinds_touch_disjoint_parameters():
    keys = {
        kind: set().union(*(set(c.params) for c in table.values()))
        for kind, table in (("tissue", TISSUES), ("age", AGES), ("inducer", INDUCERS))
    }
    assert not keys["tissue"] & keys["age"]
    assert not keys["tissue"] & keys["inducer"]
    assert not keys["age"] & keys["inducer"]


def test_contexts_name_real_parameters_within_range():
    spec = load_tme()
    for table in (TISSUES, AGES, INDUCERS):
        for ctx in table.values():
            for pid, value in ctx.params.items():
                low, high = spec.parameter(pid).range
                assert low <= value <= high, (ctx.name, pid, value)
            assert set(ctx.initial) <= set(spec.species_ids)


def test_lung_is_nk_rich_and_pancreas_nk_poor():
    assert TISSUES["lung"].params["nk_tissue"] > TISSUES["pancreas"].params["nk_tissue"]


def test_cdk46i_has_no_nfkb_sasp_and_aged_is_immunosenescent():
    assert INDUCERS["tis_cdk46i"].params["nfkb_competence"] < 0.1
    assert INDUCERS["tis_dna_damage"].params["nfkb_competence"] == 1.0
    aged = AGES["aged"].params
    assert aged["nk_func_age"] < 1 and aged["t_func_age"] < 1
    assert aged["mdsc_age"] > 1 and aged["clear_age"] < 1 and aged["rs_stroma"] > 0


def test_unknown_context_names_suggest():
    with pytest.raises(ValidationError, match="lung"):
        get_context("tissue", "lungs")
    with pytest.raises(ValidationError, match="tissue, age or inducer"):
        get_context("organ", "lung")  # type: ignore[arg-type]


def test_compose_unions_the_three_kinds():
    comp = compose(tissue="pancreas", age="young", inducer="tis_cdk46i")
    assert comp.params["nk_tissue"] == TISSUES["pancreas"].params["nk_tissue"]
    assert comp.params["nfkb_competence"] == INDUCERS["tis_cdk46i"].params["nfkb_competence"]
    assert comp.initial["stress"] == 1.0


def test_scenarios_registered_and_valid():
    spec = load_tme()
    for name in (
        "legacy_default",
        "legacy_acute_young",
        "legacy_chronic_aged",
        "legacy_young_lung_chemo",
        "legacy_aged_lung_chemo",
        "legacy_aged_pancreas_chemo",
        "legacy_aged_lung_tis_cdk46i",
        "legacy_aged_lung_ois",
        "legacy_aged_lung_rs",
    ):
        assert name in TME_SCENARIOS
    for name in TME_SCENARIOS:
        sc = get_scenario(name)
        assert sc.load() is spec
        for pid, value in sc.params.items():
            low, high = spec.parameter(pid).range
            assert low <= value <= high, (name, pid)
        assert set(sc.initial) <= set(spec.species_ids)
    default = get_scenario("legacy_default")
    assert default.params["nk_func_age"] < 1  # aged
    assert default.params["nk_tissue"] == TISSUES["lung"].params["nk_tissue"]
    assert default.initial["stress"] == 1.0  # chemotherapy pulse
