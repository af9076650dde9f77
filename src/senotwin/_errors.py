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


class ArgumentTypeError(SenotwinError, TypeError):
    """A Python API argument has the wrong type (``show(kb, 5)``); the message names the
    parameter, the type given and what is allowed, instead of an AttributeError deep inside."""


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


def check_type(value: object, allowed: type | tuple[type, ...], *, name: str, what: str) -> None:
    """Refuse ``value`` unless it is an instance of ``allowed`` (a bool never passes for an int),
    naming the parameter ``name``, the type and value given and ``what`` is allowed (the value's
    first line only: a DataFrame's or an array's repr spans many)."""
    kinds = allowed if isinstance(allowed, tuple) else (allowed,)
    if isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds):
        return
    full = repr(value)
    shown = full.splitlines()[0] if full else full
    shown = shown if len(shown) <= 40 and shown == full else f"{shown[:40].rstrip()}..."
    raise ArgumentTypeError(f"{name} must be {what}, got {type(value).__name__} {shown}")
