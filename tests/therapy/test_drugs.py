"""The shipped drug library: kb agents, model-valid targets, provenance, listed agents present."""

from __future__ import annotations

import pytest

from senotwin._errors import ValidationError
from senotwin.model.qsp import load_qsp
from senotwin.model.tme import load_tme
from senotwin.therapy.drugs import DRIVE_TARGET, DoseRange, get_drug, library
from senotwin.therapy.pkpd import represented_targets

REQUIRED = [
    "metformin", "rapamycin", "artesunate", "oleuropein", "quercetin", "silymarin", "apigenin",
    "resveratrol", "sb203580", "birb796", "syq-pa", "aspirin", "nsaid", "bay11-7082",
    "jak2-stat3-inhibitor", "tocilizumab", "anti-il-6", "anti-ccl2", "csf1r-inhibitor",
    "ccr2-inhibitor", "cxcr2-inhibitor", "navitoclax", "apod-adc", "gos-nanoparticle",
    "anti-pd-1", "anti-pd-l1", "anti-ctla-4", "b68", "lipoic-acid", "osu13", "th1902",
    "doxorubicin", "irinotecan", "bleomycin", "carboplatin", "etoposide", "radiation",
    "cdk4-6-inhibitor", "ra223-sazyme",
]  # fmt: skip


def test_every_listed_agent_is_present() -> None:
    ids = {d.id for d in library().drugs}
    assert not set(REQUIRED) - ids


def test_entries_name_kb_agents_and_model_targets(shipped_kb) -> None:
    agents = shipped_kb.agents
    entities = set(load_tme().entities())
    for drug in library().drugs:
        assert drug.kb_agent in agents or drug.outside_review, drug.id
        for e in drug.effects:
            assert e.target in entities or e.target == DRIVE_TARGET, (drug.id, e.target)


def test_default_model_represents_the_checkpoint_senolytic_and_sasp_targets() -> None:
    represented = set(represented_targets(load_qsp()))
    assert {
        *("CD274", "PDCD1", "NFKB", "BCL2_FAMILY", "SCAP", "IL6", "CCL2", "CCR2", DRIVE_TARGET),
    } <= represented
    # every drug either acts on the default model or is refused with the one clear error
    acting = [d for d in library().drugs if any(e.target in represented for e in d.effects)]
    assert {"anti-pd-l1", "anti-pd-1", "navitoclax", "doxorubicin", "tocilizumab"} <= {
        d.id for d in acting
    }


def test_half_lives_in_expected_ranges() -> None:
    days = {d.id: d.pk.terminal_half_life_days() for d in library().drugs if d.pk.model != "none"}
    assert 20 / 24 <= days["doxorubicin"] <= 48 / 24
    assert days["navitoclax"] == pytest.approx(15 / 24)
    assert days["rapamycin"] == pytest.approx(62 / 24)
    # tocilizumab: the linear (high-concentration) half-life of its saturable PK (Frey 2010,
    # ~21 d); far below Km the target-mediated path shortens it
    assert 20 <= days["tocilizumab"] <= 22
    assert get_drug("tocilizumab").pk.low_concentration_half_life_days() < 12
    assert 14 <= days["anti-pd-l1"] <= 28


def test_senomorphics_turn_senolytic_at_high_dose_with_curator_note() -> None:
    checked = []
    for drug in library().drugs:
        if drug.category == "senomorphic" and drug.id not in (
            "syq-pa", "jak2-stat3-inhibitor", "sting-inhibitor"
        ):  # fmt: skip
            high = [e for e in drug.effects if e.high_dose]
            assert high and high[0].target == "SCAP", drug.id
            assert "NOTE_C22_DOSE_REFS" in drug.kb_notes
            checked.append(drug.id)
    assert {"rapamycin", "metformin"} <= set(checked), checked


def test_aliases_and_suggestions() -> None:
    assert get_drug("ABT-263").id == "navitoclax"
    assert get_drug("Adriamycin").id == "doxorubicin"
    with pytest.raises(ValidationError, match="navitoclax"):
        get_drug("navitoclx")


def test_toxicity_proxies_follow_targets() -> None:
    assert "thrombocytopenia" in get_drug("navitoclax").toxicities()
    assert "hepatorenal_load" in get_drug("rapamycin").toxicities()
    assert "immune_suppression" in get_drug("bay11-7082").toxicities()


def test_named_products_trials_dose_are_in_the_library_with_cited_human_pk() -> None:
    products = {
        "pembrolizumab": "PDCD1", "nivolumab": "PDCD1", "atezolizumab": "CD274",
        "ipilimumab": "CTLA4", "cisplatin": "stress", "carboplatin": "stress",
        "pemetrexed": "stress", "paclitaxel": "stress", "nab-paclitaxel": "stress",
        "doxorubicin": "stress", "palbociclib": "stress", "abemaciclib": "stress",
        "navitoclax": "BCL2_FAMILY", "dasatinib": "SCAP", "quercetin": "SCAP",
    }  # fmt: skip
    for name, target in products.items():
        drug = get_drug(name)
        assert target in drug.targets, name
        assert drug.human_problem() is None, name
        assert drug.pk.provenance.kind == "citation", name
        assert drug.dose_ranges["human"].source, name
    # trial names resolve to the product, not to the kb class
    assert get_drug("Keytruda").id == "pembrolizumab"
    assert get_drug("pembrolizumab").kb_agent == get_drug("anti-pd-1").kb_agent == "ANTI_PD1"


def test_quercetin_pk_is_the_free_aglycone_read_in_humans() -> None:
    """Quercetin's human PK (session 52, dq52): t1/2 3.5 h and CL/F 3.5e4 L/h (Biopharm Drug
    Dispos 2008, 500 mg aglycone tid), F from the iv clearance (0.34 L/kg, t1/2 2.4 h; Gugler
    1975); its 1250 mg peak lies inside the blood levels measured in the D + Q Alzheimer trial
    (3.29-26.3 ng/mL, Gonzales 2023) -- a check, not a fit."""
    import math

    import numpy as np

    from senotwin.therapy.pkpd import concentration_profile

    drug = get_drug("quercetin")
    pk = drug.pk
    assert pk.provenance.kind == "citation" and "free" in pk.provenance.text
    assert pk.terminal_half_life_days() * 24 == pytest.approx(3.5)
    f = pk.bioavailability["po"]
    assert f == pytest.approx(6.87 / 35000, rel=0.02)  # CL(iv) / (CL/F)
    v_over_f = pk.central_volume() * 70 / f  # L
    cl_over_f = v_over_f * math.log(2) / 3.5  # L/h
    assert cl_over_f == pytest.approx(35000, rel=0.01)
    grid = np.linspace(0.0, 1.0, 2001)
    peak = float(np.max(concentration_profile(drug, 1250 / 70, "po", grid))) * 1000  # ng/mL
    assert 3.29 <= peak <= 26.3
    rng = drug.dose_ranges["human"]
    assert (rng.min, rng.max, rng.routes) == ("500 mg", "1250 mg", ("po",))


def test_product_pk_matches_its_label() -> None:
    days = {d: get_drug(d).pk.terminal_half_life_days() for d in ("pembrolizumab", "nivolumab")}
    assert 20 <= days["pembrolizumab"] <= 27  # label 22 d (CV 32%)
    assert 17 <= days["nivolumab"] <= 27
    assert get_drug("atezolizumab").pk.terminal_half_life_days() == pytest.approx(27, abs=1)
    # a volume in L is per the reference adult (70 kg); one in L/m2 per BSA (Km 37 kg/m2)
    assert get_drug("pemetrexed").pk.central_volume() == pytest.approx(16.1 / 70)
    assert get_drug("cisplatin").pk.central_volume() == pytest.approx(11.5 / 37)


def test_occupancy_said_insensitive_to_penetration_is_so_at_the_labelled_trough() -> None:
    """A checkpoint antibody's penetration_why that calls receptor occupancy insensitive to
    the assumed tumour penetration must hold at the trough before the fourth reference dose at
    the first labelled interval: occupancy with penetration 1 and with the entry's own differ
    by < 0.1. CTLA-4 (Kd 18.2 nM) is not: its entries said so by copy from the PD-1 ones."""
    import numpy as np

    from senotwin.therapy.pkpd import canonical_reference_amount, course_profile

    checked = []
    for drug in library().drugs:
        if "human" not in drug.dose_ranges:
            continue
        for e in drug.effects:
            pot = e.potency
            claims = ("insensitive", "whatever the penetration")
            if pot is None or e.hill != 1.0 or not any(c in pot.penetration_why for c in claims):
                continue
            every = drug.dose_ranges["human"].all_schedules()[0].interval_day()
            dose = (canonical_reference_amount(drug), drug.reference_dose.route)
            doses = [(k * every, *dose) for k in range(3)]  # exact with a saturable PK too
            (trough,) = course_profile(drug, doses, np.array([3 * every]))  # before the 4th
            ec50 = drug.plasma_ec50(e)
            assert ec50 is not None
            own, full = trough / (trough + ec50), trough / (trough + ec50 * pot.penetration)
            assert full - own < 0.1, (drug.id, round(own, 2), round(full, 2))
            checked.append(drug.id)
    assert {"pembrolizumab", "atezolizumab", "nivolumab"} <= set(checked)
    assert "ipilimumab" not in checked and "anti-ctla-4" not in checked


def test_drugs_without_human_pk_or_range_say_why() -> None:
    assert "mouse PK" in (get_drug("sb203580").human_problem() or "")
    assert "not cited" in (get_drug("oleuropein").human_problem() or "")
    # cited human PK but no labelled range (metformin and artesunate were so before session 52;
    # every drug with cited human PK has one since, so the state is made)
    no_range = get_drug("artesunate").model_copy(update={"dose_ranges": {}})
    assert "no labelled or studied human dose range" in (no_range.human_problem() or "")
    shown = get_drug("sb203580").to_dict()
    assert str(shown["human_use"]).startswith("sb203580 has no human PK")
    assert get_drug("pembrolizumab").to_dict()["human_use"] == "available"


def test_bad_volume_unit_is_refused() -> None:
    from senotwin.therapy.drugs import volume_per_kg

    assert volume_per_kg("1.5 L/kg", 70) == pytest.approx(1.5)
    with pytest.raises(ValidationError, match=r"pk\.volume"):
        volume_per_kg("3 h", 70)


def test_labelled_dosing_intervals_load_from_the_library() -> None:
    """Every human range carries the interval its source states (issue 13 item 7); radiation's
    too since its fractionation schedules were entered (RTOG 0617, Turrisi 1999, RTOG 0915,
    RTOG 9714): no shipped range leaves optimize to the half-life fallback."""
    days = {
        d.id: d.dose_ranges["human"].interval_days()
        for d in library().drugs
        if "human" in d.dose_ranges
    }
    assert [d for d, iv in days.items() if not iv] == []
    assert days["radiation"] == (0.5, 1.0)  # twice daily (hyperfractionated) or daily
    assert days["doxorubicin"] == (7.0, 21.0)  # weekly 10-20 mg/m2 or 60-75 mg/m2 q21d
    assert days["nab-paclitaxel"] == (7.0, 21.0)
    assert days["pembrolizumab"] == (14.0, 21.0, 42.0)
    assert days["carboplatin"] == (21.0, 28.0)  # trials q3w (KEYNOTE-189); Paraplatin q4w
    assert days["navitoclax"] == days["palbociclib"] == days["dasatinib"] == (1.0,)
    assert days["abemaciclib"] == (0.5,)  # 12 h: bid
    assert get_drug("anti-pd-l1").dose_ranges["mouse"].interval_days() == pytest.approx((7 / 3,))
    assert get_drug("pemetrexed").to_dict()["dose_ranges"]["human"]["interval"] == ("21 d",)
    shown = get_drug("doxorubicin").to_dict()["dose_ranges"]["human"]["schedules"]
    assert [(x["min"], x["max"], x["interval"]) for x in shown] == [
        ("40 mg/m2", "90 mg/m2", "21 d"),
        ("10 mg/m2", "20 mg/m2", "7 d"),
    ]


@pytest.mark.parametrize(
    ("every", "text"),
    [
        (1.0, "qd"),
        (0.5, "bid"),
        (1 / 3, "tid"),
        (8 / 24, "tid"),
        (0.25, "qid"),
        (4 / 24, "q4h"),
        (3 / 24, "q3h"),
        (2 / 24, "q2h"),
        (1 / 24, "q1h"),
        (2.0, "q2d"),
        (21.0, "q21d"),
        (5 / 24, "q0.2083d"),  # 5 h divides no day: an interval, as the language reads it
    ],
)
def test_frequency_text_writes_doses_a_day_as_words(every: float, text: str) -> None:
    from senotwin.therapy.drugs import doses_per_day, frequency_text
    from senotwin.therapy.language import parse_regimen

    assert frequency_text(every) == text
    n = doses_per_day(every)
    item = parse_regimen(f"metformin 500 mg po {text} d0-d2").items[0]
    assert item.per_day == (n or 1)
    assert item.every == pytest.approx(1.0 if n is not None else every, rel=1e-3)


def test_schedules_are_shown_in_the_regimen_languages_words() -> None:
    """Metformin 850 mg three times a day and aspirin every 4 or 6 hours print as tid, q4h and
    qid (they printed as 'q0.3333d', 'q0.1667d', 'q0.25d', which the parser reads as an
    interval), in the labels and in `drugs show`'s schedule_labels."""
    labels = {
        name: get_drug(name).to_dict()["dose_ranges"]["human"]["schedule_labels"]  # type: ignore[index]
        for name in ("metformin", "aspirin")
    }
    assert labels["metformin"] == ["500 mg to 1000 mg bid", "500 mg to 850 mg tid"]
    assert labels["aspirin"] == ["50 mg to 325 mg qd", "325 mg to 650 mg q4h", "975 mg qid"]


def test_paired_schedules_load_from_the_library() -> None:
    """A range may pair dose bounds with their interval and on/off cycle (issue 13 item 7): the
    search gave 222 mg/m2 nab-paclitaxel weekly and navitoclax daily without its off week."""
    from senotwin.therapy.dosing import Body, canonical_dose

    nab = get_drug("nab-paclitaxel")
    rng = nab.dose_ranges["human"]
    assert [s.label() for s in rng.all_schedules()] == [
        "260 mg/m2 q21d",
        "100 mg/m2 q7d",
        "100 mg/m2 to 125 mg/m2 q7d on days 1-21 of each 28-day cycle",
    ]
    weekly = [s for s in rng.all_schedules() if s.interval_day() == 7.0]
    assert max(float(s.max.split()[0]) for s in weekly) == 125.0
    nav = get_drug("navitoclax").dose_ranges["human"].schedules
    assert nav[0].on_off_days() == (14.0, 21.0) and nav[1].on_off_days() is None
    assert get_drug("palbociclib").dose_ranges["human"].schedules[0].on_off_days() == (21.0, 28.0)
    pem = get_drug("pembrolizumab").dose_ranges["human"].schedules
    assert [(s.min, s.interval) for s in pem if s.interval_day() == 42.0] == [("400 mg", "42 d")]
    # atezolizumab is labelled at flat doses, each with its own interval
    for anti_pdl1 in ("atezolizumab", "anti-pd-l1"):
        atezo = get_drug(anti_pdl1).dose_ranges["human"].all_schedules()
        assert [s.label() for s in atezo] == ["840 mg q14d", "1200 mg q21d", "1680 mg q28d"]
    # a schedule without its own source is stated by the range's; one from elsewhere cites it
    eto = get_drug("etoposide").dose_ranges["human"]
    assert eto.schedule_source(eto.schedules[0]) == eto.source
    assert eto.schedule_source(eto.schedules[3]).startswith("Horn L et al. N Engl J Med 2018")
    pac = get_drug("paclitaxel").dose_ranges["human"]  # the NSCLC trials' dose, above the label's
    trials = [s for s in pac.schedules if s.label() == "200 mg/m2 q21d"]
    assert len(trials) == 1 and "Sandler A" in trials[0].source and "MONET1" in trials[0].source
    # cisplatin pairs each label dose with its schedule; BEP's cycle length has its own source
    cis = get_drug("cisplatin").dose_ranges["human"]
    assert [s.label() for s in cis.schedules] == [
        "75 mg/m2 to 100 mg/m2 q28d",
        "50 mg/m2 to 70 mg/m2 q21d",
        "75 mg/m2 q21d",
        "20 mg/m2 qd on days 1-5 of each 21-day cycle",
    ]
    assert "Williams SD" in cis.schedule_source(cis.schedules[3])
    # the flat form is one schedule per interval, with the range's own bounds
    flat = DoseRange.model_validate(
        {"min": "20 mg/m2", "max": "100 mg/m2", "routes": ["iv"], "source": "a test source",
         "interval": ["21 d", "28 d"]}
    )  # fmt: skip
    assert [(s.min, s.max, s.interval_day()) for s in flat.all_schedules()] == [
        ("20 mg/m2", "100 mg/m2", 21.0),
        ("20 mg/m2", "100 mg/m2", 28.0),
    ]
    pem = get_drug("pemetrexed").dose_ranges["human"].all_schedules()
    assert [(s.min, s.max, s.interval_day()) for s in pem] == [("250 mg/m2", "838 mg/m2", 21.0)]
    # radiotherapy courses are their fractions: each schedule caps a course's doses
    rad = get_drug("radiation").dose_ranges["human"].all_schedules()
    assert [(s.label(), s.cap()) for s in rad] == [
        ("2 Gy qd on days 1-5 of each 7-day cycle, at most 30 doses", 30),  # RTOG 0617
        ("1.5 Gy bid on days 1-5 of each 7-day cycle, at most 30 doses", 30),  # Turrisi 1999
        ("12 Gy qd, at most 4 doses", 4),  # RTOG 0915
        ("34 Gy once", 1),
        ("8 Gy once", 1),  # RTOG 9714
        ("3 Gy qd on days 1-5 of each 7-day cycle, at most 10 doses", 10),
    ]
    assert all(s.source for s in rad)  # each cites its trial
    assert [s.cap() for s in nav] == [None, None]  # no cap where the source gives none
    # every schedule lies inside its range's min..max (what a regimen is held to)
    for d in library().drugs:
        for sp, r in d.dose_ranges.items():
            body = Body(sp)

            def per_kg(text: str, drug=d, body=body) -> float:
                amount, unit = text.split()
                return canonical_dose(float(amount), unit, drug, body=body, where="test")

            for s in r.schedules:
                assert per_kg(r.min) * (1 - 1e-9) <= per_kg(s.min) <= per_kg(s.max)
                assert per_kg(s.max) <= per_kg(r.max) * (1 + 1e-9), (d.id, s.label())


@pytest.mark.parametrize(
    ("schedule", "why"),
    [
        (
            {"min": "10 mg", "max": "440 mg", "interval": "1 d", "on": "28 d", "cycle": "21 d"},
            r"schedules\[0\]\.on '28 d' is longer than cycle '21 d' \(on <= cycle\)",
        ),
        (
            {"min": "10 mg", "max": "440 mg", "interval": "7 d", "on": "3 d", "cycle": "21 d"},
            r"schedules\[0\]\.interval '7 d' is longer than on '3 d'.*interval <= on",
        ),
        (
            {"min": "10 mg", "max": "440 mg", "interval": "1 d", "on": "14 d"},
            r"schedules\[0\]\.on '14 d' is given without cycle \(an on/off cycle needs both",
        ),
        (
            {"min": "10 mg", "max": "440 mg", "interval": "1 d", "cycle": "21 d"},
            r"schedules\[0\]\.cycle '21 d' is given without on",
        ),
        (
            {"min": "10 mg", "max": "440 mg", "interval": "1 d", "on": 14, "cycle": "21 d"},
            r"schedules\[0\]\.on 14 is not a positive number of days \(give a time",
        ),
        (
            {"min": "10 mg", "max": "440 mg", "interval": "0 d"},
            r"schedules\[0\]\.interval '0 d' is not a positive number of days",
        ),
        (
            {"min": "300 mg", "max": "200 mg", "interval": "1 d"},
            r"schedules\[0\]\.min '300 mg' is above its max '200 mg' \(min <= max",
        ),
        (
            {"min": "10 mg", "max": "500 mg", "interval": "1 d"},
            r"schedules\[0\]\.max '500 mg' is outside the range's 10 mg to 440 mg",
        ),
        (
            {"min": "10 Gy", "max": "440 mg", "interval": "1 d"},
            r"schedules\[0\]\.min '10 Gy': navitoclax is dosed by mass \(mg/kg",
        ),
        (
            {"min": "ten mg", "max": "440 mg", "interval": "1 d"},
            r"schedules\[0\]\.min 'ten mg' is not 'AMOUNT UNIT'",
        ),
        *(
            (
                {"min": "10 mg", "max": "440 mg", "interval": "1 d", "max_doses": bad},
                rf"schedules\[0\]\.max_doses {shown} is not a positive whole number of "
                r"administrations \(the most doses one course gives: 'max_doses: 30'",
            )
            for bad, shown in ((0, "0"), (-1, "-1"), (2.5, "2.5"), ("x", "'x'"), (True, "True"))
        ),
    ],
)
def test_a_bad_schedule_is_refused_naming_drug_field_and_value(
    tmp_path, schedule: dict[str, object], why: str
) -> None:
    _refused(tmp_path, "navitoclax", lambda rng: rng.update(schedules=[schedule]), rf"\.{why}")


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"interval": "1 d"}, r"interval \['1 d'\] is given beside schedules"),
        ({"schedules": []}, r"schedules \[\] is empty"),
        ({"min": "10 mg/kg"}, r"min '10 mg/kg' is above its max '440 mg'"),
    ],
)
def test_schedules_and_range_bounds_are_checked_as_a_whole(
    tmp_path, change: dict[str, object], why: str
) -> None:
    """Schedules replace the flat interval (not both), are not empty when given, and the
    range's own bounds are checked too; two schedules alike are refused."""
    import yaml

    from senotwin.therapy.drugs import library_path, load_library

    raw = yaml.safe_load(library_path().read_text(encoding="utf-8"))
    rng = next(d for d in raw["drugs"] if d["id"] == "navitoclax")["dose_ranges"]["human"]
    rng.update(change)
    bad = tmp_path / "drugs.yaml"
    bad.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ValidationError, match=rf"navitoclax: dose_ranges\.human\.{why}"):
        load_library(bad)
    rng.clear()
    rng.update({"min": "10 mg", "max": "440 mg", "routes": ["po"], "source": "a test source"})
    rng["schedules"] = [{"min": "10 mg", "max": "440 mg", "interval": "24 h"}] * 1 + [
        {"min": "10 mg", "max": "440 mg", "interval": "1 d"}
    ]
    bad.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ValidationError, match=r"schedules\[1\] '10 mg to 440 mg qd' is listed"):
        load_library(bad)


@pytest.mark.parametrize(
    ("interval", "why"),
    [
        ("0 d", r"'0 d' is not a positive number of days"),
        ("-7 d", r"'-7 d' is not a positive number of days"),
        ("21", r"'21' is not a positive number of days \(give a time with its unit"),
        (21, r"21 is not a positive number of days"),
        ("3 mg", r"'3 mg' is not a positive number of days"),
        (["7 d", "1 week"], r"'1 week' is listed twice"),
        ([], r"\[\] is empty"),
    ],
)
def test_a_bad_interval_is_refused_naming_drug_field_and_value(
    tmp_path, interval: object, why: str
) -> None:
    _refused(
        tmp_path, "navitoclax", lambda rng: rng.update(interval=interval), rf"\.interval {why}"
    )


def test_a_dose_cap_tells_two_schedules_apart(tmp_path) -> None:
    """A schedule's cap (max_doses) is part of it: 34 Gy once and 34 Gy in up to 4 daily
    fractions are two schedules, the same one twice is refused, and the label says the cap."""
    import yaml

    from senotwin.therapy.drugs import library_path, load_library

    raw = yaml.safe_load(library_path().read_text(encoding="utf-8"))
    rng = next(d for d in raw["drugs"] if d["id"] == "radiation")["dose_ranges"]["human"]
    once = {"min": "34 Gy", "max": "34 Gy", "interval": "1 d", "max_doses": 1}
    rng["schedules"] = [once, {**once, "max_doses": 4}]
    path = tmp_path / "drugs.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    loaded = load_library(path).get("radiation").dose_ranges["human"].schedules
    assert [s.label() for s in loaded] == ["34 Gy once", "34 Gy qd, at most 4 doses"]
    rng["schedules"] = [once, dict(once)]
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(
        ValidationError, match=r"radiation: dose_ranges\.human\.schedules\[1\] '34 Gy once' is"
    ):
        load_library(path)


@pytest.mark.parametrize(
    ("cumulative", "why"),
    [
        ({"max": "50 mg/m2", "source": "a label, boxed warning"}, r"is below one dose's max"),
        ({"max": "5 Gy", "source": "a label, boxed warning"}, r"cumulative\.max '5 Gy'"),
    ],
)
def test_a_bad_cumulative_dose_is_refused(tmp_path, cumulative: dict, why: str) -> None:
    _refused(tmp_path, "doxorubicin", lambda rng: rng.update(cumulative=cumulative), f".*{why}")


def _refused(tmp_path, drug: str, edit, why: str) -> None:
    """The library with ``edit`` applied to ``drug``'s human dose range (a dict) is refused at
    load, the error naming the drug and the field (``why`` follows 'DRUG: dose_ranges.human')."""
    import yaml

    from senotwin.therapy.drugs import library_path, load_library

    raw = yaml.safe_load(library_path().read_text(encoding="utf-8"))
    edit(next(d for d in raw["drugs"] if d["id"] == drug)["dose_ranges"]["human"])
    bad = tmp_path / "drugs.yaml"
    bad.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ValidationError, match=rf"{drug}: dose_ranges\.human{why}"):
        load_library(bad)


@pytest.mark.parametrize(
    ("drug", "field", "change", "why"),
    [
        ("navitoclax", "platelet_kill", {"slope": "3 L/mg/day"}, r"inside its interval"),
        ("navitoclax", "platelet_kill", {"slope": "1 mg/L"}, r"'1 mg/L' is not a quantity in"),
        (
            "navitoclax",
            "platelet_kill",
            {"interval": ["2 L/mg/day", "1 L/mg/day"]},
            r"low <= slope <= high",
        ),
        ("nab-paclitaxel", "myelosuppression", {"slope": "-1 L/mg"}, r"must be above 0 L/mg"),
    ],
)
def test_a_bad_blood_count_record_is_refused_at_load(
    tmp_path, drug: str, field: str, change: dict, why: str
) -> None:
    """A platelet-kill or neutropenia record with a wrong unit, a slope outside its own interval
    or a negative slope failed only when a regimen compiled; the library now refuses it."""
    import yaml

    from senotwin.therapy.drugs import library_path, load_library

    raw = yaml.safe_load(library_path().read_text(encoding="utf-8"))
    next(d for d in raw["drugs"] if d["id"] == drug)[field].update(change)
    bad = tmp_path / "drugs.yaml"
    bad.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ValidationError, match=rf"{field}[\s\S]*{why}"):
        load_library(bad)


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"cv": 0}, r"clearance_spread[\s\S]*cv[\s\S]*greater than 0"),
        ({"cv": 2.5}, r"clearance_spread[\s\S]*cv[\s\S]*less than 2"),
        ({"cv": 0.2, "source": "x"}, r"clearance_spread[\s\S]*source[\s\S]*at least 10"),
    ],
)
def test_a_bad_clearance_spread_is_refused_at_load(tmp_path, change: dict, why: str) -> None:
    """A drug's between-patient clearance spread: a CV in (0, 2) with its source; shown by
    `drugs show`; carboplatin (dosed to a target AUC in trials) has none."""
    import yaml

    from senotwin.therapy.drugs import library_path, load_library

    shown = get_drug("nab-paclitaxel").to_dict()["pk"]["clearance_spread"]
    assert shown["cv"] == 0.223 and "Chen" in shown["source"]
    assert get_drug("carboplatin").pk.clearance_spread is None
    raw = yaml.safe_load(library_path().read_text(encoding="utf-8"))
    pk = next(d for d in raw["drugs"] if d["id"] == "nab-paclitaxel")["pk"]
    pk["clearance_spread"] = {**pk["clearance_spread"], **change}
    bad = tmp_path / "drugs.yaml"
    bad.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ValidationError, match=why):
        load_library(bad)


def test_a_cycle_gives_its_doses_from_day_0_while_before_on() -> None:
    """fix52: the schedule check allowed floor(on / interval) doses a cycle and optimize wrote
    ceil(on / interval), so etoposide's labelled days 1, 3, 5 of 21 ('100-120 mg/m2 d1,3,5')
    was an off-label schedule. Both count a cycle as documented: day 0, interval, ... before
    on."""
    from senotwin.therapy.drugs import doses_in_on_days

    assert doses_in_on_days(5.0, 2.0) == 3  # days 1, 3, 5
    assert doses_in_on_days(14.0, 1.0) == 14  # navitoclax days 1-14
    assert doses_in_on_days(21.0, 7.0) == 3  # weekly on days 1, 8, 15 of 28
    assert doses_in_on_days(4.0, 3.0) == 2  # bleomycin twice weekly: days 1 and 4
    assert doses_in_on_days(5.0, 0.5) == 10  # twice daily on five weekdays
    assert doses_in_on_days(21.0, 21.0) == 1
    eto = get_drug("etoposide").dose_ranges["human"].schedules
    assert [s.per_cycle() for s in eto] == [4, 5, 3, 3]
    assert get_drug("nab-paclitaxel").dose_ranges["human"].schedules[0].per_cycle() is None


def test_bleomycin_is_dosed_weekly_or_twice_weekly_as_its_label_says() -> None:
    """fix52: bleomycin's one schedule, q3d on days 1-7 of 7, meant its label's 'weekly or twice
    weekly' but counted as documented gives three doses a week (days 0, 3, 6); it is now one
    schedule each, twice weekly as days 1 and 4 of each week (the 3-day least spacing is the
    entry's reading), and the label's words are in the range's source."""
    rng = get_drug("bleomycin").dose_ranges["human"]
    assert "weekly or twice weekly" in rng.source
    assert [(s.label(), s.per_cycle()) for s in rng.schedules] == [
        ("10 mg/m2 to 20 mg/m2 q7d", None),
        ("10 mg/m2 to 20 mg/m2 q3d on days 1-4 of each 7-day cycle", 2),
    ]
    assert "twice weekly" in rng.schedule_source(rng.schedules[1])


def test_a_schedule_may_be_tied_to_its_routes(tmp_path) -> None:
    """fix52: tocilizumab's 162 mg weekly is subcutaneous (its label), its per-kg doses every 4
    weeks intravenous: each schedule names its route, shown in its label; a schedule's routes
    must be its range's, each once."""
    toci = get_drug("tocilizumab").dose_ranges["human"]
    assert [(s.label(), s.routes) for s in toci.schedules] == [
        ("4 mg/kg to 8 mg/kg iv q28d", ("iv",)),
        ("162 mg sc q7d", ("sc",)),
    ]
    assert "subcutaneously every week" in toci.source
    # a schedule without routes takes any of its range's (bleomycin iv or sc, the label's)
    assert all(s.routes is None for s in get_drug("bleomycin").dose_ranges["human"].schedules)
    for routes, why in ((["iv"], r"\['iv'\]: each route once, and only the range's routes"),
                        (["po", "po"], r"\['po', 'po'\]: each route once")):  # fmt: skip
        schedule = {"min": "10 mg", "max": "440 mg", "interval": "1 d", "routes": routes}
        _refused(
            tmp_path,
            "navitoclax",
            lambda rng, s=schedule: rng.update(schedules=[s]),
            rf"\.schedules\[0\]\.routes {why}",
        )


def test_a_drug_that_does_not_act_in_mice_says_so() -> None:
    """fix52: tocilizumab ran silently in mouse scenarios although it does not block IL-6
    signalling in murine cells (Lokau 2020, the source its entry already cited). Its entry says
    so (mouse_reactivity, shown by `drugs show`); no other drug carries one."""
    from pydantic import ValidationError as PydanticError

    from senotwin.therapy.drugs import MouseReactivity

    toci = get_drug("tocilizumab")
    assert toci.mouse_reactivity is not None and not toci.mouse_reactivity.reactive
    assert "Lokau J et al. PLoS One 2020" in toci.mouse_reactivity.why
    assert toci.to_dict()["mouse_reactivity"] == toci.mouse_reactivity.model_dump()
    assert [d.id for d in library().drugs if d.mouse_reactivity is not None] == ["tocilizumab"]
    assert get_drug("anti-il-6").to_dict()["mouse_reactivity"] is None
    with pytest.raises(PydanticError, match="at least 10 characters"):
        MouseReactivity(reactive=False, why="no")
    with pytest.raises(PydanticError, match="Extra inputs"):
        MouseReactivity.model_validate({"reactive": False, "why": "a source says so", "x": 1})


def test_pd_rationales_say_what_the_assumed_numbers_are() -> None:
    """fix52: metformin and ibuprofen (the nsaid entry) shared the natural products' rationale
    ('natural product ... ~60% maximal pathway inhibition'), though neither is one and the
    nsaid's emax is 0.5; their assumed emax and EC50 relative to the reference peak are now
    said as such. No number changed."""
    for name, emax in (("metformin", 0.6), ("nsaid", 0.5)):
        for e in get_drug(name).effects:
            if e.high_dose:
                continue
            why = getattr(e.provenance, "rationale", "")
            assert e.provenance.kind == "assumed" and "natural product with" not in why
            assert "not a natural product" in why and "ec50_rel 0.5" in why
            assert (e.emax, e.ec50_rel) == (emax, 0.5)
