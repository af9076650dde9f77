"""Render report sections into one self-contained HTML page (figures embedded as base64 PNG)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from importlib import resources

import jinja2

from senotwin._errors import ValidationError
from senotwin.report.section import Section


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render_report(sections: Sequence[Section], *, title: str, subtitle: str, footer: str) -> str:
    """The page: a navigation bar and every section (all text escaped by the template)."""
    anchors = [s.anchor for s in sections]
    duplicates = sorted({a for a in anchors if anchors.count(a) > 1})
    if duplicates:
        raise ValidationError(
            f"report sections: duplicate anchors {duplicates}; titles must differ"
        )
    template_text = (resources.files("senotwin.report") / "templates" / "report.html.j2").read_text(
        encoding="utf-8"
    )
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["data_uri"] = _data_uri
    template = env.from_string(template_text)
    return template.render(sections=sections, title=title, subtitle=subtitle, footer=footer)
