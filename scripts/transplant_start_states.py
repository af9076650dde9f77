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


def start_states() -> dict[str, dict[str, float]]:
    """Every start state the registered contexts use, by ``start_key``."""
    spec = load_mouse_qsp()
    out: dict[str, dict[str, float]] = {}
    for tissue, _inducer, deficient in TRANSPLANT_CONTEXTS:
        line = transplant_line(tissue)
        key = start_key(line, deficient)
        if key in out:
            continue
        res = simulate(
            spec,
            **start_simulation(line, deficient),
            engine="fast",
            check_ranges=False,
            throw=True,
        )
        last = res.table.iloc[-1]
        out[key] = {s: float(last[s]) for s in spec.species_ids}
    return out


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    payload = {
        "what": "state of the untreated mouse host at the treatment start, per fitted line and "
        "CD8 status (scripts/transplant_start_states.py)",
        "states": start_states(),
    }
    atomic_write_text(START_STATES, json.dumps(payload, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(payload['states'])} start states to {START_STATES.name}")


if __name__ == "__main__":
    main()
