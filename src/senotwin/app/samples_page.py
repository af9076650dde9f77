"""Samples page: an uploaded expression table scored, stratified and turned into a twin.

Uploads are parsed in memory by :func:`senotwin.sc.io.read_expression_bytes` (the checks of
``senotwin score``), after a type and size check here; the bytes never reach eval/exec and
nothing is written to disk. The packaged examples (:data:`EXAMPLES`) take the same path once
their bytes are read. Scores, stratification and twin are the CLI's own functions.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from senotwin._errors import ValidationError
from senotwin._text import plotly_literal
from senotwin.analysis.twin import DEFAULT_TWIN_SCENARIO, make_twin, score_for_twin, twin_signatures
from senotwin.model.readouts import readouts_for
from senotwin.model.scenarios import get_scenario
from senotwin.model.units import pretty_unit
from senotwin.sc.examples import example_path
from senotwin.sc.io import EXPRESSION_SUFFIXES, Expression, prepare, read_expression_bytes
from senotwin.sc.scoring import DEFAULT_SIGNATURES, TooFewGenes, score_matrix
from senotwin.sc.stratify import genes_found_line, stratify
from senotwin.sim.scenario import run_scenario

#: largest upload accepted (decoded bytes); a gzip'd table may unpack to 10 times this
MAX_UPLOAD_BYTES = 20_000_000
#: fewest genes a table must have to be scored at all
MIN_GENES = 10
#: scenario the twin personalises (the physical-units model; its mapping table is twin.QSP_LINKS)
TWIN_SCENARIO = DEFAULT_TWIN_SCENARIO
#: how the page's messages point to mouse scoring (the page reads human symbols only)
PAGE_MOUSE = "`senotwin score --species mouse` (this page reads human symbols only)"
PAGE_HUMAN = "human symbols"
#: stratification columns shown
STRATIFY_COLUMNS = ("ici_benefit", "sasp_suppressive", "sasp_stimulatory", "best_strategy")
#: the packaged examples the page loads, by the names `senotwin sc example` writes them under
#: (README, "Example data") -> what each is
EXAMPLES = {
    "fibroblasts.csv.gz": "bulk RNA-seq of human fibroblasts, 6 replicatively senescent and 6 "
    "proliferating samples (Marthandan S, et al. PLoS One 2016;11:e0154531, GEO GSE63577)",
    "tcga_expression.csv.gz": "TPM of the signature genes in primary tumours, 6 per TCGA cancer "
    "type (COMPASS example data; enough to try the page, not for conclusions per type)",
}


@dataclass(frozen=True)
class SampleScores:
    """Per-sample read-outs of an upload: signature scores, stratification, twin inputs."""

    scores: pd.DataFrame  # samples × (senescence, sasp)
    strata: pd.DataFrame | None  # samples × STRATIFY_COLUMNS (None when the genes do not allow)
    twin_scores: pd.DataFrame  # samples × twin signatures
    messages: tuple[str, ...]


def decode_upload(contents: str | None, filename: str | None) -> bytes:
    """The bytes of a browser upload (``data:...;base64,...``) after type and size checks."""
    if not isinstance(contents, str) or not isinstance(filename, str):  # forged: was a 500
        contents = filename = None
    if not contents or not filename:
        raise ValidationError(
            "no file received; choose a .csv, .tsv, .txt (optionally .gz) or .h5ad"
        )
    if not filename.lower().endswith(EXPRESSION_SUFFIXES):
        raise ValidationError(
            f"file {filename!r}: type not accepted; upload .csv, .tsv, .txt (optionally .gz) "
            "or .h5ad (AnnData)"
        )
    _, sep, payload = contents.partition(",")
    if not sep:
        raise ValidationError(f"file {filename!r}: the upload is not base64 data")
    size = len(payload) * 3 // 4
    if size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            f"file {filename!r} is {size / 1e6:.1f} MB; the limit is "
            f"{MAX_UPLOAD_BYTES / 1e6:.0f} MB (keep the genes of interest or gzip it)"
        )
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError(f"file {filename!r}: the upload is not base64 data ({exc})") from None


def read_upload(contents: str | None, filename: str | None) -> Expression:
    """The upload as an expression matrix (observations × genes), or a clear error."""
    return read_table(decode_upload(contents, filename), str(filename))


def read_example(name: str | None) -> Expression:
    """A packaged example (:data:`EXAMPLES`), read as an upload of that file would be."""
    if not isinstance(name, str) or name not in EXAMPLES:  # forged or none picked
        raise ValidationError(f"no example {name!r}; pick one of: {', '.join(EXAMPLES)}")
    return read_table(example_path(name).read_bytes(), name)


def read_table(data: bytes, filename: str) -> Expression:
    """The bytes of a table named ``filename`` as an expression matrix, or a clear error."""
    expr = read_expression_bytes(data, filename, limit=10 * MAX_UPLOAD_BYTES)
    if len(expr.genes) < MIN_GENES:
        raise ValidationError(
            f"file {filename!r} has {len(expr.genes)} genes; at least {MIN_GENES} are needed "
            "(signatures score the genes they share with the table)"
        )
    return expr


def score_samples(expr: Expression) -> SampleScores:
    """Senescence/SASP scores, the stratification (``senotwin stratify``) and the twin's scores."""
    messages = list(expr.messages)
    ready = prepare(expr)
    messages += [m for m in ready.messages if m not in messages]
    try:
        scores = score_matrix(ready.x, ready.genes, DEFAULT_SIGNATURES, obs_names=ready.obs_names)
    except TooFewGenes as exc:  # worded for the page: it reads human symbols only
        raise ValidationError(exc.worded(PAGE_MOUSE, PAGE_HUMAN)) from None
    messages += [*scores.notes, *scores.coverage_lines()]  # as `senotwin score` prints them
    strata = None
    try:
        res = stratify(expr.x, expr.genes, expr.obs_names, where=expr.source or "the upload")
        strata = res.predictions[list(STRATIFY_COLUMNS)]
        messages += [*res.messages, genes_found_line(res.coverage)]
    except ValidationError as exc:
        messages.append(f"stratification not possible: {exc}")
    try:
        twin_scores, skipped = score_for_twin(
            ready.x, ready.genes, ready.obs_names, signatures=twin_signatures(TWIN_SCENARIO)
        )
        messages += [f"twin: not used (keeps nominal values): {s}" for s in skipped]
    except ValidationError as exc:
        twin_scores = pd.DataFrame(index=scores.scores.index)
        messages.append(f"twin not possible: {exc}")
    return SampleScores(scores.scores, strata, twin_scores, tuple(messages))


def scores_figure(result: SampleScores) -> go.Figure:
    """Senescence vs SASP score per sample, coloured by the best strategy when stratified."""
    sc = result.scores
    x = sc[DEFAULT_SIGNATURES[0]]
    y = sc[DEFAULT_SIGNATURES[1]]
    fig = go.Figure()
    if result.strata is not None:
        best = result.strata["best_strategy"].reindex(sc.index)
        for strategy in sorted(best.dropna().unique()):
            mask = best == strategy
            fig.add_trace(
                go.Scatter(
                    x=x[mask],
                    y=y[mask],
                    mode="markers",
                    name=f"best: {strategy}",
                    text=[plotly_literal(s) for s in sc.index[mask]],
                    hoverinfo="text+x+y",
                )
            )
    else:
        fig.add_trace(
            go.Scatter(
                x=x, y=y, mode="markers", text=[plotly_literal(s) for s in sc.index], name="samples"
            )
        )
    fig.update_layout(
        # the explanation on a line of its own: as one line the title ran under the toolbar
        # at the top right (app pass s53)
        title="Senescence and SASP scores per sample<br><sup>mean z-score of each signature's "
        "genes</sup>",
        xaxis_title="senescence score (z, arbitrary units)",
        yaxis_title="SASP score (z, arbitrary units)",
        height=420,
        margin={"l": 70, "r": 20, "t": 60, "b": 50},
    )
    return fig


def twin_run(twin_scores: pd.DataFrame, sample: str) -> tuple[go.Figure, pd.DataFrame]:
    """The twin of ``sample`` simulated beside the nominal scenario: burden figure, overrides."""
    twin = make_twin(twin_scores, sample, scenario=TWIN_SCENARIO)
    nominal = run_scenario(TWIN_SCENARIO, throw=True).table
    personal = run_scenario(
        TWIN_SCENARIO, overrides={**twin.params, **twin.initial}, throw=True
    ).table
    fig = go.Figure()
    shown = plotly_literal(sample)  # a sample name is the upload's text: never Plotly markup
    for name, table in ((f"nominal {TWIN_SCENARIO}", nominal), (f"twin of {shown}", personal)):
        read = readouts_for(table)
        fig.add_trace(go.Scatter(x=table["time"], y=read.burden(table), name=name, mode="lines"))
    fig.update_layout(
        # left-aligned, with the toolbar upright at the right edge: a long sample name ran
        # under the horizontal toolbar (audit s43)
        title={"text": f"Tumour burden: twin of {shown} vs the nominal scenario", "x": 0.01},
        modebar={"orientation": "v"},
        # inside the plot's top left, clear of the upright toolbar at the right edge
        legend={"x": 0.01, "y": 0.99, "bgcolor": "rgba(255,255,255,0.7)"},
        xaxis_title="time (days)",
        yaxis_title="tumour burden (1e9 cells)",
        height=380,
        # room at the right for the upright toolbar: at 20 px it covered the curves' last
        # days (app pass s53)
        margin={"l": 70, "r": 50, "t": 60, "b": 50},
    )
    return fig, with_units(twin.table)


def with_units(table: pd.DataFrame) -> pd.DataFrame:
    """The twin's override table with the unit of each target's nominal and twin value (the
    page printed numbers such as 3e+07 and 1.04e+03 side by side without one; audit s43)."""
    spec = get_scenario(TWIN_SCENARIO).load()
    units = {p.id: p.unit for p in spec.parameters} | {s.id: s.unit for s in spec.species}
    return table.assign(unit=[pretty_unit(units.get(str(t), "?")) for t in table["target"]])


def frame_records(df: pd.DataFrame) -> dict[str, Mapping[str, float]]:
    """A score table as JSON-ready {sample: {column: value}} (kept in the page between clicks)."""
    return {str(k): {str(c): float(v) for c, v in row.items()} for k, row in df.iterrows()}


def records_frame(records: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """Inverse of :func:`frame_records`."""
    return pd.DataFrame.from_dict(dict(records), orient="index")
