"""One registry type for every named, pluggable thing (engines, exporters, rate laws, scenarios,
scoring methods): name -> record, with one rule for built-ins, duplicates and unknown names.

* Built-ins are registered by a loader function run once, lazily, before the first lookup *or*
  the first registration — so they are always present, and registering a custom entry first
  never hides them. Nothing is registered as a side effect of importing a module.
* A higher layer adds built-ins to a lower layer's registry with :func:`extend` (a loader run
  with the registry's own), so the lower layer never names, nor imports, the higher one: the
  package root wires the trial layer's ``liu2019`` into the calibration problems this way.
* A name can be registered once; registering it again raises unless ``replace=True``.
* An unknown name raises ``ValidationError("unknown <kind> 'x'; did you mean 'y'? (choose
  from: ...)")`` (the hint from :mod:`senotwin._suggest`); a long list with a command that
  lists it (``listed_by``) is counted and that command named instead.
* Every record carries a ``name`` and a ``reference`` (what the entry relies on, for citation).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any, Generic, Protocol, TypeVar

from senotwin._errors import ValidationError
from senotwin._suggest import did_you_mean, known_names


class Entry(Protocol):
    """What a registered record must carry: its name and its reference (citation)."""

    @property
    def name(self) -> str: ...

    @property
    def reference(self) -> str: ...


T = TypeVar("T", bound=Entry)

Loader = Callable[["Registry[Any]"], None]

#: kind -> loaders added by :func:`extend`, run after the registry's own built-in loader
_EXTENSIONS: dict[str, list[Loader]] = {}
#: every registry made, to run a loader added after one of them has loaded its built-ins
_LIVE: weakref.WeakSet[Registry[Any]] = weakref.WeakSet()
_EXTEND_LOCK = threading.Lock()


def extend(kind: str, loader: Loader) -> None:
    """Run ``loader(registry)`` with the built-ins of every registry of ``kind`` (lazily, once
    each; at once on one already loaded): how a higher layer adds built-ins to a lower layer's
    registry without that layer importing it."""
    with _EXTEND_LOCK:
        _EXTENSIONS.setdefault(kind, []).append(loader)
        loaded = [r for r in _LIVE if r.kind == kind and r._loaded]
    for registry in loaded:
        with registry._lock:
            loader(registry)


class Registry(Generic[T]):
    """Name -> record. ``kind`` names the thing in messages ("engine", "rate law", ...);
    ``listed_by``, the CLI command that lists the entries (named by a long unknown-name error)."""

    def __init__(
        self,
        kind: str,
        builtins: Callable[[Registry[T]], None] | None = None,
        *,
        listed_by: str | None = None,
    ) -> None:
        self.kind = kind
        self.listed_by = listed_by
        self._builtins = builtins
        self._entries: dict[str, T] = {}
        self._loaded = False
        self._lock = threading.RLock()
        with _EXTEND_LOCK:
            _LIVE.add(self)

    def _ensure_builtins(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            self._loaded = True  # set first: the loader itself calls register()
            with _EXTEND_LOCK:
                loaders = [self._builtins, *_EXTENSIONS.get(self.kind, ())]
            try:
                for loader in loaders:
                    if loader is not None:
                        loader(self)
            except BaseException:
                self._loaded = False
                self._entries.clear()
                raise

    def register(self, record: T, *, replace: bool = False) -> T:
        """Add ``record`` under its name; an existing name needs ``replace=True``."""
        self._ensure_builtins()
        name = record.name
        if not isinstance(name, str) or not name.strip():
            raise ValidationError(f"{self.kind} name must be a non-empty string, got {name!r}")
        reference = getattr(record, "reference", None)
        if not isinstance(reference, str) or not reference.strip():
            raise ValidationError(
                f"{self.kind} {name!r} needs a reference: cite what it relies on "
                f"(got {reference!r})"
            )
        with self._lock:
            if name in self._entries and not replace:
                raise ValidationError(
                    f"{self.kind} {name!r} is already registered; pass replace=True to replace it"
                )
            self._entries[name] = record
        return record

    def get(self, name: str) -> T:
        """The record called ``name``; an unknown name lists the close and the known ones."""
        self._ensure_builtins()
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            known = sorted(self._entries)
            raise ValidationError(
                f"unknown {self.kind} {name!r}{did_you_mean(str(name), known)} "
                f"({known_names(known, listed_by=self.listed_by)})"
            ) from None

    def names(self) -> tuple[str, ...]:
        """Registered names, sorted."""
        self._ensure_builtins()
        return tuple(sorted(self._entries))

    def records(self) -> tuple[T, ...]:
        """Registered records, sorted by name."""
        self._ensure_builtins()
        return tuple(self._entries[n] for n in sorted(self._entries))

    def unregister(self, name: str) -> None:
        """Remove a custom entry (tests, plug-ins); unknown names raise like :meth:`get`."""
        self.get(name)
        with self._lock:
            del self._entries[name]

    def __contains__(self, name: object) -> bool:
        self._ensure_builtins()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def choices_text(self, *, last: str = "or") -> str:
        """``"a, b or c"``: the names for help texts."""
        names = self.names()
        if len(names) <= 1:
            return "".join(names)
        return f"{', '.join(names[:-1])} {last} {names[-1]}"

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {list(self._entries)!r})"
