"""Trial page: checked requests, background jobs that cancel without leftovers, result views."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from dash import no_update

from senotwin._errors import ValidationError
from senotwin.analysis.survival import arm_summary
from senotwin.app import trial_jobs
from senotwin.app.trial_jobs import (
    MAX_PATIENTS,
    TrialJobs,
    TrialRequest,
    check_request,
    group_members,
    parse_trial_arms,
)
from senotwin.app.trial_results import (
    SUMMARY_HEAD,
    km_figure,
    report_html,
    rows_csv,
    rows_parquet,
    summary_rows,
    waterfall_figure,
)
from senotwin.app.trial_view import EXAMPLE_ARMS, poll, start_or_cancel
from senotwin.cohort.store import CohortProgress


def test_example_arms_parse_and_a_bad_regimen_gets_the_caret_under_its_arm() -> None:
    names = [n for n, _ in EXAMPLE_ARMS]
    texts = [t for _, t in EXAMPLE_ARMS]
    arms, errors = parse_trial_arms(names, texts)
    assert [a for a, _ in arms] == ["control", "anti-PD-1"] and not any(errors)
    arms, errors = parse_trial_arms(["a", "b"], ["none", "anti-pd-1 200 mq iv d0"])
    assert errors[0] == "" and "mq" in errors[1] and errors[1].rstrip().endswith("^")
    _, errors = parse_trial_arms(["a", "a"], ["none", "none"])
    assert "used twice" in errors[1]


def test_request_limits_name_the_field_and_the_allowed_values() -> None:
    arms = (("control", "none"),)
    with pytest.raises(ValidationError, match=f"patients {MAX_PATIENTS + 1} must be from 1 to"):
        check_request("aged_lung_untreated", MAX_PATIENTS + 1, arms)
    with pytest.raises(ValidationError, match=r"patients 2\.5 must be a whole number"):
        check_request("aged_lung_untreated", 2.5, arms)
    # an empty box arrives as None: the message named 'patients None' (app pass s53)
    with pytest.raises(ValidationError, match="virtual patients per arm: the box is empty"):
        check_request("aged_lung_untreated", None, arms)
    with pytest.raises(ValidationError, match=r"seed of the population -3 must be a whole"):
        check_request("aged_lung_untreated", 5, arms, -3)
    with pytest.raises(ValidationError, match="scenario 'nowhere' is unknown"):
        check_request("nowhere", 5, arms)
    with pytest.raises(ValidationError, match="no arm"):
        check_request("aged_lung_untreated", 5, ())
    req = check_request("aged_lung_untreated", 5.0, arms, 3)
    assert req == TrialRequest("aged_lung_untreated", 5, arms, 3)
    argv = req.argv(Path("x"))
    assert argv[argv.index("--n") + 1] == "5" and "control=none" in argv


def test_a_misspelt_action_gets_the_action_suggested_not_an_unknown_drug() -> None:
    """'blok PDCD1=0.9' read as regimen text: "unknown drug 'blok PDCD1=0.9'" with no hint
    (audit find); it is an action with a typo, suggested as the action reader does."""
    _arms, errors = parse_trial_arms(["ici", "b"], ["blok PDCD1=0.9", "stp k_senolytic=0.5@14"])
    assert "unknown action 'blok'; did you mean 'block'?" in errors[0], errors
    assert "unknown action 'stp'; did you mean 'step', 'set'?" in errors[1], errors
    assert not any("unknown drug" in e for e in errors)
    _arms, errors = parse_trial_arms(["a"], ["navitoclx 325 mg po qd d0-d4"])  # still a drug
    assert "unknown drug 'navitoclx'; did you mean 'navitoclax'" in errors[0]


def test_an_arm_name_with_an_equals_sign_is_blamed_on_the_name() -> None:
    """'a=b' was split into name 'a' and regimen 'b=none': 'unknown drug' (audit s43)."""
    _arms, errors = parse_trial_arms(["a=b"], ["none"])
    assert errors[0].startswith("arm name 'a=b' must start with a letter or digit"), errors


def test_forged_types_are_answered_on_the_page_not_as_a_500() -> None:
    """A number for an arm, more names than boxes, a list for the trial or the job id raised
    (AttributeError, ValueError, TypeError: HTTP 500; audit s43)."""
    from senotwin.app.trial_view import pick_trial

    assert parse_trial_arms([5, None], ["none", None]) == (
        (),
        ["arm 1: name 5 and regimen 'none' must be text", ""],
    )
    assert parse_trial_arms(["a"], ["none", "none"])[1] == ["1 arm names for 2 regimen boxes"] * 2
    with pytest.raises(ValidationError, match=r"trial \['x'\] is not in the library"):
        check_request("aged_lung_untreated", 5, (("c", "none"),), 0, ["x"])  # type: ignore[arg-type]
    jobs = TrialJobs()
    try:
        assert poll(jobs, ["x"])[2] == "error: no cohort job ['x'] on this server (restarted?)"  # type: ignore[arg-type]
    finally:
        jobs.shutdown()
    assert pick_trial(["x"])[0] is no_update  # type: ignore[arg-type]


def test_actions_and_scenario_are_checked_before_a_job_starts() -> None:
    """'block FOO=0.9', 'block CD274=1.5' and every mouse scenario were accepted, then failed
    in the progress line without naming the arm (audit, session 41)."""
    ctl = ("control", "none")
    with pytest.raises(ValidationError, match=r"arm 'b': unknown entity 'FOO' to block"):
        check_request("aged_lung_untreated", 5, (ctl, ("b", "block FOO=0.9")))
    with pytest.raises(ValidationError, match=r"arm 'c': block of CD274 must be a fraction"):
        check_request("aged_lung_untreated", 5, (ctl, ("c", "block CD274=1.5")))
    with pytest.raises(ValidationError, match=r"mouse experiment; virtual cohorts draw human"):
        check_request("mouse_emt6_isotype", 5, (ctl,))
    assert check_request("aged_lung_untreated", 5, (ctl, ("d", "block PD-L1=0.9")))


def test_bad_arms_start_no_job() -> None:
    jobs = TrialJobs()
    job, disabled, errors, status = start_or_cancel(
        jobs,
        "trial-run",
        "aged_lung_untreated",
        5,
        0,
        ["a", ""],
        ["navitoclax 2 parsecs", ""],
        None,
    )
    assert job is no_update and disabled and errors[0] and "fix the regimen" in status
    assert jobs.running() == 0


def test_cancel_stops_the_cohort_and_every_process_it_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a stand-in cohort command that starts a grandchild, as Dask starts its workers
    script = (
        "import subprocess, sys, time; "
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); time.sleep(120)"
    )
    monkeypatch.setattr(
        TrialRequest, "argv", lambda self, out: [trial_jobs.sys.executable, "-c", script]
    )
    monkeypatch.setattr(trial_jobs, "GRACE_S", 2.0)
    jobs = TrialJobs()
    try:
        job, disabled, _errors, status = start_or_cancel(
            jobs, "trial-run", "aged_lung_untreated", 5, 0, ["c"], ["none"], None
        )
        assert status.startswith("started") and not disabled
        pid = jobs._job(job).proc.pid
        deadline = time.monotonic() + 30
        while len(group_members(pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(group_members(pid)) == 2
        _done, _planned, text, _res, disabled, _status = poll(jobs, job)
        assert "starting" in text and not disabled
        _j, _d, _e, status = start_or_cancel(
            jobs, "trial-run", "aged_lung_untreated", 5, 0, ["c"], ["none"], job
        )
        assert "a cohort is running" in status  # one run per tab at a time
        start_or_cancel(jobs, "trial-cancel", None, None, None, ["c"], ["none"], job)
        assert group_members(pid) == []
        _done, _planned, text, results, disabled, status = poll(jobs, job)
        assert "cancelled" in text and results == [] and disabled
        assert status == "the cohort was cancelled"  # not 'a cohort is running' (audit s43)
        _j, disabled, _e, status = start_or_cancel(
            jobs, "trial-cancel", None, None, None, ["c"], ["none"], job
        )
        assert status == "nothing to cancel: the cohort was cancelled" and disabled
    finally:
        jobs.shutdown()


def test_cancel_after_the_cohort_finished_says_there_is_nothing_to_cancel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cancel on a finished cohort answered 'cancelled; no worker is left running' beside
    'complete' (audit s43)."""
    monkeypatch.setattr(TrialRequest, "argv", lambda self, out: [sys.executable, "-c", "pass"])
    jobs = TrialJobs()
    try:
        job, *_ = start_or_cancel(
            jobs, "trial-run", "aged_lung_untreated", 5, 0, ["c"], ["none"], None
        )
        jobs._job(job).proc.wait(timeout=30)
        _j, disabled, _e, status = start_or_cancel(
            jobs, "trial-cancel", None, None, None, ["c"], ["none"], job
        )
        assert status == "nothing to cancel: the cohort has finished" and disabled
        assert jobs.status(job).state == "complete"
    finally:
        jobs.shutdown()


def test_a_download_before_a_finished_cohort_says_why_nothing_comes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The download buttons did nothing, without a word, before a cohort had finished."""
    from senotwin.app.trial_view import download

    jobs = TrialJobs()
    try:
        assert download(jobs, "trial-dl-csv", None) == (
            no_update,
            "nothing to download yet: run a cohort first",
        )
        script = "import time; time.sleep(60)"
        monkeypatch.setattr(TrialRequest, "argv", lambda self, out: [sys.executable, "-c", script])
        job = jobs.start(check_request("aged_lung_untreated", 5, (("c", "none"),)))
        data, status = download(jobs, "trial-dl-csv", job)
        assert data is no_update and status.startswith("nothing to download: the cohort has not")
        jobs.cancel(job)
        _data, status = download(jobs, "trial-dl-report", job)
        assert status == "nothing to download: the cohort was cancelled; it has no results"
    finally:
        jobs.shutdown()


def test_at_most_max_running_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        TrialRequest,
        "argv",
        lambda self, out: [trial_jobs.sys.executable, "-c", "import time; time.sleep(60)"],
    )
    jobs = TrialJobs()
    req = check_request("aged_lung_untreated", 2, (("c", "none"),))
    try:
        for _ in range(trial_jobs.MAX_RUNNING):
            jobs.start(req)
        with pytest.raises(ValidationError, match="already running"):
            jobs.start(req)
    finally:
        jobs.shutdown()
    assert jobs.running() == 0


def test_progress_keeps_the_last_count_while_the_manifest_is_being_rewritten(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        TrialRequest,
        "argv",
        lambda self, out: [trial_jobs.sys.executable, "-c", "import time; time.sleep(60)"],
    )
    readable = [True]

    def progress(out: Path) -> CohortProgress:
        if not readable[0]:
            raise ValidationError("manifest caught between two writes")
        return CohortProgress(planned=4, done=3, status="running")

    monkeypatch.setattr(trial_jobs, "cohort_progress", progress)
    jobs = TrialJobs()
    req = check_request("aged_lung_untreated", 2, (("c", "none"),))
    try:
        job_id = jobs.start(req)
        out = jobs._job(job_id).out
        out.mkdir(parents=True, exist_ok=True)
        (out / "manifest.json").write_text("{}")
        assert jobs.status(job_id).done == 3
        readable[0] = False
        assert jobs.status(job_id).done == 3  # not back to 0 for one poll
    finally:
        jobs.shutdown()


def _rows() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    recs = []
    for arm in ("control", "treated"):
        for p in range(12):
            change = float(rng.uniform(-60, 40)) - (20 if arm == "treated" else 0)
            resp = "PR" if change <= -30 else "PD" if change >= 20 else "SD"
            recs.append(
                {
                    "patient": p,
                    "arm": arm,
                    "status": "success",
                    "best_response": resp,
                    "best_change_pct": change,
                    "pfs_days": float(rng.uniform(20, 300)),
                    "pfs_event": bool(rng.random() < 0.7),
                    "os_days": 365.0,
                    "os_event": False,
                }
            )
    return pd.DataFrame(recs)


def test_km_waterfall_and_table_cover_every_arm() -> None:
    rows = _rows()
    km = km_figure(rows)
    assert {t.name for t in km.data if t.showlegend} == {"control (n=12)", "treated (n=12)"}
    assert km.layout.yaxis.title.text == "fraction event-free"
    wf = waterfall_figure(rows)
    assert sum(len(t.y) for t in wf.data) == len(rows)
    assert wf.layout.yaxis.title.text == "best change of longest diameter (%)"
    table = summary_rows(rows)
    assert [r[0] for r in table] == ["control", "treated"]
    assert all(len(r) == len(SUMMARY_HEAD) for r in table)
    hr = SUMMARY_HEAD.index("HR PFS vs first arm (95% CI)")
    assert table[0][hr] == "reference" and table[1][hr] != "reference"
    cr = SUMMARY_HEAD.index("CR, % (95% CI)")
    assert all(r[cr].endswith(")") for r in table)  # the complete responses with their CI


def test_only_the_first_arm_is_the_reference_when_an_hr_is_not_estimable() -> None:
    """An arm with no progression has no Cox HR: the page printed it as 'reference' and hid its
    log-rank p, where `cohort summary` prints n/e and the p (audit s43)."""
    rows = _rows()
    rows.loc[rows["arm"] == "control", "pfs_event"] = True
    rows.loc[rows["arm"] == "treated", "pfs_event"] = False
    summary = arm_summary(rows)
    assert math.isnan(summary["hr_pfs"].iloc[1]) and summary["logrank_p_pfs"].iloc[1] < 0.05
    table = summary_rows(rows)
    hr = SUMMARY_HEAD.index("HR PFS vs first arm (95% CI)")
    p = SUMMARY_HEAD.index("log-rank p (PFS)")
    assert [r[hr] for r in table] == ["reference", "not estimable (too few events)"]
    assert table[0][p] == "" and table[1][p] == f"{summary['logrank_p_pfs'].iloc[1]:.2g}"


@pytest.fixture(scope="module")
def tiny_cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from senotwin.analysis.endpoints import EndpointReducer
    from senotwin.cohort.population import population_for
    from senotwin.cohort.runner import CohortConfig, arm_from_text, run_cohort
    from senotwin.model.scenarios import get_scenario

    out = tmp_path_factory.mktemp("cohort") / "c"
    spec = get_scenario("aged_lung_untreated").load()
    config = CohortConfig(
        scenario="aged_lung_untreated",
        n=3,
        arms=(arm_from_text("control=none"),),
        population=population_for(spec, age="aged"),
        t_end=90.0,
    )
    run_cohort(config, out, reducer=EndpointReducer(), workers=1, processes=False)
    return out


def test_downloads_hold_every_patient_arm_row(tiny_cohort: Path) -> None:
    csv = pd.read_csv(io.BytesIO(rows_csv(tiny_cohort)))
    parquet = pd.read_parquet(io.BytesIO(rows_parquet(tiny_cohort)))
    assert len(csv) == len(parquet) == 3
    assert {"arm", "best_response", "pfs_days"} <= set(csv.columns)
    page = report_html(tiny_cohort)
    assert page.startswith("<!") and "Virtual trial" in page and "data:image/png;base64" in page


def test_a_library_trial_fills_the_form_and_runs_with_its_patients_and_rules() -> None:
    from senotwin.app.trial_jobs import library_trials
    from senotwin.app.trial_view import pick_trial

    spec = library_trials()["keynote189"]
    scenario, names, texts, info = pick_trial("keynote189")
    assert scenario == spec.scenario and names[:2] == [a.name for a in spec.arms]
    assert texts[0] == spec.arms[0].regimen and names[2:] == ["", ""]
    assert "follow-up" in json.dumps(info, default=lambda c: c.to_plotly_json())
    arms, errors = parse_trial_arms(names, texts)
    assert not any(errors)
    argv = check_request(scenario, 5, arms, 0, "keynote189").argv(Path("x"))
    assert argv[argv.index("--trial") + 1] == "keynote189"
    assert float(argv[argv.index("--days") + 1]) == spec.rules.follow_days
    with pytest.raises(ValidationError, match="trial 'keynote999' is not in the library"):
        check_request(scenario, 5, arms, 0, "keynote999")
    # a legacy scenario has no trial machinery: every patient failed after launch (audit, s42)
    with pytest.raises(ValidationError, match=r"trial 'keynote189' cannot run on scenario 'leg"):
        check_request("legacy_default", 5, (("c", "none"),), 0, "keynote189")
    assert pick_trial(None)[3] == []


def test_stopping_waits_until_no_process_of_the_group_is_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A killed grandchild can stay listed for a moment after SIGKILL (more so on a loaded
    machine; this made the cancel test flaky): stopping returns only once the group is empty.
    Here the group is reported alive for five more looks after the child is gone."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    looks = {"left": 5}

    def members(pgid: int) -> list[int]:
        if looks["left"] > 0:
            looks["left"] -= 1
            return [pgid + 1]
        return []

    monkeypatch.setattr(trial_jobs, "group_members", members)
    monkeypatch.setattr(trial_jobs, "GRACE_S", 2.0)
    trial_jobs._stop_group(proc)
    assert proc.poll() is not None and trial_jobs.group_members(proc.pid) == []


def test_km_says_when_an_endpoint_has_no_events() -> None:
    rows = _rows()  # OS: every patient censored at day 365
    km = km_figure(rows)
    notes = [a for a in km.layout.annotations if a.text.startswith("no events")]
    assert [n.xref for n in notes] == ["x2 domain"]  # the OS panel only; PFS has events
    rows["pfs_event"] = False
    assert len([a for a in km_figure(rows).layout.annotations if "no events" in a.text]) == 2


def test_waterfall_legend_follows_recist_order() -> None:
    rows = _rows()
    # the first arm has no partial response: PR's trace comes from the second arm, last
    rows.loc[(rows["arm"] == "control") & (rows["best_response"] == "PR"), "best_response"] = "SD"
    wf = waterfall_figure(rows)
    legend = sorted((t.legendrank, t.name) for t in wf.data if t.showlegend)
    assert [name for _, name in legend] == ["PR", "SD", "PD"]


def test_the_blood_table_reads_the_arms_the_dose_rules_watched() -> None:
    """A trial cohort's rows carry the laboratory read and the dose changes: one table row per
    arm whose drug lowers the count, with both grade >= 3 shares; rows without it, none."""
    from senotwin.app.trial_results import BLOOD_HEAD, blood_rows

    rows = pd.DataFrame(
        {
            "arm": ["nab"] * 4 + ["ctl"] * 4,
            "status": ["success"] * 8,
            "anc_grade": [3, 1, 0, 0] + [math.nan] * 4,
            "anc_lab_worsened": [4, 3, 1, 0] + [math.nan] * 4,
            "cycles_delayed": [1, 0, 0, 0] + [0] * 4,
            "doses_held": [0, 1, 0, 0] + [0] * 4,
            "dose_reductions": [0, 0, 0, 0] + [0] * 4,
            "dose_intensity": [0.75, 1.0, 1.0, 1.0] + [math.nan] * 4,
        }
    )
    table = blood_rows(rows)
    assert len(table) == 1 and len(table[0]) == len(BLOOD_HEAD)
    arm, n, lab, nadir, delayed, held, reduced, rdi = table[0]
    assert (arm, n, delayed, held, reduced, rdi) == ("nab", "4", "25.0", "25.0", "0.0", "100")
    assert lab.startswith("50.0 (") and nadir.startswith("25.0 (")
    assert blood_rows(rows.drop(columns=["anc_lab_worsened"])) == []


def test_the_number_boxes_send_what_they_hold() -> None:
    """With min, max and step the browser sent an invalid entry as None: 0, 201 and 2.5
    patients all read 'patients None', and a seed of -3 ran as seed 0 (app pass s53)."""
    from senotwin.app.trial_view import layout

    def find(node: object, ident: str) -> object:
        if getattr(node, "id", None) == ident:
            return node
        children = getattr(node, "children", None)
        for child in children if isinstance(children, list) else [children]:
            if child is not None and not isinstance(child, str):
                hit = find(child, ident)
                if hit is not None:
                    return hit
        return None

    for ident in ("trial-n", "trial-seed"):
        box = find(layout(), ident)
        assert box is not None
        assert getattr(box, "step", None) == "any"
        assert getattr(box, "min", None) is None and getattr(box, "max", None) is None


def test_an_off_label_dose_is_refused_under_its_arm_before_a_job_starts() -> None:
    """It was launched and failed in the progress line, pointing to a CLI flag (app pass s53);
    a library trial's own arms still parse."""
    jobs = TrialJobs()
    try:
        job, disabled, errors, status = start_or_cancel(
            jobs,
            "trial-run",
            "aged_lung_untreated",
            1,
            0,
            ["control", "pembro"],
            ["none", "pembrolizumab 2000 mg iv d0"],
            None,
        )
        assert job is no_update and disabled and "fix the regimen" in status
        assert errors[0] == "" and "outside its labelled or studied human range" in errors[1]
        assert "the web app runs labelled or studied doses only" in errors[1]
        assert "--allow-off-label" not in errors[1]
        assert jobs.running() == 0
    finally:
        jobs.shutdown()
    from senotwin.app.trial_view import pick_trial

    for trial in trial_jobs.library_trials():
        scenario, names, texts, _ = pick_trial(trial)
        assert not any(parse_trial_arms(names, texts, scenario)[1]), trial


def test_the_status_counts_arms_and_patients_in_words() -> None:
    jobs = TrialJobs()
    try:
        _job, _disabled, _errors, status = start_or_cancel(
            jobs, "trial-run", "aged_lung_untreated", 1, 0, ["control"], ["none"], None
        )
        assert status.startswith("started 1 arm x 1 patient on aged_lung_untreated (seed 0)")
    finally:
        jobs.shutdown()
