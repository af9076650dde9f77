"""The demo report drawn from a small DemoResults: every section, no Python reprs, files."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from senotwin._errors import ValidationError
from senotwin.analysis.demo import DemoResults
from senotwin.report import calibration_sections
from senotwin.report.demo import DEMO_SECTIONS, build_sections, write_report
from senotwin.report.html import render_report
from senotwin.report.section import Figure, Section

REPR = re.compile(r"\b[A-Z]\w*\(\w+=|\{'\w+': |\('\w+', |object at 0x|<senotwin")


@pytest.fixture(scope="module", autouse=True)
def _calibration_drawn_once(shipped_calibration: Section) -> Iterator[None]:
    """The calibration builder returns the session's shipped_calibration_section() (the same
    call, drawn once: ~10 s of every full build; tests/calibrate/test_shipped.py reads it)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(calibration_sections, "shipped_calibration_section", lambda: shipped_calibration)
        yield


@pytest.fixture(scope="module")
def sections(demo_results: DemoResults) -> tuple[Section, ...]:
    return build_sections(demo_results)


def _texts(section: Section) -> list[str]:
    out = [section.title, section.intro, *section.notes]
    out += [f.caption for f in section.figures]
    for t in section.tables:
        out += [t.caption, *t.columns, *(c for row in t.rows for c in row)]
    out += [f"{s.label} {s.value}" for s in section.stats]
    return out


def test_every_builder_gives_one_section_with_content(sections: tuple[Section, ...]) -> None:
    assert len(sections) == len(DEMO_SECTIONS)
    for s in sections:
        assert s.intro or s.figures or s.tables, s.title
    names = [f.name for s in sections for f in s.figures]
    assert len(names) == len(set(names))
    assert all(f.png.startswith(b"\x89PNG") and f.caption for s in sections for f in s.figures)


def test_no_python_reprs_anywhere(sections: tuple[Section, ...]) -> None:
    # "EndpointRules(scan_every_days=...)", "{'days': ...}", "Schedule(doses=(), ...)"
    for s in sections:
        for text in _texts(s):
            assert not REPR.search(text), f"{s.title}: {text[:200]}"


def test_failed_validation_rows_are_highlighted(sections: tuple[Section, ...]) -> None:
    val = next(s for s in sections if s.title == "Literature validation")
    assert val.tables[0].columns[0] == "tier"
    table = val.tables[1]
    result_col = table.columns.index("result")
    failed = {k for k, row in enumerate(table.rows) if row[result_col] == "FAIL"}
    assert failed == set(table.highlight) == {1}
    assert any(n.startswith("C2: ") for n in val.notes)
    codes = val.tables[2]
    assert ("k_grow", "cancer cell proliferation rate (1/day)") in codes.rows


def test_captions_carry_numbers_of_the_data(
    sections: tuple[Section, ...], demo_results: DemoResults
) -> None:
    val = next(s for s in sections if s.title == "Literature validation")
    assert val.intro.startswith("1 of 2 cases pass (50%): literature 1 of 2 (50%)")
    km = next(s for s in sections if s.title == "Virtual trial: therapy arms").figures[0]
    for arm in demo_results.cohort.summary["arm"]:
        assert arm in km.caption
    sens = next(s for s in sections if s.figures and s.figures[0].name.startswith("sensitivity"))
    assert "8 Latin-hypercube samples of 3 parameters (each ×/÷ 2 " in sens.intro
    assert "20 days" in sens.intro and "25%" in sens.intro


def test_units_on_every_table_header_with_numbers(sections: tuple[Section, ...]) -> None:
    for title in ("Therapy arms", "Virtual trial: therapy arms"):
        table = next(s for s in sections if s.title == title).tables[0]
        for column in table.columns[1:]:
            assert "(" in column or "," in column, f"{title}: {column!r} has no unit"


def test_adding_a_section_is_one_builder(
    demo_results: DemoResults, sections: tuple[Section, ...]
) -> None:
    # the demo's builders stand in by the sections they drew for the fixture (build_sections
    # only calls each builder and checks the figure names: redrawing them twice took ~25 s)
    drawn = tuple((lambda r, s=s: s) for s in sections)
    assert len(drawn) == len(DEMO_SECTIONS)
    extra = (*drawn, lambda r: Section("Extra", intro=f"{len(r.kb.entities)} entities"))
    out = build_sections(demo_results, extra)
    assert out[:-1] == sections
    assert out[-1].title == "Extra" and out[-1].intro.endswith("entities")
    clash = (*drawn, lambda r: Section("Y", figures=(Figure("dual_effect.png", b"", "c"),)))
    with pytest.raises(ValidationError, match="duplicate file names"):
        build_sections(demo_results, clash)


def test_write_report_writes_html_and_each_figure(
    tmp_path: Path, demo_results: DemoResults
) -> None:
    written = write_report(demo_results, tmp_path / "out")
    page = written.report.read_text(encoding="utf-8")
    assert page.count("<section") == len(DEMO_SECTIONS)
    assert 'class="highlight"' in page
    assert sorted(p.name for p in written.figures) == sorted(
        p.name for p in (tmp_path / "out").glob("*.png")
    )
    assert render_report((), title="t", subtitle="s", footer="f").startswith("<!DOCTYPE html>")
