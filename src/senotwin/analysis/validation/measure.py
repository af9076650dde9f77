"""Turn a simulated table into one number per arm: a read-out at a day or a window statistic."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from senotwin.analysis.validation.schema import Measure
from senotwin.model.compile import to_callable
from senotwin.model.expr import Expr


def readout_series(table: Mapping[str, np.ndarray], tree: Expr) -> np.ndarray:
    """The read-out expression evaluated at every output time of ``table``."""
    names = [c for c in table if c != "time"]
    index = {n: ("y", i) for i, n in enumerate(names)}
    y = np.vstack([table[n] for n in names])
    out = to_callable(tree, index)(table["time"], y, np.zeros(0), [])
    return np.broadcast_to(np.asarray(out, dtype=float), table["time"].shape)


def _first_crossing(t: np.ndarray, v: np.ndarray, level: float, *, rising: bool) -> float:
    """First time (linear interpolation) at which ``v`` reaches ``level``; inf if never."""
    hit = v >= level if rising else v <= level
    if not hit.any():
        return float("inf")
    k = int(np.argmax(hit))
    if k == 0:
        return float(t[0])
    v0, v1 = v[k - 1], v[k]
    frac = (level - v0) / (v1 - v0) if v1 != v0 else 1.0
    return float(t[k - 1] + frac * (t[k] - t[k - 1]))


def measure(t: np.ndarray, values: np.ndarray, m: Measure) -> float:
    """The measure of one arm (read-out units, or days for the time statistics)."""
    if m.stat == "at":
        return float(np.interp(float(m.at or 0.0), t, values))
    lo, hi = m.window  # type: ignore[misc]
    mask = (t >= lo) & (t <= hi)
    tw, vw = t[mask], values[mask]
    if m.stat == "max":
        return float(np.max(vw))
    if m.stat == "min":
        return float(np.min(vw))
    if m.stat == "mean":
        return float(np.trapezoid(vw, tw) / (tw[-1] - tw[0])) if tw.size > 1 else float(vw[0])
    if m.stat in ("doubling_time", "time_to_fold"):
        fold = 2.0 if m.stat == "doubling_time" else float(m.fold or 2.0)
        level = fold * float(vw[0])
        return _first_crossing(tw, vw, level, rising=fold > 1.0) - float(tw[0])
    if m.stat == "min_fold":
        return float(np.min(vw) / vw[0]) if vw[0] != 0 else float("nan")
    k_peak = int(np.argmax(vw))
    if m.stat == "time_to_peak":
        return float(tw[k_peak])
    peak = float(vw[k_peak])
    if m.stat == "time_to_half_max":
        return _first_crossing(tw, vw, peak / 2.0, rising=True)
    # half_life: from the window maximum to half of it
    after = _first_crossing(tw[k_peak:], vw[k_peak:], peak / 2.0, rising=False)
    return after - float(tw[k_peak])
