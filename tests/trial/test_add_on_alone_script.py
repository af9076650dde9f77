"""scripts/add_on_alone_vs_untreated.py: the add-on alone and no treatment run on the same
patients, and a what-if reaches the add-on arm only."""

from __future__ import annotations

import pytest

from tests.scripts_loader import load_script


def test_prints_the_non_responders_of_both_arms_and_the_what_if(
    capsys: pytest.CaptureFixture[str],
) -> None:
    script = load_script("add_on_alone_vs_untreated")
    args = ["--trial", "impower133", "--n", "3", "--workers", "1", "--in-process"]
    assert script.main([*args, "--alone-set", "n_reinv=0"]) == 0
    out = capsys.readouterr().out
    assert "impower133: the add-on of atezo alone vs untreated, n 3" in out
    assert "what-if in the add-on arm: {'n_reinv': 0.0}" in out
    assert "untreated non-responders: median PFS" in out
    assert "alone     non-responders: median PFS" in out
    assert "PFS added by the add-on alone in its non-responders" in out


def test_a_malformed_what_if_is_refused_by_name() -> None:
    script = load_script("add_on_alone_vs_untreated")
    with pytest.raises(SystemExit, match="--alone-set 'n_reinv': expected NAME=VALUE"):
        script.main(["--alone-set", "n_reinv"])
