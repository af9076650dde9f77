"""The host's tissue dendritic-cell density by age (session 20, issue 14: Lian 2020, Fane 2020).

Priming is DC-limited (session 16), so the aged host's smaller naive pool alone does not lower
its effectors; the measured age loss of tissue DCs does. The aged host is the calibration
reference (f_mat0 is calibrated on aged NSCLC CD8 density), so the young context carries the
measured young / old ratio (human epidermal DCs, Gilchrest 1982: 10.0 vs 5.8 per section).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from senotwin.model.qsp import AGES, load_qsp
from senotwin.sim.options import SolverOptions
from senotwin.sim.scenario import run_scenario

DAYS = 90
GRID = np.arange(DAYS + 1, dtype=float)


@cache
def _young_lesion(extra: tuple[tuple[str, float], ...] = ()) -> dict[str, float]:
    """Mature DCs in the node and tumour effectors of the untreated young lesion at day 90."""
    res = run_scenario(
        "young_lung_untreated",
        overrides=dict(extra),
        days=DAYS,
        solver=SolverOptions(engine="fast", t_eval=GRID),
    )
    assert res.ok
    return {c: float(res.table[c].iloc[-1]) for c in ("mDC", "T8")}


def test_aged_host_keeps_the_calibrated_dc_density_and_young_the_measured_ratio() -> None:
    assert AGES["aged"]["APC_T"] == load_qsp().parameter("APC_T").value
    assert AGES["young"]["APC_T"] / AGES["aged"]["APC_T"] == pytest.approx(10.0 / 5.8, rel=0.01)


def test_aged_dc_density_alone_lowers_mature_dcs_and_tumour_effectors() -> None:
    """The young lesion given the aged DC density (everything else young) primes fewer CD8
    effectors: mature DCs and tumour CD8 T cells fall with the DC density (DC-limited priming)."""
    young = _young_lesion()
    fewer_dcs = _young_lesion((("APC_T", AGES["aged"]["APC_T"]),))
    assert fewer_dcs["mDC"] < 0.8 * young["mDC"]
    assert fewer_dcs["T8"] < 0.8 * young["T8"]


def test_aged_naive_pool_alone_does_not_lower_effectors() -> None:
    """Why the DC density carries the age effect: with few DCs every DC site is taken, so the
    halved naive pool leaves the primed flux almost unchanged (session 16)."""
    young = _young_lesion()
    fewer_naive = _young_lesion((("naive_age", AGES["aged"]["naive_age"]),))
    assert fewer_naive["T8"] == pytest.approx(young["T8"], rel=0.02)
