"""Read-out days of the transplanted mouse cases that a mouse could live to (session 26 xenoday).

For each in-scope case (the 24 literature cases run as mouse experiments, session 26 xeno, and
the consistency case session 30 brought under the same rule), the control arm's lesion volume
``V_T`` over the case's window, the read-out day chosen and why (the pre-registered rule, issue
14): the paper's stated day where reached; else the first whole day on
which the control lesion reaches the humane endpoint ``ENDPOINT_ML`` (one subcutaneous mass of
1.5 cm diameter; docs/quantitative-sources.yaml ``mouse_tumour_endpoint_diameter``); else, if the
control stays below it, the case's current day. Run on the cases as shipped, a case whose day the
rule set keeps it (its control reaches the endpoint on exactly that day).

    python scripts/transplant_readout_days.py [--json]
"""

from __future__ import annotations

import argparse
import json
import math
from typing import NamedTuple

import numpy as np

from senotwin.analysis.validation import load_cases
from senotwin.analysis.validation.load import Case
from senotwin.analysis.validation.measure import readout_series
from senotwin.analysis.validation.rules import readout_tree
from senotwin.analysis.validation.runner import simulate_arm

#: humane endpoint: one subcutaneous mass of 1.5 cm diameter in a mouse, as a sphere (mL = cm^3)
ENDPOINT_DIAMETER_CM = 1.5
ENDPOINT_ML = math.pi / 6.0 * ENDPOINT_DIAMETER_CM**3
#: the 24 cases of the session-26 xeno scope rule (docs/validation.md, Session 26 (xeno)) and the
#: consistency-tier transplant the same rule took in session 30 (demeule), less the three dropped in
#: session 52 (Liu's lipoic acid, Xu's two PCC1 cases; docs/validation.md, Session 52), plus the
#: Zhang case added then with its twin's set-up
IN_SCOPE: tuple[str, ...] = (
    "liu_hornsby_senescent_fibroblasts_xenograft",
    "krtolica_senescent_fibroblasts_tumorigenesis",
    "marin_senescence_is_immunogenic",
    "marin_senescent_vaccine_beats_icd",
    "hu_metformin_enhances_cdk46i_hnscc_xenograft",
    "jia_artesunate_enhances_irinotecan_xenograft",
    "liao_aspirin_sensitises_osteosarcoma_to_cisplatin",
    "shen_checkpoint_blockade_enhances_parp_inhibitor",
    "munoz_espin_galacto_senolytic_improves_palbociclib",
    "zhang_ra223_sazyme_then_anti_pdl1_lung",
    "zhang_anti_pdl1_after_sazyme_clears_senescent_cells",
    "bharti_osu13_with_anti_pd1_colon",
    "gabasa_mmp1_fibroblast_senescence_drives_lung_tumour",
    "hwang_rpn1_depletion_slows_tumour_growth",
    "hwang_anti_pd1_fewer_senescent_cells_after_irradiation",
    "hwang_anti_pd1_suppresses_recurrence_after_irradiation",
    "hwang_rpn1_targeting_fewer_senescent_cells_after_irradiation",
    "hwang_rpn1_targeting_suppresses_recurrence_after_irradiation",
    "mariathasan_emt6_cd8_combination",
    "mariathasan_emt6_cd8_combination_vs_anti_pdl1",
    "mariathasan_emt6_weight_combination",
    "mariathasan_emt6_weight_combination_vs_anti_pdl1",
    "demeule_th1902_potentiates_anti_pdl1_melanoma",
)
_MARIATHASAN = "the paper's day: day 7 of treatment (Mariathasan 2018 workbook, 'day 7')"
#: cases whose paper states the read-out day (kept whatever the control's volume)
PAPER_DAY: dict[str, str] = {i: _MARIATHASAN for i in IN_SCOPE if i.startswith("mariathasan_")}
SHOW_EVERY = 7  # days between the printed control volumes


class Choice(NamedTuple):
    """One case's control-arm lesion over its window and the read-out day the rule gives."""

    id: str
    scenario: str
    current: float
    day: float
    why: str
    volume_ml: dict[float, float]  # control V_T at every SHOW_EVERY-th day and the chosen day


def control_volume(case: Case) -> tuple[np.ndarray, np.ndarray]:
    """Time and control-arm lesion volume V_T (mL) of ``case`` from day 0 to its read-out day."""
    spec = case.spec_case
    table = simulate_arm(
        case, spec.control, spec.measure.t_needed, engine="fast", drugs=tuple(sorted(case.drugs))
    )
    if table is None:
        raise RuntimeError(f"{spec.id}: the control run failed")
    tree = readout_tree(case.scenario.load(), "V_T", where=spec.id)
    return table["time"], np.asarray(readout_series(table, tree), dtype=float)


def choose(case: Case) -> Choice:
    """The pre-registered read-out day of one in-scope case, from its control arm's V_T."""
    spec = case.spec_case
    if spec.measure.stat != "at":
        raise ValueError(f"{spec.id}: the rule is registered for 'at' read-outs only")
    current = spec.measure.t_needed
    t, v = control_volume(case)
    days = np.arange(0.0, math.floor(current) + 1.0)
    at_day = np.interp(days, t, v)
    reached = np.flatnonzero(at_day >= ENDPOINT_ML)
    if spec.id in PAPER_DAY:
        day, why = current, PAPER_DAY[spec.id]
    elif reached.size:
        day = float(days[reached[0]])
        why = f"first day the control lesion reaches {ENDPOINT_ML:.2f} mL"
    else:
        day, why = current, f"control stays below {ENDPOINT_ML:.2f} mL to day {current:g}: kept"
    shown = sorted({*days[::SHOW_EVERY].tolist(), day})
    return Choice(
        spec.id,
        case.scenario.name,
        current,
        day,
        why,
        {d: float(np.interp(d, t, v)) for d in shown},
    )


def main() -> None:
    """Print every in-scope case's control volume over time, the day chosen and why."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    args = parser.parse_args()
    cases = {c.spec_case.id: c for c in load_cases()}
    choices = [choose(cases[i]) for i in IN_SCOPE]
    if args.json:
        print(json.dumps([c._asdict() for c in choices], indent=1))
        return
    print(f"humane endpoint: {ENDPOINT_DIAMETER_CM:g} cm mass = {ENDPOINT_ML:.3f} mL")
    for c in choices:
        vols = ", ".join(f"d{d:g} {v:.3g}" for d, v in c.volume_ml.items())
        print(f"{c.id} ({c.scenario}): day {c.current:g} -> {c.day:g}: {c.why}\n    V_T mL: {vols}")


if __name__ == "__main__":
    main()
