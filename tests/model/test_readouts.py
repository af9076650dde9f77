"""Generic read-outs: one answer per question for a run of either TME model."""

from __future__ import annotations

import pandas as pd
import pytest

from senotwin._errors import ValidationError
from senotwin.model.readouts import LEGACY, QSP, readouts_for
from senotwin.sim.options import SolverOptions
from senotwin.sim.scenario import run_scenario


def test_each_model_run_gets_its_own_readouts() -> None:
    solver = SolverOptions(t_eval=[0.0, 5.0])
    qsp = run_scenario("default", days=5.0, solver=solver).table
    legacy = run_scenario("legacy_default", days=5.0, solver=solver).table
    assert readouts_for(qsp) is QSP
    assert readouts_for(legacy) is LEGACY
    # both burdens in 1e9 cells: the default lesion starts at 5.5e9 cancer cells
    assert QSP.burden(qsp)[0] == pytest.approx(5.5)
    assert QSP.senescent(qsp)[-1] == pytest.approx(
        (qsp["Se"] + qsp["Sl"] + qsp["Sd"]).iloc[-1] / 1e9
    )
    assert LEGACY.burden(legacy)[0] == pytest.approx(legacy["tumour_burden"].iloc[0])


def test_a_table_of_another_model_is_a_clear_error() -> None:
    with pytest.raises(ValidationError, match="is it a run of a TME model"):
        readouts_for(pd.DataFrame({"time": [0.0], "X": [1.0]}))
