"""Therapy page: regimen errors come back per arm with the caret; valid arms are compared."""

from __future__ import annotations

import json
from typing import Any

from dash import no_update
from plotly.utils import PlotlyJSONEncoder

from senotwin.app.therapy_view import EXAMPLES, compare, drug_rows, parse_arms


def test_bad_regimen_gives_the_caret_message_under_its_arm() -> None:
    regimens, errors = parse_arms(["doxorubicin 2 mg/kg iv d0", "doxorubicn 2 mg/kg iv d0", ""])
    assert list(regimens) == ["arm 1"]
    assert errors[0] == "" and errors[2] == ""
    assert "unknown drug 'doxorubicn'" in errors[1] and "did you mean 'doxorubicin'" in errors[1]
    assert errors[1].rstrip().endswith("^")


def test_text_that_looks_like_a_path_is_parsed_as_regimen_text_not_opened() -> None:
    _, errors = parse_arms(["secrets.yaml"])
    assert "unknown drug" in errors[0]


def test_compare_runs_untreated_plus_each_arm() -> None:
    fig, _table, errors, status = compare("aged_lung_untreated", [EXAMPLES[0], "", "", ""])
    assert errors == ["", "", "", ""]
    assert [t.name for t in fig.data if t.mode == "lines"] == ["untreated", "arm 1"]
    assert fig.layout.yaxis.title.text == "tumour burden (1e9 cells)"
    assert status.startswith("compared 2 arms")
    assert fig.data[0].y[-1] != fig.data[1].y[-1]  # the chemotherapy arm differs


def test_mouse_scenarios_dose_a_mouse() -> None:
    """The page read every regimen as human: the package's own Mariathasan regimen (ip) was
    refused on a mouse scenario with a flag the page lacks, and an iv mouse dose ran as if a
    human took it (audit, session 41)."""
    ip, iv = "anti-pd-l1 10 mg/kg ip q3d d0-d12", "anti-pd-l1 10 mg/kg iv q3d d0-d12"
    regimens, errors = parse_arms([ip, iv], "mouse_emt6_isotype")
    assert list(regimens) == ["arm 1"] and errors[0] == ""
    assert "not given 'iv' in mice" in errors[1] and "labelled or studied" in errors[1]
    assert "--allow-off-label" not in errors[1]
    _, human_errors = parse_arms([ip], "aged_lung_untreated")
    assert "not given 'ip' in humans" in human_errors[0]
    _fig, _table, errors, status = compare("mouse_emt6_isotype", [ip, "", "", ""])
    assert errors == ["", "", "", ""] and status.startswith("compared 2 arms"), status


def test_errors_stop_the_run() -> None:
    _fig, table, errors, status = compare(
        "aged_lung_untreated", ["navitoclax 2 parsecs", "", "", ""]
    )
    assert table is no_update and errors[0] and "fix the regimen errors" in status


def test_drug_library_table_lists_every_drug() -> None:
    from senotwin.therapy.drugs import library

    assert len(drug_rows()) == len(library().drugs) + 1


def _library_cells() -> dict[str, dict[str, Any]]:
    """Each drug's row of the library table: {header: cell}."""
    rows = drug_rows()
    head = [cell.children for cell in rows[0].children]
    return {r.children[0].children: dict(zip(head, r.children, strict=True)) for r in rows[1:]}


def test_drug_library_table_says_whether_and_how_a_drug_is_given_in_humans() -> None:
    """The default scenario is human, but the table showed only the PD reference dose (often a
    mouse one: metformin 250 mg/kg po) and every route, ip included (app53): each drug now
    says its human range, routes and schedules, or why human scenarios refuse it, from the
    same check the regimen parser and ``senotwin drugs list`` use (Drug.human_problem)."""
    from senotwin.therapy.drugs import get_drug

    cells = _library_cells()
    assert "PD reference dose" in cells["metformin"] and "reference dose" not in cells["metformin"]
    assert cells["metformin"]["PD reference dose"].children == "250 mg/kg po"
    human = cells["doxorubicin"]["human scenarios"]
    assert human.children == "human: 10 mg/m2 to 90 mg/m2 (iv; q21d, q7d)"
    assert (
        "40 mg/m2 to 90 mg/m2 q21d" in human.title and "Source: doxorubicin labels" in human.title
    )
    assert (
        cells["metformin"]["human scenarios"].children == "human: 500 mg to 1000 mg (po; bid, tid)"
    )
    refused = cells["sb203580"]["human scenarios"]
    assert refused.children == "not for human scenarios (no human PK with a source)"
    assert refused.title.startswith(get_drug("sb203580").human_problem() or "?")
    for drug, row in cells.items():  # one verdict per drug, the parser's own
        text = row["human scenarios"].children
        assert text.startswith("not for" if get_drug(drug).human_problem() else "human: "), drug
        assert row["human scenarios"].className.startswith("cut") and row["human scenarios"].title


def test_toxicity_columns_say_relative_proxy_not_a_zero_to_one_bound() -> None:
    """The columns read 'toxicity max: X (0-1)'; the senolysis tissue-damage proxy is a
    rate, not a fraction: the share of host tissue cells killed per day."""
    _fig, table, _errors, _status = compare("aged_lung_untreated", [EXAMPLES[1], "", "", ""])
    head = [cell.children for cell in table.children[0].children]
    tox = [h for h in head if h.startswith("toxicity max")]
    assert "toxicity max: thrombocytopenia (relative toxicity proxy)" in tox, tox
    # the QSP model's senolysis proxy has a unit of its own (session 44)
    damage = "toxicity max: senolysis tissue damage (share of host tissue cells killed per day)"
    assert damage in tox, tox
    assert not any("0-1" in h for h in head)


def test_forged_types_are_answered_on_the_page_not_as_a_500() -> None:
    """A number for the scenario or a regimen raised AttributeError (HTTP 500; audit s43)."""
    *_, status = compare(5, ["", "", "", ""])  # type: ignore[arg-type]
    assert status == "error: scenario 5 is not one of the list"
    _fig, table, errors, _status = compare("aged_lung_untreated", [5, None, "", ""])  # type: ignore[list-item]
    assert table is no_update and errors == ["arm 1: regimen 5 is not text", "", "", ""]
    *_, status = compare("aged_lung_untreated", "abc")
    assert status == "error: the request carries no list of arms"


def test_the_plot_says_what_to_do_before_the_first_comparison() -> None:
    """The plot opened as empty axes from -1 to 6 with no word (audit s43)."""
    from senotwin.app.therapy_view import layout

    graph = json.loads(json.dumps(layout(["aged_lung_untreated"]), cls=PlotlyJSONEncoder))
    text = json.dumps(graph)
    assert "press 'Compare arms'" in text


def test_blood_count_nadirs_are_shown_with_their_grades() -> None:
    """The page showed only the relative proxies: the ANC and platelet models' nadirs and CTCAE
    grades, which treat compare prints, were missing (session 45)."""
    _fig, table, _errors, _status = compare("aged_lung_untreated", [EXAMPLES[1], "", "", ""])
    head = [cell.children for cell in table.children[0].children]
    assert "platelet nadir (1e9/L, CTCAE grade)" in head, head
    assert not any(h.startswith("ANC nadir") for h in head)  # no neutropenia model in the arms
    column = head.index("platelet nadir (1e9/L, CTCAE grade)")
    rows = [[cell.children for cell in row.children] for row in table.children[1:]]
    assert [r[0] for r in rows] == ["untreated", "arm 1"]
    assert rows[0][column] == "232 (grade 0)"  # the shared model, no dose
    assert rows[1][column].endswith("(grade 2)"), rows[1][column]  # 325 mg x5: about 40 % drop


def test_the_plot_marks_each_arms_doses_below_the_curves() -> None:
    """The page's figure had no mark of when a drug was given (the CLI figure has them since
    session 52): a row per dosed arm below the burden, a tick per dose in the arm's colour, the
    dose in the hover text; no row for the untreated arm."""
    fig, _table, errors, _status = compare("aged_lung_untreated", [EXAMPLES[0], "", "", ""])
    assert errors == ["", "", "", ""]
    curves = [t for t in fig.data if t.mode == "lines"]
    ticks = [t for t in fig.data if t.mode == "markers"]
    assert [t.name for t in curves] == ["untreated", "arm 1"]
    assert [t.name for t in ticks] == ["arm 1 doses"]
    (tick,) = ticks
    assert tick.yaxis == "y2" and list(tick.y) == ["arm 1"] and list(tick.x) == [0.0]
    assert tick.marker.color == tick.marker.line.color == curves[1].line.color
    assert fig.layout.xaxis.anchor == "y2"  # the time axis under the dose rows
    assert tick.text[0].startswith("doxorubicin") and "day 0" in tick.text[0]
    assert fig.layout.yaxis2.title.text == "doses given"


def test_an_error_wraps_its_message_and_keeps_the_caret_under_its_column() -> None:
    """The message wraps; the regimen line and caret stay one monospace block (app pass s53:
    a long unwrapped message pushed the plot out of the window)."""
    from senotwin.app.error_view import error_block, split_caret

    _, errors = parse_arms(["doxorubicn 2 mg/kg iv d0", "pembrolizumab 2000 mg iv d0"])
    message, caret = split_caret(errors[0])
    assert "unknown drug 'doxorubicn'" in message and "\n" not in message
    assert caret.splitlines()[0].strip() == "doxorubicn 2 mg/kg iv d0"
    assert caret.splitlines()[1].strip() == "^"
    assert split_caret(errors[1]) == (errors[1], "")  # no caret: all of it wraps
    parts = error_block(errors[0])
    assert [p.className for p in parts] == ["error-message", "error-caret"]
    assert error_block("") == []


def test_notes_name_each_arm_once() -> None:
    """The notes name their arms; the page's arms are 'arm 1'...: 'arm arm 2: ...' (s53)."""
    _fig, _table, errors, status = compare(
        "aged_lung_untreated", ["", "pembrolizumab 200 mg/m2 iv d0", "", ""]
    )
    assert errors == ["", "", "", ""]
    assert "notes: arm 2: pembrolizumab 200 mg/m2" in status, status
    assert "arm arm" not in status
