"""Shapley attribution of an effect to the routes that make it (counterfactual decompositions)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence


def shapley_shares(value: Mapping[tuple[str, ...], float], keys: Sequence[str]) -> dict[str, float]:
    """Shapley share of each key in value(all keys) - value(none); ``value`` maps every subset
    (a tuple in the order of ``keys``) to the quantity, so the shares add up to the effect."""
    n = len(keys)
    out = {}
    for k in keys:
        others = [o for o in keys if o != k]
        total = 0.0
        for r in range(n):
            for s in itertools.combinations(others, r):
                weight = math.factorial(r) * math.factorial(n - r - 1) / math.factorial(n)
                with_k = tuple(o for o in keys if o in s or o == k)
                total += weight * (value[with_k] - value[tuple(o for o in keys if o in s)])
        out[k] = total
    return out
