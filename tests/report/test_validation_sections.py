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
    table = section.tables[1]
    assert table.highlight == (1,) or list(table.highlight) == [1]
    assert "tier" in table.columns and "observed" in table.columns


def test_without_null_there_is_no_figure() -> None:
    section = validation_section(ValidationReport((_case("C1", True),)), load_qsp())
    assert section.figures == ()
    assert section.intro.startswith("1 of 1 cases pass (100%): literature 1 of 1 (100%)")


def test_ensemble_robustness_becomes_a_column() -> None:
    report = ValidationReport((_case("C1", True),), robustness={"C1": 0.75})
    table = validation_section(report, load_qsp()).tables[1]
    col = table.columns.index("holds in ensemble")
    assert table.rows[0][col] == "75%"


def test_tier_table_counts_quantitative_cases_and_carries_the_null_test() -> None:
    from dataclasses import replace

    quant = replace(
        _case("Q1", True),
        kind="fold_change",
        quantitative=True,
        expected="fold change 0.3-0.7",
        effect=0.5,
        effect_unit="fold",
    )
    null = NullResult(n_cases=3, model_rate=2 / 3, rates=(0.0, 1 / 3, 1 / 3), seed=0, failed_runs=0)
    report = ValidationReport((quant, _case("C1", True), _case("C2", False)), null=null)
    section = validation_section(report, load_qsp())
    tiers = section.tables[0]
    assert tiers.columns[0] == "tier"
    (row,) = tiers.rows
    assert row[:4] == ("literature", "3", "2", "67%")
    assert row[4] == "1 (1 pass)" and row[5] == "2"
    assert "median 33%" in row[7] and "p = 0.25" in row[7]
    cases = section.tables[1]
    col = cases.columns.index("measured (control -> perturbed)")
    assert cases.rows[0][col] == "1 -> 0.5 mL"


def test_null_case_rates_become_a_column_and_flag_uninformative_cases() -> None:
    null = NullResult(
        n_cases=2,
        model_rate=0.5,
        rates=(0.5, 1.0),
        seed=0,
        failed_runs=0,
        case_rates=(("C1", 1.0), ("C2", 0.5)),
    )
    report = ValidationReport((_case("C1", True), _case("C2", False)), null=null)
    section = validation_section(report, load_qsp())
    table = section.tables[1]
    col = table.columns.index("passes in random sets")
    assert [row[col] for row in table.rows] == ["100%", "50%"]
    assert "1 of the 2 literature cases hold in at least 90%" in section.intro
    assert "(C1)" in section.intro


def test_a_case_without_review_references_prints_no_empty_brackets() -> None:
    from dataclasses import replace

    with_refs = _case("C1", True)
    report = ValidationReport((replace(with_refs, refs=()), with_refs))
    table = validation_section(report, load_qsp()).tables[1]
    col = table.columns.index("source; panel; review section [refs]")
    assert not table.rows[0][col].endswith("[]")
    assert table.rows[1][col].endswith("]") == bool(with_refs.refs)


def test_measured_values_print_readable_units() -> None:
    """A dimensionless read-out printed '0.798 -> 0.787 1' and a density 'molecules/um**2'."""
    from dataclasses import replace

    cases = (
        replace(_case("C1", True), unit="1"),
        replace(_case("C2", True), unit="molecules/um**2"),
    )
    table = validation_section(ValidationReport(cases), load_qsp()).tables[1]
    col = table.columns.index("measured (control -> perturbed)")
    assert table.rows[0][col] == "1 -> 0.5"
    assert table.rows[1][col] == "1 -> 0.5 molecules/µm²"


def test_an_effect_from_a_zero_control_is_not_printed_as_inf() -> None:
    """A 0 -> 0.4 increase printed the effect 'inf' in the observed column."""
    from dataclasses import replace

    case = replace(_case("C1", True), control_value=0.0, perturbed_value=0.4, effect=float("inf"))
    table = validation_section(ValidationReport((case,)), load_qsp()).tables[1]
    row = dict(zip(table.columns, table.rows[0], strict=True))
    assert row["observed"] == "n/a (control 0 -> 0.4)"
    assert row["measured (control -> perturbed)"] == "0 -> 0.4 mL"
    assert row["result"] == "pass"  # the verdict is not the printing's business


def test_codes_of_cases_on_other_models_are_named() -> None:
    """The mouse (dose_tgfb) and vaccine-site (Vs, n_vaccine_late) cases set codes the default
    model lacks: the glossary names them from the models the cases run on (audit find)."""
    import re
    from dataclasses import replace

    from senotwin.analysis.demo import validation_models
    from senotwin.analysis.validation.load import load_cases
    from senotwin.analysis.validation.runner import describe_change

    cases = load_cases()
    perturbations = [describe_change(c) for c in cases]
    results = tuple(
        replace(_case(c.spec_case.id, True), perturbation=text)
        for c, text in zip(cases, perturbations, strict=True)
    )
    section = validation_section(ValidationReport(results), load_qsp(), validation_models())
    named = {row[0] for row in section.tables[-1].rows}
    # 'block X=f' names a knowledge-base entity (the intro says so), not a model code
    assigned = {c for text in perturbations for c in re.findall(r"(?<!block )\b(\w+)=", text)}
    assert {"dose_tgfb", "dose_pdl1_first", "Vs", "n_vaccine_late"} <= assigned
    assert assigned - named == set()
