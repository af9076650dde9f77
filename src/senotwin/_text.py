"""Small wording helpers shared by the command line and the web app."""

from __future__ import annotations


def counted(n: int, noun: str) -> str:
    """``n noun`` with the noun in the plural unless ``n`` is 1 ("1 arm", "2 arms")."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def column_widths(records: list[dict[str, object]], keys: tuple[str, ...]) -> list[int]:
    """Width of each text column ``keys``: its longest entry or its header (the key itself),
    so plain-text tables line up whatever the entries' lengths."""
    return [max([len(key), *(len(str(r[key])) for r in records)]) for key in keys]


def plotly_literal(text: object) -> str:
    """``text`` as Plotly shows it literally: Plotly reads ``<a href>``, ``<b>``, ``<br>`` and
    entities in titles, legends and hover text, so user text (a sample name, a forged scenario)
    could add links or markup to the page; ``&``, ``<`` and ``>`` are written as entities."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
