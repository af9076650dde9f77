"""Layout and callbacks of the Model page (the computations live in :mod:`.model_page`)."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

from dash import ALL, Dash, Input, Output, State, dcc, html

from senotwin._errors import SenotwinError
from senotwin._text import plotly_literal
from senotwin.app.model_page import (
    column_units,
    default_slider_ids,
    page_scenario,
    ranged_parameters,
    scenario_values,
    simulate_table,
    slider_spec,
    timecourse_figure,
    unit_text,
)
from senotwin.model.scenarios import default_scenario, scenario_names

SLIDER = "param-slider"
VALUE = "param-value"


#: the parameter picker's placeholder while it offers a scenario's parameters
PICKER_PLACEHOLDER = "Select parameters..."


def picker_state(scenario: str | None) -> tuple[list[dict[str, str]], list[str], str]:
    """Options (every ranged parameter, labelled with its unit), default picks and placeholder
    of a scenario; for one the page does not know, no options and the error as the placeholder
    (the empty picker said nothing; the slider area says it too)."""
    try:
        spec, _ = scenario_values(scenario)
    except SenotwinError as exc:
        return [], [], f"error: {exc}"
    sc = page_scenario(scenario)
    options = [
        {"label": f"{p.id} ({unit_text(p.unit)}): {p.name}", "value": p.id}
        for p in ranged_parameters(spec)
    ]
    return options, default_slider_ids(spec, list(sc.params)), PICKER_PLACEHOLDER


def slider_rows(scenario: str | None, picked: Sequence[str]) -> list[Any]:
    """One labelled slider per picked parameter; hovering the label shows unit and provenance."""
    try:
        spec, values = scenario_values(scenario)
    except SenotwinError as exc:
        return [html.P(f"error: {exc}", className="regimen-error")]
    by_id = {p.id: p for p in ranged_parameters(spec)}
    rows = []
    for pid in picked:
        if not isinstance(pid, str) or pid not in by_id:
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
    scenario: str | None, positions: Sequence[object], ids: Sequence[object]
) -> tuple[Any, list[str], str]:
    """Simulate with the sliders' values: (figure, value labels, status line with the timing).

    The page only sends its own sliders, but a request can name anything: an unknown scenario,
    a slider of a parameter the page does not offer or a position that is no number is said on
    the page (status line and figure title), not raised as a server error."""
    t0 = time.perf_counter()
    if not isinstance(positions, list | tuple) or not isinstance(ids, list | tuple):
        return _failed("the request carries no list of sliders", [])  # forged: was a 500
    labels = ["" for _ in ids]  # one label per slider id, whatever happens
    name = scenario or default_scenario().name
    try:
        spec, values = scenario_values(scenario)
    except SenotwinError as exc:
        return _failed(str(exc), labels)
    if len(positions) != len(ids):
        return _failed(f"{len(positions)} slider positions for {len(ids)} sliders", labels)
    by_id = {p.id: p for p in ranged_parameters(spec)}
    overrides: dict[str, float] = {}
    for k, (pos, ident) in enumerate(zip(positions, ids, strict=True)):
        pid = ident.get("index") if isinstance(ident, dict) else None
        if not isinstance(pid, str) or pid not in by_id:
            shown = repr(pid) if isinstance(pid, str) else repr(ident)
            return _failed(
                f"slider {shown} is not one of this page's: its sliders are the parameters of "
                f"{name} with a plausible range",
                labels,
            )
        s = slider_spec(by_id[pid], values[pid])
        if pos is None:
            value = s.value
        elif isinstance(pos, int | float) and not isinstance(pos, bool) and math.isfinite(pos):
            if not s.low - 1e-9 * abs(s.high - s.low) <= pos <= s.high + 1e-9 * abs(s.high - s.low):
                # a log slider's 10**400 overflowed (an HTTP 500; audit s43)
                return _failed(
                    f"slider {pid!r}: position {pos!r} is outside the slider ({s.low:g} to "
                    f"{s.high:g}{', log10' if s.log else ''})",
                    labels,
                )
            value = s.from_slider(pos)
        else:
            return _failed(f"slider {pid!r}: position {pos!r} is not a number", labels)
        overrides[pid] = value
        labels[k] = f"{value:.4g} {s.unit}"
    try:
        table = simulate_table(name, overrides)
    except Exception as exc:  # a failed run is reported on the page, not as a server error
        return timecourse_figure_empty(str(exc)), labels, f"simulation failed: {exc}"
    fig = timecourse_figure(table, column_units(spec), f"{name}: {spec.name or spec.id}")
    return fig, labels, f"simulated {name} in {time.perf_counter() - t0:.3f} s (fast engine)"


def _failed(message: str, labels: list[str]) -> tuple[Any, list[str], str]:
    """The page's answer to a request it cannot run: the message in the figure and status."""
    return timecourse_figure_empty(message), labels, f"error: {message}"


def timecourse_figure_empty(message: str) -> dict[str, Any]:
    """An empty figure carrying a message (failed run); the message may quote request text,
    so it is shown literally, never as Plotly markup."""
    return {"data": [], "layout": {"title": {"text": plotly_literal(message[:120])}}}


def layout(initial_figure: Any) -> html.Div:
    """The Model page: scenario picker, parameter picker, sliders, time courses."""
    default = default_scenario().name
    options, picked, placeholder = picker_state(default)
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
                    dcc.Dropdown(
                        id="param-picker",
                        options=options,
                        value=picked,
                        multi=True,
                        placeholder=placeholder,
                    ),
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
        Output("param-picker", "placeholder"),
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
