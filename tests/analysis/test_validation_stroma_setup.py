"""The session-16 stromal set-up rule stays true when the host presets change.

Cases that override ``s_rs`` (senescent stromal influx) copy a host's own age entry (model AGES),
optionally plus the co-transplant stand-in of 1e6 cells/day; a literal that no longer matches
AGES would silently set a different host than the case's note says.
"""

from __future__ import annotations

import yaml

from senotwin.analysis.validation.load import cases_path
from senotwin.model.qsp import AGES

STAND_IN = 1.0e6  # co-transplanted senescent fibroblasts (Liu-Hornsby, Gabasa), cells/day


def _s_rs_overrides() -> list[tuple[str, float]]:
    data = yaml.safe_load(cases_path().read_text())
    found = []
    for case in data["cases"]:
        for arm in ("control", "perturbed"):
            params = (case.get(arm) or {}).get("params") or {}
            if "s_rs" in params:
                found.append((case["id"], float(params["s_rs"])))
    return found


def test_every_s_rs_override_is_a_host_entry_or_entry_plus_stand_in() -> None:
    allowed = {a["s_rs"] for a in AGES.values()} | {a["s_rs"] + STAND_IN for a in AGES.values()}
    overrides = _s_rs_overrides()
    assert len(overrides) >= 10  # the rule covers the stromal cases; an empty scan tests nothing
    stale = [(cid, v) for cid, v in overrides if not any(abs(v - x) < 1.0 for x in allowed)]
    assert not stale, f"s_rs overrides not derived from model AGES {sorted(allowed)}: {stale}"
