"""Shared CLI plumbing: errors as one line and exit 2, checked output paths, JSON output, the
model/scenario options and the ``--set``/``--block`` parsers every command uses."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import typer
from pydantic import BaseModel

from senotwin._ensembles import SHIPPED_ENSEMBLE, ensemble_file
from senotwin._errors import SenotwinError, ValidationError
from senotwin._io import check_output_dir, check_output_file, staged_writes

#: file types of the figure writers (matplotlib renders each by its suffix)
FIGURE_SUFFIXES = (".png", ".svg")
#: table files: .csv is comma-separated, .tsv/.txt tab-separated
TABLE_SUFFIXES = (".csv", ".tsv", ".txt")

if TYPE_CHECKING:
    from senotwin.model.spec import ModelSpec

MODEL = typer.Option(None, "--model", help="A ModelSpec YAML file.")
#: --gene-symbols of every command that reads an .h5ad expression file
GENE_SYMBOLS_HELP = (
    "Column of the .h5ad's var holding gene symbols, when var_names are not (e.g. Ensembl ids; "
    "one conventional column such as feature_name is found without it)."
)
SCENARIO = typer.Option(
    None,
    "--scenario",
    help="A named scenario (see `senotwin scenarios list`); with neither --model nor --scenario, "
    "the `default` scenario.",
)


@contextmanager
def user_errors() -> Iterator[None]:
    """Report expected failures (bad input, unwritable output) as ``error: ...`` and exit 2."""
    try:
        yield
    except BrokenPipeError:  # the reader of stdout went away: the root group exits quietly
        raise
    except (SenotwinError, ValueError, TypeError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None


def check_count(option: str, value: int, low: int, high: int | None = None) -> None:
    """A whole-number option within ``low``..``high``, refused by its flag (not the internal
    argument name the library would give) with the value and the allowed range."""
    if value < low or (high is not None and value > high):
        allowed = f"from {low} to {high}" if high is not None else f">= {low}"
        raise ValidationError(f"{option} must be a whole number {allowed}, got {value}")


def to_jsonable(value: Any) -> Any:
    """Convert records (pydantic, dataclasses, tuples, paths, numpy scalars and arrays) into
    JSON-ready structures."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if is_dataclass(value) and not isinstance(value, type):
        return {k: to_jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, np.generic):  # numpy bool/int/float scalars are not JSON types
        return value.item()
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    return value


def print_json(value: Any) -> None:
    """Write ``value`` as indented JSON to standard output."""
    sys.stdout.write(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False) + "\n")


def model_or_scenario(model: Path | None, scenario: str | None) -> ModelSpec | str | None:
    """What --model/--scenario name (not both): a loaded spec, a scenario name or None."""
    if model is not None and scenario is not None:
        raise ValueError("give either --model or --scenario, not both")
    if model is not None:
        from senotwin.model.io import load_spec

        return load_spec(model)
    return scenario


def scenario_in_words(target: ModelSpec | str | None) -> str:
    """A figure title's scenario: its name and, in plain words, what it is ('default: aged host,
    lung tumour, one chemotherapy course'); a title of the code alone did not say what ran."""
    from senotwin.sim.scenario import as_scenario

    sc = as_scenario(target)
    return sc.name if sc.description in ("", sc.name) else f"{sc.name}: {sc.description}"


def parse_sets(items: list[str]) -> dict[str, float]:
    """``NAME=VALUE`` pairs (``--set``), read by the regimen grammar's tokenizer."""
    from senotwin.therapy.language import parse_setting

    return {
        s.name: float(s.value or 0.0) for s in (parse_setting(i, source="--set") for i in items)
    }


def parse_blocks(items: list[str]) -> dict[str, float]:
    """``ENTITY`` (knockout, fraction 1) or ``ENTITY=FRACTION`` (``--block``)."""
    from senotwin.therapy.language import parse_setting

    out: dict[str, float] = {}
    for item in items:
        s = parse_setting(item, source="--block", value=None)
        out[s.name] = 1.0 if s.value is None else s.value
    return out


@dataclass(frozen=True)
class Output:
    """One output option of a command: its flag, the path given (None = not asked for) and the
    allowed file types (``kind``: what sets them, e.g. ``--format sbml``, named when refused);
    ``directory`` for options naming a directory, which ``parents=False`` creates only where
    its parent exists."""

    option: str
    path: Path | None
    suffixes: tuple[str, ...] = ()
    directory: bool = False
    kind: str = ""
    parents: bool = True


def check_outputs(outputs: Sequence[Output], *, inputs: Sequence[Path | None] = ()) -> None:
    """Check every output path of a command before it runs anything (see :func:`writing`)."""
    seen: dict[str, str] = {}
    sources = {os.path.realpath(p): p for p in inputs if p is not None}
    for out in outputs:
        if out.path is None:
            continue
        if out.directory:
            check_output_dir(out.path, what=out.option, parents=out.parents)
        else:
            check_output_file(out.path, what=out.option, suffixes=out.suffixes, kind=out.kind)
        key = os.path.realpath(out.path)
        if key in seen:
            raise ValidationError(
                f"{out.option} {str(out.path)!r} is also given as {seen[key]}; "
                "each output needs its own file"
            )
        if key in sources:
            raise ValidationError(
                f"{out.option} {str(out.path)!r} is the input file; choose another name "
                "so the input is not overwritten"
            )
        seen[key] = out.option


@contextmanager
def writing(*outputs: Output, inputs: Sequence[Path | None] = ()) -> Iterator[None]:
    """Check every output path first, then make the command's writes all-or-nothing: files
    appear only if the whole command succeeds; on failure nothing it wrote is left behind."""
    check_outputs(outputs, inputs=inputs)
    with staged_writes():
        yield


#: the virtual patients a cohort's ``--n`` takes (senotwin.cohort.runner.MAX_PATIENTS, written
#: out so the help does not import the runner; tests/cli/test_help_texts.py holds them equal)
COHORT_SIZE = "1-100,000"

#: ``--allow-off-label``: run doses outside the labelled/studied range (recorded in provenance)
ALLOW_OFF_LABEL = typer.Option(
    False,
    "--allow-off-label",
    help="Run doses outside a drug's labelled or studied range for the scenario's species (and "
    "drugs without human PK in human scenarios); each is recorded in the output's provenance.",
)


#: the regimen language in one sentence, for the options that take a regimen (the frequency
#: words of senotwin.therapy.language.FREQ_HELP; the CLI does not import the language to start)
REGIMEN_HELP = (
    "items 'DRUG DOSE [ROUTE] [FREQUENCY] [DAYS]' separated by ';', e.g. 'pembrolizumab 200 mg "
    "iv q3w d0-d84; metformin 850 mg po tid d0-d83'; frequencies qd, bid, tid, qid, qNh (N "
    "dividing 24: q4h, q6h, q8h, ...), qod, qw, qNd, qNw (the grammar: senotwin.therapy.language)"
)
#: what --dose-rules does (treat compare, cohort run)
DOSE_RULES_HELP = (
    "Delay, withhold and reduce doses of drugs that lower a blood count on the simulated counts, "
    "as the weekly nab-paclitaxel labels do: a course waits a week while the ANC is < 1.5e9/L "
    "(platelets < 100e9/L; the drug stops after three weeks' wait), a dose within a course is "
    "withheld below 0.5e9/L (platelets 50e9/L), later doses drop one level (25%) after ANC < "
    "0.5e9/L for over a week (platelets < 50e9/L)."
)
#: ``--ensemble shipped`` (:data:`senotwin._ensembles.SHIPPED_ENSEMBLE`): the package's own
#: liu2019 posterior, wherever senotwin is installed
SHIPPED_ENSEMBLE_HELP = (
    f" `{SHIPPED_ENSEMBLE}` is the package's liu2019 posterior (docs/calibration.md; "
    f"./{SHIPPED_ENSEMBLE} for a file of that name)."
)


#: ``--members`` of every command that takes ``--ensemble`` (simulate, validate, treat compare,
#: cohort run): one option, checked by :func:`check_members_option` and, once the file is read,
#: :func:`senotwin._ensembles.check_members`
MEMBERS = typer.Option(
    None, "--members", help="With --ensemble: use only the first N parameter sets."
)


def check_members_option(members: int | None, ensemble: Path | None) -> None:
    """``--members`` before anything runs: it needs ``--ensemble`` (ignoring it hid a mistake)
    and is a whole number >= 1; more sets than the file holds is refused by
    :func:`senotwin._ensembles.check_members` once it is read."""
    if members is None:
        return
    if ensemble is None:
        raise ValidationError("--members selects ensemble members; it needs --ensemble")
    if members < 1:
        raise ValidationError(f"--members must be >= 1, got {members}")


def ensemble_path(value: str) -> Path:
    """``--ensemble``'s file: the word ``shipped`` names the package's liu2019 posterior (a
    package file, so an installed senotwin finds it too); anything else is a path."""
    return ensemble_file(value)


def ensemble_note(path: Path) -> None:
    """Say on stderr when ``--ensemble`` is the shipped liu2019 posterior and it is stale (drawn
    on another model or around another fit than the shipped one), as `trial run` does."""
    from senotwin.calibrate.sample import shipped_ensemble_path

    try:
        if path.resolve() != shipped_ensemble_path().resolve():
            return
    except OSError:
        return
    from senotwin.trial.run import posterior_staleness  # the trial stack, only when needed

    if note := posterior_staleness():
        typer.echo(f"note: {note}", err=True)
