"""``senotwin kb ...`` commands: JSON output, errors on stderr with exit code 2, files written."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
from typer.testing import CliRunner

from senotwin.cli import app

runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_version_and_help() -> None:
    code, out, _ = _run("--version")
    assert code == 0 and out.startswith("senotwin ")
    code, out, _ = _run("--help")
    assert code == 0 and "kb" in out and "demo" in out


def test_show_json_resolves_alias(mini_kb_dir: Path) -> None:
    code, out, _ = _run("kb", "show", "PD-L1", "--json", "--kb", str(mini_kb_dir))
    assert code == 0
    data = json.loads(out)
    assert data["id"] == "CD274"
    assert {i["id"] for i in data["incoming"]} == {"T4", "T6"}


def test_show_unknown_name_is_a_clear_error(mini_kb_dir: Path) -> None:
    code, _, err = _run("kb", "show", "PD-L2", "--kb", str(mini_kb_dir))
    assert code == 2
    assert "error: unknown name 'PD-L2'" in err and "did you mean" in err


def test_path_json_has_signs_and_citations(mini_kb_dir: Path) -> None:
    code, out, _ = _run(
        "kb", "path", "IL6", "CD274", "--max-length", "4", "--json", "--kb", str(mini_kb_dir)
    )
    assert code == 0
    (route,) = json.loads(out)
    assert route["nodes"] == ["IL6", "STAT3", "MYC", "MIR25_3P", "CD274"]
    assert route["net_sign"] == "+" and route["refs"] == [64]
    assert route["steps"][0]["support"][0]["quote"].startswith("IL-6 activates")
    assert route["steps"][0]["sign"] == "+"


def test_stats_drugs_cite_search_neighbors(mini_kb_dir: Path) -> None:
    kb = ["--kb", str(mini_kb_dir)]
    code, out, _ = _run("kb", "stats", "--json", *kb)
    assert code == 0 and json.loads(out)["interactions"] == 10
    code, out, _ = _run("kb", "drugs", "--target", "mTOR", "--json", *kb)
    assert [a["id"] for a in json.loads(out)] == ["RAPAMYCIN"]
    code, _, err = _run("kb", "drugs", "--class", "wizard", *kb)
    assert code == 2 and "agent class 'wizard'" in err
    # a typo gets the closest class (session 48 audit: only the list was given)
    code, _, err = _run("kb", "drugs", "--class", "senomorhpic", *kb)
    assert code == 2 and "(--class)" in err and "did you mean 'senomorphic'" in err
    code, out, _ = _run("kb", "cite", "76", "--json", *kb)
    assert json.loads(out)[0]["number"] == 76
    code, out, _ = _run("kb", "search", "miR-25", "--json", *kb)
    assert any(h["id"] == "MIR25_3P" for h in json.loads(out))
    code, out, _ = _run("kb", "neighbors", "STAT3", "--direction", "in", "--json", *kb)
    assert {i["id"] for i in json.loads(out)} == {"T1", "T8"}
    code, _, err = _run("kb", "neighbors", "STAT3", "--direction", "sideways", *kb)
    assert code == 2 and "--direction 'sideways'" in err


def test_export_formats(mini_kb_dir: Path, tmp_path: Path) -> None:
    kb = ["--kb", str(mini_kb_dir)]
    code, _, _ = _run("kb", "export", "--format", "csv", "--out", str(tmp_path / "csv"), *kb)
    assert code == 0 and (tmp_path / "csv" / "interactions.csv").is_file()
    code, _, _ = _run("kb", "export", "--format", "graphml", "--out", str(tmp_path / "g.xml"), *kb)
    assert code == 0
    assert nx.read_graphml(tmp_path / "g.xml").number_of_nodes() == 13
    code, _, err = _run("kb", "export", "--format", "pdf", "--out", str(tmp_path / "x"), *kb)
    assert code == 2 and "export format 'pdf'" in err


def test_export_refuses_an_out_suffix_of_another_format(mini_kb_dir: Path, tmp_path: Path) -> None:
    """`--format sif --out kb.graphml` wrote SIF into a file named .graphml (audit find): the
    suffix must be one of the chosen format's; nothing is written."""
    kb = ["--kb", str(mini_kb_dir)]
    outs = tmp_path / "outs"  # tmp_path holds the knowledge base (kb/)
    outs.mkdir()
    for fmt, name, allowed in [
        ("sif", "kb.graphml", ".sif"),
        ("graphml", "kb.json", ".graphml or .xml"),
        ("cytoscape-json", "kb.sif", ".cyjs or .json"),
        ("sif", "kb", ".sif"),
    ]:
        code, _, err = _run("kb", "export", "--format", fmt, "--out", str(outs / name), *kb)
        assert code == 2
        found = f"'{Path(name).suffix}'" if Path(name).suffix else "no suffix"
        assert f"must end in {allowed} for --format {fmt} (got {found})" in err, err
        assert "--out" in err
    assert list(outs.iterdir()) == []
    for fmt, name in [("sif", "k.SIF"), ("cytoscape-json", "k.json"), ("graphml", "k.graphml")]:
        code, _, err = _run("kb", "export", "--format", fmt, "--out", str(outs / name), *kb)
        assert code == 0 and (outs / name).is_file(), err


def test_figure_png_and_bad_suffix(mini_kb_dir: Path, tmp_path: Path) -> None:
    kb = ["--kb", str(mini_kb_dir)]
    code, _, _ = _run("kb", "figure", "--out", str(tmp_path / "map.png"), *kb)
    assert code == 0
    assert (tmp_path / "map.png").read_bytes()[:4] == b"\x89PNG"
    code, _, err = _run("kb", "figure", "--out", str(tmp_path / "map.gif"), *kb)
    assert code == 2 and "must end in .png or .svg" in err
    assert not (tmp_path / "map.gif").exists()


def test_unexpected_input_errors_are_reported_not_raised(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("gene\ts1\ts2\nIL6\t1\tnan\n")
    result = runner.invoke(app, ["score", str(bad), "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2
    assert "error:" in result.stderr and "NaN" in result.stderr
    assert not (tmp_path / "o.csv").exists()


def test_export_out_directory_gets_a_named_file(mini_kb_dir: Path, tmp_path: Path) -> None:
    """``--out DIR/`` (trailing slash) or an existing directory means a directory, not a file
    named DIR (it wrote a file called DIR, or failed with 'Is a directory')."""
    kb = ["--kb", str(mini_kb_dir)]
    new_dir = tmp_path / "new"
    code, out, err = _run("kb", "export", "--format", "sif", "--out", f"{new_dir}/", *kb)
    assert code == 0, err
    assert new_dir.is_dir() and (new_dir / "senotwin_kb.sif").is_file()
    assert out.strip() == f"wrote {new_dir / 'senotwin_kb.sif'}"
    existing = tmp_path / "existing"
    existing.mkdir()
    for fmt, name in [("graphml", "senotwin_kb.graphml"), ("cytoscape-json", "senotwin_kb.cyjs")]:
        code, _, err = _run("kb", "export", "--format", fmt, "--out", str(existing), *kb)
        assert code == 0, err
        assert (existing / name).is_file()
    assert sorted(p.name for p in existing.iterdir()) == ["senotwin_kb.cyjs", "senotwin_kb.graphml"]
    nx.read_graphml(existing / "senotwin_kb.graphml")


def test_path_length_error_names_the_option(mini_kb_dir: Path) -> None:
    """The message named the library's argument ('max_length 0 is outside ...')."""
    for value in ("0", "9"):
        code, _, err = _run(
            "kb", "path", "IL6", "CD274", "--max-length", value, "--kb", str(mini_kb_dir)
        )
        assert code == 2
        assert f"error: --max-length must be a whole number from 1 to 8, got {value}" in err


def test_cite_takes_a_negative_number_as_a_number(mini_kb_dir: Path) -> None:
    """``kb cite -1`` was click's "No such option: -1" (audit, session 41)."""
    kb = ["--kb", str(mini_kb_dir)]
    code, _, err = _run("kb", "cite", "-1", *kb)
    assert code == 2, err
    assert err.startswith("error: reference number '-1' is not in the review's list (allowed: ")
    code, _, err = _run("kb", "cite", "76", "--jsn", *kb)  # a mistyped option stays one
    assert code == 2 and "No such option: --jsn; did you mean '--json'?" in err
    code, out, _ = _run("kb", "cite", "--json", "76", *kb)
    assert code == 0 and json.loads(out)[0]["number"] == 76


def test_show_an_interaction_id_prints_the_statement_quote_and_references(
    mini_kb_dir: Path,
) -> None:
    code, out, _ = _run("kb", "show", "T4", "--kb", str(mini_kb_dir))
    assert code == 0, out
    assert "T4: MIR25_3P upregulates CD274" in out
    assert "significantly increases the expression of CD274 mRNA" in out
    assert "64. Author A. Title 64. J Test 2020." in out
    code, out, _ = _run("kb", "show", "T4", "--json", "--kb", str(mini_kb_dir))
    data = json.loads(out)
    assert data["interaction"]["id"] == "T4" and data["references"][0]["number"] == 64


def test_show_an_interaction_of_the_shipped_kb_in_plain_text() -> None:
    code, out, _ = _run("kb", "show", "B262")
    assert code == 0, out
    assert "B262: CCL2 recruits MDSC" in out and "quote:" in out
    assert "*" not in out  # the reference list's Markdown emphasis is printed as plain text


def test_search_and_path_say_when_the_list_is_cut() -> None:
    """'50 hit(s)' was printed when 238 records matched, and paths were cut at 25 silently."""
    code, out, _ = _run("kb", "search", "IL-6")
    assert code == 0 and "the first 50 of" in out and "(--limit for more)" in out
    code, out, _ = _run("kb", "search", "IL-6", "--limit", "100000")
    assert code == 0 and "the first" not in out and " hits for 'IL-6'" in out
    code, out, _ = _run("kb", "search", "zzqqxx")
    assert code == 0 and "no record mentions 'zzqqxx'" in out
    code, out, _ = _run("kb", "path", "IL-6", "PD-L1", "--limit", "2")
    assert code == 0 and "the first 2 paths, shortest first; more exist" in out
    assert len([ln for ln in out.splitlines() if "(net " in ln]) == 2


def test_figure_layer_count_and_cite_ids_in_any_case(tmp_path: Path) -> None:
    code, _, err = _run("kb", "figure", "--out", str(tmp_path / "m.png"), "--max-per-layer", "0")
    assert code == 2 and "--max-per-layer must be a whole number from 2 to 40, got 0" in err
    assert not (tmp_path / "m.png").exists()
    assert _run("kb", "cite", "a347")[1] == _run("kb", "cite", "A347")[1] != ""


def test_cite_of_a_statement_without_references_says_so() -> None:
    """`kb cite B405` (a statement of §3.2.2 that cites nothing) printed nothing at all, as if
    the command had failed silently (audit, session 50)."""
    code, out, _ = _run("kb", "cite", "B405")
    assert code == 0
    assert out.strip() == "B405 cites none of the review's references"
    code, out, _ = _run("kb", "cite", "B405", "--json")
    assert code == 0 and json.loads(out) == []


def test_no_path_within_one_step_says_step() -> None:
    """'no path from IL6 to B_CELL within 1 steps' (audit, session 50)."""
    code, out, _ = _run("kb", "path", "IL6", "B_CELL", "--max-length", "1")
    assert code == 0 and out.strip() == "no path from IL6 to B_CELL within 1 step"
