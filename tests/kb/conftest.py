"""A miniature knowledge base written to a temporary directory, to exercise loader and queries."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml


def _ev(quote: str, refs: list[int], section: str = "2.1.2", **extra: Any) -> dict[str, Any]:
    return {"section": section, "refs": refs, "quote": quote, **extra}


MINI: dict[str, list[dict[str, Any]]] = {
    "entities": [
        {
            "id": "IL6",
            "name": "IL-6",
            "kind": "cytokine",
            "aliases": ["interleukin-6"],
            "hgnc": ["IL6"],
        },
        {"id": "STAT3", "name": "STAT3", "kind": "transcription_factor", "hgnc": ["STAT3"]},
        {"id": "MYC", "name": "c-MYC", "kind": "transcription_factor", "hgnc": ["MYC"]},
        {"id": "MIR25_3P", "name": "miR-25-3p", "kind": "rna", "hgnc": ["MIR25"]},
        {
            "id": "CD274",
            "name": "PD-L1",
            "kind": "ligand",
            "aliases": ["B7-H1", "CD274"],
            "hgnc": ["CD274"],
        },
        {
            "id": "TNF",
            "name": "TNF-α",
            "kind": "cytokine",
            "aliases": ["TNF-alpha"],
            "hgnc": ["TNF"],
        },
        {"id": "NFKB", "name": "NF-κB", "kind": "transcription_factor", "hgnc": ["NFKB1", "RELA"]},
        {
            "id": "CXCL8",
            "name": "IL-8",
            "kind": "chemokine",
            "aliases": ["CXCL8"],
            "hgnc": ["CXCL8"],
        },
        {"id": "PTPRO", "name": "PTPRO", "kind": "enzyme", "hgnc": ["PTPRO"]},
        {"id": "MTOR", "name": "mTOR", "kind": "kinase", "hgnc": ["MTOR"]},
        {"id": "SASP", "name": "SASP", "kind": "phenotype"},
        {"id": "CDK4_6_INHIBITION", "name": "CDK4/6 inhibition", "kind": "inducer"},
    ],
    "interactions": [
        {
            "id": "T1",
            "source": "IL6",
            "target": "STAT3",
            "effect": "activates",
            "sign": "+",
            "evidence": _ev("IL-6 activates the STAT3/c-MYC/miR-25-3p signaling axis", [64]),
        },
        {
            "id": "T2",
            "source": "STAT3",
            "target": "MYC",
            "effect": "activates",
            "sign": "+",
            "evidence": _ev("IL-6 activates the STAT3/c-MYC/miR-25-3p signaling axis", [64]),
        },
        {
            "id": "T3",
            "source": "MYC",
            "target": "MIR25_3P",
            "effect": "upregulates",
            "sign": "+",
            "evidence": _ev("IL-6 activates the STAT3/c-MYC/miR-25-3p signaling axis", [64]),
        },
        {
            "id": "T4",
            "source": "MIR25_3P",
            "target": "CD274",
            "effect": "upregulates",
            "sign": "+",
            "evidence": _ev("significantly increases the expression of CD274 mRNA", [64]),
        },
        {
            "id": "T5",
            "source": "TNF",
            "target": "NFKB",
            "effect": "activates",
            "sign": "+",
            "evidence": _ev("TNF- α upregulates CD274 transcription via NF-κB", [71]),
        },
        {
            "id": "T6",
            "source": "NFKB",
            "target": "CD274",
            "effect": "upregulates",
            "sign": "+",
            "evidence": _ev("TNF- α upregulates CD274 transcription via NF-κB", [71]),
        },
        {
            "id": "T7",
            "source": "IL6",
            "target": "PTPRO",
            "effect": "downregulates",
            "sign": "-",
            "evidence": _ev("by decreasing protein tyrosine phosphatase receptor", [64]),
        },
        {
            "id": "T8",
            "source": "PTPRO",
            "target": "STAT3",
            "effect": "inhibits",
            "sign": "-",
            "evidence": _ev("PTPRO dephosphorylates and inactivates STAT3", [64]),
        },
        {
            "id": "T9",
            "source": "CDK4_6_INHIBITION",
            "target": "NFKB",
            "effect": "activates",
            "sign": "+",
            "negated": True,
            "evidence": _ev(
                "CDK4 and CDK6 inhibitors do not activate the expression of NF- κ B",
                [76],
                section="2.2",
            ),
        },
        {
            "id": "T10",
            "source": "MTOR",
            "target": "SASP",
            "effect": "promotes",
            "sign": "+",
            "context": {"phase": "chronic"},
            "evidence": _ev(
                "mTOR-dependent translation drives SASP", [100], section="3.1.1", figure=4
            ),
        },
    ],
    "agents": [
        {
            "id": "RAPAMYCIN",
            "name": "Rapamycin",
            "aliases": ["sirolimus"],
            "classes": ["senomorphic"],
            "targets": ["MTOR"],
            "represses": ["IL6", "CXCL8"],
            "table_row": {
                "table": 1,
                "row": 2,
                "cells": {"Type of pathway": "mTOR", "Name of drug": "Rapamycin"},
            },
            "evidence": [_ev("mTOR inhibitors such as rapamycin", [161], section="4.1")],
        },
    ],
    "notes": [
        {
            "id": "N1",
            "about": ["RAPAMYCIN"],
            "review_statement": "Rapamycin is mTORC1-specific",
            "correction": "Chronic rapamycin also inhibits mTORC2",
            "source": "Sarbassov 2006",
            "refs": [161],
        },
    ],
}

REFS = [64, 71, 76, 100, 161]


def write_kb(root: Path, data: dict[str, list[dict[str, Any]]], refs: list[int] = REFS) -> Path:
    """Write a knowledge-base directory in the shipped layout."""
    for key in ("entities", "interactions", "agents", "notes"):
        (root / key).mkdir(parents=True, exist_ok=True)
        (root / key / "mini.yaml").write_text(
            yaml.safe_dump({key: data[key]}, allow_unicode=True), encoding="utf-8"
        )
    lines = ["number\tauthors\ttitle\tjournal\tyear\ttext"]
    lines += [
        f"{n}\tAuthor A\tTitle {n}\tJ Test\t2020\tAuthor A. Title {n}. J Test 2020." for n in refs
    ]
    (root / "references.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


@pytest.fixture()
def mini_data() -> dict[str, list[dict[str, Any]]]:
    return copy.deepcopy(MINI)


@pytest.fixture()
def mini_kb_dir(tmp_path: Path, mini_data: dict[str, list[dict[str, Any]]]) -> Path:
    return write_kb(tmp_path / "kb", mini_data)
