"""Demo-report sections of the TME simulation: time courses, the dual effect, validation table."""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass

from senotwin.analysis.validation import ValidationReport, run_validation
from senotwin.model.tme import load_tme
from senotwin.report.html import Section, html_table, png_img
from senotwin.report.timecourses import (
    dual_effect_figure,
    dual_effect_runs,
    figure_bytes,
    scenario_table,
    timecourse_figure,
)


@dataclass(frozen=True)
class SimulationSections:
    """Sections for the report and the PNG figures (name -> bytes) they embed."""

    sections: tuple[Section, ...]
    figures: tuple[tuple[str, bytes], ...]


def model_section() -> Section:
    """Model size and the provenance shares of its parameters."""
    spec = load_tme()
    kinds = Counter(p.provenance.kind for p in spec.parameters)
    n = len(spec.parameters)
    rows = [(k, kinds[k], f"{kinds[k] / n:.0%}") for k in ("citation", "kb", "assumed")]
    cited = {i for pr in spec.processes for i in pr.kb}
    cited |= {i for obs in spec.observables for i in obs.kb}
    lead = (
        f"{len(spec.species)} species, {n} parameters, {len(spec.processes)} processes, "
        f"{len(spec.observables)} observables; processes and signals cite {len(cited)} "
        "knowledge-base interactions. Every parameter carries a unit, a plausible range and "
        "provenance:"
    )
    return Section("TME model", html_table(("provenance", "parameters", "share"), rows), lead=lead)


def validation_section(report: ValidationReport) -> Section:
    """The literature validation table, failures explained."""
    rows = [
        (
            r.id,
            r.claim,
            r.perturbation,
            r.readout,
            r.expected,
            f"{r.relative_change:+.1%}",
            "pass" if r.passed else "FAIL",
            f"{r.section} [{', '.join(map(str, r.refs))}]",
        )
        for r in report.results
    ]
    table = html_table(
        ("case", "claim", "perturbation", "read-out", "expected", "change", "result", "section"),
        rows,
    )
    fails = "".join(
        f"<li><b>{html.escape(r.id)}</b>: {html.escape(r.explanation or '')}</li>"
        for r in report.failures()
    )
    body = table + (f"<h3>Failed cases</h3><ul>{fails}</ul>" if fails else "")
    lead = (
        f"{report.n_passed} of {len(report.results)} review claims reproduced "
        f"({report.pass_rate:.0%}); each case compares a perturbation with its untreated control."
    )
    return Section("Literature validation", body, lead=lead)


def simulation_sections() -> SimulationSections:
    """Default-scenario time courses, the dual-effect comparison and the validation table."""
    default_png = figure_bytes(
        timecourse_figure(
            scenario_table("default"),
            title="default: aged host, lung tumour, chemotherapy-induced senescence",
        )
    )
    dual_png = figure_bytes(dual_effect_figure(dual_effect_runs()))
    sections = (
        model_section(),
        Section(
            "Time courses — default scenario",
            png_img(default_png, "TME time courses of the default scenario"),
            lead="Aged host, lung tumour, one chemotherapy course: senescent cells mature from the "
            "early TGF-β-rich to the late IL-6/IL-8 and deep IFN-I stages while removal is "
            "saturated; MDSC and Treg accumulate and the tumour regrows after the first response.",
        ),
        Section(
            "The dual effect of the SASP",
            png_img(dual_png, "acute versus chronic senescence"),
            lead="A transient pulse in a young host is cleared within weeks and the tumour is "
            "controlled; persistent senescence in an aged host shifts the immune balance to "
            "MDSC/Treg and speeds tumour growth relative to the same host without senescence.",
        ),
        validation_section(run_validation()),
    )
    return SimulationSections(
        sections, (("timecourses_default.png", default_png), ("dual_effect.png", dual_png))
    )
