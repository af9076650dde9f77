"""Write the transplanted mouse tumours' start states (session 26, xeno; model/mouse_transplant).

The model layer does not simulate, so the untreated host's course from the inoculum to the
treatment start (``MOUSE_TREATMENT_START``) is simulated here, once per fitted line and CD8 status
used by ``TRANSPLANT_CONTEXTS``, and stored in ``model/mouse_transplant_start.json``; a test
re-simulates and compares. Rerun after any change of the mouse model or its fits:

    python scripts/transplant_start_states.py
"""

from __future__ import annotations

import argparse
import json
import math

from senotwin._io import atomic_write_text
from senotwin.model.mouse_transplant import (
    START_STATES,
    TRANSPLANT_CONTEXTS,
    start_key,
    start_simulation,
    transplant_line,
)
from senotwin.model.qsp import load_mouse_qsp
from senotwin.sim.simulate import simulate


def _end_state(line: str, deficient: bool, c0: float | None = None) -> dict[str, float]:
    spec = load_mouse_qsp()
    res = simulate(
        spec,
        **start_simulation(line, deficient, c0),
        engine="fast",
        check_ranges=False,
        throw=True,
    )
    last = res.table.iloc[-1]
    return {s: float(last[s]) for s in spec.species_ids} | {"V_T": float(last["V_T"])}


def size_matched_inoculum(line: str, *, iterations: int = 60) -> float:
    """Inoculum of an immunodeficient host whose lesion reaches the immunocompetent host's
    treatment-start volume (bisection on log inoculum; growth is monotone in it)."""
    target = _end_state(line, False)["V_T"]
    lo, hi = math.log(1.0), math.log(_end_state(line, False)["C"] * 10.0)
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        if _end_state(line, True, math.exp(mid))["V_T"] < target:
            lo = mid
        else:
            hi = mid
    return math.exp(0.5 * (lo + hi))


def inocula() -> dict[str, float]:
    """The size-matched inoculum of every immunodeficient start the registered contexts use."""
    return {
        start_key(transplant_line(tissue), True): size_matched_inoculum(transplant_line(tissue))
        for tissue, _inducer, deficient in TRANSPLANT_CONTEXTS
        if deficient
    }


def start_states(c0s: dict[str, float] | None = None) -> dict[str, dict[str, float]]:
    """Every start state the registered contexts use, by ``start_key`` (``c0s``: inocula by
    key, the stored ones when None)."""
    spec = load_mouse_qsp()
    out: dict[str, dict[str, float]] = {}
    for tissue, _inducer, deficient in TRANSPLANT_CONTEXTS:
        line = transplant_line(tissue)
        key = start_key(line, deficient)
        if key in out:
            continue
        c0 = None if c0s is None else c0s.get(key)
        state = _end_state(line, deficient, c0)
        out[key] = {s: state[s] for s in spec.species_ids}
    return out


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    c0s = inocula()
    payload = {
        "what": "state of the untreated mouse host at the treatment start, per fitted line and "
        "CD8 status (scripts/transplant_start_states.py); inocula: an immunodeficient host's, "
        "size-matched to the immunocompetent host's treatment-start volume",
        "inocula": c0s,
        "states": start_states(c0s),
    }
    atomic_write_text(START_STATES, json.dumps(payload, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(payload['states'])} start states to {START_STATES.name}")


if __name__ == "__main__":
    main()
