"""Digital twins: cohort standardisation, factor rule, clipping, errors, a behavioural check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from senotwin import ValidationError
from senotwin.analysis.twin import (
    FACTOR_PER_2SD,
    LINKS_BY_MODEL,
    QSP_LINKS,
    links_for,
    make_twin,
    standardise,
)
from senotwin.cli import app
from senotwin.model.scenarios import get_scenario
from senotwin.sim import simulate
from senotwin.sim.scenario import run_scenario


def _cohort(nk: list[float]) -> pd.DataFrame:
    n = len(nk)
    return pd.DataFrame(
        {
            "tme_nk_cells": nk,
            "tme_mdsc": np.linspace(-1, 1, n),
            "senescence": np.zeros(n),
        },
        index=[f"s{i}" for i in range(n)],
    )


def test_standardise_is_cohort_z_and_constant_columns_are_zero() -> None:
    z = standardise(_cohort([0.0, 1.0, 2.0, 3.0]))
    assert z["tme_nk_cells"].tolist() == pytest.approx(
        ((np.arange(4) - 1.5) / np.std(np.arange(4), ddof=1)).tolist()
    )
    assert (z["senescence"] == 0).all()


def test_factor_rule_and_nominal_values() -> None:
    table = _cohort([0.0, 0.0, 0.0, 0.0, 10.0])
    twin = make_twin(table, "s4", scenario="legacy_default")
    row = twin.table.set_index("target").loc["nk_tissue"]
    expected_z = (10 - 2) / np.std([0, 0, 0, 0, 10], ddof=1)
    assert row["z"] == pytest.approx(expected_z)
    assert row["factor"] == pytest.approx(FACTOR_PER_2SD ** (expected_z / 2))
    assert twin.params["nk_tissue"] == pytest.approx(min(row["nominal"] * row["factor"], 3.0))
    # unmapped signature (senescence is constant) leaves the stroma at nominal
    sen = twin.table.set_index("target").loc["Sfl"]
    assert sen["factor"] == pytest.approx(1.0) and twin.initial["Sfl"] == pytest.approx(0.03)
    # scenario context is kept for everything not mapped
    assert twin.params["mdsc_age"] != 1.0


def test_values_are_clipped_into_the_plausible_range() -> None:
    table = _cohort([0.0] * 20 + [1000.0])
    twin = make_twin(table, "s20", scenario="legacy_default")
    assert twin.params["nk_tissue"] == pytest.approx(3.0)  # upper end of its plausible range


@pytest.mark.parametrize(
    ("table", "sample", "message"),
    [
        (_cohort([1.0, 2.0]), "s0", "need at least 3"),
        (_cohort([1.0, 2.0, 3.0]), "s9", "sample 's9' is not in the score table .3 samples"),
        # the close names, not the first rows as a Python list (ux53)
        (_cohort([1.0, 2.0, 3.0]), "S1", "samples of the input.; did you mean 's1'"),
        (_cohort([1.0, 2.0, 3.0]), "xyz", "; its first: s0, s1, s2$"),
        (pd.DataFrame({"x": [1, 2, 3]}, index=["a", "b", "c"]), "a", "none of the twin"),
        (_cohort([1.0, 2.0, 3.0]), "s0", "no twin mapping for model 'sasp_qsp'; twins exist for"),
    ],
)
def test_bad_input(
    table: pd.DataFrame, sample: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if "no twin mapping" in message:  # a model without a mapping table is refused by name
        monkeypatch.delitem(LINKS_BY_MODEL, "sasp_qsp")
    with pytest.raises(ValidationError, match=message):
        make_twin(table, sample)


def test_more_nk_cells_means_better_tumour_control_legacy() -> None:
    table = _cohort([-2.0, -1.0, 0.0, 1.0, 2.0])
    finals = {}
    for sample in ("s0", "s4"):
        twin = make_twin(table, sample, scenario="legacy_default")
        res = simulate(
            get_scenario("legacy_default").load(),
            params=dict(twin.params),
            initial=dict(twin.initial),
            t_end=200.0,
        )
        assert res.ok
        finals[sample] = float(res.table["tumour_burden"].iloc[-1])
    assert finals["s4"] < finals["s0"]


def test_default_twin_runs_on_the_physical_units_model() -> None:
    """Scores map onto qsp quantities (not the legacy ones), each link names a real quantity."""
    spec = get_scenario("default").load()
    assert links_for(spec) is QSP_LINKS
    params = {p.id for p in spec.parameters}
    species = {s.id for s in spec.species}
    for link in QSP_LINKS:
        assert link.target in (params if link.kind == "parameter" else species), link
    twin = make_twin(_cohort([0.0, 1.0, 2.0, 3.0, 10.0]), "s4")
    assert twin.scenario == "default"
    row = twin.table.set_index("target").loc["k_rem"]
    assert row["signature"] == "tme_nk_cells" and row["factor"] > 1
    assert twin.params["k_rem"] == pytest.approx(row["nominal"] * row["factor"])
    assert "nk_tissue" not in twin.params


def test_qsp_twin_proliferation_and_nk_move_the_tumour_the_right_way() -> None:
    low, high = -2.0, 2.0
    table = pd.DataFrame(
        {"tme_proliferation_rate": [low, 0.0, high], "tme_nk_cells": [high, 0.0, low]},
        index=["calm", "mid", "aggressive"],
    )
    finals = {}
    for sample in ("calm", "aggressive"):
        twin = make_twin(table, sample)
        res = run_scenario("default", overrides={**twin.params, **twin.initial}, days=180.0)
        assert res.ok
        finals[sample] = float(res.table["N_tumour"].iloc[-1])
    assert finals["aggressive"] > 1.5 * finals["calm"]


def test_cli_from_score_table(tmp_path: Path) -> None:
    scores = tmp_path / "scores.csv"
    _cohort([0.0, 1.0, 2.0, 3.0]).to_csv(scores)
    out = tmp_path / "twin.csv"
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "twin", "from-sample", str(scores), "--scores", "--sample", "s3",
            "--out", str(out), "--days", "30", "--mapping", str(tmp_path / "map.csv"),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(out)
    assert table["time"].iloc[-1] == pytest.approx(30.0)
    assert "k_rem" in pd.read_csv(tmp_path / "map.csv")["target"].tolist()
    assert "N_tumour" in table.columns  # the physical-units model by default
    assert f"; also {tmp_path / 'map.csv'} (overrides)" in result.stderr  # every file is named
    bad = runner.invoke(
        app, ["twin", "from-sample", str(scores), "--scores", "--sample", "zz", "--out", str(out)]
    )
    assert bad.exit_code == 2 and "sample 'zz'" in bad.stderr


def test_score_table_without_the_tme_sets_says_which_to_score(tmp_path: Path) -> None:
    """A default `score` table mapped 2 of 11 signatures, with 9 lines that did not say how to
    score the others."""
    from senotwin.analysis.twin import TWIN_SIGNATURES

    scores = tmp_path / "scores.csv"
    pd.DataFrame(
        {"senescence": [0.0, 1.0, 2.0], "sasp": [1.0, 0.0, 2.0]}, index=["a", "b", "c"]
    ).to_csv(scores)
    args = ["twin", "from-sample", str(scores), "--scores", "--sample", "a"]
    r = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "t.csv"), "--days", "10"])
    assert r.exit_code == 0, r.output
    wanted = " ".join(f"-s {s}" for s in TWIN_SIGNATURES)
    (line,) = [x for x in r.stderr.splitlines() if "twin signatures" in x]
    assert line.startswith("warning: 9 of 11 twin signatures are not in the scores")
    assert line.endswith(f"senotwin score EXPRESSION --out scores.csv {wanted}")
    help_text = " ".join(
        CliRunner().invoke(app, ["twin", "from-sample", "--help"]).stdout.replace("│", "").split()
    )
    assert f"score them with {wanted} (the default scenario's" in help_text
    docs = Path(__file__).parents[2] / "docs" / "stratify.md"
    assert wanted in " ".join(docs.read_text(encoding="utf-8").split())


def test_an_unmapped_scenario_is_refused_before_the_input_is_read(tmp_path: Path) -> None:
    """The scenario was checked only after the expression had been read and scored."""
    missing = tmp_path / "absent.csv"  # never read: the scenario is refused first
    r = CliRunner().invoke(
        app,
        ["twin", "from-sample", str(missing), "--sample", "a", "--scenario", "kuznetsov1994",
         "--out", str(tmp_path / "t.csv")],
    )  # fmt: skip
    assert r.exit_code == 2 and "no twin mapping for model" in r.stderr, r.stderr


def test_expression_of_too_few_samples_says_so_once(tmp_path: Path) -> None:
    """Expression of one sample repeated the scoring method's refusal once per twin signature
    (11 times), each advising a --method that `twin from-sample` does not have."""
    from senotwin.analysis.twin import MIN_COHORT, score_for_twin

    genes = ["CD8A", "CD8B", "GZMB", "PRF1", "IL6", "CXCL8", "CCL2", "MKI67"]
    for n in (1, 2):
        x = np.arange(1.0, 1.0 + n * len(genes)).reshape(n, len(genes))
        with pytest.raises(ValidationError) as e:
            score_for_twin(x, genes, [f"s{i}" for i in range(n)])
        text = str(e.value)
        assert f"got {n} sample(s), need at least {MIN_COHORT}" in text
        assert "method" not in text and text.count("sample(s)") == 1
