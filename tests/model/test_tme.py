"""The TME model: structure, provenance, kb citations, entity tags, and analytic oracles."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from senotwin.model.compile import compile_spec
from senotwin.model.tme import load_tme

REQUIRED_SPECIES = {
    "T",
    "Ste",
    "Stl",
    "Std",
    "Sfe",
    "Sfl",
    "Sfd",
    "NK",
    "CD8",
    "CD8x",
    "Th1",
    "Treg",
    "MDSC",
    "M1",
    "M2",
    "DC",
    "TAN",
}
REQUIRED_SIGNALS = {
    "IL1A_level": None,
    "IL6": "IL6",
    "IL8": "CXCL8",
    "CCL2": "CCL2",
    "CXCL1": "CXCL1",
    "CCL5": "CCL5",
    "CXCL12": "CXCL12",
    "TGFB": "TGFB",
    "TNF": "TNF",
    "IFNG": "IFNG",
    "IFN_I": "IFN_I",
    "VEGF": "VEGFA",
    "MMP": "MMP",
    "HLA_E": "HLA-E",
    "nfkb": "NFKB",
    "sting": "CGAS_STING",
    "stat3": "STAT3",
    "stat1": "STAT1",
    "irf1": "IRF1",
    "PDL1": "CD274",
    "pparg_nuclear": None,
    "pparg_cytoplasmic": None,
    "mtor": None,
    "p38_mapk": None,
}


@pytest.fixture(scope="module")
def spec():
    return load_tme()


def test_required_cells_signals_and_readouts(spec):
    assert set(spec.species_ids) >= REQUIRED_SPECIES
    obs = {o.id: o for o in spec.observables}
    for oid, entity in REQUIRED_SIGNALS.items():
        assert oid in obs, oid
        if entity is not None:
            assert obs[oid].entity == entity, (oid, obs[oid].entity)
    for readout in (
        "tumour_burden",
        "tumour_diameter_mm",
        "S_early",
        "S_late",
        "S_deep",
        "S_tumour",
        "S_stroma",
        "sasp_index",
        "effector_suppressor_ratio",
    ):
        assert readout in obs
    # mTOR and p38 are blocked through their tagged parameters
    tagged = {p.id: p.entity for p in spec.parameters if p.entity}
    assert tagged["mtor_level"] == "MTOR"
    assert tagged["p38_level"] == "P38_MAPK"
    assert 15 <= len(spec.species) <= 30  # modest state count (fast engine target)


def test_every_parameter_has_unit_range_and_provenance(spec):
    for p in spec.parameters:
        assert p.unit
        assert p.range is not None, p.id
        assert p.range[0] <= p.value <= p.range[1]
        if p.provenance.kind == "assumed":
            assert len(p.provenance.rationale) > 15, p.id


def test_every_cited_kb_interaction_exists(shipped_kb):
    spec = load_tme()
    kb = shipped_kb
    cited: set[str] = set()
    for item in (*spec.processes, *spec.observables):
        cited |= set(item.kb)
    for p in spec.parameters:
        if p.provenance.kind == "kb":
            cited |= set(p.provenance.interactions)
    missing = sorted(c for c in cited if c not in kb.interactions)
    assert not missing, missing
    assert len(cited) > 100


def test_every_mechanistic_process_cites_the_kb(spec):
    for pr in spec.processes:
        turnover = pr.rate_law == "first_order" and list(pr.stoichiometry.values()) == [-1]
        if not turnover:
            assert pr.kb, f"process {pr.id} cites no kb interaction"


def test_entity_tags_are_kb_entities(spec, shipped_kb):
    known = set(shipped_kb.entities)
    unknown = sorted(e for e in spec.entities() if e not in known)
    assert not unknown, unknown


def test_no_duplicate_processes(spec):
    seen = set()
    for pr in spec.processes:
        key = (
            pr.rate_law,
            tuple(sorted(pr.args.items())),
            pr.expression,
            tuple(sorted(pr.stoichiometry.items())),
        )
        assert key not in seen, pr.id
        seen.add(key)


def test_tumour_free_steady_state_matches_hand_computation(spec):
    """Without tumour, senescence or inducer the NK and DC balances have closed forms."""
    y0 = np.array([s.initial for s in spec.species], dtype=float)
    idx = {s: i for i, s in enumerate(spec.species_ids)}
    for sid in ("T", "Ste", "Stl", "Std", "Sfe", "Sfl", "Sfd", "stress"):
        y0[idx[sid]] = 0.0
    params = {p.id: p.value for p in spec.parameters}
    params["rs_stroma"] = 0.0  # no age-related stromal senescence
    cm = compile_spec(spec)
    p = np.array(cm.flat.values, dtype=float)
    p[list(cm.parameters).index("rs_stroma")] = 0.0
    for pid in ("k_rs_T", "k_par_F", "k_par_T"):  # no background or paracrine senescence
        p[list(cm.parameters).index(pid)] = 0.0
    sol = solve_ivp(
        lambda t, x: cm.rhs(t, x, p), (0, 3000), y0, method="LSODA", rtol=1e-10, atol=1e-12
    )
    y = sol.y[:, -1]
    b = params["basal_cytokine"]
    # no senescent cells: IL-1a = b/2, IL-6 = s_il6_mac (M1 + M2) + b, IL-8 = CCL5 = IFN-I = b
    il6 = params["s_il6_mac"] * (y[idx["M1"]] + y[idx["M2"]]) + b
    signal = b / 2 + il6 + b + b + b
    k = params["K_rec_eff"]
    nk_expected = params["nk_tissue"] * (
        1 + params["r_nk"] / params["d_nk"] * signal / (k + signal)
    )
    assert y[idx["NK"]] == pytest.approx(nk_expected, rel=1e-6)
    dc_signal = b  # IFN-I only (no senescent tumour cells)
    dc_expected = 1 + params["r_dc"] / params["d_dc"] * dc_signal / (k + dc_signal)
    assert y[idx["DC"]] == pytest.approx(dc_expected, rel=1e-6)
    assert abs(y[idx["T"]]) < 1e-12
    # the steady state is a steady state: the right-hand side vanishes there
    assert np.max(np.abs(cm.rhs(0.0, y, p))) < 1e-7


def test_diameter_is_sphere_of_volume(spec):
    cm = compile_spec(spec)
    p = np.array(cm.flat.values, dtype=float)
    y = np.array([s.initial for s in spec.species], dtype=float)
    obs = dict(zip([o for o, _ in cm.flat.observables], cm.observables(0.0, y, p), strict=True))
    burden = y[list(spec.species_ids).index("T")]
    volume = burden * 1e9 / 1e6  # mm^3 at 1e6 cells/mm^3
    assert obs["tumour_volume_mm3"] == pytest.approx(volume)
    assert obs["tumour_diameter_mm"] == pytest.approx((6 * volume / math.pi) ** (1 / 3))
