"""Built-in sanity checks of a model (``senotwin model check``).

Every model: no duplicate processes, every species reachable (produced by a process or set by a
dose event) and observable (read by some observable), unit consistency of every process and
observable, non-negativity across the registered scenarios of that model, monotone dose-response
of every ``--block`` target. Model-specific claims on top: the legacy TME model's bounded
untreated runs and tumour-free steady state; the physical-units model's lesion below the lethal
burden. Each check returns data: a name, pass/fail and the numbers behind it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from senotwin._errors import SimulationError
from senotwin.model.compile import compile_spec, flatten
from senotwin.model.expr import symbols
from senotwin.model.qsp import LETHAL_BURDEN_CELLS
from senotwin.model.scenarios import Scenario, get_scenario, scenario_names
from senotwin.model.spec import ModelSpec
from senotwin.model.unitcheck import unit_check
from senotwin.sim import SolverOptions, daily, run_scenario
from senotwin.sim.scenario import ScenarioLike, as_scenario

BLOCK_GRID = (0.0, 0.25, 0.5, 0.75, 1.0)
NEG_TOL = 1e-8


@dataclass(frozen=True)
class CheckResult:
    """One check: passed or not, with a one-line summary and details."""

    name: str
    passed: bool
    summary: str
    details: dict[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "passed": self.passed,
            "summary": self.summary,
            "details": self.details,
        }


@dataclass(frozen=True)
class ModelCheckReport:
    """All checks of one model."""

    model_id: str
    checks: tuple[CheckResult, ...]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def to_dict(self) -> dict[str, object]:
        return {
            "model": self.model_id,
            "passed": self.passed,
            "checks": [c.to_dict() for c in self.checks],
        }


def _run(
    name: ScenarioLike, days: float, *, blocks: Mapping[str, float] | None = None
) -> dict[str, np.ndarray]:
    solver = SolverOptions(rtol=1e-5, atol=1e-8, t_eval=daily(days))
    res = run_scenario(name, blocks=blocks, days=days, solver=solver, throw=True)
    return {c: res.table[c].to_numpy() for c in res.table.columns}


def check_bounded(spec: ModelSpec, *, days: float = 730.0) -> CheckResult:
    """Untreated tumours stay below the angiogenesis-raised carrying capacity; all finite."""
    k_t = spec.parameter("K_T").value
    g_ang = spec.parameter("g_ang").value
    details: dict[str, object] = {}
    ok = True
    for name in ("legacy_young_lung_untreated", "legacy_aged_lung_untreated"):
        table = _run(name, days)
        finite = all(bool(np.all(np.isfinite(v))) for v in table.values())
        cap = k_t * (1 + g_ang * float(np.max(table["Ang"])))
        peak = float(np.max(table["tumour_burden"]))
        immune = max(float(np.max(table[s])) for s in ("NK", "CD8", "Treg", "MDSC", "M1", "M2"))
        good = finite and peak <= cap * 1.001 and immune < 100.0
        ok &= good
        details[name] = {
            "finite": finite,
            "max_tumour_burden": peak,
            "capacity": cap,
            "max_immune_density": immune,
        }
    return CheckResult(
        "bounded_untreated", ok, f"untreated runs of {days:g} days stay bounded", details
    )


def check_units(spec: ModelSpec) -> CheckResult:
    """Every process rate and observable has the units it declares (model.unitcheck); the
    mismatches the model is known to have are listed, not failed."""
    res = unit_check(spec)
    return CheckResult(
        "unit_consistency",
        res.passed,
        res.summary(),
        {"problems": list(res.problems), "known": list(res.known)},
    )


def check_no_duplicate_processes(spec: ModelSpec) -> CheckResult:
    """No two processes share the same rate formula and stoichiometry."""
    seen: dict[tuple[object, ...], str] = {}
    dups = []
    for pr in spec.processes:
        key = (repr(spec.rate_tree(pr)), tuple(sorted(pr.stoichiometry.items())))
        if key in seen:
            dups.append([seen[key], pr.id])
        seen[key] = pr.id
    return CheckResult(
        "no_duplicate_processes",
        not dups,
        f"{len(spec.processes)} processes, {len(dups)} duplicates",
        {"duplicates": dups},
    )


def check_reachable_observable(spec: ModelSpec) -> CheckResult:
    """Each species is produced by some process or set by an event (a dose), and read by some
    observable or rate (a species nothing reads is a dead end; every species is in the output
    table anyway)."""
    produced = {s for pr in spec.processes for s, c in pr.stoichiometry.items() if c > 0}
    produced |= {s for ev in spec.events for s in ev.assign}
    read: set[str] = set()
    for obs in spec.observables:
        read |= symbols(spec.rate_tree(obs))
    for pr in spec.processes:
        read |= symbols(spec.rate_tree(pr))
    unreachable = [s for s in spec.species_ids if s not in produced]
    unobserved = [s for s in spec.species_ids if s not in read]
    ok = not unreachable and not unobserved
    return CheckResult(
        "species_reachable_and_observable",
        ok,
        f"{len(unreachable)} unreachable, {len(unobserved)} unobserved species",
        {"unreachable": unreachable, "unobserved": unobserved},
    )


def _primary_readouts(spec: ModelSpec, entity: str) -> list[str]:
    """Observables tagged with the entity, else the observables that read a tagged id."""
    tagged_obs = [o.id for o in spec.observables if o.entity == entity]
    if tagged_obs:
        return tagged_obs
    ids = {p.id for p in spec.parameters if p.entity == entity}
    ids |= {s.id for s in spec.species if s.entity == entity}
    users = [o.id for o in spec.observables if symbols(spec.rate_tree(o)) & ids]
    if users:
        return users
    # used only inside process rates: the species those processes change
    return sorted(
        {s for pr in spec.processes if symbols(spec.rate_tree(pr)) & ids for s in pr.stoichiometry}
    )


def _monotone(values: list[float], rel: float = 1e-6) -> bool:
    d = np.diff(np.asarray(values))
    scale = max(max(abs(v) for v in values), 1e-12) * rel
    return bool(np.all(d <= scale) or np.all(d >= -scale))


def check_block_monotone(
    spec: ModelSpec,
    *,
    scenario: ScenarioLike = None,
    day: float = 30.0,
    entities: tuple[str, ...] | None = None,
) -> CheckResult:
    """The primary read-outs of every block target move monotonically with the block fraction
    (on ``scenario``; None: the model's own default scenario)."""
    if scenario is None:
        scenario = _default_of(spec)
    details: dict[str, object] = {}
    bad = []
    targets = entities if entities is not None else spec.entities()
    for entity in targets:
        readouts = _primary_readouts(spec, entity)
        curves: dict[str, list[float]] = {r: [] for r in readouts}
        try:
            for f in BLOCK_GRID:
                table = _run(scenario, day, blocks={entity: f})
                for r in readouts:
                    curves[r].append(float(table[r][-1]))
        except SimulationError as exc:  # a block the model cannot run is a finding, not a crash
            bad.append(entity)
            details[entity] = {"failed_at_block": f, "error": str(exc)}
            continue
        mono = {r: _monotone(v) for r, v in curves.items()}
        if not all(mono.values()):
            bad.append(entity)
        details[entity] = {r: {"values": curves[r], "monotone": mono[r]} for r in readouts}
    return CheckResult(
        "block_dose_response_monotone",
        not bad,
        f"{len(targets)} block targets, {len(bad)} non-monotone",
        {
            "non_monotone": bad,
            "grid": list(BLOCK_GRID),
            "day": day,
            "scenario": as_scenario(scenario).name,
            "targets": details,
        },
    )


def scenarios_of(spec: ModelSpec) -> list[Scenario]:
    """The registered scenarios that run ``spec``'s model (same id), or ``spec`` alone."""
    out = [sc for sc in map(get_scenario, scenario_names()) if sc.load().id == spec.id]
    return out or [Scenario(spec.id, spec.name, lambda: spec)]


def _default_of(spec: ModelSpec) -> Scenario:
    """The model's own default scenario: its registered scenario named *default, else the first."""
    own = scenarios_of(spec)
    return next((sc for sc in own if sc.name.endswith("default")), own[0])


def check_non_negative(spec: ModelSpec, *, days: float = 365.0) -> CheckResult:
    """Every registered scenario of the model keeps every species >= 0 (within tolerance)."""
    worst: dict[str, float] = {}
    for sc in scenarios_of(spec):
        table = _run(sc, days)
        worst[sc.name] = min(float(np.min(table[s])) for s in spec.species_ids)
    bad = {k: v for k, v in worst.items() if v < -NEG_TOL}
    return CheckResult(
        "non_negative",
        not bad,
        f"{len(worst)} scenarios, {len(bad)} with negative states",
        {"min_state_by_scenario": worst},
    )


def check_tumour_free_steady_state(spec: ModelSpec) -> CheckResult:
    """Claimed steady state: no tumour, senescence or inducer -> immune supply/death balance."""
    cm = compile_spec(spec)
    flat = flatten(spec)
    p = np.array(flat.values, dtype=float)
    pidx = {k: i for i, k in enumerate(flat.parameters)}
    for pid in ("rs_stroma", "k_rs_T", "k_par_F", "k_par_T"):
        p[pidx[pid]] = 0.0
    idx = {s: i for i, s in enumerate(flat.species)}
    y = np.array(flat.initial, dtype=float)
    for s in ("T", "Ste", "Stl", "Std", "Sfe", "Sfl", "Sfd", "stress"):
        y[idx[s]] = 0.0
    from scipy.integrate import solve_ivp

    sol = solve_ivp(
        lambda t, x: cm.rhs(t, x, p), (0.0, 3000.0), y, method="LSODA", rtol=1e-10, atol=1e-12
    )
    y_end = sol.y[:, -1]
    residual = float(np.max(np.abs(cm.rhs(0.0, y_end, p))))
    val = {
        k: p[pidx[k]]
        for k in (
            "nk_tissue",
            "r_nk",
            "d_nk",
            "K_rec_eff",
            "basal_cytokine",
            "s_il6_mac",
            "r_dc",
            "d_dc",
        )
    }
    b = val["basal_cytokine"]
    il6 = val["s_il6_mac"] * (y_end[idx["M1"]] + y_end[idx["M2"]]) + b
    sig = b / 2 + il6 + 3 * b
    nk = val["nk_tissue"] * (1 + val["r_nk"] / val["d_nk"] * sig / (val["K_rec_eff"] + sig))
    dc = 1 + val["r_dc"] / val["d_dc"] * b / (val["K_rec_eff"] + b)
    err = max(abs(y_end[idx["NK"]] - nk) / nk, abs(y_end[idx["DC"]] - dc) / dc)
    ok = residual < 1e-6 and err < 1e-5
    return CheckResult(
        "tumour_free_steady_state",
        ok,
        f"max |dy/dt| = {residual:.2e}; NK/DC match closed forms to {err:.1e}",
        {
            "residual": residual,
            "relative_error_closed_form": err,
            "NK": float(y_end[idx["NK"]]),
            "NK_closed_form": nk,
            "DC": float(y_end[idx["DC"]]),
            "DC_closed_form": dc,
        },
    )


def check_below_lethal_burden(spec: ModelSpec, *, days: float = 365.0) -> CheckResult:
    """Every scenario of the physical-units model keeps the lesion below the lethal burden."""
    peaks: dict[str, float] = {}
    for sc in scenarios_of(spec):
        table = _run(sc, days)
        peaks[sc.name] = float(np.max(table["N_tumour"] + table["D"]))
    bad = {k: v for k, v in peaks.items() if not v < LETHAL_BURDEN_CELLS}
    return CheckResult(
        "below_lethal_burden",
        not bad,
        f"{len(peaks)} scenarios, {len(bad)} above {LETHAL_BURDEN_CELLS:.0e} cells",
        {"max_cells_by_scenario": peaks, "lethal_burden": LETHAL_BURDEN_CELLS},
    )


Check = Callable[[ModelSpec], CheckResult]

#: checks every model gets
CHECKS: tuple[Check, ...] = (
    check_no_duplicate_processes,
    check_reachable_observable,
    check_units,
    check_non_negative,
)

#: claims of particular models, by model id (legacy tme.yaml, physical-units qsp.yaml)
MODEL_CHECKS: dict[str, tuple[Check, ...]] = {
    "sasp_tme": (check_tumour_free_steady_state, check_bounded),
    "sasp_qsp": (check_below_lethal_burden,),
}


#: day the block dose-response is read, by model id (default day 30). The physical-units model
#: has the IFN-gamma -> PD-L1 loop: by day 30 a partial PD-1 block frees T cells whose IFN-gamma
#: raises tumour PD-L1, so the synapse complexes need not fall monotonically (adaptive
#: resistance); the direct target engagement is read on day 1.
BLOCK_READ_DAY: dict[str, float] = {"sasp_qsp": 1.0}


def run_model_check(scenario: ScenarioLike = None) -> ModelCheckReport:
    """Run every check on the model of ``scenario`` (a name, Scenario, spec; None = default).

    The block dose-response runs on that scenario (a bare spec: its own values)."""
    sc = as_scenario(scenario)
    model = sc.load()
    checks = [check(model) for check in CHECKS + MODEL_CHECKS.get(model.id, ())]
    checks.append(check_block_monotone(model, scenario=sc, day=BLOCK_READ_DAY.get(model.id, 30.0)))
    return ModelCheckReport(model.id, tuple(checks))
