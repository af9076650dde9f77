"""scripts/independence_mechanisms.py: every switch names a model parameter inside its range,
and a switched run reaches the independence check."""

from __future__ import annotations

from types import ModuleType

import pytest

from senotwin.model.scenarios import get_scenario
from senotwin.trial.ici_fit import TRANSFERABLE
from tests.scripts_loader import load_script


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return load_script("independence_mechanisms")


def test_each_switch_is_a_parameter_inside_its_range(script: ModuleType) -> None:
    spec = get_scenario("aged_lung_untreated").load()
    # trial patients carry these from the liu2019 fit, not at the spec's value
    carried = {q.split(".")[0] for q in TRANSFERABLE}
    assert script.SWITCHES["model as shipped"] == ()
    for params in script.SWITCHES.values():
        for pid, value in params:
            lo, hi = spec.parameter(pid).range
            assert lo <= value <= hi
            assert pid in carried or value != spec.parameter(pid).value


def test_a_switched_run_prints_its_gain_over_independent_action(
    script: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    only = ["model as shipped", "no IFN-I to DCs (w_ifn_dc 0)"]
    args = ["--trial", "impower133", "--n", "2", "--workers", "1", "--in-process"]
    assert script.main([*args, "--only", *only]) == 0
    out = capsys.readouterr().out
    assert "impower133: atezo vs independent action of cp_et and atezo_alone" in out
    assert all(any(line.startswith(name + " | ") for line in out.splitlines()) for name in only)
    assert "no dead-cell antigen" not in out


def test_replicates_print_one_gain_per_posterior_draw(
    script: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--trial", "impower133", "--n", "2", "--workers", "1", "--in-process"]
    assert script.main([*args, "--replicates", "2"]) == 0
    out = capsys.readouterr().out
    assert "2 posterior draws" in out
    assert sum(line[:2] in ("0 ", "1 ") for line in out.splitlines()) == 2
    assert "replicates; more than uncorrelated independent action in" in out
