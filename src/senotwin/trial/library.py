"""The shipped trial library (``trial/data/*.yaml``): list and look up trials by id."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from senotwin._errors import ValidationError, check_type
from senotwin._suggest import did_you_mean
from senotwin.trial.spec import TrialSpec, load_trial

DATA = Path(__file__).parent / "data"


@cache
def trials() -> tuple[TrialSpec, ...]:
    """Every library trial, checked, in id order."""
    return tuple(sorted((load_trial(p) for p in DATA.glob("*.yaml")), key=lambda t: t.id))


def get_trial(name: str) -> TrialSpec:
    """The library trial ``name`` (or a trial YAML file path)."""
    check_type(name, str, name="name", what="a library trial id or a trial YAML path (str)")
    if name.endswith((".yaml", ".yml")):
        return load_trial(name)
    ids = [t.id for t in trials()]
    for t in trials():
        if t.id == name.lower():
            return t
    raise ValidationError(
        f"unknown trial {name!r}; library trials: {', '.join(ids)}{did_you_mean(name, ids)}"
    )
