"""scripts/cd8_contraction_prototype.py: qsp.yaml carries the contraction of T8b (adopted in
session 27), the script sets only its rate, every loader sees it once installed, and switched off
(rate 0) the primed pool is larger (session 26 contract)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from senotwin.model.qsp import load_mouse_qsp, load_qsp
from senotwin.sim.options import SolverOptions
from senotwin.sim.scenario import run_scenario
from tests.scripts_loader import load_script

SCRIPT = load_script("cd8_contraction_prototype")


@pytest.fixture
def restore() -> Iterator[None]:
    yield
    SCRIPT.uninstall()


def test_shipped_model_carries_the_contraction_and_the_script_sets_only_its_rate() -> None:
    shipped = load_qsp()
    assert shipped.parameter(SCRIPT.PARAMETER).value == pytest.approx(0.5 - 0.01)
    process = next(p for p in shipped.processes if p.id == SCRIPT.PROCESS)
    assert process.stoichiometry == {"T8b": -1.0}
    off = SCRIPT.contracted(shipped, 0.0)
    old, new = shipped.model_dump(), off.model_dump()
    changed = [p["id"] for p in new["parameters"] if p not in old["parameters"]]
    assert changed == [SCRIPT.PARAMETER]
    assert off.parameter(SCRIPT.PARAMETER).value == 0.0
    for key in ("species", "processes", "observables", "events"):
        assert new[key] == old[key]


def test_install_reaches_every_loader_and_uninstall_restores(restore: None) -> None:
    SCRIPT.install(0.0)
    assert load_qsp().parameter(SCRIPT.PARAMETER).value == 0.0
    assert load_mouse_qsp().parameter(SCRIPT.PARAMETER).value == 0.0
    SCRIPT.uninstall()
    assert load_mouse_qsp().parameter(SCRIPT.PARAMETER).value == pytest.approx(0.49)


def test_the_contraction_shrinks_the_primed_pool(restore: None) -> None:
    solver = SolverOptions(engine="fast", t_eval=np.arange(0.0, 28.0, 1.0))
    shipped = run_scenario("mouse_emt6_anti_pdl1", days=27.0, solver=solver).table
    SCRIPT.install()  # the measured rate: the shipped model
    same = run_scenario("mouse_emt6_anti_pdl1", days=27.0, solver=solver).table
    for col in ("T8b", "T8", "V_T"):
        np.testing.assert_allclose(same[col], shipped[col], rtol=1e-6)
    SCRIPT.install(0.0)  # switched off: more primed CD8 in blood
    off = run_scenario("mouse_emt6_anti_pdl1", days=27.0, solver=solver).table
    # session 28 (traffic): in a mouse the lesion takes blood effectors within hours (entry from
    # the blood concentration), so the 0.5/day contraction trims the pool by ~6 %, not half.
    # Restated in session 29 (W2): after the EMT6 refit with the CD8 ceiling's own fixed sigma
    # (f_mat0 9.9e-5, PD1_prime_per_T 596, twice the inoculum) the trim is 1.4 % at day 27
    # (2.66e4 vs 2.70e4; why it is smaller was not decomposed): still a strict shrink, asserted
    # below 0.99 (was 0.97)
    assert shipped["T8b"].iloc[-1] < 0.99 * off["T8b"].iloc[-1]


def test_pool_budget_counts_the_contraction() -> None:
    p = {"N_ag": 1000.0, "naive_age": 1.0, "k_act": 23.0, "K_mdc": 4200.0, "n_gen": 10.0}
    p |= {
        "K_ifnar": 1.0,
        "q_in": 0.2,
        "V_c": 1.0,
        "w_traf": 2.0,
        "d_T8": 0.01,
        SCRIPT.PARAMETER: 0.49,
    }
    cols = {"mDC": 4200.0, "ln_checkpoints": 1.0, "IFNI_t": 0.0, "V_T": 0.45, "tgfb_excl": 1.0}
    b = SCRIPT.cd8_pool_scale.t8b_budget(pd.DataFrame({k: [v] for k, v in cols.items()}), p)
    assert b["death"].iloc[0] == pytest.approx(0.5)
    assert b["residence_d"].iloc[0] == pytest.approx(1.0 / (0.5 + 0.09))


def test_refit_start_pairs_json_and_default(tmp_path: Path) -> None:
    shipped = SCRIPT.start_point(None)
    assert shipped == SCRIPT.liu2019_refit.parse_start("")
    pairs = SCRIPT.start_point("k_byst.value=1,k_exh.value=0.192")
    assert pairs == shipped | {"k_byst.value": 1.0, "k_exh.value": 0.192}
    flat = tmp_path / "best.json"
    flat.write_text(json.dumps({"k_byst.value": 1.0, "k_exh.value": 0.192}))
    assert SCRIPT.start_point(str(flat)) == pairs
    record = tmp_path / "fit.json"
    record.write_text(json.dumps({"parameters": [{"parameter": "k_byst.value", "best": 1.0}]}))
    assert SCRIPT.start_point(str(record)) == shipped | {"k_byst.value": 1.0}
    with pytest.raises(SystemExit, match="expected ID=VALUE"):
        SCRIPT.start_point("k_bogus=1")


def test_refit_options_default_to_the_shipped_optimum_and_two_simplexes(
    monkeypatch: pytest.MonkeyPatch, restore: None
) -> None:
    calls: list[tuple[object, ...]] = []
    monkeypatch.setattr(SCRIPT, "refit", lambda *args: calls.append(args))
    SCRIPT.main(["refit"])
    SCRIPT.main(["refit", "--start", "k_byst.value=1", "--steps", "0.05", "0.02"])
    assert calls[0][5:7] == (None, [0.15, 0.08])
    assert calls[1][5:7] == ("k_byst.value=1", [0.05, 0.02])
    with pytest.raises(SystemExit):
        SCRIPT.main(["refit", "--start", "n_reinv.centre=x"])
