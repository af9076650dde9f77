"""Model codes explained in plain words from the model's own records."""

from __future__ import annotations

from senotwin.model.tme import load_tme
from senotwin.report.glossary import describe_code, glossary, glossary_table, label


def test_parameter_species_observable_and_block_codes() -> None:
    model = load_tme()
    assert describe_code(model, "r_T") == "intrinsic tumour growth rate (1/day)"
    assert describe_code(model, "MDSC") == "myeloid-derived suppressor cells"
    assert describe_code(model, "tumour_volume_mm3") == "tumour volume (mm3)"
    assert describe_code(model, "block_PDCD1").startswith("fraction of PDCD1 activity blocked")
    assert describe_code(model, "no_such_code") is None
    assert label(model, "r_T") == "r_T — intrinsic tumour growth rate (1/day)"
    assert label(model, "nope") == "nope"


def test_glossary_lists_each_code_once_in_order_of_use() -> None:
    model = load_tme()
    pairs = glossary(model, ["scenario default, r_T=0.01, block NFKB=0.8", "MDSC and r_T"])
    assert [code for code, _ in pairs] == ["r_T", "MDSC"]
    table = glossary_table(model, ["r_T"])
    assert table is not None and table.rows == (("r_T", "intrinsic tumour growth rate (1/day)"),)
    assert glossary_table(model, ["nothing here"]) is None


def test_a_long_name_is_cut_but_keeps_its_unit() -> None:
    """Axis labels of the sensitivity figure lost their unit to the cut ('(cel…')."""
    model = load_tme()
    full = describe_code(model, "r_T")
    assert full is not None
    cut = label(model, "r_T", width=20)
    assert cut.endswith("… (1/day)") and len(cut) <= len("r_T — ") + 20 + 1
    assert label(model, "r_T", width=200) == f"r_T — {full}"
