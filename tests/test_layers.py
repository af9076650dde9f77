"""Import-layer contract: data flows kb -> model -> sim -> therapy -> cohort -> analysis -> trial
-> report -> cli; export reads the model only (the roadrunner engine reads export), sc reads the
kb only.
A lower package never imports a higher one, not even lazily inside a function — that is how
import circles start."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import senotwin

ROOT = Path(senotwin.__file__).parent
BASE = {"_errors", "_hessian", "_io", "_registry", "_suggest", "_yaml"}  # importable by every layer
_ANALYSIS = {"analysis", "cohort", "therapy", "sim", "model", "kb", "sc", "export"}
ALLOWED: dict[str, set[str]] = {
    "kb": set(),
    "model": {"kb"},
    "sim": {"export", "model", "kb"},  # the roadrunner engine runs the exported SBML
    "export": {"model", "kb"},
    "sc": {"kb"},
    "therapy": {"sim", "export", "model", "kb"},
    "cohort": {"therapy", "sim", "export", "model", "kb"},
    "analysis": {"cohort", "therapy", "sim", "model", "kb", "sc", "export"},
    "calibrate": {"cohort", "therapy", "sim", "model", "kb", "export"},
    "trial": {"cohort", "calibrate", "analysis", "therapy", "sim", "model", "kb", "export"},
    "report": {"trial", "calibrate", *_ANALYSIS},
    "app": {"report", "trial", "calibrate", *_ANALYSIS},
    "cli": {"app", "report", "trial", "calibrate", *_ANALYSIS},
}


def _package(path: Path) -> str:
    rel = path.relative_to(ROOT)
    return rel.parts[0].removesuffix(".py") if len(rel.parts) > 1 else "<root>"


def _imported_packages(path: Path) -> set[tuple[str, int]]:
    """(first sub-package of senotwin, line) for every import in ``path``, lazy ones included."""
    out: set[tuple[str, int]] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "senotwin":
                names = [f"senotwin.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "senotwin" and len(parts) > 1:
                out.add((parts[1], node.lineno))
    return out


def _violations() -> list[str]:
    bad = []
    for path in sorted(ROOT.rglob("*.py")):
        pkg = _package(path)
        for target, line in sorted(_imported_packages(path)):
            if target in BASE or target == pkg or not (ROOT / target).is_dir():
                continue
            if pkg == "<root>":  # base modules import no package; __init__ re-exports all but cli
                ok = path.stem == "__init__" and target != "cli"
            else:
                ok = target in ALLOWED.get(pkg, set())
            if not ok:
                bad.append(f"{path.relative_to(ROOT)}:{line}: {pkg} imports {target}")
    return bad


def test_every_package_has_a_layer() -> None:
    packages = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages <= set(ALLOWED), f"add a layer for {sorted(packages - set(ALLOWED))}"


def test_no_package_imports_a_higher_layer() -> None:
    assert _violations() == []


def test_contract_catches_an_upward_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "senotwin"
    for pkg in ("model", "sim"):
        (fake / pkg).mkdir(parents=True)
        (fake / pkg / "__init__.py").write_text("")
    (fake / "model" / "bad.py").write_text("def f():\n    from senotwin.sim import simulate\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", fake)
    assert _violations() == ["model/bad.py:2: model imports sim"]
