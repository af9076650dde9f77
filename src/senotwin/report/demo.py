"""``senotwin demo``: the review's story as one self-contained HTML report (plus PNG figures)."""

from __future__ import annotations

import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from senotwin import __version__
from senotwin._io import atomic_write_bytes, atomic_write_text, ensure_writable_dir
from senotwin.kb import load
from senotwin.report.cohort_sections import demo_cohort_report
from senotwin.report.html import Section, render_report
from senotwin.report.kb_sections import (
    agents_section,
    map_section,
    mechanism_map_png,
    notes_section,
    stats_section,
)
from senotwin.report.sim_sections import simulation_sections
from senotwin.report.therapy_sections import therapy_section

REVIEW = (
    "Wang H, Yu Y, Li R, et al. Immunoregulatory mechanisms in the aging microenvironment: "
    "targeting the senescence-associated secretory phenotype for cancer immunotherapy. "
    "Acta Pharm Sin B 2025. doi:10.1016/j.apsb.2025.07.022"
)


@dataclass(frozen=True)
class DemoResult:
    """Files the demo wrote."""

    report: Path
    figures: tuple[Path, ...]


def run_demo(out_dir: str | Path) -> DemoResult:
    """Build the demo report in ``out_dir`` (created if needed)."""
    directory = ensure_writable_dir(out_dir)
    kb = load()
    map_png = mechanism_map_png(kb)
    figures = [atomic_write_bytes(directory / "mechanism_map.png", map_png)]
    sections: list[Section] = [
        map_section(kb, map_png),
        stats_section(kb),
        agents_section(kb),
        notes_section(kb),
    ]
    sim = simulation_sections()
    sections.extend(sim.sections)
    figures += [atomic_write_bytes(directory / name, data) for name, data in sim.figures]
    therapy, therapy_figures = therapy_section()
    sections.append(therapy)
    figures += [atomic_write_bytes(directory / name, data) for name, data in therapy_figures]
    cohort = demo_cohort_report(directory / "cohort")
    sections.extend(cohort.sections)
    figures += [atomic_write_bytes(directory / name, data) for name, data in cohort.figures]
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
    report = atomic_write_text(directory / "report.html", page)
    return DemoResult(report=report, figures=tuple(figures))
