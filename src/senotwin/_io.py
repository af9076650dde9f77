"""File I/O in one place: the atomic writer, all-or-nothing commands, checked input/output paths.

Every file senotwin writes goes through :func:`atomic_write_bytes`: the data go to a uniquely named
hidden temporary file beside the target (``.NAME.XXXX.tmp``), which is renamed over the target, and
removed if anything fails. Inside :func:`staged_writes` (one per CLI command) the renames wait until
the whole command has succeeded, so a command that fails half-way leaves nothing behind; an
earlier run's stale file goes the same way (:func:`atomic_remove`), only once the command succeeds.
Reading helpers turn "missing", "a directory", "binary" and "empty" into one clear message that
names the file, what was expected and what was found.
"""

from __future__ import annotations

import gzip
import io
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from senotwin._errors import SenotwinError, ValidationError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "atomic_remove",
    "atomic_write_bytes",
    "atomic_write_figure",
    "atomic_write_text",
    "check_input_dir",
    "check_input_file",
    "check_not_mixed",
    "check_output_dir",
    "check_output_file",
    "check_unique",
    "ensure_writable_dir",
    "read_table",
    "read_text",
    "staged_writes",
]


# ---- writing ---------------------------------------------------------------------------------
@dataclass
class _Stage:
    """Writes of one command: temp files waiting for their rename, files to remove once they are
    in place (stale files of an earlier run), and directories it created."""

    pending: dict[str, tuple[Path, Path, bool]] = field(default_factory=dict)
    removals: list[Path] = field(default_factory=list)
    created_dirs: list[Path] = field(default_factory=list)

    def discard(self) -> None:
        for _target, tmp, _existed in self.pending.values():
            tmp.unlink(missing_ok=True)
        self.pending.clear()
        self.removals.clear()
        _remove_empty(self.created_dirs)

    def commit(self) -> None:
        done: list[tuple[Path, bool]] = []
        items = list(self.pending.values())
        self.pending.clear()
        for k, (target, tmp, existed) in enumerate(items):
            try:
                os.replace(tmp, target)
            except OSError as exc:
                for _t, later, _e in items[k:]:
                    later.unlink(missing_ok=True)
                for path, was_there in done:
                    if not was_there:
                        path.unlink(missing_ok=True)
                _remove_empty(self.created_dirs)
                raise SenotwinError(
                    f"cannot write {str(target)!r}: {exc.strerror or exc}; nothing written"
                ) from None
            done.append((target, existed))
        written = {os.path.abspath(target) for target, _tmp, _existed in items}
        removals, self.removals = self.removals, []
        for path in removals:
            if os.path.abspath(path) not in written:  # a file written again stays
                _unlink(path)


_STAGE: ContextVar[_Stage | None] = ContextVar("senotwin_staged_writes", default=None)


def _remove_empty(directories: list[Path]) -> None:
    for directory in reversed(directories):
        with suppress(OSError):  # not empty (something else lives there) or gone: leave it
            directory.rmdir()


@contextmanager
def staged_writes() -> Iterator[None]:
    """All-or-nothing writes: inside, atomic writes are renamed into place only when the block
    ends without an exception; on any exception (or Ctrl-C) every staged file is removed.

    Nested use joins the outer stage. Files that must exist at once (a resumable cohort's manifest)
    are written with ``atomic_write_bytes(..., immediate=True)``.
    """
    if _STAGE.get() is not None:
        yield
        return
    stage = _Stage()
    token = _STAGE.set(stage)
    try:
        yield
    except BaseException:
        _STAGE.reset(token)
        stage.discard()
        raise
    _STAGE.reset(token)
    stage.commit()


def atomic_write_bytes(
    path: str | Path, data: bytes, *, immediate: bool = False, fsync: bool = False
) -> Path:
    """Write ``data`` to ``path``: readers see either the old file or the complete new one.

    Inside :func:`staged_writes` the rename waits for the end of the command unless
    ``immediate``; ``fsync`` flushes the data to disk before the rename (crash-safe manifests).
    """
    target = Path(path)
    parent = target.parent
    if not parent.is_dir():
        raise ValidationError(
            f"cannot write {str(target)!r}: directory {str(parent)!r} does not exist"
        )
    if target.is_dir():
        raise ValidationError(f"cannot write {str(target)!r}: it is a directory")
    tmp: Path | None = None
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
        tmp = Path(name)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        stage = _STAGE.get()
        if stage is not None and not immediate:
            key = os.path.abspath(target)
            previous = stage.pending.pop(key, None)
            if previous is not None:
                previous[1].unlink(missing_ok=True)
            stage.pending[key] = (target, tmp, target.exists())
            return target
        os.replace(tmp, target)
    except OSError as exc:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise SenotwinError(f"cannot write {str(target)!r}: {exc.strerror or exc}") from None
    except BaseException:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise
    return target


def atomic_remove(path: str | Path) -> None:
    """Remove the file ``path`` if it exists; inside :func:`staged_writes` only once the command
    has succeeded, so a failed command leaves it (an earlier run's file stays with its run)."""
    target = Path(path)
    stage = _STAGE.get()
    if stage is not None:
        stage.removals.append(target)
        return
    _unlink(target)


def _unlink(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise SenotwinError(f"cannot remove {str(path)!r}: {exc.strerror or exc}") from None


def _umask() -> int:
    """The process umask (read by setting and restoring it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | Path, text: str, *, immediate: bool = False) -> Path:
    """Text variant of :func:`atomic_write_bytes` (UTF-8)."""
    return atomic_write_bytes(path, text.encode("utf-8"), immediate=immediate)


def atomic_write_figure(fig: Any, path: str | Path, **savefig: Any) -> Path:
    """Render a matplotlib figure in the format its file name says (.png, .svg, .pdf) and write
    it atomically; the caller closes the figure."""
    target = Path(path)
    fmt = target.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg", "pdf"):
        raise ValidationError(f"figure file {str(target)!r} must end in .png, .svg or .pdf")
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, **savefig)
    return atomic_write_bytes(target, buffer.getvalue())


def ensure_writable_dir(path: str | Path) -> Path:
    """Create ``path`` if needed and check it is a writable directory, with a clear error if not.

    Inside :func:`staged_writes`, directories created here are removed again (when left empty)
    if the command fails.
    """
    directory = check_output_dir(path, what="output directory")
    missing = []
    probe = directory
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SenotwinError(
            f"cannot create directory {str(directory)!r}: {exc.strerror or exc}"
        ) from None
    stage = _STAGE.get()
    if stage is not None:
        stage.created_dirs.extend(reversed(missing))
    return directory


# ---- checking output paths -------------------------------------------------------------------
def check_output_file(
    path: str | Path, *, what: str, suffixes: Sequence[str] = (), kind: str = ""
) -> Path:
    """Check, before any work, that ``path`` can be written as a file (of an allowed type).

    ``what`` names the path in messages (an option such as ``--out``); ``suffixes`` lists the
    allowed file types (lower case, with the dot; empty = any); ``kind`` says what sets them
    in a wrong-suffix refusal (e.g. ``--format sbml``: the types depend on another option).
    """
    p = Path(path)
    allowed = _one_of(suffixes)
    if p.is_dir():
        ending = f" ending in {allowed}" if suffixes else ""
        raise ValidationError(f"{what} {str(p)!r} is a directory; expected a file name{ending}")
    if suffixes and not p.name.lower().endswith(tuple(suffixes)):
        found = repr(p.suffix) if p.suffix else "no suffix"
        where = f" for {kind}" if kind else ""
        raise ValidationError(f"{what} {str(p)!r} must end in {allowed}{where} (got {found})")
    parent = p.parent
    if not parent.exists():
        raise ValidationError(
            f"{what} {str(p)!r}: directory {str(parent)!r} does not exist (create it first)"
        )
    if not parent.is_dir():
        raise ValidationError(f"{what} {str(p)!r}: {str(parent)!r} is a file, not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValidationError(f"{what} {str(p)!r}: directory {str(parent)!r} is not writable")
    return p


def _one_of(items: Sequence[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    items = list(items)
    return " or ".join(items) if len(items) < 3 else f"{', '.join(items[:-1])} or {items[-1]}"


def check_output_dir(path: str | Path, *, what: str, parents: bool = True) -> Path:
    """Check, before any work, that ``path`` is (or can be created as) a writable directory;
    with ``parents=False`` only ``path`` itself may be created, its parent must exist (as an
    output file's must, :func:`check_output_file`)."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise ValidationError(f"{what} {str(p)!r} is a file; expected a directory")
    if not parents and not p.parent.exists():
        raise ValidationError(
            f"{what} {str(p)!r}: directory {str(p.parent)!r} does not exist (create it first)"
        )
    existing = p
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ValidationError(
            f"{what} {str(p)!r} cannot be created: {str(existing)!r} is a file, not a directory"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValidationError(f"{what} {str(p)!r}: directory {str(existing)!r} is not writable")
    return p


def check_not_mixed(
    out: str | Path,
    *,
    own: bool,
    marker: str,
    allowed: str,
    option: str = "--out",
    skip: Callable[[Path], bool] | None = None,
) -> None:
    """Refuse, before anything is written, an output folder that holds other files and is not
    the command's own earlier output, so a run's files are never mixed with a user's (nor a
    user's file replaced or removed as a stale one of an earlier run).

    ``own``: the caller found its ``marker`` there (a cohort's ``manifest.json``, a fit's
    ``fit.json``); ``marker`` names it and ``allowed`` says what the folder may be, in the
    message; ``skip`` passes entries a killed run of the command leaves (its empty folders)."""
    p = Path(out)
    if own or not p.is_dir():
        return
    others = sorted(e.name for e in p.iterdir() if skip is None or not skip(e))
    if others:
        shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
        raise ValidationError(
            f"output folder ({option}) {p} already holds other files ({shown}) and no {marker}: "
            f"{allowed}, so this run's files are not mixed with them"
        )


# ---- reading ---------------------------------------------------------------------------------
def check_input_file(path: str | Path, *, what: str) -> Path:
    """``path`` is an existing, readable file; otherwise say what was found instead."""
    p = Path(path)
    if p.is_dir():
        raise ValidationError(f"{what} {str(p)!r} is a directory; expected a file")
    if not p.exists():
        raise ValidationError(f"{what} {str(p)!r} does not exist")
    if not p.is_file():
        raise ValidationError(f"{what} {str(p)!r} is not a regular file")
    if not os.access(p, os.R_OK):
        raise ValidationError(f"{what} {str(p)!r} cannot be read (permission denied)")
    return p


def check_input_dir(path: str | Path, *, what: str) -> Path:
    """``path`` is an existing directory; otherwise say what was found instead."""
    p = Path(path)
    if p.is_file():
        raise ValidationError(f"{what} {str(p)!r} is a file; expected a directory")
    if not p.exists():
        raise ValidationError(f"{what} {str(p)!r} does not exist")
    if not p.is_dir():
        raise ValidationError(f"{what} {str(p)!r} is not a directory")
    return p


#: leading bytes of common binary formats, to say what a non-text file looks like
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file (e.g. .h5ad)"),
    (b"PK\x03\x04", "a ZIP archive (e.g. an Excel .xlsx file)"),
    (b"\x1f\x8b", "a gzip-compressed file (name it .gz)"),
    (b"PAR1", "a Parquet file"),
    (b"\x89PNG", "a PNG image"),
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel/Office file"),
    (b"X\n", "an R data file"),
)


def describe_content(head: bytes) -> str:
    """A few words on what a file starting with ``head`` looks like."""
    for magic, label in _MAGIC:
        if head.startswith(magic):
            return label
    if not head:
        return "an empty file"
    if b"\x00" in head:
        return "a binary file"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return "a binary file"
    first = text.strip().splitlines()[0][:40] if text.strip() else ""
    return f"text starting {first!r}" if first else "blank text"


def _read_bytes(p: Path, what: str) -> bytes:
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ValidationError(f"{what} {str(p)!r} cannot be read: {exc.strerror or exc}") from None
    if p.name.lower().endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise ValidationError(
                f"{what} {str(p)!r} is named .gz but is not gzip data ({exc}); "
                f"found {describe_content(data[:64])}"
            ) from None
    return data


def gunzip(data: bytes, name: str, *, what: str, limit: int) -> bytes:
    """Gzip'd bytes decompressed, refusing more than ``limit`` bytes out (a gzip bomb)."""
    import zlib

    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise ValidationError(
            f"{what} {name!r} is named .gz but is not gzip data ({exc}); "
            f"found {describe_content(data[:64])}"
        ) from None
    if len(out) > limit:
        raise ValidationError(
            f"{what} {name!r} unpacks to more than {limit // 1_000_000} MB; send a smaller file"
        )
    return out


def read_text(path: str | Path, *, what: str, expected: str = "UTF-8 text") -> str:
    """The UTF-8 text of a file, or a clear error naming the file, what was expected and found."""
    p = check_input_file(path, what=what)
    return decode_text(_read_bytes(p, what), str(p), what=what, expected=expected)


def decode_text(data: bytes, name: str, *, what: str, expected: str = "UTF-8 text") -> str:
    """Bytes (a file's or an upload's, called ``name``) as UTF-8 text, or a clear error."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"{what} {name!r} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}; it looks like {describe_content(data[:64])}); expected {expected}"
        ) from None
    if "\x00" in text:
        raise ValidationError(
            f"{what} {name!r} contains NUL bytes (it looks like "
            f"{describe_content(data[:64])}); expected {expected}"
        )
    return text.removeprefix("\ufeff")


def check_unique(labels: Sequence[object], *, what: str) -> None:
    """Refuse repeated labels (sample or gene names), naming the first few and their counts."""
    counts: dict[str, int] = {}
    for label in labels:
        counts[str(label)] = counts.get(str(label), 0) + 1
    repeated = [f"{name!r} ({n}x)" for name, n in counts.items() if n > 1]
    if repeated:
        more = f" and {len(repeated) - 5} more" if len(repeated) > 5 else ""
        raise ValidationError(f"{what} must be unique; repeated: {', '.join(repeated[:5])}{more}")


def table_separator(path: str | Path, header: str) -> str:
    """Comma or tab: the one the header line uses; the file name decides when it has both."""
    name = Path(path).name.lower().removesuffix(".gz")
    preferred = "," if name.endswith(".csv") else "\t"
    other = "\t" if preferred == "," else ","
    if preferred not in header and other in header:
        return other
    return preferred


def read_table(
    path: str | Path, *, what: str, index_col: int | None = None, sep: str | None = None
) -> pd.DataFrame:
    """A CSV/TSV table (optionally gzip'd) with the header labels exactly as written.

    Comma or tab is chosen from the header line (:func:`table_separator`) unless ``sep`` is given.
    Unlike plain pandas, duplicated header labels are kept as they are (not renamed ``X.1``), so
    callers can refuse them. Empty, binary or malformed files raise a ValidationError naming
    the file.
    """
    text = read_text(path, what=what, expected="a comma- or tab-separated text table")
    return parse_table(text, str(path), what=what, index_col=index_col, sep=sep)


def numeric_table(frame: pd.DataFrame, *, what: str, nonnegative: bool = False) -> pd.DataFrame:
    """``frame`` as finite floats (``nonnegative``: also >= 0, as model parameters and amounts
    are); the first bad cell is named (row, column, value), where a bare 'must be a finite
    number' left the user to search the file."""
    import numpy as np
    import pandas as pd

    values = frame.apply(pd.to_numeric, errors="coerce").astype(float)
    bad = ~np.isfinite(values.to_numpy())
    if bad.any():
        r, c = (int(k[0]) for k in np.nonzero(bad))
        raise ValidationError(
            f"{what}: row {r + 1}, column {frame.columns[c]!r}: {frame.iat[r, c]!r} is not a "
            "finite number (every value must be one)"
        )
    negative = values.to_numpy() < 0
    if nonnegative and negative.any():
        r, c = (int(k[0]) for k in np.nonzero(negative))
        raise ValidationError(
            f"{what}: row {r + 1}, column {frame.columns[c]!r}: {values.iat[r, c]:g} is negative "
            "(model parameters and amounts must be >= 0)"
        )
    return values


def parse_table(
    text: str, name: str, *, what: str, index_col: int | None = None, sep: str | None = None
) -> pd.DataFrame:
    """:func:`read_table` on text already read (a file's or an upload's, called ``name``)."""
    import csv

    import pandas as pd

    first = next((line for line in text.splitlines() if line.strip()), "")
    if not first:
        raise ValidationError(
            f"{what} {name!r} is empty; expected a table with a header row and data rows"
        )
    delimiter = sep or table_separator(name, first)
    if sep is None and "," not in first and "\t" not in first:
        for other in (";", "|"):
            if other in first:  # it read as one column: 'no data (340 rows, 0 columns)'
                raise ValidationError(
                    f"{what} {name!r}: the header row is separated by {other!r}, which is not "
                    "read; separators accepted: comma (.csv) or tab (.tsv, .txt)"
                )
    kind = "CSV" if delimiter == "," else "tab-separated"
    try:
        df = pd.read_csv(io.StringIO(text), sep=delimiter, index_col=index_col)
    except pd.errors.EmptyDataError:
        raise ValidationError(
            f"{what} {name!r} has no data; expected a {kind} table with a header row"
        ) from None
    except (pd.errors.ParserError, ValueError, csv.Error) as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise ValidationError(
            f"{what} {name!r} cannot be read as a {kind} table: {detail}"
        ) from None
    header = next(csv.reader([first], delimiter=delimiter))
    n_index = 0 if index_col is None else 1
    if len(header) == df.shape[1] + n_index:
        labels = header[n_index:]
    elif len(header) == df.shape[1]:
        labels = header
    else:
        labels = None
    if labels is not None and len(set(labels)) != len(labels):
        df.columns = pd.Index(labels)
    return df
