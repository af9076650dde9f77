"""Model page: pick a scenario, move parameters within their plausible ranges, see time courses.

Runs use the fast engine; the model is compiled once per process (the engine caches it), so a
slider change costs one simulation (tens of milliseconds) plus drawing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from senotwin._errors import ValidationError
from senotwin._suggest import did_you_mean, known_names
from senotwin.model.scenarios import Scenario, default_scenario, get_scenario, scenario_names
from senotwin.model.spec import ModelSpec, Parameter
from senotwin.model.units import pretty_unit
from senotwin.sim.options import SolverOptions
from senotwin.sim.scenario import run_scenario

#: panels of the time-course figure: title and the columns it draws (those a run table has)
PANELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Tumour", ("N_tumour", "C", "T")),
    ("Senescent stages", ("Se", "Sl", "Sd", "S")),
    ("Immune cells", ("T8", "T8x", "MDSC", "PMN", "E", "N")),
    # IL-8 reaches thousands of pg/mL, IL-6 tens: one panel each, or IL-6 is a flat line at 0
    ("SASP cytokine IL-6 in the tumour", ("IL6_t",)),
    ("SASP chemokine IL-8 in the tumour", ("IL8_t",)),
    ("SASP chemokine CCL2 in the tumour", ("CCL2_t",)),
    ("Free PD-L1 on tumour cells (PDL1_d), PD-1/PD-L1 complexes (PDPL)", ("PDL1_d", "PDPL")),
)
#: how many sliders the page shows before the user adds more
DEFAULT_SLIDERS = 6
#: ranges wider than this ratio move on a log10 scale
LOG_RATIO = 100.0


@dataclass(frozen=True)
class SliderSpec:
    """One parameter slider: id, label with unit, slider bounds (log10 when ``log``), tooltip."""

    id: str
    label: str
    unit: str
    low: float
    high: float
    value: float
    log: bool
    tooltip: str

    def to_slider(self, value: float) -> float:
        """A parameter value in slider coordinates."""
        return math.log10(value) if self.log else value

    def from_slider(self, position: float) -> float:
        """A slider position as a parameter value."""
        return float(10.0**position) if self.log else float(position)


def page_scenario(name: object) -> Scenario:
    """The scenario the page's ``scenario`` field names (empty: the default one); a name the
    picker does not offer (only a forged request sends one) is refused naming the field, the
    value and the page's scenarios."""
    if not name:
        return default_scenario()
    names = scenario_names()
    if not isinstance(name, str) or name not in names:
        hint = did_you_mean(name, names) if isinstance(name, str) else ""
        raise ValidationError(
            f"scenario {name!r} is not one of this page's scenarios{hint}; {known_names(names)}"
        )
    return get_scenario(name)


def scenario_values(name: str | None) -> tuple[ModelSpec, dict[str, float]]:
    """The scenario's model and its parameter values (model values with the scenario's own)."""
    sc = page_scenario(name)
    spec = sc.load()
    values = {p.id: p.value for p in spec.parameters} | dict(sc.params)
    return spec, values


def unit_text(unit: str) -> str:
    """A unit as the page prints it: 'dimensionless' for '1' (a slider read 'naive_age (1)'
    and '0.5 1'), 'molecules/µm²' for 'molecules/um**2', as on the figure's axes."""
    return "dimensionless" if unit == "1" else pretty_unit(unit)


def tooltip(param: Parameter) -> str:
    """Name, unit, range and provenance of a parameter as one hover text."""
    low, high = param.range if param.range is not None else (param.value, param.value)
    unit = unit_text(param.unit)
    rng = f"plausible range {low:g} to {high:g} {unit}"
    prov = param.provenance
    return f"{param.name or param.id} [{unit}]; {rng}; {prov.kind}: {prov.detail()}"


def slider_spec(param: Parameter, value: float) -> SliderSpec:
    """The slider of a parameter that has a plausible ``range`` (the value widens it if outside)."""
    assert param.range is not None
    low, high = min(param.range[0], value), max(param.range[1], value)
    log = low > 0 and high / low > LOG_RATIO
    unit = unit_text(param.unit)
    return SliderSpec(
        param.id,
        f"{param.id} ({unit})",
        unit,
        math.log10(low) if log else low,
        math.log10(high) if log else high,
        value,
        log,
        tooltip(param),
    )


def ranged_parameters(spec: ModelSpec) -> list[Parameter]:
    """Parameters that have a plausible range (only those get sliders)."""
    return [p for p in spec.parameters if p.range is not None and p.range[0] < p.range[1]]


def default_slider_ids(spec: ModelSpec, scenario_params: Sequence[str]) -> list[str]:
    """The scenario's own (context) parameters first, then the model's, up to DEFAULT_SLIDERS."""
    ranged = [p.id for p in ranged_parameters(spec)]
    first = [pid for pid in scenario_params if pid in ranged]
    rest = [pid for pid in ranged if pid not in first]
    return (first + rest)[:DEFAULT_SLIDERS]


def simulate_table(name: str | None, overrides: Mapping[str, float]) -> pd.DataFrame:
    """Time course of the scenario with ``overrides`` (fast engine; raises on a failed run)."""
    result = run_scenario(
        name or None,
        overrides=dict(overrides),
        solver=SolverOptions(engine="fast"),
        throw=True,
    )
    return result.table


def column_units(spec: ModelSpec) -> dict[str, str]:
    """Unit of every species and observable column (as printed on an axis)."""
    units = {s.id: s.unit for s in spec.species} | {o.id: o.unit for o in spec.observables}
    return {k: unit_text(v) for k, v in units.items()}


def timecourse_figure(table: pd.DataFrame, units: Mapping[str, str], title: str) -> go.Figure:
    """One panel per PANELS entry the table can fill; y axes carry units, x is days."""
    panels = [(t, [c for c in cols if c in table.columns]) for t, cols in PANELS]
    panels = [(t, cols) for t, cols in panels if cols]
    if not panels:  # a model outside the TME family: draw every species
        panels = [("Species", [c for c in table.columns if c != "time"])]
    fig = make_subplots(
        rows=len(panels),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.25 / len(panels),
        subplot_titles=[t for t, _ in panels],
    )
    for row, (_title, cols) in enumerate(panels, start=1):
        legend = "legend" if row == 1 else f"legend{row}"
        for col in cols:
            fig.add_trace(
                go.Scatter(
                    x=table["time"],
                    y=table[col],
                    name=f"{col} ({units.get(col, '?')})",
                    mode="lines",
                    legend=legend,
                ),
                row=row,
                col=1,
            )
        unit_set = sorted({units.get(c, "?") for c in cols})
        fig.update_yaxes(title_text=", ".join(unit_set), row=row, col=1)
        top = fig.layout["yaxis" if row == 1 else f"yaxis{row}"].domain[1]
        fig.update_layout({legend: {"x": 1.01, "y": top, "yanchor": "top"}})
    fig.update_xaxes(title_text="time (days)", row=len(panels), col=1)
    fig.update_layout(
        title=title,
        height=200 * len(panels) + 120,
        margin={"l": 100, "r": 20, "t": 80, "b": 50},  # room for 'molecules/µm²'
    )
    return fig
