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
    check_units,
    run_model_check,
)
from senotwin.model.io import load_fixture, spec_from_dict, spec_to_dict
from senotwin.model.qsp import load_qsp
from senotwin.model.scenarios import Scenario, get_scenario
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


def test_a_species_set_only_by_dose_events_is_reachable():
    """The mouse antibodies have no producing process: the arms' dose events set them."""
    from senotwin.model.qsp import load_mouse_qsp

    res = check_reachable_observable(load_mouse_qsp())
    assert res.passed, res.details
    assert "ab_pdl1" not in load_qsp().species_ids  # the human model has no dosed mouse antibody


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


def test_physical_units_model_passes_every_check_units_included():
    report = run_model_check("default")
    assert report.model_id == "sasp_qsp"
    names = [c.name for c in report.checks]
    assert "unit_consistency" in names and "below_lethal_burden" in names
    assert report.passed, [c.to_dict() for c in report.checks if not c.passed]


def test_legacy_model_reports_its_known_unit_mismatches_without_failing():
    res = check_units(load_tme())
    assert res.passed, res.details
    assert len(res.details["known"]) == 18 and res.details["problems"] == []
    assert "known" in res.summary


def test_a_new_unit_mismatch_fails_the_check():
    data = spec_to_dict(load_tme())
    obs = next(o for o in data["observables"] if o["id"] == "tumour_burden")
    obs["unit"] = "mL"
    res = check_units(spec_from_dict(data))
    assert not res.passed
    assert any("'tumour_burden'" in p for p in res.details["problems"])
    # a model with a known list fails on a mismatch outside it (the old unit of k)
    data = spec_to_dict(load_fixture("depillis2005"))
    next(p for p in data["parameters"] if p["id"] == "k")["unit"] = "cells**2"
    res = check_units(spec_from_dict(data))
    assert not res.passed and len(res.details["known"]) == 2
    assert [p.split(":", 1)[0] for p in res.details["problems"]] == ["process 'cd8_recruitment'"]
    assert check_units(load_fixture("depillis2005")).passed


def test_a_block_the_model_cannot_run_is_reported_not_raised():
    data = spec_to_dict(load_qsp())
    cancer = next(s for s in data["species"] if s["id"] == "C")
    cancer["entity"] = "TUMOR_CELL"  # every use of C blocked: zero lesion volume
    spec = spec_from_dict(data)
    base = get_scenario("default")
    sc = Scenario("tagged", "", lambda: spec, base.params, base.initial)
    res = check_block_monotone(spec, scenario=sc, entities=("TUMOR_CELL",))
    assert not res.passed and res.details["non_monotone"] == ["TUMOR_CELL"]
    assert "nan" in res.details["targets"]["TUMOR_CELL"]["error"]
