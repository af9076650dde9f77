"""One convention for the CLI's JSON: an interval is ``<name>_low`` / ``<name>_high``
(``ci_low`` / ``ci_high`` for a row's own estimate) and counts by two keys nest. It was
``low``/``high`` (sensitivity), ``hr_lower``/``hr_upper`` and ``[low, high]`` lists named
``*_ci`` (trial independence, trial heldback), and ``"arm/status"`` keys (cohort summary)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from senotwin.cli.app import app
from tests.cli.test_bad_input_sim import _cohort_dir

OTHER_STYLES = ("low", "high", "lower", "upper")


def other_interval_keys(value: Any, where: str = "") -> list[str]:
    """Keys of ``value`` (nested) that write an interval another way than ``_low``/``_high``."""
    bad: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            key = str(k)
            here = f"{where}.{key}"
            pair = isinstance(v, list) and len(v) == 2 and key.endswith("_ci")
            if key in OTHER_STYLES or key.endswith(("_lower", "_upper")) or pair:
                bad.append(here)
            if key != "units":
                bad += other_interval_keys(v, here)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            bad += other_interval_keys(v, f"{where}[{i}]")
    return bad


def test_the_checker_finds_each_other_style() -> None:
    record = {"a": [{"low": 1, "high": 2}], "hr_lower": 1, "x_ci": [1, 2], "ok_low": 1}
    assert other_interval_keys(record) == [".a[0].low", ".a[0].high", ".hr_lower", ".x_ci"]
    assert other_interval_keys({"published_in_sim_ci": True, "units": {"low": "x"}}) == []


def test_cohort_summary_nests_status_counts_by_arm(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["cohort", "summary", _cohort_dir(tmp_path), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["statuses"] == {"control": {"success": 4}, "ici": {"success": 4}}
    assert other_interval_keys(data) == []
    assert "median_pfs_low" in data["arms"][0] and "hr_pfs_high" in data["arms"][1]


def test_sensitivity_json_names_the_sobol_interval_ci_low_ci_high() -> None:
    args = ["sensitivity", "--param", "k_grow", "--param", "k_ld", "--method", "sobol"]
    r = CliRunner().invoke(app, [*args, "--n", "8", "--days", "10", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert other_interval_keys(data) == []
    row = data["ranking"][0]
    assert row["ci_low"] <= row["index"] <= row["ci_high"]


def test_heldback_medians_carry_their_observed_interval_as_low_and_high() -> None:
    from senotwin.trial.ici_data import cohort
    from senotwin.trial.ici_fit import compare_cohort
    from senotwin.trial.ici_transfer import TRANSFER_UNITS, split_intervals

    obs = cohort("padron")
    sim = {"orr": 0.0, "n": 25, "recist": {}, "tertiles": [], "pfs": obs["pfs"], "os": obs["os"]}
    out = compare_cohort(sim, obs, "padron", "regimen")
    low, high = out["median_os_obs_ci"]
    split_intervals(out)
    assert (out["median_os_obs_low"], out["median_os_obs_high"]) == (low, high)
    shown = {k: v for k, v in out.items() if k != "sim"}  # as `trial heldback --json` prints
    assert other_interval_keys(shown) == []
    assert {"median_os_obs_low", "median_pfs_obs_high"} <= set(TRANSFER_UNITS)
