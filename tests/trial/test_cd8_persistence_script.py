"""scripts/cd8_persistence.py: the read-outs at day 0 are the entry amounts over the lesion, and
the table's Spearman follows the factor (a read-out that copies it gives +1, one that reverses
it -1)."""

from __future__ import annotations

import pandas as pd
import pytest

from senotwin.sim.scenario import prepare_scenario
from tests.scripts_loader import load_script

SCENARIO = "aged_lung_untreated"


def test_readouts_at_entry_are_the_initial_cd8_over_the_lesion() -> None:
    script = load_script("cd8_persistence")
    setup = prepare_scenario(SCENARIO)
    init = {sp.id: sp.initial for sp in setup.spec.species} | dict(setup.initial)
    rho = setup.params.get("rho_cell", setup.spec.parameter("rho_cell").value)
    patients = [({}, {"T8": init["T8"] * f, "T8x": init["T8x"] * f}) for f in (3.0, 1 / 3)]
    runs = script.courses(SCENARIO, script.PEMBRO, patients)
    for arm in ("untreated", "anti-PD-1"):
        day0 = runs[arm][runs[arm]["day"] == 0].set_index("patient")
        cells = sum(init[k] for k in ("C", "Ci", "Se", "Sl", "Sd"))
        volume = (cells + init["D"]) / rho
        for i, (_, start) in enumerate(patients):
            assert day0.loc[i, "cd8_per_ml"] == pytest.approx(
                (start["T8"] + start["T8x"]) / volume, rel=1e-3
            )
            assert day0.loc[i, "exh_per_cell"] == pytest.approx(start["T8x"] / cells, rel=1e-3)
        assert set(runs[arm]["day"]) == set(script.DAYS)


def test_persistence_table_follows_the_factor(capsys: pytest.CaptureFixture[str]) -> None:
    script = load_script("cd8_persistence")
    factor = pd.Series([0.5, 1.0, 2.0, 4.0])
    rows = [
        {"patient": i, "day": d, "cd8_per_ml": f, "eff_per_cell": -f, "exh_per_cell": f}
        for d in script.DAYS
        for i, f in enumerate(factor)
    ]
    script.persistence("toy", factor, {"untreated": pd.DataFrame(rows)})
    out = capsys.readouterr().out
    assert "| untreated | 42 | +1.00 | -1.00 | +1.00 |" in out
