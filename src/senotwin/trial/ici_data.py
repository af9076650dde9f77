"""Summary extract of the shipped checkpoint-inhibitor cohorts (what the ICI calibration needs).

The per-patient tables (``ici/<cohort>_clinical.csv.gz``, ``ici/<cohort>_expr_log2tpm.csv.gz``
of the project's reference data: PredictioR curation, GPL-3) are NOT shipped in the package; only
summary numbers derived from them are (``calibrate/data/ici_cohorts/extract.json``): per cohort
the RECIST best-response counts, Kaplan-Meier PFS/OS at landmark months with Greenwood standard
errors and the medians with 95 % CIs, the same OS summary within each RECIST best-response class
(:func:`os_by_response`), response by tertile of a CD8 expression score, and response by CD274
(PD-L1) expression (tertiles, logistic odds ratio with a bootstrap CI; per cohort and pooled over
the melanoma anti-PD-1 cohorts). A cohort without RECIST (:data:`SURVIVAL_ONLY`: padron, one
arm kept by :data:`ARMS`) carries only PFS/OS and why its response endpoints are not comparable.
:func:`derive_extract` recomputes the file from the data (``scripts/ici_extract.py``; the test
refits it when the data are present).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from senotwin._errors import ValidationError
from senotwin.trial.ici_cohort import tertile_of

#: where the reference data lie relative to a checkout (tests skip when absent)
ICI_DATA = Path("..") / "shared" / "data" / "ici"
#: the cohorts of the extract (nathanson is left out: no RECIST, anti-CTLA-4); padron has no
#: RECIST and is summarised by its survival only (:data:`SURVIVAL_ONLY`)
COHORTS: Mapping[str, tuple[str, str, str]] = {
    "liu": (
        "melanoma",
        "anti-PD-1 (nivolumab or pembrolizumab)",
        "Liu D, Schilling B, Liu D, et al. Integrative molecular and clinical modeling of "
        "clinical outcomes to PD1 blockade in patients with metastatic melanoma. Nat Med "
        "2019;25:1916-1927",
    ),
    "hugo": (
        "melanoma",
        "anti-PD-1 (pembrolizumab or nivolumab)",
        "Hugo W, Zaretsky JM, Sun L, et al. Genomic and transcriptomic features of response to "
        "anti-PD-1 therapy in metastatic melanoma. Cell 2016;165:35-44",
    ),
    "riaz": (
        "melanoma",
        "anti-PD-1 (nivolumab; ipilimumab-naive or -progressed)",
        "Riaz N, Havel JJ, Makarov V, et al. Tumor and microenvironment evolution during "
        "immunotherapy with nivolumab. Cell 2017;171:934-949",
    ),
    "van_allen": (
        "melanoma",
        "anti-CTLA-4 (ipilimumab)",
        "Van Allen EM, Miao D, Schilling B, et al. Genomic correlates of response to CTLA-4 "
        "blockade in metastatic melanoma. Science 2015;350:207-211",
    ),
    "miao": (
        "kidney (clear-cell RCC)",
        "anti-PD-1/PD-L1 (+/- anti-CTLA-4)",
        "Miao D, Margolis CA, Gao W, et al. Genomic correlates of response to immune checkpoint "
        "therapies in clear cell renal cell carcinoma. Science 2018;359:801-806",
    ),
    "padron": (
        "pancreas (metastatic ductal adenocarcinoma, first line)",
        "gemcitabine + nab-paclitaxel + nivolumab (PRINCE arm A1; the sotigalimab arm left out)",
        "Padrón LJ, Maurer DM, O'Hara MH, et al. Sotigalimab and/or nivolumab with "
        "chemotherapy in first-line metastatic pancreatic cancer: clinical and immunologic "
        "analyses from the randomized phase 2 PRINCE trial. Nat Med 2022;28:1167-1177",
    ),
}
#: the patients kept per cohort (clinical column == value, all of them): padron's arm as treated
#: (A1 includes 2 patients randomised to C2 who received no sotigalimab) within the efficacy
#: population (its 2 non-efficacy patients are phase 1b C2 patients, already outside A1)
ARMS: Mapping[str, Mapping[str, str]] = {
    "padron": {"Actual.Arm": "A1", "Efficacy.Population.Flag": "Y"},
}
#: cohorts without RECIST best response: only PFS and OS are summarised, and the response
#: endpoints are recorded as not comparable with the reason
SURVIVAL_ONLY: Mapping[str, Mapping[str, str]] = {
    "padron": {
        "orr": "no RECIST best response in the curated table (recist NA for every patient; "
        "only R/NR for 13 of the 25 A1 patients, the rule behind it not stated)",
        "recist": "no RECIST best response in the curated table",
        "cd8_tertiles": "response by CD8 tertile needs the RECIST response, which is absent",
    },
}
#: CD8 infiltration / cytolytic score: mean log2(TPM + 0.001) of these genes
CD8_GENES = ("CD8A", "CD8B", "GZMB", "PRF1")
PDL1_GENE = "CD274"
#: melanoma anti-PD-1 pools of the CD274 analysis (liu is the liu2019 calibration cohort, though
#: not on CD274, so hugo + riaz are the part no fit has seen)
PDL1_POOLS: Mapping[str, tuple[str, ...]] = {
    "melanoma_anti_pd1": ("liu", "hugo", "riaz"),
    "melanoma_anti_pd1_independent": ("hugo", "riaz"),
}
BOOTSTRAP = 2000  # bootstrap replicates of the CD274 odds ratios (seed 0)
LANDMARK_MONTHS = (2.0, 3.0, 4.0, 6.0, 9.0, 12.0, 18.0, 24.0)
RESPONSES = ("CR", "PR", "SD", "PD")
CURATION = (
    "PredictioR (bhklab) curation, files data/ICB_small_*.rda (SummarizedExperiment; GPL-3), "
    "exported with assay()/colData() as the project's reference data ici/<cohort>_*.csv.gz"
)


def _km(times: np.ndarray, events: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kaplan-Meier (event times, S, Greenwood variance of S) — small and exact, no fitter."""
    order = np.argsort(times, kind="stable")
    t, e = times[order], events[order].astype(bool)
    uniq = np.unique(t[e])
    s, var_sum, out_s, out_v = 1.0, 0.0, [], []
    for u in uniq:
        at_risk = int(np.sum(t >= u))
        d = int(np.sum((t == u) & e))
        s *= 1.0 - d / at_risk
        if at_risk > d:
            var_sum += d / (at_risk * (at_risk - d))
        out_s.append(s)
        out_v.append(s * s * var_sum)
    return uniq, np.asarray(out_s), np.asarray(out_v)


def km_summary(months: np.ndarray, events: np.ndarray) -> dict[str, Any]:
    """Landmark survival with Greenwood SE, and the median with its 95 % CI (the times where
    the pointwise 95 % band crosses 0.5; None = not reached)."""
    ok = np.isfinite(months) & np.isfinite(events)
    t, e = np.asarray(months, float)[ok], np.asarray(events, float)[ok]
    ut, s, v = _km(t, e)
    se = np.sqrt(v)

    def at(x: float, arr: np.ndarray, default: float) -> float:
        k = np.searchsorted(ut, x, side="right") - 1
        return float(arr[k]) if k >= 0 else default

    def first(mask: np.ndarray) -> float | None:
        idx = np.nonzero(mask)[0]
        return float(ut[idx[0]]) if idx.size else None

    landmarks = []
    for m in LANDMARK_MONTHS:
        if m > float(t.max()) and not (s.size and s[-1] == 0.0):
            break  # censored before m: unknown (a curve at 0 stays 0)
        landmarks.append(
            {"month": m, "survival": round(at(m, s, 1.0), 4), "se": round(at(m, se, 0.0), 4)}
        )
    return {
        "n": int(t.size),
        "events": int(e.sum()),
        "median_months": first(s <= 0.5),
        "median_ci": [first(s - 1.96 * se <= 0.5), first(s + 1.96 * se <= 0.5)],
        "landmarks": landmarks,
        "follow_up_max_months": round(float(t.max()), 2),
    }


def os_by_response(
    best_response: np.ndarray, months: np.ndarray, events: np.ndarray
) -> dict[str, dict[str, Any]]:
    """OS :func:`km_summary` within each RECIST best-response class that has patients with OS:
    a progressing patient whose death rate stays that of a stable one shows here."""
    resp = np.asarray(best_response, dtype=object)
    t, e = np.asarray(months, float), np.asarray(events, float)
    out = {}
    for r in RESPONSES:
        pick = (resp == r) & np.isfinite(t) & np.isfinite(e)
        if pick.any():
            out[r] = km_summary(t[pick], e[pick])
    return out


def _tables(data: Path, name: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """(clinical, expression, RECIST best response or NaN) of one cohort."""
    clin = pd.read_csv(data / f"{name}_clinical.csv.gz")
    expr = pd.read_csv(data / f"{name}_expr_log2tpm.csv.gz", index_col=0)
    clin = clin.set_index(clin.columns[0])
    for column, value in ARMS.get(name, {}).items():
        clin = clin[clin[column] == value]
    return clin, expr, clin["recist"].where(clin["recist"].isin(RESPONSES))


def _cd274_response(data: Path, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(log2(TPM + 1) of CD274, responder CR/PR) of the patients with RECIST and expression.

    log2(TPM + 1), not the file's log2(TPM + 0.001): a TPM of 0 (Liu) would sit ~10 units below
    the others and drive any slope."""
    return _cd274_of(*_tables(data, name))


def _cd274_of(
    clin: pd.DataFrame, expr: pd.DataFrame, recist: pd.Series
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_cd274_response` of tables already read."""
    patients = [p for p in clin.index if p in expr.columns and pd.notna(recist.get(p))]
    tpm = np.clip(np.exp2(expr.loc[PDL1_GENE, patients].to_numpy(float)) - 0.001, 0.0, None)
    return np.log2(tpm + 1.0), recist[patients].isin(("CR", "PR")).to_numpy()


def _logit_slope(x: np.ndarray, y: np.ndarray) -> float:
    """Maximum-likelihood slope of a one-covariate logistic regression (Newton); +-inf when the
    responders are separated from the others (no finite optimum)."""
    lo, hi = x[y].min(), x[y].max()
    if lo >= x[~y].max():
        return math.inf
    if hi <= x[~y].min():
        return -math.inf
    design = np.column_stack([np.ones_like(x), x])
    beta = np.zeros(2)
    for _ in range(100):
        prob = 1.0 / (1.0 + np.exp(-design @ beta))
        step = np.linalg.solve(
            design.T @ (design * (prob * (1 - prob))[:, None]), design.T @ (y - prob)
        )
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    return float(beta[1])


def _or_with_ci(groups: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, Any]:
    """Odds ratio of response per log2 unit of CD274 (each group centred on its median) with a
    95 % percentile bootstrap CI, patients resampled within group (seed 0); null = unbounded."""
    x = np.concatenate([g[0] - np.median(g[0]) for g in groups])
    y = np.concatenate([g[1] for g in groups])
    rng = np.random.default_rng(0)
    slopes = []
    for _ in range(BOOTSTRAP):
        idx = [rng.integers(0, len(g[0]), len(g[0])) for g in groups]
        xb = np.concatenate([g[0][i] - np.median(g[0]) for g, i in zip(groups, idx, strict=True)])
        yb = np.concatenate([g[1][i] for g, i in zip(groups, idx, strict=True)])
        if yb.all() or not yb.any():
            continue  # a resample without both classes carries no slope
        slopes.append(_logit_slope(xb, yb))
    low, high = np.quantile(np.asarray(slopes), [0.025, 0.975], method="inverted_cdf")

    def odds(b: float) -> float | None:
        return round(math.exp(b), 3) if math.isfinite(b) else None

    mw = stats.mannwhitneyu(x[y], x[~y])
    return {
        "patients": int(y.size),
        "responders": int(y.sum()),
        "odds_ratio_per_log2": odds(_logit_slope(x, y)),
        "odds_ratio_ci": [odds(low) if low > -math.inf else 0.0, odds(high)],
        "auc_responders": round(float(mw.statistic / (y.sum() * (~y).sum())), 4),
        "mannwhitney_p": float(f"{mw.pvalue:.3g}"),
    }


def _cd274_block(groups: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, Any]:
    """Response by CD274 tertile (within each group, pooled) and the odds ratio per log2 unit."""
    ter = np.concatenate([tertile_of(g[0]) for g in groups])
    resp = np.concatenate([g[1] for g in groups])
    return {
        "tertiles": [
            {"tertile": k, "responders": int(resp[ter == k].sum()), "n": int((ter == k).sum())}
            for k in range(3)
        ],
    } | _or_with_ci(groups)


def _survival(clin: pd.DataFrame) -> dict[str, Any]:
    """PFS and OS :func:`km_summary` where the table has >= 10 times."""
    out = {}
    for ep in ("pfs", "os"):
        col = f"survival_time_{ep}"
        if col in clin and clin[col].notna().sum() >= 10:
            out[ep] = km_summary(
                clin[col].to_numpy(float), clin[f"event_occurred_{ep}"].to_numpy(float)
            )
    return out


def _survival_cohort(data: Path, name: str) -> dict[str, Any]:
    """A cohort without RECIST (:data:`SURVIVAL_ONLY`): its arm, PFS and OS, and why the
    response endpoints are not comparable."""
    clin, _, _ = _tables(data, name)
    tumour, therapy, reference = COHORTS[name]
    return {
        "tumour": tumour,
        "therapy": therapy,
        "reference": reference,
        "patients": len(clin),
        "arm": dict(ARMS.get(name, {})),
        "recist_evaluable": 0,
        "not_comparable": dict(SURVIVAL_ONLY[name]),
    } | _survival(clin)


def _cohort(data: Path, name: str) -> dict[str, Any]:
    if name in SURVIVAL_ONLY:
        return _survival_cohort(data, name)
    clin, expr, recist = _tables(data, name)
    counts = {r: int((recist == r).sum()) for r in RESPONSES}
    evaluable = int(recist.notna().sum())
    responders = counts["CR"] + counts["PR"]
    tumour, therapy, reference = COHORTS[name]
    out: dict[str, Any] = {
        "tumour": tumour,
        "therapy": therapy,
        "reference": reference,
        "patients": len(clin),
        "recist_evaluable": evaluable,
        "recist": counts,
        "responders": responders,
        "orr": round(responders / evaluable, 4),
    }
    out |= _survival(clin)
    if "os" in out:
        out["os_by_response"] = os_by_response(
            recist.to_numpy(object),
            clin["survival_time_os"].to_numpy(float),
            clin["event_occurred_os"].to_numpy(float),
        )
    genes = [g for g in CD8_GENES if g in expr.index]
    if len(genes) != len(CD8_GENES):
        raise ValidationError(f"{name}: expression lacks {sorted(set(CD8_GENES) - set(genes))}")
    patients = [p for p in clin.index if p in expr.columns and pd.notna(recist.get(p))]
    score = expr.loc[list(CD8_GENES), patients].mean(axis=0)
    resp = recist[patients].isin(("CR", "PR")).to_numpy()
    ter = tertile_of(score.to_numpy())
    rho, p_rho = stats.spearmanr(score.to_numpy(), expr.loc[PDL1_GENE, patients].to_numpy())
    auc = stats.mannwhitneyu(score[resp], score[~resp]).statistic / (resp.sum() * (~resp).sum())
    out["cd8_score"] = {
        "genes": list(CD8_GENES),
        "patients": len(patients),
        "tertiles": [
            {"tertile": k, "responders": int(resp[ter == k].sum()), "n": int((ter == k).sum())}
            for k in range(3)
        ],
        "auc_responders": round(float(auc), 4),
        "spearman_cd274": round(float(rho), 4),
        "spearman_cd274_p": float(f"{p_rho:.3g}"),
        "median_log2tpm": round(float(score.median()), 3),
    }
    out["cd274"] = _cd274_block([_cd274_of(clin, expr, recist)])
    return out


def derive_extract(data: str | Path = ICI_DATA) -> dict[str, Any]:
    """The extract (see the module docstring) from the cohort tables in ``data``."""
    root = Path(data)
    missing = [n for n in COHORTS if not (root / f"{n}_clinical.csv.gz").is_file()]
    if missing:
        raise ValidationError(f"ICI data directory {root} lacks the cohorts {missing}")
    return {
        "format": "senotwin-ici-extract/1",
        "curation": CURATION,
        "cd8_score": f"mean log2(TPM + 0.001) of {', '.join(CD8_GENES)}; tertiles within cohort "
        "among patients with RECIST and expression (rank, ties by order)",
        "units": "months (survival), shares (survival, ORR)",
        "cd274": "log2(TPM + 1) of CD274; tertiles within cohort (rank, ties by order); odds "
        "ratio of CR/PR per log2 unit by logistic regression (pools: each cohort centred on its "
        f"median), 95 % percentile bootstrap CI ({BOOTSTRAP} resamples within cohort, seed 0; "
        "null = unbounded: responders separated in some resamples)",
        "cohorts": {n: _cohort(root, n) for n in COHORTS},
        "cd274_pools": {
            pool: {"cohorts": list(names)} | _cd274_block([_cd274_response(root, n) for n in names])
            for pool, names in PDL1_POOLS.items()
        },
    }


def extract_text(extract: Mapping[str, Any]) -> str:
    """The extract as shipped (stable JSON)."""
    return json.dumps(extract, indent=1, sort_keys=True) + "\n"


@cache
def load_extract() -> dict[str, Any]:
    """The shipped extract (package data)."""
    path = resources.files("senotwin.calibrate") / "data" / "ici_cohorts" / "extract.json"
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def cohort(name: str) -> dict[str, Any]:
    """One cohort of the shipped extract (error names the known cohorts)."""
    cohorts = load_extract()["cohorts"]
    if name not in cohorts:
        raise ValidationError(f"unknown ICI cohort {name!r}; known: {', '.join(cohorts)}")
    out: dict[str, Any] = cohorts[name]
    return out
