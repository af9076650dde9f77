"""Report sections of the TME simulation: the model, time courses, the dual effect, validation
(``validation_section`` lives in :mod:`senotwin.report.validation_sections`).

Every number in a caption is computed from the runs it describes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import numpy as np
import pandas as pd

from senotwin.model.spec import ModelSpec
from senotwin.report.figures import figure_bytes
from senotwin.report.section import Figure, Section, Table
from senotwin.report.timecourses import dual_effect_figure, sasp_coincidences, timecourse_figure

PROVENANCE_KINDS = {
    "measured": "measured value with unit, species, source and conversion",
    "derived": "derived from other values by a stated formula",
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
    intro = (
        f"{len(model.species)} species, {n} parameters, {len(model.processes)} processes, "
        f"{len(model.observables)} observables; processes and signals cite {len(cited)} "
        "knowledge-base interactions. Every parameter carries a unit, a plausible range and "
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
    d = table["tumour_diameter_mm"].to_numpy()
    k = int(np.argmin(d))
    start, end = float(d[0]), float(d[-1])
    if k > 0 and d[k] < 0.99 * start and end > 1.01 * d[k]:
        return (
            f"the tumour diameter shrinks from {start:.1f} to {d[k]:.1f} mm (day {t[k]:g}) and "
            f"regrows to {end:.1f} mm by day {t[-1]:g}"
        )
    verb = "grows" if end > start else "shrinks"
    return f"the tumour diameter {verb} from {start:.1f} to {end:.1f} mm by day {t[-1]:g}"


def default_caption(table: pd.DataFrame) -> str:
    """Caption of the default run, every number read from it."""
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
            "Aged host, lung tumour, one chemotherapy course at day 0: senescent cells mature "
            "from the early TGF-β-rich to the late IL-6/IL-8 and deep IFN-I stages while "
            "immune removal saturates."
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


def dual_caption(runs: Mapping[str, pd.DataFrame]) -> str:
    """Per run: peak and final senescent burden, final E/S ratio, the tumour's course."""
    parts = []
    for name, table in runs.items():
        s = table["S_total"].to_numpy()
        k = int(np.argmax(s))
        end = float(table["time"].iloc[-1])
        parts.append(
            f"{name} — senescent burden peaks at {s[k]:.3g} × 10⁹ cells (day "
            f"{float(table['time'].iloc[k]):g}) and ends at {s[-1]:.3g}; effector/suppressor "
            f"ratio at day {end:g}: {_at(table, 'effector_suppressor_ratio', end):.2f}; "
            f"{tumour_course(table)}"
        )
    return ". ".join(parts) + "."


def dual_effect_section(runs: Mapping[str, pd.DataFrame]) -> Section:
    """Acute vs chronic senescence and the no-senescence control."""
    png = figure_bytes(dual_effect_figure(runs))
    return Section(
        "The dual effect of the SASP",
        intro=(
            "The same model in two situations: a transient senescence pulse in a young host "
            "and persistent senescence in an aged host, with the aged host without senescence "
            "as control (review section 3: acute SASP recruits killers, chronic SASP recruits "
            "suppressors)."
        ),
        figures=(Figure("dual_effect.png", png, dual_caption(runs), "acute versus chronic"),),
    )
