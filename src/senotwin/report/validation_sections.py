"""Report section of the validation suite: tiers, effect sizes, FAIL rows, the null test figure."""

from __future__ import annotations

from senotwin.analysis.validation import NullResult, ValidationReport
from senotwin.model.spec import ModelSpec
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


def validation_section(report: ValidationReport, model: ModelSpec) -> Section:
    """The validation table by tier: expected vs observed with units, FAIL rows highlighted;
    each case's robustness over a parameter ensemble when the report carries one."""
    robust = report.robustness
    rows = [
        (
            r.id,
            r.tier,
            r.claim,
            r.perturbation,
            f"{r.readout}, {r.measure}",
            r.expected,
            r.observed_text(),
            "pass" if r.passed else "FAIL",
            f"{r.paper}; {r.panel or '-'}; review {r.section} [{', '.join(map(str, r.refs))}]",
            *([f"{robust.get(r.id, float('nan')):.0%}"] if robust is not None else []),
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
            "result",
            "source; panel; review section [refs]",
            *(["holds in ensemble"] if robust is not None else []),
        ),
        rows,
        caption=f"Failed cases ({len(failed)}) are highlighted; their explanations follow.",
        highlight=failed,
    )
    codes = glossary_table(model, (f"{r.perturbation} {r.readout}" for r in report.results))
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
        tables=(table,) if codes is None else (table, codes),
        figures=figures,
        notes=notes,
        notes_title="Why the failed cases fail",
    )
