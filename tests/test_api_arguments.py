"""Empty or out-of-domain arguments of the Python API are refused by name with what is allowed,
before pandas, numpy or scipy see them (audit s42 M2 and L2)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
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


def _kb() -> object:
    import senotwin

    return senotwin.load_kb()


def _query(fn: str, *args: object, **kw: object) -> object:
    from senotwin.kb import query

    return getattr(query, fn)(*args, **kw)


def _api(fn: str, *args: object) -> object:
    import senotwin

    return getattr(senotwin, fn)(*args)


def _get_trial(name: object) -> object:
    from senotwin.trial import get_trial

    return get_trial(name)  # type: ignore[arg-type]


#: (call, thunk, message): the entry points a user calls first, given a wrong type
WRONG_TYPES: list[tuple[str, Callable[[], object], str]] = [
    ("show(kb, 5)", lambda: _query("show", _kb(), 5), r"name must be a node name.*got int 5"),
    ("show(name, kb)", lambda: _query("show", "IL-6", "x"), r"kb must be a KnowledgeBase.*str"),
    ("search(kb, 5)", lambda: _query("search", _kb(), 5), r"text must be .*got int 5"),
    ("search limit", lambda: _query("search", _kb(), "IL", limit="5"), r"limit must be a whole"),
    ("neighbors(kb, 5)", lambda: _query("neighbors", _kb(), 5), r"name must be a node name"),
    ("show_interaction", lambda: _query("show_interaction", _kb(), 262), r"ident must be .*int"),
    ("load_kb(5)", lambda: _api("load_kb", 5), r"directory must be a path or None"),
    ("load_spec(5)", lambda: _api("load_spec", 5), r"path must be the path of a ModelSpec"),
    ("get_drug(5)", lambda: _api("get_drug", 5), r"name must be a drug id or alias"),
    ("get_signature(5)", lambda: _api("get_signature", 5), r"name must be a built-in signature"),
    ("get_trial(5)", lambda: _get_trial(5), r"name must be a library trial id"),
    ("make_twin(5, s)", lambda: _api("make_twin", 5, "s"), r"scores must be a score table"),
    (
        "make_twin(table, 0)",
        lambda: _api("make_twin", pd.DataFrame({"a": [1.0]}), 0),
        r"sample must be a sample name .*got int 0",
    ),
]


@pytest.mark.parametrize(("what", "call", "message"), WRONG_TYPES, ids=[c[0] for c in WRONG_TYPES])
def test_a_wrong_type_is_refused_at_the_entry_by_parameter(
    what: str, call: Callable[[], object], message: str
) -> None:
    """kb.query.show(kb, 5) ended in "'int' object has no attribute 'strip'" inside the loader
    (and get_drug, get_signature, get_trial, load_spec, make_twin alike)."""
    from senotwin._errors import ArgumentTypeError, SenotwinError

    with pytest.raises(TypeError, match=message) as err:
        call()
    assert isinstance(err.value, ArgumentTypeError) and isinstance(err.value, SenotwinError), what


def test_check_type_refuses_a_bool_for_a_number() -> None:
    from senotwin._errors import check_type

    check_type(3, int, name="n", what="a whole number")
    with pytest.raises(TypeError, match=r"^n must be a whole number, got bool True$"):
        check_type(True, int, name="n", what="a whole number")


def test_check_type_shows_the_first_line_of_a_value() -> None:
    """A DataFrame's repr spans lines: the message showed them all, cut mid-line."""
    from senotwin._errors import check_type

    with pytest.raises(TypeError, match=r"^adata must be an AnnData, got DataFrame [^\n]*\.\.\.$"):
        check_type(pd.DataFrame({"a": [1.0, 2.0]}), int, name="adata", what="an AnnData")
