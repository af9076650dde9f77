"""Tumour CD8 T cells in the lesion's measured size: a prototype (session 27 lesion), no change.

qsp.yaml's ``V_T`` = (C + Ci + Se + Sl + Sd + D) / rho_cell and the ``diameter`` RECIST reads
count no immune cell, so a lesion whose cancer cells are replaced by T cells reads as vanished
(``scripts/cd8_pool_scale.py``: liu2019 patients on anti-PD-1 hold at day 84 a CD8 volume of
2.55x the lesion's, median). The prototype adds, in memory only:

* ``v_T8`` = pi/6 x (6.94 um)^3 = 1.750e-10 mL per T cell (derived, quantitative-sources
  ``qsp_t_cell_diameter``);
* the observable ``V_lesion`` = ``V_T`` + ``v_T8`` x (T8 + T8x + T8r + T8t), the physical lesion
  volume with its tumour CD8 at their measured cell volume;
* ``diameter`` = the sphere of ``V_lesion`` (was the sphere of ``V_T``): the scan's size.

``V_T`` itself is unchanged, so every process that reads it (trafficking ``q_in x V_T``, DC
migration, MDSC / PMN / NK recruitment and capacity, the densities of ``mdsc_supp`` and
``removal``) keeps the cancer tissue's volume: the prototype changes the read-out, not the
dynamics. ``shares`` prints what counting CD8 in ``V_T`` everywhere would do to trafficking at
first order (``V_lesion / V_T``). ``install()`` reaches every loader (as
``scripts/cd8_contraction_prototype.py`` does); ``--volume 0`` gives runs equal to the shipped
model's. Sub-commands (each prints its run time):

    python scripts/lesion_immune_volume_prototype.py shares [--liu-n 12] [--day 84]
    python scripts/lesion_immune_volume_prototype.py liu [--seeds 0 1 2] [--n 1000]
    python scripts/lesion_immune_volume_prototype.py trial [--trial keynote189] [--n 200]
    python scripts/lesion_immune_volume_prototype.py refit [--evaluations 40] [--n 1000]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from senotwin.model import qsp
from senotwin.model.spec import ModelSpec
from senotwin.sim.scenario import prepare_scenario
from senotwin.therapy.dosing import body_for_scenario
from senotwin.therapy.language import apply_regimen, parse_regimen
from senotwin.trial.ici_cohort import VirtualCohort, _prepare
from senotwin.trial.ici_fit import (
    FIT_REGIMEN,
    IciObjective,
    nelder_mead,
    shipped_start,
    start_vector,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cd8_contraction_prototype as contraction  # sibling scripts: loader patch, liu2019 nllh
import cd8_pool_scale

PARAMETER = "v_T8"
OBSERVABLE = "V_lesion"
HELD_OUT = 21.57  # main's held-out mean nllh at its optimum (n 1000, seeds 1 and 2; session 27)
TUMOUR_CD8 = cd8_pool_scale.TUMOUR  # T8, T8x, T8r, T8t
T_CELL_DIAMETER_CM = 6.94e-4  # qsp_t_cell_diameter (6.94 um)
DIAMETER = "mm_per_cm * (1.909859 * V_lesion) ** (1 / 3)"


def cell_volume() -> float:
    """One T cell, a sphere of the measured diameter (mL)."""
    return math.pi / 6.0 * T_CELL_DIAMETER_CM**3


def lesioned(spec: ModelSpec, volume: float | None = None) -> ModelSpec:
    """``spec`` plus ``v_T8`` and ``V_lesion``, its ``diameter`` the sphere of ``V_lesion``."""
    v = cell_volume() if volume is None else volume
    data = spec.model_dump()
    data["parameters"] = [
        *data["parameters"],
        {
            "id": PARAMETER,
            "name": "T cell volume",
            "value": v,
            "unit": "mL/cells",
            "range": [0.0, 1.0e-9],
            "provenance": {
                "kind": "derived",
                "sources": ["qsp_t_cell_diameter"],
                "formula": "sphere pi/6 x (6.94 um)^3 = 175 um^3 = 1.750e-10 mL",
            },
        },
    ]
    cd8 = " + ".join(TUMOUR_CD8)
    observables = []
    for o in data["observables"]:
        if o["id"] == "diameter":
            o = {**o, "expression": DIAMETER, "description": "sphere of volume V_lesion"}
        observables.append(o)
        if o["id"] == "V_T":
            observables.append(
                {
                    "id": OBSERVABLE,
                    "name": "lesion volume with its tumour CD8 T cells",
                    "unit": "mL",
                    "expression": f"V_T + {PARAMETER} * ({cd8})",
                }
            )
    data["observables"] = observables
    return ModelSpec.model_validate(data)


def install(volume: float | None = None) -> None:
    """Make this process's model loaders return the prototype (None: the measured cell volume)."""
    contraction.patch_loaders(lambda spec: lesioned(spec, volume))


def uninstall() -> None:
    """Back to the shipped model (tests)."""
    contraction.patch_loaders(None)


def shares(n: int, seed: int, day: float) -> dict[str, np.ndarray]:
    """liu2019 virtual patients on the fit's pembrolizumab (as ``cd8_pool_scale``), at ``day``:
    tumour CD8 volume / ``V_lesion``, CD8 per mL of ``V_lesion`` and ``V_lesion / V_T``."""
    scenario, patients = cd8_pool_scale.liu_patients(n, seed)
    setup = prepare_scenario(scenario)
    plan = apply_regimen(setup.spec, parse_regimen(FIT_REGIMEN, body=body_for_scenario(scenario)))
    run = _prepare(plan.spec, plan.schedule, dict(setup.params), dict(setup.initial), day, 1.0)
    col = {c: i for i, c in enumerate(run.columns)}
    v = float(plan.spec.parameter(PARAMETER).value)
    out: dict[str, list[float]] = {"share": [], "per_mL": [], "traffic_x": []}
    for params, initial in patients:
        pv, y0 = VirtualCohort._vectors(run, params, initial)
        res = run.plan.run(pv, y0)  # type: ignore[attr-defined]
        if res.status != "success":
            continue
        row = res.values[int(np.argmin(np.abs(res.times - day)))]
        cd8 = sum(row[col[s]] for s in TUMOUR_CD8)
        lesion = row[col[OBSERVABLE]]
        out["share"].append(cd8 * v / lesion)
        out["per_mL"].append(cd8 / lesion)
        out["traffic_x"].append(lesion / row[col["V_T"]])
    return {k: np.asarray(x) for k, x in out.items()}


def trial(name: str, n: int, seed: int) -> list[str]:
    """A library trial on the installed model (in-process), its comparison lines (evaluation
    only); the shipped posterior's draws, as on main, since the dynamics are unchanged."""
    from senotwin.trial.library import get_trial
    from senotwin.trial.run import compare_trial, comparison_text, load_trial_rows, run_trial

    t = get_trial(name)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "c"
        run_trial(t, n, out, seed=seed, workers=1, processes=False, immune="posterior")
        rows = load_trial_rows(out)
    return comparison_text(t, compare_trial(t, rows))


def refit(n: int, evaluations: int, steps: Sequence[float], held_out: Sequence[int]) -> None:
    """In-process Nelder-Mead from the shipped optimum, one simplex per ``steps`` in turn (seed
    0), then the best point on the held-out seeds against main's :data:`HELD_OUT`."""
    x0 = start_vector(shipped_start()[0])
    obj = IciObjective(n=n, seed=0)
    print(f"shipped optimum on the prototype: seed 0 {obj(x0):.4f}")
    found = []
    for step in steps:
        x = nelder_mead(obj, x0, max_evaluations=evaluations, step=step)
        found.append((obj(x), x))
        print(f"simplex {step} x bounds, {evaluations} evaluations: {found[-1][0]:.4f}")
    f_best, x_best = min(found, key=lambda r: r[0])
    print(
        f"best seed 0 {f_best:.4f}: "
        + ", ".join(f"{k} {v:.6g}" for k, v in obj.values(x_best).items())
    )
    scores = [IciObjective(n=n, seed=s)(x_best) for s in held_out]
    mean = float(np.mean(scores))
    print(
        "held-out " + ", ".join(f"seed {s} {v:.4f}" for s, v in zip(held_out, scores, strict=True))
    )
    verdict = "beats main" if mean < HELD_OUT else "does not beat main"
    print(f"rule: held-out mean {mean:.2f} vs main {HELD_OUT}: {verdict}")


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=("shares", "liu", "trial", "refit"))
    ap.add_argument("--volume", type=float, default=None, help="v_T8 mL (default 6.94 um sphere)")
    ap.add_argument("--liu-n", type=int, default=12, help="shares: liu2019 virtual patients")
    ap.add_argument("--day", type=float, default=84.0, help="shares: day on anti-PD-1")
    ap.add_argument("--seed", type=int, default=0, help="shares/trial: seed")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="liu: cohort seeds")
    ap.add_argument("--n", type=int, default=1000, help="liu/trial: virtual patients")
    ap.add_argument("--trial", default="keynote189", help="trial: library trial")
    ap.add_argument("--evaluations", type=int, default=40, help="refit: evaluations per simplex")
    ap.add_argument("--steps", type=float, nargs="+", default=[0.15, 0.08], help="refit: simplexes")
    ap.add_argument("--held-out", type=int, nargs="+", default=[1, 2], help="refit: seeds")
    a = ap.parse_args(argv)
    if a.volume is not None and not 0.0 <= a.volume <= 1.0e-9:
        raise SystemExit(f"--volume {a.volume:g}: allowed 0 to 1e-9 mL (v_T8's plausible range)")
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    install(a.volume)
    print(f"prototype: {PARAMETER} = {qsp.load_qsp().parameter(PARAMETER).value:.4g} mL")
    t0 = time.perf_counter()
    if a.command == "shares":
        s = shares(a.liu_n, a.seed, a.day)
        for key, label in (
            ("share", "tumour CD8 volume / V_lesion"),
            ("per_mL", "tumour CD8 per mL of V_lesion"),
            ("traffic_x", "V_lesion / V_T (trafficking x if V_T counted them)"),
        ):
            x = s[key]
            print(
                f"liu2019 n {len(x)} seed {a.seed}, anti-PD-1 day {a.day:g}: {label}: median "
                f"{np.median(x):.4g}, min {x.min():.4g}, max {x.max():.4g}"
            )
    elif a.command == "liu":
        for seed, f in contraction.liu(a.seeds, a.n).items():
            print(f"liu2019 nllh at the shipped optimum, n {a.n} seed {seed}: {f:.4f}")
    elif a.command == "refit":
        refit(a.n, a.evaluations, a.steps, a.held_out)
    else:
        for line in trial(a.trial, a.n, a.seed):
            print(line)
    print(f"took {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
