"""How rough is the liu2019 objective? (session 25 `rough`; results in docs/calibration.md)

The liu2019 nllh (:mod:`senotwin.trial.ici_fit`) scores counts of virtual patients, so it is
piecewise constant in the parameters. This script evaluates it along lines through the shipped
optimum: each fitted coordinate and the two leading principal axes of a previous sampler's draws
(``--draws``; their per-coordinate sd sets the line length, +-``--span`` sd), at the shipped
number of virtual patients, for one or more common-random-number seeds. Per line and seed it
reports the nllh range, the number of distinct values (plateaus), a quadratic fit's R^2 and
residual sd, the point-to-point noise sd from second differences (sqrt(mean(d2^2) / 6), the sd
of white noise on a smooth curve), the share of the variance that noise is, and which deviance
terms carry the second differences. ``--read-cv`` re-measures with the smoothed statistic
(RECIST reads with measurement error, :class:`senotwin.trial.ici_fit.IciObjective`).

    python scripts/liu2019_roughness.py --draws build/ensembles/s24/liu2019_posterior.tsv \
        --out build/roughness/hard
    python scripts/liu2019_roughness.py --read-cv 0.05 --out build/roughness/smooth \
        --compare build/roughness/hard
    python scripts/liu2019_roughness.py --read-cv 0.05 --pilot 300 --out build/roughness/pilot

``--pilot STEPS`` instead runs plain Metropolis chains on the exact and the smoothed objective
with the same seeds and one fixed proposal (:func:`pilot`). ``--report-only`` redoes the table
and figure from ``OUT/evaluations.tsv``.

Evaluations go to ``OUT/evaluations.tsv`` as they are made (a rerun resumes); ``OUT/table.tsv``
and ``OUT/lines.png`` are written at the end.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from senotwin._io import atomic_write_bytes, atomic_write_text, read_table
from senotwin.trial.ici_fit import (
    ICI_PARAMETERS,
    IciObjective,
    cohort_statistics,
    ensemble_column,
    goodness,
    shared,
    split,
    start_vector,
    stored_fit,
)

#: deviance terms grouped as the table reports them (prefix -> group)
GROUPS = (("tertile", "tertile"), ("recist", "recist"), ("pfs", "pfs"), ("os", "os"))
GROUP_NAMES = ("tertile", "recist", "pfs", "os", "pd_os")


def group_of(term: str) -> str:
    """Table group of a deviance term (``pd_os_*`` before ``os_*``)."""
    if term.startswith("pd_os"):
        return "pd_os"
    return next(g for prefix, g in GROUPS if term.startswith(prefix))


def line_directions(draws: pd.DataFrame, x0: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """(name, step per unit t on the fit's scales): each coordinate by its draws' sd, then the two
    leading principal axes of the draws' correlation matrix by sqrt(eigenvalue) x sd."""
    x = draws_on_scales(draws)
    sd = x.std(axis=0, ddof=1)
    out = [(p.id, np.eye(x0.size)[k] * sd[k]) for k, p in enumerate(ICI_PARAMETERS)]
    evals, evecs = np.linalg.eigh(np.corrcoef(x, rowvar=False))
    order = np.argsort(evals)[::-1]
    for j in range(2):
        v = evecs[:, order[j]]
        out.append((f"PC{j + 1}", v * np.sqrt(evals[order[j]]) * sd))
    return out


def evaluate(args: argparse.Namespace) -> pd.DataFrame:
    """Every (seed, line, t) point's deviance terms, resuming ``evaluations.tsv``."""
    record = stored_fit()
    x0 = start_vector({p["parameter"]: p["best"] for p in record["parameters"]})
    n = int(record["virtual_patients"])
    dirs = line_directions(read_table(args.draws, what="sampler draws"), x0)
    path = args.out / "evaluations.tsv"
    done = read_table(path, what="evaluations") if path.is_file() else pd.DataFrame()
    rows = done.to_dict("records")
    seen = {(int(r["seed"]), r["line"], round(float(r["t"]), 6)) for r in rows}
    grid = np.linspace(-args.span, args.span, args.points)
    options = {"read_cv": args.read_cv, "reads": args.reads} if args.read_cv else {}
    t_start = time.time()
    for seed in args.seeds:
        obj = IciObjective(n=n, seed=seed, **options)  # type: ignore[arg-type]
        lo, hi = obj.bounds()
        for name, step in dirs:
            for t in grid:
                x = x0 + t * step
                if (seed, name, round(float(t), 6)) in seen or np.any(x < lo) or np.any(x > hi):
                    continue
                values = obj.values(x)
                centres, spreads = split(values)
                sim = obj.cohort.simulate(centres, spreads, shared(values))
                g = goodness(cohort_statistics(sim), obj.target)
                row = {"seed": seed, "line": name, "t": float(t), "nllh": g["nllh"]}
                if args.read_cv:  # the exact read of the same patients, for comparison
                    row["exact_nllh"] = goodness(cohort_statistics(sim, reads=False), obj.target)[
                        "nllh"
                    ]
                rows.append(row | g["terms"])
                pd.DataFrame(rows).to_csv(path, sep="\t", index=False)
                print(
                    f"{time.time() - t_start:7.0f}s seed {seed} {name} t {t:+.2f}: "
                    f"nllh {g['nllh']:.3f}",
                    flush=True,
                )
    return pd.DataFrame(rows)


def line_metrics(t: np.ndarray, y: np.ndarray, terms: pd.DataFrame) -> dict[str, float]:
    """Roughness of one line (points in order of t): see the module docstring."""
    q = np.polyval(np.polyfit(t, y, 2), t)
    var = float(np.var(y))
    d2 = np.diff(y, 2)
    noise = float(np.sqrt(np.mean(d2**2) / 6.0)) if d2.size else float("nan")
    out = {
        "points": float(y.size),
        "range": float(y.max() - y.min()),
        "distinct": float(np.unique(np.round(y, 6)).size),
        "quad_r2": 1.0 - float(np.var(y - q)) / var if var > 0 else float("nan"),
        "resid_sd": float(np.std(y - q)),
        "noise_sd": noise,
        "jump_share": min(1.0, noise**2 / var) if var > 0 else float("nan"),
    }
    per = {g: 0.0 for g in GROUP_NAMES}
    for col in terms.columns:
        per[group_of(col)] += 0.5 * float(np.abs(np.diff(terms[col].to_numpy(float), 2)).sum())
    total = sum(per.values())
    out |= {f"d2_{g}": per[g] / total if total > 0 else 0.0 for g in GROUP_NAMES}
    return out


def table(ev: pd.DataFrame) -> pd.DataFrame:
    """One row of :func:`line_metrics` per (line, seed)."""
    term_cols = [c for c in ev.columns if c not in ("seed", "line", "t", "nllh", "exact_nllh")]
    rows = []
    for (line, seed), g in ev.groupby(["line", "seed"], sort=False):
        g = g.sort_values("t")
        terms = g[term_cols].fillna(0.0)
        rows.append(
            {"line": line, "seed": int(seed)}
            | line_metrics(g["t"].to_numpy(float), g["nllh"].to_numpy(float), terms)
        )
    return pd.DataFrame(rows)


def figure(evs: dict[str, pd.DataFrame]) -> bytes:
    """The nllh along every line (one panel per line; one curve per objective and seed)."""
    from io import BytesIO

    from matplotlib.figure import Figure

    lines = list(dict.fromkeys(next(iter(evs.values()))["line"]))
    cols = 3
    fig = Figure(figsize=(13, 3.2 * ((len(lines) + cols - 1) // cols)))
    axes = fig.subplots((len(lines) + cols - 1) // cols, cols, squeeze=False).ravel()
    for ax, line in zip(axes, lines, strict=False):
        for label, ev in evs.items():
            for seed, g in ev[ev["line"] == line].groupby("seed"):
                g = g.sort_values("t")
                ax.plot(g["t"], g["nllh"], marker=".", ms=3, lw=0.8, label=f"{label} seed {seed}")
        ax.set_title(line, fontsize=9)
        ax.set_xlabel("sd from the shipped optimum (s24 draws)", fontsize=7)
        ax.set_ylabel("nllh", fontsize=7)
        ax.legend(fontsize=6)
    for ax in axes[len(lines) :]:
        ax.set_visible(False)
    fig.tight_layout()
    buf = BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    return buf.getvalue()


def draws_on_scales(draws: pd.DataFrame) -> np.ndarray:
    """A sampler's draws (ensemble columns) on the fit's scales (log10 or linear)."""
    cols = [ensemble_column(p.id) for p in ICI_PARAMETERS]
    missing = [c for c in cols if c not in draws.columns]
    if missing:
        raise SystemExit(f"--draws lacks columns {missing}; it needs {cols}")
    return np.column_stack(
        [
            np.log10(draws[c].to_numpy(float)) if p.scale == "log10" else draws[c].to_numpy(float)
            for c, p in zip(cols, ICI_PARAMETERS, strict=True)
        ]
    )


def lag1(trace: np.ndarray) -> np.ndarray:
    """Lag-1 autocorrelation of each column of a chain's trace (steps x parameters)."""
    d = trace - trace.mean(axis=0)
    var = (d**2).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(var > 0, (d[1:] * d[:-1]).sum(axis=0) / var, 1.0)


def pilot(args: argparse.Namespace) -> dict:
    """``--chains`` plain Metropolis chains of ``--pilot`` steps from the shipped optimum with one
    fixed proposal (2.38^2/d x the covariance of ``--draws``), the same chain seeds for the exact
    and the smoothed objective: acceptance, ESS, lag-1 autocorrelation and split-R-hat."""
    from senotwin.calibrate.sample import adaptive_metropolis, multichain_ess, multichain_split_rhat

    record = stored_fit()
    x0 = start_vector({p["parameter"]: p["best"] for p in record["parameters"]})
    x = draws_on_scales(read_table(args.draws, what="sampler draws"))
    cov = 2.38**2 / x0.size * np.cov(x, rowvar=False)
    out: dict = {"steps": args.pilot, "chains": args.chains, "proposal": "2.38^2/d x draws cov"}
    for label, cv in (("exact", 0.0), (f"read_cv {args.read_cv:g}", args.read_cv)):
        obj = IciObjective(n=int(record["virtual_patients"]), seed=0, read_cv=cv, reads=args.reads)
        lo, hi = obj.bounds()
        f0 = obj(x0)
        chains = []
        for c in range(args.chains):
            t0 = time.time()
            chain = adaptive_metropolis(
                obj,
                x0,
                f0,
                lo,
                hi,
                samples=args.pilot,
                burn_in=0,
                thin=1,
                seed=1 + c,
                initial_cov=cov,
                target_acceptance=0.234,
            )
            chains.append(chain)
            print(
                f"{label} chain {c + 1}: acceptance {chain.acceptance:.3f}, "
                f"{chain.evaluations} evaluations, {time.time() - t0:.0f}s",
                flush=True,
            )
        traces = np.stack([ch.trace for ch in chains])
        out[label] = {
            "start_nllh": f0,
            "acceptance": [ch.acceptance for ch in chains],
            "ess": dict(
                zip([p.id for p in ICI_PARAMETERS], multichain_ess(traces).tolist(), strict=True)
            ),
            "split_rhat": dict(
                zip(
                    [p.id for p in ICI_PARAMETERS],
                    multichain_split_rhat(traces).tolist(),
                    strict=True,
                )
            ),
            "lag1": dict(
                zip(
                    [p.id for p in ICI_PARAMETERS],
                    np.mean([lag1(ch.trace) for ch in chains], axis=0).tolist(),
                    strict=True,
                )
            ),
            "kept_nllh_range": [
                float(min(ch.kept_nllh.min() for ch in chains)),
                float(max(ch.kept_nllh.max() for ch in chains)),
            ],
        }
        np.save(args.out / f"pilot_{'exact' if cv == 0 else 'smooth'}.npy", traces)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--draws", type=Path, default=Path("build/ensembles/s24/liu2019_posterior.tsv"))
    ap.add_argument("--out", type=Path, default=Path("build/roughness/hard"))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--points", type=int, default=31)
    ap.add_argument("--span", type=float, default=2.0, help="line half-length in sd")
    ap.add_argument("--read-cv", type=float, default=0.0, help="smoothed objective: read CV")
    ap.add_argument("--reads", type=int, default=32, help="smoothed objective: reads per patient")
    ap.add_argument("--compare", type=Path, nargs="*", default=[], help="other OUTs to overlay")
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--pilot", type=int, default=0, help="pilot Metropolis steps per chain")
    ap.add_argument("--chains", type=int, default=2, help="pilot chains per objective")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.pilot:
        if not args.read_cv:
            raise SystemExit("--pilot compares the exact with a smoothed objective: give --read-cv")
        import json

        result = pilot(args)
        atomic_write_text(args.out / "pilot.json", json.dumps(result, indent=1) + "\n")
        print(json.dumps(result, indent=1))
        return
    ev = (
        read_table(args.out / "evaluations.tsv", what="evaluations")
        if args.report_only
        else evaluate(args)
    )
    tab = table(ev)
    atomic_write_text(args.out / "table.tsv", tab.to_csv(sep="\t", index=False))
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(tab.round(3).to_string(index=False))
    evs = {args.out.name: ev} | {
        p.name: read_table(p / "evaluations.tsv", what="evaluations") for p in args.compare
    }
    atomic_write_bytes(args.out / "lines.png", figure(evs))


if __name__ == "__main__":
    main()
