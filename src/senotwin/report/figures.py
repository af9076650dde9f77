"""Shared figure helpers: backend-free figures, rendering, atomic writing, and line plots that
keep coinciding curves readable (distinct line styles; curves equal within 1 % merged).

Figures are built on :class:`matplotlib.figure.Figure` directly, never through pyplot, so no
backend is chosen and nothing global changes when the report draws.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from senotwin._errors import ValidationError
from senotwin._io import atomic_write_bytes

FORMATS = ("png", "svg", "pdf")
# (line style, marker): successive curves differ in both, so overlapping ones stay visible.
STYLES = (
    ("-", None),
    ("--", "o"),
    (":", "s"),
    ("-.", "^"),
    ((0, (5, 1, 1, 1)), "D"),
    ((0, (1, 1)), "v"),
)
COINCIDE_RTOL = 0.01


def distinct_colours(n: int) -> list[str]:
    """Colours for ``n`` curves told apart by colour: matplotlib's ten (C0-C9) up to ten; past
    ten, tab20's twenty (its ten dark shades, the same as C0-C9, then their light pairs), so an
    eleventh arm no longer takes the first one's colour. Past twenty they repeat."""
    if n <= 10:
        return [f"C{k}" for k in range(n)]
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    tab20 = colormaps["tab20"]
    order = [*range(0, 20, 2), *range(1, 20, 2)]
    return [to_hex(tab20(order[k % 20])) for k in range(n)]


def new_figure(width: float, height: float) -> Figure:
    """A figure with constrained layout, not registered with pyplot (no backend needed)."""
    return Figure(figsize=(width, height), layout="constrained")


def figure_bytes(fig: Figure, fmt: str = "png", *, dpi: int = 110) -> bytes:
    """Render a figure to PNG, SVG or PDF bytes."""
    if fmt not in FORMATS:
        raise ValidationError(f"figure format {fmt!r}: choose from {', '.join(FORMATS)}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi)
    return buffer.getvalue()


def write_figure(fig: Figure, out: str | Path, *, formats: Sequence[str] = FORMATS) -> Path:
    """Write a figure atomically; the format comes from the file suffix."""
    target = Path(out)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in formats:
        allowed = " or ".join(f".{f}" for f in formats)
        raise ValidationError(f"figure file {str(target)!r} must end in {allowed}")
    return atomic_write_bytes(target, figure_bytes(fig, fmt))


def coincident_groups(
    series: Sequence[tuple[str, np.ndarray]], *, rtol: float = COINCIDE_RTOL
) -> list[list[int]]:
    """Indices of curves grouped when they agree within ``rtol`` (relative to their scale) at
    every point; single curves form groups of one. Order follows the input."""
    groups: list[list[int]] = []
    for k, (_, y) in enumerate(series):
        y = np.asarray(y, dtype=float)
        for group in groups:
            ref = np.asarray(series[group[0]][1], dtype=float)
            scale = max(float(np.nanmax(np.abs(ref))), float(np.nanmax(np.abs(y))), 1e-300)
            if np.all(np.abs(y - ref) <= rtol * np.maximum(np.abs(ref), 1e-3 * scale)):
                group.append(k)
                break
        else:
            groups.append([k])
    return groups


def merged_label(labels: Sequence[str]) -> str:
    """The legend label of curves drawn as one."""
    return labels[0] if len(labels) == 1 else " ≈ ".join(labels)


def draw_lines(
    ax: Axes,
    t: np.ndarray,
    series: Sequence[tuple[str, np.ndarray]],
    *,
    merge: bool = True,
    colors: Sequence[str] | None = None,
    lw: float = 1.6,
) -> list[list[str]]:
    """Plot curves with distinct styles (and markers every few points, staggered so they do not
    sit on one another); curves equal within 1 % are drawn once with a joint label.
    Returns the label groups drawn as one line (only groups of two or more)."""
    groups = coincident_groups(series) if merge else [[k] for k in range(len(series))]
    n = len(t)
    merged: list[list[str]] = []
    for k, group in enumerate(groups):
        labels = [series[i][0] for i in group]
        if len(labels) > 1:
            merged.append(labels)
        style, marker = STYLES[k % len(STYLES)]
        step = max(n // 8, 1)
        ax.plot(
            t,
            series[group[0]][1],
            linestyle=style,
            marker=marker,
            markevery=(min((k * step) // max(len(groups), 1), max(n - 1, 0)), step),
            markersize=4,
            lw=lw,
            color=None if colors is None else colors[k % len(colors)],
            label=merged_label(labels),
        )
    return merged
