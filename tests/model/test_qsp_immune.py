"""The CD8 arm of the physical-units model: what anti-PD-L1 response depends on (issue 11).

A small cohort of aged-lung patients differing in antigen-specific CD8 precursors (``N_ag``, which
sets the CD8 infiltrate they carry at treatment start) and tumour PD-L1 (none vs the NSCLC
average) starts anti-PD-L1 at day 60 (occupancy 0.99, the labelled-dose trough); the response is
the treated / untreated lesion volume 180 days later.
"""

from __future__ import annotations

from functools import cache
from itertools import pairwise

import numpy as np
import pytest

from senotwin.model.qsp import load_qsp
from senotwin.model.schedule import Step
from senotwin.sim.options import SolverOptions
from senotwin.sim.scenario import run_scenario
from senotwin.trial.ici_fit import stored_fit

START, END = 60, 240
GRID = np.arange(END + 1, dtype=float)
PDL1 = {"negative": {"PDL1_per_C": 3000.0, "pdl1_fold": 2.0}, "average": {}}
PRECURSORS = {"low": 5.0e4, "high": 2.09e5}  # the prior's lower end; the derived default


@cache
def _patient(cd8: str, pdl1: str) -> tuple[float, float]:
    """(CD8 T cells per mm^3 of lesion at treatment start, treated / untreated volume at END)."""
    params = {"N_ag": PRECURSORS[cd8], **PDL1[pdl1]}
    solver = SolverOptions(engine="fast", t_eval=GRID)
    untreated = run_scenario(
        "aged_lung_untreated", overrides=params, days=float(END), solver=solver
    )
    treated = run_scenario(
        "aged_lung_untreated",
        overrides=params,
        regimen=[Step(float(START), "block_CD274", 0.99)],
        days=float(END),
        solver=solver,
    )
    assert untreated.ok and treated.ok
    u, t = untreated.table, treated.table
    density = (u["T8"].iloc[START] + u["T8x"].iloc[START]) / (u["V_T"].iloc[START] * 1000.0)
    return float(density), float(t["V_T"].iloc[-1] / u["V_T"].iloc[-1])


def test_more_baseline_cd8_more_response_in_each_pdl1_stratum() -> None:
    for pdl1 in PDL1:
        low_density, low_ratio = _patient("low", pdl1)
        high_density, high_ratio = _patient("high", pdl1)
        assert high_density > 2.0 * low_density  # the infiltrate at treatment start differs
        assert high_ratio < 0.5 * low_ratio  # and the richer infiltrate responds more


def test_low_cd8_pdl1_negative_patient_responds_least() -> None:
    ratios = {(cd8, pdl1): _patient(cd8, pdl1)[1] for cd8 in PRECURSORS for pdl1 in PDL1}
    assert max(ratios, key=ratios.__getitem__)[0] == "low"
    assert ratios[("low", "negative")] > 5.0 * ratios[("high", "average")]


def test_blockade_does_not_stop_exhaustion_while_antigen_persists() -> None:
    """Pauken 2016: reinvigorated cells re-exhaust while antigen stays high; only the
    progenitor-exhausted share answers blockade (f_pex)."""
    solver = SolverOptions(engine="fast", t_eval=GRID)
    treated = run_scenario(
        "aged_lung_untreated", blocks={"CD274": 0.99}, days=float(END), solver=solver
    ).table
    none = run_scenario(
        "aged_lung_untreated",
        overrides={"f_pex": 0.05},
        blocks={"CD274": 0.99},
        days=float(END),
        solver=solver,
    ).table
    assert treated["Ex"].iloc[30] > 0.9  # antigen still high a month into blockade
    assert treated["T8x"].iloc[30] > 0.5 * treated["T8"].iloc[30]
    # a smaller progenitor share reinvigorates fewer exhausted cells
    assert none["T8x"].iloc[30] > treated["T8x"].iloc[30]


def test_cd8_density_is_of_the_measured_order_in_lung() -> None:
    """Antigen-specific CD8 (effector + exhausted) per mm^2 of a 4 um section (Abercrombie:
    N_A = N_V (t + D), D the T-cell diameter) lie below the measured median of all CD8 in lung
    adenocarcinoma (328/mm^2, cd8_density_by_cancer_type) and above a tenth of it: tumour-reactive
    cells are a minority of CD8 TILs."""
    t = run_scenario(
        "aged_lung_untreated", days=180.0, solver=SolverOptions(engine="fast", t_eval=GRID[:181])
    ).table
    r = t.iloc[180]
    per_mm3 = (r["T8"] + r["T8x"]) / (r["V_T"] * 1000.0)
    t_cell_um = 2.0 * np.sqrt(151.3 / (4.0 * np.pi))  # A_T = 151.3 um^2
    per_mm2 = per_mm3 * (4.0 + t_cell_um) / 1000.0
    assert 32.8 < per_mm2 < 328.0


def _full_blockade(params: dict[str, float]) -> tuple[float, float]:
    """(best diameter relative to day 0, treated / untreated volume) over a year at the
    atezolizumab trough occupancy 0.998 from day 0."""
    grid = np.arange(366, dtype=float)
    solver = SolverOptions(engine="fast", t_eval=grid)
    u = run_scenario("aged_lung_untreated", overrides=params, days=365.0, solver=solver).table
    t = run_scenario(
        "aged_lung_untreated",
        overrides=params,
        blocks={"CD274": 0.998},
        days=365.0,
        solver=solver,
    ).table
    v = t["V_T"].to_numpy()
    return float((v.min() / v[0]) ** (1 / 3)), float(v[-1] / u["V_T"].iloc[-1])


def test_treg_brake_is_off_by_default_and_grades_the_response_to_full_blockade() -> None:
    """QSP-IO's kill term T/(T + 11 Treg): without Tregs (r_treg 0, the default) full PD-L1
    occupancy shrinks the lesion of a patient with the default precursors, but not a poorly
    primed one (since session 15 PD-1 engagement brakes killing by at most Imax_pd1, so blockade
    releases it at most ~1.4-fold: it no longer eradicates whatever the priming); with Tregs at
    0.1 per CD8 the default patient no longer shrinks, a well-primed one still does, graded by
    priming, and PD-1 blockade does not lift the brake.

    Until session 18 the well-primed patient under the brake shrank to below half its diameter
    (strong_on < 0.5); that depth rode the dead-cell DC boost while debris was cleared at the
    assumed 0.1/day. At the measured 8/day the stock empties in hours, priming falls, and the
    nadir is 0.86 of the starting diameter (poorly primed 1.00; final volume ratio 0.035 vs
    0.87): the response is graded by priming, not deep, so the test asserts the grading.
    Session 22 (k_byst 0.58 -> 0.265 and k_exh fitted on 240 virtual Liu patients, whose Treg
    centre is 0.05 per CD8, half the 0.1 here): under r_treg 0.1 the well-primed lesion's nadir
    is 0.96 of its diameter (final volume 0.05 of untreated, poorly primed 0.87); at the
    calibrated Treg load 0.05 it shrinks to 0.14. Session 24 (k_byst 0.42, k_exh 0.135 and the
    tissue rates recalibrated on liu2019: more exhaustion): under the uncalibrated r_treg 0.1
    no patient shrinks any more (nadir 1.00 at N_ag 5e4, 2.09e5 and 5e5), the grading is in the
    final volume (0.90 / 0.59 / 0.18 of untreated); at the calibrated Treg load 0.05 the
    well-primed lesion still shrinks to 0.27 of its diameter. The test asserts the grading by
    final volume and the shrinkage at the calibrated load. Session 25 (bign: liu2019 on 1000
    virtual patients, k_exh 0.1637, k_byst 0.55): the well-primed / poorly primed final-volume
    ratio under r_treg 0.1 is 0.33 (0.30 / 0.92; was below 0.25): the grading is kept, its
    depth asserted at < 0.4. At the calibrated Treg load with qsp.yaml's k_kill 0.9 the
    well-primed nadir is now 0.90; the liu2019 patients kill at the fit's centre (1.89), and with
    the fit's own centres (k_kill 1.89, r_treg 0.0498) it is 0.11: the calibrated-load check uses
    the fit's centres (a Treg load means what it was fitted with). Session 27 (the measured
    effector contraction, k_contract, and its liu2019 refit): fewer primed effectors reach the
    lesion, the ratio is 0.45 (0.42 / 0.93), the grading kept, its depth asserted at < 0.5.
    Session 32 (mel61: liu2019 refitted on melanoma's 61-day doubling) put the Treg centre at
    0.094 (was 0.044) with k_kill 1.65 and n_reinv 5.15: with the k_kill and r_treg centres alone
    the well-primed nadir is 0.95 (final volume 0.075 of untreated); with the burst it was fitted
    with (n_reinv's centre) as well it is 0.10. The calibrated-load check now takes all three
    centres, the quantities the Treg load was fitted together with."""
    base = run_scenario(
        "aged_lung_untreated", days=30.0, solver=SolverOptions(engine="fast", t_eval=GRID[:31])
    ).table
    assert (base["treg_supp"] == 1.0).all()
    weak_off, _ = _full_blockade({"N_ag": 5.0e4})
    mid_off, _ = _full_blockade({"N_ag": 2.09e5})
    assert weak_off >= 0.999  # the poorly primed patient does not shrink ...
    assert mid_off < 0.3  # ... the default one responds without the brake
    mid_on, _ = _full_blockade({"N_ag": 2.09e5, "r_treg": 0.1})
    weak_on, weak_ratio = _full_blockade({"N_ag": 5.0e4, "r_treg": 0.1})
    strong_on, strong_ratio = _full_blockade({"N_ag": 5.0e5, "r_treg": 0.1})
    assert mid_on >= 0.999 and weak_on >= 0.999  # the brake stops the default patient's response
    _, mid_ratio = _full_blockade({"N_ag": 2.09e5, "r_treg": 0.1})
    assert strong_on <= weak_on  # the well-primed one does no worse ...
    assert strong_ratio < mid_ratio < weak_ratio  # ... and the response is graded by priming
    assert strong_ratio < 0.5 * weak_ratio
    fit = {p["parameter"]: p["best"] for p in stored_fit()["parameters"]}
    calibrated_load, _ = _full_blockade(
        {
            "N_ag": 5.0e5,
            "r_treg": fit["r_treg.centre"],
            "k_kill": fit["k_kill.centre"],
            "n_reinv": fit["n_reinv.centre"],
        }
    )
    assert calibrated_load < 0.5  # at the liu2019 Treg centre it shrinks deeply


def _blockade(n_reinv: float, cd8: float, day: int, occupancy: float = 0.9):
    """Aged melanoma lesion ``day`` days into anti-PD-1 at ``occupancy``, starting from ``cd8``
    times the scenario's CD8 T cells (the result table)."""
    start = {"T8": 3.0e7 * cd8, "T8x": 3.0e7 * cd8, "n_reinv": n_reinv}
    res = run_scenario(
        "aged_melanoma_untreated",
        overrides=start,
        regimen=[Step(0.0, "block_PDCD1", occupancy)],
        days=float(day),
        solver=SolverOptions(engine="fast", t_eval=np.arange(day + 1.0)),
    )
    assert res.ok
    return res.table


def _effectors(n_reinv: float, cd8: float, day: int = 7) -> float:
    """Effector CD8 (primed effectors + burst progeny) ``day`` days into anti-PD-1."""
    t = _blockade(n_reinv, cd8, day)
    return float(t["T8"].iloc[-1] + t["T8r"].iloc[-1])


def test_reinvigoration_burst_is_off_by_default_and_scales_with_the_exhausted_pool() -> None:
    # 0 divisions: the burst process has no flux (the mouse fits and every default run unchanged)
    assert load_qsp().parameter("n_reinv").value == 0.0
    gain = {cd8: _effectors(4.0, cd8) - _effectors(0.0, cd8) for cd8 in (1.0, 5.0)}
    assert gain[1.0] > 0.0
    # progeny of reinvigorated progenitors: a five times larger exhausted pool at entry gives a
    # several times larger burst in the first week (exhaustion of newly primed cells adds to both)
    assert 2.5 * gain[1.0] < gain[5.0] < 5.0 * gain[1.0]


def test_burst_progeny_re_exhaust_terminally_and_do_not_refill_the_progenitor_pool() -> None:
    """Stem-like TCF1+ cells give TIM-3+ TCF1- progeny that do not answer PD-1 blockade
    (stem_like_cd8_respond_to_pd1): progeny of the burst that re-exhaust go to the terminal
    pool, so the reinvigorable pool does not grow with the burst. Before, they re-joined it and
    a burst of more than ~2 divisions became a chain reaction (effectors above 1e11 cells)."""
    none = _blockade(0.0, 1.0, 60, occupancy=0.999)
    burst = _blockade(6.0, 1.0, 60, occupancy=0.999)
    assert (none["T8r"] == 0.0).all() and (none["T8t"] == 0.0).all()
    assert burst["T8t"].iloc[-1] > 0.0
    assert burst["T8x"].max() <= 1.001 * none["T8x"].max()
    cd8 = burst[["T8", "T8r", "T8x", "T8t"]].sum(axis=1)
    assert cd8.max() < 1.0e11  # bounded by the body's ~1e11 CD8 T cells


@cache
def _anti_pd1(pdl1: float) -> tuple[float, float]:
    """(untreated H_PD1 at day 0, 1-year treated / untreated lesion volume under anti-PD-1 at
    99 % occupancy from day 0) at tumour PD-L1 ``pdl1`` (scripts/issue11_done_means.py)."""
    solver = SolverOptions(engine="fast", t_eval=np.arange(366, dtype=float))
    runs = [
        run_scenario(
            "aged_lung_untreated",
            overrides={"PDL1_per_C": pdl1},
            blocks={"PDCD1": occ} if occ else None,
            days=365.0,
            solver=solver,
        ).table
        for occ in (0.0, 0.99)
    ]
    untreated, treated = runs
    return float(untreated["H_PD1"].iloc[0]), float(
        treated["V_T"].iloc[-1] / untreated["V_T"].iloc[-1]
    )


def test_pdl1_dependence_of_anti_pd1_holds_until_the_untreated_synapse_saturates() -> None:
    """Below ~2e4 PD-L1 per cell more PD-L1 means a stronger anti-PD-1 effect; above it the
    untreated synapse is already saturated (H_PD1 > 0.9 with the QSP-IO constants), so more
    PD-L1 withholds nothing more and the effect is flat (docs/qsp-model.md).

    Session 18: 1-year ratio 1.9e-4 at 3e3 vs 8.7e-5 at 2e4 (2.1-fold). It was > 5-fold while
    debris was cleared at the assumed 0.1/day and fed DC priming (the dead-cell boost); at the
    measured 8/day that boost collapses and the fold across 3e3-2e4 is asserted > 1.5.
    Session 27 (the measured effector contraction and its liu2019 refit): at 1 year every
    treated lesion sits at the same floor, 4.9e-4 - 6.3e-4 of untreated, not ordered by PD-L1
    (6.0e-4, 5.2e-4, 4.9e-4, 5.1e-4 at 3e3-2e4), so the read-out moved to week 12, where the
    response is still under way: 0.412, 0.396, 0.387, 0.385 -- the dependence holds but is weak
    (1.07-fold across 3e3-2e4, was 2.1-fold at 1 year), and flat above (0.387 vs 0.392).
    Session 31 (tps3: reinvigoration braked by DC PD-L1 in the niche, so tumour PD-L1 acts on the
    kill brake only): 0.402, 0.393, 0.389, 0.387 (1.04-fold, asserted > 1.03); above, 0.388 vs
    0.391. Tumour PD-L1's larger lever is now the PD-L1-positive share (``pdl1_share``)."""
    rising = [_week12(x, "both")[1] for x in (3.0e3, 6.0e3, 1.0e4, 2.0e4)]
    h_low, h_top = _anti_pd1(3.0e3)[0], _anti_pd1(2.0e4)[0]
    assert h_low < 0.5 < 0.9 < h_top
    assert all(a > b for a, b in pairwise(rising))
    assert rising[0] > 1.03 * rising[-1]
    (h_mid, _), (h_high, _) = _anti_pd1(37333.0), _anti_pd1(2.24e5)
    assert min(h_mid, h_high) > 0.97
    mid, high = _week12(37333.0, "both")[1], _week12(2.24e5, "both")[1]
    assert abs(high / mid - 1.0) < 0.05


WEEK12 = 84


@cache
def _week12(pdl1: float, route: str) -> tuple[float, float]:
    """(untreated lesion volume at 12 weeks, treated / untreated there) of the aged lung context
    at tumour PD-L1 ``pdl1`` with PD-1 99 % occupied on ``route``: "both", "priming" (TDLN PD-1
    only) or "synapse" (tumour-effector PD-1 only), as scripts/issue11_done_means.py does it."""
    free = 0.01
    route_over = {
        "both": {},
        "priming": {"pd1_prime_level": free},
        "synapse": {"PD1_per_T": load_qsp().parameter("PD1_per_T").value * free},
    }[route]
    solver = SolverOptions(engine="fast", t_eval=np.arange(WEEK12 + 1, dtype=float))
    over = {"PDL1_per_C": pdl1}

    def volume(extra: dict[str, float], blocks: dict[str, float] | None) -> float:
        table = run_scenario(
            "aged_lung_untreated",
            overrides={**over, **extra},
            blocks=blocks,
            days=float(WEEK12),
            solver=solver,
            check_ranges=False,  # a one-route arm sets a PD-1 handle below its range by hand
        ).table
        return float(table["V_T"].iloc[WEEK12])

    untreated = volume({}, None)
    treated = volume(route_over, {"PDCD1": 0.99} if route == "both" else None)
    return untreated, treated / untreated


def test_tumour_pdl1_moves_both_arms_and_the_two_pd1_routes_oppositely() -> None:
    """Session-19 diagnosis of the flat PD-L1 read-out (docs/qsp-model.md): the untreated lesion
    itself grows more at high PD-L1 (its effectors braked, none reinvigorated); the tumour-synapse
    route releases more where there is more PD-L1 (0.910 at 3e3 vs 0.778 at 2.24e5, 12 weeks),
    the node priming route (DC PD-L1, tumour-PD-L1-blind at the node) adds effectors that work
    best in an unbraked low-PD-L1 lesion (0.195 vs 0.376), so both routes together nearly cancel.
    Each assertion fails on a model blind to tumour PD-L1. Session 25 (bign: liu2019 on 1000
    virtual patients, more exhaustion, k_exh 0.1637): the synapse route's difference is 0.0996
    (0.946 vs 0.846), so its margin is asserted at 0.05 (a model blind to tumour PD-L1 gives 0).
    Session 31 (tps3: reinvigoration reads DC PD-L1 in the niche, tumour PD-L1 only the kill
    brake): untreated 47.9 vs 45.2 mL (1.06-fold, asserted > 1.03), synapse route 0.921 vs 0.875
    (asserted > 0.03), priming route 0.660 vs 0.581 (asserted > 0.05)."""
    low, high = 3.0e3, 2.24e5
    assert _week12(high, "both")[0] > 1.03 * _week12(low, "both")[0]
    assert _week12(low, "synapse")[1] - _week12(high, "synapse")[1] > 0.03
    assert _week12(high, "priming")[1] - _week12(low, "priming")[1] > 0.05


#: the session-19 rule's precursor pool: both routes give 0.5 at 12 weeks at the shipped PD-L1
HALF_EFFECT_N_AG = 9.6e4


@cache
def _week12_arms(pdl1: float, terms: tuple[tuple[str, float], ...]) -> tuple[float, float]:
    """(untreated, 99 %-occupied anti-PD-1) lesion volume at 12 weeks of the aged lung context at
    ``HALF_EFFECT_N_AG`` and tumour PD-L1 ``pdl1``, with the parameter overrides ``terms``."""
    solver = SolverOptions(engine="fast", t_eval=np.arange(WEEK12 + 1, dtype=float))
    over = {"N_ag": HALF_EFFECT_N_AG, "PDL1_per_C": pdl1, **dict(terms)}
    arms = [
        run_scenario(
            "aged_lung_untreated",
            overrides=over,
            blocks={"PDCD1": occ} if occ else None,
            days=float(WEEK12),
            solver=solver,
            check_ranges=False,  # a switched-off term (Imax_pd1 0) is below its range by hand
        ).table["V_T"]
        for occ in (0.0, 0.99)
    ]
    return float(arms[0].iloc[WEEK12]), float(arms[1].iloc[WEEK12])


def test_tumour_pdl1_reaches_the_lesion_only_through_the_kill_brake() -> None:
    """Session-21 decomposition (scripts/issue11_done_means.py, docs/qsp-model.md), restated in
    session 31 (tps3): reinvigoration reads PD-1 engagement in the intratumoural DC niche
    (``H_PD1_niche``), so with the effector kill brake off (``Imax_pd1`` 0) tumour PD-L1 -- per
    positive cell or as the positive share -- changes neither arm (the IFN-gamma brake and
    adaptive PD-L1 do not reach the volume; priming reads DC PD-L1); with the brake on, more
    tumour PD-L1 grows the untreated lesion, by level and by share alike. Fails if another route
    from tumour PD-L1 to the lesion appears, or if the kill brake stops carrying it."""
    low, high = 3.0e3, 2.24e5
    off = (("Imax_pd1", 0.0),)
    few = (("pdl1_share", 0.01),)
    for arm in (0, 1):
        assert _week12_arms(high, off)[arm] == pytest.approx(_week12_arms(low, off)[arm], rel=1e-3)
        assert _week12_arms(high, off + few)[arm] == pytest.approx(
            _week12_arms(high, off)[arm], rel=1e-3
        )
    assert _week12_arms(high, ())[0] > 1.02 * _week12_arms(low, ())[0]
    assert _week12_arms(high, ())[0] > 1.02 * _week12_arms(high, few)[0]


def test_reinvigoration_brake_sits_in_the_dc_niche_and_anti_pd1_lifts_it_at_any_tps() -> None:
    """Session 31 (tps3): the untreated reinvigoration brake is PD-1 engagement by DC PD-L1 in
    the intratumoural niche (Jansen 2019; Oh 2020), saturated whatever share of the cancer cells
    carries PD-L1, and anti-PD-1 lifts it at a TPS of 0.5 % as at 100 %; the effector brake
    ``H_PD1`` is the positive share times the cancer-cell synapse."""
    solver = SolverOptions(engine="fast", t_eval=np.arange(29, dtype=float))

    def table(share: float, occ: float):  # type: ignore[no-untyped-def]
        return run_scenario(
            "aged_lung_untreated",
            overrides={"pdl1_share": share},
            blocks={"PDCD1": occ} if occ else None,
            days=28.0,
            solver=solver,
        ).table

    full, few = table(1.0, 0.0), table(0.005, 0.0)
    assert few["H_PD1_niche"].iloc[0] == pytest.approx(full["H_PD1_niche"].iloc[0], rel=1e-9)
    assert few["H_PD1"].iloc[0] == pytest.approx(0.005 * full["H_PD1"].iloc[0], rel=1e-9)
    for share in (0.005, 1.0):
        untreated = table(share, 0.0)["H_PD1_niche"].iloc[-1]
        assert untreated > 0.9
        assert table(share, 0.99)["H_PD1_niche"].iloc[-1] < 0.5 * untreated


def test_a_pdl1_block_acts_on_the_density_once_not_on_the_positive_share() -> None:
    """A CD274 block lowers PD-L1 on the positive cells (``PDL1_d``) and leaves the share of
    positive cells alone: at day 0, a 50 % block gives the PD-1 engagement of half the PD-L1 per
    positive cell. Session 31 review: ``pdl1_share`` had been tagged with the entity CD274, which
    scaled it by the block as well (half the engagement again; a validation case flipped on it)."""
    solver = SolverOptions(engine="fast", t_eval=np.arange(2, dtype=float))

    def h_pd1(overrides: dict[str, float], blocks: dict[str, float] | None) -> float:
        return float(
            run_scenario(
                "aged_lung_untreated",
                overrides=overrides,
                blocks=blocks,
                days=1.0,
                solver=solver,
            )
            .table["H_PD1"]
            .iloc[0]
        )

    per_cell = load_qsp().parameter("PDL1_per_C").value
    for share in (0.5, 1.0):
        blocked = h_pd1({"pdl1_share": share}, {"CD274": 0.5})
        halved = h_pd1({"pdl1_share": share, "PDL1_per_C": 0.5 * per_cell}, None)
        assert blocked == pytest.approx(halved, rel=1e-9)
