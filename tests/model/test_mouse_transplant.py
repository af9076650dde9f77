"""Transplanted mouse tumours run as mouse experiments (session 26, xeno; mouse_transplant)."""

from __future__ import annotations

import json
import math
import re

import pytest
import yaml

from senotwin._errors import ValidationError
from senotwin.analysis.validation import load_cases
from senotwin.analysis.validation.load import cases_path
from senotwin.model.mouse_mc38 import MOUSE_MC38_FIT
from senotwin.model.mouse_transplant import (
    START_STATES,
    TRANSPLANT_CONTEXTS,
    transplant_params,
    transplant_scenario,
)
from senotwin.model.qsp import MOUSE_EMT6_FIT, MOUSE_HOST, context, load_mouse_qsp
from senotwin.model.scenarios import get_scenario
from tests.scripts_loader import load_script

READOUT = load_script("transplant_readout_days")
STARTS = load_script("transplant_start_states")

#: the pre-registered scope rule: a mouse case whose tumour text names a transplanted tumour
TRANSPLANT = re.compile(
    r"xenograft|syngeneic|implanted|co-injected|co-transplanted|nude mice|subcutaneous|"
    r"in immunocompetent mice",
    re.IGNORECASE,
)


def test_every_transplanted_case_runs_on_a_mouse_scenario() -> None:
    """The scope rule, kept in every tier (session 30: it covered the literature tier only, and
    a consistency case had stayed on a human lesion): no transplanted tumour on a human lesion."""
    cases = yaml.safe_load(cases_path().read_text())["cases"]
    chosen = [
        c
        for c in cases
        if c["system"].get("species") == "mouse"
        and TRANSPLANT.search(c["system"].get("tumour", ""))
    ]
    # session 30: 23 literature, 6 consistency, 6 calibration; session 52: three dropped, one added
    assert len(chosen) >= 33
    human = [c["id"] for c in chosen if not str(c["system"].get("scenario")).startswith("mouse_")]
    assert not human, human
    for c in chosen:  # xenografts and nude mice on the immunodeficient host, and only they
        deficient = bool(re.search(r"xenograft|immunodeficient|nude", c["system"]["tumour"], re.I))
        name = c["system"]["scenario"]
        if name.startswith("mouse_transplant_"):
            assert name.endswith("_immunodeficient") == deficient, c["id"]


@pytest.mark.parametrize(("tissue", "inducer", "deficient"), TRANSPLANT_CONTEXTS)
def test_registered_contexts_are_the_builder_s(tissue: str, inducer: str, deficient: bool) -> None:
    built = transplant_scenario(tissue, inducer, immunodeficient=deficient)
    assert get_scenario(built.name).params == built.params
    assert built.load() is load_mouse_qsp()
    assert not built.check_ranges


def test_growth_host_and_inducer() -> None:
    colon = transplant_params("colorectal", "none")
    breast = transplant_params("breast", "none")
    assert colon["k_grow"] == MOUSE_MC38_FIT["k_grow"]
    lung = transplant_params("lung", "none")
    assert breast["k_grow"] == MOUSE_EMT6_FIT["k_grow"] == lung["k_grow"]
    assert breast["k_kill"] == colon["k_kill"] == MOUSE_EMT6_FIT["k_kill"]  # EMT6 immunity
    assert breast["s_rs"] == MOUSE_HOST["s_rs"]
    # chemotherapy per exposure as in the human context of the same tissue
    for tissue in ("breast", "melanoma", "lung"):
        mouse, human = transplant_params(tissue, "chemo"), context(tissue, "young", "chemo")
        for k in ("k_cyto", "k_tis"):
            assert mouse.get(k) == human.params.get(k)
    assert transplant_params("lung", "cdk46i")["ikk_level"] == 0.05
    chemo = transplant_scenario("lung", "chemo", immunodeficient=False)
    assert chemo.initial["stress"] == 1.0


def test_day_zero_is_the_treatment_start_of_an_inoculated_lesion() -> None:
    """~0.15 mL at the treatment start (Mariathasan: ~160 mm3); more without CD8 killing."""
    spec = load_mouse_qsp()
    comp = transplant_scenario("lung", "none", immunodeficient=False).initial
    dfc = transplant_scenario("lung", "none", immunodeficient=True).initial
    assert set(comp) == set(spec.species_ids)
    assert comp["stress"] == 0.0
    assert 1.0e7 < comp["C"] < dfc["C"] < 1.0e8


def test_readout_days_a_mouse_could_live_to() -> None:
    """Session 26 (xenoday): every in-scope case reads on the pre-registered rule's day (the
    rule is a fixed point on the shipped cases), and its control lesion then is within one
    day's growth of the humane endpoint, unless the day is the paper's own."""
    cases = {c.spec_case.id: c for c in load_cases()}
    marked = {i for i, c in cases.items() if "Session 26 (xenoday" in (c.spec_case.note or "")}
    assert marked == set(READOUT.IN_SCOPE)
    one_day = math.exp(max(MOUSE_EMT6_FIT["k_grow"], MOUSE_MC38_FIT["k_grow"]))
    for cid in READOUT.IN_SCOPE:
        choice = READOUT.choose(cases[cid])
        assert choice.day == cases[cid].spec_case.measure.t_needed, cid
        if cid not in READOUT.PAPER_DAY:
            assert choice.volume_ml[choice.day] < READOUT.ENDPOINT_ML * one_day, cid


def test_no_transplant_case_compares_identical_arms() -> None:
    """A case whose arms are the same cannot show its effect (krtolica lost its control's s_rs)."""
    for case in load_cases():
        spec = case.spec_case
        if case.scenario.name.startswith("mouse_transplant_") and spec.perturbed is not None:
            assert spec.control != spec.perturbed, spec.id


def test_stored_start_states_are_the_simulated_ones() -> None:
    """The stored treatment-start states equal a fresh simulation (rerun
    scripts/transplant_start_states.py after a change of the mouse model or its fits)."""
    stored = json.loads(START_STATES.read_text())["states"]
    fresh = STARTS.start_states()
    assert set(stored) == set(fresh)
    for key, state in fresh.items():
        assert stored[key] == pytest.approx(state, rel=1e-9, abs=1e-12), key


def test_a_context_without_a_stored_start_state_is_refused_by_name() -> None:
    """MC38 (colon) is registered immunocompetent only: its immunodeficient start is not stored."""
    with pytest.raises(ValidationError, match=r"mc38_immunodeficient.*allowed"):
        transplant_scenario("colorectal", "none", immunodeficient=True)
