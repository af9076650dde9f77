"""Blood-count toxicity of a trial's arms, read beside the published adverse events.

A trial arm whose regimen carries a drug with a blood-count model (therapy.toxicity: the Friberg
neutropenia chain of nab-paclitaxel, Chen 2014; the platelet chain of navitoclax) reads each
virtual patient's count, simulated in the trial run itself with the published between-patient
spread of that model
(:data:`~senotwin.therapy.toxicity.ANC_SPREAD`: baseline ANC, transit time, drug slope and the
slope's rise at age >= 65; :data:`~senotwin.therapy.toxicity.PLT_SPREAD`: baseline platelets and
feedback) and the patient's age, over the time the patient is on treatment (randomisation to
progression or the end of follow-up: trial arms dose until progression). The nadir's CTCAE grade
gives, per arm, the share of patients with grade >= 3 and grade 4 neutropenia (or
thrombocytopenia), an evaluation beside the trial's published adverse-event rates (nothing is
fitted to them). The trial reducer records each patient-arm's nadirs
(:func:`senotwin.therapy.toxicity.nadirs_on_treatment`); this module selects them per arm and
draws them.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from senotwin._errors import ValidationError
from senotwin.therapy.dose_rules import DOSE_COLUMNS
from senotwin.therapy.language import parse_regimen
from senotwin.therapy.toxicity import CHAINS, BloodChain
from senotwin.trial.spec import ADVERSE_EVENTS, TrialSpec

#: the per-patient blood-count read a trial run writes beside its comparison
BLOOD_FILE = "blood_counts.csv"
#: what the protocol's dose rules did to each patient-arm on treatment and its worst
#: laboratory values at their draws (therapy.dose_rules)
DOSE_READ = tuple(k for k in DOSE_COLUMNS if k != "dose_changes")
#: columns of :func:`blood_counts` (a chain an arm lacks reads NaN; so do the dose columns of
#: a run without dose rules)
COLUMNS = (
    "arm",
    "patient",
    "age",
    "window_days",
    *(f"{c.prefix}_{what}" for c in CHAINS for what in ("nadir", "grade")),
    *DOSE_READ,
)


def arm_chains(trial: TrialSpec) -> dict[str, tuple[BloodChain, ...]]:
    """Per arm, the chains one of its drugs lowers (the read is of those only: in a shared
    model an arm without such a drug carries the chain at its patients' own steady state)."""
    out = {}
    for arm in trial.arms:
        drugs = () if arm.regimen == "none" else parse_regimen(arm.regimen).drugs()
        chains = tuple(c for c in CHAINS if any(c.lowers(d) for d in drugs))
        if chains:
            out[arm.name] = chains
    return out


def blood_counts(trial: TrialSpec, rows: pd.DataFrame) -> pd.DataFrame:
    """Per patient-arm of ``rows`` (a trial run's) whose arm has a drug that lowers a blood
    count: age, the days read (to PFS, else to the end of follow-up), per chain the nadir over
    them (10^9/L) and its CTCAE grade, as the trial reducer recorded them (NaN for a chain the arm
    does not lower), and what the dose rules changed over them and the worst laboratory value
    at their draws (:data:`DOSE_READ`; the stopped flag as 0/1). Empty (with :data:`COLUMNS`)
    when no arm has one."""
    need = ("arm", "patient", "status", "pfs_days", "b_age")
    for col in need:
        if col not in rows.columns:
            raise ValidationError(f"trial rows lack {col!r} (not a trial run's rows?)")
    chains = arm_chains(trial)
    follow = float(trial.rules.follow_days)
    parts = []
    for arm, lowered in chains.items():
        mine = rows[(rows["arm"] == arm) & (rows["status"] == "success")]
        part = pd.DataFrame(
            {
                "arm": mine["arm"].to_numpy(),
                "patient": mine["patient"].to_numpy(),
                "age": mine["b_age"].to_numpy(dtype=float),
                "window_days": mine["pfs_days"].fillna(follow).to_numpy(dtype=float),
            }
        )
        for c in CHAINS:
            for what in ("nadir", "grade"):
                col = f"{c.prefix}_{what}"
                if c in lowered and col not in mine.columns:
                    raise ValidationError(
                        f"trial rows lack {col!r} (a run from before session 46?)"
                    )
                part[col] = mine[col].to_numpy(dtype=float) if c in lowered else math.nan
        for col in DOSE_READ:
            part[col] = mine[col].to_numpy(dtype=float) if col in mine.columns else math.nan
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=list(COLUMNS))
    return pd.concat(parts, ignore_index=True)[list(COLUMNS)]


def _dose_line(mine: pd.DataFrame) -> str:
    """One arm's dose changes for its tick label ('' without dose rules)."""
    ruled = mine.dropna(subset=["dose_intensity"])
    if ruled.empty:
        return ""
    delayed = 100.0 * float((ruled["cycles_delayed"] > 0).mean())
    reduced = 100.0 * float((ruled["dose_reductions"] > 0).mean())
    return f"\ncourse delayed {delayed:.1f} %\ndose reduced {reduced:.1f} %"


#: the figure of the blood-count read a trial run writes beside blood_counts.csv
BLOOD_FIGURE = "blood_counts.png"


def _plain_log_ticks(ax: Any) -> None:
    """Label a log count axis at 1, 2 and 5 per decade as plain numbers (0.5, 1, 2), not
    matplotlib's default ``4 x 10^0`` on its minor ticks, which a reader of counts in 10^9/L
    has to decode."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _grade3_share(mine: pd.DataFrame, chain: BloodChain, *, laboratory: bool) -> str:
    """An arm's grade >= 3 share as its comparison row counts it: the laboratory read where
    the worst value is worse than the baseline's grade, the nadir by its grade."""
    col = f"{chain.prefix}_lab_worsened" if laboratory else f"{chain.prefix}_grade"
    grades = mine[col].dropna().to_numpy()
    share = 100.0 * float(np.mean(grades >= 3)) if len(grades) else math.nan
    return f"grade >= 3 {'laboratory' if laboratory else 'nadir'}: {share:.1f} %"


def plot_blood_counts(trial: TrialSpec, blood: pd.DataFrame, path: str | Path) -> Path:
    """Per chain the arms' counts on treatment (10^9/L, log scale: one dot per patient): the
    model's nadir and, where the run has it, the worst laboratory value at the dose-day draws
    (what a trial grades), with the CTCAE grade bounds; under each arm the grade >= 3 shares,
    the published rate and the shares of patients whose course the dose rules delayed or whose
    dose they reduced; written atomically to ``path``."""
    import io

    from matplotlib.figure import Figure

    from senotwin._io import atomic_write_bytes

    chains = [c for c in CHAINS if blood[f"{c.prefix}_nadir"].notna().any()]
    if not chains:
        raise ValidationError("no blood-count read to plot (no arm carries a blood-count model)")
    fig = Figure(figsize=(5.5 * len(chains), 4.8))
    axes = fig.subplots(1, len(chains), squeeze=False)[0]
    published = {a.name: a.published for a in trial.arms}
    for ax, chain in zip(axes, chains, strict=True):
        col = f"{chain.prefix}_nadir"
        arms = [a for a in trial.arms if blood.loc[blood["arm"] == a.name, col].notna().any()]
        rng = np.random.default_rng(0)  # the dots' horizontal jitter only
        ticks = []
        for i, arm in enumerate(arms):
            mine = blood[blood["arm"] == arm.name]
            nadir = mine[col].dropna().to_numpy()
            lab = mine[f"{chain.prefix}_lab"].dropna().to_numpy()
            reads = [("model nadir", nadir, "C0")] + (
                [("worst laboratory value", lab, "C1")] if len(lab) else []
            )
            width = 0.4 / len(reads)
            said = []
            for k, (name, values, colour) in enumerate(reads):
                x = i + (k - (len(reads) - 1) / 2) * 2 * width
                ax.scatter(
                    x + rng.uniform(-width, width, values.size),
                    values,
                    s=5,
                    alpha=0.45,
                    color=colour,
                    label=name if i == 0 else None,
                )
                said.append(_grade3_share(mine, chain, laboratory=bool(k)))
            pub = [
                a.percent
                for a in published[arm.name].adverse_events
                if a.min_grade == 3 and ADVERSE_EVENTS[a.event] == chain.name
            ]
            text = "\n".join(said) + (f"\npublished {pub[0]:g} %" if pub else "")
            ticks.append(f"{arm.label}\n{text}{_dose_line(mine)}")
        # above the axes, under the title: inside, it covered the highest dots
        ax.legend(
            fontsize=6,
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncol=2,
            frameon=False,
            handletextpad=0.2,
        )
        for g in (1, 2, 3, 4):  # a count below the line is of that grade or worse
            ax.axhline(chain.bound(g), color="grey", lw=0.6, ls=":")
            ax.text(
                len(arms) - 0.45,
                chain.bound(g),
                f"< {chain.bound(g):g}: grade {g}",
                fontsize=6,
                va="top",
            )
        ax.set_yscale("log")
        _plain_log_ticks(ax)
        ax.set_xticks(range(len(arms)), ticks, fontsize=7)
        ax.set_xlim(-0.6, len(arms) + 0.1)
        ax.set_ylabel(f"{chain.prefix.upper()} on treatment (10^9/L)")
        ax.set_title(f"{trial.id}: {chain.name}", fontsize=9, pad=16)  # room for the legend
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return atomic_write_bytes(Path(path), buf.getvalue())
