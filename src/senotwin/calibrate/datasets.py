"""The shipped calibration data sets (package data under ``calibrate/data/<name>/``, each with
a README: source, licence, units, extraction, what it constrains, what is held back)."""

from __future__ import annotations

from importlib import resources
from io import StringIO
from types import MappingProxyType

import pandas as pd

from senotwin.calibrate.mc38_data import mariathasan2018_mc38_problem
from senotwin.calibrate.mouse_data import CITATION, mariathasan2018_problem
from senotwin.calibrate.problem import FitParameter, Problem, Readout
from senotwin.calibrate.problems import NamedProblem
from senotwin.model.io import spec_from_yaml

GALVIS_REFERENCE = (
    "Galvis D, Walsh D, Harries LW, Latorre E, Rankin J. A dynamical systems model for the "
    "measurement of cellular senescence. J R Soc Interface 2019;16:20190311 (data: 'Senescence "
    "model' repository, BSD-2)"
)
#: passages predicted, never fitted (stated before fitting)
GALVIS_HELD_BACK = (18, 19, 20)


def data_text(name: str, filename: str) -> str:
    """Text of a file of the shipped data set ``name``."""
    return (resources.files("senotwin.calibrate") / "data" / name / filename).read_text("utf-8")


def galvis_passages() -> pd.DataFrame:
    """The Galvis 2019 passage table with the culture day at which each passage was read
    (end of the passage: cumulative hours of passages 5..N / 24)."""
    table = pd.read_csv(StringIO(data_text("galvis2019", "passages.csv")))
    hours = table.groupby("passage")["hours"].first()
    end_day = (hours.cumsum() / 24.0).rename("day")
    table = table.join(end_day, on="passage")
    table["cumulative_pd"] = table.groupby("replicate")["population_doublings"].cumsum()
    return table


def galvis2019_problem() -> Problem:
    """Replicative senescence entry (SA-beta-gal, Ki67, population doublings per passage);
    passages 18-20 are held back."""
    spec = spec_from_yaml(data_text("galvis2019", "model.yaml"), source="galvis2019/model.yaml")
    table = galvis_passages()
    rows = []
    for _, r in table.iterrows():
        for obs, col in (
            ("sa_beta_gal", "sa_beta_gal_pct"),
            ("ki67", "ki67_pct"),
            ("population_doublings", "cumulative_pd"),
        ):
            rows.append(
                {
                    "observableId": obs,
                    "simulationConditionId": "culture",
                    "time": float(r["day"]),
                    "measurement": float(r[col]),
                    "replicateId": f"p{int(r['passage'])}_r{int(r['replicate'])}",
                    "datasetId": "galvis2019",
                }
            )
    data = pd.DataFrame(rows)
    passage = data["replicateId"].str.extract(r"p(\d+)_")[0].astype(int)
    held = passage.isin(GALVIS_HELD_BACK).to_numpy()
    observables = (
        Readout("sa_beta_gal", "sa_beta_gal_pct", "sigma_sa_beta_gal", name="% SA-beta-gal+"),
        Readout("ki67", "ki67_pct", "sigma_ki67", name="% Ki67+"),
        Readout("population_doublings", "PD", "sigma_pd", name="cumulative PD"),
    )
    parameters = (
        FitParameter("k_div", 0.05, 3.0, 0.5, name="division rate (1/day)"),
        FitParameter("PD50", 3.0, 300.0, 30.0, name="doublings at half arrest probability"),
        FitParameter("n_pd", 0.3, 10.0, 2.0, name="steepness in doublings"),
        FitParameter("k_el", 0.005, 10.0, 0.3, name="early -> late senescent (1/day)"),
        FitParameter("ki67_cycling", 0.5, 1.0, 0.9, name="Ki67+ share of cycling cells"),
        FitParameter("Sl0", 100.0, 3.0e4, 8000.0, name="SA-beta-gal+ cells at passage 5 start"),
        FitParameter("sigma_sa_beta_gal", 0.1, 50.0, 3.0, name="noise sd, % SA-beta-gal"),
        FitParameter("sigma_ki67", 0.1, 50.0, 5.0, name="noise sd, % Ki67"),
        FitParameter("sigma_pd", 0.05, 20.0, 1.0, name="noise sd, doublings"),
    )
    return Problem(
        name="galvis2019",
        spec=spec,
        observables=observables,
        measurements=data[~held].reset_index(drop=True),
        held_back=data[held].reset_index(drop=True),
        parameters=parameters,
        conditions=MappingProxyType({"culture": MappingProxyType({"Sl": "Sl0"})}),
        description=(
            "Human fibroblasts entering replicative senescence, passages 5-17 fitted "
            f"(triplicates), passages {GALVIS_HELD_BACK[0]}-{GALVIS_HELD_BACK[-1]} predicted"
        ),
        reference=GALVIS_REFERENCE,
    )


def builtin_problems() -> tuple[NamedProblem, ...]:
    """Every shipped data set as a named problem."""
    return (
        NamedProblem(
            "galvis2019",
            galvis2019_problem,
            "replicative senescence entry of fibroblasts (SA-beta-gal, Ki67, doublings)",
            GALVIS_REFERENCE,
        ),
        NamedProblem(
            "mariathasan2018",
            mariathasan2018_problem,
            "EMT6 tumour volumes per mouse under anti-PD-L1 / anti-TGF-beta (combination and "
            "CD8 depletion held back)",
            CITATION,
        ),
        NamedProblem(
            "mariathasan2018_mc38",
            mariathasan2018_mc38_problem,
            "MC38 tumour volumes per mouse: growth fitted on the isotype arm, anti-PD-L1 and "
            "combination predicted with the EMT6-calibrated immune parameters",
            CITATION,
        ),
    )


__all__ = ["builtin_problems", "galvis2019_problem", "galvis_passages"]
