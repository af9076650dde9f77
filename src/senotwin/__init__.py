"""senotwin: the SASP-driven aging tumour microenvironment, executable and evidence-linked."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from senotwin._errors import (
    CompileError,
    ExportError,
    SenotwinError,
    SimulationError,
    ValidationError,
)

try:
    __version__ = version("senotwin")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = [
    "CompileError",
    "ExportError",
    "SenotwinError",
    "SimulationError",
    "ValidationError",
    "__version__",
]
