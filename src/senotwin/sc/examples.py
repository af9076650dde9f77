"""Small example transcriptomes shipped with the package, so every documented command runs.

* ``fibroblasts_marthandan2016.csv.gz`` — bulk RNA-seq of human fibroblasts, 6 replicatively
  senescent and 6 proliferating samples (genes × samples, normalised expression; the built-in
  signatures' genes plus the 1,000 most expressed others). Marthandan S, et al. PLoS One
  2016;11:e0154531 (GEO GSE63577), as shipped by the markeR R package (MIT).
* ``tcga_pancancer_tpm.csv.gz`` + ``tcga_pancancer_clinical.csv`` — TPM of the signature genes
  and overall survival of 6 primary tumours per TCGA cancer type (COMPASS example data, MIT;
  survival from the TCGA Pan-Cancer Clinical Data Resource, Liu J, et al. Cell 2018;173:400).

:func:`write_examples` writes ready-to-use inputs (CSV, an AnnData .h5ad with sample
annotations, and a survival table with scores) into a folder.
"""

from __future__ import annotations

import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from senotwin._errors import ValidationError, check_type
from senotwin._io import atomic_write_bytes, atomic_write_text, ensure_writable_dir
from senotwin._suggest import did_you_mean
from senotwin.sc.io import prepare, read_expression
from senotwin.sc.scoring import DEFAULT_SIGNATURES, score_matrix

SHIPPED = (
    "fibroblasts_marthandan2016.csv.gz",
    "fibroblasts_marthandan2016_samples.csv",
    "tcga_pancancer_tpm.csv.gz",
    "tcga_pancancer_clinical.csv",
)
CITATIONS = {
    "fibroblasts": "Marthandan S, Baumgart M, Priebe S, et al. Conserved senescence associated "
    "genes and pathways in primary human fibroblasts detected by RNA-seq. PLoS One "
    "2016;11:e0154531 (GEO GSE63577; via the markeR R package, MIT)",
    "tcga": "TCGA Pan-Cancer: expression from the COMPASS example data (MIT); survival from Liu J, "
    "Lichtenberg T, Hoadley KA, et al. An integrated TCGA pan-cancer clinical data resource to "
    "drive high-quality survival outcome analytics. Cell 2018;173:400-416",
}


#: the name ``senotwin sc example`` writes each shipped file under -> the shipped file
WRITTEN_AS = {
    "fibroblasts.csv.gz": "fibroblasts_marthandan2016.csv.gz",
    "fibroblasts_samples.csv": "fibroblasts_marthandan2016_samples.csv",
    "tcga_expression.csv.gz": "tcga_pancancer_tpm.csv.gz",
}
#: files ``senotwin sc example`` builds (not shipped) -> the function that gives them
BUILT = {"fibroblasts.h5ad": "example_adata()", "tcga_survival.csv": "survival_table()"}


def example_path(name: str) -> Path:
    """Path of a shipped example file: one of :data:`SHIPPED`, or the name ``senotwin sc
    example`` writes it under (``fibroblasts.csv.gz``; README lists those)."""
    check_type(name, str, name="name", what="an example file name (str)")
    if name in BUILT:
        raise ValidationError(
            f"{name!r} is built by `senotwin sc example`, not shipped: "
            f"senotwin.sc.examples.{BUILT[name]} gives it"
        )
    shipped = WRITTEN_AS.get(name, name)
    if shipped not in SHIPPED:
        names = [*SHIPPED, *WRITTEN_AS]
        raise ValidationError(
            f"no example file {name!r} (shipped: {', '.join(SHIPPED)}; or as `senotwin sc "
            f"example` writes them: {', '.join(WRITTEN_AS)}){did_you_mean(name, names)}"
        )
    return Path(str(resources.files("senotwin.sc") / "data" / "examples" / shipped))


def fibroblast_samples() -> pd.DataFrame:
    """Sample annotations of the fibroblast example: sample, condition, cell_type."""
    return pd.read_csv(example_path("fibroblasts_marthandan2016_samples.csv"), dtype=str)


def example_adata() -> Any:
    """The fibroblast example as AnnData (samples × genes; obs: condition, cell_type); X holds
    the normalised expression as shipped (linear scale, like TPM): log1p it before scoring."""
    import anndata as ad

    expr = read_expression(example_path("fibroblasts_marthandan2016.csv.gz"))
    obs = fibroblast_samples().set_index("sample").loc[expr.obs_names]
    return ad.AnnData(X=expr.x, obs=obs, var=pd.DataFrame(index=pd.Index(expr.genes, name="gene")))


def survival_table() -> pd.DataFrame:
    """TCGA example: one row per tumour with os_days, death (1 = died) and the default scores."""
    expr = prepare(read_expression(example_path("tcga_pancancer_tpm.csv.gz")))
    scores = score_matrix(expr.x, expr.genes, DEFAULT_SIGNATURES, obs_names=expr.obs_names).scores
    clinical = pd.read_csv(example_path("tcga_pancancer_clinical.csv")).set_index("sample")
    table = clinical.join(scores, how="inner")
    table.index.name = "sample"
    return table.reset_index()


def _write_h5ad(adata: Any, target: Path) -> Path:
    """anndata writes only to a path: write in a scratch folder, then place atomically."""
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch) / "example.h5ad"
        adata.write_h5ad(tmp)
        return atomic_write_bytes(target, tmp.read_bytes())


def write_examples(out_dir: str | Path) -> list[Path]:
    """Write fibroblasts.csv.gz, fibroblasts.h5ad, fibroblasts_samples.csv, tcga_expression.csv.gz
    and tcga_survival.csv (clinical columns plus senescence/sasp scores) into ``out_dir``."""
    directory = ensure_writable_dir(out_dir)
    written = []
    for dst, src in WRITTEN_AS.items():
        written.append(atomic_write_bytes(directory / dst, example_path(src).read_bytes()))
    written.append(_write_h5ad(example_adata(), directory / "fibroblasts.h5ad"))
    written.append(
        atomic_write_text(directory / "tcga_survival.csv", survival_table().to_csv(index=False))
    )
    return written
