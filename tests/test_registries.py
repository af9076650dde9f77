"""Contract of every registry (engines, exporters, rate laws, scenarios, scoring methods): the
built-ins are always present, one rule for duplicate names, one unknown-name error, and every
entry carries its reference. Most tests use a fresh :class:`Registry` with the module's own
built-in loader, so registering a custom entry *first* really is the first thing that happens."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from senotwin._errors import ValidationError
from senotwin._registry import Registry, extend
from senotwin.export import EXPORTERS, Exporter
from senotwin.model import ratelaws
from senotwin.model.scenarios import SCENARIOS, Scenario
from senotwin.sc.methods import SCORING_METHODS, NoOptions, ScoringMethod
from senotwin.sim.engines import ENGINES, Engine, get_engine


@dataclass(frozen=True)
class Case:
    """One registry under test: the live registry and a custom record factory."""

    registry: Registry[Any]
    custom: Callable[[str], Any]
    builtins: tuple[str, ...]


CASES = {
    "engine": Case(
        ENGINES,
        lambda name: Engine(name, get_engine("reference"), "test double", "test reference"),
        ("reference", "fast", "roadrunner"),
    ),
    "exporter": Case(
        EXPORTERS,
        lambda name: Exporter(name, ".txt", "test", lambda spec: spec.id, "test reference"),
        ("sbml", "antimony", "markdown", "html"),
    ),
    "rate law": Case(
        ratelaws.RATE_LAWS,
        lambda name: ratelaws.make_rate_law(
            name, "k", (("k", "parameter", "rate"),), description="test", reference="test ref"
        ),
        ("first_order", "hill_activation", "logistic_growth", "ratio_dependent_kill"),
    ),
    "scenario": Case(
        SCENARIOS,
        lambda name: Scenario(name, "test", SCENARIOS.get("karin2019").load, reference="test"),
        ("default", "kuznetsov1994", "depillis2005", "karin2019", "acute_young", "legacy_default"),
    ),
    "scoring method": Case(
        SCORING_METHODS,
        lambda name: ScoringMethod(
            name, NoOptions, lambda x, w, o, rng: np.zeros((x.shape[0], w.shape[1])), "ref", "t"
        ),
        ("mean_z", "rank", "ulm"),
    ),
}


def _fresh(case: Case) -> Registry[Any]:
    """A new registry of the same kind with the same built-in loader (nothing loaded yet)."""
    return Registry(case.registry.kind, case.registry._builtins)


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> Case:
    return CASES[request.param]


def test_builtins_present_after_registering_a_custom_entry_first(case: Case) -> None:
    reg = _fresh(case)
    reg.register(case.custom("my_custom"))
    assert set(case.builtins) <= set(reg.names())
    assert "my_custom" in reg.names()
    for name in case.builtins:
        assert reg.get(name).name == name


def test_duplicate_names_need_replace(case: Case) -> None:
    reg = _fresh(case)
    first = reg.register(case.custom("dup"))
    with pytest.raises(ValidationError, match=rf"{case.registry.kind} 'dup' is already registered"):
        reg.register(case.custom("dup"))
    assert reg.get("dup") is first
    second = reg.register(case.custom("dup"), replace=True)
    assert reg.get("dup") is second
    builtin = case.builtins[0]
    with pytest.raises(ValidationError, match="replace=True"):
        reg.register(dataclasses.replace(reg.get(builtin)))


def test_unknown_name_suggests_and_lists(case: Case) -> None:
    reg = _fresh(case)
    name = case.builtins[0]
    typo = name[:-1] + ("x" if name[-1] != "x" else "y")
    with pytest.raises(ValidationError) as err:
        reg.get(typo)
    msg = str(err.value)
    assert msg.startswith(f"unknown {case.registry.kind} {typo!r}; did you mean ")
    assert name in msg.split("did you mean", 1)[1].split("(", 1)[0]
    assert "(choose from: " in msg and all(b in msg for b in case.builtins)


def test_a_long_list_of_names_is_counted_and_its_command_named() -> None:
    """A mistyped scenario printed the hint and then all 64 names on one line (audit s48):
    past LONG_LIST names, a registry with a listing command counts them and names it."""
    from senotwin._suggest import LONG_LIST, known_names
    from senotwin.model.scenarios import SCENARIOS

    with pytest.raises(ValidationError) as err:
        SCENARIOS.get("defualt")
    n = len(SCENARIOS.names())
    assert n > LONG_LIST
    assert str(err.value) == (
        "unknown scenario 'defualt'; did you mean 'default', 'legacy_default'? "
        f"({n} known; `senotwin scenarios list` lists them)"
    )
    many = [f"n{i}" for i in range(LONG_LIST + 1)]
    assert known_names(many, listed_by="cmd") == f"{LONG_LIST + 1} known; `cmd` lists them"
    # a short list, or a long one no command lists, is printed whole
    assert known_names(many[:LONG_LIST], listed_by="cmd") == "choose from: " + ", ".join(
        many[:LONG_LIST]
    )
    assert known_names(many, label="known") == "known: " + ", ".join(many)


def test_every_entry_carries_a_reference(case: Case) -> None:
    for record in case.registry.records():
        assert isinstance(record.reference, str) and len(record.reference.strip()) > 3, record.name
    with pytest.raises(ValidationError, match="needs a reference"):
        _fresh(case).register(dataclasses.replace(case.custom("no_ref"), reference=""))


def test_live_registry_unregisters_custom_entries(case: Case) -> None:
    case.registry.register(case.custom("temp_entry"))
    try:
        assert "temp_entry" in case.registry
    finally:
        case.registry.unregister("temp_entry")
    assert "temp_entry" not in case.registry
    assert set(case.builtins) <= set(case.registry.names())


def test_importing_registers_nothing() -> None:
    """No import side effects: after importing every registry module, no loader has run."""
    code = (
        "import senotwin.sim, senotwin.export, senotwin.model, senotwin.sc, senotwin.analysis\n"
        "from senotwin.sim.engines import ENGINES\n"
        "from senotwin.export import EXPORTERS\n"
        "from senotwin.model.ratelaws import RATE_LAWS\n"
        "from senotwin.model.scenarios import SCENARIOS\n"
        "from senotwin.sc.methods import SCORING_METHODS\n"
        "regs = [ENGINES, EXPORTERS, RATE_LAWS, SCENARIOS, SCORING_METHODS]\n"
        "print(sorted(r.kind for r in regs if r._loaded))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


@dataclass(frozen=True)
class _Record:
    name: str
    reference: str = "test reference"


def test_extend_adds_builtins_of_a_higher_layer_before_or_after_loading() -> None:
    """A higher layer's loader (the package root's liu2019) joins the built-ins whether it was
    added before the first lookup or after it, and never hides them."""
    kind = "extend test thing"
    early = Registry[_Record](kind, lambda reg: reg.register(_Record("own")))
    extend(kind, lambda reg: reg.register(_Record("added")))
    assert early.names() == ("added", "own")
    loaded = Registry[_Record](kind + " 2", lambda reg: reg.register(_Record("own")))
    assert loaded.names() == ("own",)
    extend(kind + " 2", lambda reg: reg.register(_Record("late")))
    assert loaded.names() == ("late", "own")
    with pytest.raises(ValidationError, match="'late' is already registered"):
        loaded.register(_Record("late"))


def test_liu2019_is_a_builtin_calibration_problem_without_calibrate_importing_trial() -> None:
    from senotwin.calibrate.problems import PROBLEMS

    fresh = Registry(PROBLEMS.kind, PROBLEMS._builtins)
    assert {"galvis2019", "liu2019"} <= set(fresh.names())
    assert fresh.get("liu2019").fit is not None


def test_custom_exporter_first_keeps_the_builtin_exporters() -> None:
    """The reported bug: a custom exporter registered first hid sbml/antimony/markdown/html."""
    code = (
        "from senotwin.export import Exporter, names, register\n"
        "register(Exporter('mine', '.txt', 'x', lambda spec: spec.id, 'ref'))\n"
        "print(','.join(names()))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().split(",") == ["antimony", "html", "markdown", "mine", "sbml"]
