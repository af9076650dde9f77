"""Benchmark the cohort runner against a plain single-process libRoadRunner loop, in one run.

Same patients (the model's preset virtual population, plausibility filter off so both do the
same work), same model (the scenario's exported SBML; `--scenario`, default `default`), same
tolerances and horizon, two arms (control, PD-1 block). Prints one line per figure:

* model load time per process (libRoadRunner JIT of the SBML) and per-simulation steady state;
* patient-arms/s of the plain loop, of the runner with 1 and 2 workers (steady state: workers
  are warmed up with the model before timing), and the runner/loop ratio per core;
* the projected wall time of 10,000 patient-arms of 1 year on 2 cores (one model load per
  worker + 10,000 / measured 2-worker rate), extrapolated from the measured N, said as such.

Usage: python benchmarks/bench_cohort.py [--scenario default] [--n 60] [--days 365] [--engine fast]
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import numpy as np
import roadrunner

from senotwin.analysis.endpoints import EndpointReducer
from senotwin.cohort.population import PopulationSpec, draw_patient, population_for
from senotwin.cohort.runner import CohortConfig, arm_from_text, run_cohort
from senotwin.export.sbml import engine_sbml
from senotwin.model.scenarios import get_scenario
from senotwin.sim.simulate import simulate

RTOL, ATOL = 1e-6, 1e-9


def _warm(scenario: str, days: float, engine: str) -> float:
    """Load the model in this (worker) process and return the seconds it took."""
    sc = get_scenario(scenario)
    t0 = time.perf_counter()
    simulate(sc.load(), params=dict(sc.params), initial=dict(sc.initial), t_end=days, engine=engine)
    return time.perf_counter() - t0


def _population(scenario: str) -> PopulationSpec:
    """The model's preset population without the plausibility filter."""
    pop = population_for(get_scenario(scenario).load())
    return PopulationSpec(pop.priors, pop.correlations, None)


def plain_loop(
    scenario: str, patients: list[dict[str, float]], days: float
) -> tuple[float, float, int]:
    """(load seconds, patient-arms/s, failures) of libRoadRunner driven directly."""
    sc = get_scenario(scenario)
    t0 = time.perf_counter()
    rr = roadrunner.RoadRunner(engine_sbml(sc.load()))
    load = time.perf_counter() - t0
    rr.integrator.relative_tolerance = RTOL
    rr.integrator.absolute_tolerance = ATOL
    rr.integrator.maximum_num_steps = 100_000
    grid = np.arange(0.0, days + 1e-9, 1.0)
    failures = 0
    t0 = time.perf_counter()
    for params in patients:
        for block in (0.0, 0.9):
            rr.resetAll()
            for k, v in params.items():
                rr.setValue(k, v)
            rr.setValue("block_PDCD1", block)
            rr.reset()
            # current amounts, not init(...): changing an initial value makes RoadRunner
            # regenerate the model (~100 s for this SBML)
            for k, v in sc.initial.items():
                rr.setValue(k, v)
            try:
                rr.simulate(times=grid)
            except RuntimeError:
                failures += 1
    rate = 2 * len(patients) / (time.perf_counter() - t0)
    return load, rate, failures


def runner_rate(
    scenario: str, n: int, days: float, workers: int, engine: str
) -> tuple[float, float]:
    """(patient-arms/s steady state, warm-up seconds) of run_cohort on a warmed LocalCluster."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.CRITICAL,
    )
    client = Client(cluster)
    try:
        t0 = time.perf_counter()
        client.run(_warm, scenario, days, engine)
        warm = time.perf_counter() - t0
        cfg = CohortConfig(
            scenario,
            n,
            (arm_from_text("control=none"), arm_from_text("ici=block PDCD1=0.9")),
            _population(scenario),
            seed=1,
            t_end=days,
            engine=engine,
            rtol=RTOL,
            atol=ATOL,
        )
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            run_cohort(
                cfg,
                Path(tmp) / "c",
                reducer=EndpointReducer(),
                scheduler=cluster.scheduler_address,
            )
            rate = 2 * n / (time.perf_counter() - t0)
    finally:
        client.close()
        cluster.close()
    return rate, warm


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=60, help="virtual patients (x 2 arms)")
    ap.add_argument("--days", type=float, default=365.0)
    ap.add_argument("--engine", default="fast")
    ap.add_argument("--scenario", default="default")
    args = ap.parse_args()
    sc = get_scenario(args.scenario)
    spec = sc.load()
    pop = _population(args.scenario)
    print(f"scenario {args.scenario}: {len(spec.species)} species, {len(spec.observables)} obs.")
    patients = [
        dict(
            draw_patient(
                spec,
                pop,
                base_params=dict(sc.params),
                base_initial=dict(sc.initial),
                seed=1,
                index=i,
            ).params
        )
        for i in range(args.n)
    ]
    load, plain, fails = plain_loop(args.scenario, patients, args.days)
    print(f"plain libRoadRunner: model load {load:.1f} s per process")
    print(f"plain libRoadRunner loop: {plain:.2f} patient-arms/s (1 core, {fails} failures)")
    r1, warm1 = runner_rate(args.scenario, args.n, args.days, 1, args.engine)
    print(
        f"cohort runner, 1 worker, engine {args.engine}: {r1:.2f} patient-arms/s "
        f"(worker warm-up {warm1:.1f} s, not timed)"
    )
    r2, warm2 = runner_rate(args.scenario, args.n, args.days, 2, args.engine)
    print(
        f"cohort runner, 2 workers, engine {args.engine}: {r2:.2f} patient-arms/s "
        f"(worker warm-up {warm2:.1f} s, not timed)"
    )
    print(
        f"ratio runner/plain per core: 1 worker {r1 / plain:.2f}x, 2 workers {r2 / 2 / plain:.2f}x"
    )
    projected = warm2 + 10_000 / r2
    print(
        f"projected 10,000 patient-arms x {args.days:g} d on 2 workers: {projected / 60:.1f} min "
        f"(extrapolated from {2 * args.n} measured patient-arms + one model load per worker; "
        "target <= 5 min)"
    )


if __name__ == "__main__":
    main()
