"""read_expression_bytes: an upload read in memory gives what read_expression gives the file."""

from __future__ import annotations

import gzip
from importlib import resources
from pathlib import Path

import anndata as ad
import numpy as np
import pytest

from senotwin._errors import ValidationError
from senotwin.sc.io import read_expression, read_expression_bytes

EXAMPLE = resources.files("senotwin.sc") / "data" / "examples" / "fibroblasts_marthandan2016.csv.gz"


def test_bytes_and_file_give_the_same_matrix() -> None:
    from_file = read_expression(Path(str(EXAMPLE)))
    from_bytes = read_expression_bytes(EXAMPLE.read_bytes(), "upload.csv.gz")
    assert from_bytes.genes == from_file.genes and from_bytes.obs_names == from_file.obs_names
    assert np.array_equal(from_bytes.x, from_file.x)
    plain = read_expression_bytes(gzip.decompress(EXAMPLE.read_bytes()), "upload.csv")
    assert np.array_equal(plain.x, from_file.x)


def test_h5ad_bytes_are_read_without_a_file(tmp_path: Path) -> None:
    a = ad.AnnData(np.arange(6, dtype=np.float32).reshape(2, 3))
    a.var_names = ["IL6", "CXCL8", "CCL2"]
    a.obs_names = ["s1", "s2"]
    a.write_h5ad(tmp_path / "a.h5ad")
    expr = read_expression_bytes((tmp_path / "a.h5ad").read_bytes(), "upload.h5ad")
    assert expr.genes == ["IL6", "CXCL8", "CCL2"] and expr.obs_names == ["s1", "s2"]


def test_unknown_type_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match=r"'upload\.xlsx': file type not recognised"):
        read_expression_bytes(b"PK\x03\x04", "upload.xlsx")
