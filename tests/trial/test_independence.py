"""Independent drug action (Palmer 2022): the add-on is derived from the regimens, and the
check tells independence, synergy and antagonism apart on rows whose answer is known."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from senotwin._errors import ValidationError
from senotwin.analysis.survival import kaplan_meier
from senotwin.cli import app
from senotwin.trial.independence import (
    _km_grid,
    add_on_regimen,
    independence,
    independence_png,
    independence_text,
    independence_trial,
)
from senotwin.trial.library import get_trial


def test_the_add_on_is_the_combination_minus_the_control() -> None:
    assert add_on_regimen(get_trial("keynote189"), "pembro") == (
        "pembrolizumab 200 mg iv q21d d0-d714"
    )
    assert add_on_regimen(get_trial("impassion130"), "atezo").startswith("atezolizumab 840 mg")
    assert add_on_regimen(get_trial("impower133"), "atezo").startswith("atezolizumab 1200 mg")
    cut = independence_trial(get_trial("keynote189"), "pembro")
    assert [a.name for a in cut.arms] == ["chemo", "pembro", "pembro_alone", "untreated"]
    assert cut.arms[2].regimen == "pembrolizumab 200 mg iv q21d d0-d714"
    assert cut.arms[3].regimen == "none"
    assert cut.subgroups == ()


def test_an_arm_that_is_not_control_plus_add_on_is_refused_by_name() -> None:
    t = get_trial("keynote189")
    with pytest.raises(ValidationError, match=r"arm 'chemo' \(--arm\).*allowed: pembro"):
        add_on_regimen(t, "chemo")
    other = replace(t.arms[1], regimen="pembrolizumab 200 mg iv q21d d0-d714")
    with pytest.raises(ValidationError, match="lacks the control item"):
        add_on_regimen(replace(t, arms=(t.arms[0], other)), "pembro")
    same = replace(t.arms[1], regimen=t.arms[0].regimen)
    with pytest.raises(ValidationError, match="adds nothing"):
        add_on_regimen(replace(t, arms=(t.arms[0], same)), "pembro")
    # an add-on timed from a control drug cannot run alone
    anchored = replace(
        t.arms[1],
        regimen=t.arms[0].regimen
        + "; pembrolizumab 200 mg iv q21d d0-d42 +7d after last carboplatin",
    )
    with pytest.raises(ValidationError, match="timed after the control drug 'carboplatin'"):
        add_on_regimen(replace(t, arms=(t.arms[0], anchored)), "pembro")
    clash = replace(t, arms=(replace(t.arms[0], name="untreated"), t.arms[1]))
    with pytest.raises(ValidationError, match="clash with the check's own untreated arm"):
        independence_trial(clash, "pembro")
    untreated = replace(t.arms[0], regimen="none")
    with pytest.raises(ValidationError, match="treated control and combination arm"):
        add_on_regimen(replace(t, arms=(untreated, t.arms[1])), "pembro")


def test_the_numpy_kaplan_meier_matches_the_estimator() -> None:
    rng = np.random.default_rng(3)
    days = np.round(rng.exponential(100.0, 300) / 21.0) * 21.0  # scan-day ties
    events = rng.random(300) < 0.8
    km = kaplan_meier(days, events)
    grid = np.arange(0.0, days.max() + 30.0)
    ours = _km_grid(days, events, grid)
    k = np.searchsorted(km.times, grid, side="right") - 1
    ref = np.where(k < 0, 1.0, km.survival[np.clip(k, 0, None)])
    assert np.allclose(ours, ref)


def _rows(combo: str, n: int = 300) -> pd.DataFrame:
    """Control and add-on-alone PFS drawn independently; the combination's PFS is the better of
    the two ('max': independent action), twice it ('double': synergy) or the worse ('min')."""
    rng = np.random.default_rng(7)
    t_c = rng.exponential(180.0, n)
    t_a = rng.exponential(120.0, n)
    t_x = {
        "max": np.maximum(t_c, t_a),
        "double": 2 * np.maximum(t_c, t_a),
        "min": np.minimum(t_c, t_a),
    }[combo]
    recs = []
    for arm, t in (("chemo", t_c), ("pembro", t_x), ("pembro_alone", t_a)):
        for i in range(n):
            recs.append(
                {
                    "patient": i,
                    "arm": arm,
                    "status": "success",
                    "pfs_days": float(min(t[i], 700.0)),
                    "pfs_event": bool(t[i] < 700.0),
                    "best_response": "PR" if t[i] > 300 else "SD",
                }
            )
    return pd.DataFrame(recs)


@pytest.mark.parametrize(
    ("combo", "verdict"),
    [
        ("max", "independent"),
        ("double", "more than independent"),
        ("min", "less than independent"),
    ],
)
def test_the_verdict_reads_the_paired_gain_over_independent_action(
    combo: str, verdict: str
) -> None:
    cut = independence_trial(get_trial("keynote189"), "pembro")
    res = independence(cut, _rows(combo), "pembro", boot=200)
    assert res.verdict == verdict and res.holds == (verdict == "independent")
    if combo == "max":  # the combination is independent action itself
        assert res.rmst_gain_months == pytest.approx(0.0, abs=1e-12)
        assert res.rmst_gain_ci == (0.0, 0.0)
        assert res.hr == pytest.approx(1.0, abs=1e-6)
        assert res.median_pfs_months["pembro"] == res.median_pfs_months["independent action"]
        # drawn independently: the uncorrelated curve predicts the same, up to sampling
        assert abs(res.uncorrelated_rmst_gain_months) < 0.5
        assert abs(res.spearman_singles) < 0.15
    # a patient 'responds to either' when it does in one of the two single arms
    rows = _rows(combo)
    either = (
        rows[rows.arm == "chemo"].best_response.eq("PR").to_numpy()
        | rows[rows.arm == "pembro_alone"].best_response.eq("PR").to_numpy()
    )
    assert res.orr["either"] == pytest.approx(100 * either.mean())
    record = json.loads(json.dumps(res.record()))
    assert record["verdict"] == verdict and "Palmer" in record["source"]
    text = "\n".join(independence_text(res))
    assert verdict in text and ("holds" in text) == (verdict == "independent")
    assert independence_png(res, rows).startswith(b"\x89PNG")


def test_where_the_add_on_acts_reads_its_non_responders_untreated_and_treated() -> None:
    cut = independence_trial(get_trial("keynote189"), "pembro")  # first scan on day 42
    rows = _rows("max")
    alone = rows[rows.arm == "pembro_alone"]
    assert "untreated" not in set(rows.arm)
    assert independence(cut, rows, "pembro", boot=0).nonresponder_first_scan_pd == {}
    # no treatment: every patient progresses on day 30 (before the first scan); on the add-on
    # each keeps its own PFS
    untreated = alone.assign(arm="untreated", pfs_days=30.0, pfs_event=True, best_response="PD")
    res = independence(cut, pd.concat([rows, untreated]), "pembro", boot=0)
    non = alone[~alone.best_response.isin(["CR", "PR"])]
    assert res.alone_nonresponders == len(non) and res.first_scan_day == 42.0
    assert res.nonresponder_first_scan_pd["untreated"] == 100.0
    early = non.pfs_event & (non.pfs_days <= 42.0)
    assert res.nonresponder_first_scan_pd["pembro_alone"] == pytest.approx(100 * early.mean())
    assert res.nonresponder_median_pfs_months["untreated"] == pytest.approx(30 / 30.4375)
    text = "\n".join(independence_text(res))
    assert f"where the add-on acts: in the {len(non)} patients pembro_alone" in text
    assert json.loads(json.dumps(res.record()))["nonresponder_first_scan_pd"]["untreated"] == 100
    # an add-on alone that makes everyone respond leaves no one to read: not a number, no error
    everyone = rows.assign(
        best_response=np.where(rows.arm == "pembro_alone", "PR", rows.best_response)
    )
    res = independence(cut, pd.concat([everyone, untreated]), "pembro", boot=0)
    assert res.alone_nonresponders == 0
    assert math.isnan(res.nonresponder_first_scan_pd["untreated"])
    assert res.record()["nonresponder_median_pfs_months"]["untreated"] is None
    assert "pembro_alone made every patient respond" in "\n".join(independence_text(res))


def test_independence_needs_patients_in_all_three_arms() -> None:
    cut = independence_trial(get_trial("keynote189"), "pembro")
    rows = _rows("max")
    with pytest.raises(ValidationError, match="pembro_alone"):
        independence(cut, rows[rows.arm != "pembro_alone"], "pembro")
    # the control named as the combination said it needed patients in 'chemo', 'chemo' and
    # 'chemo_alone' (audit, session 41)
    with pytest.raises(
        ValidationError, match=r"'chemo' is not a combination arm.*allowed: pembro$"
    ):
        independence(cut, rows, "chemo")


@pytest.mark.usefixtures("in_process_workers")  # tests/conftest.py: why, and what still runs
def test_trial_independence_on_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "ind"
    args = ["trial", "independence", "impower133", "--n", "2", "--workers", "1"]
    res = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "atezo = cp_et + add-on (atezolizumab 1200 mg" in res.output
    data = json.loads((out / "independence.json").read_text())
    assert data["n"] == 2 and data["verdict"] in {
        "independent",
        "more than independent",
        "less than independent",
    }
    assert math.isfinite(data["rmst_gain_months"])
    assert set(data["nonresponder_first_scan_pd"]) <= {"untreated", "atezo_alone"}
    assert (out / "independence.png").read_bytes().startswith(b"\x89PNG")
    res = CliRunner().invoke(app, [*args, "--arm", "cp_et", "--out", str(tmp_path / "bad")])
    assert res.exit_code != 0 and "allowed: atezo" in res.output
    assert not (tmp_path / "bad").exists()


def test_the_record_has_snake_case_keys_not_reached_flags_and_units() -> None:
    """independence.json / `trial independence --json`: the 'independent action' key is
    ``independent_action`` (it had a space), a median not reached is null with its
    ``_not_reached`` flag true (null alone also meant 'no one to read'), and units are given."""
    cut = independence_trial(get_trial("keynote189"), "pembro")
    rows = _rows("max")
    rows = rows.assign(pfs_event=np.where(rows.arm == "pembro", False, rows.pfs_event))
    res = independence(cut, rows, "pembro", boot=0)
    assert math.isinf(res.median_pfs_months["pembro"])  # no progression on the combination
    record = json.loads(json.dumps(res.record()), parse_constant=pytest.fail)
    medians = record["median_pfs_months"]
    assert "independent_action" in medians and "independent action" not in medians
    assert medians["pembro"] is None
    assert record["median_pfs_months_not_reached"]["pembro"] is True
    assert record["median_pfs_months_not_reached"]["chemo"] is False
    assert isinstance(record["uncorrelated_median_months_not_reached"], bool)
    assert record["units"]["orr"] == "% of patients"
    assert record["units"]["median_pfs_months"] == "months"
    # intervals as every JSON of the CLI writes them: <name>_low / <name>_high
    assert {"hr_low", "hr_high", "rmst_gain_low", "either_high"} <= set(record)
    assert not {"hr_lower", "hr_upper", "rmst_gain_ci", "either_ci"} & set(record)
    assert {"rmst_gain_low", "uncorrelated_rmst_gain_high"} <= set(record["units"])
    # 'no one to read' (every patient responds to the add-on alone) stays null, flag false
    untreated = rows[rows.arm == "pembro_alone"].assign(arm="untreated")
    everyone = rows.assign(
        best_response=np.where(rows.arm == "pembro_alone", "PR", rows.best_response)
    )
    res = independence(cut, pd.concat([everyone, untreated]), "pembro", boot=0)
    record = res.record()
    assert record["nonresponder_median_pfs_months"]["untreated"] is None
    assert record["nonresponder_median_pfs_months_not_reached"]["untreated"] is False
