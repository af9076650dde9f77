"""Virtual populations: priors inside ranges, correlations, seeds per patient, plausibility."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy import stats

from senotwin._errors import ValidationError
from senotwin.cohort.plausible_fast import FastPlausibility
from senotwin.cohort.population import (
    CHEMO_KILL_SIGMA,
    LUNG_GROWTH_SIGMA,
    CandidateSampler,
    Correlation,
    Plausibility,
    PopulationSpec,
    Prior,
    check_plausible,
    check_population,
    draw_patient,
    draw_patients,
    inclusion_mask,
    patient_rng,
    population_for,
    qsp_population,
    sample_candidate,
    tme_population,
    with_prior_spread,
)
from senotwin.model.scenarios import get_scenario
from senotwin.model.tme import load_tme


@pytest.fixture(scope="module")
def default():
    sc = get_scenario("legacy_default")
    return sc.load(), dict(sc.params), dict(sc.initial)


def test_patient_streams_are_the_spawned_children() -> None:
    children = np.random.SeedSequence(7).spawn(5)
    for i, child in enumerate(children):
        a = np.random.Generator(np.random.PCG64(child)).random(3)
        assert np.array_equal(patient_rng(7, i).random(3), a)
    assert not np.array_equal(patient_rng(7, 0).random(3), patient_rng(7, 1).random(3))


def test_samples_respect_ranges_and_lognormal_median(default) -> None:
    spec, params, _ = default
    pop = tme_population(age="aged")
    check_population(spec, pop)
    rng = np.random.default_rng(3)
    draws = [sample_candidate(spec, pop, params, rng) for _ in range(400)]
    for prior in pop.priors:
        lo, hi = spec.parameter(prior.parameter).range
        vals = np.array([d[prior.parameter] for d in draws])
        assert vals.min() >= lo and vals.max() <= hi
    r_t = np.array([d["r_T"] for d in draws])
    # median of a lognormal = its centre (the scenario value), within sampling error
    assert abs(np.median(r_t) / params["r_T"] - 1) < 0.08


def test_correlated_immune_aging_traits(default) -> None:
    spec, params, _ = default
    pop = tme_population(age="aged")
    rng = np.random.default_rng(11)
    draws = [sample_candidate(spec, pop, params, rng) for _ in range(600)]
    nk = np.log([d["nk_func_age"] for d in draws])
    t = np.log([d["t_func_age"] for d in draws])
    growth = np.log([d["r_T"] for d in draws])
    assert stats.pearsonr(nk, t)[0] == pytest.approx(0.5, abs=0.1)
    assert abs(stats.pearsonr(nk, growth)[0]) < 0.12


def test_young_hosts_vary_less_than_aged(default) -> None:
    young = {p.parameter: p.spread for p in tme_population(age="young").priors}
    aged = {p.parameter: p.spread for p in tme_population(age="aged").priors}
    assert young["nk_func_age"] < aged["nk_func_age"]
    assert young["r_T"] == aged["r_T"]


def test_bad_population_is_rejected(default) -> None:
    spec, _, _ = default
    with pytest.raises(ValidationError, match="unknown parameter"):
        check_population(spec, PopulationSpec((Prior("nope"),)))
    bad = PopulationSpec(
        (Prior("r_T"), Prior("K_T"), Prior("k_tis")),
        (
            Correlation("r_T", "K_T", 0.9, "x"),
            Correlation("K_T", "k_tis", 0.9, "x"),
            Correlation("r_T", "k_tis", -0.9, "x"),
        ),
    )
    with pytest.raises(ValidationError, match="positive definite"):
        check_population(spec, bad)
    with pytest.raises(ValidationError, match="distribution"):
        Prior("r_T", "gamma")  # type: ignore[arg-type]


def test_a_definition_gets_no_prior() -> None:
    """A prior on a unit conversion drew patients with another litre (audit, session 41)."""
    spec = get_scenario("default").load()
    pop = PopulationSpec((Prior("mL_per_L", "lognormal", 0.3, low=500.0, high=2000.0),))
    with pytest.raises(
        ValidationError, match=r"mL_per_L is a definition .* it cannot be given a prior"
    ):
        check_population(spec, pop)


def test_plausibility_filter_measures_doubling_time(default) -> None:
    spec, params, initial = default
    plaus = Plausibility(days=56.0)
    ok = check_plausible(spec, plaus, params, initial)
    assert ok.passed, ok.reason
    # untreated burden grows: doubling from the simulated burden must match the check
    from senotwin.sim import simulate

    res = simulate(
        spec,
        params=params | {"stress_src": 0.0},
        initial=initial | {"stress": 0.0},
        t_end=56.0,
        t_eval=[0.0, 56.0],
    )
    b = res.table["tumour_burden"].to_numpy()
    assert ok.doubling_days == pytest.approx(56 * math.log(2) / math.log(b[1] / b[0]), rel=1e-9)
    slow = check_plausible(spec, plaus, params | {"r_T": 0.002}, initial)
    assert not slow.passed and "doubling" in slow.reason


def test_draw_patient_is_deterministic_and_plausible(default) -> None:
    spec, params, initial = default
    pop = tme_population()
    kw = {"base_params": params, "base_initial": initial, "seed": 5}
    a = draw_patient(spec, pop, index=3, **kw)
    b = draw_patient(spec, pop, index=3, **kw)
    c = draw_patient(spec, pop, index=4, **kw)
    assert a == b
    assert a.params != c.params
    assert a.plausible and a.tries >= 1
    lo, hi = pop.plausibility.doubling_days if pop.plausibility else (0, 0)
    assert lo <= a.doubling_days <= hi


def test_inclusion_matches_a_target_distribution() -> None:
    rng = np.random.default_rng(0)
    pool = rng.uniform(0.0, 10.0, 5_000)  # the KDE costs O(n²); 5,000 keep ~1,300 patients
    target = stats.norm(4.0, 1.0)
    keep = inclusion_mask(pool, target, rng=np.random.default_rng(1))
    sel = pool[keep]
    assert sel.mean() == pytest.approx(4.0, abs=0.1)
    assert sel.std() == pytest.approx(1.0, abs=0.1)
    assert stats.kstest(sel, target.cdf).statistic < 0.05
    with pytest.raises(ValidationError):
        inclusion_mask(np.array([1.0, 2.0]), target, rng=rng)


def test_tme_spec_has_every_preset_parameter() -> None:
    spec = load_tme()
    check_population(spec, tme_population(age="young"))


def test_default_model_population_spans_each_declared_range() -> None:
    sc = get_scenario("default")
    spec, params = sc.load(), dict(sc.params)
    pop = population_for(spec, age="aged")
    assert pop == qsp_population(age="aged")
    check_population(spec, pop)
    rng = np.random.default_rng(4)
    draws = [sample_candidate(spec, pop, params, rng) for _ in range(400)]
    for prior in pop.priors:
        lo, hi = spec.parameter(prior.parameter).range
        vals = np.array([d[prior.parameter] for d in draws])
        assert vals.min() >= lo and vals.max() <= hi, prior.parameter
    # PD-L1 is log-uniform over its cited range: ln-values uniform between the ends
    lo, hi = spec.parameter("PDL1_per_C").range
    u = (np.log([d["PDL1_per_C"] for d in draws]) - math.log(lo)) / math.log(hi / lo)
    assert stats.kstest(u, "uniform").statistic < 0.08
    # the growth rate is lognormal around the scenario's (tissue) value
    k = np.array([d["k_grow"] for d in draws])
    assert abs(np.median(k) / params["k_grow"] - 1) < 0.1


SOURCES = Path(__file__).resolve().parents[2] / "docs" / "quantitative-sources.yaml"


def test_growth_and_chemotherapy_spreads_are_the_recorded_estimates() -> None:
    """The between-patient spreads of growth and chemotherapy kill are the numbers recorded in
    docs/quantitative-sources.yaml: the CT-series doubling-time spread and the SD of ln KDE of
    the NSCLC TGI fit that sets the kill per exposure."""
    if not SOURCES.is_file():
        pytest.skip("docs/quantitative-sources.yaml is not part of this checkout")
    entries = {e["id"]: e for e in yaml.safe_load(SOURCES.read_text(encoding="utf-8"))["entries"]}
    spread = entries["nsclc_vdt_spread"]["derived_value"]["sigma_ln_mean"]
    assert pytest.approx(spread, abs=0.005) == LUNG_GROWTH_SIGMA
    kde = entries["tgi_kill_nsclc_platinum_doublet"]["value"]["sd_ln_KDE"]
    assert pytest.approx(kde) == CHEMO_KILL_SIGMA
    priors = {p.parameter: p.spread for p in qsp_population().priors}
    assert priors["k_tis"] == priors["k_cyto"] == CHEMO_KILL_SIGMA


def test_a_prior_spread_can_be_replaced_and_bad_ones_are_refused() -> None:
    pop = qsp_population()
    wider = with_prior_spread(pop, "k_grow", 0.9, "why")
    prior = {p.parameter: p for p in wider.priors}
    assert prior["k_grow"].spread == 0.9 and prior["k_grow"].rationale == "why"
    assert [p for p in wider.priors if p.parameter != "k_grow"] == [
        p for p in pop.priors if p.parameter != "k_grow"
    ]
    with pytest.raises(ValidationError, match="k_grow"):
        with_prior_spread(pop, "k_grow", -1.0, "why")
    with pytest.raises(ValidationError, match="no prior of 'C_max'"):
        with_prior_spread(pop, "C_max", 0.3, "why")


def test_default_model_patient_is_plausible() -> None:
    sc = get_scenario("default")
    spec = sc.load()
    pop = qsp_population()
    kw = {"base_params": dict(sc.params), "base_initial": dict(sc.initial), "seed": 5}
    a = draw_patient(spec, pop, index=2, **kw)
    assert a == draw_patient(spec, pop, index=2, **kw)
    assert a.plausible and 15.0 <= a.doubling_days <= 730.0
    assert population_for(load_tme()) == tme_population()


# ---- trial patients: baseline disease and probability-of-inclusion selection ----------------
from dataclasses import replace  # noqa: E402

from senotwin.cohort.baseline import (  # noqa: E402
    LUNG_TPS_BINS,
    BaselineDisease,
    baseline_overrides,
    check_tps_bins,
    draw_baseline,
    escaped_share,
    pdl1_pool_shares,
    selection_weights,
    tps_cdf,
    tps_quantile,
)
from senotwin.cohort.population import select_population  # noqa: E402

TRIAL_BASE = BaselineDisease(
    sld_median_mm=110.0,
    pdl1_positive_share=0.8,
    ecog1_share=0.65,
    age_median=64.0,
    age_range=(26.0, 90.0),
)


def test_baseline_lesions_are_measurable_and_add_up() -> None:
    for i in range(300):
        b = draw_baseline(TRIAL_BASE, patient_rng(3, i))
        lesions = np.asarray(b["lesions_mm"])
        assert 1 <= lesions.size <= 5 and b["n_target"] == lesions.size
        assert np.all(lesions >= 10.0 - 1e-9)
        assert lesions.sum() == pytest.approx(b["sld_mm"])
        assert b["n_lesions"] == b["n_target"] + b["n_nontarget"]
        assert b["pdl1_positive"] == int(b["pdl1"] >= TRIAL_BASE.pdl1_threshold)


def test_selection_matches_the_trial_baseline_and_is_recorded() -> None:
    pop = replace(qsp_population(), baseline=TRIAL_BASE)
    sel = select_population(pop, 400, seed=5)
    base = [draw_baseline(TRIAL_BASE, patient_rng(5, i)) for i in sel.selected]
    pool = [draw_baseline(TRIAL_BASE, patient_rng(5, i)) for i in range(400)]
    # the pool is far from the trial (PD-L1+ 68 %, SLD median 80 mm, ECOG 1 50 %)
    assert np.mean([b["pdl1_positive"] for b in base]) == pytest.approx(0.8, abs=0.05)
    assert np.mean([b["ecog"] for b in base]) == pytest.approx(0.65, abs=0.06)
    assert np.median([b["sld_mm"] for b in base]) == pytest.approx(110.0, rel=0.12)
    assert np.median([b["sld_mm"] for b in pool]) < 95.0
    assert np.median([b["age"] for b in base]) == pytest.approx(64.0, abs=3.0)
    assert len(sel.selected) == 400 and len(set(sel.selected)) == 400
    assert sel.describe()["selected"] == list(sel.selected)
    assert sel.selection is not None and 0 < sel.selection["acceptance_rate"] < 1
    assert select_population(pop, 400, seed=5).selected == sel.selected  # reproducible


def test_selection_too_large_for_its_pool_is_refused_before_drawing(monkeypatch) -> None:
    from senotwin.cohort import population

    def never(*_a: object, **_k: object) -> None:
        raise AssertionError("the pool was drawn")

    monkeypatch.setattr(population, "draw_baseline", never)
    pop = replace(qsp_population(), baseline=TRIAL_BASE)
    n = population.MAX_SELECTION_POOL // 20 + 1
    with pytest.raises(ValidationError, match=f"selecting n = {n:,} trial patients draws a pool"):
        select_population(pop, n, seed=0)


def test_selection_weights_ignore_traits_without_a_target() -> None:
    pool = [draw_baseline(BaselineDisease(), patient_rng(1, i)) for i in range(50)]
    assert np.all(selection_weights(BaselineDisease(), pool) == 1.0)


def test_selection_needs_a_baseline_and_feasible_targets() -> None:
    with pytest.raises(ValidationError, match="baseline"):
        select_population(qsp_population(), 10, seed=0)
    far = replace(qsp_population(), baseline=BaselineDisease(sld_median_mm=390.0, sld_sigma=0.05))
    with pytest.raises(ValidationError, match="fewer than n"):
        select_population(far, 50, seed=0, max_pool=1000)
    with pytest.raises(ValidationError, match="ecog1_share"):
        BaselineDisease(ecog1_share=1.5)


def test_trial_patient_starts_from_its_mean_lesion_and_pdl1() -> None:
    spec = get_scenario("aged_lung_untreated").load()
    sc = get_scenario("aged_lung_untreated")
    pop = select_population(
        replace(qsp_population(), baseline=TRIAL_BASE, plausibility=None), 3, seed=2
    )
    vp = draw_patient(
        spec, pop, base_params=dict(sc.params), base_initial=dict(sc.initial), seed=2, index=1
    )
    b = draw_baseline(TRIAL_BASE, patient_rng(2, pop.selected[1]))
    assert vp.baseline == b
    fixed, initial = baseline_overrides(spec, TRIAL_BASE, b)
    mean_ml = np.mean(math.pi / 6 * np.asarray(b["lesions_mm"]) ** 3) / 1000
    cells = min(mean_ml * 2.06e8, 0.5 * spec.parameter("C_max").value)
    assert initial["C"] + initial["Ci"] == pytest.approx(cells)
    mu = spec.parameter("mu_esc").value  # the escaped daughters of the lesion's history
    assert initial["Ci"] == pytest.approx(cells * escaped_share(mu, cells))
    assert vp.initial == initial and vp.params["pdl1_share"] == fixed["pdl1_share"]


def test_trial_patient_cd8_scales_with_the_lesion_and_its_infiltration() -> None:
    spec = get_scenario("aged_lung_untreated").load()
    start = {s.id: s.initial for s in spec.species}
    b = draw_baseline(TRIAL_BASE, patient_rng(4, 0))
    _, initial = baseline_overrides(spec, TRIAL_BASE, b)
    cells = initial["C"] + initial["Ci"]
    per_cell = start["T8"] / start["C"]
    assert initial["T8"] == pytest.approx(per_cell * cells * b["cd8_infiltration"])
    x_per_cell = start["T8x"] / start["C"]
    assert initial["T8x"] == pytest.approx(x_per_cell * cells * b["cd8_infiltration"])
    # a patient drawn without the factor (an older record) keeps the scenario's CD8 per cell
    legacy = {k: v for k, v in b.items() if k != "cd8_infiltration"}
    assert baseline_overrides(spec, TRIAL_BASE, legacy)[1]["T8"] == pytest.approx(per_cell * cells)


def test_escaped_share_is_the_neutral_luria_delbrueck_mean() -> None:
    assert escaped_share(2e-7, 2.0**30) == pytest.approx(6e-6)
    assert escaped_share(0.0, 1e9) == 0.0 and escaped_share(0.5, 2.0**40) == 1.0
    assert escaped_share(1e-3, 1.0) == 0.0
    with pytest.raises(ValidationError, match="escape probability"):
        escaped_share(-1e-3, 1e9)


def test_no_escape_parameter_no_escaped_cells() -> None:
    spec = get_scenario("aged_lung_untreated").load()
    b = draw_baseline(TRIAL_BASE, patient_rng(4, 0))
    _, initial = baseline_overrides(spec, replace(TRIAL_BASE, escape_param="none"), b)
    assert "Ci" not in initial


def test_cd8_infiltration_spreads_without_moving_the_other_draws() -> None:
    flat = replace(TRIAL_BASE, cd8_sigma=0.0)
    wide = [draw_baseline(TRIAL_BASE, patient_rng(6, i)) for i in range(400)]
    same = [draw_baseline(flat, patient_rng(6, i)) for i in range(400)]
    assert all(b["cd8_infiltration"] == 1.0 for b in same)
    for a, b in zip(wide, same, strict=True):
        assert {k: v for k, v in a.items() if k != "cd8_infiltration"} == {
            k: v for k, v in b.items() if k != "cd8_infiltration"
        }
    logs = np.log([b["cd8_infiltration"] for b in wide])
    assert abs(np.median(logs)) < 0.15 and np.std(logs) == pytest.approx(1.0, rel=0.12)
    with pytest.raises(ValidationError, match="cd8_sigma"):
        BaselineDisease(cd8_sigma=-1.0)


def test_pdl1_drawn_jointly_with_cd8_keeps_its_marginal() -> None:
    """PD-L1 follows the CD8 infiltration factor (copula rho); the pool's PD-L1 shares stay
    those of the log-uniform range, so selection weights remain exact."""
    from scipy import stats

    joint = BaselineDisease(cd8_pdl1_rho=0.7, cd8_median=2.0, cd8_sigma=0.5)
    draws = [draw_baseline(joint, patient_rng(11, i)) for i in range(3000)]
    cd8 = np.array([b["cd8_infiltration"] for b in draws])
    pdl1 = np.array([b["pdl1"] for b in draws])
    expected = 6.0 / np.pi * np.arcsin(0.7 / 2.0)  # Spearman of a Gaussian copula
    assert stats.spearmanr(cd8, pdl1).statistic == pytest.approx(expected, abs=0.04)
    assert np.median(cd8) == pytest.approx(2.0, rel=0.05)
    assert np.log(cd8).std() == pytest.approx(0.5, rel=0.05)
    neg, _, high = pdl1_pool_shares(joint)
    assert np.mean(pdl1 < joint.pdl1_threshold) == pytest.approx(neg, abs=0.025)
    assert np.mean(pdl1 >= joint.pdl1_high_threshold) == pytest.approx(high, abs=0.025)
    indep = [draw_baseline(BaselineDisease(), patient_rng(11, i)) for i in range(300)]
    assert (
        abs(
            stats.spearmanr(
                [b["cd8_infiltration"] for b in indep], [b["pdl1"] for b in indep]
            ).statistic
        )
        < 0.15
    )


def test_selection_matches_reported_pdl1_strata() -> None:
    """KEYNOTE-189-like strata: TPS >= 1 % 63 %, >= 50 % 33 % (pool: 72 % and 35 %)."""
    bd = BaselineDisease(pdl1_positive_share=0.63, pdl1_high_share=0.2, cd8_pdl1_rho=0.5)
    sel = select_population(replace(qsp_population(), baseline=bd), 1500, seed=2)
    base = [draw_baseline(bd, patient_rng(2, i)) for i in sel.selected]
    assert np.mean([b["pdl1_positive"] for b in base]) == pytest.approx(0.63, abs=0.035)
    assert np.mean([b["pdl1_high"] for b in base]) == pytest.approx(0.2, abs=0.03)
    assert all(b["pdl1_high"] == int(b["pdl1"] >= bd.pdl1_high_threshold) for b in base)
    assert all(b["pdl1_stratum"] == b["pdl1_positive"] + b["pdl1_high"] for b in base)


def test_immune_cell_pdl1_reproduces_the_measured_tc_ic_crosstable() -> None:
    """PCD4989g-like TNBC (SP142): TC >= 1 % in 13 %, IC >= 1 % in 56 %, both in 10 %; the
    derived score correlation 0.338 gives that table. The status draws from a child stream of its
    own, so every other draw of a patient is unchanged, and a patient without the option has no
    immune-cell status."""
    from senotwin.trial.tissue import get_tissue

    tnbc = get_tissue("tnbc")
    plain = BaselineDisease(pdl1_bins=tnbc.tps_bins, cd8_pdl1_rho=tnbc.cd8_pdl1_rho)
    bd = replace(plain, pdl1_ic_share=0.56, pdl1_ic_rho=0.338)
    base = [draw_baseline(bd, patient_rng(5, i)) for i in range(6000)]
    ic = np.array([b["pdl1_ic_positive"] for b in base])
    tc = np.array([b["pdl1_positive"] for b in base])
    assert ic.mean() == pytest.approx(0.56, abs=0.02)
    assert tc.mean() == pytest.approx(0.133, abs=0.015)
    assert np.mean(ic * tc) == pytest.approx(0.10, abs=0.012)
    same = draw_baseline(plain, patient_rng(5, 0))
    assert "pdl1_ic_positive" not in same
    assert {k: v for k, v in base[0].items() if k != "pdl1_ic_positive"} == same
    independent = replace(plain, pdl1_ic_share=0.56, pdl1_ic_rho=0.0)
    ic0 = np.array(
        [draw_baseline(independent, patient_rng(5, i))["pdl1_ic_positive"] for i in range(6000)]
    )
    assert np.mean(ic0 * tc) == pytest.approx(0.56 * 0.133, abs=0.012)
    for bad in (
        {"pdl1_ic_share": 1.2, "pdl1_ic_rho": 0.3},
        {"pdl1_ic_share": 0.4},
        {"pdl1_ic_rho": 0.3},
    ):
        with pytest.raises(ValidationError, match="pdl1_ic"):
            BaselineDisease(**bad)  # type: ignore[arg-type]


def test_immune_cell_pdl1_can_track_the_cd8_factor() -> None:
    """With pdl1_ic_cd8_rho the immune-cell score correlates that much with the CD8 factor (on
    the normal scale) while keeping its correlation with the cancer-cell score and its share;
    without it the link runs through the cancer-cell share only (pdl1_ic_rho x cd8_pdl1_rho);
    impossible correlations are refused by name."""
    from scipy import special

    from senotwin.cohort.baseline import ic_weights
    from senotwin.trial.tissue import get_tissue

    tnbc = get_tissue("tnbc")
    rho_c = tnbc.cd8_pdl1_rho
    a, b, c = ic_weights(0.338, 0.6, rho_c)
    assert a + b * rho_c == pytest.approx(0.338) and a * rho_c + b == pytest.approx(0.6)
    assert a * a + b * b + 2 * a * b * rho_c + c * c == pytest.approx(1.0)
    plain = BaselineDisease(pdl1_bins=tnbc.tps_bins, cd8_pdl1_rho=rho_c)
    linked = replace(plain, pdl1_ic_share=0.41, pdl1_ic_rho=0.338, pdl1_ic_cd8_rho=0.6)
    through = replace(plain, pdl1_ic_share=0.41, pdl1_ic_rho=0.338)
    n = 6000
    for bd, want in ((linked, 0.6), (through, 0.338 * rho_c)):
        base = [draw_baseline(bd, patient_rng(7, i)) for i in range(n)]
        ic = np.array([x["pdl1_ic_positive"] for x in base], dtype=float)
        z_cd8 = np.log([x["cd8_infiltration"] for x in base]) / plain.cd8_sigma
        assert ic.mean() == pytest.approx(0.41, abs=0.02)
        # point-biserial correlation of a thresholded normal: rho x phi(t) / sqrt(p (1 - p))
        t = special.ndtri(1 - 0.41)
        expect = want * math.exp(-t * t / 2) / math.sqrt(2 * math.pi) / math.sqrt(0.41 * 0.59)
        assert np.corrcoef(ic, z_cd8)[0, 1] == pytest.approx(expect, abs=0.04)
    same = draw_baseline(through, patient_rng(7, 0))
    assert {k: v for k, v in same.items() if k != "pdl1_ic_positive"} == {
        k: v for k, v in draw_baseline(linked, patient_rng(7, 0)).items() if k != "pdl1_ic_positive"
    }
    with pytest.raises(ValidationError, match="positive-definite"):
        replace(plain, pdl1_ic_share=0.41, pdl1_ic_rho=0.9, pdl1_ic_cd8_rho=-0.9)
    with pytest.raises(ValidationError, match="pdl1_ic_cd8_rho"):
        BaselineDisease(pdl1_ic_cd8_rho=0.5)


def test_baseline_rejects_inconsistent_pdl1_strata_and_correlation() -> None:
    with pytest.raises(ValidationError, match="pdl1_high_share"):
        BaselineDisease(pdl1_positive_share=0.3, pdl1_high_share=0.4)
    with pytest.raises(ValidationError, match="pdl1_high_share"):
        BaselineDisease(pdl1_high_share=0.4)
    with pytest.raises(ValidationError, match="cd8_pdl1_rho"):
        BaselineDisease(cd8_pdl1_rho=1.0)
    with pytest.raises(ValidationError, match="cd8_median"):
        BaselineDisease(cd8_median=0.0)
    with pytest.raises(ValidationError, match="pdl1_high_threshold"):
        BaselineDisease(pdl1_high_threshold=5.0e3)


def _one_trait_at_a_time(spec, pop, base, rng) -> dict[str, float]:
    """sample_candidate as it was written before the vectorised sampler (the reference)."""
    from scipy import special

    chol = np.linalg.cholesky(_corr(pop))
    bounds = []
    for p in pop.priors:
        r = spec.parameter(p.parameter).range
        bounds.append(
            (
                p.low if p.low is not None else (r[0] if r else -math.inf),
                p.high if p.high is not None else (r[1] if r else math.inf),
            )
        )
    centres = [
        p.centre
        if p.centre is not None
        else base.get(p.parameter, spec.parameter(p.parameter).value)
        for p in pop.priors
    ]
    values = np.zeros(len(pop.priors))
    for _ in range(100):
        z = chol @ rng.standard_normal(len(pop.priors))
        for k, (prior, (lo, hi), c) in enumerate(zip(pop.priors, bounds, centres, strict=True)):
            if prior.distribution == "lognormal":
                values[k] = c * math.exp(prior.spread * z[k]) if c > 0 else c
            else:
                u = float(special.ndtr(z[k]))
                if prior.distribution == "uniform":
                    values[k] = lo + u * (hi - lo)
                else:
                    values[k] = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
        if all(lo <= v <= hi for v, (lo, hi) in zip(values, bounds, strict=True)):
            break
    values = np.array([min(max(v, lo), hi) for v, (lo, hi) in zip(values, bounds, strict=True)])
    return {p.parameter: float(v) for p, v in zip(pop.priors, values, strict=True)}


def _corr(pop):
    names = [p.parameter for p in pop.priors]
    corr = np.eye(len(names))
    for c in pop.correlations:
        i, j = names.index(c.a), names.index(c.b)
        corr[i, j] = corr[j, i] = c.rho
    return corr


def test_vectorised_sampler_gives_the_one_at_a_time_numbers_bit_for_bit() -> None:
    sc = get_scenario("default")
    spec, base = sc.load(), dict(sc.params)
    pop = qsp_population()
    # every distribution, and a bound tight enough that some patients are redrawn
    extra = (
        Prior("k_kill", "uniform", low=0.5, high=2.0),
        Prior("k_tis", "loguniform", low=0.05, high=0.5),
    )
    names = {p.parameter for p in extra}
    priors = tuple(p for p in pop.priors if p.parameter not in names) + extra
    pop = replace(pop, priors=priors, plausibility=None)
    rngs = [patient_rng(9, i) for i in range(60)]
    rows = CandidateSampler.of(spec, pop, base).draw(rngs)
    sampler = CandidateSampler.of(spec, pop, base)
    for i, row in enumerate(rows):
        assert sampler.as_dict(row) == _one_trait_at_a_time(spec, pop, base, patient_rng(9, i))
        # the streams were used exactly as far as one at a time uses them
        ref = patient_rng(9, i)
        _one_trait_at_a_time(spec, pop, base, ref)
        assert rngs[i].random() == ref.random()


def test_patients_drawn_together_are_those_drawn_one_at_a_time() -> None:
    sc = get_scenario("aged_lung_untreated")
    spec = sc.load()
    pop = select_population(replace(qsp_population(), baseline=TRIAL_BASE), 6, seed=3)
    kw = {"base_params": dict(sc.params), "base_initial": dict(sc.initial), "seed": 3}
    together = draw_patients(spec, pop, indices=[4, 0, 5], engine="fast", **kw)
    for vp in together:
        alone = draw_patients(spec, pop, indices=[vp.index], engine="fast", **kw)[0]
        assert vp == alone
    assert [vp.index for vp in together] == [4, 0, 5]


def test_fast_plausibility_check_is_check_plausible_on_the_fast_engine() -> None:
    sc = get_scenario("default")
    spec, base, initial = sc.load(), dict(sc.params), dict(sc.initial)
    pop = qsp_population()
    assert pop.plausibility is not None
    check = FastPlausibility(spec, pop.plausibility)
    sampler = CandidateSampler.of(spec, pop, base)
    rows = sampler.draw([patient_rng(2, i) for i in range(8)])
    verdicts = []
    for row in rows:
        cand = base | sampler.as_dict(row)
        fast = check(cand, initial)
        assert fast == check_plausible(spec, pop.plausibility, cand, initial, engine="fast")
        verdicts.append(fast.passed)
    slow_growth = base | {"k_grow": 1e-4}
    fast = check(slow_growth, initial)
    assert not fast.passed and "doubling" in fast.reason
    assert fast == check_plausible(spec, pop.plausibility, slow_growth, initial, engine="fast")
    # a name simulate() must judge goes to check_plausible itself (same error)
    with pytest.raises(ValidationError, match="unknown parameter"):
        check(base | {"no_such": 1.0}, initial)


INVISIBLE = ((0.75, 0.0, 0.0), (0.25, 0.76, 1.0))


def test_invisible_share_splits_the_lesion_without_moving_the_other_draws() -> None:
    spec = get_scenario("aged_lung_untreated").load()
    with_inv = replace(TRIAL_BASE, invisible_classes=INVISIBLE)
    drawn = [draw_baseline(with_inv, patient_rng(8, i)) for i in range(400)]
    plain = [draw_baseline(TRIAL_BASE, patient_rng(8, i)) for i in range(400)]
    for a, b in zip(drawn, plain, strict=True):
        assert {k: v for k, v in a.items() if k != "invisible"} == {
            k: v for k, v in b.items() if k != "invisible"
        }
        assert b["invisible"] == 0.0
    shares = np.array([d["invisible"] for d in drawn])
    hard = shares > 0
    assert 0.18 < hard.mean() < 0.32  # the class share 0.25
    assert shares[hard].min() >= 0.76 and shares.max() <= 1.0
    k = int(np.argmax(hard))
    _, split_ = baseline_overrides(spec, with_inv, drawn[k])
    _, whole = baseline_overrides(spec, TRIAL_BASE, plain[k])
    cells = whole["C"] + whole["Ci"]
    escaped = whole["Ci"] / cells  # history's escaped daughters, in both
    assert split_["Ci"] == pytest.approx(cells * (shares[k] + (1 - shares[k]) * escaped))
    assert split_["C"] + split_["Ci"] == pytest.approx(cells)
    assert split_["T8"] == pytest.approx(whole["T8"])  # CD8 follows all cancer cells


@pytest.mark.parametrize(
    ("classes", "match"),
    [
        (((0.5, 0.0, 0.0), (0.4, 0.8, 1.0)), "add up to 0.9"),
        (((1.0, 0.6, 0.2),), "low <= high"),
        (((1.2, 0.0, 0.0), (-0.2, 0.0, 1.0)), "share of patients"),
    ],
)
def test_invisible_classes_are_checked(classes: tuple, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        replace(TRIAL_BASE, invisible_classes=classes)


def test_invisible_share_needs_the_invisible_species() -> None:
    spec = get_scenario("aged_lung_untreated").load()
    b = draw_baseline(TRIAL_BASE, patient_rng(8, 0)) | {"invisible": 0.9}
    bd = replace(TRIAL_BASE, invisible_species="nope")
    with pytest.raises(ValidationError, match="'nope'"):
        baseline_overrides(spec, bd, b)


def test_every_lesion_has_its_own_growth_deviation_drawn_once_per_patient() -> None:
    """One standard-normal draw per target and non-target lesion (read by the trial endpoints'
    lesion-level growth spread): reproducible from the patient's stream, so every arm sees the
    same lesions, and spread like a standard normal over a pool."""
    pool = [draw_baseline(TRIAL_BASE, patient_rng(11, i)) for i in range(400)]
    for b in pool[:20]:
        assert len(b["lesion_z"]) == b["n_target"]
        assert len(b["nontarget_z"]) == b["n_nontarget"]
    assert draw_baseline(TRIAL_BASE, patient_rng(11, 7)) == pool[7]
    z = np.concatenate([np.r_[b["lesion_z"], b["nontarget_z"]] for b in pool])
    assert z.size > 800
    assert abs(float(np.mean(z))) < 0.1 and float(np.std(z)) == pytest.approx(1.0, abs=0.08)


@pytest.mark.parametrize(
    ("bins", "match"),
    [
        (((0.001, 0.01, 0.5), (0.02, 1.0, 0.5)), "contiguous"),
        (((0.001, 0.01, 0.5), (0.01, 1.0, 0.4)), "add up to 0.9"),
        (((0.01, 0.001, 1.0),), "lowest < highest"),
        (((0.0, 1.0, 1.0),), "0 < lowest"),
    ],
)
def test_tps_bins_are_checked(bins: tuple, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        check_tps_bins(bins)
    with pytest.raises(ValidationError, match=match):
        BaselineDisease(pdl1_bins=bins)


def test_pdl1_share_is_drawn_with_its_tissue_strata_and_the_typical_share_is_the_median() -> None:
    """The PD-L1-positive share (TPS / 100) follows the bins' measured strata; the pool shares
    the selection divides by are the bins' exactly; a stratum without pool patients cannot be
    selected on."""
    for u in (0.05, 0.357, 0.5, 0.9, 0.99):
        assert tps_cdf(LUNG_TPS_BINS, tps_quantile(LUNG_TPS_BINS, u)) == pytest.approx(u)
    melanoma = ((0.001, 0.01, 0.459), (0.01, 0.05, 0.103), (0.05, 0.5, 0.3), (0.5, 1.0, 0.139))
    bd = BaselineDisease(pdl1_bins=melanoma)
    assert pdl1_pool_shares(bd) == pytest.approx((0.459 / 1.001, 0.403 / 1.001, 0.139 / 1.001))
    assert 0.01 < bd.median_pdl1 < 0.05  # 46 % below 1 %, 10 % at 1-4 %
    share = np.array([draw_baseline(bd, patient_rng(5, i))["pdl1"] for i in range(600)])
    assert np.mean(share < 0.01) == pytest.approx(0.459, abs=0.05)
    assert np.mean(share >= 0.5) == pytest.approx(0.139, abs=0.04)
    assert share.min() >= 0.001 and share.max() <= 1.0
    with pytest.raises(ValidationError, match="no pool patient"):
        BaselineDisease(pdl1_bins=((0.001, 0.01, 1.0), (0.01, 1.0, 0.0)), pdl1_positive_share=0.5)


def test_fast_plausibility_starts_a_candidate_at_its_own_initial_amounts() -> None:
    """A species whose initial amount is an expression of parameters starts at the candidate's
    value on the prepared path, as check_plausible's simulate() starts it."""
    from senotwin.model.io import spec_from_dict
    from tests.model.test_initial_expression import STEADY

    spec = spec_from_dict(STEADY)
    plaus = Plausibility(
        days=20.0,
        doubling_days=(1.0, 1e6),
        bounds=(("level", 0.0, 1e9),),
        burden="level",
        untreated_params=(),
        untreated_initial=(),
    )
    check = FastPlausibility(spec, plaus)
    for cand, initial in (({"s": 40.0}, {}), ({"s": 40.0}, {"X": 100.0})):
        fast = check(cand, initial)
        assert fast == check_plausible(spec, plaus, cand, initial, engine="fast")
    assert check({"s": 40.0}, {}).values["level"] == pytest.approx(400.0, rel=1e-9)
