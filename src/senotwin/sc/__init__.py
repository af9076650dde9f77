"""Senescence / SASP read-outs on transcriptomes: signatures, scoring kernels, calls, markers,
SASP -> immune communication and survival association."""

from __future__ import annotations

from senotwin.sc.methods import SCORING_METHODS, ScoringMethod, get_method, register_method
from senotwin.sc.scoring import (
    DEFAULT_SIGNATURES,
    OBS_PREFIX,
    ScoreResult,
    score_adata,
    score_matrix,
)
from senotwin.sc.signatures import (
    Signature,
    builtin_signatures,
    get_signature,
    read_gmt,
    read_signature_table,
)

__all__ = [
    "DEFAULT_SIGNATURES",
    "OBS_PREFIX",
    "SCORING_METHODS",
    "ScoreResult",
    "ScoringMethod",
    "Signature",
    "builtin_signatures",
    "get_method",
    "get_signature",
    "read_gmt",
    "read_signature_table",
    "register_method",
    "score_adata",
    "score_matrix",
]
