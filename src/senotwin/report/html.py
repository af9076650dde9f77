"""Assemble a self-contained HTML report from sections (figures embedded as base64 PNG)."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources

import jinja2


@dataclass(frozen=True)
class Section:
    """One block of the report: a title, an optional lead sentence and trusted HTML content."""

    title: str
    html: str
    lead: str = ""

    @property
    def anchor(self) -> str:
        """URL fragment derived from the title."""
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")


def png_img(data: bytes, alt: str) -> str:
    """An <img> element carrying the PNG inline, so the report works offline as one file."""
    encoded = base64.b64encode(data).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{encoded}">'


def html_table(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A plain HTML table with every cell escaped."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_report(sections: Sequence[Section], *, title: str, subtitle: str, footer: str) -> str:
    """Render the report template."""
    template_text = (resources.files("senotwin.report") / "templates" / "report.html.j2").read_text(
        encoding="utf-8"
    )
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(template_text)
    return template.render(sections=sections, title=title, subtitle=subtitle, footer=footer)
