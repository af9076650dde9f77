"""A small but complete DemoResults (short runs, 2 patients, fabricated validation and
sensitivity records) so report tests draw every section without the demo's minutes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from senotwin.analysis.demo import (
    DemoResults,
    dual_effect_runs,
    load_cohort_results,
    scenario_table,
)
from senotwin.analysis.endpoints import EndpointReducer
from senotwin.analysis.sensitivity import SensitivityResult
from senotwin.analysis.therapy import compare_arms
from senotwin.analysis.validation import CaseResult, ValidationReport
from senotwin.cohort.population import qsp_population
from senotwin.cohort.runner import CohortConfig, arm_from_text, run_cohort
from senotwin.kb import load as load_kb
from senotwin.model.scenarios import get_scenario


def _case(ident: str, passed: bool) -> CaseResult:
    return CaseResult(
        id=ident,
        tier="literature",
        claim=f"claim {ident}",
        perturbation="block NFKB=0.8, k_grow=0.01",
        system="mouse liver, young host, inducer chemo",
        readout="V_T",
        unit="mL",
        measure="day 30",
        kind="direction",
        quantitative=False,
        expected="decrease >= 5% (direction only)",
        expected_range=None,
        effect_unit="relative",
        control_value=1.0,
        perturbed_value=0.5 if passed else 1.2,
        effect=-0.5 if passed else 0.2,
        passed=passed,
        paper="Paper P et al. 2020",
        panel="Fig. 2b",
        number=None,
        section="2.2",
        refs=(12, 13),
        explanation=None if passed else f"{ident} expected a decrease, observed +20.0%",
    )


def _sensitivity() -> SensitivityResult:
    params = ("k_grow", "k_tis", "s_rs")
    rows = []
    for metric in ("final_burden", "sasp_net_effect"):
        for rank, (p, v) in enumerate(zip(params, (0.7, -0.4, 0.1), strict=True), start=1):
            rows.append(
                {"metric": metric, "parameter": p, "index": v, "low": v - 0.1, "high": v + 0.1,
                 "p": 0.01, "rank": rank}
            )  # fmt: skip
    bounds = {p: (0.5, 2.0) for p in params}
    return SensitivityResult("prcc", pd.DataFrame(rows), 8, 0.25, bounds)


def make_results(cohort_dir: Path) -> DemoResults:
    cfg = CohortConfig(
        "default",
        2,
        (arm_from_text("chemo=none"), arm_from_text("seno=step block_BCL2_FAMILY=0.9@7")),
        qsp_population(),
        seed=4,
        t_end=40.0,
        engine="reference",
        keep_timecourses=("diameter",),
    )
    run_cohort(cfg, cohort_dir, reducer=EndpointReducer(), workers=1, processes=False)
    therapy_arms = {
        "chemotherapy": "doxorubicin 2 mg/kg iv d0",
        "+ senolytic": "doxorubicin 2 mg/kg iv d0; navitoclax 325 mg po qd d3-d5",
    }
    return DemoResults(
        kb=load_kb(),
        model=get_scenario("default").load(),
        default_scenario="default",
        default_run=scenario_table("default", days=30.0),
        dual_runs=dual_effect_runs(days=30.0),
        validation=ValidationReport((_case("C1", True), _case("C2", False))),
        therapy=compare_arms("aged_lung_untreated", therapy_arms, days=20.0),
        therapy_arms=therapy_arms,
        cohort=load_cohort_results(cohort_dir),
        sensitivity=_sensitivity(),
        sensitivity_days=20.0,
        sensitivity_model=get_scenario("default").load(),
    )


@pytest.fixture(scope="session")
def demo_results(tmp_path_factory: pytest.TempPathFactory) -> DemoResults:
    return make_results(tmp_path_factory.mktemp("cohort"))
