"""Exception hierarchy: every error senotwin raises on purpose derives from SenotwinError."""

from __future__ import annotations


class SenotwinError(Exception):
    """Base class of all senotwin errors."""


class ValidationError(SenotwinError, ValueError):
    """Input (a data file, a parameter, a flag) is malformed; the message names what and where."""


class CompileError(SenotwinError):
    """A model specification cannot be turned into something executable."""


class SimulationError(SenotwinError):
    """An integration failed and the caller asked to raise instead of getting a failed result."""


class ExportError(SenotwinError):
    """An exporter cannot represent the model faithfully in the requested format."""


class SenotwinWarning(UserWarning):
    """Input that runs but not as written (e.g. doses after the end of the run); the CLI prints
    these as ``warning: ...`` lines on standard error."""


def excerpt(text: str, limit: int = 40) -> str:
    """``text`` quoted for a message, cut to ``limit`` characters with its length if longer."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text)} characters)"


def check_seed(seed: object, *, option: str | None = "--seed", argument: str = "seed") -> None:
    """A random seed: a whole number >= 0, refused by its argument and flag before any draw
    (numpy's own refusal, "expected non-negative integer", names neither)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        flag = f" ({option})" if option else ""
        raise ValidationError(f"{argument}{flag} must be an integer >= 0, got {seed!r}")
