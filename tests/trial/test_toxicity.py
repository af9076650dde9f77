"""The blood-count read of a trial: each patient's own marrow, the nadir while on treatment, and
the share of grade >= 3 / 4 neutropenia beside the published laboratory rate."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from senotwin._errors import ValidationError
from senotwin.therapy.toxicity import (
    ANC_SPREAD,
    PLT_SPREAD,
    lognormal_sigma,
    nadirs_on_treatment,
    patient_marrow,
)
from senotwin.trial.library import get_trial
from senotwin.trial.run import BLOOD_ENDPOINT, compare_trial, comparison_text
from senotwin.trial.spec import load_trial
from senotwin.trial.toxicity import COLUMNS, blood_counts, plot_blood_counts
from tests.trial.test_run import _rows as trial_rows

DEFAULTS = {"anc_base": 4280.0, "anc_mtt": 4.875, "anc_slope_nab_paclitaxel": 2.53}
SLOPES = ("anc_slope_nab_paclitaxel",)
NEUTROPENIA = BLOOD_ENDPOINT.replace("{chain}", "neutropenia")
NO_PLATELETS = (math.nan, math.nan)  # plt_nadir, plt_grade of an arm without the chain


def test_the_spread_is_chen_2014s_cvs_on_the_log_scale() -> None:
    assert lognormal_sigma(0.351) == pytest.approx(math.sqrt(math.log(1 + 0.351**2)))
    assert ANC_SPREAD.slope_sigma == pytest.approx(0.4110, abs=1e-4)  # CV 42.9 %
    assert (ANC_SPREAD.age_factor, ANC_SPREAD.age_cut) == (1.501, 65.0)
    assert "Chen" in ANC_SPREAD.source and "Table 2" in ANC_SPREAD.source
    # the platelet chain: Guo 2023's baseline and feedback; navitoclax's own kill has none read
    assert dict(PLT_SPREAD.sigmas) == pytest.approx(
        {"plt_base": lognormal_sigma(0.283), "plt_gamma": lognormal_sigma(0.469)}
    )
    assert PLT_SPREAD.slope_sigma == 0.0 and PLT_SPREAD.age_factor == 1.0


def test_a_patient_keeps_one_marrow_and_age_raises_the_drug_slope() -> None:
    a = patient_marrow(DEFAULTS, 0, 50.0, seed=0, patient=3)
    assert a == patient_marrow(DEFAULTS, 0, 50.0, seed=0, patient=3)  # in every arm
    assert a != patient_marrow(DEFAULTS, 0, 50.0, seed=0, patient=4)
    assert a != patient_marrow(DEFAULTS, 0, 50.0, seed=1, patient=3)
    old = patient_marrow(DEFAULTS, 0, 70.0, seed=0, patient=3)
    assert old["anc_base"] == a["anc_base"] and old["anc_mtt"] == a["anc_mtt"]
    assert old[SLOPES[0]] == pytest.approx(1.501 * a[SLOPES[0]])
    # the draws spread around the model values with Chen's spread (400 patients)
    bases = [patient_marrow(DEFAULTS, 0, 50.0, 0, i)["anc_base"] for i in range(400)]
    logs = pd.Series(bases).map(math.log)
    assert logs.mean() == pytest.approx(math.log(4280.0), abs=0.06)
    assert logs.std() == pytest.approx(dict(ANC_SPREAD.sigmas)["anc_base"], rel=0.15)


def test_an_ineligible_marrow_is_drawn_again_from_the_patients_stream() -> None:
    """With an eligibility floor, a baseline below it is drawn again (the same stream, so
    reproducible); a patient eligible on the first draw keeps the draw they had without it."""
    free = [patient_marrow(DEFAULTS, 0, 50.0, 0, i) for i in range(40)]
    floored = [patient_marrow(DEFAULTS, 0, 50.0, 0, i, floor=4.0) for i in range(40)]
    assert all(f["anc_base"] >= 4000.0 for f in floored)
    redrawn = [i for i, a in enumerate(free) if a["anc_base"] < 4000.0]
    assert 5 < len(redrawn) < 35  # about half the patients sit below the typical 4.28
    assert all(free[i] == floored[i] for i in range(40) if i not in redrawn)
    assert floored[redrawn[0]] == patient_marrow(DEFAULTS, 0, 50.0, 0, redrawn[0], floor=4.0)
    with pytest.raises(ValidationError, match="eligibility floor 100 x 10\\^9/L in 100 draws"):
        patient_marrow(DEFAULTS, 0, 50.0, 0, 1, floor=100.0)


def _rows(pfs: dict[int, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"arm": arm, "patient": i, "status": "success", "pfs_days": d, "b_age": 55.0}
            for arm in ("nab_pac", "atezo")
            for i, d in pfs.items()
        ]
    )


def test_the_nadir_is_read_while_the_patient_is_on_treatment() -> None:
    """The reducer's read: each chain's nadir from day 0 to the PFS event (to the end when
    none), NaN for a chain the run does not carry."""
    t = np.arange(0.0, 10.0)
    anc = np.array([4000, 3500, 3000, 800, 2500, 400, 3000, 3000, 3000, 3000], dtype=float)
    table = {"time": t, "tox_anc": anc}
    early = nadirs_on_treatment(table, 4.0)
    assert early["anc_nadir"] == pytest.approx(0.8) and early["anc_grade"] == 3
    assert nadirs_on_treatment(table, math.nan)["anc_grade"] == 4  # to the end: day 5's 0.4
    assert nadirs_on_treatment(table, 0.0)["anc_nadir"] == pytest.approx(4.0)
    assert math.isnan(early["plt_nadir"]) and math.isnan(early["plt_grade"])


def test_a_trial_run_records_each_patients_own_marrow(tmp_path) -> None:
    """In a trial run every patient carries their own marrow (the same in both arms) and the
    reducer records the nadirs; blood_counts selects the arms whose drugs lower the count."""
    from senotwin.cohort.store import load_rows
    from senotwin.trial.run import run_trial

    trial = get_trial("impassion130")
    run_trial(trial, 3, tmp_path / "t", workers=1, processes=False)
    rows = load_rows(tmp_path / "t")
    assert {"anc_nadir", "anc_grade", "plt_nadir"} <= set(rows.columns)
    blood = blood_counts(trial, rows).set_index(["arm", "patient"])
    assert len(blood) == 6 and blood["plt_nadir"].isna().all()
    for p in range(3):  # one marrow, labs and nab-paclitaxel course in both arms: the arm
        # read for longer (a later progression) reaches at most the other's nadir
        a, b = blood.loc[("nab_pac", p)], blood.loc[("atezo", p)]
        short, long = (a, b) if a["window_days"] <= b["window_days"] else (b, a)
        assert long["anc_nadir"] <= short["anc_nadir"] * (1 + 1e-4)
        if a["window_days"] == b["window_days"]:
            assert a["anc_nadir"] == pytest.approx(b["anc_nadir"], rel=1e-4)
    assert blood["anc_nadir"].nunique() > 1  # the patients' own marrows differ
    stale = rows.drop(columns=["anc_nadir"])
    with pytest.raises(ValidationError, match="lack 'anc_nadir'"):
        blood_counts(trial, stale)


def test_a_trial_without_a_neutropenia_model_reads_nothing() -> None:
    trial = get_trial("impower133")  # carboplatin-etoposide: no published slope was read
    rows = pd.DataFrame(
        [{"arm": "cp_et", "patient": 0, "status": "success", "pfs_days": 50.0, "b_age": 60.0}]
    )
    blood = blood_counts(trial, rows)
    assert blood.empty and tuple(blood.columns) == COLUMNS


def test_rows_of_another_kind_are_refused_by_column() -> None:
    with pytest.raises(ValidationError, match="lack 'b_age'"):
        blood_counts(get_trial("impassion130"), _rows({0: 3.0}).drop(columns="b_age"))


def _doses(k: int) -> tuple[float, ...]:
    """Dose columns of blood row ``k``: the first two patients had one course delayed and
    one reduction (75 % of the planned amount), the others nothing; no laboratory read."""
    labs = (3, *[math.nan] * 6)  # lab_draws, then ANC and platelet lab, grade, worsened
    return (1, 0, 0, 1, 0.75, *labs) if k < 2 else (0, 0, 0, 0, 1.0, *labs)


def test_the_comparison_sets_the_simulated_rate_beside_the_labels(tmp_path, drawn_figures) -> None:
    trial = get_trial("impassion130")
    rows = trial_rows(10)
    blood = pd.DataFrame(
        [
            (arm, k % 10, 60.0, 100.0, 0.3 if k < 2 else 1.5, 0, *NO_PLATELETS, *_doses(k))
            for k, arm in enumerate(["nab_pac"] * 10 + ["atezo"] * 10)
        ],
        columns=list(COLUMNS),
    )
    blood["anc_grade"] = [4 if x < 0.5 else 1 for x in blood["anc_nadir"]]
    t = compare_trial(trial, rows, blood).table
    g3 = t[(t.population == "ITT") & (t.endpoint == NEUTROPENIA.format(grade=3))]
    nab = g3[g3.arm == "nab_pac"].iloc[0]
    assert nab["simulated"] == pytest.approx(20.0) and nab["published"] == 13.0
    assert "laboratory" in nab["unit"] and "n 438" in nab["unit"]
    assert nab["sim_low"] < 13.0 < nab["sim_high"] and nab["published_in_sim_ci"]
    assert g3[g3.arm == "atezo"].iloc[0]["simulated"] == 0.0
    # the label's all-grade rate gets a grade >= 1 row; grade 2, published nowhere, none
    g1 = t[(t.population == "ITT") & (t.endpoint == NEUTROPENIA.format(grade=1))]
    assert list(g1["published"]) == [54.0, 58.0] and list(g1["simulated"]) == [100.0, 100.0]
    assert not (t.endpoint == NEUTROPENIA.format(grade=2)).any()
    g4 = t[(t.population == "ITT") & (t.endpoint == NEUTROPENIA.format(grade=4))]
    assert pd.isna(g4.iloc[0]["published"])  # no published grade-4 rate: the row says '-'
    # the subgroup reads its own patients
    sub = t[(t.population == "pdl1_positive") & (t.endpoint == NEUTROPENIA.format(grade=3))]
    assert len(sub) == 2
    assert any(
        "neutropenia grade >= 3" in line
        for line in comparison_text(trial, compare_trial(trial, rows, blood))
    )
    # what the dose rules did: shares of patients and the median dose intensity, no comparator
    itt = t[(t.population == "ITT") & (t.arm == "nab_pac")].set_index("endpoint")
    assert itt.loc["cycle delayed for blood counts", "simulated"] == pytest.approx(20.0)
    assert itt.loc["dose reduced for blood counts", "simulated"] == pytest.approx(20.0)
    assert itt.loc["dose withheld for blood counts", "simulated"] == 0.0
    assert itt.loc["relative dose intensity", "simulated"] == 100.0
    assert itt.loc["relative dose intensity", "sim_low"] == pytest.approx(100.0)
    assert pd.isna(itt.loc["relative dose intensity", "published"])
    # a run without dose rules (NaN dose columns) prints no such rows
    plain = compare_trial(trial, rows, blood.assign(dose_intensity=float("nan"))).table
    assert not plain.endpoint.str.contains("for blood counts|dose intensity").any()
    assert not t.endpoint.str.contains("model nadir").any()  # no laboratory read: none
    # with a laboratory read (the worst measured value at the dose-day draws) the published
    # rate sits beside it, and the model nadir's share beside that with no comparator
    lab = blood.assign(
        anc_lab=[0.8 if k % 10 < 4 else 1.6 for k in range(20)],
        anc_lab_grade=[3 if k % 10 < 4 else 2 for k in range(20)],
        anc_lab_worsened=[3 if k % 10 < 4 else 2 for k in range(20)],
    )
    t2 = compare_trial(trial, rows, lab).table
    itt2 = t2[(t2.population == "ITT") & (t2.arm == "nab_pac")].set_index("endpoint")
    row = itt2.loc[NEUTROPENIA.format(grade=3)]
    assert row["simulated"] == pytest.approx(40.0) and row["published"] == 13.0
    assert (
        "worst laboratory ANC at the dose-day draws on treatment, worse than baseline"
        in row["unit"]
    )
    nadir = itt2.loc[NEUTROPENIA.format(grade=3) + ", model nadir"]
    assert nadir["simulated"] == pytest.approx(20.0) and pd.isna(nadir["published"])
    plot_blood_counts(trial, lab, tmp_path / "lab.png")
    assert (tmp_path / "lab.png").stat().st_size > 10_000
    # the legend sits above the axes, under the title: in the upper right it covered the
    # highest dots (audit s48)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    [ax] = drawn_figures[-1].axes
    canvas = FigureCanvasAgg(drawn_figures[-1])
    canvas.draw()
    renderer = canvas.get_renderer()
    box, frame = ax.get_legend().get_window_extent(renderer), ax.get_window_extent(renderer)
    assert box.y0 >= frame.y1 - 1
    assert ax.title.get_window_extent(renderer).y0 >= box.y1 - 1
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "model nadir",
        "worst laboratory value",
    ]
    # the figure: the nadirs against the grades, the published rate in the panel
    png = plot_blood_counts(trial, blood, tmp_path / "blood.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValidationError, match="no blood-count read to plot"):
        plot_blood_counts(trial, blood.assign(anc_nadir=math.nan), tmp_path / "none.png")
    # without a read no row appears
    assert not compare_trial(trial, rows).table["endpoint"].str.startswith("neutropenia").any()


def test_a_navitoclax_arm_reads_its_platelets(tmp_path) -> None:
    """A user's trial file with a navitoclax arm: each patient's platelet nadir and grade, the
    thrombocytopenia rows beside its published rate; the neutropenia read stays nab-paclitaxel's."""
    import yaml

    from senotwin.cohort.store import load_rows
    from senotwin.trial.library import DATA
    from senotwin.trial.run import run_trial

    data = yaml.safe_load((DATA / "impassion130.yaml").read_text())
    arm = data["arms"][1]
    arm["regimen"] = (
        "navitoclax 150 mg po qd d0-d6; navitoclax 325 mg po qd d7-d90; "
        "nab-paclitaxel 100 mg/m2 iv d0,d7,d14 x4 cycles of 28d"
    )
    arm["published"]["adverse_events"] = [
        {"event": "thrombocytopenia", "min_grade": 3, "percent": 41, "n": 39, "source": "x"}
    ]
    path = tmp_path / "navi.yaml"
    path.write_text(yaml.safe_dump(data))
    trial = load_trial(path)
    run_trial(trial, 2, tmp_path / "t", workers=1, processes=False)
    rows = load_rows(tmp_path / "t")
    blood = blood_counts(trial, rows)
    navi = blood[blood.arm == "atezo"].set_index("patient")
    assert navi["plt_nadir"].notna().all() and navi["anc_nadir"].notna().all()
    assert (navi["plt_nadir"] < 0.8 * 232.0).all()  # navitoclax lowers every patient's count
    assert blood[blood.arm == "nab_pac"]["plt_nadir"].isna().all()
    # the patient's own platelet marrow (Guo's spread): two patients, two nadirs
    assert navi.loc[0, "plt_nadir"] != pytest.approx(navi.loc[1, "plt_nadir"], rel=1e-3)
    t = compare_trial(trial, rows, blood).table
    row = t[(t.population == "ITT") & (t.arm == "atezo")]
    row = row[row.endpoint == "thrombocytopenia grade >= 3"]
    assert len(row) == 1 and row.iloc[0]["published"] == 41.0
    assert "worst laboratory PLT at the dose-day draws" in row.iloc[0]["unit"]


def test_the_blood_count_figure_labels_its_log_axis_in_plain_numbers(
    tmp_path, drawn_figures
) -> None:
    """On counts within a decade (ANC 0.7-4.5e9/L) matplotlib labelled the log axis's minor
    ticks `4 x 10^0` and `6 x 10^-1` (audit, session 48); the axis reads 0.5, 1, 2, 5."""
    trial = get_trial("impassion130")
    counts = np.linspace(0.7, 4.5, 20)
    blood = pd.DataFrame(
        [
            (arm, k % 10, 60.0, 100.0, counts[k], 1, *NO_PLATELETS, *_doses(k))
            for k, arm in enumerate(["nab_pac"] * 10 + ["atezo"] * 10)
        ],
        columns=list(COLUMNS),
    ).assign(anc_lab=counts[::-1], anc_lab_grade=1, anc_lab_worsened=1)
    plot_blood_counts(trial, blood, tmp_path / "blood.png")
    axis = drawn_figures[0].axes[0].yaxis
    major = [t.get_text() for t in axis.get_majorticklabels()]
    minor = [t.get_text() for t in axis.get_minorticklabels() if t.get_text()]
    assert minor == []
    shown = {float(text) for text in major}  # plain numbers only: no mathtext powers
    assert {0.5, 1.0, 2.0} <= shown, major


def test_the_figures_laboratory_share_counts_as_the_table_does(tmp_path, drawn_figures) -> None:
    """The figure's grade >= 3 laboratory share counted every worst value below 1.0e9/L, the
    comparison only those worse than the patient's baseline grade (audit, session 48): a
    patient enrolled at grade 3 whose worst value stays grade 3 is in neither now."""
    trial = get_trial("impassion130")
    blood = pd.DataFrame(
        [
            (arm, k % 10, 60.0, 100.0, 1.2, 2, *NO_PLATELETS, *_doses(k))
            for k, arm in enumerate(["nab_pac"] * 10 + ["atezo"] * 10)
        ],
        columns=list(COLUMNS),
    ).assign(
        anc_lab=[0.8 if k % 10 < 4 else 1.6 for k in range(20)],  # 4 of 10 below 1.0
        anc_lab_grade=[3 if k % 10 < 4 else 2 for k in range(20)],
        anc_lab_worsened=[3 if k % 10 < 2 else 0 for k in range(20)],  # 2 of them worse
    )
    plot_blood_counts(trial, blood, tmp_path / "blood.png")
    ticks = [t.get_text() for t in drawn_figures[0].axes[0].get_xticklabels()]
    assert all("grade >= 3 laboratory: 20.0 %" in t for t in ticks), ticks
    assert all("grade >= 3 nadir: 0.0 %" in t for t in ticks), ticks
    table = compare_trial(trial, trial_rows(10), blood).table  # the row the figure agrees with
    row = table[(table.population == "ITT") & (table.arm == "nab_pac")].set_index("endpoint")
    assert row.loc[NEUTROPENIA.format(grade=3), "simulated"] == pytest.approx(20.0)
