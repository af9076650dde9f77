"""The one "did you mean" helper: closest valid names for an unknown one, and the hint text.

Every layer (kb, model, sim, therapy, CLI) words its unknown-name errors with :func:`did_you_mean`
so users see one style of hint everywhere.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, options: Iterable[str], *, n: int = 3, cutoff: float = 0.5) -> list[str]:
    """Up to ``n`` options closest to ``name`` (case-insensitive; an exact-case hit first)."""
    lower: dict[str, list[str]] = {}
    for o in sorted(set(options)):
        lower.setdefault(o.lower(), []).append(o)
    hits = difflib.get_close_matches(name.strip().lower(), list(lower), n=n, cutoff=cutoff)
    return [o for h in hits for o in sorted(lower[h], key=lambda o: o != name)][:n]


def did_you_mean(name: str, options: Iterable[str], *, n: int = 3, cutoff: float = 0.5) -> str:
    """``"; did you mean 'a', 'b'?"`` with the closest options, or ``""`` when none is close."""
    return hint(closest(name, options, n=n, cutoff=cutoff))


def hint(candidates: Iterable[str]) -> str:
    """The hint text for already chosen candidates (``""`` for none)."""
    names = list(candidates)
    return f"; did you mean {', '.join(repr(c) for c in names)}?" if names else ""


#: lists longer than this are counted, not printed, where a command lists them (64 scenario
#: names on one line buried the hint before them)
LONG_LIST = 15


def known_names(
    options: Iterable[str], *, listed_by: str | None = None, label: str = "choose from"
) -> str:
    """The valid names for an unknown-name error: ``"choose from: a, b"`` (``label``); a list
    longer than :data:`LONG_LIST` with a command that lists it: ``"64 known; `CMD` lists them"``."""
    names = list(options)
    if listed_by is None or len(names) <= LONG_LIST:
        return f"{label}: {', '.join(names)}"
    return f"{len(names)} known; `{listed_by}` lists them"
