"""Effector CD8 contraction outside the tumour: the session-26 prototype, adopted in session 27.

Since session 27 qsp.yaml carries ``k_contract`` and ``t8b_contraction`` (below), so this script
now only sets ``k_contract`` in memory (``--rate 0``: the model without the contraction, a
what-if). What follows is the prototype's rationale. The primed antigen-specific CD8
pool ``T8b`` leaves today only by death at ``d_T8`` (0.01/day, QSP-IO) or by entry into the
lesion (``trafficking``, proportional to ``V_T``), so it piles up in a small or shrinking lesion
(``scripts/cd8_pool_scale.py``). Real effector responses contract: after the peak of the acute
LCMV response the specific CD8 population declines at 0.5/day (mean life 2 days; De Boer 2001,
quantitative-sources ``cd8_effector_contraction_lcmv_deboer2001``) and ~5 % of the peak remains
as memory. The prototype adds, in memory only, one process to the human and mouse models:

* ``t8b_contraction`` = ``k_contract`` x ``T8b`` (``T8b`` -1), ``k_contract`` = 0.5 - ``d_T8``
  = 0.49/day (derived), so a ``T8b`` cell leaves the effector pool outside the tumour at the
  measured 0.5/day in total. The 0.5/day is a mouse rate read after antigen clearance; ``T8b``
  sits in blood, away from tumour antigen, which is the assumption of the transfer.
* No memory pool: the cells that become memory (1-2 %/day of the 0.5/day) leave the effector
  pool as the dying ones do; a memory pool would act only through a recall route (re-expansion
  on antigen in the TDLN), which the model lacks and no number was read for.

``install()`` makes every loader of the process (``load_qsp``, ``load_mouse_qsp``: human,
mouse EMT6/MC38 and trial contexts) return the model at the given rate (default the measured
one, i.e. the shipped model; rate 0 the model without the contraction, at the session-27 fit's
values). Sub-commands measure it (each prints its run time):

    python scripts/cd8_contraction_prototype.py pools [--liu-n 12]   # cd8_pool_scale's tables
    python scripts/cd8_contraction_prototype.py liu [--seeds 0 1 2]  # liu2019 nllh, shipped opt.
    python scripts/cd8_contraction_prototype.py refit [--evaluations 60] [--workers 2]
        [--start "k_byst.value=1,k_exh.value=0.19" | --start FIT.json] [--steps 0.05 0.02]
    python scripts/cd8_contraction_prototype.py emt6                 # emt6_cd8_decomposition
    ... --rate 0   # the same with the contraction switched off (a what-if since session 27)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from senotwin.model import qsp
from senotwin.model.spec import ModelSpec
from senotwin.sim.tissue_growth import growth_at
from senotwin.trial.ici_fit import IciObjective, nelder_mead, shipped_start, start_vector

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cd8_pool_scale  # sibling scripts: their tables, on the installed model
import emt6_cd8_decomposition
import liu2019_refit

#: measured per-cell decline of the specific CD8 population after the peak (1/day; mouse, LCMV)
CONTRACTION = 0.5
PARAMETER = "k_contract"
PROCESS = "t8b_contraction"
#: shipped optimum, mean nllh of seeds 1 and 2 (n 1000): session 27's refit on the adopted
#: contraction (session 25's 26.78 was the reference of the session-26 prototype runs)
SHIPPED_HELD_OUT = 21.57
STEPS = (0.15, 0.08)  # refit's default simplexes, x each bound's width
_LOAD_SPEC = qsp.load_spec  # the package's own loader, kept for the patch


def default_rate(spec: ModelSpec) -> float:
    """``k_contract`` that makes the total loss of a ``T8b`` cell outside the tumour 0.5/day."""
    return CONTRACTION - float(spec.parameter("d_T8").value)


def contracted(spec: ModelSpec, rate: float | None = None) -> ModelSpec:
    """``spec`` plus ``k_contract`` and the process ``t8b_contraction`` (nothing else changes);
    since session 27 qsp.yaml carries both, so only ``k_contract`` is set (0: switched off)."""
    k = default_rate(spec) if rate is None else rate
    data = spec.model_dump()
    if any(p["id"] == PARAMETER for p in data["parameters"]):
        for p in data["parameters"]:
            if p["id"] == PARAMETER:
                p["value"] = k
        return ModelSpec.model_validate(data)
    data["parameters"] = [
        *data["parameters"],
        {
            "id": PARAMETER,
            "name": "contraction of primed effector CD8 outside the tumour (beyond d_T8)",
            "value": k,
            "unit": "1/day",
            "range": [0.0, 1.0],
            "provenance": {
                "kind": "derived",
                "sources": ["cd8_effector_contraction_lcmv_deboer2001"],
                "formula": "0.5/day (measured death-phase decline, mouse LCMV) - d_T8 0.01/day",
            },
        },
    ]
    data["processes"] = [
        *data["processes"],
        {
            "id": PROCESS,
            "rate_law": "first_order",
            "args": {"k": PARAMETER, "X": "T8b"},
            "stoichiometry": {"T8b": -1},
            "description": "prototype (session 26 contract): effector CD8 contraction in blood",
        },
    ]
    return ModelSpec.model_validate(data)


def patch_loaders(transform: Callable[[ModelSpec], ModelSpec] | None) -> None:
    """Make every model loader of this process return ``transform(shipped)`` (None: shipped)."""
    if transform is None:
        qsp.load_spec = _LOAD_SPEC
    else:
        qsp.load_spec = lambda path: transform(_LOAD_SPEC(path))  # type: ignore[assignment]
    qsp.load_qsp.cache_clear()
    qsp.load_mouse_qsp.cache_clear()
    growth_at.cache_clear()
    emt6_cd8_decomposition.switched_spec.cache_clear()


def install(rate: float | None = None) -> None:
    """Make this process's model loaders return the prototype (rate None: the measured one)."""
    patch_loaders(lambda spec: contracted(spec, rate))


def uninstall() -> None:
    """Back to the shipped model (tests)."""
    patch_loaders(None)


def liu(seeds: Sequence[int], n: int) -> dict[int, float]:
    """liu2019 nllh at the shipped optimum on cohorts of ``n`` patients, by seed."""
    x = start_vector(shipped_start()[0])
    return {seed: IciObjective(n=n, seed=seed)(x) for seed in seeds}


def start_point(start: str | None) -> dict[str, float]:
    """A refit start in natural units: None the shipped optimum; ``ID=VALUE,...`` pairs or a JSON
    file (``{id: value}`` or a fit.json record) over it, as ``liu2019_refit --start`` reads."""
    if start is None or not start.endswith(".json"):
        return liu2019_refit.parse_start(start or "")
    data = json.loads(Path(start).read_text("utf-8"))
    if "parameters" in data:
        data = {p["parameter"]: p["best"] for p in data["parameters"]}
    return liu2019_refit.parse_start(",".join(f"{k}={float(v)!r}" for k, v in data.items()))


def _search(job: tuple[float | None, int, int, np.ndarray, int, float]) -> tuple[float, np.ndarray]:
    """One Nelder-Mead in a worker process (the prototype installed there first)."""
    rate, n, seed, x0, evaluations, step = job
    install(rate)
    obj = IciObjective(n=n, seed=seed)
    xb = nelder_mead(obj, x0, max_evaluations=evaluations, step=step)
    return obj(xb), xb


def refit(
    rate: float | None,
    n: int,
    evaluations: int,
    workers: int,
    held_out: Sequence[int],
    start: str | None = None,
    steps: Sequence[float] = STEPS,
    save: Path | None = None,
) -> None:
    """Nelder-Mead from ``start`` (default the shipped optimum) with one simplex per ``steps``
    (x bounds, in parallel) on the prototype, then the best point and the start on the held-out
    seeds; ``save`` writes the best values (natural units) as JSON, a later ``--start``."""
    x0 = start_vector(start_point(start))
    label = "shipped optimum" if start is None else "start"
    obj = IciObjective(n=n, seed=0)
    print(f"{label} on the prototype: seed 0 {obj(x0):.4f} ({liu2019_refit.fmt(obj.values(x0))})")
    jobs = [(rate, n, 0, x0, evaluations, step) for step in steps]
    with ProcessPoolExecutor(max_workers=workers, initializer=install, initargs=(rate,)) as pool:
        found = list(pool.map(_search, jobs))
    for (*_, step), (f, _x) in zip(jobs, found, strict=True):
        print(f"{label}, simplex {step} x bounds, {evaluations} evaluations: {f:.4f}")
    f_best, x_best = min(found, key=lambda r: r[0])
    best = obj.values(x_best)
    print(f"best seed 0 {f_best:.4f}: " + ", ".join(f"{k} {v:.6g}" for k, v in best.items()))
    lo, hi = obj.bounds()
    at = [
        p.id
        for p, x, a, b in zip(obj.parameters, x_best, lo, hi, strict=True)
        if np.isclose(x, a) or np.isclose(x, b)
    ]
    print(f"at a bound: {', '.join(at) or 'none'}")
    if save is not None:
        save.write_text(json.dumps(best, indent=1) + "\n", "utf-8")
    means = {}
    for name, x in ((label, x0), ("best", x_best)):
        scores = [IciObjective(n=n, seed=s)(x) for s in held_out]
        means[name] = float(np.mean(scores))
        print(
            f"held-out {name}: "
            + ", ".join(f"seed {s} {v:.4f}" for s, v in zip(held_out, scores, strict=True))
            + f"; mean {means[name]:.4f}"
        )
    verdict = "fits as well" if means["best"] <= SHIPPED_HELD_OUT + 3.84 else "fits worse"
    print(f"rule: held-out mean {means['best']:.2f} vs {SHIPPED_HELD_OUT} + 3.84: {verdict}")


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=("pools", "liu", "refit", "emt6"))
    ap.add_argument("--rate", type=float, default=None, help="k_contract (default 0.5 - d_T8)")
    ap.add_argument("--liu-n", type=int, default=12, help="pools: liu2019 virtual patients")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="liu: cohort seeds")
    ap.add_argument("--n", type=int, default=1000, help="liu/refit: virtual patients")
    ap.add_argument("--evaluations", type=int, default=60, help="refit: evaluations per start")
    ap.add_argument("--workers", type=int, default=2, help="refit: parallel starts")
    ap.add_argument("--held-out", type=int, nargs="+", default=[1, 2], help="refit: seeds")
    ap.add_argument("--start", help="refit: ID=VALUE,... or a JSON file (default shipped opt.)")
    ap.add_argument("--steps", type=float, nargs="+", default=list(STEPS), help="refit: simplexes")
    ap.add_argument("--save", type=Path, help="refit: write the best values here (JSON)")
    a = ap.parse_args(argv)
    start_point(a.start)  # a malformed --start fails before any run
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    install(a.rate)
    spec = qsp.load_qsp()
    k, d = spec.parameter(PARAMETER).value, spec.parameter("d_T8").value
    print(f"prototype: {PROCESS} at {PARAMETER} = {k:g}/day (+ d_T8 {d:g})")
    t0 = time.perf_counter()
    if a.command == "pools":
        cd8_pool_scale.main(["--liu-n", str(a.liu_n)])
    elif a.command == "liu":
        for seed, f in liu(a.seeds, a.n).items():
            print(f"liu2019 nllh at the shipped optimum, n {a.n} seed {seed}: {f:.4f}")
    elif a.command == "refit":
        refit(a.rate, a.n, a.evaluations, a.workers, a.held_out, a.start, a.steps, a.save)
    else:
        emt6_cd8_decomposition.main([])
    print(f"took {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
