"""The public API: ``senotwin.__all__`` names import, loading is lazy, citation, py.typed."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import senotwin

ROOT = Path(senotwin.__file__).parent
HEAVY = ("matplotlib", "dask", "numba", "scipy", "pandas", "roadrunner", "senotwin.sim")


def test_every_public_name_resolves_and_is_listed_once() -> None:
    assert len(set(senotwin.__all__)) == len(senotwin.__all__)
    for name in senotwin.__all__:
        assert getattr(senotwin, name) is not None, name
    assert {"simulate", "run_scenario", "SolverOptions", "parse_regimen", "load_kb"} <= set(
        senotwin.__all__
    )
    assert senotwin.run_scenario is senotwin.sim.scenario.run_scenario
    assert sorted(dir(senotwin)) == dir(senotwin) and "run_cohort" in dir(senotwin)
    with pytest.raises(AttributeError, match="no attribute 'simulat'"):
        _ = senotwin.simulat  # type: ignore[attr-defined]


def test_import_senotwin_is_light_and_side_effect_free() -> None:
    code = f"import sys, senotwin; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == ""


def test_simulation_api_does_not_pull_in_plotting_or_dask() -> None:
    code = (
        "import sys; from senotwin import run_scenario, SolverOptions; "
        "print(','.join(m for m in ('matplotlib', 'dask') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == ""


def test_citation_names_the_review_and_what_a_run_relied_on() -> None:
    text = senotwin.citation()
    assert "Acta Pharm Sin B 2025" in text and "10.1016/j.apsb.2025.07.022" in text
    assert senotwin.__version__ in text
    spec = senotwin.get_scenario("kuznetsov1994").load()
    assert "Kuznetsov et al. 1994" in senotwin.citation(spec)
    res = senotwin.run_scenario("kuznetsov1994", days=2.0)
    assert "engine reference" in senotwin.citation(res)
    with pytest.raises(TypeError, match="ModelSpec or a SimulationResult"):
        senotwin.citation("kuznetsov1994")


def test_package_is_typed() -> None:
    assert (ROOT / "py.typed").is_file()


def test_no_library_module_picks_a_matplotlib_backend() -> None:
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        if path.relative_to(ROOT).parts[0] == "cli":  # the CLI picks the backend for its process
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "use"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "matplotlib"
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_each_public_class_name_means_one_thing() -> None:
    seen: dict[str, list[str]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                seen.setdefault(node.name, []).append(str(path.relative_to(ROOT)))
    clashes = {k: v for k, v in seen.items() if len(v) > 1}
    assert clashes == {}


def test_trial_package_exports_what_the_readme_imports_from_its_modules() -> None:
    """`senotwin.trial` exported nothing (audit s42 L4); its names load lazily, and are the
    modules' own objects."""
    import senotwin.trial as trial
    from senotwin.trial import library, replicates, run

    assert trial.run_trial is run.run_trial and trial.compare_trial is run.compare_trial
    assert trial.load_trial_rows is run.load_trial_rows and trial.get_trial is library.get_trial
    assert trial.run_replicates is replicates.run_replicates
    from senotwin.trial.independence import independence_trial

    assert trial.independence_trial is independence_trial
    for name in trial.__all__:
        assert getattr(trial, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'run_trail'"):
        _ = trial.run_trail  # type: ignore[attr-defined]
    code = "import sys, senotwin.trial.spec; print('senotwin.trial.run' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "False"  # one trial module does not pull in the stack


def test_the_readme_names_every_export_of_the_trial_package() -> None:
    """README's "exports ..." sentence left out blood_counts and the three types."""
    import senotwin.trial as trial

    readme = (ROOT.parents[1] / "README.md").read_text(encoding="utf-8")
    sentence = " ".join(readme.split("`senotwin.trial` itself exports", 1)[1].split(".")[0:3])
    assert [name for name in trial.__all__ if f"`{name}`" not in sentence] == []


def test_calibrate_exports_its_entry_point_and_knows_liu2019_without_a_register_call() -> None:
    """fit_problem was not in senotwin.calibrate.__all__ (audit s42 L4); get_problem('liu2019')
    and `petab export` / `profile --problem liu2019` said "call senotwin.trial.ici_fit.register()
    first" until that call ran: a fresh interpreter must know liu2019 from senotwin.calibrate."""
    import senotwin.calibrate as calibrate

    assert "fit_problem" in calibrate.__all__ and calibrate.fit_problem is not None
    assert "register()" not in (calibrate.get_problem.__doc__ or "")
    code = (
        "from senotwin.calibrate import get_problem, problem_names\n"
        "from senotwin.calibrate.problems import PROBLEMS\n"
        "print('liu2019' in problem_names(), PROBLEMS.get('liu2019').fit is not None)\n"
        "get_problem('liu2019')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "True True"
    assert "not a PEtab problem" in out.stderr and "register" not in out.stderr
