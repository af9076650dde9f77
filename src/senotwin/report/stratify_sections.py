"""Report section: stratification of a real checkpoint-inhibitor cohort by the two SASP axes.

The evaluation is computed in :mod:`senotwin.analysis.demo` (``DemoResults.stratify``, from
:func:`senotwin.sc.stratify_eval.demo_evaluation`); this module only draws it.
"""

from __future__ import annotations

from senotwin.report.figures import figure_bytes, new_figure
from senotwin.report.section import Figure, Section, Stat, Table
from senotwin.sc.stratify_cohorts import ICI_COHORTS
from senotwin.sc.stratify_eval import BASELINES_SHOWN, Evaluation, draw_roc

_RESP = {1.0: ("responder (R)", "#1b7837"), 0.0: ("non-responder (NR)", "#b2182b")}


def axes_figure(ev: Evaluation, cohort: str) -> bytes:
    """The two SASP axes of one cohort coloured by response, beside its ROC curves."""
    f = ev.scores[ev.scores["cohort"] == cohort]
    fig = new_figure(10, 4.4)
    ax, ax2 = fig.subplots(1, 2)
    unknown = f[f["response"].isna()]
    ax.scatter(
        unknown["sasp_stimulatory"], unknown["sasp_suppressive"], c="#bdbdbd", s=18,
        label=f"response unknown (n={len(unknown)})",
    )  # fmt: skip
    for value, (name, colour) in _RESP.items():
        sub = f[f["response"] == value]
        ax.scatter(
            sub["sasp_stimulatory"], sub["sasp_suppressive"], c=colour, s=26,
            label=f"{name} (n={len(sub)})",
        )  # fmt: skip
    ax.axhline(0, color="grey", lw=0.6)
    ax.axvline(0, color="grey", lw=0.6)
    ax.set_xlabel("immunostimulatory SASP (z)")
    ax.set_ylabel("immunosuppressive SASP (z)")
    ax.set_title(f"{cohort}: the two SASP axes")
    ax.legend(fontsize=7, frameon=False)
    draw_roc(ax2, ev, cohort)
    ax2.set_title(f"{cohort}: ROC, R vs NR")
    return figure_bytes(fig)


def _fmt(v: float, lo: float, hi: float) -> str:
    return f"{v:.2f} [{lo:.2f}, {hi:.2f}]"


def stratify_section(ev: Evaluation | None, cohort: str = "liu") -> Section:
    """Who benefits from checkpoint blockade: ici_benefit vs published baselines on real cohorts."""
    title = "Stratification: real checkpoint-inhibitor cohorts"
    if ev is None or cohort not in set(ev.scores["cohort"]):
        return Section(
            title,
            intro=(
                "The checkpoint-inhibitor cohorts (PredictioR curation, GPL-3, not shipped with "
                "senotwin) were not found next to the repository, so this section is empty. "
                "Run `senotwin stratify evaluate --data DIR --out eval/` with the cohort files."
            ),
        )
    a = ev.auroc[ev.auroc["label"] == "response"]
    summ = ev.summary[ev.summary["label"] == "response"].set_index("score")["mean_auroc"]
    best = max(BASELINES_SHOWN, key=lambda s: float(summ.get(s, float("nan"))))
    tumour, therapy, study = ICI_COHORTS[cohort]
    rows = []
    for name in sorted(set(a["cohort"])):
        sub = a[a["cohort"] == name].set_index("score")
        cells = [name, f"{int(sub['n_responders'].iloc[0])}/{int(sub['n_nonresponders'].iloc[0])}"]
        for s in ("ici_benefit", *BASELINES_SHOWN):
            r = sub.loc[s]
            cells.append(_fmt(float(r["auroc"]), float(r["ci_low"]), float(r["ci_high"])))
        rows.append(cells)
    rows.append(["mean", "", *(f"{float(summ[s]):.3f}" for s in ("ici_benefit", *BASELINES_SHOWN))])
    table = Table.of(
        ("cohort", "R/NR", "ici_benefit", *BASELINES_SHOWN),
        rows,
        caption=(
            "AUROC (responders vs non-responders as curated) with stratified bootstrap 95% CI, "
            "every cohort held out (the rule has no fitted parameter)."
        ),
        highlight=[len(rows) - 1],
    )
    return Section(
        title,
        intro=(
            "`senotwin stratify` reads the two arms of the SASP apart — immunostimulatory (IFN-I, "
            "CCL5/CXCL9/10, IL-1α-driven recruitment) and immunosuppressive (TGF-β, IL-6/STAT3, "
            "CXCL1/8 → MDSC, CCL2 → CCR2⁺ myeloid) — and combines them with immune infiltration "
            "into ici_benefit = (immune + stimulatory − suppressive)/3, a rule fixed before any "
            f"response label was seen. Shown: {cohort} ({tumour}, {therapy}; {study}), the "
            "largest cohort with response labels, chosen by size, not by result."
        ),
        stats=(
            Stat("mean AUROC, ici_benefit", f"{float(summ['ici_benefit']):.3f}"),
            Stat(f"mean AUROC, best baseline ({best})", f"{float(summ[best]):.3f}"),
            Stat("cohorts with response labels", str(len(set(a["cohort"])))),
        ),
        figures=(
            Figure(
                "stratify_sasp_axes.png",
                axes_figure(ev, cohort),
                f"Left: each {cohort} patient on the two SASP axes (z-scores within the cohort), "
                "coloured by response. Right: ROC curves of ici_benefit and the published "
                "baselines (AUROC in the legend).",
                "Scatter of the two SASP axes coloured by response, and ROC curves",
            ),
        ),
        tables=(table,),
        notes=(
            "Most per-cohort confidence intervals include 0.5; the mean over seven cohorts leans "
            "on Padrón 2022 (3 responders). See docs/stratify.md for the mean without it.",
            "The strategy benefits (senomorphic + ICI, senolytic then ICI) rest on assumed "
            "constants and are untested against outcomes: no cohort received a senotherapy.",
        ),
        notes_title="Limits",
    )
