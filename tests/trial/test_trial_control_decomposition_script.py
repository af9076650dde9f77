"""scripts/trial_control_decomposition.py: each variant changes only what it names, and the
explicit shipped factor reproduces the shipped tissue kill exactly."""

from __future__ import annotations

import pytest

from senotwin.model.qsp import chemo_sensitivity, load_qsp
from tests.scripts_loader import load_script

SCRIPT = load_script("trial_control_decomposition")
KILL = ("k_cyto", "k_tis")


def _centres(cfg: object) -> dict[str, float | None]:
    return {p.parameter: p.centre for p in cfg.population.priors}  # type: ignore[attr-defined]


def test_variant_scales_the_kill_priors_growth_and_arms_only() -> None:
    shipped = SCRIPT.variant_config("impassion130", 4, 0, None, {})
    assert [a.name for a in shipped.arms] == ["nab_pac"]  # the checkpoint arm is dropped
    assert all(_centres(shipped)[k] is None for k in KILL)  # the scenario's (tissue) value
    arms = {"slow": ("protocol", {"pd_chemo_resistance": 0.00193}), "none": ("none", {})}
    nsclc = SCRIPT.variant_config("impassion130", 4, 0, 1.0, arms, growth=0.5)
    base = load_qsp()
    for k in KILL:
        assert _centres(nsclc)[k] == pytest.approx(base.parameter(k).value)
    assert _centres(nsclc)["k_grow"] == pytest.approx(0.5 * _centres(shipped)["k_grow"])
    slow, none = nsclc.arms[1:]
    assert slow.text == shipped.arms[0].text and dict(slow.params) == {
        "pd_chemo_resistance": 0.00193
    }
    assert none.language == "" and none.text == "none"
    untouched = {k: v for k, v in _centres(nsclc).items() if k not in (*KILL, "k_grow")}
    assert untouched == {k: v for k, v in _centres(shipped).items() if k not in (*KILL, "k_grow")}


@pytest.mark.usefixtures("in_process_workers")  # tests/conftest.py: why, and what still runs
def test_explicit_shipped_factor_reproduces_the_shipped_arm() -> None:
    f = chemo_sensitivity("tnbc")
    assert f > 1.0  # the Ki-67 ratio, not NSCLC's 1
    assert SCRIPT.run_variant("impassion130", 3, 0, f, {}, workers=1) == SCRIPT.run_variant(
        "impassion130", 3, 0, None, {}, workers=1
    )
