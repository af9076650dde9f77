"""Ratios of arm means, with bootstrap 95 % intervals, from the Mariathasan 2018 endpoint sheets.

Usage: python scripts/mariathasan2018_contrasts.py [--json]
Reads src/senotwin/calibrate/data/mariathasan2018/endpoints.csv (scripts/extract_mariathasan2018.py)
and prints, for each pre-registered contrast (session 25 flow), the ratio of the treated arm to
the reference arm over the studies that carry both: each treated value over its own study's
reference mean, averaged over the treated mice (the workbook's own normalisation, per study), and
its 95 % percentile interval from 20,000 bootstrap resamples of the values within each (study,
arm), seed 0: the expectations of the validation cases ``mariathasan_emt6_*``. Deterministic.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

import numpy as np
import pandas as pd

from senotwin.calibrate.mouse_data import endpoints

N_BOOT = 20_000
SEED = 0

#: (quantity, treated arm, reference arm) in the order of the pre-registration
CONTRASTS: tuple[tuple[str, str, str], ...] = (
    ("cd8_t_cells", "anti_pdl1", "isotype"),
    ("cd8_t_cells", "anti_tgfb", "isotype"),
    ("cd8_t_cells", "combination", "isotype"),
    ("cd8_t_cells", "combination", "anti_pdl1"),
    ("tumour_weight_day7", "anti_pdl1", "isotype"),
    ("tumour_weight_day7", "anti_tgfb", "isotype"),
    ("tumour_weight_day7", "combination", "isotype"),
    ("tumour_weight_day7", "combination", "anti_pdl1"),
)


def contrast(
    table: pd.DataFrame, quantity: str, treated: str, reference: str, *, seed: int = SEED
) -> dict[str, object]:
    """Treated over its study's reference mean, averaged over studies with both; bootstrap 95 %."""
    rows = table[table["quantity"] == quantity]
    studies = sorted(
        set(rows.loc[rows["arm"] == treated, "study"])
        & set(rows.loc[rows["arm"] == reference, "study"])
    )
    if not studies:
        raise ValueError(f"no study has both {treated!r} and {reference!r} for {quantity!r}")
    rows = rows[rows["study"].isin(studies)]
    groups = {
        (s, a): rows.loc[(rows["study"] == s) & (rows["arm"] == a), "value"].to_numpy(float)
        for s in studies
        for a in (treated, reference)
    }
    rng = np.random.default_rng(seed)
    boot = np.zeros(N_BOOT)
    point = 0.0
    n = {a: sum(len(groups[(s, a)]) for s in studies) for a in (treated, reference)}
    for s in studies:  # resample within study and arm; each study over its own reference mean
        t, r = groups[(s, treated)], groups[(s, reference)]
        t_draw = t[rng.integers(0, len(t), size=(N_BOOT, len(t)))]
        r_draw = r[rng.integers(0, len(r), size=(N_BOOT, len(r)))]
        boot += t_draw.sum(axis=1) / r_draw.mean(axis=1)
        point += t.sum() / r.mean()
    boot /= n[treated]
    t_all = np.concatenate([groups[(s, treated)] for s in studies])
    r_all = np.concatenate([groups[(s, reference)] for s in studies])
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return {
        "quantity": quantity,
        "treated": treated,
        "reference": reference,
        "studies": studies,
        "n_treated": int(n[treated]),
        "n_reference": int(n[reference]),
        "ratio": float(point / n[treated]),
        "ratio_of_medians": float(np.median(t_all) / np.median(r_all)),
        "low": float(lo),
        "high": float(hi),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    table = endpoints()
    out = [contrast(table, *c) for c in CONTRASTS]
    if args.json:
        print(json.dumps(out, indent=1))
        return
    for c in out:
        print(
            f"{c['quantity']:20s} {c['treated']:12s}/{c['reference']:10s} "
            f"n {c['n_treated']}/{c['n_reference']}  ratio {c['ratio']:.3f} "
            f"(95 % {c['low']:.3f}-{c['high']:.3f}; medians {c['ratio_of_medians']:.3f}) "
            f"studies {', '.join(c['studies'])}"  # type: ignore[arg-type]
        )


if __name__ == "__main__":
    main()
