"""Bad input in files, omics tables and output paths, tried as a demanding user would.

One row per case: the command line, the files it is given, the expected exit code, a fragment the
message must contain, and the files that must NOT exist afterwards. Every case must end in a clear
``error: ...`` (exit 2) or, where the input is usable, a stated ``warning:`` (exit 0): never a
traceback, never a stray temporary file, never a half-written output.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from senotwin.cli.app import app
from senotwin.sc.examples import example_path
from senotwin.sc.signatures import get_signature

GENES = list(dict.fromkeys([*get_signature("fridman").genes[:40], *get_signature("sasp").genes]))
SIGS = ("-s", "fridman", "-s", "sasp")


def _counts(n: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    counts = rng.poisson(3.0, size=(n, len(GENES)))
    return pd.DataFrame(counts, index=[f"s{i}" for i in range(n)], columns=GENES)


def _csv(frame: pd.DataFrame) -> str:
    return str(frame.to_csv())


def _with(**cells: float) -> Callable[[Path], str]:
    """Counts with some cells replaced (``s0_GENE=value``)."""

    def build(_: Path) -> str:
        frame = _counts().astype(float)
        for key, value in cells.items():
            sample, gene = key.split("_", 1)
            frame.loc[sample, gene] = value
        return _csv(frame)

    return build


def _dup_header(kind: str) -> Callable[[Path], str]:
    """A table whose header repeats a label: pandas alone would rename it ``X.1``."""

    def build(_: Path) -> str:
        frame = _counts()
        frame = frame.T if kind == "samples" else frame  # the header holds samples or genes
        labels = [str(c) for c in frame.columns]
        labels[1] = labels[0]
        rows = [",".join(["id", *labels])]
        rows += [
            ",".join([str(i), *map(str, r)])
            for i, r in zip(frame.index, frame.to_numpy(), strict=True)
        ]
        return "\n".join(rows) + "\n"

    return build


def _h5ad_dup_genes(path: Path) -> None:
    genes = list(GENES)
    genes[1] = genes[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        adata = ad.AnnData(
            X=np.log1p(_counts().to_numpy()).astype(np.float32), var=pd.DataFrame(index=genes)
        )
        adata.write_h5ad(path)


def _h5ad_plain(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        adata = ad.AnnData(
            X=np.log1p(_counts().to_numpy()).astype(np.float32), var=pd.DataFrame(index=GENES)
        )
        adata.write_h5ad(path)


def _survival(_: Path) -> str:
    rng = np.random.default_rng(1)
    n = 30
    frame = pd.DataFrame(
        {
            "time": rng.uniform(10, 500, n).round(1),
            "event": rng.integers(0, 2, n),
            "senescence": rng.normal(size=n),
        }
    )
    return str(frame.to_csv(index=False))


def _scores(_: Path, n: int = 6, dup: bool = False) -> str:
    rng = np.random.default_rng(2)
    names = [f"s{i}" for i in range(n)]
    if dup:
        names[1] = names[0]
    frame = pd.DataFrame(
        {"senescence": rng.normal(size=n), "sasp": rng.normal(size=n)}, index=names
    )
    return str(frame.to_csv())


def _text_cell(_: Path) -> str:
    """Genes x samples counts with one text cell (gene GENES[1], sample s3)."""
    frame = _counts().T.astype(object)
    frame.loc[GENES[1], "s3"] = "7x"
    return _csv(frame)


BINARY = bytes(range(256)) * 4
#: a file's content, or a function of its path returning the text (None: it wrote the file)
Content = str | bytes | Callable[[Path], str | None]


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    files: Mapping[str, Content] = field(default_factory=dict)
    code: int = 2
    message: str = ""
    absent: tuple[str, ...] = ()


GOOD = {"in.csv": lambda _: _csv(_counts())}
DIRS = {"adir/": ""}  # a trailing slash makes a directory

CASES = [
    # ---- output paths: checked before any work; nothing written on failure -------------------
    Case("out-is-dir", ("score", "in.csv", "--out", "adir", *SIGS), {**GOOD, **DIRS},
         message="--out 'adir' is a directory"),
    Case("out-bad-suffix", ("score", "in.csv", "--out", "o.xlsx", *SIGS), GOOD,
         message="must end in .csv, .tsv or .txt", absent=("o.xlsx",)),
    Case("out-missing-parent", ("score", "in.csv", "--out", "no/o.csv", *SIGS), GOOD,
         message="directory 'no' does not exist", absent=("no",)),
    Case("out-parent-is-file", ("score", "in.csv", "--out", "in.csv/o.csv", *SIGS), GOOD,
         message="'in.csv' is a file, not a directory"),
    Case("out-is-input", ("score", "in.csv", "--out", "in.csv", *SIGS), GOOD,
         message="is the input file"),
    Case("call-out-is-dir", ("sc", "call", "in.csv", "--out", "adir"), {**GOOD, **DIRS},
         message="is a directory"),
    # said 'n_null must be >= 10, got 5' (the library's argument) after reading the file
    Case("call-n-null-5", ("sc", "call", "in.csv", "--out", "o.csv", "--n-null", "5"), GOOD,
         message="error: --n-null must be a whole number >= 10, got 5", absent=("o.csv",)),
    # said 'n_perm must be >= 1, got 0' (the library's argument) after reading the file (ux53)
    Case("communication-n-perm-0",
         ("sc", "communication", "in.csv", "--groupby", "g", "--out", "c.csv", "--n-perm", "0"),
         GOOD, message="error: --n-perm must be a whole number >= 1, got 0", absent=("c.csv",)),
    # said "layer 'counts' not in x.h5ad; have []" (ux53)
    Case("score-unknown-layer", ("score", "d.h5ad", "--out", "o.csv", "--layer", "counts"),
         {"d.h5ad": _h5ad_plain}, absent=("o.csv",),
         message="layer 'counts' (--layer) is not in d.h5ad; its layers: none (leave --layer out"),
    Case("markers-bad-suffix",
         ("sc", "sasp-markers", "in.csv", "--groupby", "g", "--out", "m.parquet"), GOOD,
         message="must end in", absent=("m.parquet",)),
    Case("comm-figure-bad-suffix",
         ("sc", "communication", "in.csv", "--groupby", "g", "--out", "c.csv",
          "--figure", "c.gif"), GOOD,
         message="--figure 'c.gif' must end in .png, .svg or .pdf", absent=("c.csv",)),
    Case("survival-figure-bad-suffix",
         ("sc", "survival", "t.csv", "--time", "time", "--event", "event", "--score",
          "senescence", "--out", "cox.csv", "--figure", "km.jpg"), {"t.csv": _survival},
         message="--figure 'km.jpg' must end in", absent=("cox.csv",)),
    Case("survival-figure-missing-dir",
         ("sc", "survival", "t.csv", "--time", "time", "--event", "event", "--score",
          "senescence", "--out", "cox.csv", "--figure", "figs/km.png"), {"t.csv": _survival},
         message="directory 'figs' does not exist", absent=("cox.csv",)),
    Case("simulate-plot-bad-suffix",
         ("simulate", "--days", "5", "--out", "o.csv", "--plot", "p.gif"),
         message="--plot 'p.gif' must end in .png or .svg", absent=("o.csv", "p.gif")),
    Case("twin-mapping-same-as-out",
         ("twin", "from-sample", "sc.csv", "--scores", "--sample", "s0", "--out", "t.csv",
          "--mapping", "t.csv"), {"sc.csv": _scores},
         message="--mapping 't.csv' is also given as --out", absent=("t.csv",)),
    Case("simulate-plot-fails-after-table",  # the figure needs TME read-outs this model lacks
         ("simulate", "--scenario", "kuznetsov1994", "--days", "5", "--out", "o.csv",
          "--plot", "p.png"),
         message="lacks TME read-outs", absent=("o.csv", "p.png")),
    Case("twin-mapping-bad-suffix",
         ("twin", "from-sample", "sc.csv", "--scores", "--sample", "s0", "--out", "t.csv",
          "--mapping", "m.tsv"), {"sc.csv": _scores},
         message="--mapping 'm.tsv' must end in .csv", absent=("t.csv", "m.tsv")),
    Case("twin-plot-is-dir",
         ("twin", "from-sample", "sc.csv", "--scores", "--sample", "s0", "--out", "t.csv",
          "--plot", "adir"), {"sc.csv": _scores, **DIRS},
         message="--plot 'adir' is a directory", absent=("t.csv",)),
    Case("kb-figure-bad-suffix", ("kb", "figure", "--out", "map.gif"),
         message="must end in .png or .svg", absent=("map.gif",)),
    Case("kb-export-csv-into-file", ("kb", "export", "--format", "csv", "--out", "f.txt"),
         {"f.txt": "x"}, message="--out 'f.txt' is a file; expected a directory"),
    Case("kb-export-file-into-dir", ("kb", "export", "--format", "sif", "--out", "adir"),
         DIRS, code=0, message="senotwin_kb.sif"),  # an existing directory means "into it"
    Case("model-export-missing-dir",
         ("model", "export", "--format", "antimony", "--out", "no/m.ant"),
         message="directory 'no' does not exist", absent=("no",)),
    Case("demo-out-is-file", ("demo", "--out", "f.txt"), {"f.txt": "x"},
         message="--out 'f.txt' is a file; expected a directory"),
    Case("cohort-out-is-file", ("cohort", "run", "--out", "f.txt", "--n", "2", "--quiet"),
         {"f.txt": "x"}, message="--out 'f.txt' is a file; expected a directory"),
    Case("treat-plot-bad-suffix",
         ("treat", "compare", "--arm", "a=none", "--days", "5", "--plot", "p.bmp"),
         message="--plot 'p.bmp' must end in .png, .svg or .pdf", absent=("p.bmp",)),
    Case("dose-response-plot-is-dir",
         ("treat", "dose-response", "--drug", "navitoclax", "--doses", "1", "--plot", "adir"),
         DIRS, message="--plot 'adir' is a directory"),
    # ---- degenerate omics input ---------------------------------------------------------------
    Case("all-zero", ("score", "z.csv", "--out", "o.csv", *SIGS),
         {"z.csv": lambda _: _csv(_counts() * 0)}, message="every expression value is zero",
         absent=("o.csv",)),
    Case("one-sample-mean-z", ("score", "one.csv", "--out", "o.csv", *SIGS),
         {"one.csv": lambda _: _csv(_counts(1))}, message="needs at least 2, got 1",
         absent=("o.csv",)),
    Case("one-sample-rank-is-fine",
         ("score", "one.csv", "--out", "o.csv", "--method", "rank", *SIGS),
         {"one.csv": lambda _: _csv(_counts(1))}, code=0, message="wrote o.csv"),
    Case("duplicate-sample-rows", ("score", "d.csv", "--out", "o.csv", *SIGS),
         {"d.csv": lambda _: _csv(_counts().rename(index={"s1": "s0"}))},
         message="sample names in d.csv must be unique; repeated: 's0' (2x)", absent=("o.csv",)),
    Case("duplicate-sample-header", ("score", "d.csv", "--out", "o.csv", *SIGS),
         {"d.csv": _dup_header("samples")}, message="sample names in d.csv must be unique",
         absent=("o.csv",)),
    Case("duplicate-gene-header", ("score", "d.csv", "--out", "o.csv", *SIGS),
         {"d.csv": _dup_header("genes")},
         message=f"gene names in d.csv must be unique; repeated: {GENES[0]!r}",
         absent=("o.csv",)),
    Case("duplicate-gene-h5ad", ("score", "d.h5ad", "--out", "o.csv", *SIGS),
         {"d.h5ad": _h5ad_dup_genes}, message="gene names (var_names) in d.h5ad must be unique",
         absent=("o.csv",)),
    Case("nan", ("score", "n.csv", "--out", "o.csv", *SIGS),
         {"n.csv": _with(**{f"s2_{GENES[3]}": float("nan")})},
         message=f"1 missing (NaN) or infinite value(s) (first: sample 's2', gene {GENES[3]!r})",
         absent=("o.csv",)),
    Case("inf", ("score", "n.csv", "--out", "o.csv", *SIGS),
         {"n.csv": _with(**{f"s0_{GENES[0]}": float("inf")})},
         message="missing (NaN) or infinite", absent=("o.csv",)),
    Case("no-signature-overlap", ("score", "x.csv", "--out", "o.csv", *SIGS),
         {"x.csv": lambda _: _csv(_counts().set_axis(["TP53", *(f"G{i}" for i in GENES[1:])],
                                                    axis=1))},
         message="too few signature genes", absent=("o.csv",)),
    Case("no-gene-symbols", ("score", "x.csv", "--out", "o.csv", *SIGS),
         {"x.csv": lambda _: _csv(_counts().set_axis([f"G{i}" for i in GENES], axis=1))},
         message="neither rows nor columns look like gene symbols", absent=("o.csv",)),
    Case("negative-counts", ("score", "n.csv", "--out", "o.csv", *SIGS),
         {"n.csv": _with(**{f"s0_{GENES[0]}": -3})}, message="counts cannot be negative",
         absent=("o.csv",)),
    Case("negative-log-values-warn", ("score", "n.csv", "--out", "o.csv", *SIGS),
         {"n.csv": lambda _: _csv(np.log1p(_counts()) - 1.0)}, code=0,
         message="warning: values include negatives"),
    Case("empty-sample-warns", ("score", "n.csv", "--out", "o.csv", *SIGS),
         {"n.csv": lambda _: _csv(_counts().mul([0, 1, 1, 1, 1, 1, 1, 1], axis=0))}, code=0,
         message="warning: 1 observation(s) have no expression at all (s0)"),
    Case("twin-duplicate-samples",
         ("twin", "from-sample", "sc.csv", "--scores", "--sample", "s0", "--out", "t.csv"),
         {"sc.csv": lambda p: _scores(p, dup=True)}, message="sample names (first column)",
         absent=("t.csv",)),
    # ---- messages that name the input instead of leaking library text --------------------------
    Case("expression-empty", ("score", "e.csv", "--out", "o.csv"), {"e.csv": ""},
         message="expression file 'e.csv' is empty"),
    Case("expression-header-only", ("score", "e.csv", "--out", "o.csv"),
         {"e.csv": "gene,s1,s2\n"}, message="expression file 'e.csv' has no data"),
    Case("expression-binary", ("score", "b.csv", "--out", "o.csv"), {"b.csv": BINARY},
         message="expression file 'b.csv' is not UTF-8 text"),
    Case("expression-xlsx-named-csv", ("score", "b.csv", "--out", "o.csv"),
         {"b.csv": b"PK\x03\x04" + BINARY}, message="ZIP archive (e.g. an Excel .xlsx file)"),
    Case("expression-fake-h5ad", ("score", "f.h5ad", "--out", "o.csv"),
         {"f.h5ad": "gene,s1\nIL6,1\n"},
         message="is not an AnnData .h5ad file: it looks like text"),
    Case("expression-is-dir", ("score", "adir", "--out", "o.csv"), DIRS,
         message="expression file 'adir' is a directory; expected a file"),
    Case("expression-missing", ("score", "nope.csv", "--out", "o.csv"),
         message="expression file 'nope.csv' does not exist"),
    Case("expression-unknown-type", ("score", "x.xlsx", "--out", "o.csv"), {"x.xlsx": BINARY},
         message="file type not recognised"),
    Case("gene-sets-binary", ("score", "in.csv", "--out", "o.csv", "--gene-sets", "g.tsv"),
         {**GOOD, "g.tsv": BINARY}, message="gene-set file 'g.tsv' is not UTF-8 text",
         absent=("o.csv",)),
    Case("gene-sets-dir", ("score", "in.csv", "--out", "o.csv", "--gene-sets", "adir"),
         {**GOOD, **DIRS}, message="gene-set file 'adir' is a directory", absent=("o.csv",)),
    Case("survival-empty", ("sc", "survival", "t.csv", "--time", "t", "--event", "e",
                            "--score", "s", "--out", "o.csv"), {"t.csv": ""},
         message="survival table 't.csv' is empty", absent=("o.csv",)),
    Case("survival-binary", ("sc", "survival", "t.csv", "--time", "t", "--event", "e",
                             "--score", "s", "--out", "o.csv"), {"t.csv": BINARY},
         message="survival table 't.csv' is not UTF-8 text", absent=("o.csv",)),
    Case("survival-is-dir", ("sc", "survival", "adir", "--time", "t", "--event", "e",
                             "--score", "s", "--out", "o.csv"), DIRS,
         message="survival table 'adir' is a directory", absent=("o.csv",)),
    # session 48 (audit): said "column 'death' must be 0/1" without the value or the row
    Case("survival-event-not-0-or-1", ("sc", "survival", "t.csv", "--time", "t", "--event",
                                       "e", "--score", "s", "--out", "o.csv"),
         {"t.csv": "id,t,e,s\na,100,1,0.5\nb,80,0,0.2\nc,50,2,0.1\n"},
         message="event column 'e' (--event) must be 0 (censored) or 1 (event observed); "
                 "got 2 (id 'c'; 1 of 3 usable rows neither 0 nor 1)", absent=("o.csv",)),
    Case("survival-negative-time", ("sc", "survival", "t.csv", "--time", "t", "--event", "e",
                                    "--score", "s", "--out", "o.csv"),
         {"t.csv": "t,e,s\n100,1,0.5\n-4,0,0.2\n50,1,0.1\n"},
         message="time column 't' (--time) must hold follow-up times >= 0; got -4 "
                 "(data row 2; 1 of 3 usable rows negative)", absent=("o.csv",)),
    Case("twin-scores-empty",  # was a csv.Error traceback
         ("twin", "from-sample", "s.csv", "--scores", "--sample", "s0", "--out", "t.csv"),
         {"s.csv": ""}, message="score table 's.csv' is empty", absent=("t.csv",)),
    Case("twin-fake-h5ad",
         ("twin", "from-sample", "f.h5ad", "--sample", "s0", "--out", "t.csv"),
         {"f.h5ad": BINARY}, message="is not an AnnData .h5ad file", absent=("t.csv",)),
    Case("model-binary", ("model", "stats", "--model", "m.yaml"), {"m.yaml": BINARY},
         message="model file 'm.yaml' is not UTF-8 text"),
    Case("model-is-dir", ("model", "stats", "--model", "adir"), DIRS,
         message="model file 'adir' is a directory"),
    Case("regimen-binary",
         ("simulate", "--days", "5", "--out", "o.csv", "--regimen", "r.yaml"),
         {"r.yaml": BINARY}, message="regimen file 'r.yaml' is not UTF-8 text",
         absent=("o.csv",)),
    Case("regimen-missing", ("simulate", "--days", "5", "--out", "o.csv", "--regimen", "r.txt"),
         message="regimen file 'r.txt' does not exist", absent=("o.csv",)),
    Case("cases-binary", ("validate", "--cases", "c.yaml"), {"c.yaml": BINARY},
         message="validation cases file 'c.yaml' is not UTF-8 text"),
    Case("cases-is-dir", ("validate", "--cases", "adir"), DIRS,
         message="validation cases file 'adir' is a directory"),
    Case("kb-is-file", ("kb", "stats", "--kb", "f.txt"), {"f.txt": "x"},
         message="knowledge-base directory 'f.txt' is a file; expected a directory"),
    Case("kb-empty-dir", ("kb", "stats", "--kb", "adir"), DIRS,
         message="has none of entities/, interactions/"),
    Case("kb-binary-yaml", ("kb", "stats", "--kb", "kb"),
         {"kb/entities/e.yaml": BINARY}, message="knowledge-base file"),
    Case("cohort-summary-file", ("cohort", "summary", "f.txt"), {"f.txt": "x"},
         message="cohort directory 'f.txt' is a file; expected a directory"),
    Case("cohort-summary-missing", ("cohort", "summary", "nope"),
         message="cohort directory 'nope' does not exist"),
    Case("cohort-summary-not-a-cohort", ("cohort", "summary", "adir"), DIRS,
         message="no manifest.json"),
    # session 32 (audit): one text cell of a genes x samples table named every gene and a number
    Case("text-cell-genes-by-samples", ("score", "g.csv", "--out", "o.csv", *SIGS),
         {"g.csv": _text_cell},
         message=f"non-numeric values for genes [{GENES[1]!r}] (e.g. '7x' in sample 's3')",
         absent=("o.csv",)),
    Case("petab-lint-no-problem-yaml", ("petab", "lint", "adir"), DIRS,  # exit 1, '[Errno 2]'
         message="'adir' is not a PEtab problem directory: no problem.yaml"),
    Case("simulate-says-it-wrote-the-plot", ("simulate", "--days", "5", "--out", "o.csv",
         "--plot", "p.png"), code=0, message="wrote p.png"),
    Case("treat-says-it-wrote-the-plot",
         ("treat", "compare", "--arm", "a=none", "--days", "5", "--plot", "p.png"),
         code=0, message="wrote p.png"),
    Case("stratify-says-what-it-wrote",
         ("stratify", str(example_path("tcga_pancancer_tpm.csv.gz")), "--out", "p.csv"),
         code=0, message="wrote p.csv (198 samples)"),
]  # fmt: skip


def _make(root: Path, files: Mapping[str, Content]) -> None:
    for name, content in files.items():
        path = root / name
        if name.endswith("/"):
            path.mkdir(parents=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            made = content(path)
            if made is None:
                continue
            content = made
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(str(content))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_files(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _make(tmp_path, case.files)
    before = {p.relative_to(tmp_path) for p in tmp_path.rglob("*")}
    result = CliRunner().invoke(app, list(case.args))
    output = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), output
    assert "Traceback" not in output
    assert result.exit_code == case.code, output
    assert case.message in output, output
    if case.code != 0:
        assert "error: " in result.stderr, output
        after = {p.relative_to(tmp_path) for p in tmp_path.rglob("*")}
        assert after == before, f"a failed command left {sorted(map(str, after - before))}"
    for name in case.absent:
        assert not (tmp_path / name).exists(), f"{name} exists after a failed command"
    assert not list(tmp_path.rglob("*.tmp")), "a temporary file was left behind"


@pytest.mark.parametrize(
    ("args", "said"),
    [(("-s", "no-such-signature"), "unknown signature"), (("--species", "rat"), "species must")],
)
def test_score_refuses_a_bad_name_before_reading_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], said: str
) -> None:
    from senotwin.cli import sc as sc_cli

    def never(*_a: object, **_k: object) -> None:
        raise AssertionError("the expression file was read")

    monkeypatch.setattr(sc_cli, "_load", never)
    data = tmp_path / "x.csv"
    data.write_text(_csv(_counts()))
    out = tmp_path / "scores.csv"
    result = CliRunner().invoke(app, ["score", str(data), "--out", str(out), *args])
    assert result.exit_code == 2, result.output
    assert said in result.output
    assert not out.exists()
