"""Benchmark the cohort runner against a plain single-process libRoadRunner loop, in one run.

Same patients (the model's preset virtual population, plausibility filter off so both do the
same work), same model (the scenario's exported SBML; `--scenario`, default `default`), same
tolerances and horizon, two arms (control, PD-1 block). Prints one line per figure:

* model load time per process (libRoadRunner JIT of the SBML) and per-simulation steady state;
* where the runner's CPU goes per patient-arm in-process (patient draw, the engine's
  integration alone, the prepared arm around it, endpoint reduction, rows and table);
* patient-arms/s of the plain loop (measured before and after the runners; the faster of the
  two is the reference, so machine load cannot flatter the runner), of the runner's prepared
  path in-process (no Dask: the per-core ceiling), of the runner with 1 and 2 workers (steady
  state: workers are warmed up with the model before timing), and the runner/loop ratio per
  core — by wall clock, and by CPU time of every process involved (client, scheduler,
  workers and their nannies), which stays meaningful when other jobs load the machine;
* the projected wall time of 10,000 patient-arms of 1 year on 2 cores (one model load per
  worker + 10,000 / measured 2-worker rate), extrapolated from the measured N, said as such.

The runners get ``--n`` patients (default 1000: a cohort's fixed costs — Dask set-up, manifest,
reading the shards back — weigh on a cohort as they do at 10,000 patient-arms); the plain loop,
whose cost per run is flat, the first ``--n-plain`` of them.

Usage: python benchmarks/bench_cohort.py [--scenario default] [--n 1000] [--n-plain 150]
       [--days 365] [--engine fast]
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import roadrunner

from senotwin.analysis.endpoints import EndpointReducer
from senotwin.cohort.population import PopulationSpec, draw_patient, population_for
from senotwin.cohort.runner import (
    CohortConfig,
    arm_from_text,
    make_job,
    open_client,
    run_chunk,
    run_cohort,
)
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


@dataclass(frozen=True)
class Rate:
    """Patient-arms per wall-clock second, and CPU milliseconds spent per patient-arm by every
    process involved (the CPU figure holds when other jobs share the machine; wall time not)."""

    per_s: float
    cpu_ms: float


def plain_loop(
    scenario: str, patients: list[dict[str, float]], days: float
) -> tuple[float, Rate, int]:
    """(load seconds, rate, failures) of libRoadRunner driven directly."""
    sc = get_scenario(scenario)
    t0 = time.perf_counter()
    rr = roadrunner.RoadRunner(engine_sbml(sc.load()))
    load = time.perf_counter() - t0
    rr.integrator.relative_tolerance = RTOL
    rr.integrator.absolute_tolerance = ATOL
    rr.integrator.maximum_num_steps = 100_000
    grid = np.arange(0.0, days + 1e-9, 1.0)
    failures = 0
    t0, c0 = time.perf_counter(), time.process_time()
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
    n = 2 * len(patients)
    rate = Rate(n / (time.perf_counter() - t0), 1000 * (time.process_time() - c0) / n)
    return load, rate, failures


def _config(scenario: str, n: int, days: float, engine: str) -> CohortConfig:
    return CohortConfig(
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


def in_process_rate(scenario: str, n: int, days: float, engine: str) -> Rate:
    """The runner's per-worker loop (run_chunk) in this process, no Dask."""
    job = make_job(_config(scenario, n, days, engine), EndpointReducer())
    run_chunk(job, 0, 1)  # prepare the arms (once per worker in a cohort)
    t0, c0 = time.perf_counter(), time.process_time()
    run_chunk(job, 0, n)
    return Rate(2 * n / (time.perf_counter() - t0), 1000 * (time.process_time() - c0) / (2 * n))


def breakdown(scenario: str, n: int, days: float, engine: str) -> dict[str, float]:
    """CPU milliseconds per patient-arm of each part of the runner's prepared path, in-process:
    drawing the patients, integrating (the engine's plan alone), the whole prepared arm (start
    check, vectors, output check), reducing to endpoints, and the whole shard (rows and table
    included). The best of three passes of each, so a busy machine inflates them least."""
    from senotwin.cohort.runner import _arm_plans, _columns, _draw_range, _fast_arm

    job = make_job(_config(scenario, n, days, engine), EndpointReducer())
    run_chunk(job, 0, 1)
    plans = _arm_plans(job)
    if plans is None:
        return {}
    patients = _draw_range(job, 0, n)
    outs = [(ap, _fast_arm(ap, pt)) for pt in patients for ap in plans]
    reducer = EndpointReducer()

    def cpu(f: Any) -> float:
        best = math.inf
        for _ in range(3):
            c0 = time.process_time()
            f()
            best = min(best, time.process_time() - c0)
        return 1000 * best / (2 * n)

    return {
        "draw": cpu(lambda: _draw_range(job, 0, n)),
        "integrate": cpu(lambda: [ap.plan.run(ap.p, ap.y0) for _ in patients for ap in plans]),
        "prepared arm": cpu(lambda: [_fast_arm(ap, pt) for pt in patients for ap in plans]),
        "reduce": cpu(
            lambda: [reducer.from_columns(_columns(ap, o)) for ap, o in outs if o is not None]
        ),
        "whole shard": cpu(lambda: run_chunk(job, 0, n)),
    }


def _cpu_seconds(client: Any) -> float:
    """CPU seconds used so far by the workers, their nannies, the scheduler and this process
    (the scheduler of an embedded cluster runs in this process: counted once)."""
    import psutil

    def _times(pid: int) -> float:
        t = psutil.Process(pid).cpu_times()
        return float(t.user + t.system)

    workers = client.run(time.process_time)
    nannies = set(client.run(os.getppid).values()) - {os.getpid()}
    total = sum(workers.values()) + sum(_times(pid) for pid in nannies) + time.process_time()
    if client.run_on_scheduler(os.getpid) != os.getpid():
        total += client.run_on_scheduler(time.process_time)
    return float(total)


def runner_rate(
    scenario: str, n: int, days: float, workers: int, engine: str
) -> tuple[Rate, float]:
    """(patient-arms/s steady state, warm-up seconds) of run_cohort on a warmed LocalCluster."""
    client, cluster = open_client(None, workers, True)  # the cluster run_cohort would make
    try:
        t0 = time.perf_counter()
        client.run(_warm, scenario, days, engine)
        warm = time.perf_counter() - t0
        cfg = _config(scenario, n, days, engine)
        with tempfile.TemporaryDirectory() as tmp:
            c0 = _cpu_seconds(client)
            t0 = time.perf_counter()
            run_cohort(
                cfg,
                Path(tmp) / "c",
                reducer=EndpointReducer(),
                scheduler=cluster.scheduler_address,
            )
            wall = time.perf_counter() - t0
            rate = Rate(2 * n / wall, 1000 * (_cpu_seconds(client) - c0) / (2 * n))
    finally:
        client.close()
        cluster.close()
    return rate, warm


def _fmt(rate: Rate) -> str:
    return f"{rate.per_s:.2f} patient-arms/s, {rate.cpu_ms:.2f} CPU ms per patient-arm"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="virtual patients (x 2 arms)")
    ap.add_argument("--n-plain", type=int, default=150, help="of them in the plain loop")
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
        for i in range(min(args.n_plain, args.n))
    ]
    load, plain_a, fails = plain_loop(args.scenario, patients, args.days)
    print(f"plain libRoadRunner: model load {load:.1f} s per process")
    print(f"plain libRoadRunner loop: {_fmt(plain_a)} (1 core, {fails} failures)")
    lean = in_process_rate(args.scenario, args.n, args.days, args.engine)
    print(f"runner's prepared path in-process (no Dask), engine {args.engine}: {_fmt(lean)}")
    parts = breakdown(args.scenario, min(args.n, 300), args.days, args.engine)
    if parts:
        rest = parts["whole shard"] - parts["draw"] - parts["prepared arm"] - parts["reduce"]
        print(
            "  CPU ms per patient-arm, in-process: "
            + ", ".join(f"{k} {v:.3f}" for k, v in parts.items())
            + f"; rows and table {max(rest, 0.0):.3f}; the runner's own share (whole shard "
            f"minus integrate) {parts['whole shard'] - parts['integrate']:.3f}"
        )
    one, warm1 = runner_rate(args.scenario, args.n, args.days, 1, args.engine)
    print(
        f"cohort runner, 1 worker, engine {args.engine}: {_fmt(one)} "
        f"(worker warm-up {warm1:.1f} s, not timed)"
    )
    two, warm2 = runner_rate(args.scenario, args.n, args.days, 2, args.engine)
    print(
        f"cohort runner, 2 workers, engine {args.engine}: {_fmt(two)} "
        f"(worker warm-up {warm2:.1f} s, not timed)"
    )
    _, plain_b, _ = plain_loop(args.scenario, patients, args.days)
    plain = Rate(max(plain_a.per_s, plain_b.per_s), min(plain_a.cpu_ms, plain_b.cpu_ms))
    print(
        f"plain libRoadRunner loop again: {_fmt(plain_b)}; reference = the better of the two: "
        f"{_fmt(plain)}"
    )
    print(
        f"ratio runner/plain per core, wall clock: in-process {lean.per_s / plain.per_s:.2f}x, "
        f"1 worker {one.per_s / plain.per_s:.2f}x, 2 workers {two.per_s / 2 / plain.per_s:.2f}x"
    )
    print(
        f"ratio runner/plain per core, CPU time: in-process {plain.cpu_ms / lean.cpu_ms:.2f}x, "
        f"1 worker {plain.cpu_ms / one.cpu_ms:.2f}x, 2 workers {plain.cpu_ms / two.cpu_ms:.2f}x"
    )
    r2 = two.per_s
    projected = warm2 + 10_000 / r2
    print(
        f"projected 10,000 patient-arms x {args.days:g} d on 2 workers: {projected / 60:.1f} min "
        f"(extrapolated from {2 * args.n} measured patient-arms + one model load per worker; "
        "target <= 5 min)"
    )


if __name__ == "__main__":
    main()
