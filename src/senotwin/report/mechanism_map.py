"""The mechanism map: the knowledge base drawn in layers from inducers to tumour outcomes.

Only the most connected entities of each layer are drawn (all of them would be unreadable);
parallel interactions between two drawn entities merge into one arrow whose width grows with
their number and whose colour gives the sign (green activating, red inhibiting, grey mixed).
Arrows from one layer to the next carry the story and are drawn strong; the rest recede.
"""

from __future__ import annotations

import io
import textwrap
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

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


def layout(kb: KnowledgeBase, *, max_per_layer: int = 12) -> MapLayout:
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


def full_label(entity: Entity, width: int = 18) -> str:
    """The entity's full name, wrapped onto lines of about ``width`` characters."""
    return "\n".join(textwrap.wrap(entity.name, width=width, break_long_words=False)) or entity.id


@dataclass(frozen=True)
class MapCounts:
    """What the map shows of the knowledge base, for its caption."""

    entities_drawn: int
    entities_total: int
    arrows: int
    interactions_drawn: int
    interactions_total: int
    negated: int
    adjacent_arrows: int


def map_counts(kb: KnowledgeBase, lay: MapLayout) -> MapCounts:
    """Counts of entities and interactions drawn versus in the knowledge base."""
    return MapCounts(
        entities_drawn=len(lay.positions),
        entities_total=len(kb.entities),
        arrows=len(lay.edges),
        interactions_drawn=sum(c for c, _ in lay.edges.values()),
        interactions_total=len(kb.interactions),
        negated=sum(1 for i in kb.interactions.values() if i.negated),
        adjacent_arrows=sum(1 for (a, b) in lay.edges if lay.layers[b] - lay.layers[a] == 1),
    )


def map_caption(counts: MapCounts, max_per_layer: int) -> str:
    """The caption: what is drawn, what is left out and why."""
    left = counts.interactions_total - counts.negated - counts.interactions_drawn
    return (
        f"{counts.entities_drawn} of {counts.entities_total} entities are drawn: the "
        f"{max_per_layer} most connected of each layer (tumour types, tissues and other kinds "
        f"outside the six layers are left out). {counts.arrows} arrows stand for "
        f"{counts.interactions_drawn} of the {counts.interactions_total} interactions: parallel "
        "interactions between the same two entities merge into one arrow whose width grows "
        f"with their number. The other {left} interactions touch an entity not drawn, and "
        f"{counts.negated} are null statements (no effect), which are never drawn. "
        f"{counts.adjacent_arrows} arrows run from one layer to the next (solid, strong); arrows "
        "that skip layers or stay within one are drawn thin, and feedback arrows (right to "
        "left) dashed and faint."
    )


def mechanism_map_figure(kb: KnowledgeBase, *, max_per_layer: int = 12) -> Figure:
    """A matplotlib figure of the layered, sign-coloured mechanism map."""
    lay = layout(kb, max_per_layer=max_per_layer)
    fig = Figure(figsize=(22, 14), dpi=110)
    ax = fig.subplots()
    ax.set_xlim(-0.6, len(LAYERS) - 0.4)
    ax.set_ylim(-0.06, 1.08)
    ax.axis("off")
    colours = {"+": "#2a9d8f", "-": "#d62828", "±": "#6c757d"}
    for k in range(len(LAYERS)):
        ax.axvspan(k - 0.42, k + 0.42, color=LAYER_COLOURS[k], alpha=0.12, lw=0, zorder=0)
    for (src, dst), (count, sign) in lay.edges.items():
        (x0, y0), (x1, y1) = lay.positions[src], lay.positions[dst]
        step = lay.layers[dst] - lay.layers[src]
        same_column = step == 0
        feedback = step < 0
        main = step == 1
        rad = 0.5 if same_column else 0.08 * (1 if y1 > y0 else -1)
        arrow = FancyArrowPatch(
            (x0, y0),
            (x1, y1),
            connectionstyle=f"arc3,rad={rad}",
            arrowstyle="-|>" if sign != "-" else "-[",
            mutation_scale=10,
            lw=(0.6 + 0.7 * min(count, 4)) if main else 0.5 + 0.2 * min(count, 4),
            color=colours[sign],
            alpha=0.75 if main else (0.12 if feedback else 0.3),
            linestyle=(0, (2, 2)) if feedback else "solid",
            shrinkA=30,
            shrinkB=30,
            zorder=2 if main else 1,
        )
        ax.add_patch(arrow)
    for ident, (x, y) in lay.positions.items():
        ax.text(
            x,
            y,
            full_label(kb.entities[ident]),
            ha="center",
            va="center",
            fontsize=9,
            zorder=3,
            bbox={
                "boxstyle": "round,pad=0.3",
                "fc": LAYER_COLOURS[lay.layers[ident]],
                "ec": "#444444",
                "lw": 0.5,
            },
        )
    for k, title in enumerate(LAYERS):
        ax.text(k, 1.055, title, ha="center", va="center", fontsize=13, fontweight="bold")
    ax.plot([], [], color=colours["+"], lw=2.5, label="activates / promotes (+)")
    ax.plot([], [], color=colours["-"], lw=2.5, label="inhibits / suppresses (−)")
    ax.plot([], [], color=colours["±"], lw=2.5, label="context-dependent (±)")
    ax.plot([], [], color="#555555", lw=0.8, label="skips a layer or stays within one")
    ax.plot([], [], color="#555555", lw=1, ls=(0, (2, 2)), label="feedback (right to left)")
    ax.legend(loc="lower center", ncol=5, frameon=False, bbox_to_anchor=(0.5, -0.05), fontsize=11)
    counts = map_counts(kb, lay)
    ax.set_title(
        f"SASP mechanism map — {counts.entities_drawn} of {counts.entities_total} entities, "
        f"{counts.arrows} arrows for {counts.interactions_drawn} of "
        f"{counts.interactions_total} interactions (most connected {max_per_layer} per layer)",
        fontsize=14,
    )
    return fig


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """Render a figure to PNG or SVG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, bbox_inches="tight")
    return buffer.getvalue()


def draw_mechanism_map(kb: KnowledgeBase, out: str | Path, *, max_per_layer: int = 12) -> Path:
    """Write the mechanism map to ``out`` (.png or .svg)."""
    target = Path(out)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        raise ValidationError(f"figure file {str(target)!r} must end in .png or .svg")
    fig = mechanism_map_figure(kb, max_per_layer=max_per_layer)
    return atomic_write_bytes(target, figure_bytes(fig, fmt))
