"""Empty or out-of-domain arguments of the Python API are refused by name with what is allowed,
before pandas, numpy or scipy see them (audit s42 M2 and L2)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path

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


@pytest.mark.parametrize("bad", [0, -5])
def test_fit_problem_needs_a_positive_evaluation_budget(bad: object) -> None:
    """max_nfev=0 reached scipy ("max_nfev must be None or positive integer")."""
    from senotwin.calibrate import get_problem
    from senotwin.calibrate.fit import fit_problem

    with pytest.raises(ValidationError, match=r"^max_nfev = .*allowed: a whole number >= 1"):
        fit_problem(get_problem("galvis2019"), starts=1, max_nfev=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-1, 0])
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
    (
        "paths limit",
        lambda: _query("paths", _kb(), "IL-6", "PD-L1", limit="3"),
        r"^limit must be a whole number >= 1 \(paths\), got str '3'$",
    ),
    (
        "paths max_length",
        lambda: _query("paths", _kb(), "IL-6", "PD-L1", max_length="4"),
        r"^max_length must be a whole number in 1..8",
    ),
    (
        "agent_routes max_hops",
        lambda: _query("agent_routes", _kb(), "NF-kB", max_hops="2"),
        r"^max_hops must be a whole number in 1..4, got str",
    ),
    ("cite(kb, 7.6)", lambda: _query("cite", _kb(), 7.6), r"^items must be reference numbers"),
    ("cite(kb, [None])", lambda: _query("cite", _kb(), [None]), r"^items\[0\] must be a ref"),
    ("stats('kb')", lambda: _query("stats", "kb"), r"^kb must be a KnowledgeBase"),
    ("drugs('kb')", lambda: _query("drugs", "kb"), r"^kb must be a KnowledgeBase"),
    ("to_networkx('kb')", lambda: _query("to_networkx", "kb"), r"^kb must be a KnowledgeBase"),
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


# ---- the remaining entry points (cohort, sensitivity, calibration, scoring, optimisation, therapy
# comparisons, simulation): a wrong type is refused by parameter before any work starts


@cache
def _spec() -> object:
    from senotwin.sim.scenario import prepare_scenario

    return prepare_scenario("default").spec


@cache
def _problem() -> object:
    from senotwin.calibrate import get_problem

    return get_problem("galvis2019")


@cache
def _expression() -> tuple[np.ndarray, list[str], list[str]]:
    """The shipped fibroblasts: matrix, gene names and each sample's condition."""
    from senotwin.sc.examples import example_adata

    adata = example_adata()
    return np.asarray(adata.X), list(map(str, adata.var_names)), list(adata.obs["condition"])


def _config(**change: object) -> object:
    from senotwin.cohort.population import qsp_population
    from senotwin.cohort.runner import CohortArm, CohortConfig

    given: dict[str, object] = {
        "scenario": "default",
        "n": 2,
        "arms": (CohortArm("control"),),
        "population": qsp_population(),
    }
    return CohortConfig(**(given | change))  # type: ignore[arg-type]


def _run_cohort(tmp: Path, config: object = None, *, out: object = None, **kw: object) -> object:
    from senotwin.analysis.endpoints import EndpointReducer
    from senotwin.cohort.runner import run_cohort

    given: dict[str, object] = {"reducer": EndpointReducer()} | kw
    where = tmp / "cohort" if out is None else out
    return run_cohort(_config() if config is None else config, where, **given)  # type: ignore[arg-type]


def _cohort(fn: str, *args: object, **kw: object) -> object:
    from senotwin.cohort import population, runner, store

    home = next(m for m in (population, store, runner) if fn in vars(m))
    return getattr(home, fn)(*args, **kw)


def _sensitivity(**kw: object) -> object:
    from senotwin.analysis.sensitivity import run_sensitivity

    given: dict[str, object] = {"scenario": "default", "parameters": ["k_grow"], "n": 8} | kw
    return run_sensitivity(**given)  # type: ignore[arg-type]


def _fit(problem: object = None, **kw: object) -> object:
    from senotwin.calibrate.fit import fit_problem

    return fit_problem(_problem() if problem is None else problem, **({"starts": 1} | kw))  # type: ignore[arg-type]


def _score_adata(adata: object = None, *args: object, **kw: object) -> object:
    from senotwin.sc.examples import example_adata
    from senotwin.sc.scoring import score_adata

    return score_adata(example_adata() if adata is None else adata, *args, **kw)


def _sc(fn: str, *args: object, **kw: object) -> object:
    from importlib import import_module

    module, name = fn.split(".")
    return getattr(import_module(f"senotwin.sc.{module}"), name)(*args, **kw)


def _x(*args: object) -> tuple[object, ...]:
    """(matrix, genes, *args) of the shipped fibroblasts, for the sc calls."""
    x, genes, _ = _expression()
    return (x, genes, *args)


def _groups() -> list[str]:
    return _expression()[2]


def _survival(fn: str, df: object = None, **kw: object) -> object:
    from senotwin.sc import survival
    from senotwin.sc.examples import survival_table

    given: dict[str, object] = {"time": "os_days", "event": "death"} | kw
    return getattr(survival, fn)(survival_table() if df is None else df, **given)


def _optimize(*args: object, **kw: object) -> object:
    from senotwin.cohort.optimize import optimize_schedule

    defaults = ("default", ["navitoclax"])
    return optimize_schedule(*args, *defaults[len(args) :], **kw)  # type: ignore[arg-type]


def _compare(scenario: object = "default", arms: object = None, **kw: object) -> object:
    from senotwin.analysis.therapy import compare_arms

    return compare_arms(scenario, {"control": None} if arms is None else arms, **kw)  # type: ignore[arg-type]


def _dose_response(**kw: object) -> object:
    from senotwin.analysis.therapy import dose_response

    given: dict[str, object] = {"scenario": "default", "drug": "navitoclax", "doses": [100]} | kw
    return dose_response(**given)  # type: ignore[arg-type]


def _simulate(spec: object = None, **kw: object) -> object:
    from senotwin.sim.simulate import simulate

    return simulate(_spec() if spec is None else spec, **({"t_end": 10} | kw))  # type: ignore[arg-type]


def _run_scenario(scenario: object = "default", **kw: object) -> object:
    from senotwin.sim.scenario import run_scenario

    return run_scenario(scenario, **({"days": 10} | kw))  # type: ignore[arg-type]


#: (id, call given a scratch folder, the parameter the message names, the type it names)
MORE_WRONG_TYPES: list[tuple[str, Callable[[Path], object], str, str]] = [
    # cohort runs (senotwin cohort run / cohort summary)
    ("run_cohort config", lambda t: _run_cohort(t, {"n": 3}), "config", "dict"),
    ("run_cohort out", lambda t: _run_cohort(t, out=5), "out", "int"),
    ("run_cohort reducer", lambda t: _run_cohort(t, reducer=None), "reducer", "NoneType"),
    ("run_cohort workers", lambda t: _run_cohort(t, workers="2"), "workers", "str"),
    ("run_cohort scheduler", lambda t: _run_cohort(t, scheduler=8786), "scheduler", "int"),
    ("CohortConfig scenario", lambda t: _config(scenario=5), "scenario", "int"),
    ("CohortConfig n", lambda t: _config(n="4"), "n", "str"),
    ("CohortConfig n bool", lambda t: _config(n=True), "n", "bool"),
    ("CohortConfig seed", lambda t: _config(seed="1"), "seed", "str"),
    ("CohortConfig arms", lambda t: _config(arms={"a": None}), "arms", "dict"),
    ("CohortConfig arm", lambda t: _config(arms=["control"]), r"arms\[0\]", "str"),
    ("CohortConfig population", lambda t: _config(population="default"), "population", "str"),
    ("CohortConfig t_end", lambda t: _config(t_end="100"), "t_end", "str"),
    ("CohortConfig engine", lambda t: _config(engine=1), "engine", "int"),
    ("CohortConfig keep", lambda t: _config(keep_timecourses="V_T"), "keep_timecourses", "str"),
    ("CohortArm name", lambda t: _cohort("CohortArm", 5), "name", "int"),
    ("population_for spec", lambda t: _cohort("population_for", "default"), "spec", "str"),
    ("population_for cv", lambda t: _cohort("population_for", _spec(), cv="0.3"), "cv", "str"),
    ("load_rows out", lambda t: _cohort("load_rows", 5), "out", "int"),
    ("load_rows columns", lambda t: _cohort("load_rows", t, columns={"a": 1}), "columns", "dict"),
    ("read_manifest out", lambda t: _cohort("read_manifest", None), "out", "NoneType"),
    ("cohort_progress out", lambda t: _cohort("cohort_progress", 5), "out", "int"),
    # sensitivity analysis (senotwin sensitivity)
    ("sensitivity scenario", lambda t: _sensitivity(scenario=5), "scenario", "int"),
    ("sensitivity n", lambda t: _sensitivity(n="8"), "n", "str"),
    ("sensitivity n float", lambda t: _sensitivity(n=8.0), "n", "float"),
    ("sensitivity seed", lambda t: _sensitivity(seed="1"), "seed", "str"),
    ("sensitivity workers", lambda t: _sensitivity(workers="2"), "workers", "str"),
    ("sensitivity parameters", lambda t: _sensitivity(parameters={"k": 1}), "parameters", "dict"),
    ("sensitivity metrics", lambda t: _sensitivity(metrics=5), "metrics", "int"),
    ("sensitivity t_end", lambda t: _sensitivity(t_end="100"), "t_end", "str"),
    ("sensitivity spread", lambda t: _sensitivity(spread="2"), "spread", "str"),
    ("sensitivity method", lambda t: _sensitivity(method=1), "method", "int"),
    # calibration (senotwin calibrate)
    ("get_problem name", lambda t: _api_calibrate("get_problem", 5), "name", "int"),
    ("load_problem directory", lambda t: _api_calibrate("load_problem", 5), "directory", "int"),
    ("fit_problem problem", lambda t: _fit("galvis2019"), "problem", "str"),
    ("fit_problem starts", lambda t: _fit(starts="1"), "starts", "str"),
    ("fit_problem seed", lambda t: _fit(seed="1"), "seed", "str"),
    ("fit_problem max_nfev", lambda t: _fit(max_nfev="3"), "max_nfev", "str"),
    ("fit_problem max_nfev float", lambda t: _fit(max_nfev=2.5), "max_nfev", "float"),
    ("fit_problem max_nfev bool", lambda t: _fit(max_nfev=True), "max_nfev", "bool"),
    # bulk and single-cell scoring (senotwin score, senotwin sc)
    ("score_adata adata", lambda t: _score_adata(pd.DataFrame({"a": [1.0]})), "adata", "DataFrame"),
    ("score_adata signatures", lambda t: _score_adata(None, 5), "signatures", "int"),
    ("score_adata method", lambda t: _score_adata(method=5), "method", "int"),
    ("score_adata layer", lambda t: _score_adata(layer=0), "layer", "int"),
    ("score_adata species", lambda t: _score_adata(species=9606), "species", "int"),
    ("score_adata seed", lambda t: _score_adata(seed="1"), "seed", "str"),
    ("score_adata min_genes", lambda t: _score_adata(min_genes="3"), "min_genes", "str"),
    (
        "score_matrix genes",
        lambda t: _sc("scoring.score_matrix", _x()[0], "CDKN1A"),
        "genes",
        "str",
    ),
    (
        "score_matrix obs_names",
        lambda t: _sc("scoring.score_matrix", *_x(), obs_names=5),
        "obs_names",
        "int",
    ),
    (
        "call_senescent groups",
        lambda t: _sc("calls.call_senescent", *_x(), groups="condition"),
        "groups",
        "str",
    ),
    (
        "call_senescent n_null",
        lambda t: _sc("calls.call_senescent", *_x(), n_null="100"),
        "n_null",
        "str",
    ),
    (
        "call_senescent alpha",
        lambda t: _sc("calls.call_senescent", *_x(), alpha="0.05"),
        "alpha",
        "str",
    ),
    (
        "call_senescent hallmarks",
        lambda t: _sc("calls.call_senescent", *_x(), hallmarks=5),
        "hallmarks",
        "int",
    ),
    (
        "sasp_markers groups",
        lambda t: _sc("markers.sasp_markers", *_x("condition")),
        "groups",
        "str",
    ),
    (
        "sasp_markers min_cells",
        lambda t: _sc("markers.sasp_markers", *_x(_groups()), min_cells="3"),
        "min_cells",
        "str",
    ),
    (
        "sasp_markers signature",
        lambda t: _sc("markers.sasp_markers", *_x(_groups()), signature=5),
        "signature",
        "int",
    ),
    (
        "communication groups",
        lambda t: _sc("communication.communication", *_x(None)),
        "groups",
        "NoneType",
    ),
    (
        "communication n_perm",
        lambda t: _sc("communication.communication", *_x(_groups()), n_perm="9"),
        "n_perm",
        "str",
    ),
    ("cox_per_score df", lambda t: _survival("cox_per_score", "t.csv", scores="sasp"), "df", "str"),
    (
        "cox_per_score time",
        lambda t: _survival("cox_per_score", time=0, scores="sasp"),
        "time",
        "int",
    ),
    ("cox_per_score scores", lambda t: _survival("cox_per_score", scores=5), "scores", "int"),
    ("km_tertiles score", lambda t: _survival("km_tertiles", score=["sasp"]), "score", "list"),
    # optimisation (senotwin optimize)
    ("optimize scenario", lambda t: _optimize(5), "scenario", "int"),
    ("optimize drugs", lambda t: _optimize("default", {"navitoclax": 1}), "drugs", "dict"),
    ("optimize drug", lambda t: _optimize("default", [5]), r"drugs\[0\]", "int"),
    ("optimize budget", lambda t: _optimize(budget="1"), "budget", "str"),
    ("optimize patients", lambda t: _optimize(patients="2"), "patients", "str"),
    ("optimize horizon", lambda t: _optimize(horizon="100"), "horizon", "str"),
    ("optimize seed", lambda t: _optimize(seed="1"), "seed", "str"),
    ("optimize keep", lambda t: _optimize(keep="3"), "keep", "str"),
    ("optimize max_toxicity", lambda t: _optimize(max_toxicity="2"), "max_toxicity", "str"),
    # therapy comparisons (senotwin treat compare / dose-response)
    ("compare_arms scenario", lambda t: _compare(5), "scenario", "int"),
    (
        "compare_arms arms",
        lambda t: _compare(arms=["navitoclax 325 mg po qd d0-d13"]),
        "arms",
        "list",
    ),
    ("compare_arms arm", lambda t: _compare(arms={"a": 5}), r"arms\['a'\]", "int"),
    ("compare_arms days", lambda t: _compare(days="30"), "days", "str"),
    ("compare_arms overrides", lambda t: _compare(overrides=["k_grow"]), "overrides", "list"),
    ("dose_response scenario", lambda t: _dose_response(scenario=5), "scenario", "int"),
    ("dose_response drug", lambda t: _dose_response(drug=5), "drug", "int"),
    ("dose_response doses", lambda t: _dose_response(doses=100.0), "doses", "float"),
    ("dose_response dose", lambda t: _dose_response(doses=["100"]), r"doses\[0\]", "str"),
    ("dose_response schedule", lambda t: _dose_response(schedule=5), "schedule", "int"),
    ("dose_response background", lambda t: _dose_response(background=5), "background", "int"),
    # simulation
    ("simulate spec", lambda t: _simulate("qsp"), "spec", "str"),
    ("simulate t_end", lambda t: _simulate(t_end="10"), "t_end", "str"),
    ("simulate params", lambda t: _simulate(params=[("k_grow", 1.0)]), "params", "list"),
    ("run_scenario scenario", lambda t: _run_scenario(5), "scenario", "int"),
    ("run_scenario days", lambda t: _run_scenario(days="10"), "days", "str"),
    ("run_scenario overrides", lambda t: _run_scenario(overrides=["k_grow"]), "overrides", "list"),
    ("run_scenario blocks", lambda t: _run_scenario(blocks=["CD274"]), "blocks", "list"),
    ("run_scenario solver", lambda t: _run_scenario(solver="fast"), "solver", "str"),
    ("run_scenario regimen", lambda t: _run_scenario(regimen=5), "regimen", "int"),
    ("arm_summary table", lambda t: _api("arm_summary", np.zeros((2, 7))), "table", "ndarray"),
    ("parse_regimen body", lambda t: _regimen(body="70kg"), "body", "str"),
    ("parse_regimen lib", lambda t: _regimen(lib=["navitoclax"]), "lib", "list"),
    ("simulate_batch spec", lambda t: _batch("qsp", [{}]), "spec", "str"),
    ("simulate_batch sets", lambda t: _batch(_spec(), {"k_grow": 0.05}), "param_sets", "dict"),
    ("simulate_batch set", lambda t: _batch(_spec(), ["k_grow"]), r"param_sets\[0\]", "str"),
    ("simulate_batch blocks", lambda t: _batch(_spec(), [{}], blocks=["CD274"]), "blocks", "list"),
    ("simulate_batch t_end", lambda t: _batch(_spec(), [{}], t_end="5"), "t_end", "str"),
    # presets and trials (session 44)
    ("qsp_population cv", lambda t: _preset("qsp_population", cv="0.3"), "cv", "str"),
    ("tme_population cv", lambda t: _preset("tme_population", cv="0.3"), "cv", "str"),
    ("run_trial trial", lambda t: _trial_call("run_trial", t), "trial", "str"),
    ("run_replicates trial", lambda t: _trial_call("run_replicates", t), "trial", "str"),
    # a notebook user's calls (session 51)
    ("register_scenario", lambda t: _api("register_scenario", "mine"), "scenario", "str"),
    ("citation", lambda t: _api("citation", "default"), "run", "str"),
    (
        "CohortArm regimen",
        lambda t: _cohort("CohortArm", "a", regimen="x 1 mg po d0"),
        "regimen",
        "str",
    ),
    ("CohortArm params", lambda t: _cohort("CohortArm", "a", params=5), "params", "int"),
    ("score_matrix x", lambda t: _sc("scoring.score_matrix", "x.csv", ["A"]), "x", "str"),
    ("call_senescent x", lambda t: _sc("calls.call_senescent", [[1.0]], ["A"]), "x", "list"),
    ("sasp_markers x", lambda t: _sc("markers.sasp_markers", None, ["A"], ["g"]), "x", "NoneType"),
    (
        "communication x",
        lambda t: _sc("communication.communication", "x", ["A"], ["g"]),
        "x",
        "str",
    ),
    (
        "CohortArm blocks",
        lambda t: _cohort("CohortArm", "a", blocks=(("CD274", "1"),)),
        r"blocks\[0\]",
        "tuple",
    ),
]


def _regimen(**kw: object) -> object:
    from senotwin.therapy.language import parse_regimen

    return parse_regimen("navitoclax 100 mg po qd d0-d13", **kw)  # type: ignore[arg-type]


def _batch(spec: object, sets: object, **kw: object) -> object:
    from senotwin.sim.simulate import simulate_batch

    return simulate_batch(spec, sets, **({"t_end": 5.0} | kw))  # type: ignore[arg-type]


def _preset(fn: str, **kw: object) -> object:
    from senotwin.cohort import population

    return getattr(population, fn)(**kw)


def _trial_call(fn: str, out: Path) -> object:
    """A trial given by its name instead of its spec (AttributeError 'str' has no 'scenario')."""
    import senotwin.trial

    extra = {"replicates": 2} if fn == "run_replicates" else {}
    return getattr(senotwin.trial, fn)("keynote189", 10, out / "kn189", **extra)


def _api_calibrate(fn: str, *args: object) -> object:
    import senotwin.calibrate

    return getattr(senotwin.calibrate, fn)(*args)


@pytest.mark.parametrize(
    ("what", "call", "parameter", "given"), MORE_WRONG_TYPES, ids=[c[0] for c in MORE_WRONG_TYPES]
)
def test_a_wrong_type_is_refused_by_parameter_and_type_given(
    what: str, call: Callable[[Path], object], parameter: str, given: str, tmp_path: Path
) -> None:
    """run_cohort({...}) ended in "'dict' object has no attribute 'scenario'", run_sensitivity
    (n="8") in "'<' not supported between 'str' and 'int'", compare_arms(name, [text]) in
    "'list' object has no attribute 'items'", and so on; each is now refused at the entry, naming
    the parameter, what is allowed and the type given, before any file is written."""
    from senotwin._errors import ArgumentTypeError, SenotwinError

    with pytest.raises(TypeError, match=rf"^{parameter} must be .+, got {given} ") as err:
        call(tmp_path)
    assert isinstance(err.value, ArgumentTypeError) and isinstance(err.value, SenotwinError), what
    assert list(tmp_path.iterdir()) == [], f"{what} wrote {list(tmp_path.iterdir())}"


def test_one_name_alone_is_one_metric_drug_or_column(tmp_path: Path) -> None:
    """metrics='final_burden' was read letter by letter ("unknown metric(s) ['f', 'i', ...]"),
    optimize_schedule(scenario, 'navitoclax') as drugs 'n', 'a', ... ("unknown drug 'n'") and
    load_rows(out, columns='status') as columns 's', 't', ...: each name is now one."""
    from senotwin.analysis.sensitivity import run_sensitivity
    from senotwin.cohort.optimize import optimize_schedule
    from senotwin.cohort.store import MANIFEST, load_rows, shard_name

    with pytest.raises(ValidationError, match=r"n >= 4 samples for 1 parameters"):
        run_sensitivity("default", parameters="k_grow", metrics="final_burden", n=2)
    with pytest.raises(ValidationError, match=r"^horizon \(--horizon\) must be at least 14 days"):
        optimize_schedule("default", "navitoclax", horizon=5)
    (tmp_path / "shards").mkdir()
    rows = pd.DataFrame({"patient": [0, 0], "arm": ["b", "a"], "status": ["success"] * 2})
    rows.assign(x=[1.0, 2.0]).to_parquet(tmp_path / "shards" / shard_name(0, 1))
    manifest = {
        "chunks": [[0, 1]],
        "status": "complete",
        "config": {"arms": [{"name": "a"}, {"name": "b"}]},
    }
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    one = load_rows(tmp_path, columns="status")
    assert list(one.columns) == ["patient", "arm", "status"] and list(one["arm"]) == ["a", "b"]
    assert one.equals(load_rows(tmp_path, columns=["status"]))


def test_check_type_shows_the_first_line_of_a_value() -> None:
    """A DataFrame's repr spans lines: the message showed them all, cut mid-line."""
    from senotwin._errors import check_type

    with pytest.raises(TypeError, match=r"^adata must be an AnnData, got DataFrame [^\n]*\.\.\.$"):
        check_type(pd.DataFrame({"a": [1.0, 2.0]}), int, name="adata", what="an AnnData")


def test_dose_response_takes_an_array_of_doses() -> None:
    """np.array([...]) of doses ended in numpy's "truth value of an array ... is ambiguous"
    (``if not doses``); an array now reaches the checks on its values like a list."""
    from senotwin.analysis.therapy import dose_response

    with pytest.raises(ValidationError, match=r"^dose-response needs at least one dose"):
        dose_response("default", "navitoclax", np.array([]))
    with pytest.raises(ValidationError, match=r"^doses: 100 given more than once"):
        dose_response("default", "navitoclax", np.array([100.0, 100.0]))


def test_a_cohort_arm_takes_a_mapping_of_blocks_and_params() -> None:
    """CohortArm('a', params={...}) was kept as a dict and failed mid-run in the runner ("too
    many values to unpack"); a mapping is now kept as the sorted pairs --arm text gives."""
    from senotwin.cohort.runner import CohortArm, arm_from_text

    arm = CohortArm("a", blocks={"PDCD1": 0.9}, params={"k_grow": 0.1, "d_T8": 0.2})
    assert arm.params == (("d_T8", 0.2), ("k_grow", 0.1)) and arm.blocks == (("PDCD1", 0.9),)
    text = arm_from_text("a=block PDCD1=0.9; set k_grow=0.1; set d_T8=0.2")
    assert (arm.blocks, arm.params) == (text.blocks, text.params)
    assert hash(arm) == hash(CohortArm("a", blocks=[("PDCD1", 0.9)], params=arm.params))


@pytest.mark.parametrize(
    "fn", ["scoring.score_matrix", "calls.call_senescent", "markers.sasp_markers"]
)
def test_one_observation_as_a_1d_array_is_refused_by_its_shape(fn: str) -> None:
    """score_matrix(x[0], genes) ended in "not enough values to unpack (expected 2, got 1)"."""
    x, genes, groups = _expression()
    extra = (groups[:1],) if fn.startswith("markers") else ()
    with pytest.raises(
        ValidationError, match=r"^x must be a 2-D matrix.*got shape \(2423,\); one "
    ):
        _sc(fn, x[0], genes, *extra)


def test_cite_takes_a_reference_number_as_an_int() -> None:
    """query.cite(kb, 76) ended in "'int' object is not iterable"; it cites reference 76."""
    from senotwin.kb import query

    kb = _kb()
    assert query.cite(kb, 76) == query.cite(kb, "76")  # type: ignore[arg-type]
    assert query.cite(kb, [76, "IL-6"]) == query.cite(kb, ["76", "IL-6"])  # type: ignore[arg-type]
