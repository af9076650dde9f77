"""The property tests' verdicts depend on neither a random seed nor a saved example database."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import MAX_EXAMPLES

_CI = os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci"


@pytest.mark.skipif(not _CI, reason="HYPOTHESIS_PROFILE selects random exploration")
def test_default_profile_is_derandomised_without_a_database() -> None:
    current = settings()
    assert current.derandomize is True
    assert current.database is None
    assert current.deadline is None
    assert current.max_examples == MAX_EXAMPLES


@pytest.mark.skipif(not _CI, reason="HYPOTHESIS_PROFILE selects random exploration")
def test_the_same_examples_every_run() -> None:
    def drawn() -> list[int]:
        seen: list[int] = []

        @settings(max_examples=20)
        @given(st.integers())
        def record(x: int) -> None:
            seen.append(x)

        record()
        return seen

    first = drawn()
    assert len(first) >= 10
    assert drawn() == first
