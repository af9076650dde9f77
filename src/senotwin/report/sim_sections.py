"""Report sections of the TME simulation: the model, time courses, the dual effect, validation
(``validation_section`` lives in :mod:`senotwin.report.validation_sections`).

Every number in a caption is computed from the runs it describes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd

from senotwin.analysis.demo import DualArm
from senotwin.model.readouts import QSP, readouts_for
from senotwin.model.spec import ModelSpec
from senotwin.report.figures import figure_bytes
from senotwin.report.section import Figure, Section, Table
from senotwin.report.timecourses import dual_effect_figure, sasp_coincidences, timecourse_figure

PROVENANCE_KINDS = {
    "measured": "measured value with unit, species, source and conversion",
    "derived": "derived from other values by a stated formula",
    "definition": "fixed by definition (a unit conversion or constant)",
    "calibrated": "fitted to a data set",
    "citation": "value from an outside source",
    "kb": "effect and sign from a review interaction; magnitude normalised",
    "assumed": "assumed, with a one-line rationale",
}


def model_section(model: ModelSpec) -> Section:
    """Model size and the provenance shares of its parameters."""
    kinds: Counter[str] = Counter(p.provenance.kind for p in model.parameters)
    n = len(model.parameters)
    order = [k for k in PROVENANCE_KINDS if k in kinds] + sorted(set(kinds) - set(PROVENANCE_KINDS))
    rows = [(k, PROVENANCE_KINDS.get(k, k), kinds[k], f"{kinds[k] / n:.0%}") for k in order]
    cited = {i for pr in model.processes for i in pr.kb}
    cited |= {i for obs in model.observables for i in obs.kb}
    entities = model.entities()
    links = (
        [f"processes and signals cite {len(cited)} knowledge-base interactions"] if cited else []
    )
    if entities:
        links.append(
            f"{len(entities)} knowledge-base entities tag the quantities a block or drug acts on"
        )
    intro = (
        f"{len(model.species)} species, {n} parameters, {len(model.processes)} processes, "
        f"{len(model.observables)} observables"
        + (f"; {'; '.join(links)}" if links else "")
        + ". Every parameter carries a unit, a plausible range and "
        "provenance (senotwin model explain NAME shows one)."
    )
    table = Table.of(
        ("provenance", "meaning", "parameters (count)", "share of parameters"),
        rows,
        caption="Where the parameter values come from.",
    )
    return Section("TME model", intro=intro, tables=(table,))


def _at(table: pd.DataFrame, col: str, day: float) -> float:
    return float(np.interp(day, table["time"].to_numpy(), table[col].to_numpy()))


def tumour_course(table: pd.DataFrame) -> str:
    """The diameter's course in words: start, nadir (if it shrank) and end."""
    t = table["time"].to_numpy()
    d = table["diameter" if "diameter" in table.columns else "tumour_diameter_mm"].to_numpy()
    k = int(np.argmin(d))
    start, end = float(d[0]), float(d[-1])
    if k > 0 and d[k] < 0.99 * start and end > 1.01 * d[k]:
        return (
            f"the tumour diameter shrinks from {start:.1f} to {d[k]:.1f} mm (day {t[k]:g}) and "
            f"regrows to {end:.1f} mm by day {t[-1]:g}"
        )
    verb = "grows" if end > start else "shrinks"
    return f"the tumour diameter {verb} from {start:.1f} to {end:.1f} mm by day {t[-1]:g}"


def qsp_caption(table: pd.DataFrame) -> str:
    """Caption of a default-model run, every number read from it."""
    end = float(table["time"].iloc[-1])
    stages = {s: _at(table, s, end) for s in ("Se", "Sl", "Sd")}
    lead = max(stages, key=lambda s: stages[s])
    names = {"Se": "early", "Sl": "late", "Sd": "deep"}
    il6 = table["IL6_p"].to_numpy()
    return (
        f"By day {end:g} the {names[lead]} stage leads the senescent cells (early "
        f"{stages['Se'] / 1e9:.3g}, late {stages['Sl'] / 1e9:.3g}, deep {stages['Sd'] / 1e9:.3g} "
        f"× 10⁹ cells); plasma IL-6 ranges {il6.min():.1f}–{il6.max():.1f} pg/mL; effector CD8 "
        f"go from {_at(table, 'T8', 0.0):.3g} to {_at(table, 'T8', end):.3g} cells and MDSC from "
        f"{_at(table, 'MDSC', 0.0):.3g} to {_at(table, 'MDSC', end):.3g}; PD-1 engagement of CD8 "
        f"effectors is {_at(table, 'H_PD1', end):.2f} at day {end:g} (it brakes, not silences, "
        f"their killing); {tumour_course(table)}."
    )


def default_caption(table: pd.DataFrame) -> str:
    """Caption of the default run, every number read from it."""
    if readouts_for(table) is QSP:
        return qsp_caption(table)
    end = float(table["time"].iloc[-1])
    stages = {s: _at(table, s, end) for s in ("S_early", "S_late", "S_deep")}
    lead = max(stages, key=lambda s: stages[s])
    names = {"S_early": "early", "S_late": "late", "S_deep": "deep"}
    mdsc0, mdsc1 = _at(table, "MDSC", 0.0), _at(table, "MDSC", end)
    treg0, treg1 = _at(table, "Treg", 0.0), _at(table, "Treg", end)
    text = (
        f"By day {end:g} the {names[lead]} stage leads the senescent burden "
        f"(early {stages['S_early']:.2f}, late {stages['S_late']:.2f}, deep "
        f"{stages['S_deep']:.2f} × 10⁹ cells); MDSC go from {mdsc0:.2f} to {mdsc1:.2f} and Treg "
        f"from {treg0:.2f} to {treg1:.2f} (young reference = 1); {tumour_course(table)}."
    )
    merged = sasp_coincidences(table)
    if merged:
        text += (
            " "
            + "; ".join(" ≈ ".join(g) for g in merged)
            + (
                " agree within 1 % at every time point and are drawn as one line "
                "(the model drives them from the same late-senescent NF-κB secretome)."
            )
        )
    return text


def timecourse_section(table: pd.DataFrame, scenario: str) -> Section:
    """The default scenario's four-panel time course."""
    png = figure_bytes(
        timecourse_figure(
            table, title=f"{scenario}: aged host, lung tumour, chemotherapy-induced senescence"
        )
    )
    return Section(
        f"Time courses — {scenario} scenario",
        intro=(
            "Aged host, lung tumour, one chemotherapy course at day 0 (the physical-units model: "
            "cells, pg/mL and nM, tumour / blood / lymph node): senescent cells move from the "
            "early p21/NOTCH1 state into the NF-κB-locked SASP and the deep IFN-I state while "
            "antigen-specific CD8 T cells, primed in the lymph node, fight PD-1 inhibition and "
            "MDSCs."
        ),
        figures=(
            Figure(
                f"timecourses_{scenario}.png",
                png,
                default_caption(table),
                f"TME time courses of the {scenario} scenario",
            ),
        ),
    )


def _days(x: float) -> str:
    return "not reached" if not np.isfinite(x) else f"{x:.0f} days"


def dual_caption(arms: Sequence[DualArm]) -> str:
    """Per arm: senescent-cell half-life and final lesion volume with the SASP on and off."""
    parts = []
    for arm in arms:
        (h_on, h_off), (v_on, v_off) = arm.half_lives, arm.final_volumes
        end = float(arm.on["time"].iloc[-1])
        if not (np.isfinite(h_on) or np.isfinite(h_off)):
            # 'not cleared faster' compared two half-lives that do not exist (audit)
            faster = f"neither halves by day {end:g}, so no half-life compares them"
        elif np.isfinite(h_on) and (not np.isfinite(h_off) or h_on < h_off):
            faster = "cleared faster with the SASP"
        else:
            faster = "not cleared faster with the SASP"
        hurts = "larger" if v_on > v_off else "smaller"
        parts.append(
            f"{arm.label} ({arm.scenario}) — senescent-cell half-life after the peak "
            f"{_days(h_on)} with the SASP and {_days(h_off)} without ({faster}); lesion at day "
            f"{end:g} {v_on:.0f} mL with and {v_off:.0f} mL without ({hurts} with the SASP)"
        )
    return ". ".join(parts) + "."


def dual_effect_section(arms: Sequence[DualArm]) -> Section:
    """Acute vs chronic senescence, each with the senescent secretome on and off."""
    png = figure_bytes(dual_effect_figure(arms))
    return Section(
        "The dual effect of the SASP",
        intro=(
            "The same model in two situations, each run with the senescent secretome on and off "
            "(block of entity SASP): a transient senescence pulse in a young host and persistent "
            "stromal senescence in an aged host (review section 3: the acute SASP recruits "
            "clearance, the chronic SASP suppresses). In the model the recruiting arm is "
            "CCL2/CCR2-recruited innate removal; the suppressive arm is chronic IL-6-driven "
            "emergency myelopoiesis and MDSC suppression. These are the shipped scenarios as they "
            "run; validation cases on the same claims (e.g. acute_young_sasp_speeds_clearance) "
            "run their papers' own set-ups and read-outs, listed in the validation table, so "
            "their numbers differ from these."
        ),
        figures=(Figure("dual_effect.png", png, dual_caption(arms), "acute versus chronic"),),
    )
