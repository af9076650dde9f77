"""SASP markers, communication and survival against hand-computed small cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from senotwin._errors import SenotwinWarning, ValidationError
from senotwin.kb.ligand_receptor import LigandReceptor, load_ligand_receptor
from senotwin.sc.communication import communication, plot_communication
from senotwin.sc.markers import sasp_markers
from senotwin.sc.signatures import Signature
from senotwin.sc.stats import bh_fdr, group_codes
from senotwin.sc.survival import cox_per_score, km_tertiles, plot_km


def test_bh_by_hand() -> None:
    # p = [0.01, 0.04, 0.03, 0.5]; sorted 0.01,0.03,0.04,0.5 -> 0.04, 0.06, 0.0533, 0.5
    q = bh_fdr(np.array([0.01, 0.04, 0.03, 0.5]))
    np.testing.assert_allclose(q, [0.04, 0.16 / 3, 0.16 / 3, 0.5])


def test_markers_by_hand() -> None:
    # gene A: group g1 = [3, 4, 5], rest = [0, 1, 2] -> U = 9, AUROC 1, mean diff 3
    x = np.array([[3, 0], [4, 1], [5, 0], [0, 1], [1, 0], [2, 1]], dtype=float)
    sig = Signature(name="s", genes=("A", "B"), weights=(1.0, 1.0))
    t = sasp_markers(x, ["A", "B"], ["g1"] * 3 + ["g2"] * 3, signature=sig)
    row = t[(t.group == "g1") & (t.gene == "A")].iloc[0]
    assert row.auroc == 1.0 and row.mean_diff == pytest.approx(3.0)
    assert row["rank"] == 1
    # normal approximation without ties: z = (9 - 4.5 - 0.5) / sqrt(3*3*7/12), two-sided
    from math import erfc, sqrt

    z = (9 - 4.5 - 0.5) / sqrt(3 * 3 * 7 / 12)
    assert row.p == pytest.approx(erfc(z / sqrt(2)))
    b = t[(t.group == "g1") & (t.gene == "B")].iloc[0]
    assert b.pct_in == pytest.approx(1 / 3) and b.pct_rest == pytest.approx(2 / 3)
    with pytest.raises(ValidationError, match="fewer than 3"):
        sasp_markers(x, ["A", "B"], ["g1"] * 5 + ["g2"], signature=sig)
    with pytest.raises(ValidationError, match="at least two groups"):
        sasp_markers(x, ["A", "B"], ["g1"] * 6, signature=sig)


def test_communication_by_hand(tmp_path) -> None:
    # genes: IL6, IL6R, IL6ST; sender S expresses IL6, receiver R expresses both subunits
    x = np.array([[2, 0, 0], [4, 0, 0], [0, 1, 4], [0, 1, 4], [0, 0, 0], [0, 0, 0]], dtype=float)
    groups = ["S", "S", "R", "R", "N", "N"]
    pair = LigandReceptor("IL6", ("IL6R", "IL6ST"), "cytokine", "review §2.2.2")
    t = communication(sp.csr_matrix(x), ["IL6", "IL6R", "IL6ST"], groups, pairs=[pair], n_perm=200)
    sr = t[(t.sender == "S") & (t.receiver == "R")].iloc[0]
    assert sr.score == pytest.approx(3.0 * np.sqrt(1.0 * 4.0))  # mean IL6 × geometric mean
    assert (t[(t.sender != "S") | (t.receiver != "R")].score == 0).all()
    assert sr.p < 0.1  # 6!/(2!2!2!) = 90 labelings, the observed one is the best
    again = communication(x, ["IL6", "IL6R", "IL6ST"], groups, pairs=[pair], n_perm=200)
    np.testing.assert_allclose(
        again.sort_values(["sender", "receiver"]).p, t.sort_values(["sender", "receiver"]).p
    )  # seeded
    out = plot_communication(t, tmp_path / "comm.png")
    assert out.stat().st_size > 0


def test_lr_table_has_protease_igfbp_arm() -> None:
    kinds = {p.kind for p in load_ligand_receptor()}
    assert {"protease", "igfbp", "chemokine", "checkpoint"} <= kinds
    labels = {p.label for p in load_ligand_receptor()}
    assert "IL6 -> IL6R+IL6ST" in labels and "HLA-E -> KLRC1+KLRD1" in labels


def test_cox_recovers_planted_hazard(tmp_path) -> None:
    rng = np.random.default_rng(0)
    n = 600
    s = rng.normal(size=n)
    t = rng.exponential(1.0 / np.exp(0.7 * s))
    c = rng.exponential(2.0, size=n)
    df = pd.DataFrame(
        {
            "time": np.minimum(t, c),
            "event": (t <= c).astype(int),
            "sasp": s,
            "noise": rng.normal(size=n),
        }
    )
    res = cox_per_score(df, time="time", event="event", scores=["sasp", "noise"]).set_index("score")
    true_hr = np.exp(0.7 * s.std(ddof=1))
    assert res.loc["sasp", "ci_low"] < true_hr < res.loc["sasp", "ci_high"]
    assert res.loc["sasp", "p"] < 1e-10
    km = km_tertiles(df, time="time", event="event", score="sasp").set_index("tertile")
    assert km.loc["high", "median_survival"] < km.loc["low", "median_survival"]
    assert plot_km(df, tmp_path / "km.png", time="time", event="event", score="sasp").exists()
    with pytest.raises(ValidationError, match=r"\(--event\) must be 0 \(censored\) or 1"):
        cox_per_score(df.assign(event=2), time="time", event="event", scores=["sasp"])


def test_communication_heat_map_keeps_its_title_inside_the_figure(monkeypatch, tmp_path) -> None:
    """With two groups the figure was 2.4 x 2 in and cut its own title ('ceptor communication')."""
    import senotwin.sc.communication as comm

    table = pd.DataFrame(
        {
            "sender": ["a", "a", "b", "b"],
            "receiver": ["a", "b", "a", "b"],
            "score": [1.0, 2.0, 3.0, 4.0],
            "q": [0.01] * 4,
        }
    )
    drawn = []
    monkeypatch.setattr(comm, "atomic_write_figure", lambda fig, path: drawn.append(fig) or path)
    comm.plot_communication(table, tmp_path / "c.png")
    (fig,) = drawn
    fig.canvas.draw()
    title = fig.axes[0].title.get_window_extent()
    box = fig.bbox
    assert box.x0 <= title.x0 and title.x1 <= box.x1 and title.y1 <= box.y1


def test_communication_heat_map_says_when_no_pair_passes_and_labels_its_cells(
    monkeypatch, tmp_path
) -> None:
    """With 100 permutations no pair reached q <= 0.05 and the figure was one uniform colour
    with a -0.1..0.1 colour bar, read as 'no communication'; the cells carried no value
    (audit, session 51)."""
    import senotwin.sc.communication as comm

    table = pd.DataFrame(
        {
            "sender": ["a", "a", "b", "b"],
            "receiver": ["a", "b", "a", "b"],
            "score": [1.0, 2.0, 3.0, 4.0],
            "q": [0.2, 0.055, 0.3, 0.4],
        }
    )
    drawn = []
    monkeypatch.setattr(comm, "atomic_write_figure", lambda fig, path: drawn.append(fig) or path)
    comm.plot_communication(table, tmp_path / "c.png")
    fig = drawn.pop()
    assert len(fig.axes) == 1 and not fig.axes[0].images  # no heat map, no colour bar
    (note,) = [t.get_text() for t in fig.axes[0].texts]
    assert note.startswith("no ligand-receptor pair at q <= 0.05") and "0.055" in note
    comm.plot_communication(table.assign(q=[0.01, 0.01, 0.5, 0.01]), tmp_path / "c.png")
    cells = sorted(t.get_text() for t in drawn.pop().axes[0].texts)
    assert cells == ["0\n(0 pairs)", "1\n(1 pair)", "2\n(1 pair)", "4\n(1 pair)"]


def test_survival_errors_name_the_column_and_its_option() -> None:
    """A text column given as --event said 'no sample has numeric time, event and scores'; a
    missing column did not say which option named it."""
    df = pd.DataFrame(
        {"t": [1.0, 2.0, 3.0], "kind": ["ACC", "ACC", "BRCA"], "e": [1, 0, 1], "s": [0.1, 0.2, 0.3]}
    )
    with pytest.raises(ValidationError, match=r"event column 'kind' \(--event\) holds no numbers"):
        cox_per_score(df, time="t", event="kind", scores=["s"])
    with pytest.raises(ValidationError, match=r"time column 'days' \(--time\) not found"):
        cox_per_score(df, time="days", event="e", scores=["s"])


def test_km_figure_states_groups_and_test(monkeypatch, tmp_path) -> None:
    """The KM figure had no title, no group sizes and a y axis cut at the lowest curve."""
    import senotwin.sc.survival as survival

    drawn: list = []
    monkeypatch.setattr(survival, "atomic_write_figure", lambda fig, path: drawn.append(fig))
    rng = np.random.default_rng(2)
    df = pd.DataFrame(
        {"t": rng.exponential(100.0, 30), "e": rng.integers(0, 2, 30), "s": rng.normal(size=30)}
    )
    plot_km(df, tmp_path / "km.png", time="t", event="e", score="s")
    (fig,) = drawn
    ax = fig.axes[0]
    p = km_tertiles(df, time="t", event="e", score="s")["logrank_p"].iloc[0]
    assert ax.get_title() == f"Kaplan-Meier by tertile of s (log-rank p = {p:.2g})"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "s low (n=10)",
        "s mid (n=10)",
        "s high (n=10)",
    ]
    assert ax.get_ylim() == (0.0, 1.02)
    # censored samples are marked and the axis names the column whose unit it is (audit s51)
    assert ax.get_xlabel() == "follow-up, column 't' (its unit); | censored"
    assert any(line.get_marker() == "|" for line in ax.get_lines())


def test_one_group_is_named_as_plain_text() -> None:
    """The message showed numpy's repr: "found [np.str_('fibroblast')]" (session 32)."""
    with pytest.raises(ValidationError, match=r"need at least two groups, found \['fibroblast'\]$"):
        group_codes(["fibroblast", "fibroblast"])


def test_rows_left_out_of_the_survival_fits_are_counted(tmp_path) -> None:
    """A row with a missing score was dropped silently (n 198 -> 197)."""
    from typer.testing import CliRunner

    from senotwin.cli.app import app
    from senotwin.sc.survival import left_out

    rng = np.random.default_rng(3)
    df = pd.DataFrame(
        {
            "sample": [f"p{i}" for i in range(12)],
            "t": rng.exponential(100.0, 12),
            "e": rng.integers(0, 2, 12),
            "s": rng.normal(size=12),
        }
    )
    assert left_out(df, time="t", event="e", scores=["s"]) is None
    df.loc[4, "s"] = np.nan
    message = left_out(df, time="t", event="e", scores=["s"])
    assert message == (
        "1 of 12 rows left out: no number (missing or text) in a column used (rows per column: "
        "s 1; first: sample 'p4'); n = 11"
    )
    path = tmp_path / "surv.csv"
    df.to_csv(path, index=False)
    r = CliRunner().invoke(
        app,
        ["sc", "survival", str(path), "--time", "t", "--event", "e", "--score", "s",
         "--out", str(tmp_path / "cox.csv")],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert f"warning: surv.csv: {message}" in r.stderr
    assert pd.read_csv(tmp_path / "cox.csv")["n"].tolist() == [11]


@pytest.mark.parametrize(
    ("time", "event", "scores", "said"),
    [
        ("T", "T", ["s"], "'T' is named as both --time and --event"),
        ("T", "E", ["s", "s"], "'s' is named twice as --score"),
        ("T", "E", ["E"], "'E' is named as both --event and --score"),
    ],
)
def test_one_column_in_two_roles_is_refused(time, event, scores, said) -> None:
    """A column named twice made a two-column frame where a Series was read: pandas' 'The
    truth value of a Series is ambiguous' was the whole message."""
    df = pd.DataFrame(
        {"T": [1.0, 2, 3, 4, 5, 6], "E": [1, 0, 1, 0, 1, 1], "s": [1.0, 2, 3, 4, 5, 7]}
    )
    with pytest.raises(ValidationError, match=said):
        cox_per_score(df, time=time, event=event, scores=scores)


def test_lower_case_gene_names_match_as_in_score() -> None:
    """`senotwin score` matched lower-case names (il6) with a note; sasp-markers and
    communication found none of the genes and said only 'none of the genes is in the data'."""
    x = np.array([[2, 0, 0], [4, 0, 1], [3, 0, 0], [0, 1, 4], [0, 1, 4], [0, 2, 3]], dtype=float)
    groups = ["S"] * 3 + ["R"] * 3
    upper, lower = ["IL6", "IL6R", "IL6ST"], ["il6", "il6r", "il6st"]
    sig = Signature(name="s", genes=("IL6", "IL6ST"), weights=(1.0, 1.0))
    want = sasp_markers(x, upper, groups, signature=sig)
    with pytest.warns(SenotwinWarning, match=r"2 gene\(s\) matched ignoring case"):
        got = sasp_markers(x, lower, groups, signature=sig)
    pd.testing.assert_frame_equal(got, want)
    pair = LigandReceptor("IL6", ("IL6R", "IL6ST"), "cytokine", "review §2.2.2")
    want = communication(x, upper, groups, pairs=[pair], n_perm=50)
    with pytest.warns(SenotwinWarning, match=r"3 gene\(s\) matched ignoring case"):
        got = communication(x, lower, groups, pairs=[pair], n_perm=50)
    pd.testing.assert_frame_equal(got, want)


def test_km_table_says_not_reached_and_the_time_unit() -> None:
    """`sc survival` printed 'inf' as the median of a tertile whose curve never fell to 0.5,
    under a bare 'median_survival' header (audit s51)."""
    from senotwin.sc.survival import km_text

    df = pd.DataFrame(
        {
            "t": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
            "e": [1, 1, 1, 1, 1, 1, 0, 0, 0],
            "s": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
        }
    )
    km = km_tertiles(df, time="t", event="e", score="s")
    assert not np.isfinite(km["median_survival"].iloc[2])  # the high tertile: all censored
    text = km_text(km, time="t")
    header, low, _mid, high = text.splitlines()
    assert header.split() == ["tertile", "n", "events", "median", "t", "log-rank", "p"]
    assert low.split()[3] == "2" and high.split()[3:5] == ["not", "reached"]
    assert "inf" not in text
