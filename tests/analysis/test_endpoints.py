"""RECIST 1.1 / PFS / OS on hand-built diameter curves (hand-computed expectations)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from senotwin._errors import ValidationError
from senotwin.analysis.endpoints import (
    EndpointRules,
    death_time,
    patient_endpoints,
    recist_response,
)

RULES = EndpointRules(scan_every_days=42.0, lethal_burden=30.0)
T = np.arange(0.0, 253.0)  # daily, scans at 42, 84, ..., 252


def _course(diam_at_scans: list[float], burden: np.ndarray | None = None):
    scans = np.arange(0.0, 43.0 * 0 + 42.0 * len(diam_at_scans), 42.0)
    d = np.interp(T, scans, diam_at_scans)
    b = np.full(T.shape, 0.1) if burden is None else burden
    return patient_endpoints(T, d, b, RULES)


def test_recist_single_scan_rules() -> None:
    assert recist_response(20.0, 20.0, 0.5, RULES) == "CR"
    assert recist_response(20.0, 20.0, 14.0, RULES) == "PR"  # -30 % exactly
    assert recist_response(20.0, 20.0, 14.1, RULES) == "SD"
    # +20 % over nadir but only +4 mm: not PD (5 mm rule)
    assert recist_response(20.0, 20.0, 24.0, RULES) == "SD"
    assert recist_response(20.0, 20.0, 25.0, RULES) == "PD"
    # growth from a small nadir: +50 % but +3 mm is SD
    assert recist_response(20.0, 6.0, 9.0, RULES) == "PR"
    assert recist_response(20.0, 6.0, 11.0, RULES) == "PD"


def test_partial_response_then_progression() -> None:
    # baseline 20, scans: 42 -> 13 (PR), 84 -> 12, 126 -> 18 (+6 mm, +50 % over nadir 12: PD)
    ep = _course([20, 13, 12, 18, 20, 22, 24])
    assert ep.best_response == "PR"
    assert ep.pfs_days == 126.0 and ep.pfs_event
    assert ep.best_change_pct == pytest.approx(-40.0)
    assert not ep.os_event and ep.os_days == 252.0


def test_stable_disease_is_censored() -> None:
    ep = _course([20, 21, 22, 21, 20, 21, 22])
    assert ep.best_response == "SD"
    assert not ep.pfs_event and ep.pfs_days == 252.0


def test_early_progression_is_pd() -> None:
    ep = _course([20, 30, 40, 50, 60, 70, 80])
    assert ep.best_response == "PD" and ep.pfs_days == 42.0
    assert ep.best_change_pct == pytest.approx(50.0)


def test_complete_response() -> None:
    ep = _course([20, 8, 0.5, 0.4, 0.3, 0.3, 0.3])
    assert ep.best_response == "CR" and not ep.pfs_event


def test_death_is_interpolated_and_ends_pfs() -> None:
    burden = np.linspace(1.0, 51.0, T.size)  # reaches 30 at t = 29/50 * 252
    t_death = 29.0 / 50.0 * 252.0
    assert death_time(T, burden, 30.0) == pytest.approx(t_death)
    ep = _course([20, 20.5, 21, 21.5, 22, 22.5, 23], burden)
    assert ep.os_event and ep.os_days == pytest.approx(t_death)
    assert ep.pfs_event and ep.pfs_days == pytest.approx(t_death)
    assert math.isnan(death_time(T, np.ones(T.size), 30.0))


def test_bad_input() -> None:
    with pytest.raises(ValidationError):
        patient_endpoints(T, T[:-1], T, RULES)
    with pytest.raises(ValidationError):
        EndpointRules(lethal_burden=0.0)
