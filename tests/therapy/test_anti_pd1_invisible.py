"""Anti-PD-1 against a lesion with an immune-invisible share (issues 11 and 13).

HLA class I-negative cancer cells (``Ci``) escape direct CD8 killing and die only as bystanders
of the IFN-gamma/TNF that effectors secrete on visible neighbours -- half-maximal at the 1 nM
that kills cancer cells (session 20), so a brake, not a clearance: a patient with an invisible
share responds partially and then regrows from it, even a small share outgrows the bystander
kill; the same patient with every cell visible stays
controlled when no cell can escape (``mu_esc`` 0), and with the cited escape probability per
division (immunoediting: qsp.yaml ``mu_esc``) responds completely and relapses years later from
the escaped clone its history and its divisions made. Aged lung, high precursors, PD-L1-high,
pembrolizumab 200 mg q3w from day 0.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from senotwin.cohort.baseline import escaped_share
from senotwin.model.scenarios import get_scenario
from senotwin.sim.options import SolverOptions
from senotwin.sim.scenario import run_scenario
from senotwin.therapy.dosing import body_for_scenario
from senotwin.therapy.language import parse_regimen
from senotwin.trial.ici_fit import stored_fit

SCENARIO = "aged_lung_untreated"
END = 540
CELLS = 5.5e9  # the scenario's lesion (3.7 cm)
#: since session 27 the patient kills at the liu2019 fit's centre (1.83/day), not qsp.yaml's 0.9:
#: with the measured effector contraction a 0.9/day patient no longer takes its visible cells
#: below 0.13 of their start, so no course shows a response (a kill rate means what it was
#: fitted with, as in tests/model/test_qsp_immune.py's Treg check)
PATIENT = {
    "N_ag": 2.09e5,
    "PDL1_per_C": 150000.0,
    "k_kill": next(
        p["best"] for p in stored_fit()["parameters"] if p["parameter"] == "k_kill.centre"
    ),
}


@cache
def _course(
    invisible: float,
    mu_esc: float = 0.0,
    end: int = END,
    k_byst: float | None = None,
    treated: bool = True,
) -> pd.DataFrame:
    """Course of the patient with ``invisible`` of its cancer cells HLA class I-negative, the
    escape probability ``mu_esc`` per division and (None: the model's) bystander death rate
    ``k_byst``, under pembrolizumab or untreated."""
    overrides = PATIENT | {"C": CELLS * (1 - invisible), "Ci": CELLS * invisible}
    overrides["mu_esc"] = mu_esc
    if k_byst is not None:
        overrides["k_byst"] = k_byst
    solver = SolverOptions(engine="fast", t_eval=np.arange(0.0, end + 1, 3.0))
    regimen = (
        parse_regimen(f"pembrolizumab 200 mg iv q21d d0-d{end}", body=body_for_scenario(SCENARIO))
        if treated
        else None
    )
    res = run_scenario(  # mu_esc 0 (no escape) is the counterfactual below its cited range
        SCENARIO,
        overrides=overrides,
        regimen=regimen,
        days=float(end),
        solver=solver,
        check_ranges=mu_esc > 0,
    )
    assert res.ok
    return res.table


def test_invisible_share_gives_a_partial_response_that_regrows() -> None:
    """A fifth of the cancer cells HLA class I-negative: the visible share is killed, the
    invisible cells keep growing through it (the bystander kill is half-maximal at the 1 nM
    IFN-gamma that kills cancer cells, EC50_ifng_death, far above what the effectors make), so
    the lesion falls by about the visible share and regrows. (Sessions 9-19, with the bystander
    kill half-maximal at the 2.96 pM signalling EC50, an invisible share up to 0.75-0.85 was
    cleared with the visible cells at the liu2019 rates 0.43-0.70/day and the share asked for
    here was 0.8-0.85. Session 20, at the refit's 0.6295/day: 0.3 falls only to 0.97 of its
    start, 0.2 to 0.75 at day 78, the visible cells down to 1e-3, regrowth 37-fold.) Restated in
    session 25 (bign: liu2019 on 1000 virtual patients, more exhaustion, k_exh 0.1637): this
    patient (qsp.yaml k_kill 0.9, below the fit's centre 1.89) kills its visible cells more
    slowly (down to 0.04 of their start) while the invisible ones grow through, so the lesion
    falls to 0.92 of its start (was < 0.9; 0.46 at the fit's k_kill) and regrows 23-fold: the
    fall is asserted at < 0.95. Session 27 (measured effector contraction): at 0.9/day the
    lesion no longer dips at all (visible cells down to 0.13), so the patient kills at the fit's
    centre (module PATIENT): nadir 0.55 of its start at day 78, visible cells 1e-5, regrowth
    35-fold."""
    t = _course(0.2)
    cancer = (t["C"] + t["Ci"]).to_numpy()
    nadir = int(np.argmin(cancer))
    assert cancer[nadir] < 0.95 * cancer[0]  # partial response: the visible cells are killed
    assert t["C"].min() < 0.05 * CELLS * 0.8
    assert 0 < nadir < len(cancer) - 1
    assert cancer[-1] > 2.0 * cancer[nadir]  # regrowth from the invisible share
    assert t["Ci"].iloc[-1] > t["Ci"].iloc[0]


def test_a_small_invisible_share_outgrows_the_bystander_kill() -> None:
    """Three thousandths of the cells HLA class I-negative: at the measured death half-maximum
    (EC50_ifng_death 1 nM; 10-100 pM only arrests cancer cells) the bystander kill slows them a
    little and no longer clears them (session 20: 1.95e10 cells at day 540 against 2.12e10
    without it, never below the start). Sessions 10-19, half-maximal at the 2.96 pM signalling
    EC50, the liu2019 rates cleared a hundredth to three thousandths with the visible cells."""
    cut = _course(0.003)
    assert cut["Ci"].min() >= 0.99 * cut["Ci"].iloc[0]  # never cut down
    free = _course(0.003, 0.0, END, 0.0)
    assert free["Ci"].iloc[-1] > free["Ci"].iloc[0]
    assert 0.5 * free["Ci"].iloc[-1] < cut["Ci"].iloc[-1] < free["Ci"].iloc[-1]  # a brake only


def test_fully_visible_patient_stays_controlled_when_no_cell_escapes() -> None:
    t = _course(0.0)
    cancer = (t["C"] + t["Ci"]).to_numpy()
    assert cancer[-1] < 0.01 * cancer[0]
    assert float(t["Ci"].abs().max()) == 0.0


def test_escape_per_division_turns_a_complete_responder_into_a_late_relapse() -> None:
    """Immunoediting: the visible cells go, the escaped clone (history + divisions under
    therapy) is selected and, without bystander killing, the lesion regrows past RECIST
    progression within three years; without escape (rate 0) the same patient has no invisible
    cell and stays controlled. With the calibrated bystander rate the clone is cut down while
    visible cells remain only a little at the measured death half-maximum (EC50_ifng_death), so
    the same patient relapses nearly as much (session 20: 1.27e11 against 1.43e11 invisible
    cells at three years; half-maximal at the 2.96 pM signalling EC50, sessions 10-19, the
    clone was cut a hundredfold and the lesion halved)."""
    mu = get_scenario(SCENARIO).load().parameter("mu_esc").value
    assert mu > 0
    share = escaped_share(mu, CELLS)
    t = _course(share, mu, 1080, 0.0)
    d = t["diameter"].to_numpy()
    nadir = int(np.argmin(d))
    assert t["C"].iloc[nadir] < 1e-3 * CELLS  # the visible cells are cleared ...
    assert 90 < t["time"].iloc[nadir] < 540  # ... a response lasting months
    assert d[-1] > 1.2 * d[nadir] and d[-1] > d[nadir] + 5.0  # RECIST progression from nadir
    assert t["Ci"].iloc[-1] > 1e3 * t["Ci"].iloc[0]  # the escaped clone was selected
    flat = _course(0.0, 0.0, 1080)
    assert float(flat["Ci"].abs().max()) == 0.0
    assert flat["diameter"].iloc[-1] < d[-1] / 3
    cut = _course(share, mu, 1080)  # the model's bystander rate
    assert 0.5 * t["Ci"].iloc[-1] < cut["Ci"].iloc[-1] < t["Ci"].iloc[-1]
    assert cut["diameter"].iloc[-1] > 0.8 * d[-1]


def test_bystander_killing_brakes_the_escaped_clone_without_controlling_it() -> None:
    """HLA class I-negative cells die as bystanders of the IFN-gamma/TNF that functional
    effectors secrete on visible neighbours (qsp.yaml bystander_kill), half-maximal at the 1 nM
    that kills cancer cells (EC50_ifng_death): under pembrolizumab the escaped clone grows
    slower than with the bystander rate at 0, but still grows at least as fast as untreated
    (blockade frees room as the visible cells die). Session 20: fold over 120 days 4.5 treated,
    3.9 untreated, 5.6 treated without the bystander kill; half-maximal at the 2.96 pM
    signalling EC50 (sessions 10-19) the clone was held under blockade (< 0.1 of untreated).
    Session 22 (k_byst 0.58 -> 0.265, refitted on 240 virtual Liu patients): the brake is
    smaller, 4.95 treated against 5.40 without the bystander kill (8 %, was 20 %). Session 27
    (measured effector contraction, k_byst 1.0): at qsp.yaml's kill 0.9 the brake fell to 5 %
    (3.05 vs 3.20); at the fit's kill centre (module PATIENT) 3.91 against 4.40 (11 %),
    untreated 3.10."""
    k = get_scenario(SCENARIO).load().parameter("k_byst").value
    assert k > 0

    def fold(k_byst: float, treated: bool) -> float:
        t = _course(1e-3, 0.0, 120, k_byst, treated)
        return float(t["Ci"].iloc[-1] / t["Ci"].iloc[0])

    assert fold(k, True) < 0.95 * fold(0.0, True)  # the bystander kill still brakes it
    assert fold(k, True) > 0.9 * fold(k, False)  # but no longer controls it under blockade
    assert fold(0.0, True) >= 0.9 * fold(0.0, False)  # no bystander: no control
