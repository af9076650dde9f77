"""Samples page: uploads checked (type, size) with clear errors, scored, stratified, twinned."""

from __future__ import annotations

import base64
import gzip
import io
import json
from importlib import resources

import pandas as pd
import pytest

from senotwin._errors import ValidationError
from senotwin.app import samples_page
from senotwin.app.samples_page import MIN_GENES, decode_upload, read_upload
from senotwin.app.samples_view import layout, on_twin, on_upload


def _upload(data: bytes, mime: str = "text/csv") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


@pytest.fixture(scope="module")
def small_table() -> bytes:
    """12 TCGA tumours (the package's example TPM table), genes × samples CSV."""
    path = resources.files("senotwin.sc") / "data" / "examples" / "tcga_pancancer_tpm.csv.gz"
    df = pd.read_csv(io.BytesIO(path.read_bytes()), index_col=0, compression="gzip")
    return df.iloc[:, :12].to_csv().encode()


def test_wrong_type_too_big_and_not_base64_are_refused_by_name() -> None:
    with pytest.raises(ValidationError, match=r"'notes\.pdf': type not accepted"):
        decode_upload(_upload(b"x"), "notes.pdf")
    with pytest.raises(ValidationError, match=r"the upload is not base64"):
        decode_upload("data:text/csv;base64,@@@@", "a.csv")


def test_too_big_upload_names_its_size_and_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(samples_page, "MAX_UPLOAD_BYTES", 1000)
    with pytest.raises(ValidationError, match=r"'big\.csv' is 0\.0 MB; the limit is 0 MB"):
        decode_upload(_upload(b"g,s\n" * 500), "big.csv")


def test_unparseable_and_too_few_genes_say_what_is_wrong() -> None:
    with pytest.raises(ValidationError, match=r"not an AnnData \.h5ad file"):
        read_upload(_upload(b"gene,a\nIL6,1\n"), "table.h5ad")
    with pytest.raises(ValidationError, match="not UTF-8 text"):
        read_upload(_upload(b"\xff\xfe\x00garbage"), "table.csv")
    with pytest.raises(ValidationError, match="neither rows nor columns look like gene symbols"):
        read_upload(_upload(b"x,sample_1,sample_2\nrow_one,1,2\nrow_two,3,4\n"), "table.csv")
    few = b"gene,s1,s2,s3\nIL6,1,2,3\nCXCL8,2,3,4\nCCL2,3,4,5\n"
    with pytest.raises(ValidationError, match=f"has 3 genes; at least {MIN_GENES}"):
        read_upload(_upload(few), "few.csv")


def test_gzip_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(samples_page, "MAX_UPLOAD_BYTES", 10_000)
    bomb = gzip.compress(b"0" * 1_000_000)  # 1 MB out of ~1 kB in
    with pytest.raises(ValidationError, match="unpacks to more than"):
        read_upload(_upload(bomb, "application/gzip"), "bomb.csv.gz")


def test_upload_is_scored_stratified_and_a_sample_twinned(small_table: bytes) -> None:
    status, children, options, picked, twin = on_upload(_upload(small_table), "small.csv")
    assert status == "small.csv: 12 samples scored"
    assert len(options) == 12 and picked == options[0]["value"]
    text = json.dumps(children, default=lambda c: c.to_plotly_json())
    assert "best_strategy" in text and "sasp" in text and "samples-scores" in text
    shown = on_twin(picked, twin)
    fig = shown[0].figure
    assert [t.name for t in fig.data] == ["nominal default", f"twin of {picked}"]
    assert list(fig.data[0].y) != list(fig.data[1].y)  # the twin differs from the nominal run
    # the title starts at the left and the toolbar stands upright: they no longer overlap
    assert fig.layout.title.x < 0.1 and fig.layout.modebar.orientation == "v"
    # ... in a right margin of its own: at 20 px it covered the curves' last days (s53)
    assert fig.layout.margin.r >= 40
    scores = children[0].figure  # its title's first line is short: it ran under the toolbar
    assert len(scores.layout.title.text.split("<br>")[0]) < 50


def test_a_bad_upload_shows_the_error_and_no_results() -> None:
    status, children, _options, _picked, twin = on_upload(_upload(b"x"), "notes.pdf")
    assert status.startswith("error: file 'notes.pdf'") and children == [] and twin is None


def test_mouse_symbols_are_pointed_to_the_command_line(small_table: bytes) -> None:
    """The page showed the Python hint "use species='mouse'", which no page field can take."""
    frame = pd.read_csv(io.BytesIO(small_table), index_col=0)
    frame.index = [g[:1] + g[1:].lower() for g in frame.index]
    expr = read_upload(_upload(frame.to_csv().encode()), "mouse.csv")
    with pytest.raises(ValidationError) as info:
        samples_page.score_samples(expr)
    assert "look like mouse (MGI) symbols (e.g. Cdkn1a): use `senotwin score --species mouse` " in (
        str(info.value)
    )
    assert "species=" not in str(info.value)


def test_sample_names_are_shown_literally_never_as_plotly_markup(small_table: bytes) -> None:
    """Plotly reads <a href>, <b> and <br> in titles, legends and hover text: an upload's
    sample named '<a href=...>' became a live link in the twin's title and legend (audit s43)."""
    frame = pd.read_csv(io.BytesIO(small_table), index_col=0)
    evil = '<a href="https://example.org/x">EVIL</a>'
    frame.columns = [evil, "<b>B</b>", *frame.columns[2:]]
    _status, children, _options, _picked, twin = on_upload(
        _upload(frame.to_csv().encode()), "x.csv"
    )
    scores = json.dumps(children[0].figure.to_plotly_json(), default=str)
    assert "<a href" not in scores and "<b>" not in scores
    assert "&lt;a href=" in scores  # the name is still there, as text
    fig = on_twin(evil, twin)[0].figure
    shown = [fig.layout.title.text, *(t.name for t in fig.data)]
    assert all("<" not in text for text in shown), shown
    assert fig.data[1].name == 'twin of &lt;a href="https://example.org/x"&gt;EVIL&lt;/a&gt;'


def test_twin_table_gives_each_value_its_unit(small_table: bytes) -> None:
    """The overrides table printed nominal and twin values (cells, 1/day, ...) without units."""
    _status, _children, _options, picked, twin = on_upload(_upload(small_table), "small.csv")
    table = on_twin(picked, twin)[2]
    head = [cell.children for cell in table.children[0].children]
    assert head[head.index("value") + 1] == "unit"
    units = {
        row.children[head.index("target")].children: row.children[head.index("unit")].children
        for row in table.children[1:]
    }
    assert units["k_grow"] == "1/day" and units["T8"] == "cells"


def test_the_hint_does_not_offer_mouse_symbols_the_page_refuses() -> None:
    """The hint said 'HGNC or MGI symbols' while a mouse table is refused with a pointer to
    `senotwin score --species mouse` (test_mouse_symbols_are_pointed_to_the_command_line)."""
    from senotwin.app.samples_view import layout

    hint = json.dumps(layout(), default=lambda c: c.to_plotly_json())
    assert "HGNC or MGI" not in hint and "senotwin score --species mouse" in hint


def test_forged_types_are_answered_on_the_page_not_as_a_500() -> None:
    """A number for the upload or its name, or a list for the sample, raised (HTTP 500; s43)."""
    status, children, *_ = on_upload(5, "a.csv")  # type: ignore[arg-type]
    assert status.startswith("error: no file received") and children == []
    status, *_ = on_upload("data:,abc", 5)  # type: ignore[arg-type]
    assert status.startswith("error: no file received")
    shown = on_twin(["a"], {"a": {"senescence": 1.0}})  # type: ignore[arg-type]
    assert "upload a table" in json.dumps(shown, default=lambda c: c.to_plotly_json())


def test_messages_say_how_many_genes_each_score_used(small_table: bytes) -> None:
    """The page said nothing of gene coverage (`senotwin score` and `stratify` print it), nor
    that lower-case names were matched ignoring case."""
    frame = pd.read_csv(io.BytesIO(small_table), index_col=0)
    frame.index = [g.lower() for g in frame.index]
    result = samples_page.score_samples(read_upload(_upload(frame.to_csv().encode()), "l.csv"))
    said = "\n".join(result.messages)
    assert "matched ignoring case" in said
    assert "sasp: " in said and " genes found" in said  # each signature's n of m
    assert "genes found per programme: sasp_stimulatory " in said


def test_the_table_hint_does_not_call_a_higher_suppressive_sasp_more_benefit(
    small_table: bytes,
) -> None:
    """The hint read 'ici_benefit and the SASP programmes: ... (higher = more benefit
    expected)', but a higher sasp_suppressive lowers ici_benefit."""
    _status, children, *_ = on_upload(_upload(small_table), "small.csv")
    text = json.dumps(children, default=lambda c: c.to_plotly_json())
    assert "SASP programmes: the `senotwin stratify` rule (higher" not in text
    assert "higher suppressive score lowers ici_benefit" in text


def test_the_packaged_example_loads_as_its_upload_would() -> None:
    """A user could try the page only by finding the example's path inside the package (s53):
    the button loads it, and the page shows what an upload of the same file shows."""
    from senotwin.app.samples_page import EXAMPLES
    from senotwin.app.samples_view import on_example, register
    from senotwin.sc.examples import example_path

    for name in EXAMPLES:
        data = example_path(name).read_bytes()
        status, children, options, picked, twin = on_example(name)
        up_status, up_children, up_options, up_picked, up_twin = on_upload(
            _upload(data, "application/gzip"), name
        )
        assert status == f"example {name}: {len(options)} samples scored — {EXAMPLES[name]}"
        assert up_status == f"{name}: {len(options)} samples scored"
        assert (options, picked, twin) == (up_options, up_picked, up_twin)
        as_json = lambda c: json.dumps(c, default=lambda x: x.to_plotly_json())  # noqa: E731
        assert as_json(children) == as_json(up_children)
    assert on_example("fibroblasts.csv.gz")[0].startswith(
        "example fibroblasts.csv.gz: 12 samples scored — bulk RNA-seq of human fibroblasts, 6 "
        "replicatively senescent"
    )
    # a forged or missing name is answered on the page, never a 500
    for bad in (None, 5, "../../etc/passwd"):
        status, children, *_ = on_example(bad)  # type: ignore[arg-type]
        assert status.startswith("error: no example") and children == []
    # the page offers the button and names the examples; the callback is wired
    from dash import Dash

    page = json.dumps(layout(), default=lambda c: c.to_plotly_json())
    assert "Load the example data" in page and "senotwin sc example" in page
    app = Dash(__name__)
    register(app)
    wired = [cb["inputs"] for cb in app.callback_map.values()]
    assert [{"id": "samples-example-load", "property": "n_clicks"}] in wired
