"""score_matrix / score_adata behaviour, errors, and the real-data check on Marthandan 2016."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from senotwin._errors import ValidationError
from senotwin.sc.scoring import OBS_PREFIX, ScoreResult, score_adata, score_matrix
from senotwin.sc.signatures import Signature, builtin_signatures, get_signature

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "expression"
MARTHANDAN = SHARED / "marthandan2016_rs_fibroblasts"


def _auroc(pos: np.ndarray, neg: np.ndarray) -> float:
    gt = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(gt / (len(pos) * len(neg)))


def test_planted_signed_signature_scores_right_way() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(5, 1, size=(60, 200))
    x[:30, :10] += 2.0  # up genes high in the first half
    x[:30, 10:20] -= 2.0  # down genes low in the first half
    genes = [f"G{i}" for i in range(200)]
    sig = Signature(name="s", genes=tuple(genes[:20]), weights=(1.0,) * 10 + (-1.0,) * 10)
    for method in ("mean_z", "rank", "ulm"):
        opts = {"max_rank": 50} if method == "rank" else {}
        s = score_matrix(x, genes, [sig], method=method, **opts).scores["s"].to_numpy()
        assert _auroc(s[:30], s[30:]) == 1.0, method


def test_adata_obs_keys_and_layer() -> None:
    rng = np.random.default_rng(1)
    x = sp.random(30, 100, density=0.3, format="csr", random_state=1, dtype=np.float32)
    genes = [f"G{i}" for i in range(100)]
    a = ad.AnnData(X=sp.csr_matrix(x.shape, dtype=np.float32), var=pd.DataFrame(index=genes))
    a.layers["lognorm"] = x
    sig = Signature(name="mine", genes=tuple(genes[:8]), weights=(1.0,) * 8)
    res = score_adata(a, [sig], layer="lognorm", seed=3)
    assert sp.issparse(a.layers["lognorm"])
    np.testing.assert_allclose(a.obs[OBS_PREFIX + "mine"], res.scores["mine"])
    assert a.uns["senotwin_scores"]["layer"] == "lognorm"
    with pytest.raises(ValidationError, match="layer 'nope'"):
        score_adata(a, [sig], layer="nope")
    del rng


def test_one_signature_alone_is_a_list_of_one() -> None:
    """score_adata(adata, 'sasp') was read letter by letter: "unknown signature 's'" (s41)."""
    from senotwin.sc.examples import example_adata

    alone, listed = example_adata(), example_adata()
    alone.X, listed.X = np.log1p(alone.X), np.log1p(listed.X)  # scored log-normalised
    one = score_adata(alone, "sasp").scores
    assert list(one.columns) == ["sasp"]
    pd.testing.assert_frame_equal(one, score_adata(listed, ["sasp"]).scores)


def test_missing_genes_and_nans_are_clear() -> None:
    x = np.ones((4, 5))
    with pytest.raises(ValidationError, match=r"fridman: 0 of 90 genes found"):
        score_matrix(x, list("ABCDE"), ["fridman"])
    x[0, 0] = np.nan
    with pytest.raises(ValidationError, match="1 NaN"):
        score_matrix(x, list("ABCDE"), ["fridman"])
    with pytest.raises(ValidationError, match="unknown scoring method 'magic'"):
        score_matrix(np.ones((4, 5)), list("ABCDE"), ["fridman"], method="magic")
    with pytest.raises(ValidationError, match=r"'ulm' has no option\(s\) max_rank"):
        score_matrix(np.ones((4, 5)), list("ABCDE"), ["fridman"], method="ulm", max_rank=5)


@pytest.mark.skipif(not MARTHANDAN.is_dir(), reason="../shared reference data not present")
def test_default_senescence_separates_marthandan() -> None:
    expr = pd.read_csv(MARTHANDAN / "expression.csv.gz", index_col=0)
    samples = pd.read_csv(MARTHANDAN / "samples.csv", index_col=0)
    y = (samples.loc[expr.columns, "Condition"] == "Senescent").to_numpy()
    x = np.log1p(expr.T.to_numpy())
    res = score_matrix(x, list(expr.index), obs_names=list(expr.columns))
    s = res.scores["senescence"].to_numpy()
    assert _auroc(s[y], s[~y]) >= 0.95
    # signed published signatures all score the right way round
    for name in ("fridman", "hernandez_segura", "cellage_meta"):
        v = score_matrix(x, list(expr.index), [name]).scores[name].to_numpy()
        assert _auroc(v[y], v[~y]) > 0.9, name
    assert "senescence" in builtin_signatures()


@pytest.mark.parametrize("sparse", [False, True])
def test_degenerate_matrices_are_refused_not_scored_zero(sparse: bool) -> None:
    sig = Signature(name="s", genes=("G0", "G1", "G2"), weights=(1.0, 1.0, -1.0))
    genes = [f"G{i}" for i in range(6)]
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 5, size=(4, 6))

    def run(
        m: np.ndarray,
        names: list[str] = genes,
        obs: list[str] | None = None,
        method: str = "mean_z",
    ) -> ScoreResult:
        mat = sp.csr_matrix(m) if sparse else m
        return score_matrix(mat, names, [sig], obs_names=obs, method=method)

    with pytest.raises(ValidationError, match="every expression value is zero"):
        run(np.zeros((4, 6)))
    with pytest.raises(ValidationError, match=r"'mean_z' .* needs at least 2, got 1"):
        run(x[:1])
    assert run(x[:1], method="rank").scores.shape == (1, 1)
    with pytest.raises(ValidationError, match=r"gene names must be unique; repeated: 'G0' \(2x\)"):
        run(x, names=["G0", "G0", "G2", "G3", "G4", "G5"])
    with pytest.raises(ValidationError, match="observation names must be unique"):
        run(x, obs=["a", "b", "a", "c"])


def test_skip_short_leaves_out_only_the_short_sets() -> None:
    """One short set stopped the whole run; the API keeps raising unless skip_short is given."""
    from senotwin.sc.scoring import TooFewGenes

    genes = list(dict.fromkeys([*get_signature("sasp").genes, "X1", "X2"]))
    x = np.random.default_rng(0).poisson(3.0, size=(6, len(genes))).astype(float)
    tiny = Signature("tiny", genes=("X1", "NOPE1", "NOPE2"), weights=(1.0, 1.0, 1.0))
    with pytest.raises(TooFewGenes, match=r"tiny: 1 of 3 genes found\. .*species='mouse'"):
        score_matrix(x, genes, ["sasp", tiny])
    res = score_matrix(x, genes, ["sasp", tiny], skip_short=True)
    assert list(res.scores.columns) == ["sasp"]
    assert res.skipped == {"tiny": "1 of 3 genes found"}
    pd.testing.assert_frame_equal(res.scores, score_matrix(x, genes, ["sasp"]).scores)
    with pytest.raises(TooFewGenes, match="tiny: 1 of 3"):
        score_matrix(x, genes, [tiny], skip_short=True)


def test_linear_scale_adata_is_scored_with_a_warning() -> None:
    """score_adata scored the example's TPM-like X as it was, where `senotwin score` on the same
    file log-transforms first: other numbers, and nothing said (README's example did this)."""
    from senotwin._errors import SenotwinWarning
    from senotwin.sc.examples import example_adata

    raw = example_adata()
    with pytest.warns(SenotwinWarning, match=r"adata.X holds values reaching 15,523.9"):
        score_adata(raw, ["sasp"])
    logged = example_adata()
    logged.X = np.log1p(logged.X)
    score_adata(logged, ["sasp"])  # log-normalised: no warning (warnings are errors here)
    counts = ad.AnnData(X=np.arange(1.0, 13.0).reshape(3, 4) * 7)
    counts.var_names = ["IL6", "CXCL8", "CCL2", "MMP3"]
    with pytest.warns(SenotwinWarning, match="holds integer counts"):
        score_adata(
            counts, [Signature(name="s", genes=("IL6", "CCL2", "MMP3"), weights=(1.0,) * 3)]
        )
