"""MC38 (Mariathasan 2018 Extended Data Fig. 5n) as a calibration problem: the growth of a second
syngeneic tumour fitted on its isotype arm, its anti-PD-L1 and combination arms predicted with
the immune parameters calibrated on EMT6 (``senotwin calibrate --problem mariathasan2018_mc38``).

Held back before fitting (stated in ``data/mariathasan2018/README.md``): both treated MC38 arms.
Only MC38's proliferation ``k_grow``, its inoculum ``C0`` and the noise sd are estimated.
"""

from __future__ import annotations

from types import MappingProxyType

import pandas as pd

from senotwin.calibrate.mouse_data import (
    SIGMA_LOG_VOLUME,
    _measurements,
    mariathasan2018,
    usable,
)
from senotwin.calibrate.problem import FitParameter, Problem, Readout
from senotwin.model.mouse_mc38 import (
    MC38_ARMS,
    MC38_REFERENCE,
    MOUSE_MC38_C0,
    MOUSE_MC38_FIT,
    mc38_initial,
    mc38_params,
)
from senotwin.model.qsp import load_mouse_qsp, mouse_dose_amounts

DATA_SET = "mariathasan2018_mc38"
PANEL = "Extended Data Fig. 5n"
#: arms fitted (growth only) and arms predicted, decided before any MC38 fit
FITTED_ARMS: tuple[str, ...] = ("isotype",)
HELD_BACK_ARMS: tuple[str, ...] = ("anti_pdl1", "combination")
#: fitted MC38 quantities: (id, lower, upper, what it is)
ESTIMATED: tuple[tuple[str, float, float, str], ...] = (
    ("k_grow", 0.05, 1.0, "MC38 proliferation rate (1/day)"),
    ("C0", 1.0e4, 1.0e8, "MC38 cells taking at inoculation (day 0 of the model)"),
    ("sigma_log_volume", 0.05, 5.0, "noise sd of log tumour volume (between mice)"),
)


def mc38_table(arms: tuple[str, ...]) -> pd.DataFrame:
    """Usable per-mouse MC38 rows (>= MIN_MICE on study) of the given arms."""
    table = mariathasan2018()
    part = table[(table["panel"] == PANEL) & table["arm"].isin(arms)]
    return usable(part.reset_index(drop=True))


def mariathasan2018_mc38_problem() -> Problem:
    """MC38 growth on the isotype arm (fitted); anti-PD-L1 and combination predicted with the
    EMT6-calibrated immune parameters (nothing immune is estimated here)."""
    conditions: dict[str, MappingProxyType[str, float | str]] = {}
    for arm in MC38_ARMS:
        overrides: dict[str, float | str] = {"C": "C0"}
        overrides |= mouse_dose_amounts(MC38_ARMS[arm])
        conditions[arm] = MappingProxyType(overrides)
    base = mc38_params("isotype")
    nominal = MOUSE_MC38_FIT | {"C0": MOUSE_MC38_C0, "sigma_log_volume": SIGMA_LOG_VOLUME}
    parameters = tuple(
        FitParameter(pid, lo, hi, min(max(nominal[pid], lo), hi), name=name)
        for pid, lo, hi, name in ESTIMATED
    )
    fitted = _measurements(mc38_table(FITTED_ARMS))
    held = _measurements(mc38_table(HELD_BACK_ARMS))
    return Problem(
        name=DATA_SET,
        spec=load_mouse_qsp(),
        observables=(
            Readout("tumour_volume", "V_T * 1000", "sigma_log_volume", "log", "volume (mm3)"),
        ),
        measurements=fitted,
        held_back=held,
        parameters=parameters,
        conditions=MappingProxyType(conditions),
        params=MappingProxyType({k: v for k, v in base.items() if k not in nominal}),
        initial=MappingProxyType(mc38_initial()),
        description=(
            "MC38 tumour volumes per mouse: isotype arm fitted (growth and inoculum only); "
            "anti-PD-L1 and anti-PD-L1 + anti-TGF-beta predicted with the EMT6-calibrated "
            "immune parameters"
        ),
        reference=MC38_REFERENCE,
    )
