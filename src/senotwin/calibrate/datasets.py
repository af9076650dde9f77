"""The shipped calibration data sets (package data under ``calibrate/data/<name>/``)."""

from __future__ import annotations

from senotwin.calibrate.problems import NamedProblem


def builtin_problems() -> tuple[NamedProblem, ...]:
    """Every shipped data set as a named problem."""
    return ()
