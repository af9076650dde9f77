"""The demo report: one ordered list of section builders drawing :class:`DemoResults`.

Adding a section touches one place: write a function ``DemoResults -> Section`` (in a
``*_sections`` module) and add it to :data:`DEMO_SECTIONS`. Builders only draw; anything they
need computed goes into :mod:`senotwin.analysis.demo`.
"""

from __future__ import annotations

import platform
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from senotwin import __version__
from senotwin._errors import ValidationError
from senotwin._io import atomic_write_bytes, atomic_write_text, ensure_writable_dir
from senotwin.analysis.demo import DemoResults
from senotwin.report import (
    calibration_sections,
    cohort_sections,
    kb_sections,
    sim_sections,
    stratify_sections,
    therapy_sections,
    trial_sections,
    validation_sections,
)
from senotwin.report.html import render_report
from senotwin.report.section import Section

REVIEW = (
    "Wang H, Yu Y, Li R, et al. Immunoregulatory mechanisms in the aging microenvironment: "
    "targeting the senescence-associated secretory phenotype for cancer immunotherapy. "
    "Acta Pharm Sin B 2025. doi:10.1016/j.apsb.2025.07.022"
)

SectionBuilder = Callable[[DemoResults], Section]

DEMO_SECTIONS: tuple[SectionBuilder, ...] = (
    lambda r: kb_sections.map_section(r.kb),
    lambda r: kb_sections.stats_section(r.kb),
    lambda r: kb_sections.agents_section(r.kb),
    lambda r: kb_sections.notes_section(r.kb),
    lambda r: sim_sections.model_section(r.model),
    lambda r: sim_sections.timecourse_section(r.default_run, r.default_scenario),
    lambda r: sim_sections.dual_effect_section(r.dual_runs),
    lambda r: validation_sections.validation_section(r.validation, r.model, r.validation_models),
    lambda r: therapy_sections.therapy_section(r.therapy, r.therapy_arms),
    lambda r: cohort_sections.trial_section(r.cohort, r.model),
    lambda r: cohort_sections.responses_section(r.cohort),
    lambda r: cohort_sections.sensitivity_section(
        r.sensitivity, days=r.sensitivity_days, model=r.sensitivity_model
    ),
    lambda r: cohort_sections.provenance_section(r.cohort, r.model),
    lambda r: calibration_sections.shipped_calibration_section(),
    lambda r: trial_sections.library_trial_section(r.library_trial),
    lambda r: trial_sections.heldback_section(r.heldback),
    lambda r: stratify_sections.stratify_section(r.stratify),
)


@dataclass(frozen=True)
class DemoReport:
    """Files the demo wrote."""

    report: Path
    figures: tuple[Path, ...]


def build_sections(
    results: DemoResults, builders: tuple[SectionBuilder, ...] = DEMO_SECTIONS
) -> tuple[Section, ...]:
    """Every section of the report, in order; figure file names must be unique."""
    sections = tuple(build(results) for build in builders)
    names = [f.name for s in sections for f in s.figures]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValidationError(f"report figures: duplicate file names {duplicates}")
    return sections


def write_report(results: DemoResults, out_dir: str | Path) -> DemoReport:
    """Draw every section and write report.html plus each figure as PNG into ``out_dir``."""
    directory = ensure_writable_dir(out_dir)
    sections = build_sections(results)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    footer = (
        f"senotwin {__version__} · Python {platform.python_version()} · generated {stamp} · "
        f"source review: {REVIEW}"
    )
    page = render_report(
        sections,
        title="senotwin — the SASP in the aging tumour microenvironment",
        subtitle="An executable, evidence-linked reading of Wang et al., Acta Pharm Sin B 2025",
        footer=footer,
    )
    figures = tuple(
        atomic_write_bytes(directory / f.name, f.png) for s in sections for f in s.figures
    )
    report = atomic_write_text(directory / "report.html", page)
    return DemoReport(report=report, figures=figures)
