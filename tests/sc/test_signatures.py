"""Built-in signature catalogue, user gene-set files and ortholog mapping."""

from __future__ import annotations

import pytest

from senotwin._errors import ValidationError
from senotwin.sc.orthologs import human_to_mouse, signature_to_mouse
from senotwin.sc.signatures import builtin_signatures, get_signature, read_gmt, read_signature_table


def test_catalogue_sizes_and_citations() -> None:
    sigs = builtin_signatures()
    assert len(get_signature("fridman").genes) == 90
    assert get_signature("fridman").n_down == 13
    hs = get_signature("hernandez_segura")
    assert (hs.n_up, hs.n_down) == (32, 23)
    tme = [s for s in sigs.values() if s.category == "tme"]
    assert len(tme) == 29
    for s in sigs.values():
        assert s.citation, s.name
    assert get_signature("senescence").is_composite


def test_senmayo_pgf_fix_and_classes() -> None:
    sm = get_signature("senmayo")
    assert "PGF" in sm.genes and "PIGF" not in sm.genes
    assert len(sm.genes) == 124
    sec = get_signature("senmayo:secreted")
    assert set(sec.gene_classes) == {"secreted"} and len(sec.genes) == 83
    assert "PIGF" in sm.note


def test_sasp_contains_review_factors() -> None:
    sasp = get_signature("sasp").genes
    for g in ["IL6", "CXCL8", "CCL2", "MMP9", "GDF15", "IL33", "HMGB1"]:
        assert g in sasp


def test_unknown_signature_suggests_and_points_at_the_list() -> None:
    """40 names on one line, and no hint for a near miss (audit s48): the closest name, then
    the count and the command that lists them."""
    with pytest.raises(ValidationError) as err:
        get_signature("sasp2")
    n = len(builtin_signatures())
    assert str(err.value) == (
        f"unknown signature 'sasp2'; did you mean 'sasp'? ({n} known; `senotwin sc signatures` "
        "lists them)"
    )


def test_read_gmt_with_weights(tmp_path) -> None:
    p = tmp_path / "x.gmt"
    p.write_text("S1\tdesc\tA\tB,-2\tC,0.5\n")
    (s,) = read_gmt(p)
    assert s.genes == ("A", "B", "C") and s.weights == (1.0, -2.0, 0.5)


def test_read_table_direction(tmp_path) -> None:
    p = tmp_path / "x.tsv"
    p.write_text("set\tgene\tdirection\tweight\nS\tA\tup\t2\nS\tB\tdown\t3\n")
    (s,) = read_signature_table(p)
    assert s.weights == (2.0, -3.0)
    p.write_text("set\tgene\tdirection\nS\tA\tsideways\n")
    with pytest.raises(ValidationError, match="sideways"):
        read_signature_table(p)


def test_orthologs_are_table_based() -> None:
    m = human_to_mouse(["CDKN2A", "IL1B", "HLA-E", "NOT_A_GENE"])
    assert m["CDKN2A"] == ("Cdkn2a",)
    assert m["IL1B"] == ("Il1b",)
    assert m["HLA-E"] == ("H2-T23",)  # not a case change: a real ortholog
    assert m["NOT_A_GENE"] == ()
    mapped = signature_to_mouse(get_signature("fridman"))
    assert "Cdkn1a" in mapped.signature.genes
    assert "CKS1BP7" in mapped.unmapped


def test_repeated_genes_are_kept_once_and_conflicts_name_the_line(tmp_path) -> None:
    """A public GMT with a gene twice in a set was refused without naming file or line."""
    from senotwin._errors import SenotwinWarning

    p = tmp_path / "x.gmt"
    p.write_text("S1\tdesc\tA\tB\tA\tC\n")
    with pytest.warns(SenotwinWarning, match=r"x\.gmt \(line 1\): gene set 'S1' lists 1 gene"):
        (s,) = read_gmt(p)
    assert s.genes == ("A", "B", "C")
    p.write_text("S1\tdesc\tA\tB\tA,-1\n")
    with pytest.raises(ValidationError, match=r"lists 'A' twice with different weights \(1 and -1"):
        read_gmt(p)
    p.write_text("S1\td\tA\tB\tC\nS1\td\tD\tE\tF\n")
    with pytest.raises(ValidationError, match="line 2: gene set 'S1' is already defined on line 1"):
        read_gmt(p)
    t = tmp_path / "x.tsv"
    t.write_text("set\tgene\nS\tA\nS\tB\nS\tA\n")
    with pytest.warns(SenotwinWarning, match=r"x\.tsv \(rows of that set\): gene set 'S' lists"):
        (s,) = read_signature_table(t)
    assert s.genes == ("A", "B")
