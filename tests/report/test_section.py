"""The section shape and its HTML rendering: escaping, highlighted rows, anchors, figures."""

from __future__ import annotations

import pytest

from senotwin._errors import ValidationError
from senotwin.report.html import render_report
from senotwin.report.section import Figure, Section, Stat, Table

PNG = b"\x89PNG\r\n\x1a\nfake"


def _page(*sections: Section) -> str:
    return render_report(sections, title="t", subtitle="s", footer="f")


def test_anchor_from_title_and_explicit_anchor() -> None:
    assert Section("Time courses — default scenario").anchor == "time-courses-default-scenario"
    assert Section("X", anchor="custom").anchor == "custom"
    with pytest.raises(ValidationError, match="title is empty"):
        Section("  ")


def test_table_rows_must_match_header() -> None:
    with pytest.raises(ValidationError, match="row 1 has 1 cells, the header 2"):
        Table.of(("a", "b"), [(1, 2), (3,)])
    assert Table.of(("a",), [(1.5,)]).rows == (("1.5",),)


def test_figure_names_are_plain_png_files() -> None:
    with pytest.raises(ValidationError, match="figure name"):
        Figure("../x.png", PNG, "c")
    with pytest.raises(ValidationError, match="figure name"):
        Figure("x.svg", PNG, "c")


def test_render_escapes_text_and_marks_highlighted_rows() -> None:
    table = Table.of(("case", "result"), [("a", "pass"), ("b<script>", "FAIL")], highlight=[1])
    page = _page(
        Section(
            "Validation",
            intro="1 < 2 & so on",
            stats=(Stat("cases", "2"),),
            figures=(Figure("v.png", PNG, "caption <b>", "alt"),),
            tables=(table,),
            notes=("note <i>",),
            notes_title="Why",
        )
    )
    assert "b&lt;script&gt;" in page and "<script>" not in page
    assert "1 &lt; 2 &amp; so on" in page
    assert "caption &lt;b&gt;" in page and "note &lt;i&gt;" in page
    rows = page.split("<tr")
    fail_rows = [r for r in rows if "FAIL" in r]
    pass_rows = [r for r in rows if ">pass<" in r]
    assert len(fail_rows) == 1 and 'class="highlight"' in fail_rows[0]
    assert len(pass_rows) == 1 and "highlight" not in pass_rows[0]
    assert "data:image/png;base64," in page
    assert '<a href="#validation">Validation</a>' in page


def test_duplicate_anchors_are_refused() -> None:
    with pytest.raises(ValidationError, match="duplicate anchors"):
        _page(Section("Same"), Section("same"))


def test_each_table_scrolls_in_its_own_box() -> None:
    """The validation table (14 columns) made the whole report page scroll sideways on a 1300 px
    window (found opening the demo's report in s52): every table sits in a box that scrolls."""
    page = _page(Section("A", tables=(Table.of(("a",), [(1,)]), Table.of(("b",), [(2,)]))))
    assert page.count('<div class="table-wrap"><table>') == 2
    assert page.count("</table></div>") == 2
    assert ".table-wrap { overflow-x: auto;" in page
