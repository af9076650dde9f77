"""Simulation sections: captions computed from the runs they describe."""

from __future__ import annotations

import numpy as np
import pandas as pd

from senotwin.analysis.demo import DemoResults
from senotwin.report.sim_sections import dual_caption, model_section, tumour_course
from senotwin.report.therapy_sections import comparison_summary


def _course(diameters: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"time": np.arange(len(diameters), dtype=float), "tumour_diameter_mm": diameters}
    )


def test_tumour_course_names_nadir_and_regrowth_only_when_there() -> None:
    assert tumour_course(_course([10.0, 8.0, 6.0, 9.0])) == (
        "the tumour diameter shrinks from 10.0 to 6.0 mm (day 2) and regrows to 9.0 mm by day 3"
    )
    assert tumour_course(_course([10.0, 11.0, 12.0])) == (
        "the tumour diameter grows from 10.0 to 12.0 mm by day 2"
    )
    assert tumour_course(_course([10.0, 9.0, 8.0])).startswith("the tumour diameter shrinks")


def test_dual_caption_reads_every_run(demo_results: DemoResults) -> None:
    text = dual_caption(demo_results.dual_runs)
    for arm in demo_results.dual_runs:
        assert arm.scenario in text
        v_on, v_off = arm.final_volumes
        assert f"{v_on:.0f} mL with and {v_off:.0f} mL without" in text


def test_model_section_shares_add_up(demo_results: DemoResults) -> None:
    table = model_section(demo_results.model).tables[0]
    assert sum(int(r[2]) for r in table.rows) == len(demo_results.model.parameters)


def test_therapy_summary_names_best_and_worst_arm(demo_results: DemoResults) -> None:
    comp = demo_results.therapy
    best = min(comp.arms, key=lambda a: a.final_tumour)
    text = comparison_summary(comp)
    assert f"'{best.name}' ({best.final_tumour:.2f} × 10⁹ cells)" in text
    worst = max(comp.arms, key=lambda a: a.final_tumour)
    assert f"{worst.final_tumour / best.final_tumour:.3g} times the lowest)." in text  # s43


def test_model_section_names_links_the_model_has() -> None:
    """The physical-units model links the kb by interaction ids (its processes and observables
    cite the review's statements) and by entity tags; the intro counts both, never '0 cited'."""
    from senotwin.model.scenarios import get_scenario

    model = get_scenario("default").load()
    intro = model_section(model).intro
    cited = {i for item in (*model.processes, *model.observables) for i in item.kb}
    assert cited and "cite 0 " not in intro
    assert f"processes and signals cite {len(cited)} knowledge-base interactions" in intro
    assert f"{len(model.entities())} knowledge-base entities tag" in intro


def test_therapy_panel_labels_are_wrapped(demo_results: DemoResults) -> None:
    """A long y label ('functional CD8 effectors per exhausted CD8 (dimensionless)') ran into
    the panel beside it; each line now holds at most LABEL_WIDTH characters."""
    from senotwin.report.therapy_sections import LABEL_WIDTH, comparison_figure

    labels = [ax.get_ylabel() for ax in comparison_figure(demo_results.therapy).axes]
    assert all(labels) and max(len(line) for lab in labels for line in lab.split("\n")) <= (
        LABEL_WIDTH
    )
    # every count panel gives its unit as ×10⁹ cells: the SASP panel said '(×10⁹)' (audit s48)
    counts = [" ".join(lab.split()) for lab in labels if "×10⁹" in lab]
    assert len(counts) == 3 and all(lab.endswith("(×10⁹ cells)") for lab in counts), counts
    # ... on one line: the wrap left '(×10⁹' above 'cells)'
    lines = [line for lab in labels for line in lab.split("\n")]
    assert all(line.count("(") == line.count(")") for line in lines), lines


def test_therapy_table_and_caption_use_the_models_readouts(demo_results: DemoResults) -> None:
    """The physical-units model's SASP read-out is SASP-secreting cells (×10⁹) and its balance
    functional CD8 per exhausted CD8; the table said 'SASP AUC (relative · day)' and 'E/S
    ratio' and the caption 'SASP index and effector/suppressor ratio' (the legacy model's)."""
    from senotwin.model.readouts import readouts_for
    from senotwin.report.therapy_sections import therapy_section

    comp = demo_results.therapy
    read = readouts_for(next(iter(comp.tables.values())))
    section = therapy_section(comp, demo_results.therapy_arms)
    header = " | ".join(section.tables[0].columns)
    caption = section.figures[0].caption
    assert read.sasp_unit == "×10⁹ SASP-secreting cells"
    assert f"SASP AUC ({read.sasp_unit} · day)" in header and "relative · day" not in header
    assert read.balance_label in header and "E/S ratio" not in header
    assert "SASP index" not in caption and read.balance_label in caption


def test_dose_response_figure_names_background_doses_and_units(demo_results: DemoResults) -> None:
    """Ticks sit at the doses run (not 6×10¹, 2×10²), the control line says it carries the
    background regimen, and no axis calls the SASP output relative."""
    from senotwin.analysis.therapy import DoseResponse
    from senotwin.report.therapy_sections import dose_response_figure

    comp = demo_results.therapy
    doses = tuple(float(10 * (k + 1)) for k in range(len(comp.arms)))
    dr = DoseResponse("navitoclax", "mg", doses, comp, "qd d10-d14", "doxorubicin 2 mg/kg iv d0")
    fig = dose_response_figure(dr)
    axes = fig.axes
    assert [t.get_text() for t in axes[0].get_xticklabels()] == [f"{d:g}" for d in doses]
    assert "rel." not in axes[1].get_ylabel()
    assert "on top of doxorubicin 2 mg/kg iv d0" in fig.get_suptitle()


def test_dual_section_says_why_validation_numbers_differ(demo_results: DemoResults) -> None:
    """The report printed a 12 d vs 13 d half-life here and 20.4 vs 33.4 d for the validation
    case on the same claim without saying that the case runs its own set-up."""
    from senotwin.report.sim_sections import dual_effect_section

    intro = dual_effect_section(demo_results.dual_runs).intro
    assert "acute_young_sasp_speeds_clearance" in intro and "own set-ups" in intro


def test_therapy_section_shows_the_runs_notes(demo_results: DemoResults) -> None:
    """A run's notes (here an off-label schedule: 74 mg/m2 doxorubicin weekly) were dropped by
    the demo report's therapy section while the CLI and the app printed them."""
    from senotwin.analysis.therapy import compare_arms
    from senotwin.report.html import render_report
    from senotwin.report.therapy_sections import therapy_section

    arms = {"weekly": "doxorubicin 2 mg/kg iv d0,d7"}
    comp = compare_arms("aged_lung_untreated", arms, days=10.0)
    (note,) = comp.notes
    assert note.startswith("off-label schedule: doxorubicin 74 mg/m2 every 7 d")
    section = therapy_section(comp, arms)
    assert section.notes == (note,) and section.notes_title == "Notes on the runs"
    page = render_report((section,), title="t", subtitle="s", footer="f")
    assert "Notes on the runs" in page and "doxorubicin 74 mg/m2 every 7 d fits none" in page
    assert therapy_section(demo_results.therapy, demo_results.therapy_arms).notes == ()


def _dual_table(senescent: list[float], volume: list[float]) -> pd.DataFrame:
    s = np.asarray(senescent) * 1e9
    return pd.DataFrame(
        {"time": np.arange(len(s), dtype=float), "Se": s, "Sl": 0 * s, "Sd": 0 * s, "V_T": volume}
    )


def test_dual_caption_compares_no_half_lives_when_neither_run_halves() -> None:
    from senotwin.analysis.demo import DualArm

    on = _dual_table([0.1, 0.8, 0.7, 0.7], [10.0, 20.0, 30.0, 40.0])
    off = _dual_table([0.1, 1.4, 1.2, 1.0], [10.0, 15.0, 20.0, 25.0])
    text = dual_caption((DualArm("chronic_aged", "chronic", on, off),))
    assert "not reached with the SASP and not reached without" in text
    assert "not cleared faster" not in text  # no half-life to compare
    assert "neither halves by day 3" in text
    halves = _dual_table([0.1, 0.8, 0.3, 0.2], [10.0, 20.0, 30.0, 40.0])
    assert "(cleared faster with the SASP)" in dual_caption(
        (DualArm("acute_young", "acute", halves, off),)
    )
