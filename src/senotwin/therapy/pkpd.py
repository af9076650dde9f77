"""PK compartments and PD effects: extend a ModelSpec with drugs, as plain model data.

``therapy_spec(spec, drugs)`` returns a new ModelSpec with, per drug, a central concentration
species ``drug_<key>`` (plus ``drug_<key>_depot`` for extravascular routes and
``drug_<key>_periph`` for two compartments, both in central-concentration equivalents),
first-order elimination/absorption/distribution processes (plus a Michaelis-Menten elimination
where the PK has a saturable one), and one observable per effect
``eff_<key>_<ENTITY> = emax * hill(C, EC50, h)``. Effects act through the entity mechanism of
``--block``: every use of a quantity tagged ENTITY is scaled by ``drug_factor_<ENTITY> =
(1 - drug_inhibition_<ENTITY>) * (1 + drug_activation_<ENTITY>)``, where inhibition combines
drugs as independent fractions (1 - prod(1 - e_i)). User blocks still apply on top (flatten).
Senescence inducers add ``k_drive * C`` to the inducer exposure ``stress`` (AUC-linear DNA damage:
``k_drive`` is exposure per unit plasma AUC, in L/(mg day), so the rate is exposure per day);
radiation has no PK and adds exposure at once (a Dose into ``stress``).

Toxicity proxies (review 4.1-4.2) are observables of every therapy model: immune suppression
(drug inhibition of NF-kB), hepatic/renal load (drug inhibition of mTOR), thrombocytopenia (drug
inhibition of the BCL-2 family: platelets need BCL-xL), and tissue damage from senolysis
(senolytic removal of senescent stroma, larger in aged hosts with more senescent stroma).
Because the result is an ordinary ModelSpec, both engines and the SBML export see the same PK/PD.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from scipy.linalg import expm

from senotwin._errors import ValidationError
from senotwin.model.expr import Expr, Op, Sym, substitute, to_text
from senotwin.model.schedule import Dose
from senotwin.model.spec import (
    AssumedProvenance,
    CitationProvenance,
    ModelSpec,
    Observable,
    Parameter,
    Process,
    Species,
)
from senotwin.therapy.dosing import Body, canonical_dose
from senotwin.therapy.drugs import (
    DRIVE_TARGET,
    SENOLYSIS_DAMAGE,
    SENOLYSIS_SOURCE,
    TOXICITY,
    Drug,
    DrugLibrary,
    Effect,
    library,
)
from senotwin.therapy.toxicity import (
    driver_dose,
    driver_parameter_id,
    driver_vmax_id,
    lognormal_sigma,
    neutropenia_parts,
    senolysis_damage_parts,
    thrombocytopenia_parts,
)

if TYPE_CHECKING:
    from senotwin.therapy.language import DosingEvent

#: seed-sequence tag of a patient's own clearances (a stream apart from every other draw)
CLEARANCE_STREAM = 0xC1EA
CLEARANCE_ID = "pk_{key}_k10"


def patient_clearance(
    spec: ModelSpec, seed: int, patient: int, drugs: Iterable[Drug] | None = None
) -> dict[str, float]:
    """One patient's elimination rate constant of each drug in ``spec`` whose PK carries a
    cited ``clearance_spread``: the model value times a log-normal factor of that CV (the
    volume is the typical patient's, so clearance and k10 move together), drawn from the
    patient's own stream per drug (seed, patient index, drug), so every arm and every read of
    the patient meets the same clearance. Drugs without a cited spread keep the typical value.
    A drug's neutropenia driver PK (``myelosuppression.pk``) takes the same clearance factor on
    its elimination capacity and its own cited spreads of the volumes and transport, each from a
    stream of its own."""
    values = {p.id: p.value for p in spec.parameters}
    out: dict[str, float] = {}

    def draw(stream: str) -> float:
        """The patient's standard-normal draw of one stream (stable across runs)."""
        tag = zlib.crc32(stream.encode())
        return float(
            np.random.default_rng([seed, patient, CLEARANCE_STREAM, tag]).standard_normal()
        )

    for drug in library().drugs if drugs is None else drugs:
        spread = drug.pk.clearance_spread
        pid = CLEARANCE_ID.format(key=drug.key)
        if spread is not None and pid in values:
            factor = math.exp(lognormal_sigma(spread.cv) * draw(drug.key))  # the drug's stream
            out[pid] = values[pid] * factor
            driver = driver_vmax_id(drug)  # the same patient's clearance on the driver PK
            if driver in values:
                out[driver] = values[driver] * factor
        ms = drug.myelosuppression
        for item in ms.pk.spread if ms is not None and ms.pk is not None else ():
            pid = driver_parameter_id(drug, item.field)
            if pid in values:  # a stream of its own per constant
                z = draw(f"{drug.key}:{item.field}")
                out[pid] = values[pid] * math.exp(lognormal_sigma(item.cv) * z)
    return out


def entity_key(entity: str) -> str:
    """Identifier-safe form of an entity tag ('HLA-E' -> 'HLA_E')."""
    return re.sub(r"[^A-Za-z0-9_]", "_", entity)


def conc_id(drug: Drug) -> str:
    """Species id of the drug's central concentration."""
    return f"drug_{drug.key}"


def depot_id(drug: Drug) -> str:
    """Species id of the absorption depot (central-concentration equivalents)."""
    return f"drug_{drug.key}_depot"


def periph_id(drug: Drug) -> str:
    """Species id of the peripheral compartment (central-concentration equivalents)."""
    return f"drug_{drug.key}_periph"


def effect_id(drug: Drug, effect: Effect) -> str:
    """Observable id of one PD effect."""
    return f"eff_{drug.key}_{entity_key(effect.target)}"


def factor_id(entity: str) -> str:
    """Observable id of the combined drug factor on an entity."""
    return f"drug_factor_{entity_key(entity)}"


def tox_id(name: str) -> str:
    """Observable id of a toxicity proxy."""
    return f"tox_{name}"


def has_depot(drug: Drug) -> bool:
    """True when some route of the drug is absorbed from a depot."""
    return drug.pk.model != "none" and any(r not in ("iv", "local") for r in drug.routes)


def _bioavailability(drug: Drug, route: str) -> float:
    if route in ("iv", "local"):
        return 1.0
    return drug.pk.bioavailability[route]


def _system(drug: Drug) -> np.ndarray:
    """Linear PK system matrix on (depot, central, peripheral), rates per day."""
    k10 = drug.pk.k10()
    k12, k21 = drug.pk.k12_k21()
    ka = drug.pk.ka_per_day()
    return np.array([[-ka, 0.0, 0.0], [ka, -k10 - k12, k21], [0.0, k12, -k21]])


def _saturable_profile(drug: Drug, x0: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """Central concentration from state ``x0`` (depot, central, peripheral) at ``ts`` with the
    PK's saturable elimination beside the linear system (integrated: it is not linear)."""
    return _saturable_solve(drug, x0, ts)[1]


def _saturable_solve(drug: Drug, x0: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """The states (3 x len(ts)) from ``x0`` at ``ts`` (days after it) with the saturable
    elimination."""
    from scipy.integrate import solve_ivp

    sat = drug.pk.saturable_elimination()
    assert sat is not None
    if float(ts[-1]) <= 0.0:
        return np.repeat(np.asarray(x0, dtype=float)[:, None], ts.size, axis=1)
    vmax, km = sat
    a = _system(drug)

    def rhs(_t: float, x: np.ndarray) -> np.ndarray:
        dx = a @ x
        dx[1] -= vmax * x[1] / (km + max(x[1], 0.0))
        return dx

    sol = solve_ivp(rhs, (0.0, float(ts[-1])), x0, method="LSODA", t_eval=ts, rtol=1e-8, atol=1e-10)
    if not sol.success:  # pragma: no cover - a stiff-solver failure on library constants
        raise ValidationError(f"concentration_profile: {drug.id}: {sol.message}")
    return np.asarray(sol.y, dtype=float)


def concentration_profile(drug: Drug, amount: float, route: str, times: np.ndarray) -> np.ndarray:
    """Central concentration after one dose (canonical units) at ``times`` (days; exact for
    linear PK, integrated to rtol 1e-8 with a saturable elimination)."""
    v = drug.pk.central_volume()
    x0 = np.zeros(3)
    if route in ("iv", "local"):
        x0[1] = amount / v
    else:
        x0[0] = amount * _bioavailability(drug, route) / v
    a = _system(drug)
    ts = np.asarray(times, dtype=float)
    if ts.size == 0 or np.any(np.diff(ts) < 0) or ts[0] < 0:
        raise ValidationError("concentration_profile: times must be >= 0 and increasing")
    if drug.pk.saturable_elimination() is not None:
        return _saturable_profile(drug, x0, ts)
    out = np.empty(ts.size)
    propagators: dict[float, np.ndarray] = {}
    x, t_prev = x0, 0.0
    for i, t in enumerate(ts):
        dt = float(t - t_prev)
        if dt not in propagators:
            propagators[dt] = expm(a * dt)
        x = propagators[dt] @ x
        out[i] = x[1]
        t_prev = float(t)
    return out


def course_profile(
    drug: Drug, doses: Sequence[tuple[float, float, str]], times: np.ndarray
) -> np.ndarray:
    """Central concentration at ``times`` (days, >= 0, increasing) under a course of
    ``doses`` (time in days, amount in the canonical unit, route): exact for linear PK,
    integrated with a saturable elimination (where one dose's profile does not superpose). A
    dose at time t counts at t: read a trough just before its dose."""
    pk = drug.pk
    if pk.model == "none":
        raise ValidationError(f"course_profile: {drug.id} has no PK")
    ts = np.asarray(times, dtype=float)
    if ts.size == 0 or np.any(np.diff(ts) < 0) or ts[0] < 0:
        raise ValidationError("course_profile: times must be >= 0 and increasing")
    v = pk.central_volume()
    a = _system(drug)
    sat = pk.saturable_elimination()

    def advance(x: np.ndarray, dt: float) -> np.ndarray:
        if dt <= 0:
            return x
        if sat is None:
            return np.asarray(expm(a * dt) @ x, dtype=float)
        return _saturable_state(drug, x, dt)

    events = sorted(doses, key=lambda d: d[0])
    x, t, k = np.zeros(3), 0.0, 0
    out = np.empty(ts.size)
    for i, target in enumerate(ts):
        while k < len(events) and events[k][0] <= target:
            when, amount, route = events[k]
            x = advance(x, when - t)
            t = when
            if route in ("iv", "local"):
                x[1] += amount / v
            else:
                x[0] += amount * _bioavailability(drug, route) / v
            k += 1
        x = advance(x, float(target) - t)
        t = float(target)
        out[i] = x[1]
    return out


def _saturable_state(drug: Drug, x0: np.ndarray, dt: float) -> np.ndarray:
    """The (depot, central, peripheral) state ``dt`` days after ``x0`` with the saturable
    elimination (see :func:`_saturable_profile`)."""
    return _saturable_solve(drug, x0, np.array([dt]))[:, -1]


def reference_peak(drug: Drug) -> float:
    """Peak central concentration of the reference dose (EC50s are relative to it)."""
    key = drug.model_dump_json()
    if key not in _PEAKS:
        _PEAKS[key] = _reference_peak(drug)
    return _PEAKS[key]


_PEAKS: dict[str, float] = {}


def _reference_peak(drug: Drug) -> float:
    ref = drug.reference_dose
    if drug.pk.model == "none":
        return 1.0
    amount = canonical_reference_amount(drug)
    if ref.route in ("iv", "local"):
        return amount / drug.pk.central_volume()
    horizon = 5 * min(drug.pk.terminal_half_life_days(), 60.0) + 10.0 / drug.pk.ka_per_day()
    grid = np.linspace(0.0, horizon, 2001)
    peak = float(np.max(concentration_profile(drug, amount, ref.route, grid)))
    return peak


def canonical_reference_amount(drug: Drug) -> float:
    """The reference dose in the drug's canonical unit (reference human body)."""
    return canonical_dose(
        drug.reference_dose.amount, drug.reference_dose.unit, drug, body=Body(), where="library"
    )


def reference_auc(drug: Drug) -> float:
    """AUC(0, inf) of the central concentration after the reference dose: F D / (V k10); with
    a saturable elimination, integrated over the profile (to 10 high-dose half-lives, then the
    low-concentration tail C / k, which the fast low-concentration elimination keeps small)."""
    f = _bioavailability(drug, drug.reference_dose.route)
    pk = drug.pk
    sat = pk.saturable_elimination()
    if sat is None:
        return f * canonical_reference_amount(drug) / (pk.central_volume() * pk.k10())
    ka = pk.ka_per_day()
    horizon = 10 * pk.terminal_half_life_days() + (10.0 / ka if ka > 0 else 0.0)
    grid = np.linspace(0.0, horizon, 8001)
    c = concentration_profile(
        drug, canonical_reference_amount(drug), drug.reference_dose.route, grid
    )
    tail = c[-1] * pk.low_concentration_half_life_days() / math.log(2)
    return float(np.trapezoid(c, grid)) + tail


#: cancer-cell log-loss of one standard course (stress 1), the unit of inducer exposure: the
#: Claret 2014 MONET1 drug effect KDE 0.0103/day x 3 (volume) x 21 days (model/qsp.yaml k_cyto,
#: quantitative-sources tgi_kill_nsclc_platinum_doublet); the model's (k_tis + k_cyto) / d_stress
COURSE_LOG_LOSS = 3 * 0.0103 * 21.0


def drive_per_auc(drug: Drug, effect: Effect) -> tuple[float, object]:
    """Inducer exposure per unit plasma AUC (L/(mg day)) of a drive effect, with its provenance.

    Without a potency: ``exposure_per_reference_dose`` / the reference dose's AUC. With a
    measured growth IC50 over ``assay_days``: holding the tumour at the IC50 for the assay halves
    the cancer cells against control, a log-loss of ln 2 for a plasma AUC of plasma IC50 x days,
    so the exposure per AUC is ln 2 / (plasma IC50 x days x COURSE_LOG_LOSS) (AUC-linear, as
    the chemotherapy drives: a growth IC50 sets the slope, not a threshold)."""
    ic50 = drug.plasma_ec50(effect)
    pot = effect.potency
    days = pot.assay_days if pot is not None else None
    if ic50 is None or pot is None or days is None:
        return effect.exposure_per_reference_dose / reference_auc(drug), effect.provenance
    k = math.log(2.0) / (ic50 * days * COURSE_LOG_LOSS)
    prov = CitationProvenance(
        kind="citation",
        text=f"ln 2 / (plasma growth IC50 x assay days x course log-loss) = 0.693 / "
        f"({ic50:.4g} mg/L x {days:g} d x {COURSE_LOG_LOSS:.3f}); plasma IC50 = "
        f"{pot.value} x {drug.molecular_weight}{drug.blood_factor_text()} / tumour penetration "
        f"{pot.penetration:g} "
        f"({pot.source}; penetration: {pot.penetration_why})",
    )
    return k, prov


def drive_unit(drug: Drug) -> str:
    """Unit of the drug's drive parameter: inducer exposure (dimensionless) per unit plasma AUC,
    so that drive x concentration is exposure per day. A mass drug's AUC is in mg/L x day; an
    activity drug's concentration is declared dimensionless (kBq/L is not a model unit)."""
    return "L/(mg*day)" if drug.dose_kind == "mass" else "1/day"


def dose_for(drug: Drug, amount: float, route: str, time: float) -> Dose:
    """The Dose event of one administration (``amount`` in the drug's canonical unit)."""
    if route not in drug.routes:
        raise ValidationError(
            f"{drug.id} is not given {route!r} (routes: {', '.join(drug.routes)})"
        )
    if drug.pk.model == "none":
        (effect,) = [e for e in drug.effects if e.kind == "drive"]
        scale = amount / canonical_reference_amount(drug)
        return Dose(time, DRIVE_TARGET, effect.exposure_per_reference_dose * scale)
    v = drug.pk.central_volume()
    if route in ("iv", "local"):
        return Dose(time, conc_id(drug), amount / v)
    return Dose(time, depot_id(drug), amount * _bioavailability(drug, route) / v)


def event_doses(events: Iterable[DosingEvent], lib: DrugLibrary | None = None) -> tuple[Dose, ...]:
    """The Dose events of resolved administrations (a regimen's, or what dose rules let by)."""
    lib = lib or library()
    out = []
    for e in events:
        drug = lib.get(e.drug)
        out.append(dose_for(drug, e.amount, e.route, e.time))
        driver = driver_dose(drug, e.amount, e.time)  # the PK a toxicity slope was fitted on
        if driver is not None:
            out.append(driver)
    return tuple(out)


# ---- building the therapy model -----------------------------------------------------------------
def _param(pid: str, name: str, value: float, unit: str, prov: object, *, bounded: bool = False):
    low, high = (0.0, 1.0) if bounded else (value / 10.0, value * 10.0)
    if value == 0:
        low, high = 0.0, 1.0
    return Parameter.model_validate(
        {
            "id": pid,
            "name": name,
            "value": value,
            "unit": unit,
            "range": (low, high),
            "provenance": prov,
        }
    )


def _drug_parts(drug: Drug, spec: ModelSpec) -> tuple[list, list, list, list]:
    """Species, parameters, processes and observables of one drug."""
    species: list[Species] = []
    params: list[Parameter] = []
    processes: list[Process] = []
    observables: list[Observable] = []
    pk = drug.pk
    prov = pk.provenance
    unit = "mg/L" if drug.dose_kind == "mass" else "1"
    comp = drug_compartment(spec)
    if pk.model != "none":
        c = conc_id(drug)
        species.append(
            Species(
                id=c,
                name=f"{drug.id} central concentration",
                unit=unit,
                compartment=comp,
                initial=0.0,
                description=f"{drug.id} in the central compartment "
                + ("(mg/L)" if drug.dose_kind == "mass" else "(kBq/L)"),
            )
        )
        params.append(
            _param(
                CLEARANCE_ID.format(key=drug.key), f"{drug.id} elimination", pk.k10(), "1/day", prov
            )
        )
        processes.append(
            Process(
                id=f"pk_{drug.key}_elimination",
                expression=f"pk_{drug.key}_k10 * {c}",
                stoichiometry={c: -1},
                description=f"first-order elimination of {drug.id}",
            )
        )
        if (sat := pk.saturable_elimination()) is not None:
            base = f"pk_{drug.key}"
            params.append(
                _param(f"{base}_vmax", f"{drug.id} saturable elimination capacity / V1", sat[0],
                       "mg/(L*day)", prov)
            )  # fmt: skip
            params.append(
                _param(f"{base}_km", f"{drug.id} saturable elimination Km", sat[1], "mg/L", prov)
            )
            processes.append(
                Process(
                    id=f"{base}_saturable_elimination",
                    expression=f"{base}_vmax * {c} / ({base}_km + {c})",
                    stoichiometry={c: -1},
                    description=f"saturable (Michaelis-Menten) elimination of {drug.id}, in "
                    "parallel with the linear one (target-mediated clearance)",
                )
            )
        if has_depot(drug):
            d = depot_id(drug)
            species.append(
                Species(
                    id=d,
                    name=f"{drug.id} absorption depot",
                    unit=unit,
                    compartment=comp,
                    initial=0.0,
                )
            )
            params.append(
                _param(f"pk_{drug.key}_ka", f"{drug.id} absorption", pk.ka_per_day(), "1/day", prov)
            )
            processes.append(
                Process(
                    id=f"pk_{drug.key}_absorption",
                    expression=f"pk_{drug.key}_ka * {d}",
                    stoichiometry={d: -1, c: 1},
                    description=f"first-order absorption of {drug.id}",
                )
            )
        k12, k21 = pk.k12_k21()
        if k12 > 0:
            p = periph_id(drug)
            species.append(
                Species(
                    id=p,
                    name=f"{drug.id} peripheral compartment",
                    unit=unit,
                    compartment=comp,
                    initial=0.0,
                )
            )
            params.append(
                _param(f"pk_{drug.key}_k12", f"{drug.id} distribution", k12, "1/day", prov)
            )
            params.append(
                _param(f"pk_{drug.key}_k21", f"{drug.id} redistribution", k21, "1/day", prov)
            )
            processes.append(
                Process(
                    id=f"pk_{drug.key}_distribution",
                    expression=f"pk_{drug.key}_k12 * {c}",
                    stoichiometry={c: -1, p: 1},
                )
            )
            processes.append(
                Process(
                    id=f"pk_{drug.key}_redistribution",
                    expression=f"pk_{drug.key}_k21 * {p}",
                    stoichiometry={p: -1, c: 1},
                )
            )
    for e in drug.effects:
        if e.kind == "drive":
            if DRIVE_TARGET not in spec.species_ids:
                raise ValidationError(
                    f"{drug.id} drives senescence-inducer exposure, but model {spec.id!r} has no "
                    f"species {DRIVE_TARGET!r}"
                )
            if pk.model == "none":
                continue  # instant exposure: a Dose into stress (dose_for)
            k_drive, drive_prov = drive_per_auc(drug, e)
            pid = f"pd_{drug.key}_drive"
            params.append(
                _param(
                    pid, f"{drug.id} exposure per unit AUC", k_drive, drive_unit(drug), drive_prov
                )
            )
            sens = f" * {SENSITIVITY}" if e.acquired_resistance else ""
            processes.append(
                Process(
                    id=f"pd_{drug.key}_exposure",
                    expression=f"{pid} * {conc_id(drug)}{sens}",
                    stoichiometry={DRIVE_TARGET: 1},
                    description=f"{drug.id} delivers senescence-inducing exposure (AUC-linear"
                    + (", less as resistance is acquired)" if sens else ")"),
                )
            )
            continue
        if e.target not in spec.entities():
            continue  # not represented by this model: said in the run's notes (effect_notes)
        ek = entity_key(e.target)
        base = f"pd_{drug.key}_{ek}"
        measured = drug.plasma_ec50(e)
        ec50_prov: AssumedProvenance | CitationProvenance
        if measured is not None and e.potency is not None:
            ec50 = measured
            ec50_prov = CitationProvenance(
                kind="citation",
                text=f"plasma EC50 = {e.potency.kind} {e.potency.value} x "
                f"{drug.molecular_weight}{drug.blood_factor_text()} / tumour penetration "
                f"{e.potency.penetration:g} "
                f"({e.potency.source}; penetration: {e.potency.penetration_why})",
            )
        else:
            ec50 = e.ec50_rel * reference_peak(drug)
            ec50_prov = AssumedProvenance(
                kind="assumed",
                rationale=f"EC50 = {e.ec50_rel:g} x the peak concentration of the reference "
                f"dose ({drug.reference_dose.amount:g} {drug.reference_dose.unit} "
                f"{drug.reference_dose.route})",
            )
        params.append(
            _param(f"{base}_ec50", f"{drug.id} EC50 on {e.target}", ec50, unit, ec50_prov)
        )
        params.append(
            _param(
                f"{base}_emax",
                f"{drug.id} maximal effect on {e.target}",
                e.emax,
                "1",
                e.provenance,
                bounded=e.kind == "inhibit",
            )
        )
        params.append(
            _param(f"{base}_hill", f"{drug.id} Hill coefficient", e.hill, "1", e.provenance)
        )
        observables.append(
            Observable(
                id=effect_id(drug, e),
                name=f"{drug.id} {e.kind} {e.target}" + (" (high dose)" if e.high_dose else ""),
                expression=f"{base}_emax * hill({conc_id(drug)}, {base}_ec50, {base}_hill)",
                description=e.note,
            )
        )
    return species, params, processes, observables


# ---- acquired resistance to chemotherapy (tumour-growth-inhibition models) ----------------------
#: observable: the share of a cytotoxic drive that still acts, exp(-lambda x time on chemotherapy)
SENSITIVITY = "chemo_sensitivity"
ON_ID = "chemo_on"  # 0 before the first cytotoxic exposure, 1 from then on
RESISTANCE_ID = "chemo_res"  # lambda x days since the first exposure (ln units)
#: lambda of the Claret 2009 form KD x exp(-lambda t): 0.0193/day under carboplatin + paclitaxel
#: q3w in first-line nonsquamous NSCLC (Claret 2014, MONET1, 934 patients; drug effect half-life
#: 36 d); Tham 2008 (carboplatin + gemcitabine, small series) gave 0.0129/day
RESISTANCE_PER_DAY = 0.0193
RESISTANCE_SOURCE = (
    "Claret L et al. Clin Pharmacol Ther 2014;95:446-51 (MONET1: carboplatin + paclitaxel q3w "
    "+/- motesanib, first-line nonsquamous NSCLC, 934 patients; simplified TGI model "
    "TS = BASE exp(KL t - KDE/lambda (1 - exp(-lambda t))), Supplementary Table S1): lambda = "
    "0.0193/day (drug-effect half-life 36 d; between-patient SD of ln 0.80), read in the "
    "nlmixr2lib reproduction, which corrects the table's transposed KDE/lambda estimates by the "
    "paper's own typical time to tumour growth; the exp(-lambda t) resistance term of the Claret "
    "tumour-growth-inhibition model (Claret L et al. J Clin Oncol 2009;27:4103-8). Tham LS et al. "
    "Clin Cancer Res 2008;14:4213-8 (carboplatin + gemcitabine in NSCLC) gave a slower 7.67-week "
    "half-life (0.0129/day); quantitative-sources tgi_kill_nsclc_platinum_doublet, "
    "tgi_resistance_nsclc"
)
#: onset per course of exposure: one reference dose sets chemo_on to 1 - exp(-20)
ONSET_PER_COURSE = 20.0


def resistance_parts(
    drives: Sequence[tuple[str, str]], compartment: str
) -> tuple[list[Species], list[Parameter], list[Process], list[Observable]]:
    """Time-on-chemotherapy resistance shared by every cytotoxic drive in ``drives``.

    ``drives`` are (drive parameter id, concentration id) pairs; the clock starts at the first
    exposure (``chemo_on`` switches to 1) and ``chemo_sensitivity = exp(-lambda t_on)``
    multiplies each drive: the Claret 2009 KD exp(-lambda t) with t from the start of treatment.
    """
    if not drives:
        return [], [], [], []
    species = [
        Species(
            id=ON_ID,
            name="chemotherapy started (0/1)",
            unit="1",
            compartment=compartment,
            initial=0.0,
            description="switches to 1 at the first cytotoxic exposure and stays there",
        ),
        Species(
            id=RESISTANCE_ID,
            name="acquired chemotherapy resistance (ln units)",
            unit="1",
            compartment=compartment,
            initial=0.0,
            description="lambda x days since the first cytotoxic exposure",
        ),
    ]
    cite = CitationProvenance(kind="citation", text=RESISTANCE_SOURCE)
    onset_prov = AssumedProvenance(
        kind="assumed",
        rationale="a switch, not a magnitude: any value >> 1 starts the resistance clock at the "
        "first dose (20: 1 - 2e-9 after one reference dose)",
    )
    params = [
        _param(
            "pd_chemo_resistance", "loss of cytotoxic effect", RESISTANCE_PER_DAY, "1/day", cite
        ),
        _param("pd_chemo_onset", "resistance clock switch", ONSET_PER_COURSE, "1", onset_prov),
    ]
    delivery = " + ".join(f"{pid} * {c}" for pid, c in drives)
    processes = [
        Process(
            id="pd_chemo_start",
            expression=f"pd_chemo_onset * ({delivery}) * (1 - {ON_ID})",
            stoichiometry={ON_ID: 1},
            description="the first cytotoxic exposure starts the time-on-chemotherapy clock",
        ),
        Process(
            id="pd_chemo_resistance_gain",
            expression=f"pd_chemo_resistance * {ON_ID}",
            stoichiometry={RESISTANCE_ID: 1},
            description="acquired resistance grows with time on chemotherapy (Claret 2009 form)",
        ),
    ]
    observables = [
        Observable(
            id=SENSITIVITY,
            name="share of the cytotoxic drive still acting",
            unit="1",
            expression=f"exp(-{RESISTANCE_ID})",
            description=RESISTANCE_SOURCE,
        )
    ]
    return species, params, processes, observables


def represented_targets(spec: ModelSpec) -> tuple[str, ...]:
    """Drug targets ``spec`` represents: its entity tags, and ``stress`` if it has that species."""
    extra = (DRIVE_TARGET,) if DRIVE_TARGET in spec.species_ids else ()
    return (*spec.entities(), *extra)


def _acts(effect: Effect, spec: ModelSpec) -> bool:
    target = DRIVE_TARGET if effect.kind == "drive" else effect.target
    return target in represented_targets(spec)


def effect_notes(spec: ModelSpec, drugs: Iterable[Drug]) -> tuple[str, ...]:
    """One note per drug effect that ``spec`` cannot apply (its target is not represented).

    A drug none of whose effects act is an error naming the targets the model does represent:
    giving it would silently do nothing.
    """
    notes = []
    for drug in drugs:
        missing = [e.target for e in drug.effects if not _acts(e, spec)]
        if not missing:
            continue
        if len(missing) == len(drug.effects):
            raise ValidationError(
                f"drug {drug.id} targets {', '.join(dict.fromkeys(missing))}, which model "
                f"{spec.id} does not represent; represented targets: "
                f"{', '.join(represented_targets(spec))}"
            )
        notes.append(
            f"{drug.id}: effect on {', '.join(dict.fromkeys(missing))} not applied (model "
            f"{spec.id} does not represent it)"
        )
    return tuple(notes)


def drug_compartment(spec: ModelSpec) -> str:
    """Where drug amounts live: the model's blood compartment if it has one, else its first."""
    ids = [c.id for c in spec.compartments]
    return "blood" if "blood" in ids else ids[0]


def _product(terms: Sequence[str]) -> str:
    return " * ".join(terms) if terms else "1"


_SPECS: dict[tuple[str, tuple[str, ...]], ModelSpec] = {}


def therapy_spec(spec: ModelSpec, drugs: Iterable[Drug]) -> ModelSpec:
    """``spec`` extended with the PK/PD of ``drugs`` and the toxicity proxies (cached)."""
    chosen = tuple(sorted({d.id: d for d in drugs}.values(), key=lambda d: d.id))
    key = (spec.digest(), tuple(d.model_dump_json() for d in chosen))
    if key not in _SPECS:
        if len(_SPECS) >= 64:
            _SPECS.pop(next(iter(_SPECS)))
        _SPECS[key] = _build_therapy_spec(spec, chosen)
    return _SPECS[key]


def _build_therapy_spec(spec: ModelSpec, drugs: tuple[Drug, ...]) -> ModelSpec:
    species: list[Species] = []
    params: list[Parameter] = []
    processes: list[Process] = []
    observables: list[Observable] = []
    inhibitors: dict[str, list[str]] = {}
    activators: dict[str, list[str]] = {}
    effect_notes(spec, drugs)  # a drug that cannot act at all is an error
    for drug in drugs:
        s, p, pr, o = _drug_parts(drug, spec)
        species += s
        params += p
        processes += pr
        observables += o
        for e in drug.effects:
            if not _acts(e, spec):
                continue
            if e.kind == "inhibit":
                inhibitors.setdefault(e.target, []).append(effect_id(drug, e))
            elif e.kind == "activate":
                activators.setdefault(e.target, []).append(effect_id(drug, e))
    targets = sorted(set(inhibitors) | set(activators))
    for ent in targets:
        ek = entity_key(ent)
        inh = " * ".join(f"(1 - {x})" for x in inhibitors.get(ent, []))
        act = " + ".join(activators.get(ent, []))
        observables.append(
            Observable(
                id=f"drug_inhibition_{ek}",
                name=f"combined drug inhibition of {ent}",
                expression=f"1 - {inh}" if inh else "0",
            )
        )
        observables.append(
            Observable(
                id=f"drug_activation_{ek}",
                name=f"combined drug activation of {ent}",
                expression=act or "0",
            )
        )
        observables.append(
            Observable(
                id=factor_id(ent),
                name=f"drug factor on {ent} (scales every use of the entity)",
                expression=f"(1 - drug_inhibition_{ek}) * (1 + drug_activation_{ek})",
            )
        )
    h_sp, h_par, h_pr, damage = senolysis_damage_parts(spec, drugs, drug_compartment(spec))
    species += h_sp
    params += h_par
    processes += h_pr
    observables += _toxicity_observables(spec, set(inhibitors), damage)
    drives = [
        (f"pd_{d.key}_drive", conc_id(d))
        for d in drugs
        if d.pk.model != "none"
        for e in d.effects
        if e.kind == "drive" and e.acquired_resistance and _acts(e, spec)
    ]
    r_sp, r_par, r_pr, r_obs = resistance_parts(drives, drug_compartment(spec))
    species += r_sp
    params += r_par
    processes += r_pr
    observables += r_obs
    concs = {d.id: conc_id(d) for d in drugs}
    for parts in (neutropenia_parts, thrombocytopenia_parts):
        b_sp, b_par, b_pr, b_obs = parts(drugs, drug_compartment(spec), concs)
        species += b_sp
        params += b_par
        processes += b_pr
        observables += b_obs
    base_obs, base_proc = _rewrite(spec, targets)
    data = spec.model_dump()
    data["id"] = f"{spec.id}_therapy" if drugs else spec.id
    data["species"] = [*data["species"], *(s.model_dump() for s in species)]
    data["parameters"] = [*data["parameters"], *(p.model_dump() for p in params)]
    data["processes"] = [*(p.model_dump() for p in base_proc), *(p.model_dump() for p in processes)]
    data["observables"] = [
        *(o.model_dump() for o in base_obs),
        *(o.model_dump() for o in observables),
    ]
    try:
        return ModelSpec.model_validate(data)
    except ValueError as exc:
        raise ValidationError(f"cannot add drugs to model {spec.id!r}: {exc}") from None


def _toxicity_observables(spec: ModelSpec, inhibited: set[str], damage: str) -> list[Observable]:
    """The library's toxicity proxies; ``damage`` is the QSP host-pool senolysis expression."""
    out = []
    for name, tox in TOXICITY.items():
        ek = entity_key(tox.entity)
        out.append(
            Observable(
                id=tox_id(name),
                name=f"toxicity proxy: {tox.description}",
                expression=f"drug_inhibition_{ek}" if tox.entity in inhibited else "0",
                description=tox.source,
            )
        )
    present = {*spec.observable_ids, *spec.species_ids}
    what = "share of host tissue cells killed per day by senolysis"
    if {"senolysis_rate", "S_stroma"} <= present:  # the legacy TME model's stromal pool
        damage = "senolysis_rate * S_stroma"
        what = "tissue damage from senolysis of senescent stroma"
    out.append(
        Observable(
            id=tox_id(SENOLYSIS_DAMAGE),
            name=f"toxicity proxy: {what}",
            unit="1/day",
            expression=damage,
            description=SENOLYSIS_SOURCE,
        )
    )
    return out


def _rewrite(spec: ModelSpec, targets: Sequence[str]) -> tuple[list[Observable], list[Process]]:
    """Scale every use of quantities tagged with a drug target by its drug factor."""
    if not targets:
        return list(spec.observables), list(spec.processes)
    factor = {ent: Sym(factor_id(ent)) for ent in targets}
    use_map: dict[str, Expr] = {}
    tagged: list[Species | Parameter] = [*spec.species, *spec.parameters]
    for item in tagged:
        if item.entity in factor:
            use_map[item.id] = Op("*", (Sym(item.id), factor[item.entity]))
    observables = []
    for o in spec.observables:
        tree = substitute(spec.rate_tree(o), use_map)
        if o.entity in factor:
            tree = Op("*", (factor[o.entity], tree))
        if tree == spec.rate_tree(o):
            observables.append(o)
            continue
        data = o.model_dump()
        data.update(rate_law=None, args={}, expression=to_text(tree))
        observables.append(Observable.model_validate(data))
    processes = []
    for pr in spec.processes:
        mapping = {k: v for k, v in use_map.items() if k not in pr.stoichiometry}
        tree = substitute(spec.rate_tree(pr), mapping)
        if tree == spec.rate_tree(pr):
            processes.append(pr)
            continue
        data = pr.model_dump()
        data.update(rate_law=None, args={}, expression=to_text(tree))
        processes.append(Process.model_validate(data))
    return observables, processes


def pk_citation_share(drugs: Iterable[Drug]) -> dict[str, float]:
    """Share of PK and PD records that are cited vs assumed (for reports)."""
    pk = [d.pk.provenance for d in drugs]
    pd = [e.provenance for d in drugs for e in d.effects]
    out = {}
    for label, items in (("pk", pk), ("pd", pd)):
        n = len(items) or 1
        out[f"{label}_cited"] = sum(isinstance(p, CitationProvenance) for p in items) / n
        out[f"{label}_assumed"] = sum(isinstance(p, AssumedProvenance) for p in items) / n
    return out
