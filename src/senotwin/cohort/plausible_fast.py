"""The plausibility filter on the fast engine's prepared path.

:func:`senotwin.cohort.population.check_plausible` runs each candidate's untreated course
through :func:`senotwin.sim.simulate.simulate` (input checks, engine set-up, a run table) —
more Python than integration for a 56-day check. Here the untreated run is planned once per
model and filter, and each candidate is integrated from parameter vectors: the same plan, the
same vectors, hence the same numbers as simulate() on the fast engine. A candidate this path
cannot take as it is (a name or value simulate() would judge, a failed run whose message
simulate() words) goes to check_plausible itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from senotwin._errors import ValidationError
from senotwin.cohort.population import (
    Plausibility,
    PlausibilityCheck,
    check_plausible,
    plausibility_verdict,
)
from senotwin.model.compile import flatten, initial_rules
from senotwin.model.schedule import Schedule
from senotwin.model.spec import ModelSpec
from senotwin.sim.fast import prepare_arm
from senotwin.sim.options import SolverOptions
from senotwin.sim.simulate import output_problem


class FastPlausibility:
    """``check(params, initial)`` = ``check_plausible(spec, plaus, params, initial,
    engine="fast")``, with the untreated run prepared once."""

    def __init__(self, spec: ModelSpec, plaus: Plausibility) -> None:
        self.spec = spec
        self.plaus = plaus
        flat = flatten(spec)
        opts = SolverOptions(engine="fast", t_eval=(0.0, plaus.days))
        self.plan, self.p, self.y0 = prepare_arm(
            flat,
            Schedule(),
            opts.grid(plaus.days),
            plaus.days,
            params={},
            initial={},
            blocks={},
            rtol=opts.rtol,
            atol=opts.atol,
        )
        self.rules = initial_rules(flat)
        self.p_slot = {pid: i for i, pid in enumerate(flat.parameters) if pid in spec.parameter_ids}
        self.s_slot = {sid: i for i, sid in enumerate(flat.species)}
        self.untreated = {k: v for k, v in plaus.untreated_params if k in spec.parameter_ids}
        self.untreated_y0 = {k: v for k, v in plaus.untreated_initial if k in spec.species_ids}
        self.columns = (*flat.species, *(oid for oid, _ in flat.observables))
        where = {c: i for i, c in enumerate(self.columns)}
        wanted = (plaus.burden, *(obs for obs, _, _ in plaus.bounds))
        self.usable = all(c in where for c in wanted)
        self.burden = where.get(plaus.burden, -1)
        self.bounds = tuple((obs, where.get(obs, -1)) for obs, _, _ in plaus.bounds)

    def _slow(self, params: Mapping[str, float], initial: Mapping[str, float]) -> PlausibilityCheck:
        return check_plausible(self.spec, self.plaus, params, initial, engine="fast")

    def __call__(
        self, params: Mapping[str, float], initial: Mapping[str, float]
    ) -> PlausibilityCheck:
        if not self.usable:
            return self._slow(params, initial)
        p = self.p.copy()
        for name, value in (dict(params) | self.untreated).items():
            slot = self.p_slot.get(name)
            if slot is None or type(value) is not float or not math.isfinite(value):
                return self._slow(params, initial)
            p[slot] = value
        given = dict(initial) | self.untreated_y0
        try:  # initial amounts that follow the candidate's parameters (as in resolve)
            y0 = self.rules.apply(p, self.y0, keep=given).copy()
        except ValidationError:
            return self._slow(params, initial)
        for name, value in given.items():
            slot = self.s_slot.get(name)
            if slot is None or type(value) is not float or not math.isfinite(value) or value < 0:
                return self._slow(params, initial)
            y0[slot] = value
        out = self.plan.run(p, y0)
        if out.status != "success" or out.values.shape[0] < 2:
            return self._slow(params, initial)
        if output_problem(out.times, out.values, self.columns) is not None:
            return self._slow(params, initial)
        last = out.values[-1]
        values = {obs: float(last[col]) for obs, col in self.bounds}
        b0, b1 = float(out.values[0, self.burden]), float(last[self.burden])
        return plausibility_verdict(self.plaus, b0, b1, values)


__all__ = ["FastPlausibility"]
