"""Therapy arms: metrics against the time courses, expected directions, dose-response, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from senotwin._errors import ValidationError
from senotwin.analysis.therapy import compare_arms, dose_response
from senotwin.cli.app import app

CHEMO = "doxorubicin 2 mg/kg iv d0,d7"


@pytest.fixture(scope="module")
def comparison():
    return compare_arms(
        "aged_lung_untreated",
        {
            "control": "none",
            "chemo": CHEMO,
            "chemo+navitoclax": f"{CHEMO}; navitoclax 325 mg po qd d10-d14",
        },
        days=60,
    )


def test_metrics_match_the_time_courses(comparison) -> None:
    for arm in comparison.arms:
        table = comparison.tables[arm.name]
        t = table["time"].to_numpy()
        burden = table["N_tumour"] / 1e9  # the default model's cells, in 1e9 cells
        assert arm.tumour_auc == pytest.approx(np.trapezoid(burden, t))
        assert arm.min_tumour == pytest.approx(burden.min())
        assert arm.final_tumour == pytest.approx(burden.iloc[-1])
        assert arm.sasp_auc == pytest.approx(np.trapezoid(table["sasp_cells"] / 1e9, t))


def test_directions(comparison) -> None:
    ctrl, chemo, navi = comparison.arms
    assert chemo.final_tumour < ctrl.final_tumour
    assert navi.senescent_auc < chemo.senescent_auc
    assert navi.toxicity_max["thrombocytopenia"] > 0.3
    assert chemo.toxicity_max["thrombocytopenia"] == 0.0
    assert comparison.to_frame().shape[0] == 3
    json.dumps(comparison.to_dict())


def test_anti_pdl1_shrinks_the_default_tumour_and_unrepresented_targets_are_refused() -> None:
    comp = compare_arms(
        "default",
        {"control": "none", "anti-PD-L1": "anti-PD-L1 1200 mg iv q3w d0-d119"},
        days=120,
    )
    ctrl, ici = comp.arms
    assert ici.final_tumour < 0.8 * ctrl.final_tumour
    # effector / suppressor ratio over the course: 1.77-fold of control since session 27, when
    # the measured effector contraction (k_contract) made the effector pool follow the antigen
    # load, so at day 120, with the lesion at 7 % of control, the final ratio is only 1.04-fold
    # (it was 1.89-fold at day 120 in session 25, 1.72-fold over the course then): > 1.5-fold
    assert ici.effector_suppressor_mean > 1.5 * ctrl.effector_suppressor_mean
    assert comp.notes == ()  # every effect of anti-PD-L1 acts on the default model
    with pytest.raises(
        ValidationError, match="drug syq-pa targets PPARG, which model sasp_qsp does not represent"
    ):
        compare_arms("default", {"x": "syq-pa 200 mg/kg po d0"}, days=5)


def test_high_dose_senomorphic_is_senolytic() -> None:
    refused = r"150 mg of rapamycin is outside .* 0\.5 mg to 15 mg"
    with pytest.raises(ValidationError, match=refused):
        dose_response("legacy_aged_lung_untreated", "rapamycin", [2, 150], days=14)
    dr = dose_response(
        "legacy_aged_lung_untreated",
        "rapamycin",
        [2, 150],
        days=40,
        background=CHEMO,
        allow_off_label=True,
    )
    assert any("off-label (allowed)" in n and "150 mg" in n for n in dr.comparison.notes)
    low, high = dr.comparison.arms
    rate = {a.name: dr.comparison.tables[a.name]["senolysis_rate"].max() for a in (low, high)}
    assert rate[high.name] > 3 * rate[low.name]
    assert (
        high.toxicity_max["senolysis_tissue_damage"] > low.toxicity_max["senolysis_tissue_damage"]
    )
    assert high.senescent_auc < low.senescent_auc
    assert list(dr.to_frame()["dose"]) == [0.0, 2.0, 150.0]  # the control's row first
    assert list(dr.to_frame(control=False)["dose"]) == [2.0, 150.0]


def test_dose_response_prints_the_control_row_its_figure_draws() -> None:
    """The text and JSON had no row for the control (background only) although the figure
    draws it (ux53): it comes first, arm 'control' at dose 0, with the doses' columns."""
    args = ["treat", "dose-response", "--drug", "navitoclax", "--doses", "50,150", "--days", "15"]
    bg = ["--background", "doxorubicin 60 mg/m2 iv d0"]
    runner = CliRunner()
    out = runner.invoke(app, [*args, *bg, "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert [(a["arm"], a["dose"]) for a in data["arms"]] == [
        ("control", 0.0),
        ("50 mg", 50.0),
        ("150 mg", 150.0),
    ]
    assert data["arms"][0]["regimen"] == "doxorubicin 60 mg/m2 iv d0"
    assert set(data["arms"][0]) == set(data["arms"][1]) and data["doses"] == [50.0, 150.0]
    text = runner.invoke(app, [*args, *bg])
    assert text.exit_code == 0, text.output
    header, control, *rows = [ln.split() for ln in text.output.splitlines()[:4]]
    assert header[:2] == ["arm", "dose"] and control[:2] == ["control", "0"], text.output
    assert len(control) + 1 == len(rows[0])  # "50 mg" is two words: the same columns
    assert float(control[2]) == pytest.approx(data["arms"][0]["final_tumour"], rel=1e-3)


def test_bad_arms_are_named() -> None:
    with pytest.raises(ValidationError, match="arm 'x'"):
        compare_arms("legacy_aged_lung_untreated", {"x": "doxorubicn 2 mg/kg"}, days=5)
    with pytest.raises(ValidationError):
        dose_response("legacy_aged_lung_untreated", "rapamycin", [-1.0], days=5)


def test_an_off_label_arm_is_named_before_any_arm_runs() -> None:
    """A dose outside the human range is refused naming its arm (the refusal named the
    regimen item only, so with several arms the user had to find it)."""
    arms = {"ok": "doxorubicin 60 mg/m2 iv d0", "high": "doxorubicin 600 mg/m2 iv d0"}
    with pytest.raises(ValidationError, match=r"^arm 'high': regimen item 1 .*600 mg/m2"):
        compare_arms("aged_lung_untreated", arms, days=5)
    # allowed, the off-label note says which arm it is about
    comp = compare_arms("aged_lung_untreated", arms, days=5, allow_off_label=True)
    off = [n for n in comp.notes if "off-label (allowed)" in n]
    assert off and all(n.startswith("arm high: off-label (allowed): ") for n in off), comp.notes
    # a dose-response's background is named as such, not as the 'control' arm it becomes
    with pytest.raises(ValidationError, match=r"^background \(--background\): regimen item 1"):
        dose_response(
            "aged_lung_untreated",
            "doxorubicin",
            [60],
            unit="mg/m2",
            schedule="d0",
            background="doxorubicin 600 mg/m2 iv d7",
            days=5,
        )


def test_cli_drugs_and_treat(tmp_path) -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["drugs", "list", "--json"])
    assert out.exit_code == 0, out.output
    entries = json.loads(out.output)
    navi = next(e for e in entries if e["id"] == "navitoclax")
    assert navi["targets"] == ["BCL2_FAMILY"] and navi["pk"]["provenance"]["kind"] == "citation"
    plot = tmp_path / "arms.png"
    out = runner.invoke(
        app,
        ["treat", "compare", "--days", "20", "--arm", f"chemo={CHEMO}", "--json",
         "--plot", str(plot)],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["arms"][0]["arm"] == "chemo"
    # the JSON says its units as the text's units: line does (it had none; audit s42 M4)
    numbers = {k for k, v in data["arms"][0].items() if isinstance(v, float | int | dict)}
    assert numbers - {"neutropenia_grade"} <= set(data["units"])
    # every measured field has its unit, also those null in this arm (the platelet nadir and its
    # grade had none while the ANC nadir had one)
    text = {"arm", "regimen", "status", "best_response", "dose_changes"}
    assert set(data["arms"][0]) - text <= set(data["units"])
    assert data["units"]["platelet_nadir"] == "1e9 cells/L"
    assert data["units"]["final_tumour"] == "1e9 cells"
    assert data["units"]["sasp_auc"] == "1e9 SASP-secreting cells*day"  # as "1e9 cells"
    assert plot.read_bytes()[:4] == b"\x89PNG"
    out = runner.invoke(app, ["treat", "compare", "--arm", "bad"])
    assert out.exit_code == 2 and "NAME=REGIMEN" in out.output
    # the text table says its units (it had none) and 'none' for no progression (was NaN)
    out = runner.invoke(app, ["treat", "compare", "--days", "20", "--arm", f"chemo={CHEMO}"])
    assert out.exit_code == 0, out.output
    assert "NaN" not in out.output and " none " in out.output
    assert "sasp_auc 1e9 SASP-secreting cells*day" in out.output
    # drugs list has a header row and says why a drug is refused in human scenarios
    out = runner.invoke(app, ["drugs", "list"])
    header, *rows = out.output.splitlines()
    assert header.split()[:3] == ["drug", "category", "model"] and header.endswith("scenarios")
    # since session 52 every drug with cited human PK has a labelled range (test_drugs makes the
    # state 'cited PK, no range' to check its wording)
    assert {r.rsplit("  ", 1)[-1].strip() for r in rows} == {"yes", "no (no cited human PK)"}


def test_validation_cases_can_carry_a_regimen() -> None:
    from senotwin.analysis.validation import parse_cases, run_cases

    # the drug library acts on the legacy TME model until therapies move to the new one
    case = {
        "id": "t",
        "tier": "literature",
        "claim": "navitoclax after chemotherapy clears senescent tumour cells",
        "source": {
            "paper": "Saleh T et al. 2020",
            "panel": "abstract",
            "review_section": "4.2",
            "refs": [192],
        },
        "system": {"scenario": "legacy_aged_lung_untreated"},
        "control": {"regimen": CHEMO},
        "perturbed": {"regimen": f"{CHEMO}; navitoclax 325 mg po qd d3-d5"},
        "readout": "S_tumour",
        "measure": {"stat": "at", "at": 8},
        "expect": {"kind": "direction", "direction": "decrease"},
    }
    doc = {"version": 2, "cases": [case]}
    (loaded,) = parse_cases(doc)
    assert loaded.drugs == ("doxorubicin", "navitoclax")
    (result,) = run_cases([loaded]).results
    assert "navitoclax" in result.perturbation
    assert result.passed and result.relative_change < -0.3
    # a read-out that contains the drug's own effect is algebra, not evidence
    with pytest.raises(ValidationError, match="must not read out"):
        parse_cases({"version": 2, "cases": [{**case, "readout": "senolysis_rate"}]})
    case["perturbed"] = {"regimen": "navitoclx 50 mg/kg"}
    with pytest.raises(ValidationError, match=r"perturbed\.regimen"):
        parse_cases(doc)


def test_a_comparison_pickles(comparison) -> None:
    """pickle.dumps(compare_arms(...)) failed on the arms' toxicity views (audit s51)."""
    import pickle

    back = pickle.loads(pickle.dumps(comparison))
    assert back.arms == comparison.arms and back.to_dict() == comparison.to_dict()


def test_an_undosed_drugs_round_off_reads_as_zero_toxicity() -> None:
    """A doxorubicin arm beside a navitoclax arm read thrombocytopenia AUC 1.7e-15 (the shared
    model's navitoclax, never dosed in that arm, at ~1e-18 mg/L from solver round-off; audit
    find). Exact zeros are 0; the dosed arm's values are the table's, unrounded."""
    c = compare_arms(
        "aged_lung_untreated",
        {"doxo": "doxorubicin 60 mg/m2 iv d0", "nav": "navitoclax 325 mg po qd d10-d14"},
    )
    doxo, nav = c.arms
    assert all(v == 0.0 for v in (*doxo.toxicity_auc.values(), *doxo.toxicity_max.values()))
    table = c.tables["nav"]
    t = table["time"].to_numpy()
    for name in ("thrombocytopenia", "senolysis_tissue_damage"):
        col = table[f"tox_{name}"].to_numpy()
        assert nav.toxicity_auc[name] == float(np.trapezoid(col, t)) > 1e-3
        assert nav.toxicity_max[name] == float(col.max()) > 1e-4
    from senotwin.analysis.therapy import TOX_NOISE, without_noise

    assert without_noise(-0.5 * TOX_NOISE) == 0.0 and without_noise(2 * TOX_NOISE) == 2 * TOX_NOISE
    assert without_noise(100 * TOX_NOISE, 365.0) == 0.0  # an AUC: per day of the run


def test_each_arm_records_its_doses_and_the_figure_marks_them(comparison) -> None:
    """The arms' time courses showed no mark of when a drug was given (left alone in s51): each
    arm records the administrations given within follow-up (JSON 'doses', with its unit), and
    the figure draws them as ticks at each panel's foot in the arm's colour, with a legend entry."""
    from matplotlib.colors import to_hex

    from senotwin.report.therapy_sections import DOSE_MARKS_LABEL, comparison_figure

    control, chemo, navi = comparison.arms
    assert control.doses == ()
    assert [(e.time, e.drug) for e in chemo.doses] == [(0.0, "doxorubicin"), (7.0, "doxorubicin")]
    assert [e.time for e in navi.doses if e.drug == "navitoclax"] == [10.0, 11.0, 12.0, 13.0, 14.0]
    record = comparison.to_dict()
    assert record["arms"][1]["doses"][1] == {
        "day": 7.0,
        "drug": "doxorubicin",
        "amount": 2.0,
        "unit": "mg/kg",
        "route": "iv",
    }
    # the unit says a flat dose is recorded per kg ('in the record's own unit' left a user who
    # wrote 850 mg reading 12.14 with no why; ux52)
    assert "per kg of the scenario's body" in record["units"]["doses"]
    fig = comparison_figure(comparison)
    for ax in fig.axes:
        ticks = [ln for ln in ax.get_lines() if ln.get_marker() == "|"]
        assert [len(ln.get_xdata()) for ln in ticks] == [2, 7]  # chemo; chemo+navitoclax
        curves = [ln for ln in ax.get_lines() if ln.get_marker() != "|"]
        # the arms' line colours
        assert [to_hex(ln.get_color()) for ln in ticks] == [
            to_hex(ln.get_color()) for ln in curves[1:]
        ]
        # the rows lie below every curve, and no y tick labels the strip they sit in (drawn
        # over the lower part of the plot, the rows hid the curves; ux52)
        y0, y1 = ax.get_ylim()
        top = max(float(ln.get_ydata()[0]) for ln in ticks)  # axes fraction
        lowest = min(float(np.min(ln.get_ydata())) for ln in curves)
        assert (lowest - y0) / (y1 - y0) > top
        assert all((t - y0) / (y1 - y0) > top for t in ax.get_yticks())
    assert DOSE_MARKS_LABEL in [t.get_text() for t in fig.legends[0].get_texts()]
    # each row is named at its left (minor y tick labels at the rows; by colour alone the rows
    # were hard to tell apart; ux53), a long name cut with an ellipsis
    for ax in fig.axes:
        rows = sorted(ln.get_ydata()[0] for ln in ax.get_lines() if ln.get_marker() == "|")
        y0, y1 = ax.get_ylim()
        named = [
            (t, lab.get_text())
            for t, lab in zip(
                ax.get_yticks(minor=True), ax.get_yticklabels(minor=True), strict=True
            )
        ]
        assert [lab for _, lab in named] == ["chemo", "chemo+navitoc\u2026"]
        assert [(t - y0) / (y1 - y0) for t, _ in named] == pytest.approx(rows[::-1])
    # the first dosed arm's row on top, as the legend lists it first (the rows ran upwards)
    ax = fig.axes[0]
    chemo_row, navi_row = (float(ln.get_ydata()[0]) for ln in ax.get_lines()[-2:])
    assert chemo_row > navi_row
    # a dose beyond the follow-up is not recorded as given (the run warns that it falls after)
    from senotwin._errors import SenotwinWarning

    with pytest.warns(SenotwinWarning, match="after the end of the run"):
        short = compare_arms("aged_lung_untreated", {"chemo": CHEMO}, days=5, engine="fast")
    assert [e.time for e in short.arms[0].doses] == [0.0]


def test_past_ten_arms_no_two_arms_share_a_colour(comparison) -> None:
    """With 13 arms the eleventh to thirteenth took the first three arms' colours (matplotlib's
    ten-colour cycle), so their rows of dose ticks, told apart by colour alone, were ambiguous
    (ux53). Up to twenty arms every arm's curve and ticks have a colour of their own."""
    from dataclasses import replace

    from matplotlib.colors import to_hex

    from senotwin.report.therapy_sections import comparison_figure

    source = comparison.arms[1]  # chemo: dosed
    arms = tuple(replace(source, name=f"a{k}") for k in range(13))
    table = comparison.tables[source.name]
    many = replace(comparison, arms=arms, tables={a.name: table for a in arms})
    fig = comparison_figure(many)
    for ax in fig.axes:
        ticks = [ln for ln in ax.get_lines() if ln.get_marker() == "|"]
        curves = [ln for ln in ax.get_lines() if ln.get_marker() != "|"]
        assert len(ticks) == len(curves) == 13
        assert len({to_hex(ln.get_color()) for ln in curves}) == 13
        assert [to_hex(ln.get_color()) for ln in ticks] == [to_hex(ln.get_color()) for ln in curves]
        # every row named, in a font still legible (the figure grows past four dosed arms)
        assert [lab.get_text() for lab in ax.get_yticklabels(minor=True)] == [a.name for a in arms]
        assert ax.yaxis.get_minor_ticks()[0].label1.get_fontsize() >= 6.0
