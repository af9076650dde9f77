"""Layout and callbacks of the Samples page (computations in :mod:`.samples_page`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
from dash import Dash, Input, Output, State, dcc, html, no_update

from senotwin._errors import SenotwinError
from senotwin.app.samples_page import (
    EXAMPLES,
    MAX_UPLOAD_BYTES,
    STRATIFY_COLUMNS,
    TWIN_SCENARIO,
    frame_records,
    read_example,
    read_upload,
    records_frame,
    score_samples,
    scores_figure,
    twin_run,
)
from senotwin.sc.io import Expression
from senotwin.sc.scoring import DEFAULT_SIGNATURES

#: rows of the per-sample table shown (the figure shows every sample)
MAX_ROWS = 60


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.3g}"
    return str(value)


def table_of(df: pd.DataFrame, *, ident: str) -> html.Table:
    """A frame as a small HTML table (index first), at most MAX_ROWS rows."""
    head = html.Tr([html.Th(df.index.name or "sample")] + [html.Th(str(c)) for c in df.columns])
    rows = [
        html.Tr([html.Td(str(i))] + [html.Td(_cell(v)) for v in row])
        for i, row in zip(df.index[:MAX_ROWS], df.to_numpy()[:MAX_ROWS], strict=True)
    ]
    return html.Table([head, *rows], className="metrics", id=ident)


Shown = tuple[str, list[Any], list[dict[str, str]], Any, Any]


def on_upload(contents: str | None, filename: str | None) -> Shown:
    """(status, results, sample options, picked sample, twin scores) after an upload."""
    return _shown(lambda: read_upload(contents, filename), str(filename))


def on_example(name: str | None) -> Shown:
    """As :func:`on_upload`, for the packaged example ``name`` (one of EXAMPLES)."""
    what = EXAMPLES.get(name, "") if isinstance(name, str) else ""
    return _shown(lambda: read_example(name), f"example {name}", note=what)


def _shown(read: Callable[[], Expression], label: str, *, note: str = "") -> Shown:
    """The page's outputs for the table ``read`` gives (``label`` names it in the status,
    followed by ``note`` when given)."""
    try:
        result = score_samples(read())
    except SenotwinError as exc:
        return f"error: {exc}", [], [], None, None
    table = result.scores.copy()
    table.index.name = "sample"
    if result.strata is not None:
        table = table.join(result.strata[list(STRATIFY_COLUMNS)])
    children = [
        dcc.Graph(id="samples-scores", figure=scores_figure(result)),
        html.H3("Scores and stratification per sample"),
        html.P(
            f"{', '.join(DEFAULT_SIGNATURES)}: signature scores (mean z of the genes); "
            "ici_benefit: the `senotwin stratify` rule (higher = more benefit expected); "
            "sasp_suppressive and sasp_stimulatory: the SASP programme z-scores it reads (a "
            "higher suppressive score lowers ici_benefit, a higher stimulatory one raises it); "
            "best_strategy: the strategy with the highest "
            "predicted benefit (equal benefits: the one with fewer drugs, ICI alone). "
            f"First {MAX_ROWS} samples shown.",
            className="hint",
        ),
        table_of(table, ident="samples-table"),
        html.Ul([html.Li(m) for m in result.messages], className="hint"),
    ]
    samples = [str(s) for s in result.scores.index]
    options = [{"label": s, "value": s} for s in samples]
    twin = frame_records(result.twin_scores) if not result.twin_scores.empty else None
    status = f"{label}: {len(samples)} samples scored" + (f" — {note}" if note else "")
    return status, children, options, samples[0] if samples else None, twin


def on_twin(sample: str | None, twin_scores: Mapping[str, Mapping[str, float]] | None) -> list[Any]:
    """The chosen sample's twin: burden beside the nominal scenario, and its overrides."""
    if not isinstance(sample, str) or not isinstance(twin_scores, dict):  # forged: was a 500
        sample = twin_scores = None
    if not sample or not twin_scores:
        return [html.P("upload a table with at least 3 samples, then pick one")]
    try:
        fig, overrides = twin_run(records_frame(twin_scores), sample)
    except SenotwinError as exc:
        return [html.P(f"error: {exc}", className="regimen-error")]
    shown = overrides[["signature", "z", "target", "kind", "nominal", "value", "unit", "rationale"]]
    return [
        dcc.Graph(id="samples-twin-plot", figure=fig),
        html.P(
            f"Each signature's z-score within the upload scales its linked quantities of "
            f"scenario {TWIN_SCENARIO} (the physical-units model) by 2^(z/2), within their "
            "plausible ranges (`senotwin twin`; the mapping table is in docs/stratify.md).",
            className="hint",
        ),
        table_of(shown.set_index("signature"), ident="samples-twin-table"),
    ]


def layout() -> html.Div:
    """The page: upload, scores with stratification, and a twin of a chosen sample."""
    return html.Div(
        [
            html.Div(
                [
                    html.Label("Expression table", htmlFor="samples-upload"),
                    dcc.Upload(
                        id="samples-upload",
                        children=html.Div(["Drop a file here or ", html.A("choose one")]),
                        className="upload",
                        multiple=False,
                    ),
                    html.P(
                        "CSV, TSV or TXT (optionally .gz) with genes × samples or samples × genes "
                        "(human HGNC symbols; for mouse MGI symbols use `senotwin score --species "
                        f"mouse`), or an AnnData .h5ad; at most "
                        f"{MAX_UPLOAD_BYTES // 1_000_000} MB. Read in memory, never stored.",
                        className="hint",
                    ),
                    html.Label("Or try a packaged example", htmlFor="samples-example"),
                    dcc.Dropdown(
                        id="samples-example",
                        options=[{"label": f"{n}: {w}", "value": n} for n, w in EXAMPLES.items()],
                        value=next(iter(EXAMPLES)),
                        clearable=False,
                    ),
                    html.Button("Load the example data", id="samples-example-load"),
                    html.P(
                        'The files `senotwin sc example --out DIR` writes (README, "Example '
                        'data"), read as an upload of that file would be.',
                        className="hint",
                    ),
                    html.Div(id="samples-status", className="status"),
                    html.Label("Sample to twin", htmlFor="samples-pick"),
                    dcc.Dropdown(id="samples-pick", options=[], value=None),
                    html.Button("Simulate twin", id="samples-twin-run"),
                    dcc.Store(id="samples-twin-scores"),
                ],
                className="controls",
            ),
            html.Div(
                [
                    dcc.Loading(html.Div(id="samples-results"), delay_show=300),
                    dcc.Loading(html.Div(id="samples-twin"), delay_show=300),
                ]
            ),
        ],
        className="page samples-page",
    )


def register(app: Dash) -> None:
    """Wire the Samples page's callbacks."""
    app.callback(
        Output("samples-status", "children"),
        Output("samples-results", "children"),
        Output("samples-pick", "options"),
        Output("samples-pick", "value"),
        Output("samples-twin-scores", "data"),
        Input("samples-upload", "contents"),
        State("samples-upload", "filename"),
        prevent_initial_call=True,
    )(on_upload)
    app.callback(
        Output("samples-status", "children", allow_duplicate=True),
        Output("samples-results", "children", allow_duplicate=True),
        Output("samples-pick", "options", allow_duplicate=True),
        Output("samples-pick", "value", allow_duplicate=True),
        Output("samples-twin-scores", "data", allow_duplicate=True),
        Input("samples-example-load", "n_clicks"),
        State("samples-example", "value"),
        prevent_initial_call=True,
    )(lambda _n, name: on_example(name) if _n else (no_update,) * 5)
    app.callback(
        Output("samples-twin", "children"),
        Input("samples-twin-run", "n_clicks"),
        State("samples-pick", "value"),
        State("samples-twin-scores", "data"),
        prevent_initial_call=True,
    )(lambda _n, sample, scores: on_twin(sample, scores) if _n else no_update)
