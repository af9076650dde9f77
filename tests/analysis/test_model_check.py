"""Model checks: each check on the TME model, and each check catching a defect it exists for."""

from __future__ import annotations

import pytest

from senotwin.analysis.model_check import (
    _monotone,
    check_block_monotone,
    check_bounded,
    check_no_duplicate_processes,
    check_reachable_observable,
    check_tumour_free_steady_state,
)
from senotwin.model.io import load_fixture, spec_from_dict, spec_to_dict
from senotwin.model.tme import load_tme


def test_tme_structure_checks_pass():
    spec = load_tme()
    assert check_no_duplicate_processes(spec).passed
    assert check_reachable_observable(spec).passed


def test_duplicate_process_is_caught():
    data = spec_to_dict(load_fixture("kuznetsov1994"))
    dup = dict(data["processes"][0])
    dup["id"] = "effector_influx_again"
    data["processes"].append(dup)
    res = check_no_duplicate_processes(spec_from_dict(data))
    assert not res.passed
    assert res.details["duplicates"] == [["effector_influx", "effector_influx_again"]]


def test_unobserved_and_unreachable_species_are_caught():
    data = spec_to_dict(load_fixture("kuznetsov1994"))
    data["species"].append({"id": "Z", "unit": "cells", "initial": 1.0, "compartment": "spleen"})
    res = check_reachable_observable(spec_from_dict(data))
    assert not res.passed
    assert "Z" in res.details["unreachable"] and "Z" in res.details["unobserved"]


def test_tumour_free_steady_state_claim_holds():
    res = check_tumour_free_steady_state(load_tme())
    assert res.passed, res.summary


def test_untreated_runs_are_bounded():
    res = check_bounded(load_tme(), days=365.0)
    assert res.passed, res.details


def test_block_dose_response_for_the_review_targets():
    targets = ("NFKB", "MTOR", "CGAS_STING", "IFNG", "IL6", "CCL2")
    res = check_block_monotone(load_tme(), entities=targets)
    assert res.passed, res.details["non_monotone"]
    il6 = res.details["targets"]["IL6"]["IL6"]["values"]
    assert il6[-1] == pytest.approx(0.0, abs=1e-12)  # full block removes IL-6
    assert il6[0] > il6[2] > il6[-1]


def test_monotone_helper_by_hand():
    assert _monotone([3.0, 2.0, 2.0, 1.0])
    assert _monotone([1.0, 1.5, 4.0])
    assert not _monotone([1.0, 2.0, 1.5])
