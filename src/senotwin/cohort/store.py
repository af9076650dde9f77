"""A cohort's output folder: its manifest, Parquet shards and time courses, read and checked.

A run writes ``manifest.json`` (its options, plan and progress) and one Parquet shard per
finished chunk under ``shards/`` (per-patient time courses under ``timecourses/``); these
functions prepare and check the folder before a run (nothing is written into a folder that
holds other files, and ``--resume`` needs a manifest), and read a run back (``load_rows``,
``load_timecourses``, ``cohort_progress``) without the runner or Dask.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from senotwin._errors import ValidationError, check_type
from senotwin._io import atomic_write_bytes, check_input_dir, check_not_mixed

MANIFEST = "manifest.json"
#: what a cohort folder and a column list may be, for a wrong type's message
COHORT_DIR = "the path of a cohort directory (str or Path)"
COLUMNS = "a tuple of column names"


def shard_name(start: int, stop: int) -> str:
    """File name of the shard of patients [start, stop)."""
    return f"chunk-{start:07d}-{stop:07d}.parquet"


def prepare_output(out: Path, *, resume: bool) -> dict[str, Any] | None:
    """Create/check the output directory before any work; returns an existing manifest. A
    folder holding other files and no cohort manifest is refused before anything is written
    into it, so a run's files are never mixed with a user's (as ``petab export`` refuses one)."""
    check_resumable(out, resume=resume)
    check_not_mixed(
        out,
        own=(out / MANIFEST).exists(),
        marker=f"cohort manifest ({MANIFEST})",
        allowed="name a new or empty folder (or an interrupted run's own, with --resume)",
        skip=empty_run_folder,
    )
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "shards").mkdir(exist_ok=True)
        probe = out / ".write-probe"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        raise ValidationError(
            f"output folder (--out) {out} cannot be created or written: {exc.strerror or exc}"
        ) from None
    path = out / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValidationError(f"{path}: unreadable cohort manifest ({exc})") from None
    if not resume and manifest.get("status") == "complete":
        raise ValidationError(
            f"{out} already holds a finished cohort (manifest.json); choose another output "
            "folder (--resume, in Python resume=True, with the same options re-reads it)"
        )
    if not resume:
        raise ValidationError(
            f"{out} already holds a cohort (manifest.json); pass --resume (in Python: "
            "resume=True) to finish it, or choose another output folder"
        )
    return manifest


def clear_run(out: Path) -> None:
    """Remove a run's own files from ``out`` (manifest, shards, time courses and their folders),
    for a caller that owns the folder and rebuilds a run of another cohort there."""
    for sub in ("shards", "timecourses"):
        folder = out / sub
        if folder.is_dir():
            for f in [*folder.glob("*.parquet"), *folder.glob(".*.tmp")]:
                f.unlink()
            if not any(folder.iterdir()):
                folder.rmdir()
    (out / MANIFEST).unlink(missing_ok=True)


def check_resumable(out: Path, *, resume: bool) -> None:
    """With ``resume``, ``out`` must hold a run's manifest: a resume of a folder that is missing
    or holds no run would otherwise start a fresh run without a word."""
    if not resume or (out / MANIFEST).is_file():
        return
    where = "does not exist" if not out.exists() else f"holds no run manifest ({MANIFEST})"
    raise ValidationError(
        f"nothing to resume: output folder (--out) {out} {where}; drop --resume (in Python: "
        "resume=False) to start a run"
    )


def empty_run_folder(path: Path) -> bool:
    """An empty ``shards`` or ``timecourses`` folder: what a run killed before its manifest
    leaves behind, not a user's file."""
    return path.name in ("shards", "timecourses") and path.is_dir() and not any(path.iterdir())


def write_manifest(out: Path, manifest: Mapping[str, Any]) -> None:
    # one line: json's C encoder (indent= takes the pure-Python one, ~5 ms per rewrite)
    data = json.dumps(manifest, default=str).encode()
    atomic_write_bytes(out / MANIFEST, data, immediate=True, fsync=True)


def read_manifest(out: str | Path) -> dict[str, Any]:
    """The manifest of a cohort directory (clear error if there is none)."""
    check_type(out, (str, os.PathLike), name="out", what=COHORT_DIR)
    path = check_input_dir(out, what="cohort directory") / MANIFEST
    if not path.exists():
        raise ValidationError(
            f"{out} is not a cohort directory (no {MANIFEST}); give a directory written by "
            "'senotwin cohort run'"
        )
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValidationError(f"{path}: unreadable cohort manifest ({exc})") from None
    return data


@dataclass(frozen=True)
class CohortProgress:
    """How far a cohort directory got: patients planned and done, and whether the run finished."""

    planned: int
    done: int
    status: str

    @property
    def complete(self) -> bool:
        """True when the run finished and every planned patient has its rows."""
        return self.status == "complete" and self.done >= self.planned

    def describe(self) -> str:
        """'40 of 100 patients done (run status 'running')'."""
        return f"{self.done} of {self.planned} patients done (run status {self.status!r})"


def cohort_progress(out: str | Path) -> CohortProgress:
    """Patients planned and finished according to the manifest and the shards on disk."""
    check_type(out, (str, os.PathLike), name="out", what=COHORT_DIR)
    out = Path(out)
    manifest = read_manifest(out)
    try:
        chunks = [(int(s), int(e)) for s, e in manifest["chunks"]]
        planned = int(manifest["config"]["n"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(f"{out / MANIFEST}: not a senotwin cohort manifest ({exc})") from None
    done = sum(e - s for s, e in chunks if (out / "shards" / shard_name(s, e)).exists())
    return CohortProgress(planned, done, str(manifest.get("status", "unknown")))


def load_rows(out: str | Path, *, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """All patient-arm rows of a cohort, in patient then arm order; checks completeness.

    ``columns``: read only these (with 'patient' and 'arm'), e.g. to count failures cheaply;
    a single name is one column.
    """
    check_type(out, (str, os.PathLike), name="out", what=COHORT_DIR)
    if isinstance(columns, str):  # one name, not its letters
        columns = (columns,)
    names_or_none = (list, tuple, np.ndarray, pd.Index, type(None))
    check_type(columns, names_or_none, name="columns", what=COLUMNS + " or None")
    out = Path(out)
    manifest = read_manifest(out)
    frames = []
    missing = []
    cols = None if columns is None else list(dict.fromkeys(["patient", "arm", *columns]))
    for s, e in manifest["chunks"]:
        path = out / "shards" / shard_name(s, e)
        if path.exists():
            frames.append(pd.read_parquet(path, columns=cols))
        else:
            missing.append((s, e))
    if not frames:
        raise ValidationError(f"{out}: no finished shards yet (run it, or finish with --resume)")
    table = pd.concat(frames, ignore_index=True)
    if table.duplicated(["patient", "arm"]).any():
        raise ValidationError(f"{out}: duplicated patient-arm rows (corrupt cohort directory)")
    if missing and manifest.get("status") == "complete":
        raise ValidationError(f"{out}: shards missing for patients {missing}")
    arm_order = {a["name"]: i for i, a in enumerate(manifest["config"]["arms"])}
    table["_arm_order"] = table["arm"].map(arm_order)
    table = table.sort_values(["patient", "_arm_order"]).drop(columns="_arm_order")
    return table.reset_index(drop=True)


def load_timecourses(out: str | Path, *, patients: Sequence[int] | None = None) -> pd.DataFrame:
    """Kept time courses (patient, arm, time, columns...), optionally for some patients only."""
    files = sorted((Path(out) / "timecourses").glob("chunk-*.parquet"))
    if not files:
        return pd.DataFrame()
    df = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    if patients is not None:
        df = df[df["patient"].isin(list(patients))]
    return df.reset_index(drop=True)
