"""The session-16 stromal set-up rule stays true when the host presets change.

Cases that override ``s_rs`` (senescent stromal influx) copy a host's own entry (model AGES; the
mouse host's MOUSE_HOST for a case on a mouse scenario, session 26), optionally plus the
co-transplant stand-in of 1e6 cells/day; a literal that no longer matches the host would
silently set a different host than the case's note says.
"""

from __future__ import annotations

import yaml

from senotwin.analysis.validation.load import cases_path
from senotwin.model.qsp import AGES, MOUSE_HOST

STAND_IN = 1.0e6  # co-transplanted senescent fibroblasts (Liu-Hornsby, Gabasa), cells/day


def _s_rs_overrides() -> list[tuple[str, float, bool]]:
    """(case, s_rs, whether the case runs on a mouse scenario) for every s_rs override."""
    data = yaml.safe_load(cases_path().read_text())
    found = []
    for case in data["cases"]:
        mouse = str((case.get("system") or {}).get("scenario") or "").startswith("mouse_")
        for arm in ("control", "perturbed"):
            params = (case.get(arm) or {}).get("params") or {}
            if "s_rs" in params:
                found.append((case["id"], float(params["s_rs"]), mouse))
    return found


def test_every_s_rs_override_is_a_host_entry_or_entry_plus_stand_in() -> None:
    human = {a["s_rs"] for a in AGES.values()} | {a["s_rs"] + STAND_IN for a in AGES.values()}
    mouse = {MOUSE_HOST["s_rs"], MOUSE_HOST["s_rs"] + STAND_IN}
    overrides = _s_rs_overrides()
    assert len(overrides) >= 10  # the rule covers the stromal cases; an empty scan tests nothing
    stale = [
        (cid, v)
        for cid, v, on_mouse in overrides
        if not any(abs(v - x) < 1.0 for x in (mouse if on_mouse else human))
    ]
    assert not stale, f"s_rs overrides not derived from the host's entry: {stale}"


def test_every_aged_arm_on_a_young_system_carries_the_whole_aged_preset() -> None:
    """An arm that turns a young system aged (it sets the aged naive pool) sets every value of
    the aged preset: a preset entry left out would keep the young host's value there (session 20:
    APC_T joined AGES; session 14: nk_age)."""
    data = yaml.safe_load(cases_path().read_text())
    aged = AGES["aged"]
    arms = [
        (case["id"], (case.get(arm) or {}).get("params") or {})
        for case in data["cases"]
        if (case.get("system") or {}).get("host_age") == "young"
        for arm in ("control", "perturbed")
    ]
    aged_arms = [(cid, p) for cid, p in arms if p.get("naive_age") == aged["naive_age"]]
    assert len(aged_arms) >= 3  # guo, lian, fane, host plasma: an empty scan tests nothing
    short = [
        (cid, k)
        for cid, p in aged_arms
        for k, v in aged.items()
        if k not in p or abs(float(p[k]) - v) > 1e-9 * max(abs(v), 1.0)
    ]
    assert not short, f"aged arms missing or differing from model AGES['aged']: {short}"
