"""The one shape of a report section: title, intro, figures, tables and notes — data, no HTML.

Section builders (see :mod:`senotwin.report.demo`) turn analysis results into these records;
:mod:`senotwin.report.html` renders them. Builders draw; they never simulate.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from senotwin._errors import ValidationError


@dataclass(frozen=True)
class Figure:
    """A rendered PNG figure: file name (written beside the report), bytes, caption, alt text."""

    name: str
    png: bytes
    caption: str
    alt: str = ""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9_]+\.png", self.name):
            raise ValidationError(
                f"figure name {self.name!r}: use lower-case letters, digits and '_' ending in .png"
            )


@dataclass(frozen=True)
class Table:
    """A table of already formatted cells; ``highlight`` holds the indices of rows to mark."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    highlight: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        for k, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValidationError(
                    f"table {self.caption or self.columns!r}: row {k} has {len(row)} cells, "
                    f"the header {len(self.columns)}"
                )

    @classmethod
    def of(
        cls,
        columns: Sequence[str],
        rows: Sequence[Sequence[object]],
        *,
        caption: str = "",
        highlight: Sequence[int] = (),
    ) -> Table:
        """A table from any cells (each turned into text with ``str``)."""
        return cls(
            tuple(columns),
            tuple(tuple(str(c) for c in row) for row in rows),
            caption,
            frozenset(highlight),
        )


@dataclass(frozen=True)
class Stat:
    """One headline number (shown as a tile)."""

    label: str
    value: str


@dataclass(frozen=True)
class Section:
    """One block of the report, rendered in this order: intro, stats, figures, tables, notes."""

    title: str
    intro: str = ""
    stats: tuple[Stat, ...] = ()
    figures: tuple[Figure, ...] = ()
    tables: tuple[Table, ...] = ()
    notes: tuple[str, ...] = ()
    notes_title: str = ""
    anchor: str = field(default="")

    def __post_init__(self) -> None:
        if not self.title.strip():
            raise ValidationError("report section: the title is empty")
        if not self.anchor:
            slug = re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")
            object.__setattr__(self, "anchor", slug or "section")
