"""Cohort runner: same results for any worker count, resume after a kill, clear early errors."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from senotwin._errors import ValidationError
from senotwin.analysis.endpoints import EndpointReducer
from senotwin.analysis.survival import arm_summary
from senotwin.cohort.population import qsp_population, tme_population
from senotwin.cohort.runner import (
    CohortConfig,
    arm_from_text,
    chunks_of,
    close_client,
    make_job,
    open_client,
    run_chunk,
    run_cohort,
)
from senotwin.cohort.store import load_rows, load_timecourses, read_manifest, shard_name
from senotwin.model.qsp import TISSUES
from senotwin.sim.engines import EngineOutput, get_engine, register_engine

ARMS = (arm_from_text("control=none"), arm_from_text("ici=block PDCD1=0.9"))


def _config(n: int = 4, **kw) -> CohortConfig:
    base = {
        "scenario": "default",
        "n": n,
        "arms": ARMS,
        "population": qsp_population(),
        "seed": 11,
        "t_end": 45.0,
        "engine": "reference",
    }
    return CohortConfig(**(base | kw))


def _run(cfg: CohortConfig, out: Path, **kw):
    kw.setdefault("workers", 1)
    return run_cohort(cfg, out, reducer=EndpointReducer(), processes=False, **kw)


def test_same_seed_same_summary_for_1_and_2_workers(tmp_path: Path) -> None:
    one = _run(_config(chunk_size=4), tmp_path / "w1", workers=1)
    two = _run(_config(chunk_size=1), tmp_path / "w2", workers=2)
    assert one.n_rows == two.n_rows == 8
    a, b = load_rows(tmp_path / "w1"), load_rows(tmp_path / "w2")
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(arm_summary(a), arm_summary(b))
    assert list(a["patient"]) == [0, 0, 1, 1, 2, 2, 3, 3]
    assert (a["status"] == "success").all()
    # paired arms: both arms of one patient share the parameter draw; patients differ
    pa = a.filter(like="p_").to_numpy()
    assert np.array_equal(pa[0], pa[1]) and not np.array_equal(pa[0], pa[2])
    # a different seed gives different patients
    other = _run(_config(seed=12, chunk_size=4), tmp_path / "s12")
    assert not load_rows(other.out)["p_k_grow"].equals(a["p_k_grow"])


def test_resume_from_partial_shards_and_stale_manifest(tmp_path: Path) -> None:
    cfg = _config(n=5, chunk_size=2)
    full = tmp_path / "full"
    _run(cfg, full)
    part = tmp_path / "part"
    shutil.copytree(full, part)
    plan = chunks_of(5, 2)
    (part / "shards" / shard_name(*plan[1])).unlink()
    (part / "shards" / shard_name(*plan[2])).unlink()
    manifest = read_manifest(part)
    manifest["done"] = []  # stale: killed before the manifest caught up with shard 0
    manifest["status"] = "running"
    (part / "manifest.json").write_text(json.dumps(manifest))
    (part / "shards" / ".chunk-0000002-0000004.parquet.x.tmp").write_bytes(b"half")
    with pytest.raises(ValidationError, match="--resume"):
        _run(cfg, part)
    res = _run(cfg, part, resume=True)
    assert res.chunks_reused == 1 and res.chunks_run == 2
    rows = load_rows(part)
    assert rows.groupby("arm").size().to_dict() == {"control": 5, "ici": 5}
    pd.testing.assert_frame_equal(rows, load_rows(full))
    # the cheap read run_cohort closes with: the same rows, three columns
    pd.testing.assert_frame_equal(
        load_rows(part, columns=("status",)), rows[["patient", "arm", "status"]]
    )
    assert not list((part / "shards").glob(".*.tmp"))
    assert read_manifest(part)["status"] == "complete"
    with pytest.raises(ValidationError, match=r"different cohort \(seed 11 -> 3\)"):
        _run(_config(n=5, chunk_size=2, seed=3), part, resume=True)
    # a setting the stored run did not have reads 'not set', not None
    with pytest.raises(ValidationError, match=r"\(pk_spread \(not set\) -> True\)"):
        _run(_config(n=5, chunk_size=2, pk_spread=True), part, resume=True)


# The killed run reduces each patient-arm slowly (same reducer identity, so --resume accepts its
# shards): >= 1 s per one-patient chunk, so it cannot finish between two polls of the test.
_KILL_SCRIPT = """
import sys
import time
from senotwin.analysis.endpoints import EndpointReducer
from senotwin.cohort.runner import CohortConfig, arm_from_text, run_cohort
from senotwin.cohort.population import qsp_population
class SlowReducer(EndpointReducer):
    def __call__(self, result):
        time.sleep(0.5)
        return super().__call__(result)
arms = (arm_from_text("control=none"), arm_from_text("ici=block PDCD1=0.9"))
cfg = CohortConfig("default", {n}, arms, qsp_population(), seed=11, t_end=45.0,
                   engine="reference", chunk_size=1)
run_cohort(cfg, sys.argv[1], reducer=SlowReducer(), workers=1, processes=False)
"""


def test_resume_after_sigkill(tmp_path: Path) -> None:
    n = 6  # killed after 2 of 6 one-patient chunks; the resumed run does the other 4
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILL_SCRIPT.format(n=n), str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if len(list((out / "shards").glob("chunk-*.parquet"))) >= 2:
                break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    shards = list((out / "shards").glob("chunk-*.parquet"))
    assert 1 <= len(shards) < n  # killed part-way: some shards written, not all
    cfg = CohortConfig(
        "default",
        n,
        ARMS,
        qsp_population(),
        seed=11,
        t_end=45.0,
        engine="reference",
        chunk_size=1,
    )
    res = _run(cfg, out, resume=True)
    rows = load_rows(out)
    assert res.chunks_reused >= 1
    assert rows.groupby("arm").size().to_dict() == {"control": n, "ici": n}
    assert not rows.duplicated(["patient", "arm"]).any()
    assert sorted(rows["patient"].unique()) == list(range(n))


def test_bad_scheduler_and_unwritable_output_fail_before_work(tmp_path: Path) -> None:
    cfg = _config(n=2)
    with pytest.raises(ValidationError, match="not a Dask scheduler address"):
        run_cohort(cfg, tmp_path / "a", reducer=EndpointReducer(), scheduler="localhost:8786")
    assert not (tmp_path / "a").exists()
    # the runner connects with a 5 s timeout: no wall-clock assertion needed to rule out a hang
    with pytest.raises(ValidationError, match="cannot reach the Dask scheduler"):
        run_cohort(cfg, tmp_path / "b", reducer=EndpointReducer(), scheduler="tcp://127.0.0.1:9")
    assert not (tmp_path / "b").exists()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ValidationError, match=r"output folder \(--out\) .* cannot be created"):
        _run(cfg, blocker / "out")
    with pytest.raises(ValidationError, match="unknown entity"):
        _run(_config(arms=(arm_from_text("x=block NOPE=0.5"),)), tmp_path / "c")
    with pytest.raises(ValidationError, match="workers"):
        _run(cfg, tmp_path / "d", workers=0)


#: the lung proliferation rate: about half the sampled patients grow faster (the flaky engine
#: fails them)
FLAKY_K_GROW = TISSUES["lung"].k_grow


def _flaky(run):
    """Reference engine that fails for fast-growing tumours (to test failures as data)."""
    out = get_engine("reference")(run)
    i = run.flat.parameters.index("k_grow")
    if run.p[i] > FLAKY_K_GROW:
        return EngineOutput(out.times[:1], out.values[:1], "failed", "flaky", out.stats, "x")
    return out


def test_failed_integrations_are_recorded_not_fatal(tmp_path: Path) -> None:
    register_engine("test_flaky", _flaky, reference="test double", replace=True)
    cfg = _config(n=6, population=qsp_population().__class__(qsp_population().priors, (), None))
    cfg = CohortConfig(**(cfg.__dict__ | {"engine": "test_flaky"}))
    res = _run(cfg, tmp_path / "flaky")
    rows = load_rows(tmp_path / "flaky")
    failed = rows["p_k_grow"] > FLAKY_K_GROW
    assert failed.any() and (~failed).any()
    assert (rows.loc[failed, "status"] == "failed").all()
    assert rows.loc[failed, "best_response"].eq("NE").all()
    assert res.n_failed == int(failed.sum()) and res.n_implausible == 0
    assert res.failures() == (
        f"{res.n_failed} failed patient-arms (0 without a plausible patient draw, "
        f"{res.n_failed} failed to integrate)"
    )
    s = arm_summary(rows).set_index("arm")
    assert s.loc["control", "n_failed"] == int(failed[rows["arm"] == "control"].sum())


def test_patients_without_a_plausible_draw_are_counted_apart_from_integration_failures(
    tmp_path: Path,
) -> None:
    """A patient with no plausible draw in ``max_tries`` is a row per arm with status
    'implausible' (KEYNOTE-189 n 200 seed 0 --immune fit: patient 42, an immune-controlled
    23-mm lesion that never doubles, was reported as 2 'failed' patient-arms); the run counts
    it among the failed patient-arms and says it is no integration failure."""
    pop = qsp_population()
    never = replace(
        pop.plausibility, doubling_days=(1.0, 1.5), max_tries=2
    )  # no lesion doubles so fast
    cfg = _config(n=2, engine="fast", population=replace(pop, plausibility=never))
    res = _run(cfg, tmp_path / "never")
    rows = load_rows(tmp_path / "never")
    assert rows["status"].eq("implausible").all() and len(rows) == 4
    assert res.n_failed == res.n_implausible == 4
    assert res.failures() == (
        "4 failed patient-arms (4 without a plausible patient draw, 0 failed to integrate)"
    )


@pytest.mark.parametrize("left", [(), ("shards",)], ids=["empty", "killed-before-manifest"])
def test_resume_refuses_a_folder_with_no_run(tmp_path: Path, left: tuple[str, ...]) -> None:
    """resume=True on a folder with no manifest (nothing, or the empty shards folder a run killed
    before its manifest leaves) started a fresh run without a word (audit s48)."""
    out = tmp_path / "o"
    out.mkdir()
    for name in left:
        (out / name).mkdir()
    with pytest.raises(ValidationError) as err:
        _run(_config(n=2), out, resume=True)
    assert str(err.value) == (
        f"nothing to resume: output folder (--out) {out} holds no run manifest (manifest.json); "
        "drop --resume (in Python: resume=False) to start a run"
    )
    assert sorted(p.name for p in out.iterdir()) == list(left), "nothing is written"


def test_resume_refuses_a_run_of_another_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run resumed after its model changed (a drug's record or a parameter changed between
    versions, the options the same) joined shards of two models: the cohort's identity now
    holds the model's, and a run recorded without one (an older version) cannot be checked."""
    import json

    import senotwin.cohort.runner as runner

    out = tmp_path / "o"
    cfg = _config(n=2, engine="fast", chunk_size=1)
    _run(cfg, out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["model"] == runner.model_identity(runner.make_job(cfg, EndpointReducer()))
    _run(cfg, out, resume=True)  # the same model: resumed (nothing left to do)
    monkeypatch.setattr(runner, "model_identity", lambda job: "another")
    with pytest.raises(ValidationError, match="holds a different cohort") as err:
        _run(cfg, out, resume=True)
    assert "another model: its drugs, parameters or equations changed" in str(err.value)
    assert "then and now: a change between releases" in str(err.value)  # the same version
    assert "endpoint reader" not in str(err.value)
    del manifest["model"]  # as an older version wrote it
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ValidationError, match="the run recorded no model identity"):
        _run(cfg, out, resume=True)


def test_timecourses_kept_on_request(tmp_path: Path) -> None:
    cfg = _config(n=2, keep_timecourses=("diameter",))
    _run(cfg, tmp_path / "tc")
    # without the request no (empty) timecourses folder is made (audit s42, L2); a resume and
    # the summary do not need it
    _run(_config(n=2), tmp_path / "none")
    assert not (tmp_path / "none" / "timecourses").exists()
    assert load_timecourses(tmp_path / "none").empty
    assert _run(_config(n=2), tmp_path / "none", resume=True).chunks_reused >= 1
    assert len(load_rows(tmp_path / "none")) == 4
    tc = load_timecourses(tmp_path / "tc", patients=[1])
    assert set(tc["patient"]) == {1} and set(tc["arm"]) == {"control", "ici"}
    assert tc["time"].max() == 45.0
    with pytest.raises(ValidationError, match="keep_timecourses"):
        _run(_config(keep_timecourses=("nope",)), tmp_path / "bad")


def test_manifest_records_a_regimen_language_arm_by_its_text() -> None:
    """A language arm's schedule is compiled from its text when the job is made; the manifest
    recorded "regimen": "Schedule(doses=(), ...)" for it, which read as an empty regimen
    (audit s42, L1)."""
    chemo = arm_from_text("chemo=doxorubicin 2 mg/kg iv d0,d7").describe()
    assert chemo["regimen"] is None and chemo["language"] == "doxorubicin 2 mg/kg iv d0,d7"
    dosed = arm_from_text("d=dose stress=1@0").describe()
    assert "Dose(time=0.0" in str(dosed["regimen"]) and dosed["language"] == ""


def test_arm_text() -> None:
    arm = arm_from_text("seno=step k_senolytic=0.5@14; step k_senolytic=0@28; block NFKB=0.5")
    assert arm.name == "seno" and dict(arm.blocks) == {"NFKB": 0.5}
    assert [(s.time, s.value) for s in arm.regimen.steps] == [(14.0, 0.5), (28.0, 0.0)]
    assert arm_from_text("c=none").regimen.steps == ()
    with pytest.raises(ValidationError, match="NAME=REGIMEN"):
        arm_from_text("noequals")
    with pytest.raises(ValidationError, match="needs a day"):
        arm_from_text("x=step k_senolytic=0.5")
    with pytest.raises(ValidationError, match=r"\(a number\), found 'lots'"):
        arm_from_text("x=block PDCD1=lots")
    with pytest.raises(ValidationError, match=r"must be a number >= 0, found '-1@0'"):
        arm_from_text("x=dose stress=-1@0")  # negative doses were accepted before
    with pytest.raises(ValidationError, match="unknown action 'blok'; did you mean 'block'"):
        arm_from_text("x=blok PDCD1=0.5; step k_senolytic=0.5@14")
    with pytest.raises(ValidationError, match="unknown action 'blok'; did you mean 'block'"):
        arm_from_text("x=blok PDCD1=0.5")  # alone it read as an unknown drug, with no hint
    with pytest.raises(ValidationError, match="holds for the whole run"):
        arm_from_text("x=block PDCD1=0.5@3")


def test_trial_reducer_gets_the_patient_baseline(tmp_path: Path) -> None:
    from dataclasses import replace

    from senotwin.analysis.endpoints import TrialEndpointReducer, TrialRules
    from senotwin.cohort.baseline import BaselineDisease
    from senotwin.cohort.population import select_population

    rules = TrialRules(schedule=((1e9, 14.0),), follow_days=45.0)
    with pytest.raises(ValidationError, match="trial patients"):
        run_cohort(
            _config(n=1),
            tmp_path / "x",
            reducer=TrialEndpointReducer(rules),
            processes=False,
            workers=1,
        )
    pop = select_population(
        replace(qsp_population(), baseline=BaselineDisease(sld_median_mm=60.0)), 2, seed=11
    )
    cfg = _config(n=2, population=pop, arms=ARMS[:1])
    run_cohort(cfg, tmp_path / "t", reducer=TrialEndpointReducer(rules), processes=False, workers=1)
    rows = load_rows(tmp_path / "t")
    assert (rows["status"] == "success").all()
    assert rows["baseline_mm"].to_numpy() == pytest.approx(rows["b_sld_mm"].to_numpy())
    assert read_manifest(tmp_path / "t")["config"]["population"]["selected"] == list(pop.selected)


class _TableOnly:
    """EndpointReducer without from_columns: the runner must take the general simulate() path."""

    def __init__(self) -> None:
        self.inner = EndpointReducer()

    def __call__(self, result):
        return self.inner(result)

    def empty(self):
        return self.inner.empty()

    def describe(self) -> str:
        return self.inner.describe()


def test_fast_path_rows_equal_the_general_path() -> None:
    arms = (
        *ARMS,
        arm_from_text("busy=set k_grow=0.02; step block_PDCD1=0.5@20; dose T8=1e6@10"),
    )
    cfg = _config(n=3, arms=arms, engine="fast", t_end=60.0, keep_timecourses=("diameter", "T8"))
    lean = make_job(cfg, EndpointReducer())
    general = make_job(cfg, _TableOnly())
    rows, courses = run_chunk(lean, 0, 3)
    rows_g, courses_g = run_chunk(general, 0, 3)
    pd.testing.assert_frame_equal(rows, rows_g)
    pd.testing.assert_frame_equal(courses, courses_g)
    assert (rows["status"] == "success").all() and len(rows) == 9
    assert rows.loc[rows["arm"] == "busy", "p_k_grow"].notna().all()


def test_fast_path_applies_trial_patients_initial_lesions() -> None:
    from dataclasses import replace

    from senotwin.cohort.baseline import BaselineDisease
    from senotwin.cohort.population import select_population

    pop = select_population(
        replace(qsp_population(), baseline=BaselineDisease(sld_median_mm=60.0)), 2, seed=11
    )
    cfg = _config(n=2, population=pop, engine="fast", t_end=45.0)
    rows, _ = run_chunk(make_job(cfg, EndpointReducer()), 0, 2)
    rows_g, _ = run_chunk(make_job(cfg, _TableOnly()), 0, 2)
    pd.testing.assert_frame_equal(rows, rows_g)
    assert (rows["status"] == "success").all()


def test_fast_engine_same_rows_for_1_and_2_workers(tmp_path: Path) -> None:
    one = _run(_config(n=4, engine="fast", chunk_size=4), tmp_path / "w1", workers=1)
    two = _run(_config(n=4, engine="fast", chunk_size=1), tmp_path / "w2", workers=2)
    assert one.n_rows == two.n_rows == 8
    pd.testing.assert_frame_equal(load_rows(one.out), load_rows(two.out))


def test_process_workers_write_the_same_shards_without_the_nannys_malloc_trim(
    tmp_path: Path,
) -> None:
    """Process workers (the CLI's) write the shards of thread workers byte for byte, and run
    without the nanny's MALLOC_TRIM_THRESHOLD_ (it makes every run's output array a fresh mmap:
    ~10 % more CPU per patient-arm than the same integration in-process)."""
    if "MALLOC_TRIM_THRESHOLD_" in os.environ:
        pytest.skip("MALLOC_TRIM_THRESHOLD_ is set in this environment; workers inherit it")
    cfg = _config(n=4, engine="fast", chunk_size=2)
    _run(cfg, tmp_path / "threads", workers=1)
    client, cluster = open_client(None, 1, True)
    try:
        assert set(client.run(os.environ.get, "MALLOC_TRIM_THRESHOLD_").values()) == {None}
        run_cohort(
            cfg, tmp_path / "procs", reducer=EndpointReducer(), scheduler=cluster.scheduler_address
        )
    finally:
        client.close()
        cluster.close()
    for s, e in chunks_of(4, 2):
        name = shard_name(s, e)
        threads = (tmp_path / "threads" / "shards" / name).read_bytes()
        assert (tmp_path / "procs" / "shards" / name).read_bytes() == threads


def test_fast_path_records_failed_integrations(tmp_path: Path, monkeypatch) -> None:
    import senotwin.sim.fast as fast

    monkeypatch.setattr(fast, "MAX_STEPS", 3)  # every run needs more steps than that
    pop = qsp_population()
    cfg = _config(n=2, engine="fast", population=pop.__class__(pop.priors, (), None))
    res = _run(cfg, tmp_path / "fail")
    rows = load_rows(tmp_path / "fail")
    assert res.n_failed == len(rows) == 4
    assert rows["status"].eq("failed").all() and rows["best_response"].eq("NE").all()
    assert rows["message"].str.contains("excess work").all()


def test_the_default_reducer_takes_the_models_lethal_burden() -> None:
    """EndpointReducer() killed patients of the default model at the legacy model's 3e10 cells
    while `cohort run` used the model's 1e12 (audit s42 api2 H1): make_job binds it to the
    scenario's model and the bound rules are what the manifest records."""
    from senotwin.analysis.endpoints import EndpointRules
    from senotwin.model.readouts import LEGACY, QSP

    job = make_job(_config(n=1), EndpointReducer())
    assert job.reducer.rules.lethal_burden == QSP.lethal_burden == 1000.0
    legacy = _config(n=1, scenario="legacy_default", population=tme_population())
    assert make_job(legacy, EndpointReducer()).reducer.rules.lethal_burden == LEGACY.lethal_burden
    given = EndpointReducer(EndpointRules(lethal_burden=50.0))  # a given number is kept
    assert make_job(_config(n=1), given).reducer.rules.lethal_burden == 50.0


def test_closing_the_cluster_holds_back_dask_info_records() -> None:
    """The client and its cluster close with the distributed logger at ERROR (restored after):
    an in-process worker logged 'Batched Comm Closed' with a CommClosedError traceback on
    stderr after a successful run (audit s42 L8)."""
    import logging

    log = logging.getLogger("distributed")
    before = log.level
    seen: list[int] = []

    class Closing:
        def close(self) -> None:
            seen.append(log.getEffectiveLevel())

    close_client(Closing(), Closing())
    assert seen == [logging.ERROR, logging.ERROR] and log.level == before


def test_an_in_process_run_ends_quietly(tmp_path: Path, capfd: pytest.CaptureFixture) -> None:
    """README's run_trial(..., processes=False) runs on two in-process workers: a successful run
    writes no Dask traceback (it did in about one run in five, audit s42 L8)."""
    for k in range(3):
        _run(_config(n=2), tmp_path / f"c{k}", workers=2)
    err = capfd.readouterr().err
    assert "CommClosedError" not in err and "Traceback" not in err, err


def test_a_cold_structure_is_compiled_once_before_the_shards(tmp_path: Path, monkeypatch) -> None:
    """Every worker used to compile the same structure at once on a cold cache (CPU and memory
    times the workers); one worker now compiles it first and the others load it."""
    from senotwin.cohort import runner

    monkeypatch.setenv("SENOTWIN_CACHE_DIR", str(tmp_path / "cache"))
    fast = make_job(_config(engine="fast"), EndpointReducer())
    assert runner._cold_structure(fast)  # an empty cache
    assert not runner._cold_structure(make_job(_config(), EndpointReducer()))  # reference
    log = tmp_path / "compiled.txt"  # the task runs on a copy of the function (Dask pickles it)
    monkeypatch.setattr(runner, "_cold_structure", lambda job: True)

    def record(job) -> bool:
        with log.open("a") as fh:
            fh.write(job.spec.id + "\n")
        return True

    monkeypatch.setattr(runner, "_compile_task", record)
    _run(_config(), tmp_path / "two", workers=2)
    assert len(log.read_text().splitlines()) == 1
    _run(_config(), tmp_path / "one", workers=1)  # a single worker compiles as it runs
    assert len(log.read_text().splitlines()) == 1


def test_an_arms_schedule_notes_are_warned_and_kept_in_the_manifest(tmp_path: Path) -> None:
    """Compiling a cohort's arms kept only their doses, so an arm on an off-label schedule ran
    with no note anywhere (session 45); its notes are now warned and recorded."""
    from senotwin._errors import SenotwinWarning

    arms = (
        arm_from_text("labelled=doxorubicin 60 mg/m2 iv d0"),
        arm_from_text("weekly=doxorubicin 74 mg/m2 iv d0,d7"),
    )
    cfg = _config(n=2, arms=arms, t_end=14.0)
    with pytest.warns(SenotwinWarning, match="arm weekly: off-label schedule: doxorubicin"):
        job = make_job(cfg, EndpointReducer())
    assert len(job.notes) == 1 and job.notes[0].startswith("arm weekly: off-label schedule")
    with pytest.warns(SenotwinWarning):
        run = _run(cfg, tmp_path / "c")
    assert run.manifest["notes"] == list(job.notes)
    assert read_manifest(tmp_path / "c")["notes"] == list(job.notes)


def test_fast_path_starts_a_patients_own_blood_count_chain_as_the_general_path() -> None:
    """A patient's anc_base moves the chain's initial amounts (initial expressions) on the
    prepared path exactly as simulate() does; an amount the patient gives still wins."""
    from senotwin.cohort.population import VirtualPatient
    from senotwin.cohort.runner import _arm_plans, _fast_arm, _simulate_arm

    cfg = _config(n=1, arms=(arm_from_text("nab=nab-paclitaxel 125 mg/m2 iv d20"),))
    job = make_job(replace(cfg, engine="fast", t_end=30.0), EndpointReducer())
    plans = _arm_plans(job)
    assert plans is not None
    (plan,) = plans
    arm = job.config.arms[0]
    own = VirtualPatient(0, {**job.params, "anc_base": 2500.0}, 1, True, 100.0, "plausible")
    for patient, start in ((own, 2500.0), (replace(own, initial={"anc": 3000.0}), 3000.0)):
        out = _fast_arm(plan, patient)
        assert out is not None and out.status == "success"
        table = _simulate_arm(job, patient, arm).table
        for col in ("anc", "anc_t3", "tox_anc"):
            np.testing.assert_array_equal(out.values[:, plan.column_index[col]], table[col])
        assert (table["anc"].iloc[0], table["anc_t3"].iloc[0]) == (start, 2500.0)
        if patient is own:  # at its own steady state until the dose
            before = out.values[out.times < 20, plan.column_index["tox_anc"]]
            np.testing.assert_allclose(before, 2500.0, rtol=1e-9)


def test_patients_draw_their_own_clearance_only_when_asked(tmp_path: Path) -> None:
    """With pk_spread each patient carries their own elimination rate of every drug with a
    cited clearance spread (the same in every arm and worker count), and their exposure
    differs; without it every patient has the typical PK, as before."""
    from senotwin.cohort.runner import _draw_range
    from senotwin.therapy.pkpd import patient_clearance

    arms = (
        arm_from_text("ctl=none"),
        arm_from_text("nab=nab-paclitaxel 125 mg/m2 iv d5; carboplatin 400 mg/m2 iv d5"),
    )
    cfg = _config(n=3, arms=arms, engine="fast", t_end=20.0)
    typical = make_job(cfg, EndpointReducer())
    spread = make_job(replace(cfg, pk_spread=True), EndpointReducer())
    k = "pk_nab_paclitaxel_k10"
    base = typical.spec.parameter(k).value
    plain = _draw_range(typical, 0, 3)
    own = _draw_range(spread, 0, 3)
    assert all(k not in vp.params for vp in plain)
    values = [vp.params[k] for vp in own]
    assert len(set(values)) == 3 and all(0.3 * base < v < 3 * base for v in values)
    assert all(vp.params[k] == patient_clearance(spread.spec, 11, vp.index)[k] for vp in own)
    # carboplatin is dosed to a target AUC in trials: no spread is drawn for it
    assert all("pk_carboplatin_k10" not in vp.params for vp in own)
    # the neutropenia driver PK's elimination capacity moves with the same clearance factor
    vmel = "txpk_nab_paclitaxel_vmel"
    vmel_base = typical.spec.parameter(vmel).value
    for vp in own:
        assert vp.params[vmel] / vmel_base == pytest.approx(vp.params[k] / base)
    # and its volumes and transport take Chen's own spreads, each from a stream of its own
    driver = ("txpk_nab_paclitaxel_v1", "txpk_nab_paclitaxel_v2", "txpk_nab_paclitaxel_vmtr")
    for pid in driver:
        drawn = [vp.params[pid] / typical.spec.parameter(pid).value for vp in own]
        assert len(set(drawn)) == 3 and all(0.2 < f < 5 for f in drawn)
    assert len({own[0].params[pid] / typical.spec.parameter(pid).value for pid in driver}) == 3
    # the other draws are unchanged: the clearance comes from streams of its own
    for a, b in zip(plain, own, strict=True):
        assert {n: v for n, v in b.params.items() if n not in (k, vmel, *driver)} == dict(a.params)
    assert replace(cfg, pk_spread=True).describe()["pk_spread"] is True
    assert "pk_spread" not in cfg.describe()
    # blood_spread: each patient's own marrow (no age in a plain cohort: no age factor)
    marrow = _draw_range(make_job(replace(cfg, blood_spread=True), EndpointReducer()), 0, 3)
    bases = [vp.params["anc_base"] for vp in marrow]
    assert len(set(bases)) == 3 and all("anc_base" not in vp.params for vp in plain)
    assert replace(cfg, blood_spread=True).describe()["blood_spread"] is True
    one = _run(replace(cfg, pk_spread=True, chunk_size=3), tmp_path / "w1", workers=1)
    two = _run(replace(cfg, pk_spread=True, chunk_size=1), tmp_path / "w2", workers=2)
    assert one.n_rows == two.n_rows == 6
    pd.testing.assert_frame_equal(load_rows(tmp_path / "w1"), load_rows(tmp_path / "w2"))


def test_dose_rules_change_each_patients_doses_on_their_own_counts(tmp_path: Path) -> None:
    """With dose_rules every patient-arm re-runs with the doses the rules let by: a threshold
    above every patient's baseline ANC delays the first cycle three weeks, then stops the drug
    (the run carries no dose: no neutropenia); rows say so, and a run without rules has none
    of these columns. An arm without a watched drug reads no change."""
    from senotwin.therapy.dose_rules import DoseRules

    arms = (
        arm_from_text("ctl=none"),
        arm_from_text("nab=nab-paclitaxel 100 mg/m2 iv q7d d0-d14"),
    )
    cfg = _config(n=2, arms=arms, engine="fast", t_end=40.0)
    strict = DoseRules(cycle_hold_below=9.0)
    _run(replace(cfg, dose_rules=strict), tmp_path / "ruled")
    rows = load_rows(tmp_path / "ruled").set_index(["patient", "arm"])
    nab = rows.xs("nab", level="arm")
    assert (nab["cycles_delayed"] == 3).all() and nab["dose_stopped"].all()
    assert (nab["dose_intensity"] == 0.0).all()
    assert nab["dose_changes"].str.contains("nab-paclitaxel stopped").all()
    ctl = rows.xs("ctl", level="arm")
    assert (ctl["cycles_delayed"] == 0).all() and ctl["dose_intensity"].isna().all()
    # the default rules leave these patients' doses as planned (baseline ANC above 1.5)
    _run(replace(cfg, dose_rules=DoseRules()), tmp_path / "default")
    plain = load_rows(tmp_path / "default")
    assert (plain.loc[plain["arm"] == "nab", "dose_intensity"] == 1.0).all()
    _run(cfg, tmp_path / "none")
    assert "dose_intensity" not in load_rows(tmp_path / "none").columns
    assert replace(cfg, dose_rules=strict).describe()["dose_rules"]["cycle_hold_below"] == 9.0
    with pytest.raises(TypeError, match="dose_rules must be DoseRules or None, got str"):
        replace(cfg, dose_rules="on")


def test_a_folder_with_other_files_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    """A run wrote manifest.json, shards/ and its tables beside a user's files (audit, session
    48; petab export refuses such a folder): refused before anything is written; an empty
    folder, or the empty shards/ of a run killed before its manifest, is used."""
    cfg = _config(n=2)
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    with pytest.raises(ValidationError, match=r"already holds other files \(notes.txt\)"):
        _run(cfg, mine)
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    killed = tmp_path / "killed"
    (killed / "shards").mkdir(parents=True)
    _run(cfg, killed)
    assert (killed / "manifest.json").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    _run(cfg, empty)
    assert (empty / "manifest.json").exists()


def test_a_resume_with_other_drugs_does_not_blame_the_library(tmp_path: Path) -> None:
    """Other arms compile another therapy model; the refusal names the arms, not 'drugs,
    parameters or equations changed since the run began' (nothing in the library changed)."""
    out = tmp_path / "o"
    _run(_config(n=2, engine="fast", t_end=15.0), out)
    other = (*ARMS, arm_from_text("chemo=doxorubicin 2 mg/kg iv d0"))
    with pytest.raises(ValidationError, match="holds a different cohort") as err:
        _run(_config(n=2, engine="fast", t_end=15.0, arms=other), out, resume=True)
    assert "arms differ" in str(err.value)
    assert "changed since the run began" not in str(err.value), str(err.value)


def test_a_finished_cohort_in_out_is_not_called_one_to_finish(tmp_path: Path) -> None:
    """A new run into a folder holding a finished cohort is refused as such (the message said
    'pass --resume to finish it', which for other options then refuses again)."""
    out = tmp_path / "o"
    _run(_config(n=2, engine="fast", t_end=15.0), out)
    with pytest.raises(ValidationError, match="already holds a finished cohort") as err:
        _run(_config(n=3, engine="fast", t_end=15.0), out)
    assert "to finish it" not in str(err.value)
