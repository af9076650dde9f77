"""The library-trial report section: simulated beside published, misses highlighted, KM figure."""

from __future__ import annotations

import numpy as np
import pandas as pd

from senotwin.report.trial_sections import library_trial_section
from senotwin.trial.library import get_trial
from senotwin.trial.run import TrialOutcome, compare_trial


def _outcome() -> TrialOutcome:
    trial = get_trial("impower133")
    rng = np.random.default_rng(0)
    recs = [
        {
            "patient": i,
            "arm": arm,
            "status": "success",
            "best_response": "PR" if i % 3 else "PD",
            "pfs_days": float(rng.exponential(300.0)),
            "pfs_event": True,
            "os_days": float(rng.exponential(900.0)),
            "os_event": True,
        }
        for arm in ("cp_et", "atezo")
        for i in range(30)
    ]
    rows = pd.DataFrame(recs)
    return TrialOutcome(trial, rows, compare_trial(trial, rows), b"\x89PNG\r\n\x1a\nfake")


def test_section_sets_simulated_beside_published() -> None:
    section = library_trial_section(_outcome())
    table = section.tables[0]
    assert table.columns[3].startswith("simulated") and table.columns[4].startswith("published")
    itt = [r for r in table.rows if r[0] == "ITT"]
    orr = next(r for r in itt if r[2] == "ORR (%, confirmed)" and "atezolizumab" in r[1])
    assert orr[4] == "60.2" and orr[3].startswith("66.7 (")
    at = next(r for r in itt if r[2].startswith("PFS at median") and "atezolizumab" in r[1])
    assert at[4] == "50.0" and "published 5.2 months" in at[2]  # the curve at 5.2: 50 % if matched
    hr = next(r for r in table.rows if r[2].startswith("HR OS"))
    assert hr[4] == "0.70 (0.54-0.91)"
    # medians of ~10 months simulated vs 4.3-5.2 published: outside, highlighted
    assert table.highlight and all(table.rows[k][5] == "outside" for k in table.highlight)
    assert "both arms are predictions" in section.intro and "30 virtual patients" in section.intro
    assert section.figures[0].name == "library_trial_km.png"
    assert any("small-cell" in n for n in section.notes)


def test_section_without_a_trial_says_so() -> None:
    section = library_trial_section(None)
    assert "No library trial" in section.intro and not section.tables
