"""scripts/lesion_immune_volume_prototype.py: the transform adds ``v_T8`` and ``V_lesion`` and
re-reads ``diameter`` (nothing else), at ``v_T8`` 0 runs equal the shipped model's, and with the
measured T-cell volume a lesion reads larger by its CD8 (a lesion half CD8 by volume: twice the
volume) while its dynamics stay the same."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from senotwin.model.compile import evaluate, flatten
from senotwin.model.qsp import load_mouse_qsp, load_qsp
from senotwin.model.spec import ModelSpec
from senotwin.sim.options import SolverOptions
from senotwin.sim.scenario import run_scenario
from tests.scripts_loader import load_script

SCRIPT = load_script("lesion_immune_volume_prototype")


@pytest.fixture
def restore() -> Iterator[None]:
    yield
    SCRIPT.uninstall()


def test_transform_adds_the_cell_volume_and_lesion_volume_and_rereads_the_diameter() -> None:
    shipped = load_qsp()
    proto = SCRIPT.lesioned(shipped)
    old, new = shipped.model_dump(), proto.model_dump()
    added = [p for p in new["parameters"] if p not in old["parameters"]]
    assert [p["id"] for p in added] == [SCRIPT.PARAMETER]
    assert added[0]["value"] == pytest.approx(1.750e-10, rel=1e-3)  # pi/6 x (6.94 um)^3
    assert tuple(added[0]["provenance"]["sources"]) == ("qsp_t_cell_diameter",)
    assert [p for p in new["parameters"] if p["id"] != SCRIPT.PARAMETER] == list(old["parameters"])
    changed = [o["id"] for o in new["observables"] if o not in old["observables"]]
    assert changed == [SCRIPT.OBSERVABLE, "diameter"]
    for key in ("species", "processes", "events"):
        assert new[key] == old[key]


def test_install_reaches_every_loader(restore: None) -> None:
    SCRIPT.install(0.0)
    assert load_qsp().parameter(SCRIPT.PARAMETER).value == 0.0
    assert SCRIPT.OBSERVABLE in load_mouse_qsp().observable_ids
    SCRIPT.uninstall()
    assert SCRIPT.PARAMETER not in load_qsp().parameter_ids


def test_cd8_rich_lesion_reads_larger_and_equal_at_zero_volume(restore: None) -> None:
    solver = SolverOptions(engine="fast", t_eval=np.arange(0.0, 28.0, 1.0))
    shipped = run_scenario("mouse_emt6_anti_pdl1", days=27.0, solver=solver).table
    SCRIPT.install(0.0)
    zero = run_scenario("mouse_emt6_anti_pdl1", days=27.0, solver=solver).table
    for col in ("diameter", "V_T", "T8", "C"):
        np.testing.assert_allclose(zero[col], shipped[col], rtol=1e-6)
    SCRIPT.install()  # the measured T-cell volume
    proto = run_scenario("mouse_emt6_anti_pdl1", days=27.0, solver=solver).table
    for col in ("V_T", "T8", "C"):  # the read-out changes, not the dynamics
        np.testing.assert_allclose(proto[col], shipped[col], rtol=1e-6)
    assert proto["diameter"].iloc[-1] > shipped["diameter"].iloc[-1]  # CD8 add to the size
    sphere = 10.0 * (6.0 / np.pi * proto[SCRIPT.OBSERVABLE]) ** (1.0 / 3.0)
    np.testing.assert_allclose(proto["diameter"], sphere, rtol=1e-6)
    assert np.all(proto["diameter"] >= shipped["diameter"] * (1.0 - 1e-9))


def _read(spec: ModelSpec, state: dict[str, float]) -> dict[str, float]:
    """Every observable of ``spec`` at its default parameters and species values plus ``state``."""
    flat = flatten(spec)
    values = dict(zip(flat.parameters, flat.values, strict=True))
    values |= dict(zip(flat.species, flat.initial, strict=True)) | state
    for oid, expr in flat.observables:
        values[oid] = evaluate(expr, values)
    return values


def test_a_lesion_half_cd8_by_volume_reads_twice_the_volume() -> None:
    shipped = load_qsp()
    proto = SCRIPT.lesioned(shipped)
    cancer = 1.0e9  # cells: 4.85 mL of lesion at rho_cell
    v_t = cancer / shipped.parameter("rho_cell").value
    state = {s: 0.0 for s in ("Ci", "Se", "Sl", "Sd", "D", "T8x", "T8r", "T8t")}
    state |= {"C": cancer, "T8": v_t / SCRIPT.cell_volume()}  # CD8 volume = cancer volume
    before, after = _read(shipped, state), _read(proto, state)
    assert after["V_T"] == pytest.approx(before["V_T"], rel=1e-12)
    assert after[SCRIPT.OBSERVABLE] == pytest.approx(2.0 * v_t, rel=1e-9)
    assert after["diameter"] == pytest.approx(2.0 ** (1.0 / 3.0) * before["diameter"], rel=1e-9)
