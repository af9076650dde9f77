"""Gross cancer-cell proliferation of each tissue context, derived from its cited net doubling.

A cited tumour doubling time is *net*: it is what an untreated lesion does with the host's immune
arm on, its cancer cells dying, its senescent stroma and its dead cells in the volume. Setting the
proliferation rate to ln 2 / doubling time (as the contexts did until session 12) counts that
net rate as the gross one, so removing the immune arm hardly speeds growth. Here the proliferation
rate ``k_grow`` of a tissue is the value at which the model's own untreated lesion (aged host, no
inducer: the ``aged_<tissue>_untreated`` scenario) doubles its volume in the cited time: the days
from :data:`senotwin.model.qsp.NET_START` (after the initial infiltrate settles) until the volume
first reaches twice its value there, one doubling as a clinical volume-doubling time is read
between two scans. It is a derived parameter: :func:`derive_k_grow` solves it (Brent's method
on the log rate), the shipped values sit in :data:`senotwin.model.qsp.TISSUES`, and a test
re-derives them.

Where the cited doubling cannot be reached inside ``k_grow``'s declared range, the rate in range
whose net doubling comes closest is taken and the shortfall is reported
(:attr:`GrowthDerivation.reached`; every shipped tissue reaches its cited doubling).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import optimize

from senotwin._errors import ValidationError
from senotwin.model.qsp import GROWTH_AGE, NET_HORIZON, NET_START, TISSUES, load_qsp
from senotwin.model.scenarios import Scenario
from senotwin.sim.options import SolverOptions
from senotwin.sim.scenario import run_scenario

#: relative tolerance on the net doubling time the derivation meets
REL_TOL = 1.0e-3
#: the shipped rate sits this much below the root, then rounds down to 4 significant digits:
#: its doubling is at or just above the cited one, which for pancreas and melanoma is the
#: floor of the cited range (a value exactly on the floor would pass or fail by rounding)
SHIP_MARGIN = 5.0e-4


def untreated_scenario(tissue: str) -> str:
    """The scenario a tissue's proliferation rate is derived on (aged host, no inducer)."""
    if tissue not in TISSUES:
        raise ValidationError(f"unknown tissue {tissue!r}; known: {', '.join(TISSUES)}")
    return f"{GROWTH_AGE}_{tissue}_untreated"


def net_doubling_days(
    tissue: str, k_grow: float, overrides: Mapping[str, float] | None = None
) -> float:
    """Net volume doubling time (days) of the untreated ``tissue`` lesion at ``k_grow``: days
    from :data:`NET_START` until the volume first reaches twice its value there (log-linear
    between daily points; inf if not within :data:`NET_HORIZON`)."""
    grid = np.arange(0.0, NET_HORIZON + 1.0)
    res = run_scenario(
        untreated_scenario(tissue),
        overrides={"k_grow": float(k_grow)} | dict(overrides or {}),
        days=NET_HORIZON,
        solver=SolverOptions(engine="fast", atol=1e-6, t_eval=grid),
    )
    if not res.ok:
        raise ValidationError(f"tissue {tissue!r}: untreated run failed at k_grow={k_grow}")
    return first_doubling(grid, res.table["V_T"].to_numpy(), NET_START)


def first_doubling(t: np.ndarray, v: np.ndarray, start: float) -> float:
    """Days from ``start`` until ``v`` first reaches twice ``v(start)`` (log-linear between
    points; inf if never). ``t`` must contain ``start``."""
    i = int(np.searchsorted(t, start))
    if i >= t.size or t[i] != start:
        raise ValidationError(f"the time grid has no point at day {start:g}")
    level = math.log(2.0 * v[i])
    logv = np.log(np.maximum(v[i:], np.finfo(float).tiny))
    above = np.nonzero(logv >= level)[0]
    if not above.size:
        return math.inf
    j = i + int(above[0])
    a, b = math.log(v[j - 1]), math.log(v[j])
    return float(t[j - 1] + (level - a) / (b - a) * (t[j] - t[j - 1]) - start)


@dataclass(frozen=True)
class GrowthDerivation:
    """The derived proliferation rate of one tissue and what it reaches."""

    tissue: str
    k_grow: float  # 1/day
    cited_days: float  # the cited net doubling time aimed at
    net_days: float  # the net doubling the model reaches at k_grow
    reached: bool  # False where the cited doubling lies outside what the range allows

    @property
    def factor(self) -> float:
        """Gross over net: k_grow / (ln 2 / cited doubling)."""
        return self.k_grow * self.cited_days / math.log(2.0)


def derive_k_grow(tissue: str, overrides: Mapping[str, float] | None = None) -> GrowthDerivation:
    """Solve ``k_grow`` so that the untreated net doubling equals the tissue's cited one.

    The search starts at the net rate ln 2 / cited doubling (the lesion grows more slowly than
    that: immune kill, cancer-cell death, stroma and dead cells) and steps up by 10 % until the
    net doubling is shorter than cited, then brackets the root (Brent, on ln k_grow). It stays
    inside the parameter's declared range; if the range's ceiling still doubles more slowly
    than cited, the rate in range with the shortest net doubling is returned, ``reached``
    False. ``overrides``: other parameter values to derive under (e.g. a candidate ``n_pd1``).
    """
    t = TISSUES.get(tissue)
    if t is None:
        raise ValidationError(f"unknown tissue {tissue!r}; known: {', '.join(TISSUES)}")
    low, high = load_qsp().parameter("k_grow").range or (0.0, math.inf)
    target = t.doubling_days

    def gap(log_k: float) -> float:
        return math.log(net_doubling_days(tissue, math.exp(log_k), overrides) / target)

    lo = math.log(max(math.log(2.0) / target, low))
    if gap(lo) <= 0.0:
        raise ValidationError(
            f"tissue {tissue!r}: the lesion already doubles faster than cited at the net rate"
        )
    hi = lo
    while True:
        step = min(hi + math.log(1.1), math.log(high))
        if step <= hi:  # the range's ceiling reached without crossing the cited doubling
            best = optimize.minimize_scalar(
                gap, bounds=(lo, math.log(high)), method="bounded", options={"xatol": 1e-3}
            )
            k = math.exp(float(best.x))
            net = net_doubling_days(tissue, k, overrides)
            return GrowthDerivation(tissue, k, target, net, False)
        hi = step
        if gap(hi) < 0.0:
            break
        lo = hi
    root = optimize.brentq(gap, lo, hi, rtol=1e-6, xtol=REL_TOL / 10)
    k = math.exp(root)
    return GrowthDerivation(tissue, k, target, net_doubling_days(tissue, k, overrides), True)


@lru_cache(maxsize=4096)
def growth_at(tissue: str, values: tuple[tuple[str, float], ...]) -> float:
    """:func:`derive_k_grow` under the parameter ``values`` (sorted pairs: hashable, cached),
    for consumers that carry other immune values than qsp.yaml's (a posterior member); an error
    where no rate in the parameter's range reaches the cited doubling."""
    d = derive_k_grow(tissue, dict(values))
    if not d.reached:
        raise ValidationError(
            f"tissue {tissue!r}: no k_grow in its plausible range gives the cited "
            f"{d.cited_days:g}-day doubling at {dict(values)} (closest: {d.net_days:.1f} d at "
            f"{d.k_grow:.4g}/day)"
        )
    return d.k_grow


def carried_tissue(scenario: Scenario) -> str | None:
    """The tissue whose derived ``k_grow`` ``scenario`` runs with, or None (a rate of its own:
    a mouse fit, another model). A tissue context sets its tissue's shipped rate (the tissue
    its name carries first: pancreas and colorectal share one); a physical-units scenario that
    sets none runs with qsp.yaml's value, which is the lung's."""
    rate = scenario.params.get("k_grow")
    if rate is None:
        spec = scenario.load()
        if spec.id != load_qsp().id:
            return None
        rate = spec.parameter("k_grow").value
    named = [t for t in TISSUES if f"_{t}_" in f"_{scenario.name}_"]
    return next((t for t in (*named, *TISSUES) if TISSUES[t].k_grow == rate), None)


def shipped_value(k_grow: float) -> float:
    """The value to ship for a derived rate: ``k_grow`` x (1 - :data:`SHIP_MARGIN`) rounded
    down to 4 significant digits (never above the root)."""
    x = k_grow * (1.0 - SHIP_MARGIN)
    scale = 10.0 ** (3 - math.floor(math.log10(x)))
    return math.floor(x * scale) / scale


def derive_all(overrides: Mapping[str, float] | None = None) -> dict[str, GrowthDerivation]:
    """:func:`derive_k_grow` for every tissue context."""
    return {name: derive_k_grow(name, overrides) for name in TISSUES}
