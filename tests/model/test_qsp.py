"""The physical-units TME model (qsp.yaml): behaviour that issue 11's 'done means' asks for.

Each test simulates a named scenario of the physical-units (default) model and checks a quantity
against the range cited in docs/quantitative-sources.yaml (doubling times, plasma IL-6, lethal
burden) or a mechanism the issue requires (SASP on vs off, exhaustion, PD-1/PD-L1 occupancy,
engine agreement).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

import numpy as np
import pytest

from senotwin.model.describe import stats
from senotwin.model.qsp import (
    KI67_REFERENCE,
    KI67_TISSUE,
    LETHAL_BURDEN_CELLS,
    NET_START,
    QSP_SCENARIOS,
    TISSUES,
    chemo_sensitivity,
    context,
    load_qsp,
)
from senotwin.model.schedule import Step
from senotwin.sim.options import SolverOptions
from senotwin.sim.result import SimulationResult
from senotwin.sim.scenario import run_scenario
from senotwin.sim.tissue_growth import first_doubling

DAYS = 365
GRID = np.arange(DAYS + 1, dtype=float)


def _run(
    name: str,
    *,
    params: Mapping[str, float] | None = None,
    blocks: Mapping[str, float] | None = None,
    engine: str = "fast",
    days: int = DAYS,
    regimen: list[Step] | None = None,
) -> SimulationResult:
    solver = SolverOptions(engine=engine, atol=1e-6, t_eval=GRID[: days + 1])
    res = run_scenario(
        name, overrides=params, blocks=blocks, regimen=regimen, days=float(days), solver=solver
    )
    assert res.ok, res.message
    return res


@cache
def _cached(name: str, blocks: tuple[tuple[str, float], ...] = ()) -> SimulationResult:
    return _run(name, blocks=dict(blocks))


def _senescent(res: SimulationResult) -> np.ndarray:
    return (res.table["Se"] + res.table["Sl"] + res.table["Sd"]).to_numpy()


def _half_life(res: SimulationResult) -> float:
    """Days from the senescent-cell peak until half of the peak is left."""
    s = _senescent(res)
    peak = int(np.argmax(s))
    below = np.nonzero(s[peak:] <= s[peak] / 2)[0]
    assert below.size, "the senescent population never halved"
    return float(below[0])


def test_spec_loads_with_units_and_provenance() -> None:
    spec = load_qsp()
    st = stats(spec)
    shares = st["parameter_provenance"]
    assert isinstance(shares, dict)
    assert shares["citation"] == shares["kb"] == 0  # only measured / derived / assumed
    assert shares["measured"] + shares["derived"] >= 30
    assert {c.id for c in spec.compartments} == {"tumour", "blood", "tdln"}
    assert {"default", "acute_young", "chronic_aged"} <= set(QSP_SCENARIOS)
    assert not any(name.startswith(("qsp_", "legacy_")) for name in QSP_SCENARIOS)


def test_unknown_context_names_the_field() -> None:
    with pytest.raises(ValueError, match="unknown tissue 'lungs'"):
        context(tissue="lungs")


@pytest.mark.parametrize("tissue", sorted(TISSUES))
def test_untreated_doubling_time_within_the_cited_range(tissue: str) -> None:
    res = _cached(f"aged_{tissue}_untreated")
    volume = res.table["V_T"].to_numpy()
    # one net doubling from day 30 (after the immune infiltrate settles): the definition the
    # tissue proliferation rates are derived on (sim.tissue_growth); before session 12 the mean
    # rate over days 30-150, which the lesion capacity bends for the fastest tissues
    doubling = first_doubling(GRID, volume, NET_START)
    low, high = TISSUES[tissue].range_days
    assert low <= doubling <= high, (tissue, doubling)
    assert doubling == pytest.approx(TISSUES[tissue].doubling_days, rel=5e-3)


def test_sclc_context_grows_at_the_cited_small_cell_doubling_time() -> None:
    """IMpower133's context: SCLC doubles in ~53 days (Lenhard 1981), twice as fast as NSCLC.
    The net rates differ ~1.9-fold; the derived gross rates less (1.43-fold since session 15:
    the same untreated CD8 kill is a smaller share of a faster proliferation)."""
    sclc = TISSUES["sclc"]
    assert sclc.doubling_days == 53.0 and sclc.source == "sclc_vdt_lenhard"
    assert sclc.net_rate > 1.8 * TISSUES["lung"].net_rate
    assert sclc.k_grow > 1.3 * TISSUES["lung"].k_grow
    assert {"aged_sclc_untreated", "aged_sclc_chemo"} <= set(QSP_SCENARIOS)


def test_a_faster_growing_tissue_loses_more_cells_per_chemotherapy_exposure() -> None:
    """Norton-Simon (session 19): a tissue's loss per exposure is the NSCLC (MONET1) one times
    its gross proliferation over NSCLC's, the senescent share unchanged; NSCLC itself carries
    qsp.yaml's values, and an inducer that turns the kill off still turns it off."""
    spec = load_qsp()
    tis, cyto = spec.parameter("k_tis").value, spec.parameter("k_cyto").value
    assert "k_cyto" not in context("lung", inducer="none").params
    for tissue in ("melanoma", "pancreas", "breast"):
        factor = TISSUES[tissue].k_grow / TISSUES["lung"].k_grow
        assert chemo_sensitivity(tissue) == pytest.approx(factor)
        params = context(tissue, inducer="none").params
        assert params["k_cyto"] == pytest.approx(cyto * factor)
        assert params["k_tis"] / (params["k_tis"] + params["k_cyto"]) == pytest.approx(
            tis / (tis + cyto)
        )
    assert context("lung", inducer="cdk46i").params["k_cyto"] == 0.0


def test_a_measured_growth_fraction_replaces_the_proliferation_ratio() -> None:
    """Session 21 (prime): SCLC and TNBC take their Ki-67 labelling index over non-squamous
    NSCLC's instead of the k_grow ratio -- not on top of it (k_grow already holds the growth
    fraction) -- on k_cyto and k_tis alike; NSCLC stays 1. SCLC's is a lower bound (40.71 / 25.8);
    TNBC's the read median 48 / 25.8 since session 33 (the session-21 bound 45 before)."""
    spec = load_qsp()
    tis, cyto = spec.parameter("k_tis").value, spec.parameter("k_cyto").value
    assert KI67_REFERENCE == 25.8 and KI67_TISSUE == {"sclc": 40.71, "tnbc": 48.0}
    assert chemo_sensitivity("lung") == 1.0
    for tissue, ratio in (("sclc", 40.71 / 25.8), ("tnbc", 48.0 / 25.8)):
        proliferation = TISSUES[tissue].k_grow / TISSUES["lung"].k_grow
        assert chemo_sensitivity(tissue) == pytest.approx(ratio)
        assert chemo_sensitivity(tissue) != pytest.approx(ratio * proliferation)
        params = context(tissue, inducer="none").params
        assert params["k_cyto"] == pytest.approx(cyto * ratio)
        assert params["k_tis"] == pytest.approx(tis * ratio)
    assert chemo_sensitivity("tnbc") > chemo_sensitivity("sclc") > 1.5


def test_tnbc_context_grows_at_the_cited_triple_negative_doubling_time() -> None:
    """IMpassion130's context: triple-negative tumours double in ~103 days by serial ultrasound
    (Ryu 2014, 17 TNBC), 2.4-fold faster than ER-positive ones; all breast cancers 167 days."""
    tnbc = TISSUES["tnbc"]
    assert tnbc.doubling_days == 103.0 and tnbc.source == "tnbc_tvdt_ryu2014"
    assert tnbc.net_rate > 1.5 * TISSUES["breast"].net_rate
    assert tnbc.k_grow > TISSUES["breast"].k_grow  # gross: 1.18-fold since session 15
    assert {"aged_tnbc_untreated", "aged_tnbc_chemo"} <= set(QSP_SCENARIOS)


def test_plasma_il6_within_patient_range_over_a_year() -> None:
    il6 = _cached("default").table["IL6_p"].to_numpy()
    base = load_qsp().parameter("IL6_base").value
    # never below the host baseline (healthy controls' plasma median, the patients' assay:
    # cancerseek_healthy_controls_il6_il8) and at most the highest value reported in healthy
    # donors, 43.5 pg/mL (il6_plasma_healthy_meta); the year's mean at least the advanced-NSCLC
    # 33rd percentile 2.01 pg/mL (il6_nsclc_tertiles; a third of those patients lie below it,
    # so it bounds the mean, not every day: day 0 carries almost no SASP)
    assert il6.min() >= base and il6.max() <= 43.5, (il6.min(), il6.max())
    assert il6.mean() >= 2.01, il6.mean()


@pytest.mark.parametrize("name", [n for n in QSP_SCENARIOS if not n.startswith("mouse_")])
def test_tumour_never_beyond_the_lethal_burden(name: str) -> None:
    """Every human scenario over a year (the largest, melanoma, reaches ~15 % of the burden)."""
    res = _cached(name)
    cells = res.table["N_tumour"] + res.table["D"]
    assert cells.max() < LETHAL_BURDEN_CELLS


def test_a_lesion_without_cancer_cells_stays_below_detection() -> None:
    """Age-related senescent stroma enters a lesion that exists: once the cancer cells are gone
    the lesion can vanish (a RECIST CR is possible). Before, the constant influx alone kept an
    eradicated aged-lung lesion at ~7 mm for ever."""
    res = _run("aged_lung_untreated", params={"C": 1.0, "k_grow": 0.0019})
    assert res.table["diameter"].max() < 2.0
    # a visible lesion still receives the full influx (untreated aged lesions keep their stroma)
    base = _cached("aged_lung_untreated")
    assert base.table["Se"].iloc[-1] > 1.0e6


def test_acute_young_sasp_speeds_senescent_clearance() -> None:
    on = _cached("acute_young")
    off = _cached("acute_young", (("SASP", 1.0),))
    assert _half_life(on) < _half_life(off)
    # because the SASP recruits removal (CCL2/CCR2), not because fewer cells became senescent
    assert on.table["removal"].iloc[7] > off.table["removal"].iloc[7]


def test_chronic_aged_sasp_net_hurts() -> None:
    on = _cached("chronic_aged")
    off = _cached("chronic_aged", (("SASP", 1.0),))
    assert on.table["V_T"].iloc[-1] > off.table["V_T"].iloc[-1]
    # chronic IL-6 drives emergency myelopoiesis and MDSC suppression
    assert on.table["Em"].iloc[-1] > off.table["Em"].iloc[-1]
    assert on.table["mdsc_supp"].iloc[-1] < off.table["mdsc_supp"].iloc[-1]


def test_acute_and_chronic_differ_by_time_not_only_by_amount() -> None:
    acute = _cached("acute_young")
    background = _cached("young_lung_untreated")
    # the acute pulse is over within a year: its late-SASP cells are gone -- what is left is the
    # lesion's steady stromal senescence (s_rs, the normal-lung p16+ share since session 11),
    # the same as in the young lesion that never had the pulse (within 5 %: the course left a
    # smaller lesion, whose stromal steady state differs a little; since k_tis was calibrated,
    # 0.15 -> 0.0308/day, the pulse is 5x smaller, so 1e-3 of it no longer covers that difference)
    pulse_left = acute.table["Sl"].iloc[-1] - background.table["Sl"].iloc[-1]
    assert pulse_left < 1e-3 * acute.table["Sl"].max()
    # (within 5 % or one cell)
    assert abs(pulse_left) < 0.05 * background.table["Sl"].iloc[-1] + 1.0


def test_young_host_untreated_lesion_grows_no_faster_than_aged() -> None:
    """A young host does not reject an untreated detectable lesion (every syngeneic mouse model
    grows in young adult mice). From session 15 until session 16 it did: priming scaled with the
    naive pool while DCs were limiting, and the 2-fold young pool cleared the lesion by day ~300."""
    young = _cached("young_lung_untreated").table
    aged = _cached("aged_lung_untreated").table
    t_young = first_doubling(GRID, young["V_T"].to_numpy(), NET_START)
    t_aged = first_doubling(GRID, aged["V_T"].to_numpy(), NET_START)
    assert np.isfinite(t_young)
    assert t_young >= t_aged
    assert young["C"].iloc[-1] > 2.0 * young["C"].iloc[int(NET_START)]


def test_anti_pdl1_acts_through_synapse_occupancy() -> None:
    base = _cached("aged_lung_untreated")
    treated = _cached("aged_lung_untreated", (("CD274", 0.9),))
    assert treated.table["PDPL"].iloc[30] < base.table["PDPL"].iloc[30]
    assert treated.table["H_PD1"].iloc[30] < base.table["H_PD1"].iloc[30]
    assert treated.table["V_T"].iloc[-1] < 0.5 * base.table["V_T"].iloc[-1]
    # reinvigoration: fewer exhausted cells per effector in the first weeks of blockade ...
    ratio = treated.table["T8x"] / treated.table["T8"]
    base_ratio = base.table["T8x"] / base.table["T8"]
    assert ratio.iloc[30] < base_ratio.iloc[30]
    # ... but blockade does not stop exhaustion: while antigen persists the reinvigorated and
    # newly primed effectors re-exhaust (Pauken 2016), so the ratio climbs back (day 120; since
    # session 15 this lesion is cleared by day ~180, and exhaustion relaxes once antigen is gone)
    assert ratio.iloc[120] > ratio.iloc[30]
    assert treated.table["Ex"].iloc[120] > 0.9


def test_anti_pdl1_effect_depends_on_baseline_cd8_priming() -> None:
    def effect(params: Mapping[str, float]) -> float:
        untreated = _run("aged_lung_untreated", params=params)
        treated = _run("aged_lung_untreated", params=params, blocks={"CD274": 0.9})
        return float(treated.table["V_T"].iloc[-1] / untreated.table["V_T"].iloc[-1])

    rich = effect({})
    # a tenth of the tumour-specific precursors (was naive_age 0.1: since session 16 priming is
    # DC-limited and the host's naive pool enters its half-maximum, so naive_age barely acts)
    poor = effect({"N_ag": 2.09e4})
    assert rich < poor < 1.0


def test_anti_pdl1_releases_less_tumour_pd1_engagement_without_pdl1() -> None:
    """Anti-PD-L1 acts at the tumour synapse through tumour PD-L1: the block's reduction of
    CD8 PD-1 engagement (H_PD1, mean over days 7-28, below saturation) is smaller at the PD-L1
    floor (3e3 per cell, 2-fold IFN-gamma induction) than at the default PD-L1. Session 18:
    0.224 (0.227 -> 0.003) at the floor vs 0.515 (0.984 -> 0.468) at the default.

    Until session 18 this compared the 1-year lesion volume gain (untreated / blocked); with dead
    cells cleared at the measured 8/day both lesions are eradicated under the block (gains 2823
    vs 1152), so that read-out saturates, and anti-PD-L1 also unblocks DC PD-L1 in the lymph node
    (pdl1_apc_level, entity CD274; Dammeijer 2020), a route independent of tumour PD-L1: the
    lesion outcome need not vanish without tumour PD-L1, the synapse release must shrink."""
    none = {"PDL1_per_C": 3000.0, "pdl1_fold": 2.0}

    def released(params: Mapping[str, float] | None) -> float:
        base = _run("aged_lung_untreated", params=params, days=28)
        blocked = _run("aged_lung_untreated", params=params, blocks={"CD274": 0.9}, days=28)
        window = slice(7, 29)
        return float(
            base.table["H_PD1"].iloc[window].mean() - blocked.table["H_PD1"].iloc[window].mean()
        )

    floor, default = released(none), released(None)
    assert 0.0 < floor < 0.75 * default


def test_senolytic_fails_where_its_target_is_not_the_dependency() -> None:
    engaged = _run("default", blocks={"BCL2_FAMILY": 1.0}, days=60)
    other = _run(
        "default",
        params={"dep_bcl2": 0.0},  # all survival on PI3K/AKT (1 - dep_bcl2)
        blocks={"BCL2_FAMILY": 1.0},
        days=60,
    )
    untreated = _run("default", days=60)
    assert _senescent(engaged)[30] < 0.5 * _senescent(untreated)[30]
    assert _senescent(other)[30] == pytest.approx(_senescent(untreated)[30], rel=1e-3)


def test_nfkb_block_timing_matters() -> None:
    def late_sasp(at: float) -> float:
        res = _run("default", regimen=[Step(at, "block_NFKB", 1.0)], days=40)
        return float(res.table["Sl"].iloc[-1])

    early, late = late_sasp(0.0), late_sasp(20.0)
    assert early < 0.2 * late  # blocking IKK after cells locked the SASP in changes little


@pytest.mark.parametrize("engine", ["reference", "roadrunner"])
def test_engines_agree(engine: str) -> None:
    fast = _run("default", days=120)
    other = _run("default", days=120, engine=engine)
    for col in ("C", "Sl", "T8", "MDSC", "IL6_p", "H_PD1"):
        np.testing.assert_allclose(fast.table[col], other.table[col], rtol=2e-3, atol=1e-3)


def test_cli_stats_and_explain_accept_the_qsp_scenario() -> None:
    import json

    from typer.testing import CliRunner

    from senotwin.cli.app import app

    runner = CliRunner()
    res = runner.invoke(app, ["model", "stats", "--scenario", "default", "--json"])
    assert res.exit_code == 0, res.output
    st = json.loads(res.stdout)
    assert st["model"] == "sasp_qsp"
    assert sum(st["parameter_provenance"].values()) == st["parameters"]
    res = runner.invoke(app, ["model", "explain", "cd8_kill", "--scenario", "default"])
    assert res.exit_code == 0, res.output
    assert "pd1_function" in res.stdout and "measured: 0.9 1/day (human)" in res.stdout


def test_entity_tags_are_kb_entities(shipped_kb) -> None:
    """Drugs reach the model through kb entity ids (anti-PD-L1 -> CD274, ...)."""
    unknown = sorted(e for e in load_qsp().entities() if e not in set(shipped_kb.entities))
    assert not unknown, unknown


def test_dna_damage_raises_cancer_cell_pdl1_without_t_cells() -> None:
    """DNA damage raises PD-L1 by itself (ATM/ATR/Chk1-STAT1/3-IRF1, review ref. 70), not only
    through CD8 IFN-gamma: with CD8 T cells blocked, one chemotherapy course multiplies PD-L1 by
    1 + (f_pdl1_ddr - 1) stress / (1 + stress) (f_pdl1_ddr calibrated on an A549 radiation
    series, session 20); with f_pdl1_ddr = 1 the course leaves PD-L1 unchanged."""
    f = load_qsp().parameter("f_pdl1_ddr").value
    no_cd8 = {"CD8_T_CELL": 1.0}

    def ratio(params: Mapping[str, float] | None) -> tuple[float, float]:
        course = _run("default", params=params, blocks=no_cd8, days=3)
        none = _run("aged_lung_untreated", params=params, blocks=no_cd8, days=3)
        s = float(course.table["stress"].iloc[1])
        return float(course.table["PDL1_d"].iloc[1] / none.table["PDL1_d"].iloc[1]), s

    raised, s = ratio(None)
    assert raised == pytest.approx(1 + (f - 1) * s / (1 + s), rel=0.02)
    assert raised > 1.5
    flat, _ = ratio({"f_pdl1_ddr": 1.0})
    assert flat == pytest.approx(1.0, abs=0.02)
