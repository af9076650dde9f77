"""scripts/liu2019_posterior.py's start for the Metropolis chains: a diagonal covariance on the
fit's scales from the shipped fit's conditional profile intervals (session 23: the previous
ensemble lacked k_exh and was centred on another optimum)."""

from __future__ import annotations

import copy
import math
from types import SimpleNamespace

import numpy as np
import pytest

from senotwin.trial.ici_fit import ICI_PARAMETERS, stored_fit
from tests.scripts_loader import load_script

post = load_script("liu2019_posterior")


def test_profile_diagonal_takes_each_sd_from_the_fits_profile_interval() -> None:
    record = stored_fit()
    obj = SimpleNamespace(parameters=ICI_PARAMETERS)
    cov = post.profile_diagonal(obj, record)
    d = len(ICI_PARAMETERS)
    assert cov.shape == (d, d) and np.allclose(cov, np.diag(np.diag(cov)))
    rows = {r["parameter"]: r for r in record["parameters"]}
    for k, p in enumerate(ICI_PARAMETERS):
        r = rows[p.id]
        if r["ci_low"] is not None and r["ci_high"] is not None:
            want = (p.to_x(r["ci_high"]) - p.to_x(r["ci_low"])) / 3.92
        else:  # open at a bound (n_reinv at 6): the closed side's distance / 1.96
            end = r["ci_low"] if r["ci_low"] is not None else r["ci_high"]
            want = abs(p.to_x(r["best"]) - p.to_x(end)) / 1.96
        assert math.isclose(math.sqrt(cov[k, k]), want, rel_tol=1e-12), p.id
    k_exh = [p.id for p in ICI_PARAMETERS].index("k_exh.value")
    assert cov[k_exh, k_exh] > 0  # the quantity the stale ensemble lacked has a start width
    scaled = post.initial_covariance(obj, "profile", record)
    assert np.allclose(scaled, 2.38**2 / d * cov)
    assert post.initial_covariance(obj, None, record) is None


def test_profile_diagonal_refuses_a_quantity_without_an_interval() -> None:
    record = copy.deepcopy(stored_fit())
    record["parameters"][0]["ci_low"] = record["parameters"][0]["ci_high"] = None
    with pytest.raises(ValueError, match=record["parameters"][0]["parameter"]):
        post.profile_diagonal(SimpleNamespace(parameters=ICI_PARAMETERS), record)
