"""Model page: sliders carry units and provenance, and a slider move changes the time course."""

from __future__ import annotations

import pytest

from senotwin.app.model_page import (
    column_units,
    pretty_unit,
    ranged_parameters,
    scenario_values,
    slider_spec,
    timecourse_figure,
)
from senotwin.app.model_view import picker_state, render, slider_rows


@pytest.fixture(scope="module")
def default_render() -> tuple[list[str], object]:
    _, picked, _ = picker_state(None)
    fig, _labels, status = render(None, [None] * len(picked), [{"index": p} for p in picked])
    assert status.startswith("simulated default"), status
    return picked, fig


def test_default_picks_start_with_the_scenario_context_parameters() -> None:
    options, picked, _ = picker_state("default")
    assert picked[0] == "k_grow"  # the default scenario sets k_grow itself
    assert all("(" in o["label"] for o in options)  # every option shows its unit
    assert len(picked) == 6


def test_slider_tooltip_names_unit_range_and_provenance() -> None:
    spec, values = scenario_values("default")
    param = next(p for p in ranged_parameters(spec) if p.id == "k_grow")
    s = slider_spec(param, values["k_grow"])
    assert s.label == "k_grow (1/day)"
    assert "plausible range" in s.tooltip and "derived:" in s.tooltip
    assert s.from_slider(s.to_slider(0.01)) == pytest.approx(0.01)


def test_wide_ranges_slide_on_a_log_scale() -> None:
    spec, values = scenario_values("default")
    wide = next(
        p
        for p in ranged_parameters(spec)
        if p.range and p.range[0] > 0 and p.range[1] / p.range[0] > 100
    )
    s = slider_spec(wide, values[wide.id])
    assert s.log and s.from_slider(s.high) == pytest.approx(wide.range[1])


def test_slider_rows_render_one_slider_per_known_pick() -> None:
    rows = slider_rows("default", ["k_grow", "no_such_parameter"])
    assert len(rows) == 1


def test_moving_a_slider_changes_the_tumour_curve(default_render) -> None:
    picked, fig = default_render
    ids = [{"index": p} for p in picked]
    spec, values = scenario_values("default")
    s = slider_spec(next(p for p in ranged_parameters(spec) if p.id == "k_grow"), values["k_grow"])
    positions = [s.high if p == "k_grow" else None for p in picked]
    moved, labels, _status = render("default", positions, ids)
    before = fig.data[0].y  # first trace: tumour cells
    after = moved.data[0].y
    assert fig.data[0].name.startswith("N_tumour (cells)")
    assert after[-1] > before[-1] * 1.01
    assert labels[picked.index("k_grow")].endswith("1/day")


@pytest.mark.parametrize(
    ("scenario", "position", "ident", "message"),
    [
        ("default", 0.5, {"index": "nope"}, "slider 'nope' is not one of this page's"),
        ("default", 0.5, {"index": "mL_per_L"}, "slider 'mL_per_L' is not one of this page's"),
        ("default", 0.5, {}, "slider {} is not one of this page's"),
        ("default", "abc", {"index": "k_grow"}, "slider 'k_grow': position 'abc' is not a number"),
        (  # a log slider: 10**400 overflowed (HTTP 500; audit s43)
            "default",
            400.0,
            {"index": "s_ccl2_sen"},
            "slider 's_ccl2_sen': position 400.0 is outside the slider (-11 to -9, log10)",
        ),
        ("nope", 0.5, {"index": "k_grow"}, "scenario 'nope' is not one of this page's"),
    ],
)
def test_a_forged_slider_is_answered_on_the_page(
    scenario: str, position: object, ident: dict[str, str], message: str
) -> None:
    """A request naming a slider the page does not have was an HTTP 500 (KeyError; audit,
    session 41): the page says what was wrong instead."""
    fig, labels, status = render(scenario, [position], [ident])
    assert status.startswith(f"error: {message}"), status
    assert fig["layout"]["title"]["text"].startswith(message)
    assert labels == [""]


def test_a_forged_scenario_leaves_the_picker_empty_and_says_why() -> None:
    """The picker's answer was empty options and no word (audit find); it now says the field,
    the value and the page's scenarios, as the slider area does."""
    from senotwin.model.scenarios import scenario_names

    names = ", ".join(scenario_names())
    options, picked, placeholder = picker_state("nope")
    assert (options, picked) == ([], [])
    assert (
        placeholder
        == f"error: scenario 'nope' is not one of this page's scenarios; choose from: {names}"
    )
    _, _, placeholder = picker_state("defualt")
    assert "did you mean 'default'" in placeholder
    assert picker_state(5)[2].startswith("error: scenario 5 is not one of this page's")  # type: ignore[arg-type]
    assert picker_state("default")[2] == picker_state(None)[2] == "Select parameters..."
    assert "scenario 'nope' is not one of this page's" in str(
        slider_rows("nope", ["k_grow"])[0].children
    )
    assert slider_rows("default", [{"x": 1}, "k_grow"])[0].className == "param-row"  # type: ignore[list-item]


def test_the_server_answers_a_forged_scenario_in_the_picker() -> None:
    """The picker's callback answered a forged scenario with empty options and nothing else."""
    from senotwin.app.server import create_app

    client = create_app().server.test_client()
    body = {
        "output": "..param-picker.options...param-picker.value...param-picker.placeholder..",
        "outputs": [
            {"id": "param-picker", "property": "options"},
            {"id": "param-picker", "property": "value"},
            {"id": "param-picker", "property": "placeholder"},
        ],
        "inputs": [{"id": "scenario", "property": "value", "value": "nope"}],
        "changedPropIds": ["scenario.value"],
    }
    reply = client.post("/_dash-update-component", json=body)
    assert reply.status_code == 200, reply.get_data(as_text=True)[:300]
    picker = reply.get_json()["response"]["param-picker"]
    assert picker["options"] == [] and picker["value"] == []
    assert picker["placeholder"].startswith("error: scenario 'nope' is not one of this page's")


def test_the_server_answers_a_forged_slider_without_a_500() -> None:
    import json

    from senotwin.app.server import create_app

    client = create_app().server.test_client()
    slider = {"index": "nope", "type": "param-slider"}
    label = {"index": "nope", "type": "param-value"}
    body = {
        "output": '..timecourse.figure...{"index":["ALL"],"type":"param-value"}.children'
        "...model-status.children..",
        "outputs": [
            {"id": "timecourse", "property": "figure"},
            [{"id": label, "property": "children"}],
            {"id": "model-status", "property": "children"},
        ],
        "inputs": [[{"id": slider, "property": "value", "value": 0.5}]],
        "state": [
            [{"id": slider, "property": "id", "value": slider}],
            {"id": "scenario", "property": "value", "value": "default"},
        ],
        "changedPropIds": [json.dumps(slider, separators=(",", ":")) + ".value"],
    }
    reply = client.post("/_dash-update-component", json=body)
    assert reply.status_code == 200, reply.get_data(as_text=True)[:300]
    status = reply.get_json()["response"]["model-status"]["children"]
    assert status.startswith("error: slider 'nope' is not one of this page's")


def test_figure_axes_carry_units() -> None:
    spec, _ = scenario_values("default")
    import pandas as pd

    table = pd.DataFrame({"time": [0.0, 1.0], "N_tumour": [1.0, 2.0], "IL6_t": [3.0, 4.0]})
    fig = timecourse_figure(table, column_units(spec), "t")
    titles = [fig.layout[a].title.text for a in fig.layout if a.startswith("yaxis")]
    assert sorted(titles) == ["cells", "pg/mL"]


def test_each_panel_draws_only_what_its_title_names() -> None:
    import pandas as pd

    spec, _ = scenario_values("default")
    cols = ["IL6_t", "IL8_t", "PDL1_d", "PDPL"]
    table = pd.DataFrame({"time": [0.0, 1.0]} | {c: [1.0, 2.0] for c in cols})
    fig = timecourse_figure(table, column_units(spec), "t")
    titles = [a.text for a in fig.layout.annotations]
    # IL-8 (thousands of pg/mL) no longer shares a linear axis with IL-6 (tens)
    axis_of = {t.name.split()[0]: t.yaxis for t in fig.data}
    assert axis_of["IL6_t"] != axis_of["IL8_t"]
    pdl1 = next(t for t in titles if "PD-L1" in t)
    assert "PDL1_d" in pdl1 and "PDPL" in pdl1  # both drawn lines are named in the title
    assert [t.name for t in fig.data if t.yaxis == axis_of["PDL1_d"]] == [
        "PDL1_d (molecules/µm²)",
        "PDPL (molecules/µm²)",
    ]


def test_units_are_printed_as_a_reader_writes_them() -> None:
    assert pretty_unit("molecules/um**2") == "molecules/µm²"
    assert pretty_unit("cells/mm**3") == "cells/mm³"
    assert pretty_unit("umol") == "umol" and pretty_unit("pg/mL") == "pg/mL"


def test_a_forged_scenario_is_quoted_literally_in_the_figure_title() -> None:
    """The failed run's title quoted the request's scenario as Plotly markup (audit s43)."""
    fig, _labels, status = render("<b>x</b>", [None], [{"index": "k_grow"}])
    assert status.startswith("error: scenario '<b>x</b>' is not")  # page text: Dash escapes it
    assert fig["layout"]["title"]["text"].startswith("scenario '&lt;b&gt;x&lt;/b&gt;' is not")


def test_forged_slider_lists_are_answered_on_the_page() -> None:
    """Positions that are no list raised TypeError (HTTP 500; audit s43)."""
    _fig, labels, status = render("default", 5, [{"index": "k_grow"}])  # type: ignore[arg-type]
    assert status == "error: the request carries no list of sliders" and labels == []


def test_sliders_print_units_as_the_axes_do() -> None:
    """Slider labels printed the raw unit: 'naive_age (1)' with the value '0.5 1', and
    'molecules/um**2' beside axes that say 'molecules/µm²' (audit s43)."""
    spec, values = scenario_values("default")
    by_id = {p.id: p for p in ranged_parameters(spec)}
    naive = slider_spec(by_id["naive_age"], values["naive_age"])
    assert naive.label == "naive_age (dimensionless)" and "[dimensionless]" in naive.tooltip
    squared = [p for p in by_id.values() if p.unit == "molecules/um**2"]
    assert all(slider_spec(p, values[p.id]).unit == "molecules/µm²" for p in squared)
    options, _, _ = picker_state("default")
    assert not any("**" in o["label"] or "(1)" in o["label"] for o in options)
    _fig, labels, _status = render("default", [None], [{"index": "naive_age"}])
    assert labels == ["0.5 dimensionless"]
