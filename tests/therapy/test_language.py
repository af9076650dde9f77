"""The regimen language: valid forms, schedules, round trips and fuzzed malformed input."""

from __future__ import annotations

import string

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from senotwin._errors import ValidationError
from senotwin.therapy.language import (
    Body,
    RegimenSyntaxError,
    apply_regimen,
    parse_regimen,
    parse_yaml,
    regimen_to_yaml,
)

EXAMPLE = (
    "doxorubicin 2 mg/kg iv d0,d7; navitoclax 50 mg/kg po qd d10-d14; "
    "anti-PD-L1 10 mg/kg ip q3d d14-d35"
)


def _times(text: str, drug: str) -> list[float]:
    return [e.time for e in parse_regimen(text).events(check_off_label=False) if e.drug == drug]


def test_issue_example() -> None:
    reg = parse_regimen(EXAMPLE)
    assert _times(EXAMPLE, "doxorubicin") == [0, 7]
    assert _times(EXAMPLE, "navitoclax") == [10, 11, 12, 13, 14]
    assert _times(EXAMPLE, "anti-pd-l1") == [14, 17, 20, 23, 26, 29, 32, 35]
    assert [it.route for it in reg.items] == ["iv", "po", "ip"]


def test_radiation_cycles_offsets_and_units() -> None:
    assert _times("radiation 2 Gy d0-d4", "radiation") == [0, 1, 2, 3, 4]
    assert _times("carboplatin 400 mg/m2 iv d0 x3 cycles of 21d", "carboplatin") == [0, 21, 42]
    text = (
        "doxorubicin 2 mg/kg iv d0,d7; navitoclax 50 mg/kg po qd d0-d2 +7d after last doxorubicin"
    )
    assert _times(text, "navitoclax") == [14, 15, 16]
    text = "navitoclax 50 mg/kg po d0 after first doxorubicin; doxorubicin 2 mg/kg d3,d9"
    assert _times(text, "navitoclax") == [3]
    assert _times("navitoclax 50 mg/kg po bid d0-d1", "navitoclax") == [0, 0.5, 1, 1.5]
    assert _times("anti-pd-1 10 mg/kg ip q1w d0-d14", "anti-pd-1") == [0, 7, 14]

    def first(text: str, body: Body | None = None) -> float:
        return parse_regimen(text, body=body).events(check_off_label=False)[0].amount

    assert first("carboplatin 400 mg/m2 d0") == pytest.approx(400 / 37)  # Km 37 (human)
    assert first("carboplatin 400 mg/m2 d0", Body("mouse")) == pytest.approx(400 / 3)
    assert first("navitoclax 50000 ug/kg po d0") == pytest.approx(50)
    assert first("navitoclax 3.5 g po d0") == pytest.approx(50)
    assert first("radiation 200 cGy d0") == pytest.approx(2)


@pytest.mark.parametrize(
    ("freq", "per_day", "canonical"),
    [
        ("bid", 2, "bid"),
        ("tid", 3, "tid"),
        ("qid", 4, "qid"),
        ("TID", 3, "tid"),
        ("q1h", 24, "q1h"),
        ("q2h", 12, "q2h"),
        ("q3h", 8, "q3h"),
        ("q4h", 6, "q4h"),
        ("q6h", 4, "qid"),
        ("q8h", 3, "tid"),
        ("Q8H", 3, "tid"),
        ("q12h", 2, "bid"),
    ],
)
def test_several_doses_a_day(freq: str, per_day: int, canonical: str) -> None:
    """bid, tid, qid and qNh dose each listed day (a range or single days) per_day times, at
    +k/per_day of the day; their canonical text is bid/tid/qid or q{24/n}h."""
    text = f"metformin 500 mg po {freq} d0-d1,d5"
    reg = parse_regimen(text)
    step = 1 / per_day
    want = [d + k * step for d in (0, 1, 5) for k in range(per_day)]
    assert _times(text, "metformin") == pytest.approx(want)
    assert reg.items[0].per_day == per_day and reg.items[0].every == 1.0
    assert reg.to_text() == f"metformin 500 mg po {canonical} d0-d1,d5"
    assert f"every: {canonical}" in regimen_to_yaml(reg)
    assert parse_regimen(regimen_to_yaml(reg)) == reg
    single = parse_regimen(f"metformin 500 mg po {freq} d3 x2 cycles of 7d")
    want = [c + 3 + k * step for c in (0, 7) for k in range(per_day)]
    assert [e.time for e in single.events(check_off_label=False)] == pytest.approx(want)


def test_q24h_is_qd_and_old_texts_keep_their_events() -> None:
    assert parse_regimen("metformin 500 mg po q24h d0-d3") == parse_regimen(
        "metformin 500 mg po qd d0-d3"
    )
    assert _times("metformin 500 mg po q24h d0-d3", "metformin") == [0, 1, 2, 3]
    # a fractional-day interval stays an interval (q0.5d over a range is every 12 h from its
    # first day, up to its last day), not 'each listed day twice'
    assert _times("metformin 500 mg po q0.5d d0-d1", "metformin") == [0, 0.5, 1]
    assert _times("metformin 500 mg po bid d0-d1", "metformin") == [0, 0.5, 1, 1.5]
    # an item's per_day is one of the counts a day divides into (24/N hours)
    from senotwin.therapy.language import Administration

    with pytest.raises(ValidationError, match="per_day is 5; allowed: 1, 2, 3, 4, 6, 8, 12, 24"):
        Administration("metformin", 500.0, "mg", "po", every=1.0, per_day=5)
    with pytest.raises(ValidationError, match=r"needs every=1\.0"):
        Administration("metformin", 500.0, "mg", "po", every=2.0, per_day=3)


def test_comments_newlines_and_yaml(tmp_path) -> None:
    text = "# one-two punch\ndoxorubicin 2 mg/kg iv d0,d7\nanti-pd-l1 10 mg/kg ip q3d d14-d35\n"
    reg = parse_regimen(text)
    assert len(reg.items) == 2
    path = tmp_path / "r.yaml"
    path.write_text(regimen_to_yaml(parse_regimen(EXAMPLE)))
    assert parse_regimen(path) == parse_regimen(EXAMPLE)
    path.write_text("regimen:\n  - {drug: radiation, dose: 2 Gy, days: [0, 1, 2]}\n")
    assert [e.time for e in parse_regimen(path).events(check_off_label=False)] == [0, 1, 2]


@pytest.mark.parametrize(
    ("text", "column", "needle"),
    [
        ("doxorubicn 2 mg/kg iv d0", 1, "did you mean 'doxorubicin'"),
        ("doxorubicin 2 Gy d0", 15, "dosed by mass"),
        ("radiation 2 mg/kg d0", 13, "in Gy"),
        ("doxorubicin 2 mgkg d0", 15, "did you mean 'mg/kg'"),
        ("navitoclax 50 mg/kg po q3d d10", 24, "needs a day range"),
        ("navitoclax 50 mg/kg po d10-d5", 24, "must end after"),
        ("navitoclax 50 mg/kg iv d0", 21, "not given 'iv'"),
        ("navitoclax 50 mg/kg po d0 po", 27, "twice"),
        ("navitoclax -5 mg/kg po d0", 12, "expected a dose"),
        ("navitoclax 0 mg/kg po d0", 12, "greater than 0"),
        ("navitoclax 50 mg/kg po d0,d0", 24, "listed twice"),
        ("navitoclax 50 mg/kg po qd d0-d30 x2 cycles of 21d", 34, "not shorter than the cycle"),
        ("navitoclax 50 mg/kg po d0 +7d after last doxorubicin", 42, "not given in this"),
        ("navitoclax", 11, "expected a dose"),
        ("navitoclax 50 mg/kg po d0 fortnightly", 27, "unexpected"),
        ("metformin 850 mg po q5h d0-d6", 21, "q5h: the hours between doses must divide a day"),
        ("metformin 850 mg po q5h d0-d6", 21, "q1h, q2h, q3h, q4h, q6h, q8h, q12h, q24h"),
        ("metformin 850 mg po q0h d0-d6", 21, "q0h: the hours between doses must divide"),
        ("metformin 850 mg po q0.5h d0", 21, "q0.5h: the hours"),
        ("metformin 850 mg po q48h d0-d6", 21, "48 h is q2d"),
        ("metformin 850 mg po tidd d0-d6", 21, "did you mean 'tid'"),
        ("metformin 850 mg po tidd d0-d6", 21, "qd, bid, tid, qid, qNh (N = 1, 2, 3, 4, 6, 8"),
        ("metformin 850 mg po bid tid d0-d6", 25, "two frequencies in one item ('bid' and 'tid')"),
        ("metformin 850 mg po tid q2d d0-d6", 25, "list the days ('tid d0,d2,d4')"),
        ("metformin 850 mg po q3d q8h d0-d6", 25, "two frequencies in one item ('q3d' and 'q8h')"),
        ("metformin 850 mg po q24h d0", 21, "needs a day range"),
        ("; ;", 1, "empty"),
    ],
)
def test_errors_point_at_the_column(text: str, column: int, needle: str) -> None:
    with pytest.raises(RegimenSyntaxError) as info:
        parse_regimen(text)
    assert info.value.column == column, str(info.value)
    assert needle in str(info.value)
    assert "^" in str(info.value).splitlines()[-1]


def test_anchor_cycle_is_an_error() -> None:
    with pytest.raises(RegimenSyntaxError, match="cycle"):
        parse_regimen(
            "doxorubicin 2 mg/kg d0 after last navitoclax; navitoclax 50 mg/kg po d0 after first "
            "doxorubicin"
        )


def test_yaml_errors_name_the_item() -> None:
    with pytest.raises(ValidationError, match="item 2"):
        parse_regimen("regimen:\n  - {drug: radiation, dose: 2 Gy}\n  - {drug: doxo, dose: 2 mg}\n")
    with pytest.raises(ValidationError, match="unknown field"):
        parse_regimen("regimen:\n  - {drug: radiation, dose: 2 Gy, when: 3}\n")


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        # the fuzz test once found "body:" answered with "regimen.body: None is not ..."
        ("body:", ("field 'body' is empty", "allowed: 'human' or 'mouse'")),
        (
            "body: rat\nregimen:\n  - {drug: radiation, dose: 2 Gy, days: [0]}\n",
            ("field 'body' is 'rat'", "allowed: 'human' or 'mouse'"),
        ),
        ("regimen:", ("field 'regimen' is empty", "a non-empty list of items")),
        ("body: mouse", ("field 'regimen' is empty", "a non-empty list of items")),
        ("regimen: 3", ("field 'regimen' is 3", "a non-empty list of items")),
        ("- drug:", ("item 1", "missing field 'dose'")),
        ("regimen:\n\t- x", ("malformed YAML",)),
    ],
)
def test_yaml_form_errors_name_field_value_and_allowed(text: str, needles: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as info:
        parse_regimen(text)
    message = str(info.value)
    assert message.startswith("cannot read regimen: "), message
    for needle in needles:
        assert needle in message, message


def test_yaml_file_errors_name_the_file(tmp_path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("body:\nregimen:\n  - {drug: radiation, dose: 2 Gy, days: [0]}\n")
    with pytest.raises(
        ValidationError, match=r"r\.yaml: cannot read regimen: field 'body' is empty"
    ):
        parse_regimen(path)


def test_apply_regimen_schedules_exact_doses() -> None:
    from senotwin.model.tme import load_tme

    plan = apply_regimen(load_tme(), "doxorubicin 2 mg/kg iv d0,d7; radiation 2 Gy d1")
    times = sorted((d.time, d.target) for d in plan.schedule.doses)
    assert times == [(0.0, "drug_doxorubicin"), (1.0, "stress"), (7.0, "drug_doxorubicin")]
    dose = next(d for d in plan.schedule.doses if d.target == "stress")
    assert dose.amount == pytest.approx(0.2)  # 2 Gy = one fifth of a 10 Gy course


# ---- round trip and fuzzing --------------------------------------------------------------------
_drugs = st.sampled_from(["doxorubicin", "navitoclax", "anti-pd-l1", "rapamycin", "radiation"])
#: frequencies that dose each listed day several times (q12h is bid, q24h qd)
_SEVERAL = ["tid", "qid", "q1h", "q2h", "q3h", "q4h", "q6h", "q8h", "q12h"]


@st.composite
def regimens(draw) -> str:
    items = []
    used: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        drug = draw(_drugs)
        unit = "Gy" if drug == "radiation" else draw(st.sampled_from(["mg/kg", "mg/m2", "ug/kg"]))
        amount = draw(st.floats(0.01, 500, allow_nan=False).map(lambda x: round(x, 3)))
        start = draw(st.integers(0, 40))
        if draw(st.booleans()):
            end = start + draw(st.integers(1, 20))
            freq = draw(st.sampled_from(["", "qd", "q2d", "q3d", "bid", "qw", *_SEVERAL]))
            days = f"{freq} d{start}-d{end}".strip()
        else:
            freq = draw(st.sampled_from(["", "", *_SEVERAL]))
            days = f"{freq} d{start}".strip()
        extra = ""
        if used and draw(st.booleans()):
            other = next((u for u in used if u != drug), None)
            if other:
                extra = f" +{draw(st.integers(0, 9))}d after last {other}"
        items.append(f"{drug} {amount} {unit} {days}{extra}")
        used.append(drug)
    return "; ".join(items)


@settings(max_examples=60)
@given(regimens())
def test_round_trip_text(text: str) -> None:
    try:
        reg = parse_regimen(text)
    except RegimenSyntaxError as exc:
        # the errors allowed here: a drug listed twice can anchor on itself through another, or
        # be given twice on one day (across items); a dose can exceed the drug's dose limit
        allowed = ("cycle", "is already given on day", "is above its limit of")
        assert any(a in exc.reason for a in allowed), str(exc)
        return
    again = parse_regimen(reg.to_text())
    assert again == reg
    assert again.to_text() == reg.to_text()  # the canonical text is a fixed point
    assert again.events(check_off_label=False) == reg.events(check_off_label=False)
    as_yaml = regimen_to_yaml(reg)
    assert parse_regimen(as_yaml) == reg
    assert regimen_to_yaml(parse_regimen(as_yaml)) == as_yaml


_alphabet = string.ascii_letters + string.digits + " ;,-+/.#\n\tµ²%:qdxiv"


@given(st.text(alphabet=_alphabet, max_size=60))
@example("body:")  # found by Hypothesis: answered "regimen.body: None is not 'human' or 'mouse'"
@example("regimen:")
@example("- drug:")
@example("regimen:\n\t- x")
def test_fuzz_never_tracebacks(text: str) -> None:
    try:
        reg = parse_regimen(text)
    except RegimenSyntaxError as exc:
        assert exc.line >= 1 and exc.column >= 1
        return
    except ValidationError as exc:
        # text that names a regimen file (.yaml/.yml/.txt) is read as a path, and text that
        # starts like the YAML form is read as YAML: both say what cannot be read and why
        assert "cannot read regimen" in str(exc)
        return
    # anything accepted has a consistent schedule
    events = reg.events(check_off_label=False)
    assert events and all(e.time >= 0 and e.amount > 0 for e in events)


@given(regimens(), st.integers(0, 200), st.text(alphabet=_alphabet, min_size=1, max_size=3))
def test_fuzz_mutated_valid_input(text: str, where: int, junk: str) -> None:
    pos = where % (len(text) + 1)
    mutated = text[:pos] + junk + text[pos:]
    try:
        reg = parse_regimen(mutated)
    except RegimenSyntaxError as exc:
        assert exc.column >= 1
        return
    assert parse_regimen(reg.to_text()) == reg


def test_off_label_doses_are_refused_in_human_scenarios_unless_allowed() -> None:
    from senotwin.model.qsp import load_qsp
    from senotwin.therapy.language import apply_regimen

    spec = load_qsp()
    # the mouse dose of the review's experiments (50 mg/kg ~ 3.5 g for 70 kg) in a human
    with pytest.raises(ValidationError) as err:
        apply_regimen(spec, parse_regimen("navitoclax 50 mg/kg po qd d0-d4"))
    msg = str(err.value)
    for needle in ("navitoclax", "50 mg/kg", "10 mg to 440 mg", "Wilson WH", "--allow-off-label"):
        assert needle in msg, needle
    # the item is quoted as the user wrote it, not re-rendered (q3w stayed q3w)
    with pytest.raises(ValidationError, match=r"item 1 \(anti-pd-l1 12000 mg iv q3w d0-d42\)"):
        apply_regimen(spec, parse_regimen("anti-pd-l1  12000 mg iv q3w d0-d42 ; aspirin 1 g po d0"))
    # ip is a mouse route; a drug without human PK is unavailable
    with pytest.raises(ValidationError, match=r"not given 'ip' in humans"):
        apply_regimen(spec, parse_regimen("anti-pd-1 10 mg/kg ip d0"))
    with pytest.raises(ValidationError, match=r"sb203580 has no human PK.*mouse PK"):
        apply_regimen(spec, parse_regimen("sb203580 10 mg/kg ip d0"))
    # labelled doses pass in any unit (mg, mg/kg, mg/m2 compared per kg of the reference adult)
    ok = parse_regimen("pembrolizumab 200 mg iv q3w d0-d42; carboplatin 400 mg/m2 iv d0")
    assert ok.off_label() == ()
    assert apply_regimen(spec, ok).schedule.notes == ()
    # allowed: it runs, and each off-label item is said in the schedule's notes (provenance)
    allowed = parse_regimen("navitoclax 50 mg/kg po d0", allow_off_label=True)
    notes = apply_regimen(spec, allowed).schedule.notes
    assert any(n.startswith("off-label (allowed): regimen item 1") for n in notes), notes


#: session 52 (issue 13 item 1): drugs given to patients that had human PK with a source but no
#: human range, so no human scenario could dose them (quercetin: no cited human PK either, dq52).
#: Each: a labelled regimen, 3x its labelled maximum dose, the range as the refusal writes it and a
#: word of the range's source
LABELLED_SESSION52 = {
    "irinotecan": ("irinotecan 125 mg/m2 iv qw d0-d21", "1050 mg/m2 iv", "75 mg/m2 to 350 mg/m2",
                   "Camptosar"),
    "bleomycin": ("bleomycin 20 mg/m2 iv d0,d3,d7,d10", "60 mg/m2 iv", "10 mg/m2 to 20 mg/m2",
                  "Blenoxane"),
    "metformin": ("metformin 1000 mg po bid d0-d13", "3000 mg po", "500 mg to 1000 mg",
                  "US label"),
    "aspirin": ("aspirin 325 mg po qd d0-d27", "2925 mg po", "50 mg to 975 mg", "Bayer"),
    "jak2-stat3-inhibitor": ("jak2-stat3-inhibitor 20 mg po bid d0-d27", "75 mg po",
                             "5 mg to 25 mg", "Jakafi"),
    "csf1r-inhibitor": ("csf1r-inhibitor 250 mg po bid d0-d27", "750 mg po", "125 mg to 250 mg",
                        "Turalio"),
    "parp-inhibitor": ("parp-inhibitor 300 mg po bid d0-d27", "900 mg po", "100 mg to 300 mg",
                       "Lynparza"),
    "artesunate": ("artesunate 2.4 mg/kg iv qd d0-d6", "7.2 mg/kg iv", "2.4 mg/kg to 2.4 mg/kg",
                   "severe malaria"),
    "nsaid": ("nsaid 400 mg po q6h d0-d6", "2400 mg po", "200 mg to 800 mg", "ibuprofen"),
    # studied, not labelled: the dasatinib + quercetin pulses (Justice 2019, 1250 mg 3 days/week)
    "quercetin": ("quercetin 1250 mg po qd d0-d2", "3750 mg po", "500 mg to 1250 mg", "Justice"),
}  # fmt: skip


@pytest.mark.parametrize("drug", sorted(LABELLED_SESSION52))
def test_clinically_used_drugs_run_in_humans_at_their_labelled_dose(drug: str) -> None:
    """A labelled regimen of each runs in a human scenario with no off-label note (dose and
    schedule fit the label); three times the labelled maximum is refused with the range and
    its source, and runs only with --allow-off-label."""
    from senotwin.model.qsp import load_qsp

    spec = load_qsp()
    labelled, triple, where, source = LABELLED_SESSION52[drug]
    reg = parse_regimen(labelled)
    assert reg.off_label() == ()
    notes = apply_regimen(spec, reg).schedule.notes
    assert not [n for n in notes if "off-label" in n or "cumulative" in n], notes
    text = f"{drug} {triple} d0"
    with pytest.raises(ValidationError) as err:
        apply_regimen(spec, parse_regimen(text))
    msg = str(err.value)
    for needle in (drug, triple.split(" ")[0], f"human range {where}", source, "--allow-off-label"):
        assert needle in msg, (needle, msg)
    allowed = apply_regimen(spec, parse_regimen(text, allow_off_label=True)).schedule.notes
    assert any(n.startswith("off-label (allowed): regimen item 1") for n in allowed), allowed


def test_dasatinib_plus_quercetin_pulses_run_after_chemotherapy_in_humans() -> None:
    """The studied senolytic pulse (dasatinib 100 mg + quercetin 1250 mg on 3 consecutive days)
    after each doxorubicin cycle fits both drugs' human ranges and schedules; quercetin 1250 mg
    every day of a week fits none of its schedules (at most 3 pulse days in 7; supplement doses
    up to 1000 mg): it runs with an off-label schedule note naming them."""
    from senotwin.model.qsp import load_qsp

    spec = load_qsp()
    text = (
        "doxorubicin 60 mg/m2 iv d0 x4 cycles of 21d; dasatinib 100 mg po qd d7-d9 x4 cycles of "
        "21d; quercetin 1250 mg po qd d7-d9 x4 cycles of 21d"
    )
    reg = parse_regimen(text)
    assert reg.off_label() == ()
    notes = apply_regimen(spec, reg).schedule.notes
    assert not [n for n in notes if "off-label" in n], notes
    (note,) = apply_regimen(spec, parse_regimen("quercetin 1250 mg po qd d0-d6")).schedule.notes
    for needle in ("off-label schedule", "quercetin 1250 mg", "on days 1-3 of each 7-day cycle"):
        assert needle in note, (needle, note)


def test_mouse_scenarios_take_mouse_doses() -> None:
    from senotwin.therapy.dosing import body_for_scenario

    assert body_for_scenario("mouse_emt6_anti_pdl1").species == "mouse"
    assert body_for_scenario("aged_lung_untreated").species == "human"
    assert body_for_scenario(None).species == "human"
    mouse = parse_regimen("navitoclax 50 mg/kg po d0; anti-pd-1 10 mg/kg ip d0", body=Body("mouse"))
    assert mouse.off_label() == ()


def test_the_species_dose_check_is_symmetric() -> None:
    """A mouse dose is refused in a human scenario and a human dose in a mouse one: a drug with
    a mouse range is held to its routes and doses (message: the range and its source), a drug
    without one refuses a human dose given per body or per m2 (pembrolizumab 200 mg, cisplatin
    75 mg/m2) and leaves per-kg and per-mouse doses unjudged; --allow-off-label runs any of them
    and says so in the schedule's notes."""
    from senotwin.model.qsp import load_qsp
    from senotwin.model.scenarios import get_scenario

    mouse, human = Body("mouse"), Body()
    spec = get_scenario("mouse_emt6_isotype").load()
    # anti-PD-L1 has a mouse range (Mariathasan 2018): its ip mouse dose passes, the human one not
    assert (
        parse_regimen("anti-pd-l1 10 mg/kg ip d0; anti-pd-l1 5 mg/kg ip d2", body=mouse).off_label()
        == ()
    )
    for text, needles in (
        ("anti-pd-l1 1200 mg iv d0", ("not given 'iv' in mice", "routes: ip", "Mariathasan")),
        (
            "anti-pd-l1 20 mg/kg ip d0",
            ("outside", "mouse range 5 mg/kg to 10 mg/kg", "Mariathasan"),
        ),
        (
            "pembrolizumab 200 mg iv d0",
            ("human dose", "1 mg/kg to 10 mg/kg", "Keytruda", "no mouse range"),
        ),
        ("cisplatin 75 mg/m2 iv d0", ("human dose", "20 mg/m2 to 100 mg/m2", "no mouse range")),
    ):
        with pytest.raises(ValidationError) as err:
            apply_regimen(spec, parse_regimen(text, body=mouse))
        msg = str(err.value)
        for needle in (*needles, "--allow-off-label"):
            assert needle in msg, (text, needle, msg)
        allowed = apply_regimen(spec, parse_regimen(text, body=mouse, allow_off_label=True))
        assert any(
            n.startswith("off-label (allowed): regimen item 1") for n in allowed.schedule.notes
        )
    # no mouse range: per-kg and per-mouse doses are not judged (an antibody's 0.2 mg a mouse)
    fine = "pembrolizumab 10 mg/kg iv d0; anti-pd-1 0.2 mg ip d0; cisplatin 5 mg/kg iv d0"
    assert parse_regimen(fine, body=mouse).off_label() == ()
    # and the reverse direction: the mouse dose of anti-PD-L1 in a human
    with pytest.raises(ValidationError, match=r"not given 'ip' in humans"):
        apply_regimen(load_qsp(), parse_regimen("anti-pd-l1 10 mg/kg ip d0", body=human))


def test_run_scenario_doses_a_regimen_in_the_scenarios_species() -> None:
    """parse_regimen's default body is a human: on a mouse_* scenario the package's own ip
    regimen was refused ('not given ip in humans') and an iv dose ran as if a human took it;
    the scenario now decides the body (audit, session 41). Text is refused with the fix, not
    read character by character."""
    import senotwin

    ip = senotwin.parse_regimen("anti-pd-l1 10 mg/kg ip q3d d0-d6")
    assert ip.body.species == "human"
    assert senotwin.run_scenario("mouse_emt6_isotype", regimen=ip, days=8).ok
    iv = senotwin.parse_regimen("anti-pd-l1 10 mg/kg iv q3d d0-d6")
    with pytest.raises(ValidationError, match=r"not given 'iv' in mice"):
        senotwin.run_scenario("mouse_emt6_isotype", regimen=iv, days=8)
    with pytest.raises(ValidationError, match=r"is text: parse it first"):
        senotwin.run_scenario("default", regimen="doxorubicin 2 mg/kg iv d0", days=8)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("nab-paclitaxel 222 mg/m2 iv q7d d0-d27", "nab-paclitaxel 222 mg/m2 every 7 d"),
        ("navitoclax 440 mg po qd d0-d27", "navitoclax 440 mg every 1 d"),
        ("carboplatin 400 mg/m2 iv q14d d0-d30", "carboplatin 400 mg/m2 every 14 d"),
        ("nab-paclitaxel 100 mg/m2 iv d0,d7,d14 x2 cycles of 28d", None),
        ("navitoclax 325 mg po qd d0-d13 x2 cycles of 21d", None),
        ("navitoclax 325 mg po qd d0-d40", None),  # the continuous schedule
        ("carboplatin 400 mg/m2 iv d0 x4 cycles of 21d; etoposide 100 mg/m2 iv d0-d2", None),
        ("atezolizumab 840 mg iv q14d d0-d60; pemetrexed 500 mg/m2 iv q21d d0-d60", None),
        # the first-line NSCLC trials' 200 mg/m2 q3w (E4599, MONET1, KEYNOTE-407), above the
        # Taxol label's 175 mg/m2; weekly it is still noted
        ("paclitaxel 200 mg/m2 iv q3w d0-d62", None),
        (  # MONET1's course (scripts/chemo_tgi_check.py)
            "carboplatin 470 mg/m2 iv d0 x6 cycles of 21d; "
            "paclitaxel 200 mg/m2 iv d0 x6 cycles of 21d",
            None,
        ),
        ("paclitaxel 200 mg/m2 iv q7d d0-d27", "paclitaxel 200 mg/m2 every 7 d"),
        # cisplatin's label schedules are paired: BEP's 20 mg/m2 on days 1-5 of 21 (not ten days
        # running), 75 mg/m2 q3w with pemetrexed, 100 mg/m2 every 4 weeks (not 3)
        ("cisplatin 20 mg/m2 iv qd d0-d4 x3 cycles of 21d", None),
        ("cisplatin 20 mg/m2 iv qd d0-d9", "cisplatin 20 mg/m2 every 1 d"),
        ("cisplatin 75 mg/m2 iv q21d d0-d62; pemetrexed 500 mg/m2 iv q21d d0-d62", None),
        ("cisplatin 100 mg/m2 iv q28d d0-d83", None),
        ("cisplatin 100 mg/m2 iv q21d d0-d62", "cisplatin 100 mg/m2 every 21 d"),
        # gemcitabine in pancreatic cancer: weekly x7, a week of rest, then days 1, 8, 15 of 28
        (
            "gemcitabine 1000 mg/m2 iv qw d0-d42; "
            "gemcitabine 1000 mg/m2 iv d56,d63,d70 x3 cycles of 28d",
            None,
        ),
        ("gemcitabine 1000 mg/m2 iv qw d0-d55", "gemcitabine 1000 mg/m2 every 7 d"),  # no rest
        # radiotherapy: a course is its fractions (max_doses), on weekdays
        ("radiation 2 Gy qd d0-d59", "radiation 2 Gy every 1 d"),  # no weekends, 60 > 30
        ("radiation 2 Gy qd d0-d4 x6 cycles of 7d", None),  # RTOG 0617: 30 fractions
        ("radiation 2 Gy qd d0-d4 x7 cycles of 7d", "radiation 2 Gy every 1, 3 d"),  # 35 > 30
        ("radiation 1.5 Gy bid d0-d4 x3 cycles of 7d", None),  # Turrisi 1999: 30 twice daily
        ("radiation 12 Gy qd d0-d3", None),  # RTOG 0915: 4 consecutive daily fractions
        ("radiation 12 Gy qd d0-d4", "radiation 12 Gy every 1 d"),  # 5 > 4
        ("radiation 34 Gy d0", None),
        ("radiation 34 Gy d0,d7", "radiation 34 Gy every 7 d"),  # a single fraction, twice
        ("radiation 3 Gy d0-d4 x2 cycles of 7d", None),  # RTOG 9714: 10 fractions
        ("doxorubicin 60 mg/m2 iv d0; radiation 2 Gy d1", None),
        # several doses a day: metformin 850 mg tid (its 8 h schedule), aspirin 650 mg q4h;
        # gaps under a day are said in hours
        ("metformin 850 mg po tid d0-d13", None),
        ("metformin 1000 mg po tid d0-d13", "metformin 1000 mg every 8 h"),
        ("metformin 1000 mg po tid d0,d2", "metformin 1000 mg every 8 h, 1.333 d"),
        ("aspirin 650 mg po q4h d0-d6", None),
        ("aspirin 975 mg po qid d0-d6", None),
        ("aspirin 650 mg po q2h d0", "aspirin 650 mg every 2 h"),
        # fix52: a cycle's doses are counted as documented (day 0, interval, ... before on):
        # etoposide's labelled days 1, 3, 5 of 21 fits; a fourth dose does not
        ("etoposide 120 mg/m2 iv d0,d2,d4", None),
        ("etoposide 120 mg/m2 iv q2d d0-d4 x3 cycles of 21d", None),
        ("etoposide 120 mg/m2 iv d0,d2,d4,d6", "etoposide 120 mg/m2 every 2 d"),
        # bleomycin weekly or twice weekly (its label), not three times a week
        ("bleomycin 20 mg/m2 iv qw d0-d28", None),
        ("bleomycin 15 mg/m2 sc q3d d0-d3 x4 cycles of 7d", None),
        ("bleomycin 20 mg/m2 iv d0,d3,d6", "bleomycin 20 mg/m2 every 3 d"),
        # tocilizumab's schedules are tied to their routes: 162 mg weekly sc, per kg q4w iv
        ("tocilizumab 162 mg sc q7d d0-d27", None),
        ("tocilizumab 8 mg/kg iv q28d d0-d56", None),
        ("tocilizumab 162 mg iv q7d d0-d27", "tocilizumab 162 mg every 7 d by iv"),
        ("tocilizumab 8 mg/kg sc q28d d0-d56", "tocilizumab 560 mg every 28 d by sc"),
    ],
)
def test_a_dose_on_no_labelled_schedule_is_noted(text: str, named: str | None) -> None:
    """Each dose may be inside the range while the schedule is not (a 3-weekly dose weekly,
    navitoclax at 440 mg without its off-week): the run says so in its notes (session 44)."""
    from senotwin.model import get_scenario

    notes = apply_regimen(get_scenario("default").load(), text).schedule.notes
    found = [n for n in notes if n.startswith("off-label schedule: ")]
    if named is None:
        assert found == []
    else:
        assert len(found) == 1 and f"{named} fits none of its labelled human" in found[0]


def test_the_library_trials_arms_draw_no_off_label_note() -> None:
    """Every arm of every library trial doses each drug on one of its labelled or studied
    schedules (the protocols' own are listed beside the labels: carboplatin q3w, etoposide days
    1-3), so a trial run carries no off-label note (session 45: read from the trial files, not
    copied into the test)."""
    from senotwin.model import get_scenario
    from senotwin.trial.library import trials

    arms = 0
    for trial in trials():
        spec = get_scenario(trial.scenario).load()
        for arm in trial.arms:
            notes = apply_regimen(spec, arm.regimen).schedule.notes
            noted = [n for n in notes if "off-label" in n or "not per m2" in n]
            assert not noted, (trial.id, arm.name, notes)
            arms += 1
    assert arms >= 6  # keynote189, impower133, impassion130: two arms each


def test_a_course_past_its_schedules_cap_fits_not() -> None:
    """optimize wrote 34 Gy radiation every day for months: a radiotherapy course is its
    fractions, so a schedule may cap a course's doses (max_doses) and a regimen with more doses
    of the drug fits it not (issue 13 item 7); mouse bodies are not held to schedules."""
    from senotwin.therapy.dosing import Body, _fits, schedule_problem
    from senotwin.therapy.drugs import DoseSchedule, get_drug

    rad = get_drug("radiation")
    weekdays = [7.0 * week + day for week in range(7) for day in range(5)]  # 35 fractions
    capped = DoseSchedule(min="2 Gy", max="2 Gy", interval="1 d", on="5 d", cycle="7 d")
    assert _fits(weekdays, [2.0] * 35, capped, rad, Body())  # no cap: the pattern fits
    capped = capped.model_copy(update={"max_doses": 30})
    assert not _fits(weekdays, [2.0] * 35, capped, rad, Body())
    assert _fits(weekdays[:30], [2.0] * 30, capped, rad, Body())
    assert _fits(weekdays[:1], [2.0], capped, rad, Body())
    assert schedule_problem(weekdays, [2.0] * 35, rad, body=Body()) is not None
    assert schedule_problem(weekdays, [2.0] * 35, rad, body=Body("mouse")) is None


def test_the_check_counts_a_cycle_as_optimize_writes_it() -> None:
    """fix52: `_fits` allowed floor(on / interval) doses in a cycle-long window while optimize
    wrote ceil(on / interval), so optimize's own etoposide d0, d2, d4 course was named
    off-label. A schedule tied to routes fits only doses by them."""
    from senotwin.cohort.optimize import DrugCourse
    from senotwin.therapy.dosing import Body, _fits, schedule_problem
    from senotwin.therapy.drugs import DoseSchedule, get_drug

    eto = get_drug("etoposide")
    q2d = DoseSchedule(min="100 mg/m2", max="120 mg/m2", interval="2 d", on="5 d", cycle="21 d")
    dose = 120 / 37
    assert _fits([0, 2, 4, 21, 23, 25], [dose] * 6, q2d, eto, Body())
    assert not _fits([0, 2, 4, 6], [dose] * 4, q2d, eto, Body())
    course = DrugCourse("etoposide", 1.2, 0, 42, 2.0, on=5.0, cycle=21.0)
    times = [e.time for e in parse_regimen(course.to_text(Body())).events()]
    assert times == [0, 2, 4, 21, 23, 25] and course.dose_count() == 6
    assert schedule_problem(times, [dose] * 6, eto, body=Body()) is None
    toci = get_drug("tocilizumab")
    weekly = [0.0, 7.0, 14.0]
    flat = [162 / 70] * 3
    assert schedule_problem(weekly, flat, toci, body=Body(), routes=["sc"] * 3) is None
    assert schedule_problem(weekly, flat, toci, body=Body()) is None  # routes not given
    assert "by iv" in (schedule_problem(weekly, flat, toci, body=Body(), routes=["iv"] * 3) or "")
    with pytest.raises(ValueError, match="1 routes for 3 doses"):
        schedule_problem(weekly, flat, toci, body=Body(), routes=["sc"])


def test_a_drug_that_does_not_act_in_mice_runs_there_with_a_note() -> None:
    """fix52: tocilizumab does not block IL-6 signalling in murine cells (its entry's source),
    yet ran silently in mouse scenarios: dosing it in a mouse body now runs with a provenance
    note that says so (not a refusal). A human body, a drug only carried by the model (no
    doses) and a drug that acts in mice get none."""
    from senotwin.model import get_scenario

    name = "mouse_emt6_isotype"
    spec = get_scenario(name).load()
    reg = parse_regimen("tocilizumab 8 mg/kg iv q7d d0-d14").for_scenario(name)
    plan = apply_regimen(spec, reg)
    species = [n for n in plan.schedule.notes if n.startswith("species: ")]
    assert len(species) == 1 and plan.events
    assert species[0].startswith("species: tocilizumab does not act on its target in mice (")
    assert "Lokau J et al. PLoS One 2020" in species[0] and "overstates it" in species[0]
    other = parse_regimen("anti-pd-l1 10 mg/kg ip d0").for_scenario(name)
    notes = apply_regimen(spec, other, extra_drugs=["tocilizumab"]).schedule.notes
    assert not [n for n in notes if n.startswith("species: ")]
    human = apply_regimen(get_scenario("default").load(), "tocilizumab 8 mg/kg iv q28d d0-d28")
    assert not [n for n in human.schedule.notes if n.startswith("species: ")]


def test_mouse_regimens_get_no_schedule_note() -> None:
    """Three times a week (2- and 3-day gaps) is the mouse papers' schedule, around the mouse
    range's mean spacing of 7/3 d: mouse experiments are not held to a schedule."""
    from senotwin.model import get_scenario
    from senotwin.therapy.dosing import body_for_scenario

    name = "mouse_emt6_anti_pdl1"
    reg = parse_regimen("anti-pd-l1 5 mg/kg ip d0,d2,d4,d7,d9").for_scenario(name)
    assert reg.body == body_for_scenario(name) and reg.body.species == "mouse"
    notes = apply_regimen(get_scenario(name).load(), reg).schedule.notes
    assert not [n for n in notes if "schedule" in n]


def test_doses_above_the_labelled_cumulative_dose_are_noted() -> None:
    """optimize could give doxorubicin 90 mg/m2 every 3 weeks for half a year (810 mg/m2), past
    the 300-500 mg/m2 over which its label gives the cardiomyopathy risk (session 45)."""
    from senotwin.model import get_scenario

    spec = get_scenario("default").load()
    six = apply_regimen(spec, "doxorubicin 75 mg/m2 iv q21d d0-d125").schedule.notes
    seven = apply_regimen(spec, "doxorubicin 75 mg/m2 iv q21d d0-d146").schedule.notes
    assert six == ()  # 450 mg/m2
    assert len(seven) == 1 and seven[0].startswith(
        "above the labelled cumulative dose: doxorubicin 525 mg/m2 in all is above the "
        "500 mg/m2 cumulative dose its label characterises"
    )
    from senotwin.therapy.dosing import Body, cumulative_problem
    from senotwin.therapy.drugs import get_drug

    dox, many = get_drug("doxorubicin"), [5.0] * 10  # 50 mg/kg: far past 500 mg/m2 in a human
    assert cumulative_problem(many, dox, body=Body()) is not None
    assert cumulative_problem(many, dox, body=Body("mouse")) is None  # mice follow their paper


def test_off_label_schedule_notes_of_arms_differing_in_dose_are_one_note() -> None:
    """A dose-response printed one off-label schedule note per dose, each repeating the drug's
    whole list of labelled schedules; arms that differ only in their doses now share one note
    listing every dose, and other notes are kept in order."""
    from senotwin.analysis.therapy import compare_arms
    from senotwin.therapy.language import merge_schedule_notes

    tail = "once fits none of its labelled human schedules (A; B)"
    weekly = "off-label schedule: drugx 80 mg/m2 every 7 d fits none of its labelled schedules (A)"
    notes = (
        f"off-label schedule: drugx 150 mg/m2 {tail}",
        "another note",
        f"off-label schedule: drugx 80, 150 mg/m2 {tail}",
        weekly,
        f"off-label schedule: drugy 80 mg/m2 {tail}",
    )
    assert merge_schedule_notes(notes) == (
        f"off-label schedule: drugx 80, 150 mg/m2 {tail}",
        "another note",
        weekly,
        f"off-label schedule: drugy 80 mg/m2 {tail}",
    )
    # a note naming the routes (a schedule tied to a route, fix52) merges the same way
    by = "every 7 d by iv fits none of its labelled human schedules (A)"
    assert merge_schedule_notes(
        (f"off-label schedule: drugz 162 mg {by}", f"off-label schedule: drugz 100 mg {by}")
    ) == (f"off-label schedule: drugz 100, 162 mg {by}",)
    arms = {f"d{d}": f"nab-paclitaxel {d} mg/m2 iv d0" for d in (80, 150, 200)}
    comp = compare_arms("default", arms, days=3)
    off = [n for n in comp.notes if n.startswith("off-label schedule")]
    assert len(off) == 1 and off[0].startswith(
        "off-label schedule: nab-paclitaxel 80, 150, 200 mg/m2 once"
    )


def test_an_antibody_dosed_per_m2_runs_with_a_note_of_the_label_unit() -> None:
    """`pembrolizumab 200 mg/m2` ran without a word though its label doses it flat or per kg
    (audit find): it still runs, and the notes say the label's units and the conversion (the
    reference adult's body surface, weight / Km). Drugs labelled per m2, flat doses and mouse
    bodies get no such note."""
    from senotwin.model import get_scenario
    from senotwin.therapy.dosing import labelled_units
    from senotwin.therapy.drugs import library

    spec = get_scenario("default").load()
    notes = apply_regimen(spec, "pembrolizumab 200 mg/m2 iv q21d d0-d42").schedule.notes
    body = Body()
    bsa = body.weight_kg / body.km
    assert labelled_units(library().get("pembrolizumab")) == ("mg/kg", "mg")
    assert [n for n in notes if "not per m2" in n] == [
        "pembrolizumab 200 mg/m2: its labelled or studied doses are in mg/kg or mg, not per m2; "
        f"converted at the reference adult's {bsa:.2f} m2 (70 kg, Km 37 kg/m2) to "
        f"{200 * bsa:.4g} mg ({200 / body.km:.3g} mg/kg)"
    ]
    twice = "navitoclax 100 mg/m2 po qd d0-d2; navitoclax 100 mg/m2 po qd d7-d9"
    notes = apply_regimen(spec, twice).schedule.notes
    assert len([n for n in notes if "navitoclax 100 mg/m2: its labelled" in n]) == 1  # once
    for quiet in ("pembrolizumab 200 mg iv q21d d0-d42", "doxorubicin 60 mg/m2 iv d0"):
        assert not [n for n in apply_regimen(spec, quiet).schedule.notes if "per m2" in n]
    mouse = parse_regimen("anti-pd-l1 30 mg/m2 ip d0", body=Body("mouse"))
    assert mouse.unit_notes() == ()


def test_an_off_label_message_quotes_the_sources_citation_not_its_whole_text() -> None:
    """Off-label errors quoted a range's whole source (~1,000 characters for metformin): the
    message keeps its citation up to the first quotation and says where to read it whole; a
    short source is quoted as it is."""
    from senotwin.therapy.dosing import SOURCE_HEAD, source_in_brief

    with pytest.raises(ValidationError) as err:
        parse_regimen("metformin 5000 mg po d0").events()
    msg = str(err.value)
    assert "metformin hydrochloride tablets US label" in msg
    assert "in full: senotwin drugs show metformin" in msg
    assert "glycemic control" not in msg and len(msg) < 400
    assert source_in_brief("Ibrance label: 125 mg once daily", "palbociclib") == (
        "Ibrance label: 125 mg once daily"
    )
    long = "a label " + "word " * 60 + ": 'quote'"
    brief = source_in_brief(long, "x")
    assert brief.endswith("...; in full: senotwin drugs show x")
    assert len(brief.split(" ...;")[0]) <= SOURCE_HEAD


@pytest.mark.parametrize(
    ("every", "text"),
    [("8 h", "q8h"), ("6h", "q6h"), ("21 d", "q21d"), ("2 W", "q2w"), ("tid", "tid")],
)
def test_a_yaml_every_may_be_an_interval_with_its_unit(every: str, text: str) -> None:
    """YAML regimens took 'every: tid' but not 'every: 8 h' (ux52): an interval with its unit
    reads as the text form's qNh/qNd/qNw; the same regimen either way."""
    item = f"{{drug: metformin, dose: 850 mg, route: po, every: {every}, days: d0-d13}}"
    yaml_form = f"regimen:\n  - {item}\n"
    written = parse_regimen(f"metformin 850 mg po {text} d0-d13")
    assert parse_regimen(yaml_form).items == written.items


def test_a_yaml_every_with_a_bad_interval_names_it() -> None:
    with pytest.raises(RegimenSyntaxError, match="q5h"):
        parse_regimen("regimen:\n  - {drug: metformin, dose: 850 mg, every: 5 h, days: d0-d6}\n")


def test_yaml_errors_point_at_the_item_and_its_field() -> None:
    """A YAML regimen's error named 'line 2, column 19' of a text rebuilt from the items (ux53,
    fix53): it now names the item and its field, with the caret on that item's own line."""
    with pytest.raises(RegimenSyntaxError) as info:
        parse_yaml(
            {
                "regimen": [
                    {"drug": "doxorubicin", "dose": "60 mg/m2", "route": "iv", "days": [0]},
                    {"drug": "pembrolizumab", "dose": "200 mg", "route": "iv", "every": "qz"},
                ]
            },
            source="arms.yaml",
        )
    head, shown, caret = str(info.value).splitlines()
    assert head.startswith("arms.yaml: item 2, field 'every': unexpected 'qz'"), head
    assert "line" not in head.split(":")[1], head
    assert shown.strip() == "pembrolizumab 200 mg iv qz"
    assert caret.index("^") == shown.index("qz")
    with pytest.raises(
        RegimenSyntaxError, match=r"item 1, field 'drug': unknown drug 'doxorubicn'"
    ):
        parse_yaml([{"drug": "doxorubicn", "dose": "2 mg/kg", "days": [0]}])


def test_yaml_error_about_the_whole_regimen_names_no_item() -> None:
    """An anchor cycle is about the regimen, not a place in it: no item or caret is blamed."""
    with pytest.raises(ValidationError) as info:
        parse_yaml(
            [
                {
                    "drug": "doxorubicin",
                    "dose": "2 mg/kg",
                    "days": [0],
                    "after": "after last navitoclax",
                },
                {
                    "drug": "navitoclax",
                    "dose": "50 mg/kg",
                    "route": "po",
                    "days": [0],
                    "after": "after first doxorubicin",
                },
            ]
        )
    message = str(info.value)
    assert "cycle" in message and "item" not in message.split(":")[1], message
    assert "^" not in message, message
