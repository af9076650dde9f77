"""Mouse host and TGF-beta brake of the physical-units model (issue 11.5 / 12)."""

from __future__ import annotations

import numpy as np
import pytest

from senotwin._errors import ValidationError
from senotwin.model.mouse_mc38 import mc38_initial
from senotwin.model.qsp import (
    EMT6_TGFB1_ELISA,
    MOUSE_ARMS,
    MOUSE_DAYS,
    MOUSE_DOSE_DAYS,
    MOUSE_HOST,
    MOUSE_TREATMENT_START,
    load_mouse_qsp,
    load_qsp,
    mouse_dose_amounts,
    mouse_initial,
    mouse_params,
)
from senotwin.model.scenarios import get_scenario
from senotwin.model.unitcheck import unit_problems
from senotwin.sim.options import SolverOptions
from senotwin.sim.scenario import run_scenario

GRID = SolverOptions(engine="reference", t_eval=tuple(np.arange(0.0, MOUSE_DAYS + 0.5, 1.0)))


@pytest.fixture(scope="module")
def runs() -> dict[str, object]:
    return {arm: run_scenario(f"mouse_emt6_{arm}", solver=GRID).table for arm in MOUSE_ARMS}


def _at(table, t: float):
    return table.iloc[int(np.argmin(np.abs(table["time"].to_numpy() - t)))]


def test_mouse_scenarios_are_registered_with_their_doses() -> None:
    for arm in MOUSE_ARMS:
        sc = get_scenario(f"mouse_emt6_{arm}")
        assert sc.params["V_c"] == 2.0  # mouse blood, not the human 5 L
        assert not sc.check_ranges  # the plausible ranges are the human host's
        assert sc.load() is load_mouse_qsp()
        given = sum(sc.params[p] > 0 for p in ("dose_pdl1_first", "dose_tgfb"))
        assert given == MOUSE_ARMS[arm][0] + MOUSE_ARMS[arm][1]


def test_inoculation_state_keeps_no_human_lesion_amount() -> None:
    """A cancer-cell suspension in a naive mouse: no species keeps the human lesion's default."""
    human = {sp.id: sp.initial for sp in load_qsp().species}
    il6 = MOUSE_HOST["IL6_base"]
    k = next(q.value for q in load_qsp().parameters if q.id == "K_il6_emg")
    for state, c0 in ((mouse_initial(), None), (mc38_initial(), None), (mouse_initial(1e5), 1e5)):
        assert set(state) == set(human)  # every species set, none left at the default
        resident = {s: v for s, v in state.items() if s not in ("C", "Em") and v != 0.0}
        assert resident == {}, resident  # PMN was the human 5e4: lesion-resident cells start at 0
        assert state["C"] > 0 and (c0 is None or state["C"] == c0)
        assert state["Em"] == pytest.approx(il6 / (il6 + k))  # tumour-free host steady state
    # the scenarios and the calibration problems start from it
    assert get_scenario("mouse_emt6_isotype").initial["PMN"] == 0.0
    assert get_scenario("mouse_mc38_isotype").initial["PMN"] == 0.0


def test_antibody_doses_follow_the_paper() -> None:
    # 10 mg/kg then 5 mg/kg of a 20 g mouse into 1 mL: 200 then 100 ug/mL, 3 x / week x 3 weeks
    assert mouse_dose_amounts("anti_pdl1") == pytest.approx(
        {"dose_pdl1_first": 200.0, "dose_pdl1": 100.0, "dose_tgfb": 0.0}
    )
    assert mouse_dose_amounts("anti_tgfb")["dose_tgfb"] == pytest.approx(200.0)
    events = load_mouse_qsp().events
    assert [ev.at - MOUSE_TREATMENT_START for ev in events] == list(MOUSE_DOSE_DAYS)
    assert events[0].assign["ab_pdl1"] == "ab_pdl1 + dose_pdl1_first"
    assert events[1].assign["ab_pdl1"] == "ab_pdl1 + dose_pdl1"
    with pytest.raises(ValidationError, match="unknown mouse arm"):
        mouse_dose_amounts("anti_ctla4")


def test_doses_arrive_as_boluses_and_decay_with_the_igg_half_life(runs) -> None:
    table = runs["anti_pdl1"].set_index("time")
    assert table.loc[MOUSE_TREATMENT_START - 1, "ab_pdl1"] == 0.0
    after = table.loc[MOUSE_TREATMENT_START + 1, "ab_pdl1"]
    assert after == pytest.approx(200.0 * np.exp(-0.099), rel=1e-3)  # k_el_migg = ln2 / 7 d
    assert (runs["isotype"]["ab_pdl1"] == 0).all() and (runs["isotype"]["ab_tgfb"] == 0).all()


def test_units_stay_consistent() -> None:
    assert unit_problems(load_qsp()) == []


def test_untreated_tgfb_matches_the_emt6_elisa(runs) -> None:
    early = _at(runs["isotype"], 1.0)  # a lesion of cancer cells only, as the derivation assumes
    assert early["TGFb_t"] == pytest.approx(np.mean(EMT6_TGFB1_ELISA), rel=0.01)
    start = _at(runs["isotype"], MOUSE_TREATMENT_START)  # dead cells and T cells dilute it a bit
    assert 0.5 * np.mean(EMT6_TGFB1_ELISA) < start["TGFb_t"] < 1.5 * np.mean(EMT6_TGFB1_ELISA)


def test_anti_tgfb_neutralises_tgfb_and_lets_cd8_in() -> None:
    t = MOUSE_TREATMENT_START + 5
    brake = {"w_tgfb_excl": 4.0}  # the mechanism, at a brake strength where it shows
    iso = _at(run_scenario("mouse_emt6_isotype", overrides=brake, solver=GRID).table, t)
    tgfb = _at(run_scenario("mouse_emt6_anti_tgfb", overrides=brake, solver=GRID).table, t)
    assert tgfb["TGFb_t"] < 0.05 * iso["TGFb_t"]
    assert tgfb["tgfb_excl"] > 0.9 > 0.5 > iso["tgfb_excl"]
    # session 28 (traffic): CD8 enter from their blood concentration, ~1e2/day per blood cell in
    # a mouse, so exclusion holds primed cells in blood (T8b 3.4x) but hardly lowers the lesion's
    # count (was > 1.2x while entry was 2500-fold too slow): the lesion takes what priming makes
    assert tgfb["T8b"] < 0.5 * iso["T8b"]
    assert tgfb["T8"] >= iso["T8"]


def test_anti_pdl1_occupies_pdl1_and_releases_the_brake(runs) -> None:
    t = MOUSE_TREATMENT_START + 10
    iso, pdl1 = _at(runs["isotype"], t), _at(runs["anti_pdl1"], t)
    assert pdl1["occ_pdl1"] > 0.99
    assert pdl1["H_PD1"] < 0.5 * iso["H_PD1"]


def test_combination_beats_each_antibody_and_needs_cd8(runs) -> None:
    t = MOUSE_TREATMENT_START + 21
    vol = {arm: _at(runs[arm], t)["V_T"] for arm in MOUSE_ARMS}
    assert vol["combination"] < vol["anti_pdl1"] < vol["isotype"]
    assert vol["combination"] < vol["anti_tgfb"]
    # no CD8 T cells: the combination does worse than isotype -- since session 15 (PD-1 brakes,
    # does not silence; the depleted arm fitted) CD8 T cells restrain the isotype lesion, more as
    # they accumulate (day 21: 6800 vs 1750 mm3; days 0-8 0.183 vs 0.160/day, mice 0.261 vs
    # 0.147: docs/calibration.md); before, the two were within 10 %. Since session 27 (the
    # measured effector contraction, EMT6 refitted on it: k_grow 0.204 -> 0.141, k_kill 0.61)
    # CD8 restrain the isotype lesion less: day 21 3290 vs 1860 mm3 (1.77x; was 3.9x), > 1.5x
    assert vol["combination_cd8_depleted"] > 1.5 * vol["isotype"]
    assert vol["combination_cd8_depleted"] > 5 * vol["combination"]
    # depletion leaves few CD8: 5.3 % of the combination's at day 21 since the session-25 (bign)
    # cascade (EMT6 refit after liu2019 on 1000 virtual patients; was below 5 %): asserted < 10 %.
    # Restated in session 28 (ceil): 11.6 % (was 8.9 %), < 15 %. The CD8-count ceiling cut the
    # combination's own pool (1.16e8 -> 8.4e7 at day 21), while the depleted lesion keeps the
    # effectors already inside at the first dose with no new entry (9.7e6 vs 1.04e7; its blood
    # T8b falls to 3.4e3): the ratio rises from the denominator, depletion acts as before.
    # Restated in session 29 (W2): 17.1 %, < 20 %. The ceiling with its own fixed sigma cut the
    # combination's pool again (day 21: 4.09e7, was 8.4e7) more than the depleted lesion's
    # (7.0e6, was 9.7e6, the effectors inside at the first dose): again the denominator
    assert _at(runs["combination_cd8_depleted"], t)["T8"] < 0.2 * _at(runs["combination"], t)["T8"]


def test_human_default_is_untouched_by_the_mouse_blocks() -> None:
    table = run_scenario("default", solver=SolverOptions(engine="reference")).table
    assert "ab_pdl1" not in table and "ab_tgfb" not in table  # mouse-only species
    assert (table["occ_pdl1"] == 0).all() and (table["occ_tgfb"] == 0).all()
    assert (table["TGFb_t"] == 0).all()  # no human TGF-beta level sourced yet: brake off
    assert (table["tgfb_excl"] == 1).all()


def test_unknown_arm_is_rejected() -> None:
    with pytest.raises(ValidationError, match="unknown mouse arm"):
        mouse_params("vehicle")


def test_a_regimen_adds_to_the_arms_own_doses() -> None:
    from senotwin.model.schedule import Dose
    from senotwin.sim.scenario import prepare_scenario

    extra = Dose(MOUSE_TREATMENT_START + 1.0, "ab_tgfb", 50.0)
    setup = prepare_scenario("mouse_emt6_anti_pdl1", regimen=[extra])
    assert setup.schedule.doses == (extra,)
    assert len(setup.spec.events) == len(MOUSE_DOSE_DAYS)  # the arm's own doses stay
    grid = SolverOptions(engine="reference", t_eval=(0.0, MOUSE_TREATMENT_START + 1.5))
    table = setup.run(solver=grid).table.set_index("time")
    assert table.loc[MOUSE_TREATMENT_START + 1.5, "ab_tgfb"] == pytest.approx(
        50.0 * np.exp(-0.099 * 0.5), rel=1e-3
    )


def test_human_ranges_still_guard_human_scenarios() -> None:
    with pytest.raises(ValidationError, match="plausible range"):
        run_scenario("default", overrides={"V_c": 2.0}, days=1.0)
