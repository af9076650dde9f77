"""PK/PD as model data: exact dosing against the analytic compartment solutions, both engines."""

from __future__ import annotations

import math

import numpy as np
import pytest

from senotwin._errors import ValidationError
from senotwin.model.io import spec_from_dict
from senotwin.model.schedule import Schedule
from senotwin.sim import simulate
from senotwin.therapy.drugs import Drug
from senotwin.therapy.pkpd import (
    conc_id,
    dose_for,
    effect_id,
    effect_notes,
    reference_peak,
    therapy_spec,
)

ASSUMED = {"kind": "assumed", "rationale": "test value"}


def _base():
    """dX/dt = k_prod - d X; k_prod tagged PROD (a drug target)."""
    return spec_from_dict(
        {
            "id": "base",
            "species": [{"id": "X", "unit": "1", "initial": 1.0}],
            "parameters": [
                {"id": "k_prod", "value": 0.5, "unit": "1/day", "provenance": ASSUMED,
                 "entity": "PROD"},
                {"id": "d", "value": 0.5, "unit": "1/day", "provenance": ASSUMED},
            ],
            "processes": [
                {"id": "prod", "expression": "k_prod", "stoichiometry": {"X": 1}},
                {"id": "loss", "expression": "d * X", "stoichiometry": {"X": -1}},
            ],
        }
    )  # fmt: skip


def _drug(route: str = "iv", **pk) -> Drug:
    pk_data = {
        "model": "one_compartment",
        "half_life": "1 d",
        "volume": "2 L/kg",
        "ka": "3 1/d",
        "bioavailability": {"po": 0.5},
        "provenance": ASSUMED,
    } | pk
    return Drug.model_validate(
        {
            "id": "testdrug", "kb_agent": "RAPAMYCIN", "category": "senomorphic",
            "dose_kind": "mass", "routes": ["iv", "po"],
            "reference_dose": {"amount": 4, "unit": "mg/kg", "route": route},
            "pk": pk_data,
            "effects": [{"target": "PROD", "kind": "inhibit", "emax": 0.8, "ec50_rel": 0.5,
                         "provenance": ASSUMED}],
        }
    )  # fmt: skip


def _one_cmt_iv(t, doses, k, v):
    return sum(np.where(t >= td, a / v * np.exp(-k * (t - td)), 0.0) for td, a in doses)


def _bateman(t, doses, k, ka, v, f):
    out = np.zeros_like(t)
    for td, a in doses:
        s = np.clip(t - td, 0.0, None)
        out += np.where(
            t >= td, f * a / v * ka / (ka - k) * (np.exp(-k * s) - np.exp(-ka * s)), 0.0
        )
    return out


@pytest.mark.parametrize("engine", ["reference", "fast"])
def test_iv_bolus_matches_analytic_one_compartment(engine: str) -> None:
    drug = _drug()
    spec = therapy_spec(_base(), [drug])
    doses = [(0.0, 4.0), (3.0, 2.0), (3.5, 4.0)]
    sched = Schedule(doses=tuple(dose_for(drug, a, "iv", t) for t, a in doses))
    grid = np.array([0.0, 0.5, 1.0, 2.999999, 3.0, 3.000001, 3.2, 3.5, 4.0, 6.0, 10.0])
    res = simulate(spec, regimen=sched, t_end=10.0, t_eval=grid, engine=engine,
                   rtol=1e-10, atol=1e-12)  # fmt: skip
    assert res.ok, res.message
    k = math.log(2)
    expected = _one_cmt_iv(grid, doses, k, 2.0)
    got = res.table[conc_id(drug)].to_numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)
    # the jump at day 3 is exactly the dose over the volume
    before, after = got[3], got[5]
    assert after - before == pytest.approx(2.0 / 2.0, rel=1e-4)


@pytest.mark.parametrize("engine", ["reference", "fast"])
def test_oral_dose_matches_bateman(engine: str) -> None:
    drug = _drug("po")
    spec = therapy_spec(_base(), [drug])
    doses = [(0.0, 4.0), (2.0, 4.0)]
    sched = Schedule(doses=tuple(dose_for(drug, a, "po", t) for t, a in doses))
    grid = np.linspace(0.0, 8.0, 33)
    res = simulate(spec, regimen=sched, t_end=8.0, t_eval=grid, engine=engine,
                   rtol=1e-10, atol=1e-12)  # fmt: skip
    expected = _bateman(grid, doses, math.log(2), 3.0, 2.0, 0.5)
    np.testing.assert_allclose(res.table[conc_id(drug)].to_numpy(), expected, rtol=1e-6, atol=1e-9)


def test_effect_scales_the_target_like_a_block() -> None:
    drug = _drug()
    spec = therapy_spec(_base(), [drug])
    sched = Schedule(doses=(dose_for(drug, 4.0, "iv", 0.0),))
    res = simulate(spec, regimen=sched, t_end=5.0, rtol=1e-9, atol=1e-12)
    c = res.table[conc_id(drug)].to_numpy()
    ec50 = 0.5 * reference_peak(drug)
    assert ec50 == pytest.approx(0.5 * 4.0 / 2.0)
    np.testing.assert_allclose(res.table[effect_id(drug, drug.effects[0])], 0.8 * c / (ec50 + c))
    # without the drug, an equivalent constant block gives the same production change at t=0
    eff0 = 0.8 * 2.0 / (ec50 + 2.0)
    rates = np.gradient(res.table["X"].to_numpy(), res.table["time"].to_numpy())
    assert rates[0] == pytest.approx(0.5 * (1 - eff0) - 0.5, abs=0.02)
    # user blocks still act on top of the drug
    blocked = simulate(spec, regimen=sched, t_end=5.0, blocks={"PROD": 1.0})
    assert blocked.table["X"].iloc[-1] == pytest.approx(math.exp(-0.5 * 5.0), rel=1e-4)


def test_two_compartment_terminal_half_life() -> None:
    drug = _drug(
        model="two_compartment", clearance="0.2 L/d", volume="3.28 L",
        peripheral_volume="3.63 L", intercompartmental_clearance="0.546 L/d", weight="70 kg",
    )  # fmt: skip
    assert drug.pk.terminal_half_life_days() == pytest.approx(26.6, abs=0.3)
    spec = therapy_spec(_base(), [drug])
    sched = Schedule(doses=(dose_for(drug, 10.0, "iv", 0.0),))
    res = simulate(spec, regimen=sched, t_end=200.0, t_eval=[100.0, 200.0], rtol=1e-9, atol=1e-14)
    c100, c200 = res.table[conc_id(drug)]
    assert math.log(2) * 100 / math.log(c100 / c200) == pytest.approx(26.6, abs=0.3)


def test_unknown_target_is_rejected() -> None:
    drug = _drug()
    bad = Drug.model_validate(drug.model_dump() | {"effects": [
        {"target": "NOPE", "kind": "inhibit", "emax": 0.5, "provenance": ASSUMED}]})  # fmt: skip
    with pytest.raises(
        ValidationError,
        match="drug testdrug targets NOPE, which model base does not represent; "
        "represented targets: PROD",
    ):
        therapy_spec(_base(), [bad])


def test_unrepresented_effect_is_noted_and_the_others_act() -> None:
    drug = _drug()
    both = Drug.model_validate(drug.model_dump() | {"effects": [
        *drug.model_dump()["effects"],
        {"target": "NOPE", "kind": "inhibit", "emax": 0.5, "provenance": ASSUMED}]})  # fmt: skip
    assert effect_notes(_base(), [both]) == (
        "testdrug: effect on NOPE not applied (model base does not represent it)",
    )
    spec = therapy_spec(_base(), [both])
    assert effect_id(both, both.effects[0]) in spec.observable_ids
    assert effect_id(both, both.effects[1]) not in spec.observable_ids


def test_no_drugs_keeps_the_model_and_adds_zero_toxicity() -> None:
    spec = therapy_spec(_base(), [])
    res = simulate(spec, t_end=2.0)
    assert res.table["tox_immune_suppression"].abs().max() == 0.0
    assert res.table["X"].iloc[-1] == pytest.approx(1.0)


def test_antibody_occupancy_uses_the_measured_kd_not_the_reference_dose() -> None:
    from senotwin.model.qsp import load_qsp
    from senotwin.therapy.dosing import Body, canonical_dose
    from senotwin.therapy.drugs import get_drug
    from senotwin.therapy.pkpd import concentration_profile, therapy_spec

    pembro = get_drug("pembrolizumab")
    effect = pembro.effects[0]
    assert effect.potency is not None and effect.potency.kind == "Kd"
    # 29 pM x 150 kDa = 4.35 ug/L in the tumour; / penetration 0.3 = 0.0145 mg/L in plasma
    assert pembro.plasma_ec50(effect) == pytest.approx(0.0145)
    spec = therapy_spec(load_qsp(), [pembro])
    ec50 = next(p for p in spec.parameters if p.id == "pd_pembrolizumab_PDCD1_ec50")
    assert ec50.value == pytest.approx(0.0145)
    assert ec50.provenance.kind == "citation" and "Kd 29 pM" in ec50.provenance.text
    # exposure-response: the labelled anti-PD-1 dose keeps PD-1 occupied at trough (> 0.99, as
    # the PK-occupancy model of the phase 1 data predicts), ipilimumab 3 mg/kg (Kd 18.2 nM)
    # leaves CTLA-4 half free; a thousandth of the pembrolizumab dose matters
    t = np.linspace(0.01, 21, 50)

    def trough_occupancy(name: str, amount: float, unit: str) -> float:
        drug = get_drug(name)
        dose = canonical_dose(amount, unit, drug, body=Body(), where="test")
        c = concentration_profile(drug, dose, "iv", t)[-1]
        return float(c / (c + drug.plasma_ec50(drug.effects[0])))

    assert trough_occupancy("pembrolizumab", 200, "mg") > 0.99
    assert (
        trough_occupancy("pembrolizumab", 0.2, "mg")
        < trough_occupancy("pembrolizumab", 200, "mg") - 0.2
    )
    assert 0.3 < trough_occupancy("ipilimumab", 3, "mg/kg") < 0.7


def test_a_molar_potency_needs_a_molecular_weight() -> None:
    from senotwin.therapy.drugs import get_drug

    data = get_drug("pembrolizumab").model_dump()
    data["molecular_weight"] = None
    with pytest.raises(ValueError, match="molecular_weight"):
        Drug.model_validate(data)


def _stress_only():
    """Only the inducer-exposure pool, which keeps what it receives (no decay)."""
    return spec_from_dict(
        {
            "id": "exposure_only",
            "species": [{"id": "stress", "unit": "1", "initial": 0.0}],
            "parameters": [{"id": "d_stress", "value": 0.0, "unit": "1/day",
                            "provenance": ASSUMED}],
            "processes": [{"id": "decay", "expression": "d_stress * stress",
                           "stoichiometry": {"stress": -1}}],
        }
    )  # fmt: skip


def _delivered(drug: Drug, mg_per_m2: list[float], every: float = 21.0) -> np.ndarray:
    """Inducer exposure (courses) delivered by each dose of a q``every``d iv regimen."""
    from senotwin.therapy.dosing import Body, canonical_dose

    doses = [
        dose_for(drug, canonical_dose(a, "mg/m2", drug, body=Body(), where="test"), "iv", i * every)
        for i, a in enumerate(mg_per_m2)
    ]
    grid = np.array([i * every for i in range(len(doses) + 1)]) - 1e-6
    grid[0] = 0.0
    res = simulate(therapy_spec(_stress_only(), [drug]), regimen=Schedule(doses=tuple(doses)),
                   t_end=float(grid[-1]), t_eval=grid, rtol=1e-10, atol=1e-12)  # fmt: skip
    assert res.ok, res.message
    return np.diff(res.table["stress"].to_numpy())


def test_a_pemetrexed_maintenance_dose_is_not_a_full_course() -> None:
    from senotwin.therapy.drugs import get_drug
    from senotwin.therapy.pkpd import RESISTANCE_PER_DAY

    pem = get_drug("pemetrexed")
    ref = pem.effects[0].exposure_per_reference_dose
    got = _delivered(pem, [500.0] * 6)
    # the first 500 mg/m2 dose delivers the reference exposure; the drive is AUC-linear and
    # loses effect with time on chemotherapy (Claret form, lambda from Claret 2014: 0.0193/day)
    assert got[0] == pytest.approx(ref, rel=0.01)
    assert pytest.approx(0.0193) == RESISTANCE_PER_DAY
    np.testing.assert_allclose(
        got, ref * np.exp(-RESISTANCE_PER_DAY * 21.0 * np.arange(6)), rtol=0.01
    )
    assert got[5] < 0.2 * ref  # the sixth cycle (maintenance) delivers under a fifth
    # exposure scales with the dose: 375 mg/m2 (a 25 % reduction) delivers 0.75 of it
    reduced = _delivered(pem, [375.0])
    assert reduced[0] == pytest.approx(0.75 * got[0], rel=1e-3)
    # without acquired resistance every cycle would deliver the same (the old behaviour)
    plain = pem.model_copy(
        update={"effects": tuple(e.model_copy(update={"acquired_resistance": False})
                                 for e in pem.effects)}
    )  # fmt: skip
    np.testing.assert_allclose(_delivered(plain, [500.0] * 3), ref, rtol=0.01)


def test_a_platinum_doublet_cycle_kills_what_the_claret_2014_nsclc_estimate_says() -> None:
    """Carboplatin AUC 6 + paclitaxel 200 mg/m2 (MONET1) deliver in one cycle the cancer-cell
    log-loss 3 KDE x 21 d of the Claret 2014 TGI fit (KDE 0.0103/day on the sum of diameters),
    at the model's typical k_tis, k_cyto and d_stress (quantitative-sources
    tgi_kill_nsclc_platinum_doublet); before, each drug was a full standard course (2x)."""
    from senotwin.model.qsp import load_qsp
    from senotwin.therapy.drugs import get_drug

    spec = load_qsp()
    per_course = (spec.parameter("k_tis").value + spec.parameter("k_cyto").value) / (
        spec.parameter("d_stress").value
    )
    carbo = _delivered(get_drug("carboplatin"), [480.0])[0]  # AUC 6 ~ 6/5 x 400 mg/m2
    pacli = _delivered(get_drug("paclitaxel"), [200.0])[0]
    claret = 3 * 0.0103 * 21.0
    assert (carbo + pacli) * per_course == pytest.approx(claret, rel=0.03)
    for name in ("pemetrexed", "cisplatin"):  # the other halves of platinum doublets
        e = get_drug(name).effects[0].exposure_per_reference_dose
        assert e * per_course == pytest.approx(claret / 2, rel=0.03), name


def test_nab_paclitaxel_delivers_paclitaxels_kill_per_tumour_exposure() -> None:
    """nab-paclitaxel 260 mg/m2 = paclitaxel 175 mg/m2's derived exposure x the dose ratio x the
    measured tumour paclitaxel AUC ratio at equal dose, 1.33 (Desai 2006, MX-1 xenografts;
    quantitative-sources nab_paclitaxel_tumour_auc_desai2006). Session 30 replaced the unbound
    plasma AUC ratio (2.72: an assumed free-drug principle), which gave 1.20."""
    from senotwin.therapy.drugs import get_drug

    nab = get_drug("nab-paclitaxel").effects[0]
    pacli = get_drug("paclitaxel").effects[0].exposure_per_reference_dose
    assert nab.exposure_per_reference_dose == pytest.approx(pacli * 260.0 / 175.0 * 1.33, rel=0.01)
    assert nab.exposure_per_reference_dose < pacli * (260.0 / 21.13) / (175.0 / 14.76) * 2.625
    assert nab.provenance.kind == "derived"


def test_gemcitabine_delivers_the_2018_pancreatic_monotherapy_kill_per_dose() -> None:
    """Gemcitabine 1000 mg/m2: the initial kill per dose of the monotherapy TGI (22.3 % at the end
    of 6 d1,8,15 q28d cycles, drug effect down 57 % in cycle 6, exp form, mid-cycle 154 d), x3 for
    volume, in standard courses, divided by the pancreas chemosensitivity (quantitative-sources
    gemcitabine_tgi_pdac_monotherapy); the first dose delivers it, 800 mg/m2 delivers 0.8 of it."""
    from senotwin.model.qsp import chemo_sensitivity
    from senotwin.therapy.drugs import get_drug
    from senotwin.therapy.pkpd import COURSE_LOG_LOSS

    gem = get_drug("gemcitabine")
    drive = gem.effects[0]
    lam = -np.log(0.43) / 154.0
    days = np.array([28.0 * c + 7.0 * k for c in range(6) for k in range(3)])
    d0 = -np.log(1.0 - 0.223) / np.exp(-lam * days).sum()
    expected = 3.0 * d0 / COURSE_LOG_LOSS / chemo_sensitivity("pancreas")
    assert drive.exposure_per_reference_dose == pytest.approx(expected, rel=0.01)
    assert drive.provenance.kind == "derived" and drive.acquired_resistance
    first, reduced = _delivered(gem, [1000.0])[0], _delivered(gem, [800.0])[0]
    assert first == pytest.approx(drive.exposure_per_reference_dose, rel=0.01)
    assert reduced == pytest.approx(0.8 * first, rel=1e-3)


def test_acquired_resistance_is_only_for_exposure_drives() -> None:
    with pytest.raises(ValueError, match="acquired_resistance applies to 'drive' effects only"):
        Drug.model_validate(
            _drug().model_dump()
            | {"effects": [{"target": "PROD", "kind": "inhibit", "acquired_resistance": True,
                            "provenance": ASSUMED}]}
        )  # fmt: skip


def test_a_measured_target_potency_sets_the_plasma_ec50() -> None:
    """Aspirin on NF-kB: IC50 4 mM (Bayon 1999) x 180.16 g/mol / penetration 1 = 720.6 mg/L."""
    from senotwin.model.qsp import load_qsp
    from senotwin.therapy.drugs import get_drug

    aspirin = get_drug("aspirin")
    nfkb = next(e for e in aspirin.effects if e.target == "NFKB")
    assert nfkb.potency is not None and nfkb.potency.kind == "IC50"
    assert aspirin.plasma_ec50(nfkb) == pytest.approx(4e-3 * 180.16 * 1000.0)
    spec = therapy_spec(load_qsp(), [aspirin])
    ec50 = spec.parameter("pd_aspirin_NFKB_ec50")
    assert ec50.value == pytest.approx(720.64)
    assert ec50.provenance.kind == "citation" and "IC50 4 mM" in ec50.provenance.text
    # at the reference dose (10 mg/kg po, peak ~35 mg/L) NF-kB is barely touched (< 5 %)
    peak = reference_peak(aspirin)
    assert nfkb.emax * peak / (peak + ec50.value) < 0.05


def test_a_whole_blood_pk_reads_its_potency_in_blood_units() -> None:
    """Rapamycin's PK (label Vss/F, t1/2) is whole blood's and its Kd a plasma-side value; the
    EC50 was read as if the blood concentration were plasma's, 37-fold too potent (blood/plasma
    36-38, measured; drug-library audit, session 51). A trough at 2 mg daily now sits near the
    EC50, not ~40-fold above it."""
    from senotwin.model.qsp import load_qsp
    from senotwin.therapy.drugs import get_drug

    rapa = get_drug("rapamycin")
    mtor = next(e for e in rapa.effects if e.target == "MTOR")
    assert rapa.pk.blood_plasma_ratio is not None and rapa.pk.blood_plasma_ratio.value == 37
    assert mtor.potency is not None
    assert rapa.plasma_ec50(mtor) == pytest.approx(0.2e-9 * 914.17 * 1000.0 * 37)
    ec50 = therapy_spec(load_qsp(), [rapa]).parameter("pd_rapamycin_MTOR_ec50")
    assert ec50.value == pytest.approx(rapa.plasma_ec50(mtor))
    assert "x blood/plasma 37 (measured" in ec50.provenance.text
    aspirin = get_drug("aspirin")  # a plasma PK keeps its factor 1 and its text
    assert aspirin.pk.blood_plasma_ratio is None and aspirin.blood_factor_text() == ""
    shown = rapa.to_dict()  # `senotwin drugs show`: the ratio and the EC50 in the PK's matrix
    assert shown["pk"]["blood_plasma_ratio"]["value"] == 37  # type: ignore[index]
    pd_mtor = next(e for e in shown["pd"] if e["target"] == "MTOR")  # type: ignore[attr-defined]
    assert pd_mtor["ec50_mg_per_L"] == pytest.approx(rapa.plasma_ec50(mtor))
    assert pd_mtor["ec50_in"] == "whole blood"


def test_the_course_log_loss_is_the_models() -> None:
    """COURSE_LOG_LOSS (the unit of inducer exposure) is the model's (k_tis + k_cyto) / d_stress."""
    from senotwin.model.qsp import load_qsp
    from senotwin.therapy.pkpd import COURSE_LOG_LOSS

    spec = load_qsp()
    per_course = (spec.parameter("k_tis").value + spec.parameter("k_cyto").value) / (
        spec.parameter("d_stress").value
    )
    assert per_course == pytest.approx(COURSE_LOG_LOSS, rel=1e-3)


def _aspirin_log_loss(mg: float) -> float:
    """Cancer-cell log-loss (courses x COURSE_LOG_LOSS) that one oral aspirin dose delivers."""
    from senotwin.therapy.drugs import get_drug
    from senotwin.therapy.pkpd import COURSE_LOG_LOSS

    aspirin = get_drug("aspirin")
    spec = therapy_spec(_stress_only(), [aspirin])
    res = simulate(spec, regimen=Schedule(doses=(dose_for(aspirin, mg, "po", 0.0),)),
                   t_end=20.0, t_eval=np.array([0.0, 20.0]), rtol=1e-10, atol=1e-12)  # fmt: skip
    assert res.ok, res.message
    return float(res.table["stress"].to_numpy()[-1]) * COURSE_LOG_LOSS


def test_a_growth_ic50_kills_at_measured_exposure_and_not_at_a_hundredth() -> None:
    """A drive with a growth IC50: a dose whose plasma AUC equals IC50 x assay days (the in-vitro
    exposure that halves the cells) delivers the log-loss ln 2; a hundredth of it under 1 %."""
    from senotwin.therapy.drugs import get_drug
    from senotwin.therapy.pkpd import drive_per_auc

    aspirin = get_drug("aspirin")
    drive = next(e for e in aspirin.effects if e.kind == "drive")
    assert drive.potency is not None and drive.potency.assay_days == 4
    ic50 = aspirin.plasma_ec50(drive)
    assert ic50 == pytest.approx(2e-3 * 180.16 * 1000.0)  # 2.0 mM = 360.3 mg/L
    # dose (mg/kg) whose AUC = F D / CL equals the in-vitro exposure IC50 x 4 days
    cl = aspirin.pk.central_volume() * aspirin.pk.k10()
    dose = ic50 * 4.0 * cl / aspirin.pk.bioavailability["po"]
    assert _aspirin_log_loss(dose) == pytest.approx(math.log(2.0), rel=1e-3)
    assert _aspirin_log_loss(dose / 100.0) < 0.01
    k, prov = drive_per_auc(aspirin, drive)
    assert prov.kind == "citation" and "2.0 mM" in prov.text and k > 0


def test_a_drive_potency_must_be_a_growth_ic50_with_its_assay_days() -> None:
    from senotwin.therapy.drugs import Effect

    pot = {"value": "1 uM", "kind": "IC50", "source": "test source text",
           "penetration": 1.0, "penetration_why": "test reason text"}  # fmt: skip
    base = {"target": "stress", "kind": "drive", "provenance": ASSUMED}
    Effect.model_validate({**base, "potency": {**pot, "assay_days": 3}})
    with pytest.raises(ValueError, match="assay_days"):
        Effect.model_validate({**base, "potency": pot})
    with pytest.raises(ValueError, match="growth IC50"):
        Effect.model_validate({**base, "potency": {**pot, "kind": "Kd", "assay_days": 3}})
    with pytest.raises(ValueError, match="not both"):
        Effect.model_validate(
            {**base, "exposure_per_reference_dose": 0.5, "potency": {**pot, "assay_days": 3}}
        )
    with pytest.raises(ValueError, match="drive"):
        Effect.model_validate(
            {"target": "NFKB", "kind": "inhibit", "provenance": ASSUMED,
             "potency": {**pot, "assay_days": 3}}
        )  # fmt: skip


def test_a_patients_own_clearance_follows_the_cited_spread() -> None:
    """patient_clearance: the drug's k10 times a log-normal factor of its cited CV, from the
    patient's own stream per drug; a drug without a cited spread keeps the typical value."""
    from senotwin.sim import prepare_scenario
    from senotwin.therapy.drugs import library
    from senotwin.therapy.language import parse_regimen
    from senotwin.therapy.pkpd import patient_clearance

    regimen = "pembrolizumab 200 mg iv d0; carboplatin 400 mg/m2 iv d0"
    spec = prepare_scenario("default", regimen=parse_regimen(regimen)).spec
    k = "pk_pembrolizumab_k10"
    base = spec.parameter(k).value
    draws = [patient_clearance(spec, 0, i) for i in range(600)]
    assert all(set(d) == {k} for d in draws)  # carboplatin: AUC-dosed, no spread
    assert draws[3] == patient_clearance(spec, 0, 3) != patient_clearance(spec, 1, 3)
    logs = np.log([d[k] / base for d in draws])
    cv = library().get("pembrolizumab").pk.clearance_spread.cv
    assert abs(logs.mean()) < 0.05
    assert logs.std() == pytest.approx(math.sqrt(math.log1p(cv * cv)), rel=0.1)
