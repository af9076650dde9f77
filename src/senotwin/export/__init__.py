"""Registry of model exporters: one small module per format, looked up by name.

An exporter turns a ModelSpec into text. Anything it cannot represent faithfully raises
ExportError("feature not supported: ...") instead of writing a lossy file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from senotwin._errors import ValidationError
from senotwin.model.expr import closest
from senotwin.model.spec import ModelSpec


@dataclass(frozen=True)
class Exporter:
    """A registered format: name, file suffix, what it is, and the function producing text."""

    name: str
    suffix: str
    description: str
    write: Callable[[ModelSpec], str]


_EXPORTERS: dict[str, Exporter] = {}


def register(exporter: Exporter) -> Exporter:
    """Add an exporter under its name."""
    if exporter.name in _EXPORTERS:
        raise ValidationError(f"exporter {exporter.name!r} is already registered")
    _EXPORTERS[exporter.name] = exporter
    return exporter


def get(name: str) -> Exporter:
    """The exporter called ``name``; unknown names list the closest registered ones."""
    _load_builtin()
    if name not in _EXPORTERS:
        close = closest(name, _EXPORTERS)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValidationError(
            f"unknown export format {name!r}{hint} (known: {', '.join(sorted(_EXPORTERS))})"
        )
    return _EXPORTERS[name]


def names() -> tuple[str, ...]:
    """Registered format names."""
    _load_builtin()
    return tuple(sorted(_EXPORTERS))


def export(spec: ModelSpec, fmt: str) -> str:
    """The text of ``spec`` in format ``fmt``."""
    return get(fmt).write(spec)


def _load_builtin() -> None:
    if _EXPORTERS:
        return
    from senotwin.export import antimony, card, sbml

    register(
        Exporter(
            "sbml",
            ".xml",
            "SBML Level 3 Version 2 with units and MIRIAM annotations",
            lambda spec: sbml.to_sbml(spec),
        )
    )
    register(Exporter("antimony", ".ant", "Antimony (human-readable SBML)", antimony.to_antimony))
    register(Exporter("markdown", ".md", "model card in Markdown", card.to_markdown))
    register(Exporter("html", ".html", "model card as a standalone HTML page", card.to_html))


__all__ = ["Exporter", "export", "get", "names", "register"]
