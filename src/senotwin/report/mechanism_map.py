"""The mechanism map: the knowledge base drawn in layers from inducers to tumour outcomes.

Only the most connected entities of each layer are drawn (all of them would be unreadable);
parallel interactions between two drawn entities merge into one arrow whose width grows with
their number and whose colour gives the sign (green activating, red inhibiting, grey mixed).
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch

from senotwin._errors import ValidationError
from senotwin._io import atomic_write_bytes
from senotwin.kb.loader import KnowledgeBase
from senotwin.kb.schema import Entity

LAYERS = (
    "Inducers",
    "Senescence core",
    "SASP control",
    "SASP factors",
    "Immune & stromal cells",
    "Tumour outcomes",
)
LAYER_COLOURS = ("#f4d35e", "#ee964b", "#a3c4f3", "#f28482", "#84a59d", "#b8b8d1")

# Entities of the arrest core (review Fig. 1) that other kinds would put elsewhere.
CORE_IDS = frozenset(
    {
        "DDR",
        "TP53",
        "CDKN1A",
        "CDKN2A",
        "CDK2",
        "CDK4_6",
        "CYCLIN_D",
        "CYCLIN_E",
        "RB1",
        "E2F",
        "ROS",
        "SA_BETA_GAL",
        "MITOCHONDRIAL_DYSFUNCTION",
        "ER_STRESS",
        "CELL_CYCLE_ARREST",
        "CELLULAR_SENESCENCE",
        "LMNB1",
        "CYTOPLASMIC_CHROMATIN",
        "CYTOPLASMIC_DNA",
        "LINE1",
        "TELOMERE_SHORTENING",
    }
)
_KIND_LAYER = {
    "inducer": 0,
    "structure": 5,
    "nucleic_acid": 1,
    "pathway": 2,
    "kinase": 2,
    "transcription_factor": 2,
    "complex": 2,
    "enzyme": 2,
    "protein": 2,
    "rna": 2,
    "receptor": 2,
    "metabolite": 1,
    "cytokine": 3,
    "chemokine": 3,
    "growth_factor": 3,
    "protease": 3,
    "ligand": 3,
    "cell_type": 4,
    "cell_state": 4,
    "process": 5,
    "phenotype": 5,
}


def layer_of(entity: Entity) -> int | None:
    """Layer index of an entity (None for kinds not drawn, e.g. tumour types and tissues)."""
    if entity.id in CORE_IDS or (
        entity.id.startswith("SENESCENT") and entity.kind in ("cell_type", "cell_state")
    ):
        return 1
    if entity.id == "SASP":
        return 3
    return _KIND_LAYER.get(entity.kind)


@dataclass(frozen=True)
class MapLayout:
    """Which entities are drawn where, and the merged arrows between them."""

    positions: dict[str, tuple[float, float]]
    layers: dict[str, int]
    edges: dict[tuple[str, str], tuple[int, str]]  # (src, dst) -> (count, sign "+", "-", "±")


def layout(kb: KnowledgeBase, *, max_per_layer: int = 14) -> MapLayout:
    """Pick the most connected entities per layer and place them in columns."""
    if max_per_layer < 2 or max_per_layer > 40:
        raise ValidationError(f"max_per_layer {max_per_layer} is outside the allowed range 2..40")
    degree: Counter[str] = Counter()
    for inter in kb.interactions.values():
        if not inter.negated:
            degree[inter.source] += 1
            degree[inter.target] += 1
    by_layer: dict[int, list[str]] = defaultdict(list)
    for ent in kb.entities.values():
        layer = layer_of(ent)
        if layer is not None and degree[ent.id] > 0:
            by_layer[layer].append(ent.id)
    chosen = {
        layer: sorted(ids, key=lambda i: (-degree[i], i))[:max_per_layer]
        for layer, ids in by_layer.items()
    }
    layers = {ident: layer for layer, ids in chosen.items() for ident in ids}
    neighbours: dict[str, set[str]] = defaultdict(set)
    for inter in kb.interactions.values():
        if inter.source in layers and inter.target in layers and not inter.negated:
            neighbours[inter.source].add(inter.target)
            neighbours[inter.target].add(inter.source)
    order = {
        layer: sorted(ids, key=lambda i: kb.entities[i].name.lower())
        for layer, ids in chosen.items()
    }
    positions: dict[str, tuple[float, float]] = {}

    def place() -> None:
        for layer, ids in order.items():
            n = len(ids)
            for k, ident in enumerate(ids):
                positions[ident] = (float(layer), 1.0 - (k + 0.5) / max(n, 1))

    place()
    # Barycentric sweeps (left to right, then right to left) to reduce arrow crossings.
    for sweep in (sorted(order), sorted(order, reverse=True), sorted(order)):
        for layer in sweep:

            def centre(ident: str, layer: int = layer) -> float:
                ys = [positions[o][1] for o in neighbours[ident] if layers[o] != layer]
                return sum(ys) / len(ys) if ys else positions[ident][1]

            order[layer] = sorted(order[layer], key=lambda i: -centre(i))
            place()
    merged: dict[tuple[str, str], list[str]] = defaultdict(list)
    for inter in kb.interactions.values():
        if inter.negated or inter.source not in positions or inter.target not in positions:
            continue
        merged[(inter.source, inter.target)].append(inter.sign)
    edges = {
        pair: (len(signs), signs[0] if len(set(signs)) == 1 else "±")
        for pair, signs in merged.items()
    }
    return MapLayout(positions, layers, edges)


def short_label(entity: Entity, width: int = 22) -> str:
    """The entity's name, or its shortest alias when the name is long, cut to ``width``."""
    label = entity.name
    if len(label) > width:
        label = min((entity.name, *entity.aliases), key=len)
    return label if len(label) <= width else label[: width - 1] + "…"


def mechanism_map_figure(kb: KnowledgeBase, *, max_per_layer: int = 14) -> Figure:
    """A matplotlib figure of the layered, sign-coloured mechanism map."""
    lay = layout(kb, max_per_layer=max_per_layer)
    fig, ax = plt.subplots(figsize=(20, 12), dpi=110)
    ax.set_xlim(-0.6, len(LAYERS) - 0.4)
    ax.set_ylim(-0.06, 1.08)
    ax.axis("off")
    colours = {"+": "#2a9d8f", "-": "#d62828", "±": "#8d99ae"}
    for (src, dst), (count, sign) in lay.edges.items():
        (x0, y0), (x1, y1) = lay.positions[src], lay.positions[dst]
        same_column = abs(x0 - x1) < 1e-9
        feedback = x1 < x0
        rad = 0.5 if same_column else 0.08 * (1 if y1 > y0 else -1)
        arrow = FancyArrowPatch(
            (x0, y0),
            (x1, y1),
            connectionstyle=f"arc3,rad={rad}",
            arrowstyle="-|>" if sign != "-" else "-[",
            mutation_scale=9,
            lw=0.5 + 0.6 * min(count, 4),
            color=colours[sign],
            alpha=0.15 if feedback else 0.4,
            linestyle=(0, (2, 2)) if feedback else "solid",
            shrinkA=26,
            shrinkB=26,
            zorder=1,
        )
        ax.add_patch(arrow)
    for ident, (x, y) in lay.positions.items():
        ax.text(
            x,
            y,
            short_label(kb.entities[ident]),
            ha="center",
            va="center",
            fontsize=8.5,
            zorder=3,
            bbox={
                "boxstyle": "round,pad=0.3",
                "fc": LAYER_COLOURS[lay.layers[ident]],
                "ec": "#444444",
                "lw": 0.5,
            },
        )
    for k, title in enumerate(LAYERS):
        ax.text(k, 1.055, title, ha="center", va="center", fontsize=12, fontweight="bold")
    ax.plot([], [], color=colours["+"], lw=2, label="activates / promotes (+)")
    ax.plot([], [], color=colours["-"], lw=2, label="inhibits / suppresses (−)")
    ax.plot([], [], color=colours["±"], lw=2, label="context-dependent (±)")
    ax.plot([], [], color="#555555", lw=1, ls=(0, (2, 2)), label="feedback (right to left)")
    ax.legend(loc="lower center", ncol=4, frameon=False, bbox_to_anchor=(0.5, -0.05))
    n_int = sum(1 for i in kb.interactions.values() if not i.negated)
    ax.set_title(
        f"SASP mechanism map — {len(lay.positions)} of {len(kb.entities)} entities, "
        f"{sum(c for c, _ in lay.edges.values())} of {n_int} interactions drawn "
        "(most connected per layer)",
        fontsize=13,
    )
    fig.tight_layout()
    return fig


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """Render a figure to PNG or SVG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, bbox_inches="tight")
    return buffer.getvalue()


def draw_mechanism_map(kb: KnowledgeBase, out: str | Path, *, max_per_layer: int = 14) -> Path:
    """Write the mechanism map to ``out`` (.png or .svg)."""
    target = Path(out)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        raise ValidationError(f"figure file {str(target)!r} must end in .png or .svg")
    fig = mechanism_map_figure(kb, max_per_layer=max_per_layer)
    try:
        data = figure_bytes(fig, fmt)
    finally:
        plt.close(fig)
    return atomic_write_bytes(target, data)
