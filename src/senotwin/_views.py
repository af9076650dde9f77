"""Read-only mapping fields that still pickle: the mixin every frozen result or scenario uses."""

from __future__ import annotations

from types import MappingProxyType


class PicklableViews:
    """Mixin of a frozen dataclass whose mapping fields are read-only views: pickles and
    deep-copies it (a MappingProxyType cannot be pickled, so an object holding one could not come
    back from a process pool, be saved with pickle or be deep-copied)."""

    def __getstate__(self) -> dict[str, object]:
        return {k: dict(v) if isinstance(v, MappingProxyType) else v for k, v in vars(self).items()}

    def __setstate__(self, state: dict[str, object]) -> None:
        for k, v in state.items():
            object.__setattr__(self, k, MappingProxyType(v) if isinstance(v, dict) else v)
