"""The review's SASP and checkpoint regulators in the physical-units model (issue 11 item 4).

Each regulator is blocked over a time window (a drug-like step on and off) and must move the
read-outs the review names, in the review's direction, through the intended route (checked on the
intermediate observable the block acts through). Magnitudes are assumed (qsp.yaml provenance);
only directions and routes are tested here.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

import numpy as np
import pytest

from senotwin.kb import KnowledgeBase
from senotwin.model.compile import block_id
from senotwin.model.describe import explain
from senotwin.model.qsp import load_qsp
from senotwin.model.schedule import Step
from senotwin.sim.options import SolverOptions
from senotwin.sim.result import SimulationResult
from senotwin.sim.scenario import run_scenario

DAYS = 120
ON, OFF = 20.0, 60.0  # block window (days)
AT = 50  # read-out day, inside the window


def _run(
    scenario: str,
    *,
    window: tuple[str, float] | None = None,
    params: Mapping[str, float] | None = None,
    blocks: Mapping[str, float] | None = None,
    days: int = DAYS,
) -> SimulationResult:
    regimen = None
    if window is not None:
        entity, fraction = window
        regimen = [Step(ON, block_id(entity), fraction), Step(OFF, block_id(entity), 0.0)]
    solver = SolverOptions(engine="fast", atol=1e-6, t_eval=np.arange(days + 1, dtype=float))
    res = run_scenario(
        scenario,
        overrides=params,
        blocks=blocks,
        regimen=regimen,
        days=float(days),
        solver=solver,
    )
    assert res.ok, res.message
    return res


@cache
def _window(entity: str, scenario: str = "default") -> SimulationResult:
    return _run(scenario, window=(entity, 0.9))


@cache
def _base(scenario: str = "default") -> SimulationResult:
    return _run(scenario)


def _at(res: SimulationResult, col: str, day: int = AT) -> float:
    return float(res.table[col].iloc[day])


def _ratio(res: SimulationResult, num: str, den: str, day: int = AT) -> float:
    return _at(res, num, day) / _at(res, den, day)


# (entity, read-outs that fall, read-outs that rise): the review's direction for each regulator
DIRECTIONS = [
    ("P38_MAPK", ["IL6_p", "IL8_p", "CCL2_t"], []),
    ("MTOR", ["IL6_p", "IL8_p", "CCL2_t"], []),
    ("CGAS_STING", ["IFNI_t", "IL6_t"], []),
    ("IL6", ["il6_stat3_t", "il6_stat3_p", "Em"], []),
    ("JAK2", ["il6_stat3_t", "il6_stat3_p", "Em"], []),
    ("CXCL8", ["cxcr2_signal", "PMN"], []),
    ("CXCR2", ["cxcr2_signal", "PMN"], []),
    ("CCL2", ["ccr2_clearance", "ccr2_myeloid", "MDSC", "removal"], []),
    ("CCR2", ["ccr2_clearance", "ccr2_myeloid", "MDSC", "removal"], []),
    ("CSF1R", ["ccr2_myeloid", "MDSC"], []),
    ("CTLA4", [], ["CD28_B7", "ln_checkpoints", "T8b"]),
    ("CD274", ["PDPL", "PDPL_LN", "H_PD1"], ["ln_checkpoints", "T8b", "T8"]),
]


@pytest.mark.parametrize(("entity", "falls", "rises"), DIRECTIONS, ids=[d[0] for d in DIRECTIONS])
def test_window_block_moves_the_named_readouts(
    entity: str, falls: list[str], rises: list[str]
) -> None:
    assert entity in load_qsp().entities()
    base, blocked = _base(), _window(entity)
    for col in falls:
        assert _at(blocked, col) < _at(base, col), (entity, col)
    for col in rises:
        assert _at(blocked, col) > _at(base, col), (entity, col)
    # before the window nothing differs
    for col in falls + rises:
        assert _at(blocked, col, int(ON) - 1) == pytest.approx(_at(base, col, int(ON) - 1))


def test_p38_and_mtor_act_on_secretion_not_on_the_senescent_state() -> None:
    base = _base()
    for entity in ("P38_MAPK", "MTOR"):
        blocked = _window(entity)
        # fewer secreted cytokines per SASP-competent cell: the translation/secretion route
        assert _ratio(blocked, "sasp_secretion", "sasp_cells") < _ratio(
            base, "sasp_secretion", "sasp_cells"
        )
        # the senescent cells themselves are not removed by the block
        assert _at(blocked, "Sl") >= 0.99 * _at(base, "Sl")


def test_cgas_sting_drives_the_deep_ifn_stage_and_gates_the_sasp() -> None:
    base, blocked = _base(), _window("CGAS_STING")
    assert _ratio(blocked, "ifn_cells", "Sd") < 0.2 * _ratio(base, "ifn_cells", "Sd")
    # late (NF-kB-locked) cells stay senescent but secrete only while cGAS-STING senses their
    # cytoplasmic chromatin (Gluck 2017, Dou 2017): SASP per late cell falls, the state does not
    assert _ratio(blocked, "sasp_cells", "Sl") < 0.2 * _ratio(base, "sasp_cells", "Sl")
    assert _at(blocked, "Sl") > 0.5 * _at(base, "Sl")


def test_il6_blockade_lowers_signalling_and_raises_the_measured_concentration() -> None:
    # anti-IL-6/IL-6R leaves drainage as the only local removal: receptor-mediated consumption
    # stops (Nishimoto 2008, tocilizumab), so tumour and plasma IL-6 rise while signalling falls;
    # at 90 % block the accumulated IL-6 takes back part of the signal (0.6 of untreated, not 0.1)
    base, blocked = _base(), _window("IL6")
    assert _at(blocked, "il6_stat3_t") < 0.7 * _at(base, "il6_stat3_t")
    assert _at(blocked, "IL6_t") > 1.5 * _at(base, "IL6_t")
    assert _at(blocked, "IL6_p") > 1.05 * _at(base, "IL6_p")
    after = int(OFF) + 10  # the rise ends with the block
    assert _at(blocked, "IL6_t", after) < 1.05 * _at(base, "IL6_t", after)


def test_il6_growth_boost_is_the_sasp_signal_above_the_lesions_own() -> None:
    # k_grow is a measured net rate (doubling times of untreated lesions), which already holds
    # whatever the cancer cells' own IL-6 does; the boost is the signal the SASP adds above it,
    # so it is 0 without SASP secretion and an IL-6 block shrinks it, never below 0
    base = _base()
    no_sasp = _run("default", blocks={"SASP": 1.0})
    boost = base.table["il6_stat3_t"] - base.table["il6_stat3_own"]
    assert boost.min() >= 0.0 and _at(base, "il6_stat3_t") > _at(base, "il6_stat3_own") + 0.05
    assert _at(base, "il6_stat3_own") > 0.1  # the calibrated cancer-cell rate signals on its own
    none = no_sasp.table["il6_stat3_t"] - no_sasp.table["il6_stat3_own"]
    assert float(none.abs().max()) < 1e-9
    blocked = _window("IL6")
    assert _at(blocked, "il6_stat3_t") - _at(blocked, "il6_stat3_own") < float(boost.iloc[AT])


def test_il8_recruits_cxcr2_cells_not_ccr2_cells() -> None:
    base, blocked = _base(), _window("CXCR2")
    assert _at(blocked, "PMN") < 0.5 * _at(base, "PMN")
    # CCR2+ monocytic MDSCs untouched: their density (recruitment is per mL of lesion; with a
    # lifetime of days the count follows the lesion, which the block shrinks through cxcr_mitogen)
    density = [_at(r, "MDSC") / _at(r, "V_T") for r in (blocked, base)]
    assert density[0] >= 0.99 * density[1]


def test_cxcr2_mitogen_is_autocrine_and_the_sasp_adds() -> None:
    # IL-8 / CXCR1/2 acts on the cancer cells themselves (Luppi 2007, Zhu 2004, Khan 2015): 0
    # without SASP secretion and without a block (k_grow already holds the lesion's own signal),
    # positive with the SASP's IL-8, and a CXCR2 block removes the autocrine part as well, so
    # growth falls below the measured rate (unlike IL-6, whose block stops at the SASP's extra)
    base = _base()
    no_sasp = _run("default", blocks={"SASP": 1.0})
    assert float(no_sasp.table["cxcr_mitogen"].abs().max()) < 1e-9
    assert _at(base, "cxcr_mitogen") > 0.0
    assert _at(base, "cxcr2_own") > 0.05  # the calibrated cancer-cell IL-8 rate signals on its own
    blocked = _window("CXCR2")
    # a 90 % block removes ~0.9 x w_cxcr2_growth (0.5) of the lesion's own signal
    assert _at(blocked, "cxcr_mitogen") < -0.3 * _at(blocked, "cxcr2_own")
    assert _at(blocked, "C") < _at(base, "C")
    assert _at(blocked, "cxcr_mitogen", int(OFF) + 10) > _at(blocked, "cxcr_mitogen")  # block ends


def test_ccl2_ccr2_recruits_clearance_when_acute_and_suppression_when_chronic() -> None:
    # acute young pulse: CCR2 blockade slows senescent-cell removal (recruitment of clearing cells)
    acute, acute_blocked = _base("acute_young"), _window("CCR2", "acute_young")
    sen = ("Se", "Sl", "Sd")
    day = 40
    left = sum(_at(acute_blocked, s, day) for s in sen)
    assert left > sum(_at(acute, s, day) for s in sen)
    # chronic aged: the same blockade lowers suppressive CCR2+ myeloid cells
    chronic, chronic_blocked = _base("chronic_aged"), _window("CCR2", "chronic_aged")
    assert _at(chronic_blocked, "MDSC") < 0.8 * _at(chronic, "MDSC")
    assert _at(chronic_blocked, "mdsc_supp") > _at(chronic, "mdsc_supp")


def test_csf1r_blockade_spares_ccr2_recruited_clearance() -> None:
    base, blocked = _base(), _window("CSF1R")
    assert _at(blocked, "MDSC") < 0.7 * _at(base, "MDSC")
    assert _at(blocked, "ccr2_clearance") == pytest.approx(_at(base, "ccr2_clearance"), rel=0.1)


def test_checkpoint_effects_end_with_the_window() -> None:
    base = _base()
    for entity in ("CTLA4", "CD274"):
        blocked = _window(entity)
        assert _at(base, "ln_checkpoints") == pytest.approx(1.0)
        assert _at(blocked, "ln_checkpoints") > 1.1
        assert _at(blocked, "ln_checkpoints", int(OFF) + 1) == pytest.approx(1.0)


def test_plasma_il8_within_the_range_of_patients_over_a_year() -> None:
    il8 = _run("default", days=365).table["IL8_p"].to_numpy()
    # never below the host baseline, the plasma median 5.02 pg/mL of healthy controls aged
    # >= 65 in the patients' assay (cancerseek_healthy_controls_il6_il8), and at most the
    # largest plasma IL-8 of stage I-III lung-cancer patients, 37.01 pg/mL
    # (plasma_il6_il8_lung_cancer_cancerseek; the serum control median 17.4 of
    # il8_lung_cancer_plco is not a plasma reference: clotting releases IL-8). The 5th-95th
    # percentile check is tests/calibrate/test_plasma_cohort.py.
    assert il8.min() >= 5.02 and il8.max() <= 37.01, (il8.min(), il8.max())
    assert il8.max() > il8[0]  # the lesion's SASP raises plasma IL-8 (serum_il8_tumour_burden)


def _pdl1_effect(params: Mapping[str, float] | None = None) -> float:
    untreated = _run("aged_lung_untreated", params=params, days=365)
    treated = _run("aged_lung_untreated", params=params, blocks={"CD274": 0.9}, days=365)
    return float(treated.table["V_T"].iloc[-1] / untreated.table["V_T"].iloc[-1])


def test_anti_pdl1_acts_through_ln_priming_and_reinvigoration() -> None:
    both = _pdl1_effect()
    no_ln_route = _pdl1_effect({"PD1_prime_per_T": 0.0})  # no PD-1 brake on priming
    no_reinvigoration = _pdl1_effect({"k_reinv": 0.0})
    assert both < no_ln_route < 1.0
    assert both < no_reinvigoration < 1.0


def test_explain_shows_the_anti_pdl1_routes() -> None:
    text = explain(load_qsp(), "CD274")
    assert "priming" in text and "LN priming/expansion route" in text
    assert "reinvigoration" in text and "reinvigoration route" in text
    assert "pdl1_apc_level -> PDPL_LN -> ln_checkpoints -> priming" in text


def test_partial_pd1_block_raises_tumour_pdl1_through_ifng() -> None:
    """Adaptive resistance: freed T cells make IFN-gamma, which induces tumour PD-L1 (why model
    check reads the block dose-response of this model on day 1, not day 30)."""
    base, blocked = _base(), _run("default", blocks={"PDCD1": 0.25})
    assert _at(blocked, "T8", 30) > _at(base, "T8", 30)
    assert _at(blocked, "IFNg_t", 30) > _at(base, "IFNg_t", 30)
    assert _at(blocked, "PDL1_d", 30) > _at(base, "PDL1_d", 30)


def test_handle_tags_are_kb_entities(shipped_kb: KnowledgeBase) -> None:
    """Drugs act on the handles through their kb entity ids (therapy/data/drugs.yaml targets)."""
    handles = {d[0] for d in DIRECTIONS} | {"NEUTROPHIL", "PDCD1"}
    assert handles <= set(load_qsp().entities())
    assert handles <= set(shipped_kb.entities)


def test_cli_explain_names_the_anti_pdl1_routes() -> None:
    from typer.testing import CliRunner

    from senotwin.cli.app import app

    res = CliRunner().invoke(app, ["model", "explain", "CD274", "--scenario", "default"])
    assert res.exit_code == 0, res.output
    assert "route to priming (LN priming/expansion route" in res.stdout
    assert "route to reinvigoration (reinvigoration route" in res.stdout
