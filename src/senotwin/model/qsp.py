"""The TME model in physical units (``qsp.yaml``, issue 11) and its named scenarios.

The default model (the relative-units ``tme.yaml`` stays as the legacy model): cells as cell
numbers, cytokines as concentrations, tumour / blood / lymph-node compartments, PD-1/PD-L1 as
synapse complexes. ``load_qsp()`` returns the validated spec. Contexts (tissue growth rates from
cited doubling times, host age, inducer) are parameter and initial-state overrides; the scenario
registry (:mod:`senotwin.model.scenarios`) registers these scenarios, under the unprefixed names
(``default``, ``acute_young``, ``chronic_aged``, ``<age>_<tissue>_<inducer>``), on first use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType

import yaml

from senotwin._errors import ValidationError
from senotwin.model.io import load_spec
from senotwin.model.scenarios import Scenario
from senotwin.model.spec import ModelSpec

QSP_DAYS = 365.0
#: what the physical-units model builds on (magnitudes carry their own provenance in qsp.yaml)
QSP_REFERENCE = (
    "Wang et al. 2025 Acta Pharm Sin B (mechanisms); Jafarnejad et al. 2019 AAPS J 21:79 and "
    "Wang et al. 2020 Front Bioeng Biotechnol 8:141 (QSP structure); parameter sources in qsp.yaml"
)
LETHAL_BURDEN_CELLS = 1.0e12  # order of magnitude (quantitative-sources lethal_burden_textbook)


def qsp_path() -> Path:
    """Path of the shipped model file (package data)."""
    return Path(str(resources.files("senotwin.model") / "qsp.yaml"))


def qsp_mouse_path() -> Path:
    """Path of the mouse experiments' antibody block (package data; see ``load_mouse_qsp``)."""
    return Path(str(resources.files("senotwin.model") / "qsp_mouse.yaml"))


@cache
def load_qsp() -> ModelSpec:
    """The physical-units TME ModelSpec (validated once per process)."""
    return load_spec(qsp_path())


#: day from which an untreated lesion's net volume doubling is measured (after the initial immune
#: infiltrate settles): days from here until the volume first doubles, the tissue proliferation
#: rates are derived on it and the doubling-time checks read it
NET_START = 30.0
#: the last day a doubling is looked for
NET_HORIZON = 400.0
#: host age of the untreated lesion the proliferation rates are derived on (the default host)
GROWTH_AGE = "aged"


@dataclass(frozen=True)
class Tissue:
    """A tumour tissue: a cited net doubling time, the cited range, and the gross proliferation
    rate derived from it.

    ``k_grow`` is *derived*, not ln 2 / doubling time: the proliferation rate at which the
    model's untreated lesion (aged host, no inducer, the immune arm on) doubles its volume in
    ``doubling_days`` from day :data:`NET_START` -- solved by
    :func:`senotwin.sim.tissue_growth.derive_k_grow` and shipped here (a test re-derives it).
    Before session 12 it was ln 2 / doubling time, as if untreated immune kill, cancer-cell
    death and the lesion's stroma and dead cells were nil (lesions doubled 10-30 % slower
    than cited).
    """

    name: str
    doubling_days: float  # the cited net doubling time the proliferation rate is derived from
    source: str  # entry of docs/quantitative-sources.yaml
    range_days: tuple[float, float]  # cited untreated doubling-time range (validation)
    range_source: str
    k_grow: float  # derived gross proliferation rate (1/day)

    @property
    def net_rate(self) -> float:
        """The cited net rate ln 2 / doubling time (1/day)."""
        return math.log(2.0) / self.doubling_days


#: the tissue contexts. The last field, k_grow, is derived (sim.tissue_growth.derive_k_grow, on
#: qsp.yaml as shipped, n_pd1 2; tests/sim/test_tissue_growth.py re-derives it), shipped just
#: below the root (tissue_growth.shipped_value): gross / net 1.07-1.12 before session 15, 1.26-2.70
#: since PD-1 engagement leaves 1 - Imax_pd1 of CD8 killing (session 15), every tissue reaching its
#: cited doubling (melanoma's included: 33 d until session 32, 61 d since) to within 0.1 %,
#: never faster; re-derived in session 16 (host) on the DC-limited priming (lung, pancreas,
#: colorectal, melanoma, SCLC: +1e-5); session 34 (ms4): every tissue re-derived after
#: liu2019's k_exh 0.1747 -> 0.1586 (four-cohort refit), 2.6-3.9 % higher; session 36 (joint):
#: after liu2019's joint refit with the calibrated RECIST read (k_byst 1.0 -> 0.7849, k_exh
#: 0.1586 -> 0.1553), 0.2-0.9 % higher
TISSUES: dict[str, Tissue] = {
    t.name: t
    for t in (
        Tissue(
            "lung",
            99.0,
            "qsp_growth_rate_nsclc",
            (98.0, 357.0),
            "nsclc_vdt_henschke (median 98 d) to nsclc_vdt_series_table (Wilson median 357 d)",
            0.01035,
        ),
        Tissue(
            "breast",
            167.0,
            "breast_interval_tvdt",
            (80.0, 207.0),
            "qsp_growth_rate_tnbc (TNBC 80 d) to breast_diameter_doubling (population 207 d)",
            0.007615,
        ),
        Tissue(
            "tnbc",
            103.0,
            "tnbc_tvdt_ryu2014",
            (80.0, 146.0),
            "qsp_growth_rate_tnbc (80 d) to tnbc_tvdt_ryu2014 (mean + SD, 103 + 43 d)",
            0.01009,
        ),
        Tissue(
            "pancreas",
            86.0,
            "pdac_rdt_untreated",
            (86.0, 132.0),
            "pdac_rdt_untreated (median 86 d) to pdac_vdt_untreated (mean 132 d)",
            0.0114,
        ),
        Tissue(
            "colorectal",
            86.0,
            "crc_liver_met_dt",
            (50.0, 155.0),
            "crc_intraabdominal_dt (50-95 d) and crc_liver_met_dt (86-155 d)",
            0.0114,
        ),
        Tissue(
            "melanoma",
            61.0,
            "melanoma_lung_met_tdt_lee2009",
            (33.0, 94.0),
            "melanoma_dt (Carlson 2003: metastases median 33 d, 4 patients, the cited value until "
            "session 32, to primary median 94 d)",
            0.01471,
        ),
        Tissue(
            "sclc",
            53.0,
            "sclc_vdt_lenhard",
            (53.0, 79.0),
            "sclc_vdt_lenhard (median 53 d to arithmetic mean 79 d; sclc_vdt_jiang 61-71 d)",
            0.01646,
        ),
        Tissue(
            "ccrcc",
            178.0,
            "ccrcc_growth_gofrit2015",
            (178.0, 667.0),
            "ccrcc_growth_gofrit2015 (clinically significant RCC, derived 178 d) to "
            "ccrcc_vdt_zhang2015 (ccRCC under active surveillance, mean 667 d)",
            0.007374,
        ),
    )
}

#: the tissue whose chemotherapy loss per exposure (k_cyto, k_tis) is calibrated (MONET1, NSCLC)
CHEMO_REFERENCE = "lung"

#: Ki-67 labelling index (%) of the reference tissue: resected non-squamous NSCLC
#: (adenocarcinoma mean, 1065 NSCLC; quantitative-sources ki67_nsclc_warth2014). MONET1 and
#: KEYNOTE-189 enrolled non-squamous NSCLC.
KI67_REFERENCE = 25.8
#: each tissue's central Ki-67 labelling index (%) where one was read, else a lower bound on
#: it; immunohistochemistry of resected tumours (the antibody clones and counting methods were
#: not read and may differ between the studies): SCLC 40.71, a bound (the lowest of 94 resected
#: SCLC, ki67_sclc_wang2019; no SCLC median or mean found: quantitative-sources not_found),
#: TNBC 48, the median of 496 node-negative TNBC (ki67_tnbc_munzone2012, session 33; the 45 %
#: bound of session 21, ki67_tnbc_fsoa2024, agrees). Session 21 (prime), docs/trials.md.
KI67_TISSUE: dict[str, float] = {"sclc": 40.71, "tnbc": 48.0}


def chemo_sensitivity(tissue: str) -> float:
    """Chemotherapy loss per exposure of ``tissue`` relative to NSCLC's, where MONET1 calibrated
    it: the measured growth-fraction ratio where one is recorded, else the derived gross
    proliferation ratio k_grow(tissue) / k_grow(lung).

    The gross rate is growth fraction x division rate of a cycling cell, so the two ratios are
    alternatives, never multiplied (that would count the growth fraction twice). Where a Ki-67
    ratio (central, or a lower bound where no central value was read) exceeds 1 it is used
    (session 21, prime): cycle-dependent drugs hit the cycling share, which Ki-67 measures
    directly, while k_grow is derived from net doubling times that also carry the unmodelled
    cell loss. Otherwise Norton & Simon (Cancer Treat Rep
    1977;61:1307) with Hafner et al. (Nat Methods 2016;13:521), session 19. Per tissue, not per
    patient; docs/trials.md says where either may not hold (platinum is cycle-non-specific)."""
    if tissue in KI67_TISSUE and (ratio := KI67_TISSUE[tissue] / KI67_REFERENCE) > 1.0:
        return ratio
    return TISSUES[tissue].k_grow / TISSUES[CHEMO_REFERENCE].k_grow


# Host age: innate senescent-cell removal (Karin 2019: half-life 5 d young, 25 d old, read in
# third-party notes -- quantitative-sources karin_snc_halflife_young_old; k = ln2 / half-life),
# naive T-cell pool, baseline plasma IL-6 and IL-8 (CancerSEEK healthy controls aged <= 30 and
# >= 65, censored log-normal medians -- cancerseek_healthy_controls_il6_il8; plasma IL-6 shows
# no age rise in that assay, IL-8 does), stromal senescent influx s_rs = 0.005 x 5.5e9 x k_rem
# (the ~0.5 % p16-positive cells of normal lung, no age trend: lung_p16_share_idda_notes; qsp.yaml),
# NK supply: young 15 vs elderly 7.3e6 NK/L/day produced (nk_turnover_zhang2007; qsp.yaml nk_age),
# tissue dendritic-cell density APC_T: the aged host keeps the QSP-IO patient value on which
# f_mat0 is calibrated, the young host x 10.0 / 5.8 (human epidermal DCs, 22-26 vs 62-86 y:
# dc_density_by_age_gilchrest1982; qsp.yaml APC_T).
AGES: dict[str, dict[str, float]] = {
    "young": {
        "k_rem": 0.139,
        "naive_age": 1.0,
        "IL6_base": 1.74,
        "IL8_base": 0.55,
        "s_rs": 3.82e6,
        "nk_age": 2.05,
        "APC_T": 6.9e5,
    },
    "aged": {
        "k_rem": 0.0277,
        "naive_age": 0.5,
        "IL6_base": 1.50,
        "IL8_base": 5.02,
        "s_rs": 7.62e5,
        "nk_age": 1.0,
        "APC_T": 4.0e5,
    },
}

# Inducers (parameter overrides, initial overrides). Every magnitude is assumed (qsp.yaml says
# why for each parameter); what an inducer changes is the review's (section 2): one DNA-damaging
# chemotherapy course at day 0; a CDK4/6 inhibitor course (arrest without cytotoxic kill and
# without the NF-kB SASP, ref 76: IKK activity left at an assumed 5 %); oncogene-induced
# senescence (persistent tumour-intrinsic stress, no cytotoxic kill); persistent stromal
# (replicative / age-related) senescence, the chronic arm; or none. The cdk46i and ois exposures
# are 10.26x their assumed session-10 values (1 and 0.01/day) so that their senescence rate
# k_tis x exposure stays the assumed one after k_tis was calibrated (0.15 -> 0.01462/day, session
# 35 on the trial-like patient; 9.15x at session 19's 0.01639, 3.40x at session 18's 0.0441,
# 4.87x at session 13's 0.0308).
INDUCERS: dict[str, tuple[dict[str, float], dict[str, float]]] = {
    "none": ({}, {}),
    "chemo": ({}, {"stress": 1.0}),
    "cdk46i": ({"k_cyto": 0.0, "ikk_level": 0.05}, {"stress": 10.26}),
    "ois": ({"stress_src": 0.1026, "k_cyto": 0.0}, {}),
    "chronic": ({"s_rs": 3.0e7}, {}),
}
#: how an inducer appears in a scenario name (``<age>_<tissue>_<label>``)
INDUCER_LABELS: dict[str, str] = {"none": "untreated"}
INDUCER_TEXT: dict[str, str] = {
    "none": "no inducer",
    "chemo": "one DNA-damaging chemotherapy course",
    "cdk46i": "one CDK4/6-inhibitor course (senescence without the NF-kB SASP)",
    "ois": "oncogene-induced senescence (persistent tumour-intrinsic stress)",
    "chronic": "persistent stromal senescence",
}


def context(tissue: str = "lung", age: str = "aged", inducer: str = "chemo") -> Scenario:
    """Parameter and initial overrides of one tissue, host age and inducer, as a scenario named
    ``<age>_<tissue>_<inducer label>``."""
    for kind, name, known in (
        ("tissue", tissue, TISSUES),
        ("age", age, AGES),
        ("inducer", inducer, INDUCERS),
    ):
        if name not in known:
            raise ValidationError(f"unknown {kind} {name!r}; known: {', '.join(known)}")
    params = {"k_grow": TISSUES[tissue].k_grow} | AGES[age]
    if (factor := chemo_sensitivity(tissue)) != 1.0:
        spec = load_qsp()
        params |= {k: spec.parameter(k).value * factor for k in ("k_cyto", "k_tis")}
    extra, initial = INDUCERS[inducer]
    params |= extra
    return Scenario(
        f"{age}_{tissue}_{INDUCER_LABELS.get(inducer, inducer)}",
        f"{age} host, {tissue} tumour, {INDUCER_TEXT[inducer]}",
        load_qsp,
        MappingProxyType(params),
        MappingProxyType(dict(initial)),
        QSP_DAYS,
        reference=QSP_REFERENCE,
    )


def _named(name: str, description: str, **kw: str) -> Scenario:
    sc = context(**kw)
    return Scenario(
        name, description, sc.load, sc.params, sc.initial, sc.days, reference=sc.reference
    )


def qsp_scenarios() -> tuple[Scenario, ...]:
    """Every named scenario of the physical-units model (the default model: unprefixed names).

    Aged lung chemotherapy is ``default`` and young lung chemotherapy is ``acute_young`` (no
    second name for either). Tissues without a cited doubling time here (legacy liver, prostate,
    ovary) are left out.
    """
    out = [
        _named("default", "aged host, lung tumour, one chemotherapy course"),
        _named(
            "acute_young",
            "dual effect, acute arm: young host, lung tumour, one transient senescence pulse "
            "(chemotherapy course)",
            age="young",
        ),
        _named(
            "chronic_aged",
            "dual effect, chronic arm: aged host, lung tumour, persistent stromal senescence",
            inducer="chronic",
        ),
        context(age="young", inducer="none"),
        context(inducer="none"),
    ]
    no_sen = context(inducer="none")
    out.append(
        Scenario(
            "aged_lung_no_senescence",
            "aged host, lung tumour, senescence prevented (no inducer, no age-related stromal "
            "senescence): control for the chronic arm",
            no_sen.load,
            MappingProxyType(dict(no_sen.params) | {"s_rs": 0.0}),
            no_sen.initial,
            no_sen.days,
            reference=no_sen.reference,
        )
    )
    out += [context(inducer="cdk46i"), context(inducer="ois")]
    for tissue in TISSUES:
        if tissue != "lung":
            out.append(context(tissue=tissue))
            out.append(context(tissue=tissue, inducer="none"))
    return tuple(out)


#: names of the physical-units model's scenarios, in listing order
QSP_SCENARIOS: tuple[str, ...] = tuple(sc.name for sc in qsp_scenarios())


# ---- mouse host: syngeneic EMT6 under anti-PD-L1 / anti-TGF-beta (issue 11.5, issue 12) -------
MOUSE_REFERENCE = (
    "Mariathasan et al. 2018 Nature 554:544 (EMT6 under anti-PD-L1 / anti-TGF-beta; data in "
    "senotwin.calibrate data/mariathasan2018)"
)
MOUSE_WEIGHT_KG = 0.02  # reference mouse (FDA 2005 starting-dose guidance; therapy.dosing.Body)
#: IgG distribution volume of a 20 g mouse (plasma ~50 mL/kg; assumed, not yet cited)
MOUSE_IGG_VOLUME_ML = 1.0
#: EMT6 cells that take at inoculation: calibrated with MOUSE_EMT6_FIT (sets the volume at the
#: first dose; the paper starts treatment at ~160 mm3, the inoculum itself is not stated);
#: 95 % profile 7.32e5-4.09e6 (session 36 refit)
MOUSE_EMT6_C0 = 1.91230e06
#: days from inoculation to the first dose (the data's day 0); fixed (PEtab v1 cannot fit a time
#: shift): the inoculum MOUSE_EMT6_C0 is fitted instead, which sets the volume at this day
MOUSE_TREATMENT_START = 20.0
#: three doses a week (Mon/Wed/Fri) for three weeks, data days
MOUSE_DOSE_DAYS = (0.0, 2.0, 4.0, 7.0, 9.0, 11.0, 14.0, 16.0, 18.0)
MOUSE_DAYS = MOUSE_TREATMENT_START + 42.0
#: EMT6 TGF-beta1 by ELISA, pg/mL (Mariathasan 2018 Extended Data Fig. 5f; workbook sheet S5f)
EMT6_TGFB1_ELISA = (251.592, 276.596, 315.32, 491.166)

#: volume of the mouse TDLN: two draining nodes of ~1.5 mm diameter, 2 x 4/3 pi 0.75^3 mm^3
#: (assumed); it sets the mouse K_mdc (the lymph node volume itself enters no rate) by the rule
#: the human K_mdc used before session 12 (the stored mouse fits were made with it)
MOUSE_TDLN_ML = 0.0035

# Host values for a young adult BALB/c mouse. Each is a context override of a qsp.yaml
# parameter; provenance in MOUSE_PROVENANCE (the yaml provenance is the human value's).
MOUSE_HOST: dict[str, float] = {
    "V_c": 2.0,  # blood of a 20-25 g mouse
    "K_mdc": 1.2e6 * MOUSE_TDLN_ML,  # resident LN APC density x TDLN volume (as for humans)
    "N_ag": 1000.0,  # naive precursors: ~20-1200 per epitope, a few epitopes
    "naive_age": 1.0,
    "k_rem": 0.14,
    "IL6_base": 2.17,
    "s_rs": 0.0,
    "k_cd8_depl": 0.0,
    "n_reinv": 0.0,
}
MOUSE_PROVENANCE: dict[str, str] = {
    "V_c": "assumed: ~2 mL blood of a 20-25 g mouse (task brief; blood ~70-80 mL/kg)",
    "K_mdc": "derived: 1.2e6 APC/mL (qsp_apc) x the mouse TDLN volume MOUSE_TDLN_ML, the rule the "
    "human value used before session 12 (kept: the stored mariathasan2018 fit was made with it; "
    "the human value is now QSP-IO's N_ag / 10, which with the mouse N_ag would be 100 cells)",
    "N_ag": "assumed: naive CD8 precursors ~20-1200 per epitope in a mouse, a few epitopes",
    "naive_age": "assumed: young adult (6-10 weeks)",
    "k_rem": "assumed: young-host value of the human context (Karin 2019 'days')",
    "IL6_base": "assumed: the young human serum mean of il6_il8_elderly_vs_young (the human "
    "contexts now use CancerSEEK plasma medians; kept here, the stored mouse fits use it); mouse "
    "baseline plasma IL-6 not sourced",
    "s_rs": "assumed: no age-related senescent stroma in a young mouse over 7 weeks",
    "k_cd8_depl": "assumed: 0 without depletion; 3/day with a depleting anti-CD8 antibody",
    "n_reinv": "assumed: no reinvigoration burst, qsp.yaml's value, at which the EMT6 and MC38 "
    "fits were made (no mouse burst was measured: docs/calibration.md session 25 reinv); held "
    "by the mouse host so that an ensemble of the melanoma liu2019 fit, whose burst is a human "
    "population centre, does not put one into a mouse fitted without it (session 35)",
    "s_tgfb_C": "derived: EMT6 TGF-beta1 ELISA mean (ED Fig. 5f) x interstitial volume per cell "
    "x k_deg_tgfb, at the all-cancer-cell lesion",
    "s_tgfb_sen": "assumed: 5 x s_tgfb_C (review 2.2.1: early senescent cells secrete TGF-beta)",
}
MOUSE_CD8_DEPLETION = 3.0  # 1/day: most CD8 T cells gone within a day or two (assumed)
MOUSE_TGFB_SEN_FOLD = 5.0

# EMT6 growth, CD8 killing, PD-L1 and the TGF-beta brake: calibrated on the fitted part of the
# Mariathasan 2018 data (isotype, anti-PD-L1, anti-TGF-beta arms of study 15-3060 B; since
# session 15 also the CD8-depleted arm of ED Fig. 5i) with
# ``senotwin calibrate --problem mariathasan2018`` (calibrate/mouse_data.py); values, goodness of
# fit and the held-back prediction in calibrate/data/mariathasan2018/fit_result.json (and the
# per-arm record fit.json) and docs/calibration.md. The two combination arms (Fig. 4a, ED Fig.
# 5i) are predicted. Session 28 (ceil): refitted with a ceiling on the day-7 tumour-specific CD8
# count of the fitted CD8 arms (all CD8 of a mouse, ~2e7; calibrate.mouse_data.MOUSE_CD8_TOTAL).
# Session 29 (win): refitted with that ceiling at treatment days 0, 7, 14, 21 and the placeholder
# volumes of non-measurable tumours as ceilings (left-censored; calibrate.mouse_data). Session 29
# (W2): refitted with the ceiling's own fixed hinge sigma, ln 2 (mouse_data.CD8_CEILING_SIGMA).
# Session 31 (tps3): refitted after reinvigoration's PD-1 brake moved to DC PD-L1 in the niche.
# Session 32 (mel61): refitted after liu2019 moved k_exh (0.1929 -> 0.1747) on melanoma's 61 d.
# Session 34 (ms4): refitted after liu2019 moved k_exh (0.1747 -> 0.1586) on four cohorts.
# Session 36 (joint): refitted after liu2019 moved k_byst (1.0 -> 0.7849) and k_exh (-> 0.1553).
MOUSE_EMT6_FIT: dict[str, float] = {
    "k_grow": 0.173288,  # 1/day (95 % profile 0.131-0.239; session 36 refit)
    "C_max": 1.0e10,  # cells: fixed (no plateau before the end point; calibrate.mouse_data.FIXED)
    "k_kill": 0.633600,  # estimated since session 15 (CD8-depleted arm fitted): 95 % up to 0.879
    "f_mat0": 1.02725e-04,  # share of tumour DCs maturing per day: 95 % 4.06e-5 - 2.58e-4
    "PDL1_per_C": 224000,  # PD-L1 per EMT6 cell without IFN-gamma: fixed at the highest cited
    "w_tgfb_excl": 0.0152108,  # TGF-beta exclusion of CD8 (fold - 1): 95 % up to 16.7, open below
    # PD-1 per CD8 being primed, mouse context (session 28 prime; session 36 refit): 95 % up
    # to 1148, open below (to the range floor 10)
    "PD1_prime_per_T": 647.376,
}

#: arms of the EMT6 studies: (anti-PD-L1, anti-TGF-beta, CD8 depletion)
MOUSE_ARMS: dict[str, tuple[bool, bool, bool]] = {
    "isotype": (False, False, False),
    "anti_pdl1": (True, False, False),
    "anti_tgfb": (False, True, False),
    "combination": (True, True, False),
    "combination_cd8_depleted": (True, True, True),
}


def emt6_tgfb_secretion() -> float:
    """s_tgfb_C (pg/cell/day) giving the measured EMT6 TGF-beta1 level in an all-cancer lesion."""
    spec = load_qsp()
    p = {q.id: q.value for q in spec.parameters}
    level = sum(EMT6_TGFB1_ELISA) / len(EMT6_TGFB1_ELISA)  # pg/mL
    interstitial_ml_per_cell = (1 - p["rho_cell"] * p["v_cell"] - p["gamma_T"]) / p["rho_cell"]
    return level * interstitial_ml_per_cell * p["k_deg_tgfb"]


#: per-dose plasma boluses of the EMT6 arms' antibodies (ug/mL): parameters of the dosed mouse
#: model, 0 unless an arm gives that antibody (anti-PD-L1 first dose, later doses; anti-TGF-beta)
MOUSE_DOSE_PARAMS: tuple[str, ...] = ("dose_pdl1_first", "dose_pdl1", "dose_tgfb")


def mouse_dose_amounts(arm: str) -> dict[str, float]:
    """Bolus per i.p. dose of one study arm (Mariathasan 2018 Methods) as plasma ug/mL:
    anti-PD-L1 (6E11) 10 mg/kg first, then 5 mg/kg; anti-TGF-beta (1D11) 10 mg/kg."""
    if arm not in MOUSE_ARMS:
        raise ValidationError(f"unknown mouse arm {arm!r}; known: {', '.join(MOUSE_ARMS)}")
    pdl1, tgfb, _ = MOUSE_ARMS[arm]
    per_mg_kg = MOUSE_WEIGHT_KG * 1000.0 / MOUSE_IGG_VOLUME_ML  # ug/mL per mg/kg
    return {
        "dose_pdl1_first": 10.0 * per_mg_kg if pdl1 else 0.0,
        "dose_pdl1": 5.0 * per_mg_kg if pdl1 else 0.0,
        "dose_tgfb": 10.0 * per_mg_kg if tgfb else 0.0,
    }


@cache
def load_mouse_qsp() -> ModelSpec:
    """The physical-units model plus the mouse antibody block (``qsp_mouse.yaml``: plasma
    antibodies, their elimination and tumour occupancy, which the human model lacks; CD8
    depletion from the first dose, not from inoculation) and the EMT6
    studies' dosing days as events whose bolus sizes are parameters (``MOUSE_DOSE_PARAMS``, 0 by
    default): an arm is then values only, which is what a PEtab condition can express (the
    calibration problem ``mariathasan2018``)."""
    spec = load_qsp()
    data = spec.model_dump()
    data["id"] = f"{spec.id}_mouse_emt6"
    block = yaml.safe_load(qsp_mouse_path().read_text(encoding="utf-8"))
    for key in ("species", "parameters"):
        data[key] = [*data[key], *block[key]]
    mouse_processes = {p["id"]: p for p in block["processes"]}
    data["processes"] = [
        *(mouse_processes.pop(p["id"], p) for p in data["processes"]),
        *mouse_processes.values(),
    ]
    occupancy = {o["id"]: o for o in block["observables"]}
    data["observables"] = [occupancy.get(o["id"], o) for o in data["observables"]]
    per_dose = "derived"
    formula = "mg/kg per dose x 0.02 kg mouse x 1000 ug/mg / 1 mL IgG distribution volume"
    data["parameters"] = [
        *data["parameters"],
        *(
            {
                "id": pid,
                "name": name,
                "value": 0.0,
                "unit": "ug/mL",
                "range": [0.0, 1000.0],
                "provenance": {"kind": per_dose, "formula": formula},
            }
            for pid, name in (
                ("dose_pdl1_first", "first anti-PD-L1 dose as a plasma bolus (0: not given)"),
                ("dose_pdl1", "later anti-PD-L1 doses as plasma boluses (0: not given)"),
                ("dose_tgfb", "anti-TGF-beta doses as plasma boluses (0: not given)"),
            )
        ),
    ]
    data["events"] = [
        *data["events"],
        *(
            {
                "id": f"mouse_dose_{i + 1}",
                "at": MOUSE_TREATMENT_START + day,
                "assign": {
                    "ab_pdl1": f"ab_pdl1 + {'dose_pdl1_first' if i == 0 else 'dose_pdl1'}",
                    "ab_tgfb": "ab_tgfb + dose_tgfb",
                    "cd8_depl_on": "1",
                },
                "description": "i.p. antibody doses of an EMT6 study arm (three a week, 3 weeks)",
            }
            for i, day in enumerate(MOUSE_DOSE_DAYS)
        ),
    ]
    return ModelSpec.model_validate(data)


def mouse_params(arm: str = "isotype", fit: dict[str, float] | None = None) -> dict[str, float]:
    """Parameter overrides of the mouse EMT6 host for one arm (fit: calibrated values)."""
    if arm not in MOUSE_ARMS:
        raise ValidationError(f"unknown mouse arm {arm!r}; known: {', '.join(MOUSE_ARMS)}")
    s_tgfb = emt6_tgfb_secretion()
    params = dict(MOUSE_HOST) | {
        "s_tgfb_C": s_tgfb,
        "s_tgfb_sen": MOUSE_TGFB_SEN_FOLD * s_tgfb,
    }
    params |= MOUSE_EMT6_FIT if fit is None else fit
    params |= mouse_dose_amounts(arm)
    if MOUSE_ARMS[arm][2]:
        params["k_cd8_depl"] = MOUSE_CD8_DEPLETION
    return params


def mouse_initial(c0: float | None = None) -> dict[str, float]:
    """State at inoculation: the injected cancer cells in a naive host, every species set.

    The model's default initial amounts are the human reference lesion's (26.5 mL), so none is
    kept: lesion-resident and lymph-node populations start at 0 (the inoculum is a cancer-cell
    suspension; host cells arrive by the recruitment processes), as do the time-averaged drives
    (no antigen, no chronic SASP yet); the one systemic species, emergency myelopoiesis Em,
    starts at its steady state in the tumour-free host, il6_stat3_p at plasma IL-6 = IL6_base.
    """
    p = {q.id: q.value for q in load_qsp().parameters}
    il6 = MOUSE_HOST["IL6_base"]
    state = dict.fromkeys((sp.id for sp in load_qsp().species), 0.0)
    state["C"] = MOUSE_EMT6_C0 if c0 is None else c0
    state["Em"] = il6 / (il6 + p["K_il6_emg"])  # hill(IL6_p, K_il6_emg, 1), tumour-free host
    return state


def mouse_scenario(arm: str) -> Scenario:
    """Scenario ``mouse_emt6_<arm>``: inoculated at time 0, treated from MOUSE_TREATMENT_START."""
    return Scenario(
        f"mouse_emt6_{arm}",
        f"QSP model, mouse host: EMT6 tumour, {arm.replace('_', ' ')} arm of Mariathasan 2018 "
        f"(inoculated at day 0; the paper's schedule from day {MOUSE_TREATMENT_START:g}, fitted)",
        load_mouse_qsp,
        MappingProxyType(mouse_params(arm)),
        MappingProxyType(mouse_initial()),
        MOUSE_DAYS,
        reference=MOUSE_REFERENCE,
        check_ranges=False,  # mouse volumes, growth and cell numbers are outside the human ranges
    )


def mouse_scenarios() -> tuple[Scenario, ...]:
    """Every ``mouse_emt6_*`` scenario."""
    return tuple(mouse_scenario(arm) for arm in MOUSE_ARMS)
