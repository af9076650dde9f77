"""The shipped Mariathasan 2018 table: shape, values read from the workbook, the held-back split."""

from __future__ import annotations

from pathlib import Path

import pytest

from senotwin._errors import ValidationError
from senotwin.calibrate.mouse_data import FITTED, HELD_BACK, mariathasan2018

XLSX = (
    Path(__file__).resolve().parents[2]
    / "../shared/data/preclinical/mariathasan2018_preclinical_tumour_volumes.xlsx"
)


def test_table_has_every_arm_with_ten_mice() -> None:
    table = mariathasan2018()
    counts = table.groupby(["panel", "arm"])["mouse"].nunique()
    assert len(counts) == 9
    assert set(counts) == {10}
    assert (table["volume_mm3"] > 0).all()


def test_values_as_read_from_the_workbook() -> None:
    table = mariathasan2018().set_index(["panel", "arm", "mouse", "day"])["volume_mm3"]
    assert table[("Fig. 4a", "isotype", 1, 0)] == pytest.approx(209.0667)
    assert table[("Fig. 4a", "anti_pdl1", 9, 39)] == 8  # a regressed tumour at the floor
    assert table[("Extended Data Fig. 5i", "combination_cd8_depleted", 1, 10)] == pytest.approx(
        2375.2, abs=0.1
    )


def test_floor_placeholders_are_flagged() -> None:
    table = mariathasan2018()
    floor = table[table["at_floor"] == 1]["volume_mm3"]
    assert set(floor) == {4.0, 8.0, 32.0}
    assert (table.loc[table["arm"] == "isotype", "at_floor"] == 0).all()


def test_fitted_and_held_back_parts_are_disjoint() -> None:
    fitted = mariathasan2018(part="fitted")
    held = mariathasan2018(part="held_back")
    assert set(zip(fitted["panel"], fitted["arm"], strict=True)) == set(FITTED)
    assert set(zip(held["panel"], held["arm"], strict=True)) == set(HELD_BACK)
    assert "combination" not in set(fitted["arm"])


def test_unknown_part_is_rejected() -> None:
    with pytest.raises(ValidationError, match="part must be"):
        mariathasan2018(part="train")


@pytest.mark.skipif(not XLSX.exists(), reason="shared data folder not present")
def test_extraction_script_reproduces_the_shipped_table(tmp_path: Path, monkeypatch) -> None:
    from tests.scripts_loader import load_script

    module = load_script("extract_mariathasan2018")
    monkeypatch.setattr(module, "OUT", tmp_path / "out.csv")
    monkeypatch.setattr(module, "OUT_ENDPOINTS", tmp_path / "endpoints.csv")
    assert module.main(["x", str(XLSX)]) == 0
    shipped = Path(__file__).resolve().parents[2] / "src/senotwin/calibrate/data/mariathasan2018"
    assert (tmp_path / "out.csv").read_text() == (shipped / "tumour_volumes.csv").read_text()
    assert (tmp_path / "endpoints.csv").read_text() == (shipped / "endpoints.csv").read_text()


def test_endpoint_table_as_read_from_the_workbook() -> None:
    """endpoints.csv: per-mouse flow folds and day-7 weights, study labels carried down."""
    import pandas as pd

    path = Path(__file__).resolve().parents[2] / (
        "src/senotwin/calibrate/data/mariathasan2018/endpoints.csv"
    )
    table = pd.read_csv(path)
    n = table.groupby(["quantity", "arm"]).size()
    assert n[("cd8_t_cells", "isotype")] == 14 and n[("cd8_t_cells", "anti_pdl1")] == 15
    assert set(n.loc["tumour_weight_day7"]) == {28}
    assert n[("complete_regressions", "combination")] == 6  # one value per study
    rows = table.set_index(["quantity", "study", "arm", "replicate"])["value"]
    assert rows[("cd8_t_cells", "15-3060", "isotype", 1)] == 0.66
    assert rows[("cd8_t_cells", "16-3478 A", "anti_pdl1", 5)] == 0.24
    assert rows[("tumour_weight_day7", "16-1886 D", "isotype", 1)] == 513.9
    assert rows[("treg_cells", "16-3478 A", "combination", 5)] == 1.23
    units = table.groupby("quantity")["unit"].first()
    assert units["tumour_weight_day7"] == "mg" and units["complete_regressions"] == "%"
    assert units["cd8_t_cells"] == "fold of the study's isotype mean"
    # the sheet's own medians (Fig S5h statistics block)
    weights = table[table["quantity"] == "tumour_weight_day7"].groupby("arm")["value"].median()
    assert weights["isotype"] == 325.5 and weights["combination"] == 199.0


def test_cd8_depletion_script_rates_as_documented() -> None:
    """scripts/cd8_depletion_effect.py gives the docs/validation.md session-14 rates: depleted EMT6
    grows faster than isotype, which grows faster than the non-depleted combination."""
    from tests.scripts_loader import load_script

    module = load_script("cd8_depletion_effect")
    iso = module.rates("Fig. 4a", "isotype", 8.0)
    dep = module.rates("Extended Data Fig. 5i", "combination_cd8_depleted", 8.0)
    combo = module.rates("Extended Data Fig. 5i", "combination", 8.0)
    assert len(iso) == len(dep) == 10
    assert iso.mean() == pytest.approx(0.147, abs=0.0015)
    assert dep.mean() == pytest.approx(0.261, abs=0.0015)
    assert dep.mean() > iso.mean() > combo.mean()
