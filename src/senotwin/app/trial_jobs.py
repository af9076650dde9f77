"""Background virtual cohorts for the Trial page: one ``senotwin cohort run`` child per job.

Each job runs the cohort command (its Dask LocalCluster included) in a process group of its own,
so a page request never waits on it, and a cancel or the server's shutdown stops the whole group:
no Dask worker outlives it. Progress is read from the cohort's manifest and shards on disk.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from senotwin._errors import SenotwinError, ValidationError
from senotwin.cohort.runner import (
    CohortArm,
    arm_from_text,
    check_action_arms,
    check_cohort_scenario,
)
from senotwin.cohort.store import cohort_progress
from senotwin.model.scenarios import scenario_names
from senotwin.therapy.dosing import Body, body_for_scenario
from senotwin.trial.library import trials
from senotwin.trial.spec import TrialSpec

#: most patients one page run may ask for (a 20-patient, 2-arm cohort takes about a minute)
MAX_PATIENTS = 200
#: most arms, the first being the reference
MAX_ARMS = 4
#: cohorts running at once on this server (a third waits for one to end)
MAX_RUNNING = 2
#: Dask workers per cohort
WORKERS = 2
#: seconds a cancelled job gets to close its cluster before its group is killed
GRACE_S = 5.0
_JOB_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class TrialRequest:
    """A checked cohort request: scenario, patients, arms as ``(name, regimen text)``, seed."""

    scenario: str
    n: int
    arms: tuple[tuple[str, str], ...]
    seed: int = 0
    trial: str = ""  # a library trial: its patient selection, RECIST rules and follow-up
    days: float | None = None
    allow_off_label: bool = False

    def argv(self, out: Path) -> list[str]:
        """The ``senotwin cohort run`` command line of this request (no shell involved)."""
        args = [
            sys.executable,
            "-c",
            "from senotwin.cli import main; main()",
            "cohort",
            "run",
            "--out",
            str(out),
            "--scenario",
            self.scenario,
            "--n",
            str(self.n),
            "--seed",
            str(self.seed),
            "--workers",
            str(WORKERS),
            "--quiet",
        ]
        if self.trial:
            args += ["--trial", self.trial]
        if self.days is not None:
            args += ["--days", f"{self.days:g}"]
        if self.allow_off_label:
            args.append("--allow-off-label")
        for name, text in self.arms:
            args += ["--arm", f"{name}={text}"]
        return args


def parse_trial_arms(
    names: Sequence[str | None],
    texts: Sequence[str | None],
    scenario: str | None = None,
    *,
    allow_off_label: bool = False,
) -> tuple[tuple[tuple[str, str], ...], list[str]]:
    """Arms whose regimen box is filled, and one error text per box ('' where it parsed).

    A regimen is ``none``, an action list (``block PDCD1=0.9``) or regimen-language text, read
    by the cohort runner's own parser (caret messages); nothing is evaluated. With a known
    ``scenario`` a regimen is also dosed in its species, and a dose, route or drug outside the
    labelled or studied use is an error under its arm (as on the Therapy page; the page has
    no off-label switch) unless ``allow_off_label`` (a library trial the library marks
    off-label): it was launched and failed in the progress line, pointing to --allow-off-label
    (app pass s53).
    """
    body = None
    if isinstance(scenario, str) and scenario in scenario_names():
        body = body_for_scenario(scenario)
    arms: list[tuple[str, str]] = []
    errors: list[str] = []
    if len(names) != len(texts):  # only a forged request; zip(strict=True) was an HTTP 500
        return (), [f"{len(names)} arm names for {len(texts)} regimen boxes"] * len(texts)
    for i, (name, text) in enumerate(zip(names, texts, strict=True), start=1):
        if not isinstance(name, str | None) or not isinstance(text, str | None):
            errors.append(f"arm {i}: name {name!r} and regimen {text!r} must be text")
            continue
        text = (text or "").strip()
        name = (name or "").strip() or f"arm{i}"
        if not text:
            errors.append("")
            continue
        try:
            # the name first: 'a=b' split as name 'a' and regimen 'b=...', and the error blamed
            # the regimen ("unknown drug 'b=none'"; audit s43)
            CohortArm(name)
            arm = arm_from_text(f"{name}={text}")
            off = _off_label(arm.language, name, body) if body and not allow_off_label else ""
        except SenotwinError as exc:
            errors.append(str(exc))
            continue
        if off:
            errors.append(f"{off} (the web app runs labelled or studied doses only)")
            continue
        if name in {a for a, _ in arms}:
            errors.append(f"arm name {name!r} is used twice; give each arm its own name")
            continue
        arms.append((name, text))
        errors.append("")
    return tuple(arms), errors


def _off_label(language: str | None, name: str, body: Body) -> str:
    """The first off-label item of an arm's regimen-language text dosed in ``body`` ('' for
    none or for an action arm); a route the species is not given raises, naming the arm."""
    if not language:
        return ""
    from senotwin.therapy.language import parse_text

    off = parse_text(language, body=body, source=f"arm {name!r}").off_label()
    return off[0] if off else ""


def library_trials() -> dict[str, TrialSpec]:
    """The trial library by id (KEYNOTE-189 and the others of ``senotwin trial list``)."""
    return {t.id: t for t in trials()}


def check_request(
    scenario: str | None,
    n: object,
    arms: Sequence[tuple[str, str]],
    seed: object = 0,
    trial: str | None = None,
) -> TrialRequest:
    """The request, or a ValidationError naming the field, the value and what is allowed.

    With a library ``trial`` the patients are selected to its baseline, its RECIST rules apply
    and the run lasts its follow-up (the arms stay as given: the trial's, or edited).
    """
    if scenario not in scenario_names():
        raise ValidationError(f"scenario {scenario!r} is unknown; pick one from the list")
    # named as the page labels them; an empty box arrives as None ('patients None must be ...')
    if n is None:
        raise ValidationError(
            f"virtual patients per arm: the box is empty; give a whole number from 1 to "
            f"{MAX_PATIENTS}"
        )
    if isinstance(n, bool) or not isinstance(n, int | float) or not math.isfinite(n) or n != int(n):
        raise ValidationError(
            f"virtual patients per arm: patients {n!r} must be a whole number from 1 to "
            f"{MAX_PATIENTS}"
        )
    if not 1 <= int(n) <= MAX_PATIENTS:
        raise ValidationError(
            f"virtual patients per arm: patients {int(n)} must be from 1 to {MAX_PATIENTS} on "
            "this page"
        )
    if (
        isinstance(seed, bool)
        or not isinstance(seed, int | float)
        or not math.isfinite(seed)
        or seed != int(seed)
        or seed < 0
    ):
        raise ValidationError(
            f"seed of the population {seed!r} must be a whole number >= 0 (empty: 0)"
        )
    if not arms:
        raise ValidationError("no arm: write a regimen (or 'none' for a control arm) in a box")
    if len(arms) > MAX_ARMS:
        raise ValidationError(f"{len(arms)} arms: at most {MAX_ARMS} on this page")
    # refused here, before a job starts: a mouse scenario, an unknown entity to block or a
    # block fraction outside [0, 1] failed after launch, without naming the arm (audit, s41)
    check_cohort_scenario(str(scenario))
    check_action_arms(str(scenario), [arm_from_text(f"{a}={t}") for a, t in arms])
    if not trial:
        return TrialRequest(str(scenario), int(n), tuple(arms), int(seed))
    library = library_trials()
    if not isinstance(trial, str) or trial not in library:
        raise ValidationError(
            f"trial {trial!r} is not in the library; pick one of {sorted(library)}"
        )
    spec = library[trial]
    # a legacy or textbook scenario failed every patient after launch (audit, s42)
    check_cohort_scenario(str(scenario), spec.baseline, trial=spec.id)
    return TrialRequest(
        str(scenario),
        int(n),
        tuple(arms),
        int(seed),
        trial=trial,
        days=float(spec.rules.follow_days),
        allow_off_label=bool(spec.off_label),
    )


@dataclass(frozen=True)
class JobStatus:
    """Where a job stands: state (running, complete, failed, cancelled), patients, a message."""

    state: str
    done: int
    planned: int
    message: str

    @property
    def finished(self) -> bool:
        return self.state != "running"


@dataclass
class _Job:
    request: TrialRequest
    directory: Path
    proc: subprocess.Popen[bytes]
    log: Path
    cancelled: bool = False
    done: int = 0  # patients finished at the last readable manifest

    @property
    def out(self) -> Path:
        return self.directory / "cohort"


class TrialJobs:
    """The server's cohort jobs, each in a temporary folder removed at shutdown."""

    def __init__(self) -> None:
        self._root: Path | None = None
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()

    def _folder(self) -> Path:
        if self._root is None:
            self._root = Path(tempfile.mkdtemp(prefix="senotwin-app-trials-"))
        return self._root

    def running(self) -> int:
        """How many jobs are still running."""
        return sum(1 for j in self._jobs.values() if j.proc.poll() is None)

    def start(self, request: TrialRequest) -> str:
        """Start a cohort in the background; its id (refused while MAX_RUNNING run)."""
        with self._lock:
            if self.running() >= MAX_RUNNING:
                raise ValidationError(
                    f"{MAX_RUNNING} cohorts are already running on this server; wait for one to "
                    "finish or cancel it"
                )
            job_id = uuid.uuid4().hex
            directory = self._folder() / job_id
            directory.mkdir()
            log = directory / "log.txt"
            with log.open("wb") as sink:
                proc = subprocess.Popen(
                    request.argv(directory / "cohort"),
                    stdin=subprocess.DEVNULL,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group: stopped as one
                    env=dict(os.environ, PYTHONUNBUFFERED="1"),
                )
            self._jobs[job_id] = _Job(request, directory, proc, log)
            return job_id

    def _job(self, job_id: str | None) -> _Job:
        if not isinstance(job_id, str) or not _JOB_ID.fullmatch(job_id) or job_id not in self._jobs:
            raise ValidationError(f"no cohort job {job_id!r} on this server (restarted?)")
        return self._jobs[job_id]

    def status(self, job_id: str | None) -> JobStatus:
        """The job's state and progress (from the cohort manifest once it exists)."""
        job = self._job(job_id)
        code = job.proc.poll()
        planned = job.request.n
        if (job.out / "manifest.json").exists():
            try:
                progress = cohort_progress(job.out)
                job.done, planned = progress.done, progress.planned
            except SenotwinError:  # caught between two writes: keep the last known count
                pass
        done = job.done
        if job.cancelled:
            return JobStatus("cancelled", done, planned, "cancelled")
        if code is None:
            what = "starting: model compilation and Dask workers" if done == 0 else "running"
            return JobStatus("running", done, planned, what)
        if code == 0:
            return JobStatus("complete", planned, planned, "complete")
        return JobStatus("failed", done, planned, f"failed: {_last_error(job.log)}")

    def directory(self, job_id: str | None) -> Path:
        """The finished cohort's directory (an error while it runs or after it failed)."""
        job = self._job(job_id)
        state = self.status(job_id).state
        if state == "running":
            raise ValidationError("the cohort has not finished; results come when it completes")
        if state != "complete":  # 'has not finished' misdescribed a failed or cancelled run
            what = "failed" if state == "failed" else "was cancelled"
            raise ValidationError(f"the cohort {what}; it has no results")
        return job.out

    def request(self, job_id: str | None) -> TrialRequest:
        """What the job was asked to run."""
        return self._job(job_id).request

    def cancel(self, job_id: str | None) -> None:
        """Stop the job and every process it started (idempotent)."""
        job = self._job(job_id)
        if job.proc.poll() is None:
            job.cancelled = True
        _stop_group(job.proc)

    def shutdown(self) -> None:
        """Stop every job's process group and remove the jobs' folder (at server exit)."""
        with self._lock:
            for job in self._jobs.values():
                _stop_group(job.proc)
            self._jobs.clear()
            if self._root is not None:
                shutil.rmtree(self._root, ignore_errors=True)
                self._root = None


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the child's process group, SIGKILL what is left after GRACE_S, reap the child,
    and return only once no process of the group is left (bounded by GRACE_S): a killed
    grandchild can stay listed for a moment after the signal, longer on a loaded machine."""
    for sig, wait in ((signal.SIGTERM, GRACE_S), (signal.SIGKILL, None)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:  # the whole group is gone
            break
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        if not _group_alive(proc.pid):
            break
    if proc.poll() is None:
        proc.wait()
    deadline = time.monotonic() + GRACE_S
    while _group_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group is left (zombies waiting to be reaped do not count)."""
    return bool(group_members(pgid))


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group, read from /proc (empty elsewhere)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended while we looked
            continue
        # fields after the command name (in parentheses): state, ppid, pgrp, ...
        fields = text[text.rfind(")") + 2 :].split()
        if len(fields) > 2 and fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(stat.parent.name))
    return members


def _last_error(log: Path) -> str:
    """The cohort command's ``error:`` line (or its last output line) for the page."""
    try:
        lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return "the cohort command failed"
    errors = [ln for ln in lines if ln.startswith("error:")]
    return (errors or lines or ["the cohort command failed"])[-1]
