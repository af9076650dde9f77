"""Schema of the knowledge base: entities, interactions, agents, references and curator notes.

Every record is a frozen pydantic model; the loader (``senotwin.kb.load``) turns pydantic errors
into messages that name the file, the entry and the field.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
SECTION_PATTERN = re.compile(r"^(Abstract|[1-5](\.[0-9]+){0,2})$")

EntityKind = Literal[
    "cytokine",
    "chemokine",
    "growth_factor",
    "protease",
    "receptor",
    "ligand",
    "transcription_factor",
    "kinase",
    "enzyme",
    "protein",
    "rna",
    "nucleic_acid",
    "complex",
    "pathway",
    "metabolite",
    "cell_type",
    "cell_state",
    "structure",
    "inducer",
    "process",
    "phenotype",
    "tumor_type",
    "tissue",
    "drug_class",
]
ENTITY_KINDS: tuple[str, ...] = EntityKind.__args__  # type: ignore[attr-defined]

# Effects and the sign each implies ("+" raises/increases the target, "-" lowers it,
# "any" effects state a relation whose sign the curator gives explicitly).
EFFECT_SIGNS: dict[str, str] = {
    "activates": "+",
    "induces": "+",
    "upregulates": "+",
    "promotes": "+",
    "recruits": "+",
    "polarises": "+",
    "secretes": "+",
    "produces": "+",
    "releases": "+",
    "stabilises": "+",
    "amplifies": "+",
    "translocates": "+",
    "converts_to": "+",
    "inhibits": "-",
    "represses": "-",
    "downregulates": "-",
    "suppresses": "-",
    "degrades": "-",
    "destabilises": "-",
    "kills": "-",
    "clears": "-",
    "blocks": "-",
    "binds": "any",
    "cleaves": "any",
    "regulates": "any",
}
Effect = Literal[
    "activates",
    "induces",
    "upregulates",
    "promotes",
    "recruits",
    "polarises",
    "secretes",
    "produces",
    "releases",
    "stabilises",
    "amplifies",
    "translocates",
    "converts_to",
    "inhibits",
    "represses",
    "downregulates",
    "suppresses",
    "degrades",
    "destabilises",
    "kills",
    "clears",
    "blocks",
    "binds",
    "cleaves",
    "regulates",
]
Sign = Literal["+", "-"]
Phase = Literal["any", "acute", "early", "late", "chronic", "deep"]
Dose = Literal["any", "low", "high"]

AgentClass = Literal[
    "senomorphic",
    "senolytic",
    "checkpoint_inhibitor",
    "senescence_inducer",
    "antibody",
    "delivery_system",
    "gene_editing",
    "small_molecule_inhibitor",
    "chemotherapy",
    "radiotherapy",
    "nanomaterial",
    "natural_product",
    "antibody_drug_conjugate",
    "vaccine",
    "cell_therapy",
]
AGENT_CLASSES: tuple[str, ...] = AgentClass.__args__  # type: ignore[attr-defined]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Evidence(_Record):
    """Where the review says it: section, figure/table, the review's reference numbers, a quote."""

    section: str
    figure: int | None = Field(default=None, ge=1, le=6)
    table: int | None = Field(default=None, ge=1, le=2)
    refs: tuple[int, ...] = ()
    quote: str = Field(min_length=8, max_length=600)

    def place(self) -> str:
        """Where the review states it: ``section 3.2; Fig. 2; refs 45, 46``."""
        parts = [f"section {self.section}"]
        if self.figure:
            parts.append(f"Fig. {self.figure}")
        if self.table:
            parts.append(f"Table {self.table}")
        if self.refs:
            parts.append("refs " + ", ".join(str(r) for r in self.refs))
        return "; ".join(parts)

    @field_validator("section")
    @classmethod
    def _section(cls, value: str) -> str:
        if not SECTION_PATTERN.match(value):
            raise ValueError(
                f"section {value!r} is not a section of the review (use e.g. '2.1.2' or 'Abstract')"
            )
        return value


class Entity(_Record):
    """A thing the review names: molecule, pathway, cell type, inducer, tumour type, process."""

    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1)
    kind: EntityKind
    aliases: tuple[str, ...] = ()
    hgnc: tuple[str, ...] = ()
    description: str = ""
    sections: tuple[str, ...] = ()

    @field_validator("hgnc")
    @classmethod
    def _hgnc(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for symbol in value:
            if not re.match(r"^[A-Z0-9][A-Z0-9\-]*$", symbol):
                raise ValueError(f"HGNC symbol {symbol!r} is not an upper-case gene symbol")
        return value


class Context(_Record):
    """Conditions under which an interaction holds; 'any' / empty means not restricted."""

    phase: Phase = "any"
    dose: Dose = "any"
    tumor: tuple[str, ...] = ()
    tissue: tuple[str, ...] = ()
    cell: tuple[str, ...] = ()
    inducer: tuple[str, ...] = ()
    organism: Literal["any", "human", "mouse"] = "any"
    condition: str = ""

    def key(self) -> tuple[object, ...]:
        """Hashable identity used to detect contradictory duplicate edges."""
        return (
            self.phase,
            self.dose,
            tuple(sorted(self.tumor)),
            tuple(sorted(self.tissue)),
            tuple(sorted(self.cell)),
            tuple(sorted(self.inducer)),
            self.organism,
            self.condition.lower(),
        )


class Interaction(_Record):
    """A signed causal statement of the review (or an explicit null statement, negated=True)."""

    id: str = Field(pattern=ID_PATTERN)
    source: str
    target: str
    effect: Effect
    sign: Sign
    negated: bool = False
    mechanism: str = ""
    context: Context = Context()
    evidence: Evidence

    def statement(self) -> str:
        """The statement in a line, ``CCL2 recruits MDSC`` (``NOT ...`` when negated)."""
        return ("NOT " if self.negated else "") + f"{self.source} {self.effect} {self.target}"

    @model_validator(mode="after")
    def _sign_matches_effect(self) -> Interaction:
        implied = EFFECT_SIGNS[self.effect]
        if implied != "any" and implied != self.sign:
            raise ValueError(
                f"effect {self.effect!r} implies sign {implied!r} but sign is {self.sign!r}"
            )
        if self.source == self.target:
            raise ValueError(f"source and target are both {self.source!r}")
        return self


class TableRow(_Record):
    """A row of Table 1 or Table 2 exactly as printed (header -> cell text)."""

    table: int = Field(ge=1, le=2)
    row: int = Field(ge=1)
    cells: dict[str, str]


class Agent(_Record):
    """A drug, biologic or strategy the review names, with targets and repressed SASP factors."""

    id: str = Field(pattern=ID_PATTERN)
    name: str
    aliases: tuple[str, ...] = ()
    classes: tuple[AgentClass, ...] = Field(min_length=1)
    targets: tuple[str, ...] = ()
    pathways: tuple[str, ...] = ()
    tumor_types: tuple[str, ...] = ()
    inducers: tuple[str, ...] = ()
    represses: tuple[str, ...] = ()
    combined_with: tuple[str, ...] = ()
    table_row: TableRow | None = None
    evidence: tuple[Evidence, ...] = Field(min_length=1)
    description: str = ""


# Agent fields that name entities (checked for referential integrity, exported as lists).
AGENT_ENTITY_FIELDS: tuple[str, ...] = (
    "targets",
    "pathways",
    "tumor_types",
    "inducers",
    "represses",
    "combined_with",
)


class Reference(_Record):
    """One entry of the review's reference list, numbered as in the review."""

    number: int = Field(ge=1)
    text: str = Field(min_length=10)
    authors: str = ""
    title: str = ""
    journal: str = ""
    year: int | None = None

    def plain(self) -> str:
        """The entry without the list's Markdown emphasis (journal, volume)."""
        return re.sub(r"[*]{1,2}([^*]+)[*]{1,2}", r"\1", self.text)


class CuratorNote(_Record):
    """Where the review conflicts with the cited work or established pharmacology."""

    id: str = Field(pattern=ID_PATTERN)
    about: tuple[str, ...] = Field(min_length=1)
    review_statement: str = Field(min_length=8)
    correction: str = Field(min_length=8)
    source: str = Field(min_length=4)
    refs: tuple[int, ...] = ()
