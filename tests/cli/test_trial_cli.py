"""``senotwin trial list|show``: the library on the command line; unknown trials fail cleanly."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from senotwin.cli import app

runner = CliRunner()

# the cohorts and trials these tests run use thread workers (tests/conftest.py: why, and what still
# runs on process workers)
pytestmark = pytest.mark.usefixtures("in_process_workers")


def test_trial_list_and_show() -> None:
    res = runner.invoke(app, ["trial", "list"])
    assert res.exit_code == 0 and "keynote189" in res.output and "impower133" in res.output
    # the help promises 'id, arms, scenario and title'; the text listing left the scenario out
    assert "aged_lung_untreated" in res.output and "aged_sclc_untreated" in res.output
    assert res.output.split()[:4] == ["trial", "arms", "scenario", "title"]  # a header row
    res = runner.invoke(app, ["trial", "list", "--json"])
    assert {t["id"] for t in json.loads(res.output)} == {"keynote189", "impassion130", "impower133"}
    res = runner.invoke(app, ["trial", "show", "impassion130"])
    assert res.exit_code == 0
    assert "atezolizumab 840 mg iv q14d" in res.output and "stand-in" in res.output
    # the protocol's dose rules, on the arms whose drug lowers a count, with their source
    assert "dose rules (arms nab_pac, atezo; on each patient's laboratory values" in res.output
    assert "a course waits 7 days while the ANC is < 1.5e9/L" in res.output
    assert "Japanese package insert" in res.output
    res = runner.invoke(app, ["trial", "show", "impower133"])
    assert res.exit_code == 0 and "aged_sclc_untreated" in res.output
    assert "dose rules" not in res.output  # no drug of its arms has a blood-count model
    assert "off-label" not in res.output  # etoposide 100 mg/m2 is inside its labelled range
    assert "death hazard: median 4.6 months after progression for a typical patient" in res.output
    assert "x1.05 per 10 mm of the current sum of target diameters above 109 mm" in res.output
    # the tissue's measured tumour-cell PD-L1 distribution the patients are drawn from (session 31)
    assert "< 1 / 1-49 / >= 50 %): 0.943 / 0.027 / 0.030" in res.output
    assert "pdl1_tc_sclc_caspian" in res.output
    assert "PFS at 6 mo 30.9 %, PFS at 12 mo 12.6 %" in res.output  # the published landmarks
    res = runner.invoke(app, ["trial", "show", "keynote189", "--json"])
    assert json.loads(res.output)["arms"][1]["published"]["orr"] == 47.6
    # published results read as numbers (they printed 'median OS None mo', 'HR PFS None' and
    # 'HR PFS (0.52, 0.43, 0.64)') and the last scan interval as 'thereafter' (was 'until
    # day 100000')
    out = runner.invoke(app, ["trial", "show", "keynote189"]).output
    assert "None" not in out and "(0.52, 0.43, 0.64)" not in out and "100000" not in out
    assert "HR PFS 0.52 (0.43-0.64)" in out and "median OS not given" in out
    assert "every 84 d thereafter" in out
    assert "response rates also read at the published median follow-up, 10.5 months" in out


def test_unknown_trial_is_a_clear_error() -> None:
    res = runner.invoke(app, ["trial", "show", "keynote-198"])
    assert res.exit_code != 0 and "error:" in res.output and "keynote189" in res.output


def test_cohort_run_trial_option_selects_trial_patients() -> None:
    from senotwin.analysis.endpoints import TrialEndpointReducer
    from senotwin.cli.cohort import _trial_cohort

    new, reducer = _trial_cohort("keynote189", None, None, "auto", n=30, seed=3, engine="fast")
    assert new.population.baseline is not None and len(new.population.selected) == 30
    assert new.population.describe()["selection"]["pool"] >= 600
    assert isinstance(reducer, TrialEndpointReducer) and reducer.rules.schedule[0] == (126.0, 42.0)
    # the trial's death hazard (NSCLC's cited post-progression survival and the burden term),
    # not the melanoma cohort's
    from senotwin.trial.clinical import trial_hazard
    from senotwin.trial.library import get_trial

    assert reducer.hazard == trial_hazard(get_trial("keynote189"))
    assert reducer.hazard.burden_per_mm > 0 and reducer.hazard.burden_ref_mm == 75.0
    res = runner.invoke(app, ["cohort", "run", "--out", "x", "--trial", "keynote-18"])
    assert res.exit_code != 0 and "keynote189" in res.output


def test_cohort_run_trial_builds_the_trial_runs_cohort(capsys: pytest.CaptureFixture[str]) -> None:
    """Audit s42 (M1): ``cohort run --trial`` kept --scenario default (a chemotherapy course in
    every arm), 365 days and no liu2019 posterior draws, so its patients were not ``trial
    run``'s; now it is :func:`trial_config`'s cohort, and another scenario or horizon warns."""
    from senotwin.cli.cohort import _trial_cohort
    from senotwin.trial.library import get_trial
    from senotwin.trial.run import trial_config

    ours, _ = _trial_cohort("keynote189", None, None, "posterior", n=6, seed=2, engine="fast")
    theirs = trial_config(get_trial("keynote189"), 6, seed=2, immune="posterior")
    assert ours == theirs
    assert ours.scenario == "aged_lung_untreated" and ours.t_end == 730.0 and ours.ensemble
    assert "warning" not in capsys.readouterr().err
    other, _ = _trial_cohort(
        "keynote189", "aged_tnbc_untreated", 365.0, "fit", n=6, seed=2, engine="fast"
    )
    assert other.scenario == "aged_tnbc_untreated" and other.t_end == 365.0
    err = " ".join(capsys.readouterr().err.split())
    assert (
        "warning: --scenario aged_tnbc_untreated differs from trial keynote189's scenario "
        "aged_lung_untreated" in err
    )
    assert "warning: --days 365 differs from trial keynote189's follow-up (730 days)" in err


def test_cohort_run_trial_gives_the_trial_runs_patients(tmp_path: Path) -> None:
    """The same n and seed: the trial's arms give trial run's rows; one arm alone its PFS."""
    from senotwin.cohort.store import load_rows
    from senotwin.trial.library import get_trial

    base = ["--n", "3", "--workers", "1"]
    res = runner.invoke(app, ["trial", "run", "keynote189", *base, "--out", str(tmp_path / "t")])
    assert res.exit_code == 0, res.output
    trial_rows = load_rows(tmp_path / "t")
    arms = [f"{a.name}={a.regimen}" for a in get_trial("keynote189").arms]
    cohort = ["cohort", "run", "--trial", "keynote189", *base, "--quiet"]
    both = [x for a in arms for x in ("--arm", a)]
    res = runner.invoke(app, [*cohort, "--out", str(tmp_path / "c"), *both])
    assert res.exit_code == 0, res.output
    said = " ".join(res.output.split())
    assert "trial keynote189: patients selected to its baseline on aged_lung_untreated" in said
    assert "730 days" in said and "warning" not in said
    cohort_rows = load_rows(tmp_path / "c")
    pd.testing.assert_frame_equal(cohort_rows[trial_rows.columns], trial_rows)
    res = runner.invoke(app, [*cohort, "--out", str(tmp_path / "1"), "--arm", arms[0]])
    assert res.exit_code == 0, res.output
    alone = load_rows(tmp_path / "1")
    control = trial_rows[trial_rows["arm"] == "chemo"].reset_index(drop=True)
    for col in ("patient", "pfs_days", "pfs_event", "best_response", "os_event", "b_sld_mm"):
        assert list(alone[col]) == list(control[col]), col


def test_cohort_run_trial_refuses_what_cannot_apply(tmp_path: Path) -> None:
    """A legacy scenario failed every patient as 'without a plausible patient draw' (the cause:
    unknown parameter 'rho_cell'; audit s42, M6); options the trial's patients ignore are
    refused; nothing is written."""
    out = tmp_path / "c"
    base = ["cohort", "run", "--trial", "impassion130", "--n", "2", "--out", str(out)]
    res = runner.invoke(app, [*base, "--scenario", "legacy_default"])
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    assert "trial 'impassion130' cannot run on scenario 'legacy_default'" in text
    assert "lacks rho_cell" in text and "use a scenario of the qsp model" in text
    for extra, word in (
        (["--age", "young"], "--age young does not go with --trial"),
        (["--cv", "0.5"], "--cv 0.5 does not go with --trial"),
        (["--lethal-burden", "30"], "death follows the trial's hazard"),
        (["--ensemble", "shipped"], "--ensemble with --trial needs --immune fit"),
    ):
        res = runner.invoke(app, [*base, *extra])
        assert res.exit_code == 2 and word in " ".join(res.output.split()), res.output
    res = runner.invoke(app, ["cohort", "run", "--out", str(out), "--immune", "fit"])
    assert res.exit_code == 2 and "it needs --trial" in res.output
    res = runner.invoke(app, [*base, "--immune", "bogus"])  # named by its flag, not 'immune ='
    assert "immune source 'bogus' (--immune; immune= in Python) is not one of: auto" in " ".join(
        res.output.split()
    )
    assert not out.exists()
    # the same check guards the Python API (make_job), before any patient is drawn
    from dataclasses import replace

    from senotwin._errors import ValidationError
    from senotwin.analysis.endpoints import TrialEndpointReducer
    from senotwin.cohort.population import population_for
    from senotwin.cohort.runner import CohortConfig, arm_from_text, make_job
    from senotwin.model.scenarios import get_scenario
    from senotwin.trial.library import get_trial

    legacy = population_for(get_scenario("legacy_default").load())
    pop = replace(legacy, baseline=get_trial("impassion130").baseline)
    cfg = CohortConfig("legacy_default", 2, (arm_from_text("c=none"),), pop)
    with pytest.raises(ValidationError, match="trial patients cannot run on scenario 'legacy_d"):
        make_job(cfg, TrialEndpointReducer())


def test_trial_heldback_prints_the_cross_tissue_prediction(tmp_path: Path) -> None:
    res = runner.invoke(app, ["trial", "heldback", "miao", "--n", "6"])
    assert res.exit_code == 0, res.output
    assert "observed 24.2 %" in res.output and "ccrcc_clear_cell" in res.output
    assert "PFS: simulated median" in res.output and "not usable" in res.output
    res = runner.invoke(app, ["trial", "heldback", "miao", "--n", "6", "--json"])
    data = json.loads(res.output)
    assert data["n_obs"] == 33 and "sim" not in data and data["tissue"]["id"] == "ccrcc_clear_cell"
    # ORR a fraction here, a percentage in `trial run`: the JSON says which (audit s42 M4), and
    # a median not reached (null) is flagged (M3)
    assert data["units"]["orr_sim"] == "fraction of patients (0-1)"
    assert data["units"]["median_os_sim"] == "months"
    assert data["median_os_sim_not_reached"] is (data["median_os_sim"] is None)
    res = runner.invoke(app, ["trial", "heldback", "hugo"])
    assert res.exit_code != 0 and "miao" in res.output
    res = runner.invoke(
        app,
        ["trial", "run", "keynote189", "--n", "2", "--out", str(tmp_path / "t"), "--immune", "x"],
    )
    assert res.exit_code == 2 and "is not one of: auto, posterior, fit" in res.output


def test_trial_run_says_which_immune_parameters_it_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a stale shipped posterior the default run uses the point fit and says so in stdout,
    comparison.json and the manifest; ``--immune posterior`` runs the stale ensemble with a note."""
    from dataclasses import replace

    from senotwin.calibrate import sample

    ens = sample.shipped_ensemble()
    stale = replace(ens, provenance={**ens.provenance, "model_digest": "0" * 64})
    monkeypatch.setattr(sample, "shipped_ensemble", lambda: stale)
    for immune, used in (("auto", "fit"), ("posterior", "posterior")):
        out = tmp_path / immune
        args = ["trial", "run", "impower133", "--n", "2", "--workers", "1", "--out", str(out)]
        as_json = immune == "posterior"  # --json says the same (audit s42 M4: it did not)
        res = runner.invoke(app, [*args, "--immune", immune, *(["--json"] if as_json else [])])
        assert res.exit_code == 0, res.output
        comp = json.loads((out / "comparison.json").read_text())
        note = "the shipped liu2019 posterior was drawn on an earlier model"
        if as_json:
            assert json.loads(res.stdout, parse_constant=pytest.fail) == comp
            assert note in comp["immune_note"]
            assert comp["patients"] == 2 and comp["failed_patient_arms"] >= 0
            _not_reached_matches_the_csv(comp, out)
        else:
            assert f"immune parameters: {used}" in res.output
            assert f"note: {note}" in res.output
            assert "checks against cited numbers from outside the trial" in res.output
        assert comp["immune"] == used and comp["immune_requested"] == immune
        assert {c["check"] for c in comp["checks"]} >= {"median survival after progression"}
        assert all(isinstance(c["holds"], bool) for c in comp["checks"])
        manifest = json.loads((out / "manifest.json").read_text())
        immune_record = manifest["config"]["population"]["selection"]["immune"]
        assert immune_record["source"] == used and immune_record["requested"] == immune
        assert ("(--immune auto)" in res.output) == (immune == "auto")


def test_trial_show_json_stays_strict_without_a_median_follow_up(tmp_path: Path) -> None:
    """A trial file without the published median follow-up shows it as null (no 'Infinity')."""
    import yaml

    from senotwin.trial.library import DATA

    data = yaml.safe_load((DATA / "keynote189.yaml").read_text())
    for key in ("median_follow_months", "median_follow_source"):
        data["assessment"].pop(key)
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(data))
    res = runner.invoke(app, ["trial", "show", str(path), "--json"])
    assert res.exit_code == 0 and "Infinity" not in res.output
    assert json.loads(res.output)["rules"]["median_follow_days"] is None
    assert "response rates also read" not in runner.invoke(app, ["trial", "show", str(path)]).output


def test_trial_show_says_which_baseline_fields_are_not_selected_on(tmp_path: Path) -> None:
    """A trial file without the SLD and age medians selects on neither: the text says the pool
    gives them, with no unit after the word (it printed 'SLD median pool mm')."""
    import yaml

    from senotwin.trial.library import DATA

    data = yaml.safe_load((DATA / "keynote189.yaml").read_text())
    for key in ("sld_median_mm", "age_median"):
        data["baseline"].pop(key)
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(data))
    res = runner.invoke(app, ["trial", "show", str(path)])
    assert res.exit_code == 0, res.output
    assert "pool mm" not in res.output
    assert "SLD median not selected on (the pool's)" in res.output
    assert "age median not selected on (the pool's)" in res.output
    res = runner.invoke(app, ["trial", "show", "keynote189"])
    assert "SLD median 75 mm" in res.output and "age median 64.5" in res.output


def _not_reached_matches_the_csv(comp: dict, out: Path) -> None:
    """Each row's ``*_not_reached`` flag is true where comparison.csv has inf (a median not
    reached was null in the JSON, as 'no value' is; audit s42 M3), its number then null."""
    import math

    csv = pd.read_csv(out / "comparison.csv")
    assert len(csv) == len(comp["rows"])
    for row, (_, line) in zip(comp["rows"], csv.iterrows(), strict=True):
        for field in ("simulated", "sim_low", "sim_high"):
            assert row[f"{field}_not_reached"] is (line[field] == math.inf), (row, field)
            if row[f"{field}_not_reached"]:
                assert row[field] is None
    assert {r["unit"] for r in comp["rows"] if r["endpoint"] == "ORR"} == {"%"}
    assert {r["unit"] for r in comp["rows"] if r["endpoint"].startswith("median")} == {"months"}


def test_cohort_run_draws_own_clearances_on_request(tmp_path: Path) -> None:
    """`cohort run --pk-spread` gives each patient their own clearances (recorded in the
    manifest); plain cohorts keep the typical PK by default, trial cohorts their own, and
    `--typical-pk` turns it off for them."""
    from senotwin.cohort.store import read_manifest

    arm = ["--arm", "nab=nab-paclitaxel 100 mg/m2 iv d0", "--days", "10", "--quiet"]
    for flag, out, expect in (([], "a", False), (["--pk-spread"], "b", True)):
        res = runner.invoke(
            app, ["cohort", "run", "--n", "2", *arm, *flag, "--out", str(tmp_path / out)]
        )
        assert res.exit_code == 0, res.output
        config = read_manifest(tmp_path / out)["config"]
        assert config.get("pk_spread", False) is expect
    base = ["cohort", "run", "--trial", "impassion130", "--n", "2", "--days", "10", "--quiet"]
    for flag, out, expect in (([], "t", True), (["--typical-pk"], "u", False)):
        res = runner.invoke(app, [*base, *flag, "--arm", "nab=none", "--out", str(tmp_path / out)])
        assert res.exit_code == 0, res.output
        assert read_manifest(tmp_path / out)["config"].get("pk_spread", False) is expect
    # dose rules: on with --trial (its manifest records the thresholds and their source), off
    # with --no-dose-rules; a plain cohort asks for them with --dose-rules
    assert (
        "weekly nab-paclitaxel" in read_manifest(tmp_path / "t")["config"]["dose_rules"]["source"]
    )
    for flags, out, expect in (
        ([*base, "--no-dose-rules", "--arm", "nab=none"], "v", False),
        (["cohort", "run", "--n", "2", *arm, "--dose-rules"], "w", True),
    ):
        res = runner.invoke(app, [*flags, "--out", str(tmp_path / out)])
        assert res.exit_code == 0, res.output
        assert ("dose_rules" in read_manifest(tmp_path / out)["config"]) is expect
    from senotwin.cohort.store import load_rows

    assert set(load_rows(tmp_path / "w")["dose_intensity"]) == {1.0}


def test_the_readme_names_every_figure_trial_run_writes() -> None:
    """README's figure list named km.png and waterfall.png for `trial run`, not the
    blood_counts.png it also writes (audit, session 48)."""
    from senotwin.trial.toxicity import BLOOD_FIGURE

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    figures = readme.split("## Figures", 1)[1].split("\n## ", 1)[0]
    item = next(b for b in figures.split("\n- ") if b.startswith("`senotwin trial run`"))
    for name in ("km.png", "waterfall.png", BLOOD_FIGURE):
        assert f"`{name}`" in item, name


def test_heldback_refuses_a_bad_count_by_its_flag() -> None:
    """`trial heldback --n 0` said 'virtual cohort n = 0', naming no flag (audit find)."""
    for bad in ("0", "-3", "2"):
        res = runner.invoke(app, ["trial", "heldback", "miao", "--n", bad])
        assert res.exit_code == 2
        assert f"error: --n must be a whole number >= 3, got {bad}" in res.output


def test_a_mistyped_heldback_cohort_gets_the_closest_name() -> None:
    """`trial heldback mio` listed the cohorts without pointing at the one meant (audit,
    session 48)."""
    res = runner.invoke(app, ["trial", "heldback", "mio"])
    assert res.exit_code == 2
    assert "known: miao, padron; did you mean 'miao'?" in " ".join(res.output.split())
