"""scripts/liu2019_trait_tertiles.py: the observed split by mutation load, and the fit's virtual
patients by trait tertile within each seed's cohort."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.scripts_loader import load_script


def test_observed_counts_responders_by_mutation_tertile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = load_script("liu2019_trait_tertiles")
    (tmp_path / "ici").mkdir()
    table = pd.DataFrame(
        {
            "recist": ["PD", "SD", "PR", "PD", "CR", "PR", "NE"],
            "nonsyn_muts": [10, 20, 30, 40, 50, 60, 70],
        }
    )
    table.to_csv(tmp_path / "ici" / "liu_clinical.csv.gz", index=False)
    script.observed(tmp_path)
    out = capsys.readouterr().out
    # six evaluable patients (NE left out), two per tertile: 0, 1 and 2 responders
    assert "Liu 2019 (n 6): responders by nonsynonymous-mutation tertile 0/2, 1/2, 2/2" in out


def test_simulated_reads_the_stored_fit_on_small_cohorts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    script = load_script("liu2019_trait_tertiles")
    record = script.stored_fit()
    monkeypatch.setattr(
        script, "stored_fit", lambda: {**record, "virtual_patients": 6, "seeds": [0, 1]}
    )
    script.simulated()
    out = capsys.readouterr().out
    assert "liu2019 fit (seeds [0, 1]," in out
    for label in script.TRAITS.values():
        assert f"tertile of {label}: " in out
