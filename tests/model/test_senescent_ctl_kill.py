"""CD8 T cells kill senescent cancer cells (session 18, issues 11.4 and 14): the cancer-origin
subsets of the senescent stages fall faster with CTLs than without, stromal senescent cells are
not their target, and the recognition factor 0 gives back the model without the mechanism."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

import numpy as np
import pandas as pd

from senotwin.model.qsp import load_qsp
from senotwin.model.scenarios import get_scenario
from senotwin.model.spec import ModelSpec
from senotwin.sim.options import SolverOptions
from senotwin.sim.simulate import simulate

DAYS = 120
GRID = np.arange(DAYS + 1, dtype=float)
SUBSETS = ("Sce", "Scl", "Scd")
#: anti-CD8 depletion at the range ceiling: CTLs gone within days of the course (the few left
#: meanwhile kill < 1 % of what intact CTLs kill)
DEPLETED = {"k_cd8_depl": 10.0}


def _run(spec: ModelSpec, params: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The default scenario (aged lung, one chemotherapy course at day 0) on ``spec``."""
    sc = get_scenario("default")
    res = simulate(
        spec,
        params=dict(sc.params) | dict(params or {}),
        initial=dict(sc.initial),
        t_end=float(DAYS),
        solver=SolverOptions(engine="fast", atol=1e-6, t_eval=GRID),
    )
    assert res.ok, res.message
    return res.table


@cache
def _course(items: tuple[tuple[str, float], ...] = ()) -> pd.DataFrame:
    return _run(load_qsp(), dict(items))


def _cancer_senescent(table: pd.DataFrame) -> np.ndarray:
    return table[list(SUBSETS)].sum(axis=1).to_numpy()


def test_ctls_lower_senescent_cancer_cells_after_a_course() -> None:
    with_ctl = _course()
    depleted = _course(tuple(DEPLETED.items()))
    assert _cancer_senescent(with_ctl)[60] < 0.9 * _cancer_senescent(depleted)[60]
    assert (with_ctl["cd8_sen_kill"].iloc[1:61] > 0).all()
    # the same CTLs, recognition off: the senescent cancer cells are not killed
    blind = _course((("f_sen_rec", 0.0),))
    assert _cancer_senescent(with_ctl)[60] < 0.9 * _cancer_senescent(blind)[60]
    assert (blind["cd8_sen_kill"] == 0).all()


def test_without_ctls_the_recognition_factor_does_nothing() -> None:
    depleted = _course(tuple(DEPLETED.items()))
    blind = _course(tuple((DEPLETED | {"f_sen_rec": 0.0}).items()))
    np.testing.assert_allclose(_cancer_senescent(depleted), _cancer_senescent(blind), rtol=1e-2)


def test_cancer_origin_cells_are_a_subset_of_their_stage() -> None:
    table = _course()
    for subset, pool in zip(SUBSETS, ("Se", "Sl", "Sd"), strict=True):
        assert (table[subset] <= table[pool] * (1 + 1e-6) + 1.0).all(), subset
    assert table["Sce"].max() > 1.0e6  # the course makes senescent cancer cells
    # stromal senescent cells (the rest of the pool) are there too and are not CTL targets
    assert (table["Se"] - table["Sce"]).iloc[-1] > 1.0e6


def _without_mechanism(spec: ModelSpec) -> ModelSpec:
    """``spec`` with the cancer-origin subsets and their processes removed (the former model)."""
    doc = spec.model_dump()
    doc["species"] = [s for s in doc["species"] if s["id"] not in SUBSETS]
    kept = []
    for p in doc["processes"]:
        if p["id"] == "tis":
            p["stoichiometry"] = {k: v for k, v in p["stoichiometry"].items() if k not in SUBSETS}
        elif set(p["stoichiometry"]) & set(SUBSETS):
            continue
        kept.append(p)
    doc["processes"] = kept
    return ModelSpec.model_validate(doc)  # a new spec: its own digest, compiled afresh


def test_recognition_zero_returns_the_former_model() -> None:
    new = _course((("f_sen_rec", 0.0),))
    old = _run(_without_mechanism(load_qsp()))
    for col in ("C", "Se", "Sl", "Sd", "D", "T8", "V_T"):
        np.testing.assert_allclose(new[col], old[col], rtol=1e-4, err_msg=col)
    # and with recognition on, the lesion differs: the mechanism acts
    on = _course()
    assert abs(on["Sd"].iloc[-1] - old["Sd"].iloc[-1]) > 1e-3 * old["Sd"].iloc[-1]
