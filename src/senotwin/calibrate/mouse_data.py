"""The Mariathasan 2018 per-mouse tumour volumes (package data), the held-back split, and the
EMT6 calibration problem built from them (``senotwin calibrate --problem mariathasan2018``).

``mariathasan2018()`` returns the tidy table shipped in ``data/mariathasan2018`` (see its
README for source, licence, layout and units). ``FITTED`` names the part a fit may use; the rest
(the two combination arms, the MC38 study) is predicted, not fitted; the CD8-depleted arm is
fitted since session 15.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from types import MappingProxyType

import numpy as np
import pandas as pd

from senotwin._errors import ValidationError
from senotwin.calibrate.problem import FitParameter, Problem, Readout
from senotwin.model.qsp import (
    MOUSE_ARMS,
    MOUSE_EMT6_C0,
    MOUSE_EMT6_FIT,
    MOUSE_TREATMENT_START,
    load_mouse_qsp,
    mouse_dose_amounts,
    mouse_initial,
    mouse_params,
)

DATA_SET = "mariathasan2018"
CITATION = (
    "Mariathasan et al. Nature 2018;554:544 (preclinical raw data, IMvigor210CoreBiologies, "
    "Creative Commons)"
)
COLUMNS = ("study", "panel", "model", "arm", "mouse", "day", "volume_mm3", "at_floor")
#: (panel, arm) pairs a fit may use: EMT6 study 15-3060 B without the combination arm, and
#: (since session 15) the CD8-depleted arm of ED Fig. 5i, the only growth without CD8 T cells:
#: calibration data from then on, no longer a prediction
FITTED: tuple[tuple[str, str], ...] = (
    ("Fig. 4a", "isotype"),
    ("Fig. 4a", "anti_pdl1"),
    ("Fig. 4a", "anti_tgfb"),
    ("Extended Data Fig. 5i", "combination_cd8_depleted"),
)
#: (panel, arm) pairs held back and predicted (decided before fitting)
HELD_BACK: tuple[tuple[str, str], ...] = (
    ("Fig. 4a", "combination"),
    ("Extended Data Fig. 5i", "combination"),
)


@cache
def _table() -> pd.DataFrame:
    path = resources.files("senotwin.calibrate") / "data" / DATA_SET / "tumour_volumes.csv"
    with resources.as_file(path) as p:
        table = pd.read_csv(p)
    if tuple(table.columns) != COLUMNS:
        raise ValidationError(f"{DATA_SET}: columns {tuple(table.columns)}, expected {COLUMNS}")
    return table


def mariathasan2018(*, part: str = "all") -> pd.DataFrame:
    """The tidy per-mouse volumes; ``part`` is 'all', 'fitted' or 'held_back'."""
    table = _table()
    if part == "all":
        return table.copy()
    if part not in ("fitted", "held_back"):
        raise ValidationError(f"part must be 'all', 'fitted' or 'held_back', got {part!r}")
    pairs = FITTED if part == "fitted" else HELD_BACK
    keys = pd.Series(list(zip(table["panel"], table["arm"], strict=True)), index=table.index)
    return table[keys.isin(pairs)].reset_index(drop=True)


# ---- the calibration problem (PEtab layout; fitted with senotwin calibrate like any other) ------
#: an (arm, day) is used only while at least this many mice are on study: later days keep only
#: the slow tumours (the others reached the end point), which would bias every arm downwards
MIN_MICE = 6
#: between-mouse sd of log volume at the shipped fit (estimated with MOUSE_EMT6_FIT)
#: (session 34 ms4 refit, 95 % 0.812-0.975; 0.88961 in session 32 mel61; 0.89102 in session 29 W2)
SIGMA_LOG_VOLUME = 0.888809
PANEL_KEYS = {"Fig. 4a": "fig4a", "Extended Data Fig. 5i": "ed5i", "Extended Data Fig. 5n": "ed5n"}
#: EMT6 quantities a fit may estimate: (id, lower, upper, what it is); nominal = the shipped
#: value; those in FIXED are held at it
ESTIMATED: tuple[tuple[str, float, float, str], ...] = (
    ("k_grow", 0.1, 1.0, "EMT6 proliferation rate (1/day)"),
    ("C_max", 2.0e8, 1.0e10, "lesion capacity (cells)"),
    ("k_kill", 0.5, 16.0, "cancer cells killed per effector CD8 per day"),
    ("f_mat0", 1.0e-7, 1.0e-3, "share of tumour DCs that mature and migrate per day"),
    ("PDL1_per_C", 3.0e3, 2.24e5, "PD-L1 per EMT6 cell without IFN-gamma"),
    ("w_tgfb_excl", 0.01, 50.0, "maximal TGF-beta exclusion of CD8 T cells (fold - 1)"),
    ("PD1_prime_per_T", 10.0, 1.0e4, "PD-1 per CD8 T cell being primed (TDLN brake)"),
    ("C0", 1.0e4, 1.0e7, "cancer cells taking at inoculation (day 0 of the model)"),
    ("sigma_log_volume", 0.05, 5.0, "noise sd of log tumour volume (between mice)"),
    ("cd8_scale", 1.0e-11, 1.0e-5, "Fig. 4c fold of isotype mean per tumour CD8 per mL"),
    ("sigma_log_cd8", 0.05, 5.0, "noise sd of log tumour CD8 per volume (between mice)"),
)

# ---- Fig. 4c CD8 T cells (session 25 emt6j): a second observable of the fitted arms ----------
#: flow arms fitted (each value a fold of its study's isotype mean); the combination arm is held
#: back: its CD8 is predicted by the validation cases mariathasan_emt6_cd8_combination*
CD8_ARMS = ("isotype", "anti_pdl1", "anti_tgfb")
#: flow read-out day (days since the first dose; inferred, as in the flow validation cases)
CD8_DAY = 7.0
#: tumour CD8 pool per lesion volume (cells/mL), the flow cases' readout
CD8_READOUT = "(T8 + T8x + T8r + T8t) / V_T"
#: Fig. 4c fold of isotype mean per CD8/mL and its log sd, at the shipped fit (joint with volumes)
CD8_SCALE = 1.47858e-8  # 95 % 6.94e-9 - 3.19e-8 (session 29 W2)
SIGMA_LOG_CD8 = 0.616168  # 95 % 0.503-0.781 (session 29 W2)
#: session 28 (ceil): a ceiling on each fitted CD8 arm's tumour-specific CD8 count (CEILING_DAYS) --
#: a lesion holds at most all CD8 T cells of a mouse, ~2e7 (Lonchay et al. 2004 PNAS 101:14631,
#: p. 14637; docs/quantitative-sources.yaml mouse_cd8_total_lonchay2004); Fig. 4c gives only folds
MOUSE_CD8_TOTAL = 2.0e7
#: the tumour-specific CD8 pool (cells), the ceiling's readout
CD8_COUNT = "T8 + T8x + T8r + T8t"
#: session 29 (win): days since the first dose at which the ceiling is imposed -- weekly over
#: the treatment window the two ceiling validation cases read (model days 20-41); the ceiling
#: holds at every day, these rows discretise it (was CD8_DAY only)
CEILING_DAYS = (0.0, 7.0, 14.0, 21.0)
#: session 29 (W2, pre-registered): the ceiling's hinge scale (log sd), FIXED, not fitted -- it is
#: the uncertainty of the ceiling value, not the between-mouse flow noise (sigma_log_cd8, which
#: the fit could inflate to soften the hinge); assumed: Lonchay's "~2x10^7" read as within a
#: factor of 2, so ln 2 = 0.6931
CD8_CEILING_SIGMA = float(np.log(2.0))


#: practically non-identifiable with every quantity free (50-start fit with profiles, each of
#: these open towards a bound of its range; docs/calibration.md): fixed at the value shipped in
#: MOUSE_EMT6_FIT (issue 12 item 4), each for the reason given
FIXED: dict[str, str] = {
    "C_max": "the isotype mice leave the study at the ~2000 mm3 end point before any plateau "
    "(profile open above): fixed at the top of the searched range, 1e10 cells, where the cap "
    "does not act within the observed volumes",
    "PDL1_per_C": "profile open above, at the highest per-cell PD-L1 the sources give (2.24e5): "
    "fixed there",
}


def usable(table: pd.DataFrame, *, min_mice: int = MIN_MICE) -> pd.DataFrame:
    """Rows of (panel, arm, day) with at least ``min_mice`` mice still on study."""
    counts = table.groupby(["panel", "arm", "day"])["mouse"].transform("nunique")
    return table[counts >= min_mice].reset_index(drop=True)


def _measurements(table: pd.DataFrame, *, censor: bool = False) -> pd.DataFrame:
    """PEtab measurement rows: model time = first-dose day + study day, one row per mouse;
    with ``censor`` a placeholder volume (at_floor = 1) is a ceiling row (left-censored)."""
    floor = table["at_floor"].to_numpy() == 1
    return pd.DataFrame(
        {
            "observableId": np.where(censor & floor, "tumour_volume_ceiling", "tumour_volume"),
            "simulationConditionId": table["arm"].to_numpy(),
            "time": MOUSE_TREATMENT_START + table["day"].to_numpy(float),
            "measurement": table["volume_mm3"].to_numpy(float),
            "datasetId": [
                f"{PANEL_KEYS[p]}_{a}" for p, a in zip(table["panel"], table["arm"], strict=True)
            ],
            "replicateId": [f"mouse{int(m)}" for m in table["mouse"]],
        }
    )


@cache
def _endpoints() -> pd.DataFrame:
    path = resources.files("senotwin.calibrate") / "data" / DATA_SET / "endpoints.csv"
    with resources.as_file(path) as p:
        return pd.read_csv(p)


def endpoints() -> pd.DataFrame:
    """The shipped endpoint table (flow folds, day-7 weights, regressions; data README)."""
    return _endpoints().copy()


def cd8_measurements(arms: tuple[str, ...] = CD8_ARMS) -> pd.DataFrame:
    """PEtab rows of the Fig. 4c per-mouse CD8 folds of ``arms`` at model day 20 + CD8_DAY."""
    table = _endpoints()
    table = table[table["quantity"] == "cd8_t_cells"]
    known = sorted(set(table["arm"]))
    for arm in arms:
        if arm not in known:
            raise ValidationError(f"Fig. 4c CD8 arm {arm!r}; allowed: {', '.join(known)}")
    rows = table[table["arm"].isin(arms)]
    bad = rows[~(rows["value"] > 0)]
    if len(bad):
        raise ValidationError(
            f"{DATA_SET} endpoints.csv: Fig. 4c CD8 value {bad['value'].iloc[0]!r} "
            f"(study {bad['study'].iloc[0]}, arm {bad['arm'].iloc[0]}); allowed: > 0 (log-normal)"
        )
    return pd.DataFrame(
        {
            "observableId": "cd8_per_volume",
            "simulationConditionId": rows["arm"].to_numpy(),
            "time": np.full(len(rows), MOUSE_TREATMENT_START + CD8_DAY),
            "measurement": rows["value"].to_numpy(float),
            "datasetId": [f"fig4c_{a}" for a in rows["arm"]],
            "replicateId": [
                f"{s} mouse{int(r)}" for s, r in zip(rows["study"], rows["replicate"], strict=True)
            ],
        }
    )


def cd8_ceiling_rows(arms: tuple[str, ...] = CD8_ARMS) -> pd.DataFrame:
    """PEtab-layout rows of the CD8 count ceiling (MOUSE_CD8_TOTAL) of ``arms`` at each of
    CEILING_DAYS: a weekly discretisation of "at every day" of treatment (session 29 win)."""
    pairs = [(a, d) for a in arms for d in CEILING_DAYS]
    return pd.DataFrame(
        {
            "observableId": "cd8_count_ceiling",
            "simulationConditionId": [a for a, _ in pairs],
            "time": [MOUSE_TREATMENT_START + d for _, d in pairs],
            "measurement": np.full(len(pairs), MOUSE_CD8_TOTAL),
            "datasetId": [f"lonchay2004_ceiling_{a}" for a, _ in pairs],
            "replicateId": "ceiling",
        }
    )


def mariathasan2018_problem() -> Problem:
    """EMT6 under anti-PD-L1 / anti-TGF-beta (Mariathasan 2018) as a calibration problem.

    Conditions are the study arms of the dosed mouse model (``model.qsp.load_mouse_qsp``: dose
    sizes and CD8 depletion are values, so PEtab can state them); the observable is the caliper
    volume (mm3), log-normal with one estimated sigma; since session 25 (emt6j) a second one, the
    Fig. 4c CD8 T cells per lesion volume of the isotype, anti-PD-L1 and anti-TGF-beta arms at
    day 7 of treatment (``cd8_measurements``; fold of isotype: scale and sigma estimated, the
    combination arm held back as a validation prediction); since session 28 (ceil) a third, a
    ceiling: each of those arms' tumour-specific CD8 count is at most all CD8 of a mouse
    (``cd8_ceiling_rows``; one-sided, so the problem has no PEtab v1 export), since session 29
    (win) at treatment days 0, 7, 14 and 21 (``CEILING_DAYS``, a weekly discretisation of "at
    every day"; was day 7 only), since session 29 (W2) with its own fixed hinge sigma
    (``CD8_CEILING_SIGMA``, ln 2), no longer the fitted Fig. 4c sigma. Since session 29 (win)
    the placeholder volumes of non-measurable fitted tumours (at_floor = 1) are ceilings too,
    ``tumour_volume_ceiling`` (left-censored: "at most", no longer "equal"); the held-back rows
    keep their placeholders as values, so the held-back RMSE is computed as before.
    Fitted: Fig. 4a isotype, anti-PD-L1, anti-TGF-beta and the CD8-depleted Extended Data Fig.
    5i arm; held back (predicted): the Fig. 4a and Extended Data Fig. 5i combination arms
    (``HELD_BACK``).
    """
    base = mouse_params("isotype")
    conditions = {
        arm: MappingProxyType(
            {"C": "C0"} | mouse_dose_amounts(arm) | {"k_cd8_depl": mouse_params(arm)["k_cd8_depl"]}
        )
        for arm in MOUSE_ARMS
    }
    spec = load_mouse_qsp()
    nominal = MOUSE_EMT6_FIT | {
        "C0": MOUSE_EMT6_C0,
        "sigma_log_volume": SIGMA_LOG_VOLUME,
        "cd8_scale": CD8_SCALE,
        "sigma_log_cd8": SIGMA_LOG_CD8,
    }
    parameters = tuple(
        FitParameter(pid, lo, hi, min(max(nominal[pid], lo), hi), name=name)
        for pid, lo, hi, name in ESTIMATED
        if pid not in FIXED
    )
    return Problem(
        name=DATA_SET,
        spec=spec,
        observables=(
            Readout("tumour_volume", "V_T * 1000", "sigma_log_volume", "log", "volume (mm3)"),
            Readout(
                "tumour_volume_ceiling",
                "V_T * 1000",
                "sigma_log_volume",
                "log",
                "volume (mm3) of a non-measurable tumour, at most its placeholder",
                limit="upper",
            ),
            Readout(
                "cd8_per_volume",
                f"cd8_scale * {CD8_READOUT}",
                "sigma_log_cd8",
                "log",
                "tumour CD8 T cells, fold of the study's isotype mean (Fig. 4c)",
            ),
            Readout(
                "cd8_count_ceiling",
                CD8_COUNT,
                CD8_CEILING_SIGMA,
                "log",
                "tumour-specific CD8 T cells per lesion, at most all CD8 of a mouse",
                limit="upper",
            ),
        ),
        measurements=pd.concat(
            [
                _measurements(usable(mariathasan2018(part="fitted")), censor=True),
                cd8_measurements(),
                cd8_ceiling_rows(),
            ],
            ignore_index=True,
        ),
        held_back=_measurements(usable(mariathasan2018(part="held_back"))),
        parameters=parameters,
        conditions=MappingProxyType(conditions),
        params=MappingProxyType({k: v for k, v in base.items() if k not in nominal or k in FIXED}),
        initial=MappingProxyType(mouse_initial()),
        description=(
            "EMT6 tumour volumes per mouse under isotype, anti-PD-L1, anti-TGF-beta and the "
            "combination without CD8 T cells (fitted), and the combination with them (held "
            "back, predicted); tumour CD8 T cells per mouse (Fig. 4c) of the first three arms "
            "(fitted), and a ceiling on their tumour-specific CD8 count at days 0, 7, 14, 21 of "
            "treatment (all CD8 of a mouse, ~2e7; one-sided, log sd ln 2); placeholder volumes of "
            "non-measurable tumours are ceilings (left-censored)"
        ),
        reference=CITATION,
    )
