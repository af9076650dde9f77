"""The NK arm of the physical-units model (session 14, issues 11 item 4 and 14).

NK cells are recruited by CCL2/CCR2, turn over at the measured human rate, kill HLA class
I-null cancer cells (the ``nk_missing_self`` share of ``Ci``: missing self) but not HLA class
I-expressing ones (``C``, or ``Ci`` that lost one haplotype), are suppressed by MDSCs, and an
aged host supplies fewer of them. Each test runs an untreated lesion
whose cancer cells are all one kind, as the Guo 2014 RMA-S set-up does.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from senotwin.model.qsp import AGES, load_qsp
from senotwin.sim.options import SolverOptions
from senotwin.sim.scenario import run_scenario

DAYS = 120
GRID = np.arange(DAYS + 1, dtype=float)
# the reference lesion, every cancer cell HLA class I-null (as Guo 2014's RMA-S), NK-sensitive
INVISIBLE = {"C": 0.0, "Ci": 5.5e9, "nk_missing_self": 1.0}
VISIBLE = {"C": 5.5e9, "Ci": 0.0}


@cache
def _run(
    scenario: str,
    initial: tuple[tuple[str, float], ...],
    extra: tuple[tuple[str, float], ...] = (),
    blocks: tuple[tuple[str, float], ...] = (),
) -> dict[str, np.ndarray]:
    """Columns of one untreated run (cached: several tests read the same arms)."""
    solver = SolverOptions(engine="fast", t_eval=GRID)
    res = run_scenario(
        scenario,
        overrides=dict(initial) | dict(extra),
        blocks=dict(blocks),
        days=DAYS,
        solver=solver,
    )
    assert res.ok
    return {c: res.table[c].to_numpy() for c in ("V_T", "NK", "nk_kill", "MDSC", "Ci", "C")}


def test_reference_lesion_holds_the_derived_nk_density_at_steady_state() -> None:
    """k_rec_nk is derived so that the untreated reference lesion keeps its NK density: the NK
    count barely moves over the first days, when the lesion has not yet grown."""
    out = _run("aged_lung_untreated", tuple(VISIBLE.items()))
    nk0 = {s.id: s.initial for s in load_qsp().species}["NK"]
    assert abs(out["NK"][3] / nk0 - 1.0) < 0.05


def test_nk_restrain_an_hla_class_i_negative_lesion_not_a_visible_one() -> None:
    """Missing self: removing NK cells lets an HLA class I-negative lesion grow much larger, and
    leaves an HLA class I-expressing one as it was."""
    no_nk = (("NK_CELL", 1.0),)  # NK depletion
    inv = _run("young_lung_untreated", tuple(INVISIBLE.items()))
    inv_off = _run("young_lung_untreated", tuple(INVISIBLE.items()), blocks=no_nk)
    vis = _run("young_lung_untreated", tuple(VISIBLE.items()))
    vis_off = _run("young_lung_untreated", tuple(VISIBLE.items()), blocks=no_nk)
    assert inv_off["V_T"][-1] > 1.5 * inv["V_T"][-1]
    assert abs(vis_off["V_T"][-1] / vis["V_T"][-1] - 1.0) < 1e-6


def test_haplotype_loss_cells_are_not_nk_targets() -> None:
    """The trials' invisible cells lost one HLA haplotype and keep HLA class I (the default
    nk_missing_self 0): NK depletion leaves such a lesion as it was."""
    haplo = tuple((k, v) for k, v in INVISIBLE.items() if k != "nk_missing_self")
    on = _run("young_lung_untreated", haplo)
    off = _run("young_lung_untreated", haplo, blocks=(("NK_CELL", 1.0),))
    assert abs(off["V_T"][-1] / on["V_T"][-1] - 1.0) < 1e-6
    assert on["V_T"][-1] > 2.0 * _run("young_lung_untreated", tuple(INVISIBLE.items()))["V_T"][-1]


def test_mdsc_suppress_nk_killing() -> None:
    """Removing the MDSCs (Eggert 2016's route) raises the per-target NK kill rate and shrinks the
    HLA class I-negative lesion."""
    base = _run("aged_lung_untreated", tuple(INVISIBLE.items()))
    no_mdsc = _run("aged_lung_untreated", tuple(INVISIBLE.items()), blocks=(("MDSC", 1.0),))
    assert no_mdsc["nk_kill"][60] > 1.05 * base["nk_kill"][60]
    assert no_mdsc["V_T"][-1] < base["V_T"][-1]


def test_aged_host_supplies_fewer_nk_and_controls_the_lesion_worse() -> None:
    assert AGES["young"]["nk_age"] > AGES["aged"]["nk_age"]
    young = _run("young_lung_untreated", tuple(INVISIBLE.items()))
    as_aged = _run(
        "young_lung_untreated", tuple(INVISIBLE.items()), (("nk_age", AGES["aged"]["nk_age"]),)
    )
    assert as_aged["NK"][30] < young["NK"][30]
    assert as_aged["V_T"][-1] > young["V_T"][-1]


def test_ccr2_block_lowers_nk_recruitment() -> None:
    """CCL2/CCR2 is the recruiting signal (Iannello 2013: CCL2 neutralisation delayed NK
    recruitment)."""
    solver = SolverOptions(engine="fast", t_eval=GRID)
    runs = [
        run_scenario(
            "aged_lung_untreated", overrides=VISIBLE, blocks=b, days=DAYS, solver=solver
        ).table
        for b in ({}, {"CCR2": 1.0})
    ]
    assert runs[1]["NK"].iloc[30] < 0.5 * runs[0]["NK"].iloc[30]
