"""A second syngeneic context: MC38 colon adenocarcinoma in C57BL/6 mice under anti-PD-L1 and
anti-PD-L1 + anti-TGF-beta (Mariathasan 2018 Extended Data Fig. 5n; scenarios ``mouse_mc38_*``).

Only what distinguishes the tumour is MC38's own: its growth rate and inoculum, fitted on the
isotype arm alone (``senotwin calibrate --problem mariathasan2018_mc38``). Everything the immune
arm does — killing, antigen presentation, PD-L1 per cell, the TGF-beta brake — keeps the values
calibrated on EMT6 (``MOUSE_EMT6_FIT``), so the anti-PD-L1 and combination arms are predictions
of the EMT6-calibrated immune parameters in another tumour, not fits.
"""

from __future__ import annotations

from types import MappingProxyType

from senotwin._errors import ValidationError
from senotwin.model.qsp import (
    MOUSE_DAYS,
    MOUSE_TREATMENT_START,
    load_mouse_qsp,
    mouse_initial,
    mouse_params,
)
from senotwin.model.scenarios import Scenario

MC38_REFERENCE = (
    "Mariathasan et al. 2018 Nature 554:544, Extended Data Fig. 5n (MC38 under anti-PD-L1 / "
    "anti-TGF-beta; data in senotwin.calibrate data/mariathasan2018)"
)
#: arms of the MC38 study (ED Fig. 5n) -> the EMT6 arm with the same antibodies and doses
MC38_ARMS: dict[str, str] = {
    "isotype": "isotype",
    "anti_pdl1": "anti_pdl1",
    "combination": "combination",
}
#: net in vivo volume doubling of subcutaneous MC38 tumours, ~4 days (docs/quantitative-
#: sources.yaml ``mc38_doubling_labcorp``): the check on the fitted isotype growth
MC38_DOUBLING_DAYS_CITED = 4.0
#: MC38 growth, fitted on the isotype arm of ED Fig. 5n only (``mariathasan2018_mc38``); the
#: lesion cap C_max keeps the EMT6 value (the isotype arm is used only to day 10, ~950 mm3,
#: far below any plateau, so it cannot inform a cap)
MOUSE_MC38_FIT: dict[str, float] = {
    "k_grow": 0.213970,  # 1/day (95% profile interval 0.196-0.233; session 36 refit)
}
#: MC38 cells taking at inoculation (fitted with MOUSE_MC38_FIT: sets the volume at day 0 of
#: the study, ~165 mm3 in every arm); 95 % profile 4.39e5-1.32e6 (session 36 refit)
MOUSE_MC38_C0 = 7.68833e05


def mc38_params(arm: str = "isotype", fit: dict[str, float] | None = None) -> dict[str, float]:
    """Parameter overrides of an MC38 arm: the mouse host and EMT6-calibrated immune values, the
    antibody doses of the arm (the paper gives MC38 the EMT6 schedule and doses: assumed, the
    MC38 sheet does not restate them), and MC38's own growth. TGF-beta secretion keeps the EMT6
    ELISA value (MC38 TGF-beta protein is not reported in the paper: assumed)."""
    if arm not in MC38_ARMS:
        raise ValidationError(f"unknown MC38 arm {arm!r}; known: {', '.join(MC38_ARMS)}")
    return mouse_params(MC38_ARMS[arm]) | (MOUSE_MC38_FIT if fit is None else fit)


def mc38_initial(c0: float | None = None) -> dict[str, float]:
    """State at inoculation: MC38 cells only."""
    return mouse_initial(MOUSE_MC38_C0 if c0 is None else c0)


def mc38_scenario(arm: str) -> Scenario:
    """Scenario ``mouse_mc38_<arm>``: inoculation at time 0, treatment from the study's day 0."""
    return Scenario(
        f"mouse_mc38_{arm}",
        f"QSP model, mouse host: MC38 tumour, {arm.replace('_', ' ')} arm of Mariathasan 2018 "
        f"ED Fig. 5n (growth fitted on the isotype arm; immune values calibrated on EMT6; "
        f"treatment from day {MOUSE_TREATMENT_START:g})",
        load_mouse_qsp,
        MappingProxyType(mc38_params(arm)),
        MappingProxyType(mc38_initial()),
        MOUSE_DAYS,
        reference=MC38_REFERENCE,
        check_ranges=False,  # mouse volumes and cell numbers are outside the human ranges
    )


def mc38_scenarios() -> tuple[Scenario, ...]:
    """Every ``mouse_mc38_*`` scenario."""
    return tuple(mc38_scenario(arm) for arm in MC38_ARMS)
