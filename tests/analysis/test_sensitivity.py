"""Sensitivity: PRCC vs the inverse-correlation formula, Sobol vs Ishigami, the SASP switch."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from senotwin._errors import ValidationError
from senotwin.analysis.sensitivity import (
    DEFAULT_TOP,
    HORIZON_NOTE,
    QSP_SECRETOME_OFF,
    SECRETOME_OFF,
    default_parameters,
    prcc,
    run_sensitivity,
    secretome_off,
    sobol_indices,
)
from senotwin.model.describe import gsa_ranking
from senotwin.model.io import load_spec
from senotwin.model.scenarios import get_scenario
from senotwin.sim import simulate

FIXTURES = Path(__file__).resolve().parents[2] / "src" / "senotwin" / "model" / "fixtures"


def test_prcc_matches_inverse_correlation_formula() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(300, 3))
    y = np.exp(2 * x[:, 0]) - x[:, 1] + 0.3 * rng.normal(size=300)
    r, p = prcc(x, y)
    ranks = np.column_stack([stats.rankdata(c) for c in [*x.T, y]])
    prec = np.linalg.inv(np.corrcoef(ranks, rowvar=False))
    expected = [-prec[j, 3] / math.sqrt(prec[j, j] * prec[3, 3]) for j in range(3)]
    assert r == pytest.approx(expected, abs=1e-10)
    assert r[0] > 0.8 and r[1] < -0.5 and abs(r[2]) < 0.15
    assert p[0] < 1e-6 and p[2] > 0.01


def test_sobol_recovers_ishigami_indices() -> None:
    def ishigami(x: np.ndarray) -> np.ndarray:
        return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])

    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[-math.pi, math.pi]] * 3}
    si = sobol_indices(problem, ishigami, n=4096, seed=1).set_index("parameter")
    # analytic values (Ishigami & Homma 1990; a = 7, b = 0.1)
    assert si["S1"].to_numpy() == pytest.approx([0.3139, 0.4424, 0.0], abs=0.03)
    assert si["ST"].to_numpy() == pytest.approx([0.5576, 0.4424, 0.2437], abs=0.03)
    with pytest.raises(ValidationError, match="power of two"):
        sobol_indices(problem, ishigami, n=100, seed=1)


def test_secretome_switch_changes_only_senescent_secretion() -> None:
    sc = get_scenario("legacy_default")
    spec = sc.load()
    assert secretome_off(spec) == dict(SECRETOME_OFF)
    kw = {"initial": dict(sc.initial), "t_end": 30.0, "t_eval": [0.0, 30.0]}
    on = simulate(spec, params=dict(sc.params), **kw)
    off = simulate(spec, params=dict(sc.params) | dict(SECRETOME_OFF), check_ranges=False, **kw)
    basal = spec.parameter("basal_cytokine").value
    # without the secretome IL-8 falls to its basal level; senescent cells themselves remain
    assert off.table["IL8"].iloc[-1] == pytest.approx(basal)
    assert on.table["IL8"].iloc[-1] > 2 * basal
    assert off.table["S_total"].iloc[-1] > 0


def test_run_sensitivity_prcc_ranks_growth_first() -> None:
    res = run_sensitivity(
        "legacy_default",
        method="prcc",
        metrics=("final_burden", "sasp_net_effect"),
        parameters=("r_T", "k_ld", "clear_age"),
        n=12,
        seed=2,
        t_end=40.0,
    )
    fb = res.table[res.table["metric"] == "final_burden"].set_index("parameter")
    assert fb.loc["r_T", "rank"] == 1 and fb.loc["r_T", "index"] > 0.8
    assert 0.0 <= res.sasp_hurts_fraction <= 1.0
    assert res.samples == 12
    again = run_sensitivity(
        "legacy_default", parameters=("r_T", "k_ld", "clear_age"), n=12, seed=2, t_end=40.0
    )
    assert again.table.equals(res.table)
    with pytest.raises(ValidationError, match="unknown metric"):
        run_sensitivity("legacy_default", metrics=("nope",))
    with pytest.raises(ValidationError, match="unknown parameter"):
        run_sensitivity("legacy_default", parameters=("nope",), n=8)
    with pytest.raises(ValidationError, match="one_cell is a definition"):  # audit, session 41
        run_sensitivity("default", parameters=("k_grow", "one_cell"), n=8)


def test_result_states_its_design() -> None:
    res = run_sensitivity(
        "legacy_default", metrics=("final_burden",), parameters=("r_T", "k_ld", "clear_age"), n=8,
        seed=5, t_end=20.0,
    )  # fmt: skip
    assert (res.scenario, res.days, res.seed, res.spread) == ("legacy_default", 20.0, 5, 2.0)
    assert res.design() == (
        "scenario legacy_default, horizon 20 days, 8 Latin-hypercube samples (seed 5), "
        "each parameter ×/÷ 2 around its scenario value"
    )


def test_design_names_parameters_their_range_narrows() -> None:
    """The design line said every parameter varied ×/÷ 2, but C_max's plausible range cuts its
    interval to [1e11, 3e11] (x3, not x4) (audit, session 50): the clipped ones are named."""
    res = run_sensitivity(
        "default", metrics=("final_burden",), parameters=("C_max", "k_grow"), n=8, t_end=20.0
    )
    lo, hi = res.bounds["C_max"]
    assert hi / lo < 4.0
    assert res.design().endswith(
        "each parameter ×/÷ 2 around its scenario value, narrower where its plausible range "
        "ends (C_max)"
    )


def test_horizon_note_holds_r_t_effect_on_sasp_net_effect_flips() -> None:
    """HORIZON_NOTE's claim, one parameter at a time: a faster tumour shows a larger SASP
    effect at 150 days and a smaller one at 365 days (both arms near the plateau)."""
    sc = get_scenario("legacy_default")
    spec = sc.load()
    r_t = float(sc.params.get("r_T", spec.parameter("r_T").value))

    def net_effect(factor: float, days: float) -> float:
        p = dict(sc.params) | {"r_T": r_t * factor}
        kw = {"initial": dict(sc.initial), "t_end": days, "t_eval": [0.0, days]}
        on = simulate(spec, params=p, check_ranges=False, **kw)
        off = simulate(spec, params=p | dict(SECRETOME_OFF), check_ranges=False, **kw)
        return math.log10(on.table["tumour_burden"].iloc[-1] / off.table["tumour_burden"].iloc[-1])

    assert net_effect(2.0, 150.0) > net_effect(0.5, 150.0) + 0.1
    assert net_effect(2.0, 365.0) < net_effect(0.5, 365.0) - 0.1
    assert "positive at 150 days and negative at 365" in HORIZON_NOTE


def test_qsp_secretome_switch_is_the_sasp_block() -> None:
    """On the physical-units model, zero senescent secretion = blocking the entity SASP: the
    same tumour, while cytokines from cancer cells stay."""
    sc = get_scenario("default")
    spec = sc.load()
    off = secretome_off(spec)
    assert off == dict(QSP_SECRETOME_OFF)
    kw = {"initial": dict(sc.initial), "t_end": 120.0, "t_eval": [0.0, 120.0]}
    on = simulate(spec, params=dict(sc.params), **kw)
    zero = simulate(spec, params=dict(sc.params) | off, check_ranges=False, **kw)
    blocked = simulate(spec, params=dict(sc.params), blocks={"SASP": 1.0}, **kw)
    assert zero.table["N_tumour"].iloc[-1] == pytest.approx(
        blocked.table["N_tumour"].iloc[-1], rel=1e-4
    )
    # the SASP's share of tumour cytokines at day 120: ~12 % of CCL2 and ~4 % of IL-8 since
    # k_tis was calibrated on the MONET1 size course (0.15 -> 0.0308/day: a course makes ~5x fewer
    # senescent cells; with the assumed 0.15 they were > 20 % and ~8 %); cancer cells carry most
    # tumour IL-8 since s_il8_C was calibrated on patients' plasma (session 9)
    for col, share in (("CCL2_t", 0.9), ("IL8_t", 0.98)):
        assert zero.table[col].iloc[-1] == pytest.approx(blocked.table[col].iloc[-1], rel=1e-4)
        assert zero.table[col].iloc[-1] < share * on.table[col].iloc[-1]
    assert zero.table["IL6_t"].iloc[-1] > 0  # cancer cells still secrete
    with pytest.raises(ValidationError, match="senescent-secretion"):
        secretome_off(load_spec(FIXTURES / "karin2019.yaml"))


def test_default_parameters_follow_the_shipped_gsa_ranking() -> None:
    sc = get_scenario("default")
    spec = sc.load()
    names = default_parameters(spec, sc.params)
    assert len(names) == DEFAULT_TOP
    ranked = [str(r["parameter"]) for r in gsa_ranking(spec)["ranking"]]  # type: ignore[index]
    # in ranking order, skipping only parameters that cannot vary around their value here
    assert list(names) == [n for n in ranked if n in names]
    assert all(dict(sc.params).get(n, spec.parameter(n).value) > 0 for n in names)
    assert default_parameters(get_scenario("legacy_default").load())[0] == "r_T"


def test_run_sensitivity_on_the_physical_units_model() -> None:
    res = run_sensitivity(
        "default",
        metrics=("final_burden", "sasp_net_effect", "senescent_burden"),
        parameters=("k_grow", "k_rem", "s_ccl2_sen"),
        n=12,
        seed=1,
        t_end=120.0,
    )
    fb = res.table[res.table["metric"] == "final_burden"].set_index("parameter")
    assert fb.loc["k_grow", "rank"] == 1 and fb.loc["k_grow", "index"] > 0.5
    sb = res.table[res.table["metric"] == "senescent_burden"].set_index("parameter")
    assert sb.loc["k_rem", "index"] < 0  # faster removal, fewer senescent cells
    assert 0.0 <= res.sasp_hurts_fraction <= 1.0
    assert res.scenario == "default" and res.days == 120.0
