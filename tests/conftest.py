"""Suite-wide test settings: reproducible Hypothesis profiles, and fixtures shared across packages.

The default profile ``ci`` is derandomised and keeps no example database, so a verdict never
depends on a random seed or on a ``.hypothesis/`` directory left by an earlier run. Set
``HYPOTHESIS_PROFILE=dev`` for random exploration with the local database (what fails there is
added to the test as an explicit ``@example``), or ``HYPOTHESIS_PROFILE=deep`` for a long hunt.
(Hypothesis may still write ``.hypothesis/constants/``: a cache keyed by source hash, whose
content is what it would compute anyway, so it cannot change a verdict.)
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, settings

if TYPE_CHECKING:
    from senotwin.analysis.validation import ValidationReport
    from senotwin.kb.loader import KnowledgeBase
    from senotwin.report.section import Section

# Examples per property test; a test may ask for fewer when each example is expensive.
MAX_EXAMPLES = 200

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    max_examples=MAX_EXAMPLES,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    derandomize=False,
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("deep", parent=settings.get_profile("dev"), max_examples=20_000)

_profile = os.environ.get("HYPOTHESIS_PROFILE", "ci")
if _profile not in ("ci", "dev", "deep"):
    raise ValueError(f"HYPOTHESIS_PROFILE={_profile!r}: use 'ci' (default), 'dev' or 'deep'")
settings.load_profile(_profile)


@pytest.fixture(scope="session")
def validation_report() -> ValidationReport:
    """The shipped validation suite (fast engine), run once per session."""
    from senotwin.analysis.validation import run_validation

    return run_validation()


@pytest.fixture(scope="session")
def shipped_kb() -> KnowledgeBase:
    """The knowledge base shipped with senotwin, loaded once per session (tests only read it)."""
    from senotwin.kb import load

    return load()


@pytest.fixture(scope="session")
def shipped_calibration() -> Section:
    """The demo report's calibration section from the shipped fit results, drawn once per
    session (its nine figures take ~10 s; tests only read the frozen Section). liu2019 is put
    in the registry first, as it is by default: the section must skip that self-fitting problem."""
    from senotwin.report.calibration_sections import shipped_calibration_section
    from senotwin.trial.ici_fit import register

    register()
    return shipped_calibration_section()


@pytest.fixture
def in_process_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Embedded Dask clusters run their workers as threads of this process, not as spawned
    processes: each spawned worker imports senotwin and loads the model again (5-10 s of a small
    CLI cohort's 6-12 s), and what the tests using this check (options, files, rows, messages)
    does not depend on where a worker lives. Process workers write the same shards byte for byte
    (tests/cohort/test_runner.py checks it, on process workers)."""
    from senotwin.cohort import runner

    real = runner.open_client

    def threads(scheduler: str | None, workers: int, processes: bool) -> tuple[object, object]:
        return real(scheduler, workers, False)

    monkeypatch.setattr(runner, "open_client", threads)


@pytest.fixture
def drawn_figures(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The matplotlib Figures saved while the test runs, in order (each still saved as before),
    so a test can read a figure's axes, labels and legends instead of its PNG bytes."""
    from matplotlib.figure import Figure

    drawn: list[Any] = []
    save = Figure.savefig

    def keep(fig: Figure, *args: Any, **kwargs: Any) -> Any:
        out = save(fig, *args, **kwargs)
        drawn.append(fig)
        return out

    monkeypatch.setattr(Figure, "savefig", keep)
    return drawn
