"""Transplanted mouse tumours (xenograft, syngeneic, co-injection) as mouse experiments
(scenarios ``mouse_transplant_<tissue>_<inducer>[_immunodeficient]``; session 26, issue 14).

A literature case drawn from a tumour transplanted into mice runs on the mouse host, not on a
26.7 mL human lesion: the mouse model (``load_mouse_qsp``, no antibody dosed), the host and the
EMT6-calibrated immune values (as ``mouse_vaccine``), growth *assumed to carry* from the
project's fitted mouse lines (colon -> MC38, every other tissue -> EMT6: no other line has a
fit), and the Mariathasan schedule: inoculation, then the case's day 0 at the treatment start
``MOUSE_TREATMENT_START``, from the host's own untreated course to that day (CD8 blocked in it
for an immunodeficient host, whose arms block CD8 as well; since session 28 an immunodeficient
host starts from the smaller inoculum that gives the immunocompetent host's treatment-start
volume, as studies randomise by size). The inducer acts as in the human
context of the case's tissue (``INDUCERS``; chemotherapy sensitivity by ``chemo_sensitivity``).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from types import MappingProxyType

from senotwin._errors import ValidationError
from senotwin.model.mouse_mc38 import MOUSE_MC38_C0, mc38_params
from senotwin.model.qsp import (
    INDUCER_LABELS,
    INDUCER_TEXT,
    INDUCERS,
    MOUSE_EMT6_C0,
    MOUSE_TREATMENT_START,
    chemo_sensitivity,
    load_mouse_qsp,
    load_qsp,
    mouse_initial,
    mouse_params,
)
from senotwin.model.scenarios import Scenario

TRANSPLANT_REFERENCE = (
    "Mariathasan et al. 2018 Nature 554:544 (EMT6 and MC38 fits, host and schedule); growth "
    "assumed to carry to the transplanted line; inducers as the human contexts (model/qsp.py)"
)
#: read-out window of a transplant scenario run on its own (the cases set their own days)
TRANSPLANT_DAYS = 60.0
#: (tissue, inducer, immunodeficient) of the registered scenarios: the contexts of the cases
#: drawn from transplanted tumours; ``transplant_scenario`` builds any other whose line
#: and CD8 status have a stored start state
TRANSPLANT_CONTEXTS: tuple[tuple[str, str, bool], ...] = (
    ("breast", "none", True),
    ("breast", "chronic", True),
    ("breast", "chemo", True),
    ("lung", "none", True),
    ("lung", "chemo", True),
    ("lung", "cdk46i", True),
    ("melanoma", "cdk46i", True),
    ("lung", "none", False),
    ("lung", "chemo", False),
    ("colorectal", "none", False),
    ("melanoma", "none", False),  # session 30: the consistency case demeule_th1902_* (B16-F10)
)


def transplant_line(tissue: str) -> str:
    """The fitted mouse line whose growth a transplanted ``tissue`` tumour is assumed to carry."""
    return "mc38" if tissue == "colorectal" else "emt6"


def _host(line: str) -> dict[str, float]:
    """Mouse host, EMT6-calibrated immunity and the line's fitted growth, no antibody dosed."""
    return mc38_params("isotype") if line == "mc38" else mouse_params("isotype")


#: the untreated hosts' states at the treatment start, simulated once by
#: ``scripts/transplant_start_states.py`` (the model layer does not simulate; a test re-simulates)
START_STATES = Path(__file__).with_name("mouse_transplant_start.json")


def start_key(line: str, immunodeficient: bool) -> str:
    """Key of a start state in ``START_STATES``: the line and the host's CD8 status."""
    return f"{line}_{'immunodeficient' if immunodeficient else 'immunocompetent'}"


@cache
def _start_states() -> dict[str, dict[str, float]]:
    return json.loads(START_STATES.read_text())["states"]


@cache
def _inocula() -> dict[str, float]:
    """Inocula other than the line's fitted one (session 28: size-matched immunodeficient hosts)."""
    return json.loads(START_STATES.read_text()).get("inocula", {})


def _start_state(line: str, immunodeficient: bool) -> MappingProxyType[str, float]:
    """State at the treatment start: the untreated host's course from the line's inoculum."""
    states = _start_states()
    key = start_key(line, immunodeficient)
    if key not in states:
        raise ValidationError(
            f"transplanted tumour start state {key!r} is not stored; allowed: {sorted(states)} "
            "(add the context to TRANSPLANT_CONTEXTS and run scripts/transplant_start_states.py)"
        )
    return MappingProxyType(states[key])


def start_simulation(line: str, immunodeficient: bool, c0: float | None = None) -> dict:
    """Arguments of ``sim.simulate`` that give a start state (used by the script and its test):
    from the line's fitted inoculum, or for an immunodeficient host the stored smaller one that
    reaches the immunocompetent host's treatment-start volume (studies randomise by size)."""
    if c0 is None:
        c0 = _inocula().get(start_key(line, immunodeficient))
    if c0 is None:
        c0 = MOUSE_MC38_C0 if line == "mc38" else MOUSE_EMT6_C0
    return {
        "params": _host(line),
        "initial": mouse_initial(c0),
        "blocks": {"CD8_T_CELL": 1.0} if immunodeficient else None,
        "t_end": MOUSE_TREATMENT_START,
    }


def transplant_params(tissue: str, inducer: str) -> dict[str, float]:
    """Host and growth of the line, the inducer's overrides, chemotherapy scaled as the tissue's."""
    params = _host(transplant_line(tissue))
    if (factor := chemo_sensitivity(tissue)) != 1.0:
        spec = load_qsp()
        params |= {k: spec.parameter(k).value * factor for k in ("k_cyto", "k_tis")}
    return params | INDUCERS[inducer][0]


def transplant_scenario(tissue: str, inducer: str, *, immunodeficient: bool) -> Scenario:
    """Scenario ``mouse_transplant_<tissue>_<inducer label>[_immunodeficient]``."""
    line = transplant_line(tissue)
    host = "immunodeficient" if immunodeficient else "immunocompetent"
    label = INDUCER_LABELS.get(inducer, inducer)
    initial = dict(_start_state(line, immunodeficient)) | INDUCERS[inducer][1]
    return Scenario(
        f"mouse_transplant_{tissue}_{label}{'_immunodeficient' if immunodeficient else ''}",
        f"QSP model, mouse host ({host}): transplanted {tissue} tumour growing as "
        f"{line.upper()} (assumed to carry), day 0 = treatment start {MOUSE_TREATMENT_START:g} "
        f"days after inoculation, {INDUCER_TEXT[inducer]}",
        load_mouse_qsp,
        MappingProxyType(transplant_params(tissue, inducer)),
        MappingProxyType(initial),
        TRANSPLANT_DAYS,
        reference=TRANSPLANT_REFERENCE,
        check_ranges=False,  # mouse volumes, growth and cell numbers are outside the human ranges
    )


def transplant_scenarios() -> tuple[Scenario, ...]:
    """Every registered ``mouse_transplant_*`` scenario (``TRANSPLANT_CONTEXTS``)."""
    return tuple(transplant_scenario(t, i, immunodeficient=d) for t, i, d in TRANSPLANT_CONTEXTS)
