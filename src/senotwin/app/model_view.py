"""Layout and callbacks of the Model page (the computations live in :mod:`.model_page`)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from dash import ALL, Dash, Input, Output, State, dcc, html

from senotwin.app.model_page import (
    column_units,
    default_slider_ids,
    ranged_parameters,
    scenario_values,
    simulate_table,
    slider_spec,
    timecourse_figure,
)
from senotwin.model.scenarios import default_scenario, get_scenario, scenario_names

SLIDER = "param-slider"
VALUE = "param-value"


def picker_state(scenario: str | None) -> tuple[list[dict[str, str]], list[str]]:
    """Options (every ranged parameter, labelled with its unit) and default picks of a scenario."""
    spec, _ = scenario_values(scenario)
    sc = default_scenario() if not scenario else get_scenario(scenario)
    options = [
        {"label": f"{p.id} ({p.unit}): {p.name}", "value": p.id} for p in ranged_parameters(spec)
    ]
    return options, default_slider_ids(spec, list(sc.params))


def slider_rows(scenario: str | None, picked: Sequence[str]) -> list[Any]:
    """One labelled slider per picked parameter; hovering the label shows unit and provenance."""
    spec, values = scenario_values(scenario)
    by_id = {p.id: p for p in ranged_parameters(spec)}
    rows = []
    for pid in picked:
        if pid not in by_id:
            continue
        s = slider_spec(by_id[pid], values[pid])
        span = s.high - s.low
        rows.append(
            html.Div(
                [
                    html.Span(s.label, title=s.tooltip, className="param-label"),
                    html.Span(
                        f"{s.value:.4g}", id={"type": VALUE, "index": pid}, className="param-value"
                    ),
                    dcc.Slider(
                        id={"type": SLIDER, "index": pid},
                        min=s.low,
                        max=s.high,
                        step=span / 200 if span > 0 else None,
                        value=s.to_slider(s.value),
                        marks={
                            s.low: f"{s.from_slider(s.low):.3g}",
                            s.high: f"{s.from_slider(s.high):.3g}",
                        },
                        updatemode="mouseup",
                        allow_direct_input=False,
                    ),
                ],
                className="param-row",
                title=s.tooltip,
            )
        )
    return rows


def render(
    scenario: str | None, positions: Sequence[float | None], ids: Sequence[dict[str, str]]
) -> tuple[Any, list[str], str]:
    """Simulate with the sliders' values: (figure, value labels, status line with the timing)."""
    t0 = time.perf_counter()
    spec, values = scenario_values(scenario)
    by_id = {p.id: p for p in ranged_parameters(spec)}
    overrides: dict[str, float] = {}
    labels = []
    for pos, ident in zip(positions, ids, strict=True):
        pid = ident["index"]
        s = slider_spec(by_id[pid], values[pid])
        value = s.value if pos is None else s.from_slider(pos)
        overrides[pid] = value
        labels.append(f"{value:.4g} {s.unit}")
    name = scenario or default_scenario().name
    try:
        table = simulate_table(name, overrides)
    except Exception as exc:  # a failed run is reported on the page, not as a server error
        return timecourse_figure_empty(str(exc)), labels, f"simulation failed: {exc}"
    fig = timecourse_figure(table, column_units(spec), f"{name}: {spec.name or spec.id}")
    return fig, labels, f"simulated {name} in {time.perf_counter() - t0:.3f} s (fast engine)"


def timecourse_figure_empty(message: str) -> dict[str, Any]:
    """An empty figure carrying a message (failed run)."""
    return {"data": [], "layout": {"title": {"text": message[:120]}}}


def layout(initial_figure: Any) -> html.Div:
    """The Model page: scenario picker, parameter picker, sliders, time courses."""
    default = default_scenario().name
    options, picked = picker_state(default)
    return html.Div(
        [
            html.Div(
                [
                    html.Label("Scenario (host, tissue, inducer)", htmlFor="scenario"),
                    dcc.Dropdown(
                        id="scenario",
                        options=[{"label": n, "value": n} for n in scenario_names()],
                        value=default,
                        clearable=False,
                    ),
                    html.Label("Parameters to vary", htmlFor="param-picker"),
                    dcc.Dropdown(id="param-picker", options=options, value=picked, multi=True),
                    html.Div(slider_rows(default, picked), id="sliders"),
                    html.Div(id="model-status", className="status"),
                ],
                className="controls",
            ),
            dcc.Loading(dcc.Graph(id="timecourse", figure=initial_figure), delay_show=400),
        ],
        className="page model-page",
    )


def register(app: Dash) -> None:
    """Wire the Model page's callbacks."""
    app.callback(
        Output("param-picker", "options"),
        Output("param-picker", "value"),
        Input("scenario", "value"),
    )(picker_state)
    app.callback(
        Output("sliders", "children"),
        Input("param-picker", "value"),
        State("scenario", "value"),
    )(lambda picked, scenario: slider_rows(scenario, picked or []))
    app.callback(
        Output("timecourse", "figure"),
        Output({"type": VALUE, "index": ALL}, "children"),
        Output("model-status", "children"),
        Input({"type": SLIDER, "index": ALL}, "value"),
        State({"type": SLIDER, "index": ALL}, "id"),
        State("scenario", "value"),
    )(lambda positions, ids, scenario: render(scenario, positions, ids))
