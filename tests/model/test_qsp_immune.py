"""The CD8 arm of the physical-units model against measured human tumour CD8 densities."""

from __future__ import annotations

import numpy as np

from senotwin.sim.options import SolverOptions
from senotwin.sim.scenario import run_scenario


def test_cd8_density_is_of_the_measured_order_in_lung() -> None:
    """Antigen-specific CD8 (effector + exhausted) per mm^2 of a 4 um section (Abercrombie:
    N_A = N_V (t + D), D the T-cell diameter) lie below the measured median of all CD8 in lung
    adenocarcinoma (328/mm^2, cd8_density_by_cancer_type) and above a tenth of it: tumour-reactive
    cells are a minority of CD8 TILs."""
    grid = np.arange(181, dtype=float)
    t = run_scenario(
        "aged_lung_untreated", days=180.0, solver=SolverOptions(engine="fast", t_eval=grid)
    ).table
    r = t.iloc[180]
    per_mm3 = (r["T8"] + r["T8x"]) / (r["V_T"] * 1000.0)
    t_cell_um = 2.0 * np.sqrt(151.3 / (4.0 * np.pi))  # A_T = 151.3 um^2
    per_mm2 = per_mm3 * (4.0 + t_cell_um) / 1000.0
    assert 32.8 < per_mm2 < 328.0
