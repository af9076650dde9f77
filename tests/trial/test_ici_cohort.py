"""The CRN virtual cohort: the same patients for every parameter value, and population
parameters act on the fixed draws exactly."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from senotwin._errors import ValidationError
from senotwin.cohort.baseline import BaselineDisease
from senotwin.cohort.population import typical_growth
from senotwin.trial.ici_cohort import CohortDesign, VirtualCohort, biopsy_pdl1_summary, tertile_of
from senotwin.trial.ici_fit import RULES


def test_tertiles_by_rank() -> None:
    assert tertile_of([5.0, 1.0, 3.0, 2.0, 6.0, 4.0]).tolist() == [2, 0, 1, 0, 2, 1]
    assert tertile_of([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]).tolist() == [0, 0, 0, 1, 1, 2, 2]


def test_design_rejects_tiny_cohorts() -> None:
    with pytest.raises(ValidationError, match="n = 2"):
        CohortDesign(n=2)


def test_centre_and_spread_act_on_fixed_draws() -> None:
    vc = VirtualCohort(CohortDesign(n=40, rules=RULES))
    base = vc.values()
    assert vc.values().equals(base)  # common random numbers
    doubled = vc.values({"N_ag": 2 * 2.09e5})
    inside = (base["N_ag"] * 2 <= 5.0e5).to_numpy()
    assert inside.sum() > 10
    np.testing.assert_allclose(doubled["N_ag"][inside], 2 * base["N_ag"][inside], rtol=1e-12)
    np.testing.assert_allclose(doubled["k_grow"], base["k_grow"])  # other traits unchanged
    flat = vc.values(spreads={"N_ag": 0.0})
    assert flat["N_ag"].nunique() == 1


def test_simulated_patients_are_scored_and_reproducible() -> None:
    # no hard-loss class: with an invisible share the best change is set by its regrowth
    vc = VirtualCohort(CohortDesign(n=4, rules=RULES, baseline=BaselineDisease()))
    a = vc.simulate()
    b = vc.simulate()
    assert a.equals(b)
    # since session 15 untreated killing can hold a slow, well-primed lesion (patient 3: N_ag
    # 3e5, k_grow 0.012/day): its lead-in doubling is infinite, so it is implausible, not scored
    ok = a["plausible"]
    assert ok.sum() == 3 and not a.loc[~ok, "best_response"].notna().any()
    assert set(a.loc[ok, "best_response"]) <= {"CR", "PR", "SD", "PD", "NE"}
    assert (a["cd8_score"] > 0).all()
    # the escaped clone (qsp.yaml mu_esc: history + divisions) regrows after the visible cells
    # go, so which 12-weekly scan holds the minimum can move a patient's best change by about
    # a point either way; without bystander killing a stronger kill is deeper on average, and
    # never more than 2 points shallower. (With it, a faster kill of the visible cells also
    # shortens the bystander killing of the escaped clone, which needs visible neighbours, so
    # the best change is not monotone in k_kill: docs/calibration.md, session 10.) The kill
    # alone is compared: both at the base candidate's k_grow centre (since session 18 the
    # centre is derived per candidate, 0.0300 at k_kill 2.0 vs 0.0259, and on the measured
    # dead-cell clearance that faster growth left patient 0 2.45 points shallower; 1.28 here).
    # Since session 27 (the measured effector contraction) the effector pool follows the antigen
    # load, so a faster kill of the visible cells also ends the response sooner and the escaped
    # clone regrows earlier: 2 of 11 patients are 3.9 and 0.6 points shallower at 2.0/day (the
    # mean is 54 points deeper), so the bound is 5 points
    free = {"k_byst": 0.0}
    vc = VirtualCohort(CohortDesign(n=12, rules=RULES, baseline=BaselineDisease()))
    grow = {"k_grow": typical_growth(vc.population, vc.tissue, free)}
    base = vc.simulate(grow, shared=free)
    stronger = vc.simulate(grow | {"k_kill": 2.0}, shared=free)
    keep = base["plausible"] & stronger["plausible"]
    assert keep.sum() >= 2
    deeper = stronger.loc[keep, "best_change_pct"]
    assert (deeper <= base.loc[keep, "best_change_pct"] + 5.0).all()
    assert deeper.mean() < base.loc[keep, "best_change_pct"].mean()


def test_shared_values_set_every_patient_and_unknown_names_are_refused() -> None:
    vc = VirtualCohort(CohortDesign(n=3, rules=RULES, baseline=BaselineDisease()))
    with pytest.raises(ValidationError, match="'nope' is not a model parameter"):
        vc.simulate(shared={"nope": 1.0})
    rows = vc.simulate(shared={"k_grow": 0.05})
    assert (rows["p_k_grow"] == 0.05).all()


def test_growth_centre_is_derived_at_each_candidates_immune_values() -> None:
    """Two candidates that differ only in k_kill meet different proliferation centres, and at
    each the typical untreated melanoma lesion doubles in the cited time (33 days until session
    32, 61 since; before session 18 both met the rate derived at qsp.yaml's k_kill 0.9); the
    patients carry that centre. Since session 27 (the measured effector contraction: fewer
    effectors, so per-cell kill matters less) the centre at 1.5 is 1.049 x the one at 0.9
    (asserted > 1.03; was > 1.05). Since session 31 the typical patient carries the baseline's
    median PD-L1-positive share: fewer PD-L1-positive cancer cells brake the kill less, so the
    centre is above the shipped rate, which is derived with every cancer cell positive."""
    from senotwin.model.qsp import TISSUES
    from senotwin.sim.tissue_growth import net_doubling_days

    vc = VirtualCohort(CohortDesign(n=3, rules=RULES, baseline=BaselineDisease()))

    def centre(values: dict[str, float]) -> float | None:
        return typical_growth(vc.population, vc.tissue, values, baseline=vc.design.baseline)

    grown = {kill: centre({"k_kill": kill}) for kill in (0.9, 1.5)}
    weak, strong = grown[0.9], grown[1.5]
    assert weak is not None and strong is not None
    assert strong > 1.03 * weak
    every_cell = centre({"k_kill": 0.9, "pdl1_share": 1.0})
    assert every_cell == pytest.approx(TISSUES["melanoma"].k_grow, rel=2e-3)  # the shipped one
    assert weak > 1.01 * every_cell
    share = vc.design.baseline.median_pdl1
    for kill, g in grown.items():
        assert net_doubling_days(
            "melanoma", g, {"k_kill": kill, "pdl1_share": share}
        ) == pytest.approx(TISSUES["melanoma"].doubling_days, rel=2e-3)
    assert centre({"k_kill": 1.5, "k_grow": 0.02}) is None  # an explicit centre wins
    # a population value that only the shared set holds counts too
    assert centre({"k_byst": 0.0}) != centre({"k_byst": 1.0})
    assert typical_growth(vc.population, None, {"k_kill": 1.5}) is None  # no tissue's rate
    fixed = replace(
        vc.population, priors=tuple(p for p in vc.population.priors if p.parameter != "k_grow")
    )
    assert typical_growth(fixed, vc.tissue) is None  # no k_grow prior to centre
    rows = vc.simulate({"k_kill": 1.5})
    expected = vc.values({"k_kill": 1.5, "k_grow": strong})["k_grow"]
    np.testing.assert_allclose(rows["p_k_grow"], expected, rtol=1e-12)
    assert not np.allclose(rows["p_k_grow"], vc.values({"k_kill": 1.5})["k_grow"])


def test_extinction_day_is_the_first_time_below_one_cell() -> None:
    from senotwin.analysis.endpoints import extinction_day

    t = np.array([0.0, 10.0, 20.0, 30.0])
    assert extinction_day(t, np.array([1e6, 5.0, 0.5, 1e3])) == 20.0  # later regrowth ignored
    assert extinction_day(t, np.array([1e6, 5.0, 2.0, 1e3])) == math.inf


def test_an_extinct_lesion_does_not_regrow_and_its_patient_lives_on() -> None:
    """One treated course by hand: the lesion grows 30 % by the first scan (PD), its live
    cancer cells fall below one cell on day 150, and the ODE regrows them from that remnant.
    Scored, the lesion keeps its smallest diameter after day 150 and the patient, progressed
    on day 84, dies at the pre-progression rate from day 150 instead of the post-progression
    rate (same uniform draw)."""
    from types import SimpleNamespace

    from senotwin.analysis.endpoints import extinction_day

    t = np.arange(0.0, 761.0, 3.0)
    live = np.where(
        t < 150, 1e9 * np.exp(-0.15 * np.maximum(t - 84, 0)), 1e-6 * np.exp(0.05 * (t - 150))
    )
    diameter = np.where(t <= 84, 30 * (1 + 0.3 * t / 84), np.maximum(39 - 0.2 * (t - 84), 5.0))
    diameter = np.where(t > 450, 5.0 + 0.2 * (t - 450), diameter)  # regrowth from the remnant
    out = SimpleNamespace(times=t, values=np.column_stack([live, np.zeros_like(t), diameter]))
    run = SimpleNamespace(columns=("C", "Ci", "diameter"))
    base = {"lesions_mm": [30.0], "n_lesions": 1, "ecog": 0.0, "u_new": 0.5, "u_death": 0.5}
    vc = VirtualCohort(CohortDesign(n=3, rules=RULES))
    row = vc._endpoints(run, out, base)  # type: ignore[arg-type]
    assert extinction_day(t, live) == row["extinction_day"] == 150.0
    assert row["best_response"] == "PD" and row["pfs_days"] == 84.0
    hazard = vc.design.hazard
    assert row["os_days"] == pytest.approx(
        min(hazard.death_day(84.0, 0.0, 0.5, cure_day=150.0), RULES.follow_days)
    )
    assert row["os_days"] > hazard.death_day(84.0, 0.0, 0.5)  # lives longer than progressing
    no_cure = np.maximum(live, 2.0)  # never below one cell: the ODE's course is scored as is
    kept = vc._endpoints(
        run,
        SimpleNamespace(times=t, values=np.column_stack([no_cure, np.zeros_like(t), diameter])),
        base,
    )  # type: ignore[arg-type]
    assert kept["os_days"] == pytest.approx(
        min(hazard.death_day(84.0, 0.0, 0.5), RULES.follow_days)
    )


def test_biopsy_pdl1_is_the_trait_times_its_ifng_induction() -> None:
    # the assay of a biopsy reads surface PD-L1 as it is then: the constitutive trait raised by
    # the lesion's IFN-gamma (qsp.yaml PDL1_d), between x1 and x pdl1_fold, higher where more
    # IFN-gamma is secreted (session 20: the trait alone was read, blind to adaptive resistance)
    vc = VirtualCohort(CohortDesign(n=4, rules=RULES, baseline=BaselineDisease()))
    rows = vc.simulate()
    fold = rows["pdl1_biopsy"] / rows["p_PDL1_per_C"]
    assert (fold > 1.01).all() and (fold < vc.spec.parameter("pdl1_fold").value).all()
    more = vc.simulate(shared={"s_ifng": 2.5 * vc.spec.parameter("s_ifng").value})
    assert (more["pdl1_biopsy"] > rows["pdl1_biopsy"] * 1.03).all()


def test_biopsy_pdl1_summary_counts_and_correlates_scored_patients() -> None:
    cd8 = np.arange(1.0, 10.0)
    rows = pd.DataFrame(
        {
            "plausible": [True] * 9 + [False],
            "best_response": ["PD", "SD", "PD", "SD", "PR", "PD", "CR", "PR", "CR", None],
            "cd8_score": [*cd8, 99.0],
            "pdl1_biopsy": [*(2.0 * 1e4 * cd8), 1.0],
            "p_PDL1_per_C": [*(1e4 * cd8), 1.0],
        }
    )
    s = biopsy_pdl1_summary(rows)
    assert s["patients"] == 9
    assert s["spearman_biopsy"] == pytest.approx(1.0) == s["spearman_trait"]
    assert s["responders_by_pdl1"] == [(0, 3), (1, 3), (3, 3)] == s["responders_by_cd8"]
    assert s["induction_fold"] == pytest.approx((2.0, 2.0, 2.0))
    with pytest.raises(ValidationError, match="needs >= 3 scored patients, got 0"):
        biopsy_pdl1_summary(rows.assign(plausible=False))


def test_reads_with_error_keep_the_exact_endpoints_and_add_read_columns() -> None:
    """read_cv > 0: the endpoint columns stay the exact read (the same as without read
    errors) and each patient gets ``reads`` reads; reads must be a whole number >= 1."""
    design = CohortDesign(n=4, rules=RULES, baseline=BaselineDisease())
    exact = VirtualCohort(design).simulate()
    read = VirtualCohort(replace(design, rules=replace(RULES, read_cv=0.05), reads=3)).simulate()
    cols = ["best_response", "best_change_pct", "pfs_days", "os_days"]
    pd.testing.assert_frame_equal(read[cols], exact[cols])
    ok = read["plausible"]
    assert all(len(r) == 3 for r in read.loc[ok, "read_best_response"])
    assert all(len(r) == 3 for r in read.loc[ok, "read_pfs_days"])
    for bad in (0, 1.5, True):
        with pytest.raises(ValidationError, match="reads"):
            CohortDesign(reads=bad)  # type: ignore[arg-type]


def test_a_patients_vectors_follow_initial_expressions_unless_the_amount_is_given() -> None:
    """The prepared trial runs start a species whose initial amount is an expression of
    parameters (a blood-count chain) at the patient's own values, as simulate() does."""
    from senotwin.model.compile import flatten
    from senotwin.model.scenarios import get_scenario
    from senotwin.model.schedule import Schedule
    from senotwin.sim.inputs import resolve
    from senotwin.therapy.language import apply_regimen
    from senotwin.trial.ici_cohort import _prepare

    spec = apply_regimen(get_scenario("default").load(), "nab-paclitaxel 125 mg/m2 iv d0").spec
    run = _prepare(spec, Schedule(), {}, {"anc": 3000.0}, 10.0, 5.0)
    anc, t3 = run.species["anc"], run.species["anc_t3"]
    p, y0 = VirtualCohort._vectors(run, {"anc_base": 2500.0}, {"anc_t1": 10.0})
    flat = flatten(spec)
    want = resolve(
        flat,
        params={"anc_base": 2500.0},
        initial={"anc": 3000.0, "anc_t1": 10.0},
        blocks=None,
        check_ranges=False,
    )
    np.testing.assert_array_equal(p, want.p)
    np.testing.assert_array_equal(y0, want.y0)
    assert (y0[anc], y0[run.species["anc_t1"]], y0[t3]) == (3000.0, 10.0, 2500.0)
