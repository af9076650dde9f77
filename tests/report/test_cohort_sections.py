"""Cohort report sections: table values come from the cohort rows; figures are PNGs."""

from __future__ import annotations

import pandas as pd

from senotwin.analysis.demo import DemoResults
from senotwin.analysis.endpoints import EndpointRules
from senotwin.report.cohort_sections import (
    cohort_sections,
    endpoint_rules_text,
    plausibility_text,
    waterfall_figure,
)

PNG = b"\x89PNG"


def test_sections_of_a_small_cohort(demo_results: DemoResults) -> None:
    trial, responses, provenance = cohort_sections(demo_results.cohort, demo_results.model)
    assert [trial.title, responses.title, provenance.title] == [
        "Virtual trial: therapy arms",
        "Responses per patient",
        "Virtual-cohort provenance",
    ]
    names = [f.name for s in (trial, responses, provenance) for f in s.figures]
    assert names == ["cohort_km.png", "cohort_waterfall.png", "cohort_spider.png"]
    assert all(f.png.startswith(PNG) for s in (trial, responses) for f in s.figures)
    dcr = demo_results.cohort.summary.set_index("arm").loc["chemo", "DCR"]
    chemo_row = next(r for r in trial.tables[0].rows if r[0] == "chemo")
    assert chemo_row[4].startswith(f"{100 * dcr:.0f}%")
    items = dict(provenance.tables[0].rows)
    assert items["seed"] == "4"
    assert "k_grow — cancer cell proliferation rate (1/day)" in items["varied parameters"]
    assert "block_BCL2_FAMILY" in {code for code, _ in trial.tables[2].rows}


def test_rules_and_filter_read_as_text() -> None:
    text = endpoint_rules_text(EndpointRules(lethal_burden=30.0))
    assert "scans every 42 days" in text and "30 × 10⁹ cells" in text
    # unbound rules (the model's own lethal burden, taken when a cohort runs) say so
    assert "reaches the model's lethal burden" in endpoint_rules_text(EndpointRules())
    assert "EndpointRules" not in text
    rule = {"days": 56.0, "doubling_days": [15.0, 730.0], "bounds": [["x", 0.2, 5.0]]}
    assert plausibility_text(rule) == (
        "untreated tumour doubling time between 15 and 730 days and x between 0.2 and 5, "
        "checked over the first 56 days"
    )
    assert plausibility_text(None) == "none"


def test_waterfall_handles_failed_rows() -> None:
    rows = pd.DataFrame(
        {
            "patient": [0, 1, 0, 1],
            "arm": ["a", "a", "b", "b"],
            "status": ["success", "failed", "success", "success"],
            "best_change_pct": [-40.0, float("nan"), 10.0, 30.0],
            "best_response": ["PR", "NE", "SD", "PD"],
        }
    )
    assert waterfall_figure(rows).startswith(PNG)


def test_sensitivity_section_states_the_design_and_the_horizon_note() -> None:
    """The page said '150 days' whatever the run; the CLI ranking (365 days) then looked like a
    contradiction (r_T PRCC on sasp_net_effect -0.51 there, +0.76 here)."""
    import numpy as np

    from senotwin.analysis.sensitivity import HORIZON_NOTE, SensitivityResult
    from senotwin.report.cohort_sections import sensitivity_section

    table = pd.DataFrame(
        {
            "metric": ["sasp_net_effect"] * 2,
            "parameter": ["r_T", "k_ld"],
            "index": [-0.5, 0.2],
            "ci_low": [np.nan] * 2,
            "ci_high": [np.nan] * 2,
            "p": [0.01, 0.3],
            "rank": [1, 2],
        }
    )
    res = SensitivityResult(
        "prcc", table, 64, 0.9, {"r_T": (0.01, 0.04)}, scenario="legacy_default", days=365.0, seed=0
    )
    lead = sensitivity_section(res, days=365.0).intro
    assert "horizon 365 days, 64 Latin-hypercube samples (seed 0)" in lead
    assert "150 days, " not in lead.split(HORIZON_NOTE)[0]
    assert HORIZON_NOTE in lead


def test_prior_shape_gives_a_spread_only_to_lognormal_priors() -> None:
    """The provenance table said 'loguniform, spread 0' for PD-L1, which spans its range."""
    from senotwin.report.cohort_sections import prior_shape

    assert prior_shape({"distribution": "lognormal", "spread": 0.4}) == "lognormal, spread 0.4"
    uniform = {"distribution": "loguniform", "spread": 0.0, "low": 3e3, "high": 2.24e5}
    assert prior_shape(uniform) == "loguniform over [3000, 224000]"
    assert prior_shape({"distribution": "uniform", "spread": 0.0, "low": None, "high": None}) == (
        "uniform over the parameter's range"
    )


def test_hazard_ratio_without_events_is_not_estimable(demo_results: DemoResults) -> None:
    """A Cox HR without events was printed 'NR (NR–NR)', i.e. 'not reached', which an HR never
    is; the reference arm is the first arm even when another arm's HR is NaN."""
    import math

    trial = cohort_sections(demo_results.cohort, demo_results.model)[0]
    summary = demo_results.cohort.summary
    rows, cols = trial.tables[0].rows, trial.tables[0].columns
    pfs, os_ = cols.index("HR PFS vs reference (95% CI)"), cols.index("HR OS vs reference (95% CI)")
    assert rows[0][pfs] == "reference"
    for r, rec in zip(rows[1:], summary.to_dict(orient="records")[1:], strict=True):
        for cell, hr in ((r[pfs], rec["hr_pfs"]), (r[os_], rec["hr_os"])):
            assert not cell.startswith("NR")
            assert (cell == "not estimable (too few events)") == (not math.isfinite(hr))


def test_a_log_rank_p_that_cannot_be_computed_is_left_blank(demo_results: DemoResults) -> None:
    """Without events in either arm the log-rank p is NaN: the table printed 'nan' (audit s43)."""
    import dataclasses

    cells = []
    for value in (0.0123, float("nan")):
        summary = demo_results.cohort.summary.copy()
        summary.loc[summary.index[1], "logrank_p_pfs"] = value
        results = dataclasses.replace(demo_results.cohort, summary=summary)
        table = cohort_sections(results, demo_results.model)[0].tables[0]
        cells.append(table.rows[1][table.columns.index("log-rank p (PFS)")])
    assert cells == ["0.012", ""]


def test_spider_explains_its_colours(monkeypatch) -> None:
    """The spider plot coloured lines by best response without a legend (only the waterfall
    had one)."""
    import senotwin.report.cohort_sections as cs

    drawn: list = []
    monkeypatch.setattr(cs, "figure_bytes", lambda fig: drawn.append(fig) or PNG)
    courses = pd.DataFrame(
        {
            "patient": [0, 0, 0],
            "arm": ["a"] * 3,
            "time": [0.0, 1.0, 2.0],
            "diameter": [10.0, 8.0, 30.0],
        }
    )
    rows = pd.DataFrame({"patient": [0], "arm": ["a"], "best_response": ["PR"]})
    cs.spider_figure(courses, rows)
    (fig,) = drawn
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        f"{k} {v}" for k, v in cs._RESP_NAMES.items()
    ]
    assert "cut at +150" in fig.axes[0].get_ylabel()
