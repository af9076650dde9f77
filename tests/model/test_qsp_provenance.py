"""Every number of the physical-units model that claims a source points at a recorded one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from senotwin.model.describe import is_activity_scale
from senotwin.model.qsp import load_qsp
from senotwin.model.spec import DerivedProvenance, MeasuredProvenance

SOURCES = Path(__file__).resolve().parents[2] / "docs" / "quantitative-sources.yaml"


@pytest.fixture(scope="module")
def recorded() -> tuple[set[str], set[str]]:
    if not SOURCES.is_file():
        pytest.skip("docs/quantitative-sources.yaml is not part of this checkout")
    doc = yaml.safe_load(SOURCES.read_text(encoding="utf-8"))
    return {e["id"] for e in doc["entries"]}, set(doc["sources"])


def test_measured_parameters_name_a_recorded_entry(recorded: tuple[set[str], set[str]]) -> None:
    entries, _ = recorded
    bad = []
    for p in load_qsp().parameters:
        if isinstance(p.provenance, MeasuredProvenance):
            refs = re.findall(r"quantitative-sources ([A-Za-z0-9_]+)", p.provenance.source)
            if not refs or any(r not in entries for r in refs):
                bad.append(f"{p.id}: {p.provenance.source}")
    assert not bad, bad


def test_derived_parameters_cite_recorded_entries_or_sources(
    recorded: tuple[set[str], set[str]],
) -> None:
    entries, sources = recorded
    bad = [
        f"{p.id}: {s}"
        for p in load_qsp().parameters
        if isinstance(p.provenance, DerivedProvenance)
        for s in p.provenance.sources
        if s not in entries | sources
    ]
    assert not bad, bad


def test_only_activity_scales_are_normalisations() -> None:
    """'1 by definition' is honest only for an untreated activity level that therapy lowers."""
    for p in load_qsp().parameters:
        if isinstance(p.provenance, DerivedProvenance) and "normalisation" in p.provenance.formula:
            assert is_activity_scale(p) and p.value == 1.0, p.id


def test_scenario_inputs_are_set_by_their_contexts() -> None:
    """A 'scenario input' is derived only as the definition of the default context: 0 there, and
    some context of model/qsp.py (an inducer, or a mouse arm) or a validation case's set-up sets
    its own value."""
    from senotwin.analysis.validation import cases_path
    from senotwin.model.qsp import INDUCERS, MOUSE_ARMS, mouse_params

    inputs = [
        p
        for p in load_qsp().parameters
        if isinstance(p.provenance, DerivedProvenance) and "scenario input" in p.provenance.formula
    ]
    assert sorted(p.id for p in inputs) == ["k_cd8_depl", "nk_missing_self", "stress_src"]
    contexts = [params for params, _ in INDUCERS.values()] + [mouse_params(a) for a in MOUSE_ARMS]
    cases = yaml.safe_load(cases_path().read_text(encoding="utf-8"))["cases"]
    contexts += [
        (c.get(arm) or {}).get("params", {}) for c in cases for arm in ("control", "perturbed")
    ]
    for p in inputs:
        assert p.value == 0.0
        assert any(params.get(p.id, 0.0) > 0 for params in contexts), p.id


def test_every_parameter_acts_on_the_model() -> None:
    """A parameter no rate, observable or event reads does nothing and would only count as an
    assumption (was: the mouse antibody pumps and the lymph-node volume)."""
    from senotwin.model.expr import parse, symbols
    from senotwin.model.qsp import load_mouse_qsp

    for spec in (load_qsp(), load_mouse_qsp()):
        used: set[str] = set()
        for item in (*spec.processes, *spec.observables):
            used |= symbols(spec.rate_tree(item))
        allowed = {*spec.species_ids, *spec.parameter_ids, *spec.observable_ids}
        for event in spec.events:
            for text in event.assign.values():
                used |= symbols(parse(text, allowed, where=event.id))
        assert not set(spec.parameter_ids) - used, sorted(set(spec.parameter_ids) - used)


def test_antigen_half_maximum_is_the_cancer_cells_of_a_lesion_at_the_detection_limit() -> None:
    """K_ag is derived (rho_cell x V_detect): keep the value equal to its formula."""
    p = {q.id: q.value for q in load_qsp().parameters}
    assert p["K_ag"] == pytest.approx(p["rho_cell"] * p["V_detect"], rel=1e-3)


def test_cytotoxic_kill_is_what_the_claret_2014_kill_leaves_after_senescence(
    recorded: tuple[set[str], set[str]],
) -> None:
    """k_cyto is derived (one standard course = one carboplatin-paclitaxel cycle, whose log-loss
    is 3 KDE x 21 d of the Claret 2014 MONET1 fit): keep the value equal to its formula."""
    doc = yaml.safe_load(SOURCES.read_text(encoding="utf-8"))
    (entry,) = [e for e in doc["entries"] if e["id"] == "tgi_kill_nsclc_platinum_doublet"]
    kde = entry["value"]["KDE_per_day"]
    p = {q.id: q.value for q in load_qsp().parameters}
    assert p["k_cyto"] == pytest.approx(3 * kde * 21.0 * p["d_stress"] - p["k_tis"], rel=2e-3)
