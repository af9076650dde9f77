"""Anti-PD-1 against a lesion with an immune-invisible share (issues 11 and 13).

HLA class I-negative cancer cells (``Ci``) escape CD8 killing, so a patient whose visible cells
the T cells clear responds partially and then regrows from the invisible share, at its own
growth rate, instead of being eradicated; the same patient with every cell visible stays
controlled. Aged lung, high precursors, PD-L1-high, pembrolizumab 200 mg q3w from day 0.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from senotwin.sim.options import SolverOptions
from senotwin.sim.scenario import run_scenario
from senotwin.therapy.dosing import body_for_scenario
from senotwin.therapy.language import parse_regimen

SCENARIO = "aged_lung_untreated"
END = 540
CELLS = 5.5e9  # the scenario's lesion (3.7 cm)
PATIENT = {"N_ag": 2.09e5, "PDL1_per_C": 150000.0}


@cache
def _course(invisible: float) -> pd.DataFrame:
    """Treated course of the patient with ``invisible`` of its cancer cells HLA class I-negative."""
    overrides = PATIENT | {"C": CELLS * (1 - invisible), "Ci": CELLS * invisible}
    solver = SolverOptions(engine="fast", t_eval=np.arange(0.0, END + 1, 3.0))
    regimen = parse_regimen(
        f"pembrolizumab 200 mg iv q21d d0-d{END}", body=body_for_scenario(SCENARIO)
    )
    res = run_scenario(
        SCENARIO, overrides=overrides, regimen=regimen, days=float(END), solver=solver
    )
    assert res.ok
    return res.table


def test_invisible_share_gives_a_partial_response_that_regrows() -> None:
    t = _course(0.1)
    cancer = (t["C"] + t["Ci"]).to_numpy()
    nadir = int(np.argmin(cancer))
    assert cancer[nadir] < 0.5 * cancer[0]  # partial response: the visible cells are killed
    assert t["C"].iloc[nadir] < 0.05 * CELLS * 0.9
    assert 0 < nadir < len(cancer) - 1
    assert cancer[-1] > 2.0 * cancer[nadir]  # regrowth from the invisible share
    assert t["Ci"].iloc[-1] > t["Ci"].iloc[0]


def test_fully_visible_patient_stays_controlled() -> None:
    t = _course(0.0)
    cancer = (t["C"] + t["Ci"]).to_numpy()
    assert cancer[-1] < 0.01 * cancer[0]
    assert float(t["Ci"].abs().max()) == 0.0
