"""Therapy page: up to four regimens (text in the regimen language) compared on one scenario.

Regimen text goes to the regimen parser's text form only (never read as a file path); its errors
are shown under the arm with the parser's caret message. Arms run on the reference engine (each
drug combination is a different model; compiling it for the fast engine would take longer).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
from dash import ALL, Dash, Input, Output, State, dcc, html, no_update
from plotly.colors import qualitative

from senotwin._errors import SenotwinError
from senotwin._text import counted
from senotwin.analysis.therapy import Comparison, compare_arms, toxicity_max_unit
from senotwin.app.error_view import error_block
from senotwin.model.readouts import readouts_for
from senotwin.therapy.dosing import body_for_scenario, source_in_brief
from senotwin.therapy.drugs import DoseSchedule, Drug, frequency_text, library
from senotwin.therapy.language import Regimen, parse_text

ARMS = 4
#: the arms' colours, line and dose ticks alike (plotly's default sequence)
PALETTE = qualitative.Plotly
ARM_TEXT = "arm-text"
ARM_ERROR = "arm-error"
DEFAULT_SCENARIO = "aged_lung_untreated"
EXAMPLES = (
    # a labelled dose (60 mg/m2, one q3w course): 2 mg/kg weekly drew an off-label schedule note
    "doxorubicin 60 mg/m2 iv d0",
    "doxorubicin 60 mg/m2 iv d0; navitoclax 325 mg po qd d10-d14",
    "",
    "",
)
#: blood counts of the drugs with a count model: (nadir field, grade field, column label)
BLOOD_COUNTS = (
    ("anc_nadir", "neutropenia_grade", "ANC nadir (1e9/L, CTCAE grade)"),
    ("platelet_nadir", "thrombocytopenia_grade", "platelet nadir (1e9/L, CTCAE grade)"),
)
TABLE_COLUMNS = (
    ("arm", "arm", "{}"),
    ("final_tumour", "final tumour (1e9 cells)", "{:.3g}"),
    ("min_tumour", "min tumour (1e9 cells)", "{:.3g}"),
    ("best_response", "best response", "{}"),
    ("time_to_progression", "time to progression (days)", "{:.0f}"),
    ("senescent_auc", "senescent AUC (1e9 cells·day)", "{:.3g}"),
)


def parse_arms(
    texts: Sequence[str | None], scenario: str | None = None
) -> tuple[dict[str, Regimen], list[str]]:
    """Regimens of the non-empty arms, dosed in ``scenario``'s species (a 20 g mouse for the
    ``mouse_*`` scenarios), and one error text per arm ('' where it parsed). A dose or route
    outside the species' labelled or studied use is an error under its arm: the page has no
    off-label switch (the CLI's --allow-off-label)."""
    body = body_for_scenario(scenario if isinstance(scenario, str) else None)
    regimens: dict[str, Regimen] = {}
    errors = []
    for i, text in enumerate(texts, start=1):
        if not isinstance(text, str):  # only a forged request sends anything but text
            errors.append("" if text is None else f"arm {i}: regimen {text!r} is not text")
            continue
        if not text.strip():
            errors.append("")
            continue
        try:
            regimen = parse_text(text, body=body, source=f"arm {i}")
        except SenotwinError as exc:
            errors.append(str(exc))
            continue
        off = regimen.off_label()
        if off:
            errors.append(f"{off[0]} (the web app runs labelled or studied doses only)")
            continue
        regimens[f"arm {i}"] = regimen
        errors.append("")
    return regimens, errors


#: the library table's columns: (header, what the header's hover says)
LIBRARY_COLUMNS = (
    ("drug", "the name to write in a regimen"),
    ("category", ""),
    ("routes (all species)", "every route the library can dose it by, mouse routes (ip) included"),
    (
        "human scenarios",
        "the labelled or studied human dose range, its routes and schedules (hover a cell for "
        "them whole, with the source); a drug without human PK with a source or without a human "
        "range is refused in human scenarios",
    ),
    (
        "PD reference dose",
        "the dose the drug's effect parameters (EC50) are scaled to, from the study its "
        "effect came from (often a mouse dose): not a dose for human scenarios",
    ),
    ("acts on", "model targets and how the drug acts on them"),
)


def drug_rows() -> list[Any]:
    """The drug library as a table: id, category, routes, human use (the human range, its
    routes and schedules, or why the drug is refused in human scenarios), PD reference dose
    and targets. Long cells are cut on the page; each carries its whole text on hover."""
    head = html.Tr([html.Th(h, title=tip or None) for h, tip in LIBRARY_COLUMNS])
    rows = [head]
    for drug in library().drugs:
        ref = drug.reference_dose
        targets = ", ".join(f"{e.target} ({e.kind})" for e in drug.effects)
        human, human_full = human_use(drug)
        rows.append(
            html.Tr(
                [
                    html.Td(drug.id),
                    html.Td(drug.category),
                    html.Td(", ".join(drug.routes)),
                    html.Td(
                        human,
                        title=human_full,
                        className="cut refused" if drug.human_problem() else "cut",
                    ),
                    html.Td(f"{ref.amount:g} {ref.unit} {ref.route}", className="nowrap"),
                    html.Td(targets, title=targets, className="cut"),
                ]
            )
        )
    return rows


def human_use(drug: Drug) -> tuple[str, str]:
    """(cell text, hover text) for a drug in human scenarios: "human: 10 mg/m2 to 90 mg/m2 (iv;
    q21d, q7d)" with each labelled schedule and the source on hover, or "not for human
    scenarios (no human PK with a source)" with the whole reason on hover, from
    :meth:`Drug.human_problem` (the check that refuses the drug in a human regimen and that
    ``senotwin drugs list`` reports)."""
    problem = drug.human_problem()
    if problem is not None:
        # "X has no human PK with a source (mouse PK)": the reason, its detail on hover
        why = problem.removeprefix(f"{drug.id} has ").split(" (")[0]
        return (
            f"not for human scenarios ({why})",
            f"{problem}; in full: senotwin drugs show {drug.id}",
        )
    rng = drug.dose_ranges["human"]  # human_problem() is None only with a human range
    dose = rng.min if rng.min == rng.max else f"{rng.min} to {rng.max}"
    schedules = rng.all_schedules()
    how = ", ".join(dict.fromkeys(_schedule_word(s) for s in schedules))
    text = f"human: {dose} ({', '.join(rng.routes)}{'; ' + how if how else ''})"
    full = f"human range {dose}, {' or '.join(rng.routes)}"
    if schedules:
        full += "; schedules: " + "; ".join(s.label() for s in schedules)
    return text, f"{full}. Source: {source_in_brief(rng.source, drug.id)}"


def _schedule_word(schedule: DoseSchedule) -> str:
    """A labelled schedule's frequency alone ('q21d', 'qd on/off', 'once'): the cell's short
    form of :meth:`DoseSchedule.label`, which the hover shows whole."""
    if schedule.cap() == 1:
        return "once"
    word = frequency_text(schedule.interval_day())
    return f"{word} on/off" if schedule.on_off_days() is not None else word


def compare(scenario: str, texts: Sequence[str | None]) -> tuple[Any, Any, list[str], str]:
    """(burden figure, metrics table, per-arm errors, status) for the arms that parse."""
    if not isinstance(texts, list | tuple):  # only a forged request; it was an HTTP 500
        return no_update, no_update, [""] * ARMS, "error: the request carries no list of arms"
    if not isinstance(scenario, str):
        status = f"error: scenario {scenario!r} is not one of the list"
        return no_update, no_update, [""] * len(texts), status
    regimens, errors = parse_arms(texts, scenario)
    if any(errors):
        # the last comparison stays on screen while the user fixes the text
        return no_update, no_update, errors, "fix the regimen errors shown under the arms"
    arms: dict[str, Regimen | None] = {"untreated": None, **regimens}
    try:
        comp = compare_arms(scenario, arms, engine="reference")
    except SenotwinError as exc:
        return go.Figure(), None, errors, f"error: {exc}"
    fig = burden_figure(comp, scenario)
    tox = sorted({k for a in comp.arms for k in a.toxicity_max})
    # the proxies are relative, not all fractions: tissue damage from senolysis is a rate
    # (a share of host tissue cells killed per day), so '(0-1)' promised a bound it lacks
    table = next(iter(comp.tables.values()))
    counts = [c for c in BLOOD_COUNTS if any(getattr(a, c[0]) is not None for a in comp.arms)]
    head = (
        [html.Th(label) for _, label, _ in TABLE_COLUMNS]
        + [
            html.Th(f"toxicity max: {k.replace('_', ' ')} ({toxicity_max_unit(k, table)})")
            for k in tox
        ]
        + [html.Th(label) for _, _, label in counts]
    )
    body = []
    for arm in comp.arms:
        record = {"arm": arm.name} | {key: getattr(arm, key) for key, _, _ in TABLE_COLUMNS[1:]}
        cells = [
            html.Td("none" if record[key] is None else fmt.format(record[key]))
            for key, _, fmt in TABLE_COLUMNS
        ]
        cells += [html.Td(f"{arm.toxicity_max.get(k, 0.0):.3g}") for k in tox]
        for nadir, grade, _ in counts:
            value = getattr(arm, nadir)
            cells.append(html.Td(f"{value:.3g} (grade {getattr(arm, grade)})"))
        body.append(html.Tr(cells))
    notes = f"; notes: {'; '.join(_page_note(n) for n in comp.notes)}" if comp.notes else ""
    return (
        fig,
        html.Table([html.Tr(head), *body], className="metrics"),
        errors,
        (f"compared {counted(len(arms), 'arm')} on {scenario} over {comp.days:g} days{notes}"),
    )


def _page_note(note: str) -> str:
    """A comparison note as the page words it: the notes name their arms ('arm NAME: ...'),
    and the page's arms are called 'arm 1'..., which read 'arm arm 4: ...' (app pass s53)."""
    return re.sub(r"^arms? (?=arm \d)", "", note)


def burden_figure(comp: Comparison, scenario: str) -> go.Figure:
    """Each arm's tumour burden, and below it a row per arm with a tick at each dose it was given
    (hover: drug, dose, route, day), in the arm's colour (the page showed no dose times)."""
    fig = go.Figure()
    given = any(arm.doses for arm in comp.arms)
    for k, arm in enumerate(comp.arms):
        table = comp.tables[arm.name]
        color = PALETTE[k % len(PALETTE)]
        fig.add_trace(
            go.Scatter(
                x=table["time"],
                y=readouts_for(table).burden(table),
                name=arm.name,
                mode="lines",
                line={"color": color},
                legendgroup=arm.name,
            )
        )
        if arm.doses:
            fig.add_trace(
                go.Scatter(
                    x=[e.time for e in arm.doses],
                    y=[arm.name] * len(arm.doses),
                    text=[
                        f"{e.drug} {e.amount:.4g} {e.unit} {e.route}, day {e.time:g}"
                        for e in arm.doses
                    ],
                    hovertemplate="%{text}<extra>%{y}</extra>",
                    mode="markers",
                    marker={  # an open symbol is drawn in marker.color, not line.color
                        "symbol": "line-ns-open",
                        "size": 12,
                        "color": color,
                        "line": {"width": 2, "color": color},
                    },
                    yaxis="y2",
                    showlegend=False,
                    legendgroup=arm.name,
                    name=f"{arm.name} doses",
                )
            )
    fig.update_layout(
        title=f"Tumour burden per arm on {scenario}",
        # the time axis sits under the dose rows when there are any (it sat between the two)
        xaxis={"title": "time (days)", "anchor": "y2" if given else "y"},
        yaxis={"title": "tumour burden (1e9 cells)", "domain": [0.3, 1.0] if given else [0.0, 1.0]},
        height=480 if given else 420,
        margin={"l": 80, "r": 20, "t": 60, "b": 50},
    )
    if given:
        fig.update_layout(
            yaxis2={
                "domain": [0.0, 0.22],
                "type": "category",
                "title": "doses given",
                "autorange": "reversed",
                "categoryorder": "array",
                "categoryarray": [a.name for a in comp.arms],
            }
        )
    return fig


def before_comparison_figure() -> go.Figure:
    """What the plot shows before the first comparison (it was empty axes from -1 to 6)."""
    fig = go.Figure()
    fig.update_layout(
        title="Tumour burden per arm: press 'Compare arms' to simulate them",
        xaxis={"visible": False},
        yaxis={"visible": False},
        height=420,
    )
    return fig


def layout(scenarios: Sequence[str]) -> html.Div:
    """The Therapy page: scenario, four regimen boxes, compare button, plot, metrics, library."""
    arms = []
    for i in range(ARMS):
        arms.append(
            html.Div(
                [
                    html.Label(f"Arm {i + 1} regimen", htmlFor=f"arm-{i + 1}"),
                    dcc.Textarea(
                        id={"type": ARM_TEXT, "index": i},
                        value=EXAMPLES[i],
                        rows=2,
                        style={"width": "100%"},
                    ),
                    html.Div(id={"type": ARM_ERROR, "index": i}, className="regimen-error"),
                ]
            )
        )
    return html.Div(
        [
            html.Div(
                [
                    html.Label("Scenario", htmlFor="therapy-scenario"),
                    dcc.Dropdown(
                        id="therapy-scenario",
                        options=list(scenarios),
                        value=DEFAULT_SCENARIO,
                        clearable=False,
                    ),
                    html.P(
                        "Regimen language: DRUG DOSE UNIT [route] [qd|bid|tid|qid|q8h|q3d|qw|...] "
                        "[dDAY[-dDAY]] (bid, tid, qid, qNh: each listed day 2, 3, 4, 24/N times); "
                        "items separated by ';'. An untreated arm is always added.",
                        className="hint",
                    ),
                    *arms,
                    html.Button("Compare arms", id="therapy-run"),
                    html.Div(id="therapy-status", className="status"),
                ],
                className="controls",
            ),
            html.Div(
                [
                    dcc.Loading(
                        dcc.Graph(id="therapy-plot", figure=before_comparison_figure()),
                        delay_show=300,
                    ),
                    html.Div(id="therapy-table"),
                    html.H3("Drug library"),
                    html.Table(drug_rows(), className="library"),
                ]
            ),
        ],
        className="page therapy-page",
    )


def register(app: Dash) -> None:
    """Wire the Therapy page's callback."""
    app.callback(
        Output("therapy-plot", "figure"),
        Output("therapy-table", "children"),
        Output({"type": ARM_ERROR, "index": ALL}, "children"),
        Output("therapy-status", "children"),
        Input("therapy-run", "n_clicks"),
        State("therapy-scenario", "value"),
        State({"type": ARM_TEXT, "index": ALL}, "value"),
        prevent_initial_call=True,
    )(lambda _n, scenario, texts: _shown(compare(scenario, texts)))


def _shown(result: tuple[Any, Any, list[str], str]) -> tuple[Any, Any, list[Any], str]:
    """``compare``'s answer with each arm's error text as page components (see error_view)."""
    fig, table, errors, status = result
    return fig, table, [error_block(e) for e in errors], status
