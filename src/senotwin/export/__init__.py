"""Registry of model exporters: one small module per format, looked up by name.

An exporter turns a ModelSpec into text. Anything it cannot represent faithfully raises
ExportError("feature not supported: ...") instead of writing a lossy file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from senotwin._registry import Registry
from senotwin.model.spec import ModelSpec


@dataclass(frozen=True)
class Exporter:
    """A registered format: name, file suffix, what it is, the function producing text, the
    reference of the format's specification, and other suffixes the format's files use."""

    name: str
    suffix: str
    description: str
    write: Callable[[ModelSpec], str]
    reference: str
    other_suffixes: tuple[str, ...] = ()

    @property
    def suffixes(self) -> tuple[str, ...]:
        """Every file suffix an output of this format may end in (`model export` refuses
        others: an SBML file named model.json was written silently)."""
        return (self.suffix, *self.other_suffixes)


def _builtin_exporters(registry: Registry[Exporter]) -> None:
    from senotwin.export import antimony, card, sbml

    registry.register(
        Exporter(
            "sbml",
            ".xml",
            "SBML Level 3 Version 2 with units and MIRIAM annotations",
            lambda spec: sbml.to_sbml(spec),
            "Hucka et al. 2019 J Integr Bioinform 16:20190021 (SBML Level 3 Version 2 Core)",
            (".sbml",),
        )
    )
    registry.register(
        Exporter(
            "antimony",
            ".ant",
            "Antimony (human-readable SBML)",
            antimony.to_antimony,
            "Smith et al. 2009 Bioinformatics 25:2452 (Antimony)",
            (".txt",),
        )
    )
    registry.register(
        Exporter(
            "markdown",
            ".md",
            "model card in Markdown",
            card.to_markdown,
            "Mitchell et al. 2019 FAT* '19:220 (model cards)",
            (".markdown",),
        )
    )
    registry.register(
        Exporter(
            "html",
            ".html",
            "model card as a standalone HTML page",
            card.to_html,
            "Mitchell et al. 2019 FAT* '19:220 (model cards)",
            (".htm",),
        )
    )


#: every export format, built-ins always present (see :mod:`senotwin._registry`)
EXPORTERS: Registry[Exporter] = Registry("export format", _builtin_exporters)


def register(exporter: Exporter, *, replace: bool = False) -> Exporter:
    """Add an exporter under its name; an existing name needs ``replace=True``."""
    return EXPORTERS.register(exporter, replace=replace)


def get(name: str) -> Exporter:
    """The exporter called ``name``; unknown names list the closest registered ones."""
    return EXPORTERS.get(name)


def names() -> tuple[str, ...]:
    """Registered format names."""
    return EXPORTERS.names()


def export(spec: ModelSpec, fmt: str) -> str:
    """The text of ``spec`` in format ``fmt``."""
    return get(fmt).write(spec)


__all__ = ["EXPORTERS", "Exporter", "export", "get", "names", "register"]
