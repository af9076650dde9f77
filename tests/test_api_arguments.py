"""Empty or out-of-domain arguments of the Python API are refused by name with what is allowed,
before pandas, numpy or scipy see them (audit s42 M2 and L2)."""

from __future__ import annotations

import numpy as np
import pytest

from senotwin._errors import ValidationError


@pytest.mark.parametrize("method", ["prcc", "sobol"])
def test_run_sensitivity_needs_a_parameter(method: str) -> None:
    """parameters=[] ended in pandas' KeyError 'index' (prcc) or an IndexError (sobol)."""
    from senotwin.analysis.sensitivity import run_sensitivity

    with pytest.raises(ValidationError, match=r"^parameters \(--param\) is empty"):
        run_sensitivity("default", parameters=[], n=8, method=method)  # type: ignore[arg-type]


def test_run_sensitivity_reads_one_name_as_one_parameter() -> None:
    from senotwin.analysis.sensitivity import run_sensitivity

    with pytest.raises(ValidationError, match=r"n >= 4 samples for 1 parameters"):
        run_sensitivity("default", parameters="k_grow", n=2)


@pytest.mark.parametrize("bad", [0, -5, "3", 2.5, True])
def test_fit_problem_needs_a_positive_evaluation_budget(bad: object) -> None:
    """max_nfev=0 reached scipy ("max_nfev must be None or positive integer")."""
    from senotwin.calibrate import get_problem
    from senotwin.calibrate.fit import fit_problem

    with pytest.raises(ValidationError, match=r"^max_nfev = .*allowed: a whole number >= 1"):
        fit_problem(get_problem("galvis2019"), starts=1, max_nfev=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-1, 0, "3"])
def test_score_adata_needs_min_genes_of_one_or_more(bad: object) -> None:
    from senotwin.sc.examples import example_adata
    from senotwin.sc.scoring import score_adata

    with pytest.raises(ValidationError, match=r"^min_genes = .*allowed: a whole number >= 1"):
        score_adata(example_adata(), ["sasp"], min_genes=bad)  # type: ignore[arg-type]


def test_cox_per_score_reads_one_name_as_one_column_and_needs_one() -> None:
    """scores='senescence' was read letter by letter ("score column 's' not found"); scores=[]
    returned an empty table without a word."""
    from senotwin.sc.examples import survival_table
    from senotwin.sc.survival import cox_per_score, left_out

    table = survival_table()
    one = cox_per_score(table, time="os_days", event="death", scores="senescence")
    assert list(one["score"]) == ["senescence"]
    listed = cox_per_score(table, time="os_days", event="death", scores=["senescence"])
    assert one.equals(listed)
    assert left_out(table, time="os_days", event="death", scores="senescence") is None
    for call in (cox_per_score, left_out):
        with pytest.raises(ValidationError, match=r"^scores \(--score\) is empty"):
            call(table, time="os_days", event="death", scores=[])


def test_call_senescent_needs_a_hallmark() -> None:
    """hallmarks=[] said "min_hallmarks must be in 1..0, got 2"."""
    from senotwin.sc.calls import call_senescent

    x = np.ones((4, 3))
    with pytest.raises(ValidationError, match=r"^hallmarks is empty: name at least one"):
        call_senescent(x, ["A", "B", "C"], hallmarks=[])
