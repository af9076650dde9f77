"""``senotwin demo``: a bad output path fails at once, before minutes of computing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from senotwin.cli import app


def test_output_path_that_is_a_file_fails_before_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import senotwin.analysis.demo as demo

    def must_not_run(*_a: object, **_k: object) -> None:
        raise AssertionError("the demo ran before checking its output path")

    monkeypatch.setattr(demo, "run_demo_analysis", must_not_run)
    target = tmp_path / "report"
    target.write_text("not a directory", encoding="utf-8")
    result = CliRunner().invoke(app, ["demo", "--out", str(target)])
    assert result.exit_code == 2
    assert "error: --out" in result.stderr and "expected a directory" in result.stderr
    assert target.read_text(encoding="utf-8") == "not a directory"
