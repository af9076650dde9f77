"""Report section of the validation suite: tiers, effect sizes, FAIL rows, the null test figure."""

from __future__ import annotations

import math
from collections.abc import Sequence

from matplotlib.ticker import MaxNLocator

from senotwin.analysis.validation import CaseResult, NullResult, ValidationReport
from senotwin.model.spec import ModelSpec
from senotwin.model.units import pretty_unit
from senotwin.report.figures import figure_bytes, new_figure
from senotwin.report.glossary import glossary_table
from senotwin.report.section import Figure, Section, Table


def null_figure_bytes(null: NullResult) -> bytes:
    """Histogram of the null pass rates with the model's own pass rate marked."""
    fig = new_figure(6.0, 3.2)
    ax = fig.add_subplot(1, 1, 1)
    bins = [k / null.n_cases for k in range(null.n_cases + 2)]
    ax.hist(
        null.rates, bins=bins, color="#9db4c0", edgecolor="white", label="random parameter sets"
    )
    ax.axvline(null.model_rate, color="#c0392b", lw=2, label=f"model {null.model_rate:.0%}")
    ax.axvline(
        null.p99, color="#555555", ls="--", lw=1, label=f"null 99th percentile {null.p99:.0%}"
    )
    ax.set_xlabel("literature-tier pass rate")
    ax.set_ylabel("parameter sets")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 0.5 of a set
    ax.set_xlim(0, 1)
    ax.legend(frameon=False, fontsize=8)
    return figure_bytes(fig)


def _null_caption(null: NullResult) -> str:
    return (
        f"Literature tier ({null.n_cases} cases) on {len(null.rates)} random parameter sets "
        f"(log-uniform within each parameter's range, seed {null.seed}): null median "
        f"{null.median:.0%}, 99th percentile {null.p99:.0%}; the model passes "
        f"{null.model_rate:.0%} (p = {null.p_value:.3g}). Failed simulations: {null.failed_runs}."
    )


def _values_text(r: CaseResult) -> str:
    """The measured values behind the effect: 'control -> perturbed unit' (one value for a
    single-arm case; the two read-outs' days for a time-course order)."""
    # a dimensionless read-out ('1') prints no unit; um**2 prints as µm²
    unit = "day" if r.kind == "peak_order" else "" if r.unit == "1" else pretty_unit(r.unit)

    def g(x: float) -> str:
        return f"{x:.3g}" if math.isfinite(x) else str(x)

    if r.kind == "peak_order":
        return f"{g(r.control_value)} vs {g(r.perturbed_value)} {unit}"
    if math.isnan(r.perturbed_value):
        return f"{g(r.control_value)} {unit}".strip()
    return f"{g(r.control_value)} -> {g(r.perturbed_value)} {unit}".strip()


def tier_table(report: ValidationReport) -> Table:
    """Per tier: cases, passes, pass rate, quantitative vs direction-only cases; the null test's
    median, 99th percentile and p-value on the literature row when it was run."""
    null = report.null
    rows = []
    for tier, count in report.tiers().items():
        cases = [r for r in report.results if r.tier == tier]
        n_quant = sum(r.quantitative for r in cases)
        n_quant_pass = sum(r.quantitative and r.passed for r in cases)
        null_text = "-"
        if tier == "literature" and null is not None:
            null_text = (
                f"median {null.median:.0%}, 99th percentile {null.p99:.0%}, "
                f"p = {null.p_value:.3g} ({len(null.rates)} draws)"
            )
        rows.append(
            (
                tier,
                count.n,
                count.passed,
                f"{count.pass_rate:.0%}",
                f"{n_quant} ({n_quant_pass} pass)",
                sum(r.kind == "direction" for r in cases),
                sum(r.kind == "peak_order" for r in cases),
                null_text,
            )
        )
    return Table.of(
        (
            "tier",
            "cases",
            "pass",
            "pass rate",
            "quantitative (effect size or value)",
            "direction only",
            "time-course order",
            "null test (random parameter sets)",
        ),
        rows,
        caption="Pass rates by tier. Quantitative cases compare a fold or percent change or a "
        "value with units to the source's range; direction-only cases have no usable number.",
    )


def validation_section(
    report: ValidationReport, model: ModelSpec, others: Sequence[ModelSpec] = ()
) -> Section:
    """The validation table by tier: expected vs observed with units, FAIL rows highlighted;
    each case's robustness over a parameter ensemble when the report carries one, and its pass
    rate over the null test's random parameter sets when that was run. ``others``: the further
    models cases run on (the mouse and vaccine-site overlays), whose codes the glossary names."""
    robust = report.robustness
    null_case = report.null.case_rate if report.null is not None else {}
    rows = [
        (
            r.id,
            r.tier,
            r.claim,
            r.perturbation,
            f"{r.readout}, {r.measure}",
            r.expected,
            r.observed_text(),
            _values_text(r),
            "pass" if r.passed else "FAIL",
            f"{r.paper}; {r.panel or '-'}; review {r.section}"
            + (f" [{', '.join(map(str, r.refs))}]" if r.refs else ""),
            *([f"{robust.get(r.id, float('nan')):.0%}"] if robust is not None else []),
            *([f"{null_case[r.id]:.0%}" if r.id in null_case else "-"] if null_case else []),
        )
        for r in report.results
    ]
    failed = [k for k, r in enumerate(report.results) if not r.passed]
    table = Table.of(
        (
            "case",
            "tier",
            "claim",
            "perturbation (vs control)",
            "read-out, measure",
            "expected",
            "observed",
            "measured (control -> perturbed)",
            "result",
            "source; panel; review section [refs]",
            *(["holds in ensemble"] if robust is not None else []),
            *(["passes in random sets"] if null_case else []),
        ),
        rows,
        caption=f"Failed cases ({len(failed)}) are highlighted; their explanations follow.",
        highlight=failed,
    )
    codes = glossary_table(
        (model, *others), (f"{r.perturbation} {r.readout}" for r in report.results)
    )
    notes = tuple(f"{r.id}: {r.explanation or ''}" for r in report.failures())
    tiers = "; ".join(
        f"{tier} {c.passed} of {c.n} ({c.pass_rate:.0%})" for tier, c in report.tiers().items()
    )
    n_dir = sum(not r.quantitative for r in report.results if r.tier == "literature")
    intro = (
        f"{report.n_passed} of {len(report.results)} cases pass ({report.pass_rate:.0%}): {tiers}. "
        "Consistency cases check structure and algebra; literature cases reproduce a claim of "
        "the review or of a primary paper it cites in the paper's system; calibration cases "
        f"show fit to the data a parameter was chosen from. {n_dir} literature cases are "
        "direction-only (no usable number from the source). 'block X=f' removes the fraction "
        "f of entity X's activity."
    )
    if robust is not None:
        intro += (
            f" 'holds in ensemble': the share of {report.ensemble_sets} parameter sets of a "
            "posterior ensemble (in the demo, draws of the shipped liu2019 posterior) in which "
            "the case holds, each set replacing the model's values where a case's context takes "
            "them from the model."
        )
    if report.null is not None and null_case:
        flagged = report.null.uninformative()
        intro += (
            f" {len(flagged)} of the {len(null_case)} literature cases hold in at least 90% of "
            "the null test's random parameter sets and are no evidence on their own"
            + (f" ({', '.join(flagged)})." if flagged else ".")
        )
    figures: tuple[Figure, ...] = ()
    if report.null is not None:
        figures = (
            Figure(
                "validation_null.png",
                null_figure_bytes(report.null),
                _null_caption(report.null),
                "null test",
            ),
        )
    return Section(
        "Literature validation",
        intro=intro,
        tables=(tier_table(report), table) if codes is None else (tier_table(report), table, codes),
        figures=figures,
        notes=notes,
        notes_title="Why the failed cases fail",
    )
