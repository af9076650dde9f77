"""SASP ligand -> receptor pairs, including the protease/IGFBP arm, as curated KB data.

``data/ligand_receptor.tsv`` columns: ligand, receptor, kind, evidence, note. A receptor made of
several subunits is written ``A+B`` (all subunits needed). For the protease and IGFBP arm the
"receptor" is the documented substrate or binding partner on the receiving side.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from senotwin._errors import ValidationError

__all__ = ["KINDS", "LigandReceptor", "load_ligand_receptor"]

KINDS = frozenset(
    {"cytokine", "chemokine", "checkpoint", "protease", "igfbp", "alarmin", "growth_factor"}
)


@dataclass(frozen=True)
class LigandReceptor:
    """One ligand -> receptor (or protease -> substrate) pair with its evidence."""

    ligand: str
    receptor: tuple[str, ...]
    kind: str
    evidence: str
    note: str = ""

    @property
    def label(self) -> str:
        """Display label, e.g. ``IL6 -> IL6R+IL6ST``."""
        return f"{self.ligand} -> {'+'.join(self.receptor)}"


def load_ligand_receptor(path: str | Path | None = None) -> tuple[LigandReceptor, ...]:
    """Read and validate the ligand-receptor table (the shipped one by default)."""
    p = (
        Path(path)
        if path is not None
        else Path(str(resources.files("senotwin.kb") / "data" / "ligand_receptor.tsv"))
    )
    if not p.is_file():
        raise ValidationError(f"ligand-receptor table {str(p)!r} does not exist")
    with open(p, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    need = {"ligand", "receptor", "kind", "evidence", "note"}
    if not rows or not need <= set(rows[0]):
        raise ValidationError(f"{p.name}: columns must include {sorted(need)}")
    out = []
    seen = set()
    for i, r in enumerate(rows, start=2):
        where = f"{p.name} line {i}"
        lig, rec = (r["ligand"] or "").strip(), (r["receptor"] or "").strip()
        if not lig or not rec:
            raise ValidationError(f"{where}: ligand and receptor must be non-empty")
        if r["kind"] not in KINDS:
            raise ValidationError(f"{where}: kind {r['kind']!r}; allowed: {sorted(KINDS)}")
        if not (r["evidence"] or "").strip():
            raise ValidationError(f"{where}: evidence is required")
        key = (lig, rec)
        if key in seen:
            raise ValidationError(f"{where}: duplicate pair {lig} -> {rec}")
        seen.add(key)
        out.append(
            LigandReceptor(
                ligand=lig,
                receptor=tuple(s.strip() for s in rec.split("+")),
                kind=r["kind"],
                evidence=r["evidence"].strip(),
                note=(r["note"] or "").strip(),
            )
        )
    return tuple(out)
