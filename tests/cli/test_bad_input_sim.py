"""Bad input to regimens, simulation and cohorts, tried as a demanding user would (issue 10.7).

One row per case: what is run (CLI arguments, or an API call), the exit code expected and a
fragment the message must contain. CLI rows go through typer's CliRunner; API rows map an
exception to exit code 2 and a 'failed' simulation to 1. Every row runs under an alarm, so a
hang fails the row instead of the suite; a traceback (an exception the CLI did not turn into
``error: ...``) fails it too.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from senotwin.cli.app import app
from senotwin.model import load_fixture
from senotwin.model.io import spec_from_dict, spec_to_dict, spec_to_yaml
from senotwin.sim import Dose, simulate
from senotwin.sim.scenario import run_scenario

ROW_SECONDS = 120  # a row that takes longer hangs (the slowest runs a 10-day simulation)
BIG = "1" * 5000  # beyond Python's 4,300-digit integer conversion limit
runner = CliRunner()

Args = list[str] | Callable[[Path], list[str]] | Callable[[Path], str]


@dataclass(frozen=True)
class Case:
    """A bad input: CLI args (or a builder given a scratch dir), expected exit code, fragment."""

    id: str
    run: Args
    code: int
    fragment: str
    api: bool = False  # run is an API call returning a text (not CLI arguments)


# ---- scratch inputs -----------------------------------------------------------------------------
def _write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def _model_with(tmp: Path, name: str, **changes: object) -> str:
    data = spec_to_dict(load_fixture("karin2019"))
    data.update(changes)
    return _write(tmp / f"{name}.yaml", spec_to_yaml(spec_from_dict(data)))


def _raw_model(tmp: Path, name: str, old: str, new: str) -> str:
    text = spec_to_yaml(load_fixture("karin2019"))
    assert old in text
    return _write(tmp / f"{name}.yaml", text.replace(old, new, 1))


def _cohort_dir(tmp: Path, *, n: int = 4, done: int = 4, status: str = "complete", ok=True) -> str:
    """A cohort directory as 'cohort run' leaves it (two arms, one patient per chunk)."""
    out = tmp / "cohort"
    (out / "shards").mkdir(parents=True)
    chunks = [[i, i + 1] for i in range(n)]
    arms = [{"name": "control"}, {"name": "ici"}]
    manifest = {
        "format": "senotwin-cohort/1",
        "config": {"scenario": "legacy_default", "seed": 0, "n": n, "arms": arms},
        "chunks": chunks,
        "done": chunks[:done],
        "status": status,
    }
    (out / "manifest.json").write_text(json.dumps(manifest))
    for i in range(done):
        rows = [
            {
                "patient": i,
                "arm": arm["name"],
                "status": "success" if ok else "failed",
                "message": "integration successful" if ok else "integration failed: boom",
                "best_response": "SD",
                "pfs_days": 20.0 + i,
                "pfs_event": i % 2 == 0,
                "os_days": 30.0,
                "os_event": False,
            }
            for arm in arms
        ]
        pd.DataFrame(rows).to_parquet(out / "shards" / f"chunk-{i:07d}-{i + 1:07d}.parquet")
    return str(out)


def _sim(tmp: Path, *extra: str) -> list[str]:
    return [
        "simulate",
        "--scenario",
        "legacy_aged_lung_untreated",
        "--out",
        str(tmp / "o.csv"),
        *extra,
    ]


def _engine_fails(engine: str, observable: str) -> Callable[[Path], str]:
    def call(_: Path) -> str:
        data = spec_to_dict(load_fixture("karin2019"))
        data["observables"][0]["expression"] = observable
        res = simulate(spec_from_dict(data), t_end=5.0, engine=engine)
        if not res.ok:
            raise _Failed(res.message)
        return res.message

    return call


class _Failed(Exception):
    """A simulation returned status 'failed' (exit code 1 in the table)."""


def _yaml_regimen(tmp: Path, body: str) -> str:
    return _write(tmp / "regimen.yaml", "regimen:\n  - drug: doxorubicin\n" + body)


# ---- the table ----------------------------------------------------------------------------------
#: the commands taking --ensemble and --members, up to those two options
COMMANDS_WITH_MEMBERS: dict[str, Callable[[Path], list[str]]] = {
    "validate": lambda t: ["validate"],
    "simulate": lambda t: _sim(t, "--days", "5"),
    "treat": lambda t: ["treat", "compare", "--arm", "a=none", "--days", "5"],
    "cohort": lambda t: ["cohort", "run", "--n", "2", "--out", str(t / "o")],
}


def _compare_ensemble_members(n: int) -> str:
    """compare_arms_ensemble with ``max_members=n`` on a two-set ensemble."""
    import pandas as pd

    from senotwin.analysis.ensemble_compare import compare_arms_ensemble

    sets = pd.DataFrame({"k_grow": [0.02, 0.03], "k_rem": [0.1, 0.1]})
    return str(compare_arms_ensemble("default", {"a": None}, sets, days=5, max_members=n))


CASES: tuple[Case, ...] = (
    # one strict YAML loader: duplicate keys and over-long integers name line, column and key
    Case(
        "regimen-yaml-duplicate-dose",
        lambda t: _sim(
            t, "--regimen", _yaml_regimen(t, "    dose: 1 mg/kg\n    dose: 100 mg/kg\n")
        ),
        2,
        "cannot read regimen: malformed YAML: line 4, column 5: key 'dose' is given twice",
    ),
    Case(
        "model-yaml-duplicate-key",
        lambda t: [
            "simulate",
            "--model",
            _raw_model(t, "dup", "id: karin2019\n", "id: karin2019\nid: other\n"),
            "--days",
            "5",
            "--out",
            str(t / "o.csv"),
        ],
        2,
        "key 'id' is given twice",
    ),
    Case(
        "regimen-yaml-huge-integer",
        lambda t: _sim(t, "--regimen", _yaml_regimen(t, f"    dose: 1 mg/kg\n    days: [{BIG}]\n")),
        2,
        "field 'days': integer with 5000 digits is too long (at most 4300 digits",
    ),
    Case(
        "model-yaml-huge-integer",
        lambda t: [
            "simulate",
            "--model",
            _raw_model(t, "bigint", "initial: 0.0", f"initial: {BIG}"),
            "--out",
            str(t / "o.csv"),
        ],
        2,
        "field 'initial': integer with 5000 digits",
    ),
    Case(
        "regimen-text-huge-number",
        lambda t: _sim(t, "--regimen", f"doxorubicin {BIG} mg/kg d0"),
        2,
        "a dose amount '" + "1" * 40 + "'... (5000 characters) is not finite",
    ),
    Case(
        "cohort-action-huge-number",
        lambda t: ["cohort", "run", "--out", str(t / "c"), "--arm", f"x=set r_T={BIG}"],
        2,
        "(5000 characters) is not finite (numbers must lie within",
    ),
    # cohort summary of an unfinished or all-failed run; options checked before any work
    Case(
        "summary-interrupted",
        lambda t: ["cohort", "summary", _cohort_dir(t, done=2, status="running")],
        2,
        "is incomplete: 2 of 4 patients done (run status 'running')",
    ),
    Case(
        "summary-interrupted-json",
        lambda t: ["cohort", "summary", _cohort_dir(t, done=2, status="running"), "--json"],
        2,
        "--partial",
    ),
    Case(
        "summary-interrupted-partial",
        lambda t: ["cohort", "summary", _cohort_dir(t, done=2, status="running"), "--partial"],
        0,
        "warning: partial results: 2 of 4 patients done",
    ),
    Case(
        "summary-all-failed",
        lambda t: ["cohort", "summary", _cohort_dir(t, ok=False)],
        2,
        "all 8 patient-arms failed, nothing to summarise (first failure: integration failed: boom)",
    ),
    Case(
        "cohort-engine-typo",
        lambda t: ["cohort", "run", "--out", str(t / "c"), "--engine", "fsat", "--quiet"],
        2,
        "unknown engine 'fsat'; did you mean 'fast'?",
    ),
    Case(
        "cohort-days-huge",
        lambda t: ["cohort", "run", "--out", str(t / "c"), "--days", "1e9", "--quiet"],
        2,
        "at most 36500 days (100 years",
    ),
    # doses bounded per drug; days bounded everywhere
    Case(
        "dose-1e300",
        lambda t: _sim(t, "--regimen", "doxorubicin 1e300 mg/kg d0"),
        2,
        "dose 1e+300 mg/kg of doxorubicin is above its limit of 40 mg/kg (20x its reference dose",
    ),
    Case(
        "dose-1e9",
        lambda t: _sim(t, "--regimen", "doxorubicin 1e9 mg/kg d0"),
        2,
        "above its limit of 40 mg/kg",
    ),
    Case(
        "dose-per-area-limit-in-its-unit",  # said only '40 mg/kg' to a dose written in mg/m2
        lambda t: _sim(t, "--regimen", "doxorubicin 6000 mg/m2 iv d0"),
        2,
        "dose 6000 mg/m2 of doxorubicin is above its limit of 40 mg/kg = 1480 mg/m2 (20x its",
    ),
    Case(
        "dose-limit-without-an-exponent",  # a mouse's metformin limit read '2.5e+04 mg/kg'
        lambda t: [
            *("simulate", "--scenario", "mouse_emt6_isotype", "--out", str(t / "o.csv")),
            *("--regimen", "metformin 850 mg po tid d0-d3"),
        ],
        2,
        "dose 850 mg of metformin is above its limit of 25000 mg/kg = 500 mg (100x its",
    ),
    Case(
        "dose-radiation-single-fraction",
        lambda t: _sim(t, "--regimen", "radiation 35 Gy d0"),
        2,
        "above its limit of 34 Gy",
    ),
    Case(
        "days-1e9",
        lambda t: _sim(t, "--days", "1e9"),
        2,
        "--days = 1e+09 days is too long: at most 36500 days",
    ),
    Case("days-1e6", lambda t: _sim(t, "--days", "1e6"), 2, "at most 36500 days"),
    # session 50 (audit): 1e-300 days ran a minute before the solver gave up on its step
    Case(
        "days-1e-300",
        lambda t: _sim(t, "--days", "1e-300"),
        2,
        "--days = 1e-300 days is too short: at least 0.000694 days (one minute",
    ),
    Case(
        "treat-days-1e9",
        ["treat", "compare", "--arm", "a=none", "--days", "1e9"],
        2,
        "days = 1e+09 days is too long",
    ),
    Case(
        "sensitivity-days-1e9",
        ["sensitivity", "--days", "1e9"],
        2,
        "days = 1e+09 days is too long",
    ),
    # session 32 (audit2): the horizon's error named 'days (t_end)' or 'days', not --days
    Case(
        "cohort-early-days-negative",
        lambda t: ["cohort", "run", "--n", "2", "--days", "-3", "--out", str(t / "o")],
        2,
        "error: --days must be a positive finite number of days, got -3.0",
    ),
    Case(
        "treat-days-0",
        ["treat", "compare", "--arm", "a=none", "--days", "0"],
        2,
        "error: --days must be a positive finite number of days, got 0.0",
    ),
    Case(
        "dose-response-days-nan",
        ["treat", "dose-response", "--drug", "doxorubicin", "--doses", "1", "--days", "nan"],
        2,
        "error: --days must be a positive finite number of days, got nan",
    ),
    Case(
        "sensitivity-days-0",
        ["sensitivity", "--days", "0"],
        2,
        "error: --days must be a positive finite number of days, got 0.0",
    ),
    Case(
        "twin-days-negative",
        lambda t: [
            *("twin", "from-sample", str(t / "x.csv"), "--sample", "s"),
            *("--out", str(t / "o.csv"), "--days", "-1"),
        ],
        2,
        "error: --days must be a positive finite number of days, got -1.0",
    ),
    # ... and a bad arm or --scheduler drew a 0/N progress bar above the error
    Case(
        "cohort-early-bad-block",
        lambda t: ["cohort", "run", "--n", "2", "--arm", "x=block FOO=0.5", "--out", str(t / "o")],
        2,
        "error: arm 'x': unknown entity 'FOO' to block",
    ),
    Case(
        "cohort-early-bad-scheduler",
        lambda t: ["cohort", "run", "--n", "2", "--scheduler", "foo", "--out", str(t / "o")],
        2,
        "error: --scheduler 'foo' is not a Dask scheduler address (expected tcp://HOST:PORT)",
    ),
    Case(
        "optimize-horizon-1e9",
        ["optimize", "--horizon", "1e9"],
        2,
        "horizon = 1e+09 days is too long",
    ),
    # a dose after the end of the run is stated, not dropped silently
    Case(
        "dose-after-end",
        lambda t: _sim(t, "--days", "10", "--regimen", "doxorubicin 2 mg/kg d0,d14"),
        0,
        "warning: 1 scheduled action(s) fall after the end of the run (day 10) and are not "
        "applied (first: dose of drug_doxorubicin on day 14)",
    ),
    # repeated doses: one rule within and across items, and in dose-response
    Case(
        "same-day-within-item",
        lambda t: _sim(t, "--regimen", "doxorubicin 2 mg/kg d0,d0"),
        2,
        "line 1, column 21: the same dosing time is listed twice",
    ),
    Case(
        "same-day-across-items",
        lambda t: _sim(t, "--regimen", "doxorubicin 2 mg/kg d0; doxorubicin 2 mg/kg d0"),
        2,
        "line 1, column 25: doxorubicin is already given on day 0 by item 1",
    ),
    Case(
        "dose-response-repeated-dose",
        ["treat", "dose-response", "--drug", "doxorubicin", "--doses", "1,1", "--days", "5"],
        2,
        "doses: 1 given more than once",
    ),
    Case(
        "dose-response-zero-dose",  # said "doses must be positive numbers", no option named
        ["treat", "dose-response", "--drug", "doxorubicin", "--doses", "1,0", "--days", "5"],
        2,
        "doses (--doses) must be numbers > 0, got 0",
    ),
    # negative and non-finite values naming the option
    Case(
        "cohort-negative-dose-action",
        lambda t: ["cohort", "run", "--out", str(t / "c"), "--arm", "x=dose T=-1@0"],
        2,
        "action 1: line 1, column 8: the value of T must be a number >= 0, found '-1@0'",
    ),
    Case("api-negative-dose", lambda t: str(Dose(0.0, "T", -1.0)), 2, "amount must be >= 0", True),
    Case(
        "simulate-negative-set-without-range",
        lambda t: [
            *("simulate", "--scenario", "default", "--days", "1", "--set", "mL_per_L=-1"),
            *("--out", str(t / "o.csv")),
        ],
        2,
        "the value of mL_per_L must be a number >= 0",
    ),
    Case(
        "api-definition-set-to-another-number",  # the only unranged parameters are definitions
        lambda t: str(run_scenario("default", overrides={"mL_per_L": -1.0}, days=1.0)),
        2,
        "mL_per_L is a definition (a unit conversion or physical constant: 1 L = 1000 mL)",
        True,
    ),
    Case(
        "optimize-max-toxicity-nan",
        ["optimize", "--max-toxicity", "nan"],
        2,
        "max_toxicity (--max-toxicity) must be a finite number >= 0",
    ),
    Case(
        "optimize-max-toxicity-negative",
        ["optimize", "--max-toxicity", "-1"],
        2,
        "max_toxicity (--max-toxicity) must be a finite number >= 0",
    ),
    # non-finite models: rejected at load, or every engine fails alike, as data
    Case(
        "model-literal-1e999",
        lambda t: [
            "simulate",
            "--model",
            _raw_model(t, "inf", "log(2) * (kappa + X) / beta", "1e999 * X"),
            "--out",
            str(t / "o.csv"),
        ],
        2,
        "observable 'removal_half_life': number 1e999 at column 1 of '1e999 * X' is not finite",
    ),
    Case(
        "model-parameter-inf",
        lambda t: [
            "simulate",
            "--model",
            _raw_model(t, "pinf", "value: 0.27", "value: .inf"),
            "--out",
            str(t / "o.csv"),
        ],
        2,
        "value must be finite, got inf",
    ),
    *(
        Case(
            f"divide-by-zero-{engine}",
            _engine_fails(engine, "X / 0"),
            1,
            "observable 'removal_half_life' is nan at t=0 day (a division by zero",
            api=True,
        )
        for engine in ("reference", "fast", "roadrunner")
    ),
    Case(
        "divide-by-zero-cli-fast",
        lambda t: [
            "simulate",
            "--model",
            _raw_model(t, "div0", "log(2) * (kappa + X) / beta", "X / 0"),
            "--engine",
            "fast",
            "--out",
            str(t / "o.csv"),
        ],
        1,
        "error: simulation failed: observable 'removal_half_life' is nan",
    ),
    # trial run checks its size, seed and workers before any patient is drawn (it said
    # 'expected non-negative integer' for a negative seed, naming neither field nor value)
    Case(
        "trial-negative-seed",
        lambda t: ["trial", "run", "keynote189", "--n", "2", "--seed", "-3", "--out", str(t / "o")],
        2,
        "error: seed (--seed) must be an integer >= 0, got -3",
    ),
    Case(
        "trial-n-0",
        lambda t: ["trial", "run", "keynote189", "--n", "0", "--out", str(t / "o")],
        2,
        "error: cohort size n (--n) must be a positive integer, got 0",
    ),
    # session 50 (audit): --n 1e8 filled memory for minutes and wrote nothing
    Case(
        "trial-n-1e8",
        lambda t: ["trial", "run", "keynote189", "--n", "100000000", "--out", str(t / "o")],
        2,
        "error: cohort size n (--n) = 100,000,000 is too large: at most 100,000",
    ),
    Case(
        "cohort-n-200000",
        lambda t: ["cohort", "run", "--n", "200000", "--out", str(t / "o")],
        2,
        "error: cohort size n (--n) = 200,000 is too large",
    ),
    Case(
        "trial-workers-0",
        lambda t: [
            "trial",
            "run",
            "keynote189",
            "--n",
            "2",
            "--workers",
            "0",
            "--out",
            str(t / "o"),
        ],
        2,
        "error: --workers must be a positive integer, got 0",
    ),
    Case(
        "cohort-workers-0",
        lambda t: ["cohort", "run", "--n", "2", "--workers", "0", "--out", str(t / "o")],
        2,
        "error: --workers must be a positive integer, got 0",
    ),
    # session 49 (audit s48): --resume of a folder that is not there started a fresh run
    *(
        Case(
            f"{cmd}-resume-nothing",
            lambda t, args=args: [*args, "--n", "2", "--out", str(t / "o"), "--resume"],
            2,
            "does not exist; drop --resume (in Python: resume=False) to start a run",
        )
        for cmd, args in (
            ("trial", ["trial", "run", "keynote189"]),
            ("cohort-early", ["cohort", "run"]),
        )
    ),
    # session 21 (ux): messages that named an internal prior, no option or no value
    Case(
        "cohort-negative-cv",  # said 'prior of k_grow: spread must be >= 0'
        lambda t: ["cohort", "run", "--n", "2", "--cv", "-1", "--out", str(t / "o")],
        2,
        "error: cv (between-patient coefficient of variation, --cv) must be a number >= 0",
    ),
    Case(
        "dose-response-unknown-drug",  # said only "unknown drug 'nope'"
        ["treat", "dose-response", "--drug", "zzqx", "--doses", "1"],
        2,
        "unknown drug 'zzqx' (`senotwin drugs list` lists the library)",
    ),
    Case(
        "dose-response-bad-background",  # named an arm 'control' the user never wrote (s41)
        [
            "treat",
            "dose-response",
            "--drug",
            "navitoclax",
            "--doses",
            "100",
            "--background",
            "doxorubicn 2 mg/kg iv d0",
        ],
        2,
        "background (--background): regimen: line 1, column 1: unknown drug 'doxorubicn'",
    ),
    Case(
        "treat-compare-empty-arm",  # ran as an untreated arm without a word (audit, s41)
        ["treat", "compare", "--arm", "a=", "--days", "5"],
        2,
        "--arm 'a=' has no regimen after '='; write a=none for an untreated arm",
    ),
    Case(
        "dose-response-unknown-unit",  # said only "unknown dose unit 'furlong'"
        ["treat", "dose-response", "--drug", "navitoclax", "--doses", "100", "--unit", "furlong"],
        2,
        "unknown dose unit 'furlong' (a navitoclax dose is in mg/kg,",
    ),
    Case(
        "sensitivity-unknown-param",  # said "unknown parameter 'k_grw'" without a suggestion
        ["sensitivity", "--param", "k_grw", "--n", "20"],
        2,
        "unknown parameter 'k_grw' of sasp_qsp; did you mean 'k_grow'",
    ),
    Case(
        "sensitivity-a-definition",  # varied the litre like a magnitude (audit, session 41)
        ["sensitivity", "--param", "mL_per_L", "--n", "20"],
        2,
        "mL_per_L is a definition (a unit conversion or physical constant: 1 L = 1000 mL), not "
        "a model parameter; it cannot be varied in a sensitivity analysis (--param)",
    ),
    Case(
        "petab-estimate-a-definition",  # fitted the millimetre (audit, session 41)
        lambda t: [
            *("petab", "export", "--scenario", "default", "--estimate", "mm_per_cm"),
            *("--out", str(t / "never")),
        ],
        2,
        "mm_per_cm is a definition (a unit conversion or physical constant: 1 cm = 10 mm), not "
        "a model parameter; it cannot be estimated (--estimate)",
    ),
    Case(
        "ensemble-text-value",  # said 'ensemble: every parameter value must be a finite number'
        lambda t: [
            "simulate",
            "--scenario",
            "default",
            "--days",
            "5",
            "--ensemble",
            _write(t / "e.csv", "k_grow,k_rem\n0.02,0.1\n0.02,abc\n"),
            "--out",
            str(t / "o.csv"),
        ],
        2,
        "error: ensemble: row 2, column 'k_rem': 'abc' is not a finite number",
    ),
    Case(
        "cohort-arm-twice",  # said "arm names must be unique, got ['a', 'a']" (ux53)
        lambda t: [
            "cohort",
            "run",
            "--n",
            "2",
            "--out",
            str(t / "c"),
            "--arm",
            "a=none",
            "--arm",
            "a=none",
        ],
        2,
        "error: arm names (--arm NAME=...) must be unique: 'a' given more than once",
    ),
    Case(
        "optimize-budget-0",  # said 'budget must be >= 1 and patients >= 2' for either
        ["optimize", "--budget", "0"],
        2,
        "error: budget (--budget, schedules tried) must be from 1 to 2,000, got 0",
    ),
    Case(
        "optimize-patients-1",
        ["optimize", "--patients", "1"],
        2,
        "error: patients (--patients, virtual patients per evaluation) must be from 2 to 1,000, "
        "got 1",
    ),
    # no upper bound: a mistyped budget or cohort ran for ever (fix53b)
    Case(
        "optimize-budget-huge",
        ["optimize", "--budget", "10000000"],
        2,
        "error: budget (--budget, schedules tried) must be from 1 to 2,000, got 10000000",
    ),
    Case(
        "optimize-patients-huge",
        ["optimize", "--patients", "1001"],
        2,
        "error: patients (--patients, virtual patients per evaluation) must be from 2 to 1,000, "
        "got 1001",
    ),
    # session 32 (audit): options silently ignored, internal names and numpy messages
    Case(
        "treat-metric-without-ensemble",  # ran, ignoring --metric
        ["treat", "compare", "--arm", "a=none", "--days", "5", "--metric", "foo"],
        2,
        "error: --metric decides which arm beats another; it needs --ensemble",
    ),
    Case(
        "treat-members-without-ensemble",  # ran, ignoring --members
        ["treat", "compare", "--arm", "a=none", "--days", "5", "--members", "3"],
        2,
        "error: --members selects ensemble members; it needs --ensemble",
    ),
    Case(
        "simulate-summary-json-with-ensemble",  # wrote the bands and printed no summary at all
        lambda t: [
            *_sim(t, "--days", "5", "--summary-json"),
            "--ensemble",
            _write(t / "e.csv", "r_T\n0.02\n"),
        ],
        2,
        "error: --summary-json summarises one run; it does not go with --ensemble",
    ),
    Case(
        "treat-dose-rules-with-ensemble",  # ran every member without the dose rules
        lambda t: [
            "treat",
            "compare",
            "--arm",
            "a=none",
            "--days",
            "5",
            "--dose-rules",
            "--ensemble",
            _write(t / "e.csv", "k_grow\n0.02\n"),
        ],
        2,
        "error: --dose-rules applies to single runs; it does not go with --ensemble",
    ),
    Case(
        "treat-members-0",  # said 'max_members = 0'
        lambda t: [
            "treat",
            "compare",
            "--arm",
            "a=none",
            "--days",
            "5",
            "--members",
            "0",
            "--ensemble",
            _write(t / "e.csv", "k_grow\n0.02\n"),
        ],
        2,
        "error: --members must be >= 1, got 0",
    ),
    Case(
        "ensemble-negative-value",  # ran with a negative rate (--set refuses one)
        lambda t: [
            "simulate",
            "--scenario",
            "default",
            "--days",
            "5",
            "--out",
            str(t / "o.csv"),
            "--ensemble",
            _write(t / "e.csv", "k_grow,k_rem\n0.02,0.1\n0.02,-0.1\n"),
        ],
        2,
        "error: ensemble: row 2, column 'k_rem': -0.1 is negative",
    ),
    Case(
        "treat-ensemble-negative-value",
        lambda t: [
            "treat",
            "compare",
            "--arm",
            "a=none",
            "--days",
            "5",
            "--ensemble",
            _write(t / "e.csv", "k_kill\n-1\n"),
        ],
        2,
        "error: ensemble: row 1, column 'k_kill': -1 is negative",
    ),
    Case(
        "sensitivity-spread-nan",  # said 'Cannot apply_along_axis when any iteration ...'
        ["sensitivity", "--spread", "nan", "--n", "20"],
        2,
        "error: spread (--spread) must be a finite number > 1, got nan",
    ),
    Case(
        "sensitivity-workers-0",  # ran in process
        ["sensitivity", "--workers", "0", "--n", "20"],
        2,
        "error: --workers must be a positive integer, got 0",
    ),
    Case(
        "sensitivity-top-0",  # ran and showed no parameter
        ["sensitivity", "--top", "0", "--n", "20"],
        2,
        "error: --top must be a positive integer, got 0",
    ),
    # session 48 (audit): a message that named neither the option nor the value given
    Case(
        "cohort-early-chunk-size-negative",  # said 'chunk_size must be >= 0 (0 = automatic)'
        lambda t: ["cohort", "run", "--n", "2", "--chunk-size", "-1", "--out", str(t / "o")],
        2,
        "error: chunk_size (--chunk-size, patients per task) must be >= 0 (0 = automatic), got -1",
    ),
    # --members beyond the ensemble ran every set, fewer than asked, and said nothing
    *(
        Case(
            f"members-beyond-the-ensemble-{cmd}",
            lambda t, cmd=cmd: [
                *COMMANDS_WITH_MEMBERS[cmd](t),
                *("--ensemble", _write(t / "e.csv", "k_grow,k_rem\n0.02,0.1\n0.03,0.1\n")),
                *("--members", "3"),
            ],
            2,
            f"error: {flag} 3 asks for more parameter sets than the ensemble holds (2); "
            "allowed: 1-2",
        )
        for cmd, flag in (
            ("validate", "members (--members)"),  # run_validation's argument, as its others
            ("simulate", "--members"),
            ("treat", "--members"),
            ("cohort", "--members"),
        )
    ),
    # ... and in Python, compare_arms_ensemble named the CLI's --members, not max_members
    Case(
        "members-beyond-the-ensemble-python",
        lambda t: _compare_ensemble_members(3),
        2,
        "max_members 3 asks for more parameter sets than the ensemble holds (2); allowed: 1-2",
        api=True,
    ),
    Case(
        "optimize-horizon-short",  # said 'horizon must be at least 14 days'
        ["optimize", "--horizon", "5"],
        2,
        "error: horizon (--horizon) must be at least 14 days, got 5.0",
    ),
)


@contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """Fail (instead of hanging the suite) when the block runs longer than ``seconds``."""

    def _timeout(signum: int, frame: object) -> None:
        raise TimeoutError(f"no answer within {seconds} s (a hang)")

    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _outcome(case: Case, tmp: Path) -> tuple[int, str]:
    """(exit code, everything printed) for a CLI row; (0/1/2, message) for an API row."""
    if case.api:
        call = case.run
        assert callable(call)
        try:
            return 0, str(call(tmp))
        except _Failed as exc:
            return 1, str(exc)
        except ValueError as exc:
            return 2, str(exc)
    args = case.run(tmp) if callable(case.run) else case.run
    assert isinstance(args, list)
    res = runner.invoke(app, args)
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise AssertionError(f"traceback instead of a clear error: {res.exception!r}")
    return res.exit_code, res.output


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_a_clear_error_or_a_stated_warning(case: Case, tmp_path: Path) -> None:
    with _deadline(ROW_SECONDS):
        code, text = _outcome(case, tmp_path)
    assert code == case.code, text
    assert case.fragment in " ".join(text.split()), text
    if code != 0:
        assert not (tmp_path / "o.csv").exists(), "nothing is written on failure"


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c.id.startswith(("trial-", "cohort-workers", "cohort-early"))],
    ids=lambda c: c.id,
)
def test_cohort_arguments_fail_before_anything_starts(case: Case, tmp_path: Path) -> None:
    """A bad size, seed or worker count leaves no folder and draws no progress bar."""
    with _deadline(ROW_SECONDS):
        code, text = _outcome(case, tmp_path)
    assert code == 2, text
    assert not (tmp_path / "o").exists(), "no output folder is left on failure"
    assert "patients/s" not in text, "no progress bar"


def test_unwritable_cohort_folder_fails_before_the_progress_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An --out that cannot be created (e.g. under /proc) failed under a 0/N bar."""
    from senotwin._errors import ValidationError
    from senotwin.cohort import runner as cohort_runner

    def refuse(out: Path, *, resume: bool) -> None:
        raise ValidationError(
            f"output folder (--out) {out} cannot be created or written: Permission denied"
        )

    monkeypatch.setattr(cohort_runner, "prepare_output", refuse)
    with _deadline(ROW_SECONDS):
        res = runner.invoke(app, ["cohort", "run", "--n", "2", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2, res.output
    assert "cannot be created or written: Permission denied" in " ".join(res.output.split())
    assert "patients/s" not in res.output, "no progress bar"
    assert not (tmp_path / "o").exists()


def test_every_case_id_is_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


def test_output_piped_into_a_closed_reader_exits_quietly() -> None:
    """`senotwin sc signatures | head -1` printed 'error: [Errno 32] Broken pipe' and exited 2."""
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader (head) is gone before anything is written
    try:
        proc = subprocess.run(
            [sys.executable, "-c", "from senotwin.cli.app import main; main()", "sc", "signatures"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=ROW_SECONDS,
        )
    finally:
        os.close(write_end)
    assert proc.returncode == 1, proc.stderr
    assert "error" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_simulate_refuses_a_definition_set_to_another_number(tmp_path) -> None:
    """`simulate --set mL_per_L=5` ran a model in which 1 L held 5 mL (left alone in s42's fix
    for sensitivity and petab); setting it to its own value stays harmless."""
    from typer.testing import CliRunner

    from senotwin.cli.app import app

    out = tmp_path / "x.csv"
    bad = CliRunner().invoke(
        app, ["simulate", "--set", "mL_per_L=5", "--days", "5", "--out", str(out)]
    )
    assert bad.exit_code == 2 and "mL_per_L is a definition" in bad.stderr
    assert "cannot be set to 5" in bad.stderr and not out.exists()
    ok = CliRunner().invoke(
        app, ["simulate", "--set", "mL_per_L=1000", "--days", "5", "--out", str(out)]
    )
    assert ok.exit_code == 0, ok.stderr
