"""The one atomic writer, all-or-nothing staging, and the input/output path checks."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from senotwin._errors import SenotwinError, ValidationError
from senotwin._io import (
    atomic_remove,
    atomic_write_bytes,
    atomic_write_text,
    check_input_dir,
    check_output_dir,
    check_output_file,
    check_unique,
    ensure_writable_dir,
    read_table,
    read_text,
    staged_writes,
)


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "a.csv"
    target.write_text("old")
    atomic_write_text(target, "new")
    assert target.read_text() == "new"
    assert _files(tmp_path) == ["a.csv"]


def test_failed_write_keeps_old_file_and_removes_temp(tmp_path: Path) -> None:
    target = tmp_path / "a.csv"
    target.write_text("old")
    with pytest.raises(TypeError):
        atomic_write_bytes(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert _files(tmp_path) == ["a.csv"]


def test_write_errors_name_the_target_not_a_temp_file(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    with pytest.raises(ValidationError, match=r"cannot write '.*/d': it is a directory"):
        atomic_write_bytes(tmp_path / "d", b"x")
    with pytest.raises(ValidationError, match=r"directory '.*/no' does not exist"):
        atomic_write_bytes(tmp_path / "no" / "x", b"x")
    assert _files(tmp_path) == ["d"]


def test_staged_writes_appear_together_on_success(tmp_path: Path) -> None:
    with staged_writes():
        atomic_write_text(tmp_path / "a.csv", "a")
        atomic_write_text(tmp_path / "b.png", "b")
        atomic_write_text(tmp_path / "a.csv", "a2")  # a second write of a file replaces the first
        assert not (tmp_path / "a.csv").exists()  # nothing visible before the command ends
    assert (tmp_path / "a.csv").read_text() == "a2" and (tmp_path / "b.png").read_text() == "b"
    assert _files(tmp_path) == ["a.csv", "b.png"]


@pytest.mark.parametrize("exc", [ValueError("late failure"), KeyboardInterrupt()])
def test_staged_writes_leave_nothing_on_failure(tmp_path: Path, exc: BaseException) -> None:
    (tmp_path / "keep.csv").write_text("old")
    with pytest.raises(type(exc)), staged_writes():
        atomic_write_text(tmp_path / "keep.csv", "new")
        atomic_write_text(tmp_path / "new.csv", "x")
        ensure_writable_dir(tmp_path / "made" / "deeper")
        raise exc
    assert (tmp_path / "keep.csv").read_text() == "old"
    assert _files(tmp_path) == ["keep.csv"]


def test_a_staged_removal_waits_for_success(tmp_path: Path) -> None:
    """An earlier run's stale file goes only when the command succeeds (petab export, s42)."""
    (tmp_path / "stale.tsv").write_text("old")
    with pytest.raises(RuntimeError), staged_writes():
        atomic_remove(tmp_path / "stale.tsv")
        raise RuntimeError
    assert (tmp_path / "stale.tsv").read_text() == "old"
    with staged_writes():
        atomic_remove(tmp_path / "stale.tsv")
        atomic_remove(tmp_path / "kept.tsv")
        atomic_write_text(tmp_path / "kept.tsv", "new")  # written in the same command: stays
        assert (tmp_path / "stale.tsv").exists()
    assert _files(tmp_path) == ["kept.tsv"]
    atomic_remove(tmp_path / "kept.tsv")  # outside a stage: at once; a missing file is fine
    atomic_remove(tmp_path / "kept.tsv")
    assert _files(tmp_path) == []


def test_immediate_writes_and_nested_stages(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), staged_writes():
        atomic_write_bytes(tmp_path / "manifest.json", b"{}", immediate=True, fsync=True)
        assert (tmp_path / "manifest.json").exists()
        with staged_writes():  # joins the outer stage
            atomic_write_text(tmp_path / "inner.csv", "x")
        assert not (tmp_path / "inner.csv").exists()
        raise RuntimeError
    assert _files(tmp_path) == ["manifest.json"]


def test_sigterm_removes_staged_files(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import os, signal
        from senotwin._io import atomic_write_bytes, staged_writes
        from senotwin.cli.app import _on_sigterm
        signal.signal(signal.SIGTERM, _on_sigterm)
        with staged_writes():
            atomic_write_bytes("out.csv", b"1")
            os.kill(os.getpid(), signal.SIGTERM)
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, timeout=120
    )
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    assert _files(tmp_path) == []


def test_output_file_checks(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "f").write_text("x")
    ok = check_output_file(tmp_path / "o.CSV", what="--out", suffixes=(".csv", ".tsv"))
    assert ok.name == "o.CSV"
    cases = {
        tmp_path / "d": "is a directory; expected a file name ending in .csv or .tsv",
        tmp_path / "o.xlsx": r"must end in .csv or .tsv \(got '.xlsx'\)",
        tmp_path / "o": r"must end in .csv or .tsv \(got no suffix\)",
        tmp_path / "no" / "o.csv": "does not exist",
        tmp_path / "f" / "o.csv": "is a file, not a directory",
    }
    for path, message in cases.items():
        with pytest.raises(ValidationError, match=message):
            check_output_file(path, what="--out", suffixes=(".csv", ".tsv"))


def test_output_dir_checks(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    assert check_output_dir(tmp_path / "new" / "deeper", what="--out").name == "deeper"
    with pytest.raises(ValidationError, match="is a file; expected a directory"):
        check_output_dir(tmp_path / "f", what="--out")
    with pytest.raises(ValidationError, match=r"cannot be created: .* is a file"):
        check_output_dir(tmp_path / "f" / "sub", what="--out")
    assert not (tmp_path / "new").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_output_directory(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(ValidationError, match="is not writable"):
            check_output_file(locked / "o.csv", what="--out")
    finally:
        locked.chmod(0o700)


def test_read_text_says_what_it_found(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "x.xlsx").write_bytes(b"PK\x03\x04\x80\x81" + bytes(range(128, 256)))
    (tmp_path / "nul.txt").write_bytes(b"a\x00b")
    (tmp_path / "t.txt.gz").write_bytes(gzip.compress("\ufeffhello".encode()))
    (tmp_path / "bad.gz").write_text("plain")
    assert read_text(tmp_path / "t.txt.gz", what="f") == "hello"
    cases = {
        "d": r"f '.*d' is a directory; expected a file",
        "none": "does not exist",
        "x.xlsx": r"not UTF-8 text \(byte 0x80 at offset 4; it looks like a ZIP archive",
        "nul.txt": "contains NUL bytes",
        "bad.gz": "is named .gz but is not gzip data",
    }
    for name, message in cases.items():
        with pytest.raises(ValidationError, match=message):
            read_text(tmp_path / name, what="f")
    with pytest.raises(ValidationError, match="is a file; expected a directory"):
        check_input_dir(tmp_path / "nul.txt", what="d")


def test_read_table_keeps_repeated_labels_and_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("id,a,a,b\nr1,1,2,3\n")
    table = read_table(tmp_path / "t.csv", what="table", index_col=0)
    assert list(table.columns) == ["a", "a", "b"]  # pandas alone renames the second to a.1
    (tmp_path / "tab.csv").write_text("id\ta\nr1\t1\n")  # tabs in a .csv: the header decides
    assert list(read_table(tmp_path / "tab.csv", what="table", index_col=0).columns) == ["a"]
    (tmp_path / "ragged.csv").write_text("a,b\n1,2\n1,2,3,4\n")
    with pytest.raises(ValidationError, match=r"table '.*ragged.csv' cannot be read as a CSV"):
        read_table(tmp_path / "ragged.csv", what="table")
    (tmp_path / "blank.tsv").write_text("\n\n")
    with pytest.raises(ValidationError, match="is empty"):
        read_table(tmp_path / "blank.tsv", what="table")


def test_check_unique_names_repeats() -> None:
    check_unique(["a", "b"], what="names")
    with pytest.raises(ValidationError, match=r"names must be unique; repeated: 'a' \(3x\)"):
        check_unique(["a", "b", "a", "a"], what="names")


def test_commit_failure_is_reported_and_cleaned(tmp_path: Path) -> None:
    with pytest.raises(SenotwinError, match="nothing written"), staged_writes():
        atomic_write_text(tmp_path / "first.csv", "1")
        atomic_write_text(tmp_path / "second.csv", "2")
        (tmp_path / "second.csv").mkdir()  # appears after the check: the rename must fail
    assert _files(tmp_path) == ["second.csv"]


def test_parse_table_and_gunzip_work_on_bytes_in_memory() -> None:
    from senotwin._io import decode_text, gunzip, parse_table

    data = gzip.compress(b"gene\ta\tb\nIL6\t1\t2\n")
    text = decode_text(gunzip(data, "x.tsv.gz", what="table", limit=1000), "x.tsv.gz", what="t")
    df = parse_table(text, "x.tsv.gz", what="table", index_col=0)
    assert list(df.columns) == ["a", "b"] and df.loc["IL6", "b"] == 2
    with pytest.raises(ValidationError, match="unpacks to more than"):
        gunzip(gzip.compress(b"0" * 5000), "y.gz", what="table", limit=1000)
    with pytest.raises(ValidationError, match=r"is named \.gz but is not gzip data"):
        gunzip(b"plain text", "y.gz", what="table", limit=1000)


def test_a_semicolon_table_is_named_as_such() -> None:
    """A ';'-separated table read as one column and was refused as 'no data (340 rows, 0
    value columns)' with no word of the separator (audit, session 41)."""
    from senotwin._io import parse_table

    with pytest.raises(ValidationError, match=r"separated by ';', which is not read"):
        parse_table("gene;S1;S2\nIL6;1;2\n", "x.csv", what="expression file", index_col=0)
    assert parse_table("gene,S1\nIL6,1\n", "x.csv", what="t", index_col=0).shape == (1, 1)
