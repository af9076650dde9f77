"""Therapy arms over a posterior ensemble: quantiles, pairwise probabilities, 80 % support."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from senotwin._errors import ValidationError
from senotwin.analysis.ensemble_compare import (
    BETTER,
    SUPPORT,
    EnsembleComparison,
    PairwiseClaim,
    compare_arms_ensemble,
    one_per_pair,
    paired_shares,
)
from senotwin.analysis.therapy import METRICS, compare_arms
from senotwin.cli.app import app

CHEMO = "doxorubicin 2 mg/kg iv d0,d7"
ARMS = {"control": "none", "chemo": CHEMO}
SETS = pd.DataFrame(
    {"k_grow": [0.007, 0.009, 0.005], "k_tis": [0.15, 0.10, 0.25], "sigma_noise": [1.0, 2.0, 3.0]}
)


@pytest.fixture(scope="module")
def comparison() -> EnsembleComparison:
    return compare_arms_ensemble("aged_lung_untreated", ARMS, SETS, days=20.0)


def test_paired_shares_count_wins_ties_and_losses_apart() -> None:
    a = np.array([1.0, 2.0, 3.0, 4.0])
    b = np.array([2.0, 2.0, 1.0, 5.0])
    assert paired_shares(a, b, -1) == (0.5, 0.25, 0.25)  # lower is better
    assert paired_shares(a, b, 1) == (0.25, 0.25, 0.5)
    # no progression (inf) in both arms is a tie, not half a win; in one arm it is the better
    assert paired_shares(np.array([math.inf]), np.array([math.inf]), 1) == (0.0, 1.0, 0.0)
    assert paired_shares(np.array([math.inf]), np.array([100.0]), 1) == (1.0, 0.0, 0.0)
    with pytest.raises(ValidationError):
        paired_shares(np.array([]), np.array([]), 1)


def test_ties_are_no_wins_and_do_not_make_a_claim_supported() -> None:
    """Audit s42 (H1): with ties counted half, 13 wins, 7 ties and no loss in 20 read '82 %:
    supported' and all-tied arms '50 %'; a claim now rests on its strict wins."""
    rows = []
    for k in range(20):
        a, b = (2.0, 1.0) if k < 13 else (1.0, 1.0)
        for arm, v in (("pembro", a), ("chemo", b)):
            rows.append({"member": k, "arm": arm} | dict.fromkeys(METRICS, v))
    comp = EnsembleComparison("x", 10.0, ("pembro", "chemo"), pd.DataFrame(rows), ("p",), (), ())
    claims = {c.arm: c for c in comp.claims("time_to_progression")}
    won = claims["pembro"]
    assert (won.wins, won.ties, won.losses) == (0.65, 0.35, 0.0) and not won.supported
    assert won.sentence() == (
        "pembro beats chemo on time_to_progression in 65% of 20 ensemble members (ties 35%, "
        "chemo better 0%; median difference +1): not supported (< 80%)"
    )
    lost = claims["chemo"].to_dict()
    assert lost["win_share"] == 0.0 and lost["loss_share"] == 0.65 and lost["tie_share"] == 0.35
    assert lost["claim"] == "chemo beats pembro" and not lost["supported"]
    assert "probability" not in lost and "better" not in lost
    assert one_per_pair(comp.claims("time_to_progression")) == (won,)
    # all tied: 0 % wins either way (was 50 %), one line for the pair
    tied = _synthetic(0, n=4, tie=True).claims()
    assert all((c.wins, c.ties, c.losses) == (0.0, 1.0, 0.0) for c in tied)
    assert len(one_per_pair(tied)) == 1


def test_a_share_just_under_the_threshold_is_not_printed_as_it() -> None:
    claim = PairwiseClaim("a", "b", "m", 0.795, 0.2, 0.005, 200)
    assert "in 79.5% of 200" in claim.sentence() and "not supported" in claim.sentence()


def test_each_member_is_the_plain_comparison_with_its_parameters(comparison) -> None:
    assert comparison.members == 3 and comparison.failed == ()
    assert comparison.parameters == ("k_grow", "k_tis")
    assert comparison.ignored == ("sigma_noise",)
    one = compare_arms(
        "aged_lung_untreated", ARMS, days=20.0, overrides={"k_grow": 0.009, "k_tis": 0.10}
    )
    member = comparison.values[comparison.values["member"] == 1].set_index("arm")
    for arm in one.arms:
        assert member.loc[arm.name, "final_tumour"] == pytest.approx(arm.final_tumour)
        assert member.loc[arm.name, "sasp_auc"] == pytest.approx(arm.sasp_auc)
    # members differ: the growth rate moves the untreated burden
    control = comparison.values[comparison.values["arm"] == "control"]["final_tumour"]
    assert control.nunique() == 3


def test_summary_quantiles_and_claims(comparison) -> None:
    summary = comparison.summary().set_index(["arm", "metric"])
    v = comparison.values[comparison.values["arm"] == "chemo"]["final_tumour"].to_numpy()
    row = summary.loc[("chemo", "final_tumour")]
    assert row["median"] == pytest.approx(np.median(v))
    assert row["q05"] <= row["median"] <= row["q95"]
    assert set(summary.index.get_level_values("metric")) == set(METRICS)
    claims = {(c.arm, c.other): c for c in comparison.claims()}
    assert claims[("chemo", "control")].wins == 1.0
    wide = comparison.values.pivot(index="member", columns="arm", values="final_tumour")
    assert claims[("chemo", "control")].median_difference == pytest.approx(
        float(np.median(wide["chemo"] - wide["control"]))
    )
    assert claims[("chemo", "control")].median_difference < 0
    assert claims[("chemo", "control")].supported
    assert not claims[("control", "chemo")].supported
    json.dumps(comparison.to_dict())  # JSON-ready (no inf)


def _synthetic(a_better: int, n: int = 10, tie: bool = False) -> EnsembleComparison:
    rows = []
    for k in range(n):
        a, b = (1.0, 2.0) if k < a_better else ((2.0, 2.0) if tie else (3.0, 2.0))
        for arm, v in (("before", a), ("after", b)):
            rows.append({"member": k, "arm": arm} | dict.fromkeys(METRICS, v))
    return EnsembleComparison("x", 10.0, ("before", "after"), pd.DataFrame(rows), ("p",), (), ())


def test_a_sequencing_claim_is_supported_only_in_at_least_80_percent() -> None:
    assert SUPPORT == 0.8
    held = {c.arm: c for c in _synthetic(8).claims()}["before"]
    assert held.wins == 0.8 and held.supported
    assert "supported" in held.sentence() and "not" not in held.sentence()
    weak = {c.arm: c for c in _synthetic(7).claims()}["before"]
    assert weak.wins == 0.7 and not weak.supported
    assert "not supported" in weak.sentence()


def test_bad_ensembles_are_refused() -> None:
    with pytest.raises(ValidationError, match="no parameter of"):
        compare_arms_ensemble("aged_lung_untreated", ARMS, pd.DataFrame({"zz": [1.0]}))
    with pytest.raises(ValidationError, match="finite"):
        compare_arms_ensemble(
            "aged_lung_untreated", ARMS, pd.DataFrame({"k_grow": ["a"]}), days=5.0
        )
    with pytest.raises(ValidationError, match="metric"):
        compare_arms_ensemble("aged_lung_untreated", ARMS, SETS, metric="tumor")
    with pytest.raises(ValidationError, match="max_members"):
        compare_arms_ensemble("aged_lung_untreated", ARMS, SETS, max_members=0)


def test_cli_treat_compare_ensemble(tmp_path) -> None:
    path = tmp_path / "ensemble.tsv"
    SETS.iloc[:2].to_csv(path, sep="\t", index=False)
    base = ["treat", "compare", "--scenario", "aged_lung_untreated", "--days", "10"]
    arms = ["--arm", "control=none", "--arm", f"chemo={CHEMO}"]
    res = CliRunner().invoke(app, [*base, *arms, "--ensemble", str(path)])
    assert res.exit_code == 0, res.output
    assert "2 ensemble members" in res.output
    assert (
        "chemo beats control on final_tumour in 100% of 2 ensemble members (ties 0%, control "
        "better 0%; median difference" in res.output
    )
    assert "): supported" in res.output
    assert "control beats chemo" not in res.output  # one line per pair of arms
    res = CliRunner().invoke(app, [*base, *arms, "--ensemble", str(path), "--json"])
    data = json.loads(res.stdout)
    assert data["members"] == 2
    assert {row["metric"] for row in data["summary"]} == set(data["units"])  # audit s42 M4
    assert data["units"]["tumour_auc"] == "1e9 cells*day"
    bad = tmp_path / "bad.tsv"
    bad.write_text("nothing\n1\n")
    res = CliRunner().invoke(app, [*base, *arms, "--ensemble", str(bad)])
    assert res.exit_code != 0 and "no parameter of" in res.output
    res = CliRunner().invoke(
        app, [*base, *arms, "--ensemble", str(path), "--plot", str(tmp_path / "x.png")]
    )
    assert res.exit_code != 0 and "--plot" in res.output


def test_metric_help_lists_every_metric_with_its_better_direction() -> None:
    """The --metric help named no metric (only the error listed them, audit s42 L10)."""
    res = CliRunner().invoke(app, ["treat", "compare", "--help"], env={"COLUMNS": "400"})
    assert res.exit_code == 0
    text = " ".join(res.stdout.split())
    assert set(BETTER) == set(METRICS)
    for metric, direction in BETTER.items():
        assert f"{metric} ({'higher' if direction > 0 else 'lower'} is better)" in text
