"""Report section of a library trial: simulated vs published endpoints side by side, KM curves.

The trial is run by :func:`senotwin.trial.run.demo_trial` (``senotwin demo`` does it); this
module only draws the :class:`~senotwin.trial.run.TrialOutcome`.
"""

from __future__ import annotations

import math
from typing import Any

from senotwin.report.section import Figure, Section, Table
from senotwin.trial.run import DEFINITION_TEXT, TrialOutcome


def _num(x: Any, digits: int) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if isinstance(x, float) and math.isinf(x):
        return "not reached"
    return f"{x:.{digits}f}"


def _cell(value: Any, lo: Any, hi: Any, digits: int) -> str:
    text = _num(value, digits)
    if text != "-" and lo is not None and not (isinstance(lo, float) and math.isnan(lo)):
        text += f" ({_num(lo, digits)}-{_num(hi, digits)})"
    return text


def library_trial_section(outcome: TrialOutcome | None) -> Section:
    """Simulated vs published ORR, DCR, median PFS/OS (and the simulated curve at each published
    median) and HRs of one library trial, with KM."""
    title = "Virtual trial from the library: simulated vs published"
    if outcome is None:
        return Section(
            title,
            intro="No library trial was run for this report ('senotwin trial run NAME' runs one).",
        )
    t = outcome.trial
    table = outcome.comparison.table
    rows = []
    misses = []
    for k, rec in enumerate(table.to_dict(orient="records")):
        digits = 2 if str(rec["endpoint"]).startswith("HR") else 1
        arm = next((a.label for a in t.arms if a.name == rec["arm"]), rec["arm"])
        inside = rec["published_in_sim_ci"]
        verdict = "-" if inside is None else ("inside" if inside else "outside")
        if inside is False:
            misses.append(k)
        rows.append(
            (
                rec["population"],
                arm,
                f"{rec['endpoint']} ({rec['unit']}"
                + (f", {DEFINITION_TEXT[rec['definition']]})" if rec.get("definition") else ")"),
                _cell(rec["simulated"], rec["sim_low"], rec["sim_high"], digits),
                _cell(rec["published"], rec["pub_low"], rec["pub_high"], digits),
                verdict,
            )
        )
    n = int(outcome.rows["patient"].nunique())
    intro = (
        f"{t.title} ({t.reference}), run on {n} virtual patients per arm selected by probability "
        "of inclusion to the trial's reported baseline; RECIST 1.1 on the trial's scan calendar; "
        "death after progression at the cited post-progression survival of the trial's disease. "
        "Nothing is fitted to "
        f"this or any trial's outcomes: both arms are predictions. {len(misses)} of "
        f"{sum(r[-1] != '-' for r in rows)} published values lie outside the simulated 95 % CI "
        "(highlighted); a small demo cohort gives wide intervals. 'PFS/OS at median' rows read "
        "the simulated curve at the published median (50 % if the arm matches): a median on a "
        "scan calendar moves by whole scan intervals, the curve there does not."
    )
    notes = tuple(f"{a.name}: {a.stand_in}" for a in t.arms if a.stand_in)
    return Section(
        title,
        intro=intro,
        figures=(
            Figure(
                "library_trial_km.png",
                outcome.km_png,
                f"{t.id}: simulated Kaplan-Meier curves of PFS and OS per arm (95 % bands) with "
                "the published medians as diamonds.",
                alt=f"KM curves of {t.id}",
            ),
        ),
        tables=(
            Table.of(
                (
                    "population",
                    "arm",
                    "endpoint (unit)",
                    "simulated (95 % CI)",
                    "published (95 % CI)",
                    "published vs simulated CI",
                ),
                rows,
                caption=f"{t.id}: simulated vs published endpoints",
                highlight=misses,
            ),
        ),
        notes=notes,
        notes_title="Stand-ins for products the drug library lacks",
    )
