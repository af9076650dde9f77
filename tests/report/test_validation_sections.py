"""Report section of the validation suite: tiers in the intro, FAIL rows, the null figure."""

from __future__ import annotations

from senotwin.analysis.validation import NullResult, ValidationReport
from senotwin.model.qsp import load_qsp
from senotwin.report.validation_sections import validation_section
from tests.report.conftest import _case


def test_null_figure_and_caption_carry_the_numbers() -> None:
    null = NullResult(n_cases=2, model_rate=0.5, rates=(0.0, 0.5, 0.0, 0.0), seed=4, failed_runs=1)
    report = ValidationReport((_case("C1", True), _case("C2", False)), null=null)
    section = validation_section(report, load_qsp())
    (fig,) = section.figures
    assert fig.name == "validation_null.png"
    assert "4 random parameter sets" in fig.caption and "seed 4" in fig.caption
    assert "null median 0%" in fig.caption and "p = 0.4" in fig.caption
    assert "Failed simulations: 1" in fig.caption
    table = section.tables[0]
    assert table.highlight == (1,) or list(table.highlight) == [1]
    assert "tier" in table.columns and "observed" in table.columns


def test_without_null_there_is_no_figure() -> None:
    section = validation_section(ValidationReport((_case("C1", True),)), load_qsp())
    assert section.figures == ()
    assert section.intro.startswith("1 of 1 cases pass (100%): literature 1 of 1 (100%)")


def test_ensemble_robustness_becomes_a_column() -> None:
    report = ValidationReport((_case("C1", True),), robustness={"C1": 0.75})
    table = validation_section(report, load_qsp()).tables[0]
    col = table.columns.index("holds in ensemble")
    assert table.rows[0][col] == "75%"
