"""The vaccine-site overlay (Marin 2023, Meng 2012 immunisation experiments; session 22)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from senotwin._errors import ValidationError
from senotwin.analysis.validation import parse_cases
from senotwin.model.qsp import load_mouse_qsp, load_qsp
from senotwin.model.scenarios import get_scenario
from senotwin.model.unitcheck import unit_problems
from senotwin.model.vaccine import load_vaccine_qsp
from senotwin.sim import SolverOptions, simulate

DAYS = (0.0, 5.0, 9.0, 11.0, 20.0, 31.0)


def _run(params: dict[str, float], initial: dict[str, float], *, spec=None):
    sc = get_scenario("mouse_vaccine")
    res = simulate(
        spec or sc.load(),
        params=dict(sc.params) | params,
        initial=dict(sc.initial) | initial,
        t_end=max(DAYS),
        solver=SolverOptions(engine="fast", rtol=1e-8, atol=1e-8, t_eval=DAYS),
        check_ranges=False,
        throw=True,
    )
    return res.table


def test_the_overlay_builds_on_the_mouse_model_and_leaves_qsp_yaml_alone() -> None:
    spec = load_vaccine_qsp()
    base = load_mouse_qsp()
    assert {"Vs", "Vd"} <= set(spec.species_ids)
    assert not {"Vs", "Vd", "n_challenge"} & {*load_qsp().species_ids, *load_qsp().parameter_ids}
    assert set(base.parameter_ids) < set(spec.parameter_ids)
    assert [e.id for e in spec.events][-1] == "vaccine_protocol_day"
    assert unit_problems(spec) == []
    # the protocol numbers are the arms': the scenario holds them at 0 (a null draw cannot set them)
    params = get_scenario("mouse_vaccine").params
    assert params["n_challenge"] == 0.0 and params["n_vaccine_late"] == 0.0


def test_a_vaccine_of_zero_cells_is_no_vaccine() -> None:
    """The overlay with an empty site and no challenge runs the mouse model unchanged (to the
    solver tolerance: the protocol-day event restarts the integration)."""
    sc = get_scenario("mouse_vaccine")
    with_site = _run({}, {"Vs": 0.0, "Vd": 0.0})
    plain = simulate(
        load_mouse_qsp(),
        params={k: v for k, v in sc.params.items() if k in load_mouse_qsp().parameter_ids},
        initial={k: v for k, v in sc.initial.items() if k not in ("Vs", "Vd")},
        t_end=max(DAYS),
        solver=SolverOptions(engine="fast", rtol=1e-8, atol=1e-8, t_eval=DAYS),
        check_ranges=False,
        throw=True,
    ).table
    for col in ("C", "V_T", "mDC", "T8b", "T8"):
        np.testing.assert_allclose(with_site[col], plain[col], rtol=1e-5, atol=1e-6)
    assert with_site["Vs"].max() == 0.0 and with_site["Vd"].max() == 0.0


def test_the_primed_pool_rises_with_the_dose() -> None:
    """Blood effectors on day 9 (before the protocol day) rise with the senescent cells given."""
    t8b = [_run({}, {"Vs": n})["T8b"].iloc[2] for n in (0.0, 1.0e5, 1.0e6, 5.0e6)]
    assert all(b > a for a, b in itertools.pairwise(t8b))
    assert t8b[1] > 10.0 * t8b[0]


def test_senescent_vaccine_cells_persist_where_icd_cells_are_cleared() -> None:
    sen = _run({}, {"Vs": 1.0e6})
    icd = _run({}, {"Vd": 1.0e6})
    assert sen["Vs"].iloc[2] > 0.3e6  # saturated removal: most remain at day 9
    assert icd["Vd"].iloc[1] < 1.0  # dead cells leave at k_clear_dead 8/day


def test_the_protocol_day_adds_the_challenge_or_the_late_injection() -> None:
    t = _run({"n_challenge": 1.0e4, "n_vaccine_late": 2.0e6}, {})
    assert t["C"].iloc[2] < 100.0 < 1.0e4 < t["C"].iloc[3]
    assert t["Vs"].iloc[2] == 0.0 and 1.0e6 < t["Vs"].iloc[3] <= 2.0e6


def _case(system: dict, initial: dict) -> dict:
    return {
        "id": "v1",
        "tier": "literature",
        "claim": "immunisation protects",
        "source": {"paper": "Paper P", "panel": "abstract", "review_section": "3.2", "refs": [151]},
        "system": system,
        "perturbed": {"initial": initial},
        "readout": "V_T",
        "measure": {"stat": "at", "at": 31},
        "expect": {"kind": "direction", "direction": "decrease"},
    }


def test_bad_vaccine_input_is_refused_with_the_field_named() -> None:
    doc = {"version": 2, "cases": [_case({"scenario": "mouse_vaccine"}, {"Vs": 1.0e6})]}
    assert parse_cases(doc)[0].scenario.name == "mouse_vaccine"
    # the vaccine site exists only in its scenario's model
    human = {"version": 2, "cases": [_case({"tissue": "melanoma"}, {"Vs": 1.0e6})]}
    with pytest.raises(ValidationError, match="'Vs' is not a species"):
        parse_cases(human)
    with pytest.raises(ValidationError, match="n_challange"):
        _run({"n_challange": 1.0e4}, {})
    with pytest.raises(ValidationError, match="Vs"):
        _run({}, {"Vs": -1.0})
