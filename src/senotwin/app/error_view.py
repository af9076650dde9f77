"""How the pages show an error text under the field it names.

A regimen error ends with the regimen line and a caret under the column at fault (the parser's
form); those two lines keep their monospace alignment (scrolled sideways if wider than the
column), while the message above them wraps. A long message set as one unwrapped line widened
the controls column until the plot beside it left the window (a pembrolizumab dose outside its
range, app pass s53).
"""

from __future__ import annotations

from typing import Any

from dash import html


def split_caret(text: str) -> tuple[str, str]:
    """(message, caret block): the block is the last two lines when the last is a caret."""
    lines = text.rstrip("\n").split("\n")
    if len(lines) >= 3 and lines[-1].strip() == "^":
        return "\n".join(lines[:-2]), "\n".join(lines[-2:])
    return text, ""


def error_block(text: str | None) -> list[Any]:
    """An error text as page components: the message (wrapping) and its caret block ([] for
    no error)."""
    if not text:
        return []
    message, caret = split_caret(text)
    parts: list[Any] = [html.Div(message, className="error-message")]
    if caret:
        parts.append(html.Pre(caret, className="error-caret"))
    return parts
