"""Per-case robustness over a parameter ensemble (CSV of parameter sets)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from senotwin._errors import ValidationError
from senotwin.analysis.validation import case_robustness, parse_cases, read_ensemble
from senotwin.cli.app import app
from senotwin.model.qsp import load_qsp

# with BCL-2 fully blocked, apoptosis = k_apop_max x dep_bcl2 = 0.8 k_apop_max: inside
# [0, 1] 1/day for k_apop_max 0.5, outside for 2.0
_CASE = {
    "id": "apoptosis_bound",
    "tier": "consistency",
    "claim": "senolytic apoptosis stays below one per day",
    "source": {"paper": "model structure", "review_section": "4.2", "refs": [192]},
    "control": {"blocks": {"BCL2_FAMILY": 1.0}},
    "readout": "apoptosis",
    "measure": {"stat": "at", "at": 1},
    "expect": {"kind": "value", "range": [0.0, 1.0], "unit": "1/day", "basis": "a bound"},
}
_CSV = "k_apop_max,dep_bcl2\n0.5,0.8\n2.0,0.8\n"


def test_robustness_is_the_share_of_sets_where_the_case_holds(tmp_path) -> None:
    path = tmp_path / "ens.csv"
    path.write_text(_CSV)
    sets = read_ensemble(path, load_qsp())
    assert sets == ({"k_apop_max": 0.5, "dep_bcl2": 0.8}, {"k_apop_max": 2.0, "dep_bcl2": 0.8})
    cases = parse_cases({"version": 2, "cases": [_CASE]})
    assert case_robustness(cases, sets) == {"apoptosis_bound": 0.5}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("k_apop_mx\n0.5\n", "column 'k_apop_mx' is not a parameter"),
        ("k_apop_max\nfast\n", "row 1, k_apop_max: must be a finite number"),
        ("k_apop_max\n", "no parameter sets"),
        ("k_apop_max\n0.5\n-0.5\n", r"row 2, k_apop_max: -0.5 is negative"),  # session 32
    ],
)
def test_bad_ensemble_files_name_the_problem(tmp_path, text: str, message: str) -> None:
    path = tmp_path / "ens.csv"
    path.write_text(text)
    with pytest.raises(ValidationError, match=message):
        read_ensemble(path, load_qsp())


def test_cli_reports_robustness(tmp_path) -> None:
    import yaml

    cases = tmp_path / "cases.yaml"
    cases.write_text(yaml.safe_dump({"version": 2, "cases": [_CASE]}))
    ens = tmp_path / "ens.csv"
    ens.write_text(_CSV)
    args = ["validate", "--cases", str(cases), "--ensemble", str(ens)]
    res = CliRunner().invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["cases"][0]["robustness"] == 0.5
    table = CliRunner().invoke(app, args)
    assert table.exit_code == 0 and "50%" in table.stdout


def test_the_tsv_that_calibrate_writes_is_read_and_its_noise_columns_are_ignored(
    tmp_path,
) -> None:
    """`senotwin calibrate --ensemble` writes ensemble.tsv: tab-separated, one column per fitted
    parameter, including a problem's estimated noise sigma (no model parameter). Before this
    was read, the whole header became one unknown column and the file was rejected."""
    from senotwin.analysis.validation import load_ensemble

    path = tmp_path / "ensemble.tsv"
    path.write_text("k_apop_max\tdep_bcl2\tsigma_volume\n0.5\t0.8\t0.2\n2.0\t0.8\t0.3\n")
    ens = load_ensemble(path, load_qsp())
    assert ens.sets == ({"k_apop_max": 0.5, "dep_bcl2": 0.8}, {"k_apop_max": 2.0, "dep_bcl2": 0.8})
    assert ens.ignored == ("sigma_volume",)
    # a tab in the header is enough, whatever the file is called
    other = tmp_path / "posterior.txt"
    other.write_text(path.read_text())
    assert read_ensemble(other, load_qsp()) == ens.sets


def test_an_ensemble_without_any_model_parameter_is_rejected(tmp_path) -> None:
    path = tmp_path / "ensemble.tsv"
    path.write_text("sigma_volume\tsigma_cd8\n0.2\t0.3\n")
    with pytest.raises(ValidationError, match="no column names a parameter"):
        read_ensemble(path, load_qsp())


def test_cli_reads_a_calibrate_ensemble_and_lists_ignored_columns(tmp_path) -> None:
    import yaml

    cases = tmp_path / "cases.yaml"
    cases.write_text(yaml.safe_dump({"version": 2, "cases": [_CASE]}))
    ens = tmp_path / "ensemble.tsv"
    ens.write_text("k_apop_max\tdep_bcl2\tsigma_volume\n0.5\t0.8\t0.2\n2.0\t0.8\t0.3\n")
    args = ["validate", "--cases", str(cases), "--ensemble", str(ens)]
    res = CliRunner().invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["cases"][0]["robustness"] == 0.5
    assert out["ensemble"] == {"n_sets": 2, "ignored_columns": ["sigma_volume"]}
    table = CliRunner().invoke(app, args)
    assert table.exit_code == 0 and "ignored (no model parameter): sigma_volume" in table.stdout


def test_tissue_growth_is_re_derived_for_each_parameter_set() -> None:
    """A tissue's proliferation is derived at qsp.yaml's immune values; an ensemble set with
    more CD8 kill (the liu2019 posterior's ~1.5/day against 0.9) runs with the rate re-derived
    under it, so the untreated lung doubling (the calibration the rate comes from) still holds
    at the cited 99 d; with the shipped rate it is more than twice as long at that kill and fails
    the case at the posterior's upper kill (1.92; since session 18, with dead cells cleared at the
    measured 8/day, the shipped rate at 1.5 doubles in ~230 d, inside the wide cited 98-357 d, so
    the case verdict alone no longer shows the difference there; since session 24, with k_byst
    and k_exh recalibrated and the rates re-derived, ~164 d at 1.5 and no doubling at 1.92;
    since session 25 (bign: k_exh 0.1637 on 1000 virtual Liu patients, more exhaustion, so extra
    kill matters less) the re-derived rate at 1.5 is 1.19 x the shipped one, asserted > 1.15,
    and the shipped rate there doubles in ~145 d, asserted > 1.4 x 99 d; at 1.92 it now passes
    the wide cited range, so the test asserts the slower doubling there instead of a failure;
    since session 27 (the measured effector contraction: the untreated lesion keeps fewer
    effectors, so extra per-cell kill matters less again) the shipped rate at 1.5 doubles in
    ~132 d, asserted > 1.3 x 99 d). Mouse contexts keep their fitted rate."""
    from senotwin.analysis.validation import load_cases, run_cases
    from senotwin.analysis.validation.ensemble import derived_contexts
    from senotwin.model.qsp import TISSUES
    from senotwin.model.scenarios import get_scenario
    from senotwin.sim.tissue_growth import carried_tissue

    assert carried_tissue(get_scenario("default")) == "lung"
    assert carried_tissue(get_scenario("aged_pancreas_untreated")) == "pancreas"
    assert carried_tissue(get_scenario("aged_colorectal_untreated")) == "colorectal"
    assert carried_tissue(get_scenario("mouse_emt6_isotype")) is None
    cases = [c for c in load_cases() if c.spec_case.id == "untreated_lung_doubling_time"]
    kill = {"k_kill": 1.5}
    contexts = derived_contexts(cases, kill)
    (rate,) = (v["k_grow"] for v in contexts.values())
    assert rate > TISSUES["lung"].k_grow * 1.15
    assert derived_contexts(cases, kill | {"k_grow": 0.02}) == {}
    assert case_robustness(cases, [kill]) == {"untreated_lung_doubling_time": 1.0}
    at_kill = run_cases(cases, base_params=kill).results[0].effect
    assert at_kill > 1.3 * 99.0  # the shipped rate
    # more kill, slower doubling at the shipped rate (until session 25 the case failed at 1.92)
    assert run_cases(cases, base_params={"k_kill": 1.92}).results[0].effect > at_kill


def test_members_takes_the_first_sets_and_needs_an_ensemble(tmp_path) -> None:
    """``run_validation(members=N)`` scores each case on the ensemble's first N sets (the demo
    reads 40 draws of the shipped posterior); N without an ensemble, or below 1, is refused."""
    import yaml

    from senotwin.analysis.validation import run_validation

    cases = tmp_path / "cases.yaml"
    cases.write_text(yaml.safe_dump({"version": 2, "cases": [_CASE]}))
    ens = tmp_path / "ens.csv"
    ens.write_text(_CSV)  # the first set holds, the second does not
    first = run_validation(cases, ensemble=ens, members=1)
    assert first.ensemble_sets == 1 and first.robustness == {"apoptosis_bound": 1.0}
    both = run_validation(cases, ensemble=ens)
    assert both.ensemble_sets == 2 and both.robustness == {"apoptosis_bound": 0.5}
    with pytest.raises(ValidationError, match=r"members \(--members\) selects .* ensemble"):
        run_validation(cases, members=1)
    # a string compared with '<' raised a TypeError (audit s42 M2)
    for bad in (0, "3", 1.5, True):
        with pytest.raises(
            ValidationError, match=r"members \(--members\) must be a whole number >= 1, got "
        ):
            run_validation(cases, ensemble=ens, members=bad)  # type: ignore[arg-type]


def test_the_word_shipped_names_the_packaged_posterior_in_python(tmp_path) -> None:
    """`--ensemble shipped` worked on the command line only; run_validation said "ensemble file
    'shipped' does not exist" (audit s42 L3). A Path named so is still a file."""
    from pathlib import Path

    import yaml

    from senotwin._ensembles import ensemble_file
    from senotwin.analysis.validation import run_validation
    from senotwin.calibrate.sample import shipped_ensemble_path
    from senotwin.cli._common import ensemble_path

    assert ensemble_file("shipped") == shipped_ensemble_path() == ensemble_path("shipped")
    assert shipped_ensemble_path().is_file()
    assert ensemble_file(Path("shipped")) == Path("shipped")
    assert ensemble_file("./shipped") == Path("shipped")
    cases = tmp_path / "cases.yaml"
    cases.write_text(yaml.safe_dump({"version": 2, "cases": [_CASE]}))
    report = run_validation(cases, ensemble="shipped", members=1)
    assert report.ensemble_sets == 1 and set(report.robustness or {}) == {"apoptosis_bound"}
    with pytest.raises(ValidationError, match="ensemble file 'shipped' does not exist"):
        run_validation(cases, ensemble=Path("shipped"), members=1)


def test_cli_members_takes_the_first_sets(tmp_path) -> None:
    """`validate --ensemble F --members N`, as cohort run and treat compare have it; --members
    alone or below 1 is refused by name."""
    import yaml

    cases = tmp_path / "cases.yaml"
    cases.write_text(yaml.safe_dump({"version": 2, "cases": [_CASE]}))
    ens = tmp_path / "ens.csv"
    ens.write_text(_CSV)
    base = ["validate", "--cases", str(cases), "--json"]
    res = CliRunner().invoke(app, [*base, "--ensemble", str(ens), "--members", "1"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["ensemble"]["n_sets"] == 1
    res = CliRunner().invoke(app, [*base, "--members", "1"])
    assert res.exit_code != 0 and "--members selects ensemble members" in res.output
    res = CliRunner().invoke(app, [*base, "--ensemble", str(ens), "--members", "0"])
    assert res.exit_code != 0 and "--members must be >= 1, got 0" in res.output
