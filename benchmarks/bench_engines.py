"""Benchmark the simulation engines on one model with the same tolerances, in one run.

Prints one line per figure: the one-time costs (JIT compilation of the fast engine, libRoadRunner
loading the exported SBML: wall and CPU seconds); the work each engine does for one run (RHS and
Jacobian evaluations, LU decompositions) and its accuracy (largest relative error over the output
grid against the SciPy BDF reference at rtol 1e-10, atol 1e-12); median single-simulation latency
of the reference engine, the fast engine and a plain libRoadRunner loop on the exported SBML,
the fast and libRoadRunner runs interleaved so that machine load hits both alike; batch
throughput (simulations/second) for N parameter sets drawn uniformly from the plausible ranges,
again interleaved in blocks; and the ratios fast / plain libRoadRunner. Usage:

    python benchmarks/bench_engines.py [--scenario NAME | --model FILE] [--days 365] [--n 1000]

The default scenario is `default` (whichever model it runs). The default absolute tolerance
is 1e-6: with atol 1e-9 CVODE stops with
CV_TOO_MUCH_ACC on the de Pillis fixture once the rejected tumour decays into the subnormal
range (~1e-293 cells) near day 195; the SciPy engine does not. Failed runs are counted.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import roadrunner

from senotwin.export.sbml import to_sbml
from senotwin.model import get_scenario, load_spec
from senotwin.model.spec import ModelSpec
from senotwin.sim import default_grid, simulate, simulate_batch
from senotwin.therapy.language import apply_regimen


def _median_ms(fn: Callable[[], object], repeats: int, warmup: int = 3) -> float:
    return _interleaved_ms([fn], repeats, warmup)[0]


def _interleaved_ms(fns: list[Callable[[], object]], repeats: int, warmup: int = 3) -> list[float]:
    """Median milliseconds of each function, called in turn (A B A B ...) after a warm-up."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, out in zip(fns, times, strict=True):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return [1e3 * statistics.median(t) for t in times]


def _max_rel_error(got: np.ndarray, ref: np.ndarray) -> float:
    """Largest |got - ref| / (|ref| + 1e-6 x the column's largest magnitude) over the grid."""
    floor = 1e-6 * np.maximum(np.abs(ref).max(axis=0, keepdims=True), 1e-300)
    return float(np.max(np.abs(got - ref) / (np.abs(ref) + floor)))


def _param_sets(spec: ModelSpec, n: int, seed: int) -> list[dict[str, float]]:
    rng = np.random.default_rng(seed)
    ranged = [p for p in spec.parameters if p.range is not None]
    return [
        {p.id: float(rng.uniform(p.range[0], p.range[1])) for p in ranged if p.range}
        for _ in range(n)
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="default")
    ap.add_argument("--model", default=None, help="ModelSpec YAML (overrides --scenario)")
    ap.add_argument("--days", type=float, default=365.0)
    ap.add_argument("--n", type=int, default=1000, help="parameter sets for the batch figures")
    ap.add_argument("--n-reference", type=int, default=50, help="sets for the SciPy batch")
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--rtol", type=float, default=1e-6)
    ap.add_argument("--atol", type=float, default=1e-6, help="cells: 1e-6 cell is ample")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--regimen",
        default="doxorubicin 2 mg/kg iv d0,d7; navitoclax 325 mg po qd d10-d14",
        help="regimen whose therapy model's exported SBML load time is printed ('' skips)",
    )
    args = ap.parse_args()

    if args.model:
        spec, initial, base = load_spec(args.model), {}, {}
        label = args.model
    else:
        sc = get_scenario(args.scenario)
        spec, initial, base = sc.load(), dict(sc.initial), dict(sc.params)
        label = args.scenario
    grid = default_grid(args.days)
    tol = {"rtol": args.rtol, "atol": args.atol}
    print(
        f"model: {label} ({len(spec.species)} species, {len(spec.processes)} processes, "
        f"{len(spec.observables)} observables); {args.days:g} days, {grid.size} output points, "
        f"rtol {args.rtol:g}, atol {args.atol:g}"
    )

    # one-time costs: JIT compilation of the fast engine, loading the SBML into libRoadRunner
    t0 = time.perf_counter()
    simulate(spec, t_end=1.0, engine="fast", params=base, initial=initial, **tol)
    print(f"setup_fast_jit_s {time.perf_counter() - t0:.2f}")
    sbml = to_sbml(spec, params=base, initial=initial)
    t0, c0 = time.perf_counter(), time.process_time()
    rr = roadrunner.RoadRunner(sbml)
    print(f"setup_roadrunner_load_exported_sbml_s {time.perf_counter() - t0:.2f}")
    print(f"setup_roadrunner_load_exported_sbml_cpu_s {time.process_time() - c0:.2f}")
    if args.regimen:
        plan = apply_regimen(spec, args.regimen)
        therapy_sbml = to_sbml(plan.spec, regimen=plan.schedule, params=base, initial=initial)
        t0, c0 = time.perf_counter(), time.process_time()
        roadrunner.RoadRunner(therapy_sbml)
        print(f"setup_roadrunner_load_therapy_sbml_s {time.perf_counter() - t0:.2f}")
        print(f"setup_roadrunner_load_therapy_sbml_cpu_s {time.process_time() - c0:.2f}")
    # plain libRoadRunner loop on the exported SBML: reset, set parameters, simulate
    rr.integrator.relative_tolerance = args.rtol
    rr.integrator.absolute_tolerance = args.atol
    rr.integrator.maximum_num_steps = 100_000
    rr.timeCourseSelections = ["time", *spec.species_ids, *spec.observable_ids]

    def plain(ps: dict[str, float]) -> bool:
        rr.resetAll()
        for k, v in {**initial, **base, **ps}.items():
            rr.setValue(k, v)
        try:
            np.asarray(rr.simulate(0.0, args.days, grid.size))
        except RuntimeError:
            return False
        return True

    def ours(engine: str) -> Callable[[], object]:
        return lambda: simulate(
            spec, t_end=args.days, engine=engine, params=base, initial=initial, **tol
        )

    # work and accuracy per run, same tolerances, same output grid
    kw = {"params": base, "initial": initial, "t_end": args.days}
    ref_tight = simulate(spec, engine="reference", method="BDF", rtol=1e-10, atol=1e-12, **kw)
    columns = [*spec.species_ids, *spec.observable_ids]
    truth = ref_tight.table[columns].to_numpy()
    for engine in ("fast", "reference", "roadrunner"):
        res = simulate(spec, engine=engine, **tol, **kw)
        st = res.stats
        work = (
            f"rhs {st.rhs_evaluations} jacobians {st.jacobian_evaluations} "
            f"lu {st.lu_decompositions}"
            if engine != "roadrunner"
            else "counts not exposed"
        )
        err = _max_rel_error(res.table[columns].to_numpy(), truth) if res.ok else float("nan")
        print(f"work_{engine} {res.provenance.method}: {work}; max_rel_error {err:.2e}")

    lat_ref = _median_ms(ours("reference"), max(5, args.repeats // 5))
    lat_fast, lat_plain = _interleaved_ms([ours("fast"), lambda: plain({})], args.repeats)
    print(f"latency_reference_ms_median {lat_ref:.3f}")
    print(f"latency_fast_ms_median {lat_fast:.3f}")
    print(f"latency_plain_roadrunner_ms_median {lat_plain:.3f}")

    sets = [{**base, **ps} for ps in _param_sets(spec, args.n, args.seed)]
    # blocks of 25 sets, alternating between the two, so that load changes hit both alike
    sec_plain = sec_fast = 0.0
    plain_failed = failed = 0
    for lo in range(0, args.n, 25):
        block = sets[lo : lo + 25]
        t0 = time.perf_counter()
        plain_failed += sum(not plain(ps) for ps in block)
        sec_plain += time.perf_counter() - t0
        t0 = time.perf_counter()
        batch = simulate_batch(spec, block, t_end=args.days, initial=initial, engine="fast", **tol)
        sec_fast += time.perf_counter() - t0
        failed += sum(s != "success" for s in batch.status)
    thr_plain, thr_fast = args.n / sec_plain, args.n / sec_fast
    n_ref = min(args.n_reference, args.n)
    t0 = time.perf_counter()
    ref_batch = simulate_batch(
        spec, sets[:n_ref], t_end=args.days, initial=initial, engine="reference", **tol
    )
    thr_ref = n_ref / (time.perf_counter() - t0)
    print(f"throughput_plain_roadrunner_per_s {thr_plain:.1f} (n={args.n}, failed={plain_failed})")
    print(f"throughput_fast_per_s {thr_fast:.1f} (n={args.n}, failed={failed})")
    print(
        f"throughput_reference_per_s {thr_ref:.2f} (n={n_ref}, "
        f"failed={sum(s != 'success' for s in ref_batch.status)})"
    )
    print(f"ratio_fast_over_plain_roadrunner_throughput {thr_fast / thr_plain:.3f}")
    print(f"ratio_fast_over_plain_roadrunner_latency {lat_plain / lat_fast:.3f}")


if __name__ == "__main__":
    main()
