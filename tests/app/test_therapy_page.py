"""Therapy page: regimen errors come back per arm with the caret; valid arms are compared."""

from __future__ import annotations

from dash import no_update

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
    assert [t.name for t in fig.data] == ["untreated", "arm 1"]
    assert fig.layout.yaxis.title.text == "tumour burden (1e9 cells)"
    assert status.startswith("compared 2 arms")
    assert fig.data[0].y[-1] != fig.data[1].y[-1]  # the chemotherapy arm differs


def test_errors_stop_the_run() -> None:
    _fig, table, errors, status = compare(
        "aged_lung_untreated", ["navitoclax 2 parsecs", "", "", ""]
    )
    assert table is no_update and errors[0] and "fix the regimen errors" in status


def test_drug_library_table_lists_every_drug() -> None:
    from senotwin.therapy.drugs import library

    assert len(drug_rows()) == len(library().drugs) + 1
