"""Human <-> mouse gene symbols from a shipped ortholog table (HGNC HCOP, see data/README.md).

Only HCOP pairs supported by >= 2 of its resources are shipped; the ``primary`` flag keeps, per
human gene, the mouse gene(s) with the same symbol if HCOP supports one, otherwise the best
supported one(s). Symbols absent from the table are reported, never guessed by changing case.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from senotwin._errors import ValidationError
from senotwin.sc.signatures import Signature

__all__ = ["MappedSignature", "human_to_mouse", "mouse_to_human", "signature_to_mouse"]


@lru_cache(maxsize=1)
def _table() -> pd.DataFrame:
    path = Path(str(resources.files("senotwin.sc") / "data" / "orthologs_human_mouse.tsv.gz"))
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        df = pd.read_csv(fh, sep="\t", dtype={"human": str, "mouse": str})
    return df[df["primary"] == 1].reset_index(drop=True)


def human_to_mouse(genes: list[str] | tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Mouse orthologs of each human symbol (empty tuple when the table has none)."""
    grouped = _table().groupby("human")["mouse"].apply(tuple).to_dict()
    return {g: grouped.get(g, ()) for g in genes}


def mouse_to_human(genes: list[str] | tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Human orthologs of each mouse symbol (empty tuple when the table has none)."""
    grouped = _table().groupby("mouse")["human"].apply(tuple).to_dict()
    return {g: grouped.get(g, ()) for g in genes}


@dataclass(frozen=True)
class MappedSignature:
    """A signature translated to mouse symbols and the human genes that had no ortholog."""

    signature: Signature
    unmapped: tuple[str, ...]


def signature_to_mouse(sig: Signature) -> MappedSignature:
    """Translate a human signature to mouse symbols; one-to-many genes give each copy the weight."""
    mapping = human_to_mouse(sig.genes)
    genes: list[str] = []
    weights: list[float] = []
    classes: list[str] = []
    unmapped: list[str] = []
    seen: set[str] = set()
    for i, g in enumerate(sig.genes):
        targets = mapping[g]
        if not targets:
            unmapped.append(g)
        for t in targets:
            if t in seen:
                continue
            seen.add(t)
            genes.append(t)
            weights.append(sig.weights[i])
            classes.append(sig.gene_classes[i] if sig.gene_classes else "")
    if not genes:
        raise ValidationError(
            f"signature {sig.name!r}: none of its {len(sig.genes)} genes has a mouse ortholog"
        )
    mapped = Signature(
        name=sig.name,
        genes=tuple(genes),
        weights=tuple(weights),
        gene_classes=tuple(classes) if sig.gene_classes else (),
        title=sig.title,
        category=sig.category,
        citation=sig.citation,
        note=(sig.note + " Mapped to mouse via HCOP orthologs.").strip(),
    )
    return MappedSignature(signature=mapped, unmapped=tuple(unmapped))
