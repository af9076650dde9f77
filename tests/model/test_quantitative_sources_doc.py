"""docs/quantitative-sources.md is the rendering of docs/quantitative-sources.yaml, and current."""

from __future__ import annotations

from typing import Any

import yaml

from tests.scripts_loader import load_script

GEN = load_script("quantitative_sources_md")


def _doc() -> dict[str, Any]:
    return yaml.safe_load(GEN.YAML_PATH.read_text())


def test_page_is_current() -> None:
    """Edit the yaml, then run scripts/quantitative_sources_md.py: the page must match."""
    md = GEN.MD_PATH.read_text()
    assert GEN.render(_doc(), GEN.page_top(md)) == md, (
        "docs/quantitative-sources.md is stale: run python scripts/quantitative_sources_md.py"
    )


def test_every_entry_listed_once_under_a_known_section() -> None:
    doc = _doc()
    ids = [e["id"] for e in doc["entries"]]
    assert len(ids) == len(set(ids))
    sections = set(doc["meta"]["sections"])
    assert {e["id"] for e in doc["entries"] if e.get("section") not in sections} == set()
    page = GEN.render(doc, GEN.MARKER + "\n")
    assert all(page.count(f"- **`{i}`**") == 1 for i in ids)


def test_render_escapes_table_pipes_and_formats_numbers() -> None:
    doc = {
        "meta": {"sections": {"a": "Section A"}},
        "entries": [
            {
                "id": "x",
                "section": "a",
                "quantity": "q | r",
                "value": {"k": 2.06e8, "l": [1, 2]},
                "unit": "1",
                "species": "human",
                "source": "s",
                "confidence": "high",
                "sets": "p",
                "provenance_kind": "measured",
            },
        ],
        "not_found": [],
        "sources": {},
    }
    page = GEN.render(doc, "top\n")
    assert "| `x` | q \\| r | k: 2.06e+08; l: [1, 2] | 1 | human | s | high | p |" in page
    assert "## Section A" in page and "provenance if used as is: `measured`" in page
