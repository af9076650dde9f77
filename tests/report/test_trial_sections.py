"""The library-trial report section: simulated beside published, misses highlighted, KM figure."""

from __future__ import annotations

from dataclasses import replace

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
            "pd_by": "" if i % 3 else ("new" if i % 2 else "target+new"),
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
    # checks against numbers from outside the trial: a second table, misses highlighted
    checks = section.tables[1]
    assert "checks against cited numbers from outside the trial" in checks.caption
    target = next(r for r in checks.rows if r[0] == "cp_et" and "target lesions grew" in r[1])
    assert target[2].startswith("50.0 (") and target[3] == "52.8 %"  # 5 of 10 progressions
    assert all(checks.rows[k][4] == "outside" for k in checks.highlight)


def test_section_shows_the_combination_against_independent_action() -> None:
    """With the independence check attached, a table of it (the verdict row highlighted when
    the model's combination beats independent action) and its figure follow the KM."""
    from senotwin.trial.independence import independence, independence_trial

    trial = get_trial("impower133")
    cut = independence_trial(trial, "atezo")
    rng = np.random.default_rng(4)
    t_c, t_a = rng.exponential(150.0, 60), rng.exponential(60.0, 60)
    recs = [
        {
            "patient": i,
            "arm": arm,
            "status": "success",
            "best_response": "PR" if t[i] > 200 else "SD",
            "pfs_days": float(t[i]),
            "pfs_event": True,
        }
        for arm, t in (("cp_et", t_c), ("atezo", 3 * np.maximum(t_c, t_a)), ("atezo_alone", t_a))
        for i in range(60)
    ]
    res = independence(cut, pd.DataFrame(recs), "atezo", boot=100)
    assert res.verdict == "more than independent"
    outcome = replace(_outcome(), independence=res, independence_png=b"\x89PNG\r\n\x1a\nfake")
    section = library_trial_section(outcome)
    table = next(t for t in section.tables if "independent drug action" in t.caption)
    assert "Palmer 2022" in table.caption and "atezolizumab 1200 mg" in table.caption
    verdict = table.rows[-1]
    assert verdict == ("verdict (clinically: independent)", "more than independent")
    assert table.highlight == {len(table.rows) - 1}
    assert any(r[0] == "median PFS, independent action (months)" for r in table.rows)
    assert [f.name for f in section.figures] == [
        "library_trial_km.png",
        "library_trial_independence.png",
    ]
    # without it, neither table nor figure
    plain = library_trial_section(_outcome())
    assert not any("independent drug action" in t.caption for t in plain.tables)
    assert len(plain.figures) == 1


def test_section_without_a_trial_says_so() -> None:
    section = library_trial_section(None)
    assert "No library trial" in section.intro and not section.tables


def _prediction(**over: object) -> dict[str, object]:
    """A survival-only held-back prediction shaped as predict_transfer returns it."""
    pred: dict[str, object] = {
        "what": "chemo + anti-PD-1 in a second tissue",
        "n_sim": 141,
        "n_obs": 25,
        "not_compared": {"orr": "no RECIST"},
        "caveats": {"os": "melanoma death hazard"},
        "median_pfs_sim": 11.0,
        "median_pfs_obs": 6.3,
        "median_pfs_obs_low": 5.1,
        "median_pfs_obs_high": 7.8,
        "median_os_sim": None,
        "median_os_obs": 9.9,
        "median_os_obs_low": 8.0,
        "median_os_obs_high": 17.7,
        "landmarks_pfs": [
            {"month": m, "sim": sim, "obs": obs, "obs_se": se}
            | {"obs_low": max(obs - 1.96 * se, 0.0), "obs_high": min(obs + 1.96 * se, 1.0)}
            for m, sim, obs, se in (
                (3.0, 0.96, 0.84, 0.07),
                (6.0, 0.60, 0.557, 0.10),
                (12.0, 0.44, 0.206, 0.085),
            )
        ],  # as ici_fit.landmark_pairs gives them
        "landmarks_os": [],
    }
    return pred | over


def test_heldback_section_sets_simulated_beside_observed_with_the_tail() -> None:
    from senotwin.report.trial_sections import heldback_section

    miao = _prediction(orr_sim=0.576, orr_obs=0.2424, n_obs=33, not_compared={"pfs": "flag"})
    miao["sim"] = {"excluded": 9}  # drawn 150, 9 left out by the plausibility filter
    section = heldback_section({"padron": _prediction(), "miao": miao})
    # the intro says how the simulated count relates to the patients drawn (the CLI's words)
    assert (
        "miao: chemo + anti-PD-1 in a second tissue (141 virtual patients of 150 drawn; 9 left"
        in (section.intro)
    )
    assert "padron: chemo + anti-PD-1 in a second tissue (141 virtual patients, 25" in section.intro
    rows = section.tables[0].rows
    by = {(r[0], r[1]): r for r in rows}
    assert by[("padron", "median PFS (months)")][2:] == ("11.0", "6.3 (5.1-7.8)", "outside")
    # a simulated median not reached lies above a finite observed interval
    assert by[("padron", "median OS (months)")][2] == "not reached"
    assert by[("padron", "median OS (months)")][4] == "outside"
    # landmarks at 6 and 12 months only, judged against the observed 95 % band
    assert by[("padron", "PFS at 6 months (%)")][4] == "inside"
    assert by[("padron", "PFS at 12 months (%)")][4] == "outside"
    assert ("padron", "PFS at 3 months (%)") not in by
    # ORR only where RECIST exists (Wilson interval of 8/33); miao's PFS is not compared
    assert by[("miao", "ORR (%)")][4] == "outside" and ("padron", "ORR (%)") not in by
    assert ("miao", "median PFS (months)") not in by
    assert section.tables[0].highlight == {k for k, r in enumerate(rows) if r[4] == "outside"}
    assert any("melanoma death hazard" in n for n in section.notes)
    assert "no refit" in section.intro and "held back" in section.intro


def test_heldback_section_without_predictions_says_so() -> None:
    from senotwin.report.trial_sections import heldback_section

    section = heldback_section(None)
    assert "No held-back cohort" in section.intro and not section.tables


def test_section_says_which_immune_parameters_the_patients_carried() -> None:
    """Since session 31 the shipped posterior can be stale and 'auto' falls back to the point
    fit: the report says which source the run used and why (the manifest's record)."""
    out = _outcome()
    assert "Immune parameters" not in library_trial_section(out).intro  # no record, no claim
    stale = "the shipped liu2019 posterior was drawn on an earlier model"
    record = {"source": "fit", "requested": "auto", "note": stale}
    intro = library_trial_section(replace(out, immune=record)).intro
    assert "Immune parameters: the liu2019 point fit for every patient" in intro and stale in intro
    drawn = {"source": "posterior", "ensemble": "liu2019_posterior.tsv"}
    intro = library_trial_section(replace(out, immune=drawn)).intro
    assert "one draw per patient of liu2019_posterior.tsv" in intro


def test_section_names_the_arm_codes_its_tables_print() -> None:
    """The checks table and the stand-in notes print 'cp_et' and 'atezo'; the intro says what
    they are (audit find: no line of the report did)."""
    section = library_trial_section(_outcome())
    assert any(r[0] == "cp_et" for r in section.tables[1].rows)
    assert (
        "Arm codes below: cp_et = placebo + carboplatin-etoposide; "
        "atezo = atezolizumab + carboplatin-etoposide." in section.intro
    )
