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


def test_laplace_box_is_the_profile_half_width_times_the_factor_clipped_to_the_bounds() -> None:
    """Session 26: the emulator's design box on the fit's scales: the optimum +- factor x the
    wider side of each conditional profile interval (an open side: its distance to the bound)."""
    record = stored_fit()
    obj = SimpleNamespace(
        parameters=ICI_PARAMETERS,
        bounds=lambda: (
            np.array([p.to_x(p.lower) for p in ICI_PARAMETERS]),
            np.array([p.to_x(p.upper) for p in ICI_PARAMETERS]),
        ),
    )
    rows = {r["parameter"]: r for r in record["parameters"]}
    x0 = np.array([p.to_x(rows[p.id]["best"]) for p in ICI_PARAMETERS])
    lo, hi = obj.bounds()
    for factor in (1.0, 2.5):
        blo, bhi = post.laplace_box(obj, record, x0, factor)
        # an optimum at its bound (k_byst at its ceiling 1 since session 27) ends the box there
        assert np.all((lo <= blo) & (blo < x0) & ((x0 < bhi) | (x0 == hi)) & (bhi <= hi))
        for k, p in enumerate(ICI_PARAMETERS):
            r = rows[p.id]
            down = x0[k] - (lo[k] if r["ci_low"] is None else p.to_x(r["ci_low"]))
            up = (hi[k] if r["ci_high"] is None else p.to_x(r["ci_high"])) - x0[k]
            h = factor * max(down, up)
            assert math.isclose(blo[k], max(lo[k], x0[k] - h), abs_tol=1e-12), p.id
            assert math.isclose(bhi[k], min(hi[k], x0[k] + h), abs_tol=1e-12), p.id
    k = [p.id for p in ICI_PARAMETERS].index("n_reinv.centre")  # open at 6: clipped there
    assert post.laplace_box(obj, record, x0, 1.0)[1][k] == hi[k]


def test_line_curvature_refits_a_replaced_direction_from_the_line(monkeypatch) -> None:
    """A direction the global quadratic curved down along gets the curvature measured on a line
    through the optimum (session 32); the other direction keeps its value."""
    true = np.array([[8.0, 3.0], [3.0, 50.0]])
    monkeypatch.setattr(
        post,
        "evaluate_seeded",
        lambda kind, pts, seeds: np.repeat(
            (0.5 * np.einsum("ij,jk,ik->i", pts, true, pts))[:, None], len(seeds), axis=1
        ),
    )
    lo, hi = np.array([-1.0, -1.0]), np.array([1.0, 1.0])
    fitted = np.array([[-4.0, 0.0], [0.0, 50.0]])  # the quadratic: negative along x
    fixed, replaced = post.positive_hessian(fitted, lo, hi)
    assert len(replaced) == 1
    x0 = np.zeros(2)
    h, fits = post.line_curvatures(fixed, replaced, x0, 0.0, lo / 2, hi / 2, lo, hi, [0, 1])
    v = np.asarray(replaced[0]["vector"])
    assert fits[0]["fitted_curvature"] == pytest.approx(float(v @ true @ v))
    assert float(v @ h @ v) == pytest.approx(8.0)
    assert len(fits[0]["steps"]) == 6


def test_line_curvature_uses_the_open_side_when_the_optimum_sits_on_a_bound(monkeypatch) -> None:
    """An optimum on a bound (k_byst at its ceiling): the blocked side gives no point, the open
    side still measures the curvature."""
    true = np.array([[8.0, 0.0], [0.0, 50.0]])
    monkeypatch.setattr(
        post,
        "evaluate_seeded",
        lambda kind, pts, seeds: np.repeat(
            (0.5 * np.einsum("ij,jk,ik->i", pts - [1.0, 0.0], true, pts - [1.0, 0.0]))[:, None],
            len(seeds),
            axis=1,
        ),
    )
    lo, hi = np.array([-1.0, -1.0]), np.array([1.0, 1.0])
    fixed, replaced = post.positive_hessian(np.array([[-4.0, 0.0], [0.0, 50.0]]), lo, hi)
    x0 = np.array([1.0, 0.0])  # on the upper bound of the first parameter
    _, fits = post.line_curvatures(fixed, replaced, x0, 0.0, lo / 2, hi, lo, hi, [0])
    assert len(fits[0]["steps"]) == 3 and all(t < 0 for t in fits[0]["steps"])
    assert fits[0]["fitted_curvature"] == pytest.approx(8.0)


def test_fix_holds_a_shared_value_the_model_carries() -> None:
    """--fix k_byst.value (at its ceiling 1, not identifiable): the posterior samples the other
    six, and a cohort without k_byst among its parameters simulates the model's value -- the same
    nllh as the full objective at that value (n 9). A centre, an unknown id, or a value the model
    does not carry are refused by name."""
    from senotwin.trial.ici_fit import IciObjective, shipped_start, start_vector

    best = dict(shipped_start()[0]) | {"k_byst.value": 1.0}
    model = {"k_byst": 1.0, "k_exh": best["k_exh.value"]}
    sampled, held = post.fixed_parameters(["k_byst.value"], best, model.__getitem__)
    assert held == {"k_byst.value": 1.0} and len(sampled) == len(ICI_PARAMETERS) - 1
    assert "k_byst.value" not in {p.id for p in sampled}
    full, six = IciObjective(n=9), IciObjective(n=9, parameters=sampled)
    x7 = start_vector(best)
    x6 = np.array([v for p, v in zip(ICI_PARAMETERS, x7, strict=True) if p.id != "k_byst.value"])
    assert six(x6) == pytest.approx(full(x7))
    for ids, says in (
        (["k_kill.centre"], "only a quantity shared by every patient"),
        (["k_foo.value"], "allowed: one of"),
    ):
        with pytest.raises(SystemExit, match=says):
            post.fixed_parameters(ids, best, model.__getitem__)
    with pytest.raises(SystemExit, match="the model carries k_exh"):
        post.fixed_parameters(["k_exh.value"], best | {"k_exh.value": 0.3}, model.__getitem__)
