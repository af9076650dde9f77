"""scripts/trial_transfer_decomposition.py: each transferred element set back to melanoma's
reaches the trial runner and the held-back transfer, and only inside its ``with``."""

from __future__ import annotations

from types import ModuleType

import pytest

from senotwin.trial import ici_transfer
from senotwin.trial import run as trial_run
from senotwin.trial.tissue import get_tissue, melanoma_invisible
from tests.scripts_loader import load_script


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return load_script("trial_transfer_decomposition")


def test_melanoma_like_sets_back_only_the_named_elements(script: ModuleType) -> None:
    lung = get_tissue("nsclc_nonsquamous")
    t = script.melanoma_like(lung, ("antigenicity",))
    assert t.antigenicity == 1.0
    assert (t.cd8_relative, t.cd8_sigma, t.cd8_pdl1_spearman) == (
        lung.cd8_relative,
        lung.cd8_sigma,
        lung.cd8_pdl1_spearman,
    )
    every = script.melanoma_like(get_tissue("ccrcc_clear_cell"), tuple(script.ELEMENTS))
    assert (every.antigenicity, every.cd8_relative, every.cd8_sigma) == (1.0, 1.0, 1.0)
    assert every.cd8_pdl1_rho == 0.0
    assert every.invisible_classes == melanoma_invisible()


def test_setting_reaches_both_runners_and_is_undone(script: ModuleType) -> None:
    lung = get_tissue("nsclc_nonsquamous")
    with script.setting(lung, ("antigenicity", script.GROWTH)):
        assert trial_run.get_tissue("nsclc_nonsquamous").antigenicity == 1.0
        assert ici_transfer.get_tissue("ccrcc_clear_cell").antigenicity == 1.0
        assert ici_transfer.TRANSFER_HELD_BACK["miao"].scenario == script.MELANOMA_SCENARIO
    assert trial_run.get_tissue("nsclc_nonsquamous").antigenicity == lung.antigenicity
    assert ici_transfer.TRANSFER_HELD_BACK["miao"].scenario == "aged_ccrcc_untreated"
    labels = [label for label, _ in script.variants()]
    assert labels[0] == "as shipped" and len(labels) == len(set(labels)) == 8
