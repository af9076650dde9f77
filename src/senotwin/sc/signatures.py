"""Gene signatures as data: the built-in catalogue (with citations) and user sets from GMT/TSV.

A :class:`Signature` is a gene set with signed weights (weight > 0: higher in the state the
signature measures; weight < 0: lower). A composite signature (``components``) is scored as the
mean of its components' scores.
"""

from __future__ import annotations

import csv
import io
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from senotwin._errors import SenotwinWarning, ValidationError, check_type
from senotwin._io import read_text, table_separator
from senotwin._suggest import did_you_mean, known_names
from senotwin._yaml import read_yaml

__all__ = [
    "Signature",
    "builtin_signatures",
    "get_signature",
    "read_gmt",
    "read_signature_table",
    "resolve_signatures",
]


@dataclass(frozen=True)
class Signature:
    """A named, cited gene set with signed weights, or a composite of other signatures."""

    name: str
    genes: tuple[str, ...] = ()
    weights: tuple[float, ...] = ()
    gene_classes: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    title: str = ""
    category: str = "user"
    citation: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            raise ValidationError("signature name must be a non-empty string")
        if self.components and self.genes:
            raise ValidationError(f"signature {self.name!r}: give genes or components, not both")
        if not self.components and not self.genes:
            raise ValidationError(f"signature {self.name!r} has no genes")
        if len(self.weights) != len(self.genes):
            raise ValidationError(
                f"signature {self.name!r}: {len(self.genes)} genes but {len(self.weights)} weights"
            )
        if self.gene_classes and len(self.gene_classes) != len(self.genes):
            raise ValidationError(f"signature {self.name!r}: gene_classes must match genes")
        if len(set(self.genes)) != len(self.genes):
            dup = sorted({g for g in self.genes if self.genes.count(g) > 1})
            raise ValidationError(f"signature {self.name!r}: duplicated genes {dup[:5]}")
        for gene, w in zip(self.genes, self.weights, strict=True):
            if not math.isfinite(w) or w == 0:
                raise ValidationError(
                    f"signature {self.name!r}: weight of {gene!r} is {w}; "
                    "allowed: a finite non-zero number"
                )

    @property
    def is_composite(self) -> bool:
        """True when the score is the mean of component signatures."""
        return bool(self.components)

    @property
    def n_up(self) -> int:
        """Number of genes with positive weight."""
        return sum(1 for w in self.weights if w > 0)

    @property
    def n_down(self) -> int:
        """Number of genes with negative weight."""
        return sum(1 for w in self.weights if w < 0)

    def subset(self, gene_class: str) -> Signature:
        """The genes of one ``gene_class`` (e.g. SenMayo 'secreted') as a signature of its own."""
        keep = [i for i, c in enumerate(self.gene_classes) if c == gene_class]
        if not keep:
            allowed = sorted(set(self.gene_classes))
            raise ValidationError(
                f"signature {self.name!r} has no gene_class {gene_class!r}; allowed: {allowed}"
            )
        return Signature(
            name=f"{self.name}_{gene_class}",
            genes=tuple(self.genes[i] for i in keep),
            weights=tuple(self.weights[i] for i in keep),
            gene_classes=tuple(self.gene_classes[i] for i in keep),
            title=f"{self.title} [{gene_class}]",
            category=self.category,
            citation=self.citation,
            note=self.note,
        )

    def describe(self) -> dict[str, object]:
        """Summary for listings (sizes, directions, citation)."""
        return {
            "name": self.name,
            "title": self.title,
            "category": self.category,
            "n_genes": len(self.genes),
            "n_up": self.n_up,
            "n_down": self.n_down,
            "components": list(self.components),
            "gene_classes": sorted(set(self.gene_classes) - {""}),
            "citation": self.citation,
            "note": self.note,
        }


def _data_dir() -> Path:
    return Path(str(resources.files("senotwin.sc") / "data"))


#: the command that lists the built-in signatures (named where an unknown one is refused)
LISTED_BY = "senotwin sc signatures"


@lru_cache(maxsize=1)
def _builtin() -> dict[str, Signature]:
    data = _data_dir()
    meta = read_yaml(data / "catalogue.yaml", what="signature catalogue")["signatures"]
    genes: dict[str, list[tuple[str, float, str]]] = {}
    with open(data / "signatures.tsv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            genes.setdefault(row["set"], []).append(
                (row["gene"], float(row["weight"]), row["gene_class"])
            )
    out: dict[str, Signature] = {}
    for name, m in meta.items():
        rows = genes.get(name, [])
        out[name] = Signature(
            name=name,
            genes=tuple(r[0] for r in rows),
            weights=tuple(r[1] for r in rows),
            gene_classes=tuple(r[2] for r in rows),
            components=tuple(m.get("components", ())),
            title=m.get("title", ""),
            category=m.get("category", ""),
            citation=" ".join(str(m.get("citation", "")).split()),
            note=" ".join(str(m.get("note", "")).split()),
        )
    missing = set(genes) - set(out)
    if missing:
        raise ValidationError(f"signatures.tsv has sets without catalogue entry: {sorted(missing)}")
    return out


def builtin_signatures() -> dict[str, Signature]:
    """All built-in signatures by name (a fresh dict; the signatures are immutable)."""
    return dict(_builtin())


def get_signature(name: str) -> Signature:
    """A built-in signature; ``NAME:CLASS`` selects one gene_class (e.g. ``senmayo:secreted``)."""
    check_type(name, str, name="name", what="a built-in signature name such as 'sasp' (str)")
    base, _, klass = name.partition(":")
    sigs = _builtin()
    if base not in sigs:
        known = sorted(sigs)
        raise ValidationError(
            f"unknown signature {name!r}{did_you_mean(base, known)} "
            f"({known_names(known, listed_by=LISTED_BY, label='built-in signatures')})"
        )
    return sigs[base].subset(klass) if klass else sigs[base]


def _direction_weight(text: str, where: str) -> float:
    t = text.strip().lower()
    if t in {"up", "+", "+1", "1", "pos", "positive", "over", "overexpressed"}:
        return 1.0
    if t in {"down", "dn", "-", "-1", "neg", "negative", "under", "underexpressed"}:
        return -1.0
    raise ValidationError(f"{where}: direction {text!r} not understood; allowed: up/down/+/-")


def read_gmt(path: str | Path) -> list[Signature]:
    """Gene sets from a GMT file; a gene may carry a signed weight as ``GENE,weight``.

    A gene repeated within a set (common in public GMTs) is kept once, with a SenotwinWarning
    naming the file, set and genes; repeated with another weight, or a set name used twice, is
    refused with the lines."""
    p = Path(path)
    text = read_text(p, what="gene-set file", expected="GMT text (NAME<TAB>DESCRIPTION<TAB>GENES)")
    out = []
    first_line: dict[str, int] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 3:
            raise ValidationError(f"{p.name} line {lineno}: need NAME<TAB>DESCRIPTION<TAB>GENES…")
        name = parts[0].strip()
        if name in first_line:
            raise ValidationError(
                f"{p.name} line {lineno}: gene set {name!r} is already defined on line "
                f"{first_line[name]}; set names must be unique"
            )
        first_line[name] = lineno
        items = []
        for item in parts[2:]:
            if not item.strip():
                continue
            gene, _, w = item.partition(",")
            where = f"{p.name} line {lineno} gene {gene!r}"
            items.append((gene.strip(), _parse_weight(w, where) if w else 1.0))
        genes, weights = _unique_genes(items, p, name, f"line {lineno}")
        out.append(
            Signature(
                name=name,
                genes=genes,
                weights=weights,
                title=parts[1].strip(),
                citation=f"user file {p.name}",
            )
        )
    if not out:
        raise ValidationError(f"{p.name}: no gene sets found")
    return out


def _unique_genes(
    items: Sequence[tuple[str, float]], p: Path, name: str, where: str
) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Genes and weights of one set with repeats dropped (and named in a warning); a gene
    repeated with another weight is refused, as no one weight can be chosen for it."""
    weight: dict[str, float] = {}
    repeated: list[str] = []
    for gene, w in items:
        if gene not in weight:
            weight[gene] = w
        elif weight[gene] != w:
            raise ValidationError(
                f"{p.name} ({where}): gene set {name!r} lists {gene!r} twice with different "
                f"weights ({weight[gene]:g} and {w:g}); keep one"
            )
        elif gene not in repeated:
            repeated.append(gene)
    if repeated:
        more = f" and {len(repeated) - 10} more" if len(repeated) > 10 else ""
        warnings.warn(
            f"{p.name} ({where}): gene set {name!r} lists {len(repeated)} gene(s) more than once "
            f"({', '.join(repeated[:10])}{more}); each is used once",
            SenotwinWarning,
            stacklevel=3,
        )
    return tuple(weight), tuple(weight.values())


def _parse_weight(text: str, where: str) -> float:
    try:
        w = float(text)
    except ValueError:
        raise ValidationError(f"{where}: weight {text!r} is not a number") from None
    return w


def read_signature_table(path: str | Path) -> list[Signature]:
    """Gene sets from a TSV/CSV with columns ``set, gene`` and optional ``direction``/``weight``."""
    p = Path(path)
    text = read_text(p, what="gene-set file", expected="a CSV/TSV table with columns set, gene")
    first = next((line for line in text.splitlines() if line.strip()), "")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=table_separator(p, first)))
    if not rows:
        raise ValidationError(
            f"gene-set file {str(p)!r} has no rows; expected a header (set, gene) and one row "
            "per gene"
        )
    cols = set(rows[0])
    if not {"set", "gene"} <= cols:
        raise ValidationError(
            f"{p.name}: columns {sorted(cols)}; required: set, gene (optional: direction, weight)"
        )
    sets: dict[str, list[tuple[str, float]]] = {}
    for i, row in enumerate(rows, start=2):
        where = f"{p.name} line {i}"
        w = _parse_weight(row["weight"], where) if row.get("weight") else 1.0
        if row.get("direction"):
            w = abs(w) * _direction_weight(row["direction"], where)
        sets.setdefault(row["set"].strip(), []).append((row["gene"].strip(), w))
    out = []
    for n, items in sets.items():
        genes, weights = _unique_genes(items, p, n, "rows of that set")
        out.append(Signature(name=n, genes=genes, weights=weights, citation=f"user file {p.name}"))
    return out


@dataclass(frozen=True)
class ResolvedSignatures:
    """Signatures to score: the requested ones plus the components composites need."""

    requested: tuple[Signature, ...]
    leaves: Mapping[str, Signature] = field(default_factory=dict)


def resolve_signatures(items: Iterable[Signature | str]) -> ResolvedSignatures:
    """Turn names / Signature objects into leaf gene sets (composites expanded). One name or
    one Signature alone counts as a list of one ('sasp' was read letter by letter)."""
    if isinstance(items, str | Signature):
        items = [items]
    requested: list[Signature] = []
    for item in items:
        requested.append(get_signature(item) if isinstance(item, str) else item)
    if not requested:
        raise ValidationError("no signatures given")
    names = [s.name for s in requested]
    if len(set(names)) != len(names):
        raise ValidationError(f"signature names must be unique; got {names}")
    leaves: dict[str, Signature] = {}
    for s in requested:
        for leaf in _expand(s, ()):
            leaves.setdefault(leaf.name, leaf)
    return ResolvedSignatures(requested=tuple(requested), leaves=leaves)


def _expand(sig: Signature, trail: Sequence[str]) -> list[Signature]:
    if sig.name in trail:
        raise ValidationError(f"composite signatures form a cycle: {[*trail, sig.name]}")
    if not sig.is_composite:
        return [sig]
    out: list[Signature] = []
    for c in sig.components:
        out.extend(_expand(get_signature(c), (*trail, sig.name)))
    return out
