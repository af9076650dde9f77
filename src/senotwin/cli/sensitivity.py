"""``senotwin sensitivity``: rank the parameters that decide the outcome (Sobol or PRCC)."""

from __future__ import annotations

import typer

from senotwin.cli._common import print_json, user_errors
from senotwin.sim import check_days
from senotwin.sim.engines import engine_help


def sensitivity(
    scenario: str = typer.Option(
        "default",
        "--scenario",
        help="Scenario to perturb (the physical-units model; legacy_* scenarios run the legacy "
        "model).",
    ),
    method: str = typer.Option("prcc", "--method", help="sobol or prcc."),
    metrics: list[str] = typer.Option(
        ["final_burden", "sasp_net_effect"],
        "--metric",
        help="final_burden, best_change, senescent_burden, sasp_net_effect (repeatable).",
    ),
    parameters: list[str] = typer.Option(
        [],
        "--param",
        help="Parameter to vary (repeatable; default: the 16 highest-ranked of the model's "
        "shipped GSA ranking that can vary, or the legacy model's curated 16).",
    ),
    n: int = typer.Option(
        64,
        "--n",
        help="PRCC samples (at least the number of parameters + 3: 19 for the default 16), or "
        "Sobol base size (power of two).",
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the sampling design."),
    days: float | None = typer.Option(
        None,
        "--days",
        help="Horizon at which the metrics are read (default: the scenario's, 365 days for the "
        "TME scenarios); rankings differ between horizons.",
    ),
    spread: float = typer.Option(
        2.0, "--spread", help="Vary each parameter x/÷ this factor (within its plausible range)."
    ),
    engine: str = typer.Option("fast", "--engine", help=engine_help()),
    workers: int = typer.Option(1, "--workers", help="Dask workers (1 = in process)."),
    top: int = typer.Option(10, "--top", help="Parameters shown per metric."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Global sensitivity; 'sasp_net_effect' > 0 means the SASP net-hurts tumour control."""
    from senotwin.analysis.sensitivity import HORIZON_NOTE, run_sensitivity

    with user_errors():
        if method not in ("sobol", "prcc"):
            raise ValueError(f"--method must be sobol or prcc, got {method!r}")
        if workers < 1:
            raise ValueError(f"--workers must be a positive integer, got {workers}")
        if top < 1:
            raise ValueError(f"--top must be a positive integer, got {top}")
        if days is not None:
            check_days(days, name="--days")
        res = run_sensitivity(
            scenario,
            method="sobol" if method == "sobol" else "prcc",
            metrics=tuple(metrics),
            parameters=tuple(parameters) or None,
            n=n,
            seed=seed,
            t_end=days,
            engine=engine,
            spread=spread,
            workers=workers,
        )
    table = res.table[res.table["rank"] <= top]
    if as_json:
        print_json(
            {
                "scenario": scenario,
                "method": res.method,
                "days": res.days,
                "samples": res.samples,
                "seed": seed,
                "spread": res.spread,
                "sasp_hurts_fraction": None
                if res.sasp_hurts_fraction != res.sasp_hurts_fraction
                else res.sasp_hurts_fraction,
                "bounds": {k: list(v) for k, v in res.bounds.items()},
                "note": HORIZON_NOTE,
                "ranking": [
                    {k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
                    for r in table.to_dict(orient="records")
                ],
            }
        )
        return
    label = "PRCC" if res.method == "prcc" else "total Sobol index"
    typer.echo(res.design())
    for metric, sub in table.groupby("metric", sort=False):
        typer.echo(f"{metric} ({label}, {res.samples} samples):")
        if sub["index"].isna().all():  # spurious PRCCs from float noise were printed (s41)
            typer.echo("  the metric does not vary across the samples: no index")
            continue
        for r in sub.to_dict(orient="records"):
            typer.echo(f"  {int(r['rank']):2d}. {r['parameter']:<14} {r['index']:+.3f}{_spread(r)}")
        if res.method == "prcc" and not (sub["p"] < 0.05).any():
            typer.echo("  (no index differs from 0 at p < 0.05: a ranking of noise at this --n)")
    if res.sasp_hurts_fraction == res.sasp_hurts_fraction:
        typer.echo(
            f"SASP net-hurts tumour control in {100 * res.sasp_hurts_fraction:.0f}% of samples "
            "(tumour burden higher with the senescent secretome than without)"
        )
    typer.echo(f"note: {HORIZON_NOTE}")


def _spread(r: dict) -> str:
    """The uncertainty the JSON holds: PRCC's p value, or the Sobol index's interval."""
    if r["p"] == r["p"]:
        return f"  (p {r['p']:.2g})"
    if r["ci_low"] == r["ci_low"]:
        return f"  ({r['ci_low']:.2f} to {r['ci_high']:.2f})"
    return ""
