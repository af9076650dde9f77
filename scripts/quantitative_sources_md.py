"""Regenerate docs/quantitative-sources.md from docs/quantitative-sources.yaml.

The page keeps its hand-written top (rules and the headline-anchor table) down to the MARKER line;
everything below it -- one table and one detail list per section (the entry's ``section``, headings
from ``meta.sections``), *Not found* and *Sources* -- is rendered from the yaml. Edit the yaml, then

    python scripts/quantitative_sources_md.py            # rewrite the page
    python scripts/quantitative_sources_md.py --check    # exit 1 if the page is stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

DOCS = Path(__file__).resolve().parents[1] / "docs"
YAML_PATH = DOCS / "quantitative-sources.yaml"
MD_PATH = DOCS / "quantitative-sources.md"
MARKER = (
    "<!-- Generated below from quantitative-sources.yaml by scripts/quantitative_sources_md.py: "
    "edit the yaml, not this page. -->"
)
OTHER = "Other entries (no section given)"
# entry keys rendered in the table or in fixed detail lines; any other key gets a line of its own
_FIXED = {
    "id", "section", "quantity", "value", "spread", "range", "unit", "species", "source", "also",
    "confidence", "sets", "context", "location", "quote", "also_quote", "cited_primary",
    "conversion", "caveat", "found_via", "provenance_kind",
}  # fmt: skip


def fmt(v: Any) -> str:
    """A yaml value as one line: mappings 'k: v; ...', lists '[a, b]', numbers in %g form."""
    if isinstance(v, dict):
        return "; ".join(f"{k}: {fmt(x)}" for k, x in v.items())
    if isinstance(v, list):
        return "[" + ", ".join(fmt(x) for x in v) + "]"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return f"{v:g}"
    return " ".join(str(v).split())


def _cell(v: Any) -> str:
    return fmt(v).replace("|", "\\|")


def _row(e: dict[str, Any]) -> str:
    value = fmt(e["value"])
    if "spread" in e:
        value += f" ({fmt(e['spread'])})"
    if "range" in e:
        value += f"; range {fmt(e['range'])}"
    source = str(e["source"])
    if "also" in e:
        also = e["also"] if isinstance(e["also"], list) else [e["also"]]
        source += " (+ " + ", ".join(str(a) for a in also) + ")"
    cells = [f"`{e['id']}`", e["quantity"], value, e["unit"], e["species"], source]
    cells += [e["confidence"], e["sets"]]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _sentence(text: Any) -> str:
    s = fmt(text)
    return s if s.endswith((".", "?", "!")) else s + "."


def _details(e: dict[str, Any]) -> list[str]:
    head = f"- **`{e['id']}`**"
    lines = [head + (f" — {_sentence(e['context'])}" if "context" in e else "")]
    where = []
    if "location" in e:
        where.append(f"Where: {_sentence(e['location'])}")
    if "quote" in e:
        where.append(f"Quote: {fmt(e['quote'])}")
    if where:
        lines.append("  - " + " ".join(where))
    if "also_quote" in e:
        lines.append(f"  - Also: {fmt(e['also_quote'])}")
    if "cited_primary" in e:
        lines.append(f"  - Primary cited by the source (not read): {fmt(e['cited_primary'])}")
    if "conversion" in e and fmt(e["conversion"]).lower() not in ("none", "none."):
        lines.append(f"  - Conversion: {fmt(e['conversion'])}")
    if "caveat" in e:
        lines.append(f"  - Caveat: {fmt(e['caveat'])}")
    for key, v in e.items():
        if key not in _FIXED:
            lines.append(f"  - {key.replace('_', ' ').capitalize()}: {fmt(v)}")
    found = f"Found via: {fmt(e['found_via'])}; " if "found_via" in e else ""
    lines.append(f"  - {found}provenance if used as is: `{e['provenance_kind']}`")
    return lines


def _not_found(n: dict[str, Any]) -> list[str]:
    lines = [f"- **{fmt(n['quantity'])}**"]
    tried = n.get("tried") or []
    if tried:
        lines.append("  - Tried: " + "; ".join(f"`{fmt(t)}`" for t in tried))
    for key, label in (("nearest", "Nearest"), ("next_step", "Next step")):
        if n.get(key):
            lines.append(f"  - {label}: {fmt(n[key])}")
    return lines


def _source(key: str, s: dict[str, Any]) -> str:
    parts = []
    for k, v in s.items():
        label = (
            "publications listed in the repository README" if k.startswith("publications") else k
        )
        text = " | ".join(fmt(x) for x in v) if isinstance(v, list) else fmt(v)
        parts.append(f"{label.replace('_', ' ')}: {text}")
    return f"- `{key}` — " + "; ".join(parts)


def render(doc: dict[str, Any], top: str) -> str:
    """The whole page: the hand-written ``top`` (ending with MARKER) and the generated rest."""
    titles: dict[str, str] = dict(doc["meta"]["sections"])
    groups: dict[str, list[dict[str, Any]]] = {key: [] for key in titles}
    for e in doc["entries"]:
        groups.setdefault(e.get("section") if e.get("section") in titles else OTHER, []).append(e)
    out = [top.rstrip("\n"), ""]
    for key, entries in groups.items():
        if not entries:
            continue
        out += [f"## {titles.get(key, OTHER)}", ""]
        out += [
            "| id | quantity | value | unit | species | source | conf. | would set |",
            "|---|---|---|---|---|---|---|---|",
        ]
        out += [_row(e) for e in entries] + [""]
        for e in entries:
            out += _details(e)
        out.append("")
    out += ["## Not found (searched, no number I could read)", ""]
    for n in doc["not_found"]:
        out += _not_found(n)
    out += ["", "## Sources", ""]
    out += [_source(k, s) for k, s in doc["sources"].items()]
    return "\n".join(out) + "\n"


def page_top(md: str) -> str:
    """The page's hand-written part, up to and including the MARKER line."""
    head, sep, _ = md.partition(MARKER)
    if not sep:
        raise SystemExit(f"{MD_PATH.name}: marker line not found ({MARKER})")
    return head + MARKER + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if the page is not current")
    args = ap.parse_args()
    md = MD_PATH.read_text()
    new = render(yaml.safe_load(YAML_PATH.read_text()), page_top(md))
    if args.check:
        if new != md:
            sys.exit(f"{MD_PATH} is stale: run python scripts/quantitative_sources_md.py")
        return
    MD_PATH.write_text(new)
    print(f"wrote {MD_PATH}")


if __name__ == "__main__":
    main()
