"""Shipped fit results: stored with the problem's fingerprint, read back exactly, flagged stale
when the problem changes, drawn by the demo report's calibration section."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from senotwin._errors import ValidationError
from senotwin.calibrate import get_problem
from senotwin.calibrate.problem import FitParameter
from senotwin.calibrate.shipped import (
    REPRODUCE_TOL,
    load_shipped_fit,
    problem_fingerprint,
    shipped_path,
)
from senotwin.report.calibration_sections import shipped_calibration_section
from senotwin.report.section import Section


@pytest.fixture(scope="module")
def galvis():
    return get_problem("galvis2019")


def test_the_shipped_galvis_fit_is_current_and_complete(galvis) -> None:
    shipped = load_shipped_fit(galvis)
    assert shipped is not None, "run python scripts/calibration_results.py --problem galvis2019"
    assert shipped.current, "regenerate: python scripts/calibration_results.py"
    fit = shipped.fit
    assert fit.parameter_ids == tuple(p.id for p in galvis.estimated)
    assert len(fit.starts) >= 51 and fit.converged >= 10
    assert {p.parameter for p in shipped.profiles} == set(fit.parameter_ids)
    ci = {p.parameter: (p.ci_low, p.ci_high) for p in shipped.profiles}
    lo, hi = ci["k_div"]
    assert lo is not None and hi is not None and lo < fit.best["k_div"] < hi
    assert fit.held_back is not None and fit.held_back.n == 27
    assert set(shipped.curves["observable"]) == {o.id for o in galvis.observables}


def test_the_fingerprint_follows_the_problem(galvis) -> None:
    fp = problem_fingerprint(galvis)
    assert fp == problem_fingerprint(get_problem("galvis2019"))
    wider = tuple(
        FitParameter(p.id, p.lower, p.upper * 2, p.nominal, name=p.name) if p.id == "k_div" else p
        for p in galvis.parameters
    )
    assert problem_fingerprint(replace(galvis, parameters=wider)) != fp
    fewer = replace(galvis, measurements=galvis.measurements.iloc[1:].reset_index(drop=True))
    assert problem_fingerprint(fewer) != fp


def test_stale_and_broken_results(galvis, tmp_path: Path, monkeypatch) -> None:
    doc = json.loads(shipped_path("galvis2019").read_text("utf-8"))
    doc["fingerprint"] = "0" * 16
    stale = tmp_path / "fit_result.json"
    stale.write_text(json.dumps(doc))
    assert load_shipped_fit(galvis, stale).current is False
    doc["fit"]["best"]["k_div"] *= 1.2  # and the stored optimum no longer holds
    stale.write_text(json.dumps(doc))
    real = shipped_path
    monkeypatch.setattr(  # only galvis2019's result is swapped; other problems keep theirs
        "senotwin.calibrate.shipped.shipped_path",
        lambda name: stale if name == "galvis2019" else real(name),
    )
    section = shipped_calibration_section()
    assert any("STALE" in n for n in section.notes)
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"format": 1, "fit": {}}))
    with pytest.raises(ValidationError, match="shipped fit"):
        load_shipped_fit(galvis, broken)
    assert load_shipped_fit(galvis, tmp_path / "absent.json") is None


def test_report_section_draws_the_shipped_fit(shipped_calibration: Section) -> None:
    section = shipped_calibration  # shipped_calibration_section(), drawn once (tests/conftest.py)
    names = {f.name for f in section.figures}
    assert {
        "calibration_galvis2019_waterfall.png",
        "calibration_galvis2019_fits.png",
        "calibration_galvis2019_profiles.png",
    } <= names
    params = next(t for t in section.tables if "Fitted parameters" in t.caption)
    rows = {r[0]: r for r in params.rows}
    assert rows["k_div"][-1] == "yes" and rows["Sl0"][-1] == "no"
    gof = next(t for t in section.tables if "Goodness" in t.caption)
    assert any(r[0] == "held back" for r in gof.rows)
    # galvis2019's held-back passages are not predicted, and the table says so (audit, s40)
    verdicts = {r[0]: r[-1] for r in gof.rows}
    assert verdicts["held back"].startswith("NOT PREDICTED (chi2 p ")
    assert verdicts["held back, observable population_doublings"].startswith("NOT PREDICTED")
    assert not any("STALE" in n for n in section.notes)
    assert any("Identifiable set: k_div, PD50, n_pd" in n for n in section.notes)
    # 'each shipped data set' left the simulated-cohort fit out without a word (audit s49)
    assert "with a PEtab form" in section.intro
    assert any(n.startswith("Not drawn here: liu2019, fitted on simulated") for n in section.notes)
    # the mouse fits: one panel per arm, the held-back prediction error per data set
    assert {
        "calibration_mariathasan2018_fits.png",
        "calibration_mariathasan2018_profiles.png",
        "calibration_mariathasan2018_mc38_waterfall.png",
    } <= names
    emt6 = next(t for t in section.tables if t.caption == "mariathasan2018: Goodness of fit")
    held = {r[0] for r in emt6.rows if str(r[0]).startswith("held back: ")}
    assert held == {
        "held back: fig4a_combination",
        "held back: ed5i_combination",
    }


def test_a_changed_fingerprint_is_verified_by_re_evaluating_the_optimum(
    galvis, tmp_path: Path
) -> None:
    """An edit the data do not see keeps the fit current; one that moves the optimum's nllh
    makes it stale (the report says which)."""
    doc = json.loads(shipped_path("galvis2019").read_text("utf-8"))
    doc["fingerprint"] = "0" * 16
    moved = tmp_path / "fit_result.json"
    moved.write_text(json.dumps(doc))
    kept = load_shipped_fit(galvis, moved, verify=True)
    assert kept.current and not kept.fingerprint_matches
    assert kept.nllh_now == pytest.approx(kept.fit.nllh, abs=REPRODUCE_TOL)
    doc["fit"]["best"]["k_div"] *= 1.2  # the stored optimum no longer gives the stored nllh
    moved.write_text(json.dumps(doc))
    stale = load_shipped_fit(galvis, moved, verify=True)
    assert not stale.current and stale.nllh_now > stale.fit.nllh + 1.0
    assert load_shipped_fit(galvis, moved).nllh_now is None  # no verification unless asked
