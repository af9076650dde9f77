"""scripts/trial_counterfactuals.py: a PD-1 route switched off sees the drug-free engagement,
the Shapley shares add up, the regimen without chemotherapy keeps only the antibody, and ORR is
split by invisible-share class."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from senotwin.model.scenarios import get_scenario
from senotwin.sim.simulate import simulate
from senotwin.therapy.dosing import body_for_scenario
from senotwin.therapy.language import apply_regimen, parse_regimen
from tests.scripts_loader import load_script

SCENARIO = "aged_lung_untreated"
PEMBRO = "pembrolizumab 200 mg iv q21d d0-d42"


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return load_script("trial_counterfactuals")


def _run(script: ModuleType, regimen: str | None, params: dict[str, float]) -> object:
    base = get_scenario(SCENARIO).load()
    reg = parse_regimen(regimen, body=body_for_scenario(SCENARIO)) if regimen else None
    plan = apply_regimen(base, reg, extra_drugs=("pembrolizumab",))
    spec = script.with_switches(base, plan.spec)
    out = simulate(spec, t_end=42.0, params=params, regimen=plan.schedule, check_ranges=False)
    return out.table


def test_routes_switched_off_see_the_untreated_engagement(script: ModuleType) -> None:
    none = _run(script, None, {})
    drug = _run(script, PEMBRO, {})
    off = _run(script, PEMBRO, {k: 1.0 for k in script.ROUTES})
    late = drug["time"] > 7
    # the drug frees PD-1 as shipped, and the copy of the chain ignores it
    assert drug.loc[late, "H_PD1"].max() < 0.01 < 0.9 < none["H_PD1"].min()
    assert drug["H_PD1_nd"].min() > 0.9
    np.testing.assert_allclose(off["H_PD1_nd"], none["H_PD1"], rtol=1e-6)
    # every route off: the lesion follows the untreated course although the drug is dosed
    np.testing.assert_allclose(off["C"], none["C"], rtol=1e-4)
    np.testing.assert_allclose(off["pd1_function"], none["pd1_function"], rtol=1e-6)
    # one route on: that route alone moves
    kill = _run(script, PEMBRO, {k: 1.0 for k in script.ROUTES if k != "cf_kill"})
    assert kill.loc[late, "pd1_function"].min() > 0.99 > none["pd1_function"].max()
    np.testing.assert_allclose(kill["ln_checkpoints"], none["ln_checkpoints"], rtol=1e-9)


def test_growth_factor_scales_proliferation(script: ModuleType) -> None:
    base = _run(script, None, {})
    slow = _run(script, None, {"cf_kgrow": 0.5})
    assert slow["C"].iloc[-1] < base["C"].iloc[-1]


def test_shapley_shares_add_up_and_split_an_additive_game(script: ModuleType) -> None:
    weights = {"cf_kill": 1.0, "cf_ifng": 2.0, "cf_reinv": 3.0, "cf_prime": 4.0}
    on = [s for s in script.SUBSETS] + [tuple(script.ROUTES)]
    additive = {s: sum(weights[k] for k in s) for s in on}
    assert script.shapley(additive) == pytest.approx(weights)
    joint = {s: float(len(s) >= 2) for s in on}  # a gain only once two routes act
    shares = script.shapley(joint)
    assert sum(shares.values()) == pytest.approx(1.0)
    assert len(set(round(v, 12) for v in shares.values())) == 1


def test_without_chemo_keeps_only_the_antibody(script: ModuleType) -> None:
    regimen = f"pemetrexed 500 mg/m2 iv q21d d0-d714; {PEMBRO}"
    assert script.without_chemo(regimen) == PEMBRO
    assert script.without_chemo("carboplatin 400 mg/m2 iv d0 x4 cycles of 21d") == "none"


def test_orr_by_invisible_class_puts_each_patient_in_one_class(script: ModuleType) -> None:
    assert script.VARIANTS["no bystander kill"] == {"k_byst": 0.0}
    rows = pd.DataFrame(
        {
            "arm": ["a"] * 5 + ["b"],
            "b_invisible": [0.0, 0.0, 0.3, 0.5, 0.9, 0.0],
            "best_response": ["PR", "PD", "CR", "SD", "PD", "SD"],
        }
    )
    out = script.orr_by_invisible(rows).set_index(["arm", "class"])
    assert out.loc[("a", "none"), "ORR"] == pytest.approx(50.0)
    assert out.loc[("a", "0-0.5"), "ORR"] == pytest.approx(50.0)  # 0.3 and the edge 0.5
    assert out.loc[("a", "> 0.5"), "ORR"] == 0.0
    assert out.loc[("a", "0-0.5"), "n"] == 2 and out.loc[("b", "none"), "n"] == 1
    assert out["n"].sum() == len(rows)
