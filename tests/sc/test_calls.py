"""Multi-hallmark senescent-cell calls on a planted population."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from senotwin._errors import SenotwinWarning, ValidationError
from senotwin.sc.calls import call_senescent


def _prec_rec(call: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    tp = float((call & truth).sum())
    return tp / max(call.sum(), 1), tp / truth.sum()


def _best_single_marker(values: np.ndarray, truth: np.ndarray, sign: float) -> float:
    """Best min(precision, recall) any threshold on one gene can reach."""
    v = sign * values
    best = 0.0
    for t in np.unique(v):
        p, r = _prec_rec(v >= t, truth)
        best = max(best, min(p, r))
    return best


def test_planted_population_recovered(planted) -> None:
    res = call_senescent(planted.x, planted.genes, groups=planted.cell_type, n_null=50, seed=1)
    call = res.table["call"].to_numpy()
    precision, recall = _prec_rec(call, planted.senescent)
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)
    assert res.table["q"].between(0, 1).all()
    dense = planted.x.toarray()
    for gene, sign in [("CDKN1A", 1), ("CDKN2A", 1), ("MKI67", -1), ("LMNB1", -1), ("IL6", 1)]:
        j = planted.genes.index(gene)
        best = _best_single_marker(dense[:, j], planted.senescent, sign)
        assert best < min(precision, recall), gene


def test_call_errors(planted) -> None:
    with pytest.raises(ValidationError, match="no genes of hallmark"):
        call_senescent(planted.x[:, -50:], planted.genes[-50:])
    with pytest.raises(ValidationError, match="min_hallmarks"):
        call_senescent(planted.x, planted.genes, min_hallmarks=9)


def test_one_observation_is_a_clear_error(planted) -> None:
    """The null needs genes that vary across observations: one sample failed inside numpy
    ('a cannot be empty unless no samples are taken')."""
    with pytest.raises(ValidationError, match=r"at least 2 observations, got 1") as e:
        call_senescent(planted.x[:1], planted.genes, obs_names=["only"])
    assert "\n" not in str(e.value)


def test_no_gene_that_varies_is_a_clear_error(planted) -> None:
    """Observations that are all identical leave no gene to draw the matched null from."""
    same = np.repeat(planted.x[:1].toarray(), 3, axis=0)
    with pytest.raises(ValidationError, match="varies across the observations"):
        call_senescent(same, planted.genes)


def test_lower_case_gene_names_are_called_as_in_score(planted) -> None:
    """Lower-case names (cdkn1a) were scored by `senotwin score` with a note, while `sc call`
    said no gene of any hallmark was in the data."""
    want = call_senescent(planted.x, planted.genes, n_null=20, seed=1)
    with pytest.warns(SenotwinWarning, match=r"gene\(s\) matched ignoring case"):
        got = call_senescent(planted.x, [g.lower() for g in planted.genes], n_null=20, seed=1)
    pd.testing.assert_frame_equal(got.table, want.table)


def test_mouse_symbols_are_named_as_such(planted) -> None:
    """Mouse symbols (Cdkn1a) gave 'no genes of hallmark(s) [...] are in the data' with no word
    on which symbols calls read."""
    mouse = [g[:1] + g[1:].lower() for g in planted.genes]
    with pytest.raises(ValidationError, match=r"look like mouse \(MGI\) symbols.*--species mouse"):
        call_senescent(planted.x, mouse)
    with pytest.raises(ValidationError, match="calls read human HGNC symbols"):
        call_senescent(planted.x[:, -50:], planted.genes[-50:])
