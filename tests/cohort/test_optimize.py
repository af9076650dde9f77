"""Schedule search over library drugs: regimen text, toxicity from the proxies, seeding."""

from __future__ import annotations

import json

import pytest

from senotwin._errors import ValidationError
from senotwin.cohort.optimize import (
    DrugCourse,
    dosing_intervals,
    half_life_interval,
    labelled_intervals,
    optimize_schedule,
    regimen_text,
    schedule_choices,
)
from senotwin.therapy.dosing import Body
from senotwin.therapy.drugs import get_drug
from senotwin.therapy.language import parse_regimen


def test_courses_are_regimen_language_built_from_the_drug_records() -> None:
    nav = get_drug("navitoclax")
    course = DrugCourse("navitoclax", 0.5, 10, 7, 1.0)
    text = course.to_text()
    amount = nav.reference_dose.amount * 0.5
    assert text.startswith(f"navitoclax {amount:.4g} {nav.reference_dose.unit}")
    assert text.endswith("qd d10-d16")
    both = regimen_text([course, DrugCourse("anti-pd-1", 1.0, 14, 21, 21.0)])
    events = parse_regimen(both).events()
    assert {e.drug for e in events} == {"navitoclax", "anti-pd-1"}
    assert min(e.time for e in events if e.drug == "anti-pd-1") == 14.0
    assert [e.time for e in events if e.drug == "navitoclax"] == list(range(10, 17))
    # twice daily (abemaciclib's labelled 12 h) is written bid: two doses a day
    bid = DrugCourse("abemaciclib", 1.0, 0, 3, 0.5).to_text()
    assert bid.endswith("bid d0-d2") and len(parse_regimen(bid).events()) == 6


@pytest.mark.parametrize(
    ("drug", "every", "word", "per_day"),
    [
        ("abemaciclib", 0.5, "bid", 2),
        ("metformin", 1 / 3, "tid", 3),  # its 850 mg three times a day (8 h)
        ("aspirin", 0.25, "qid", 4),  # its 975 mg every 6 h
        ("aspirin", 1 / 6, "q4h", 6),  # its 325-650 mg every 4 h
    ],
)
def test_several_doses_a_day_are_written_as_the_language_words(
    drug: str, every: float, word: str, per_day: int
) -> None:
    """A schedule whose interval divides a day is written bid, tid, qid or qNh (it was
    'q0.3333d', an interval the parser reads otherwise) and, like bid, doses each listed day
    per_day times: the course's dose count is what the regimen language gives."""
    week = {"on": 5.0, "cycle": 7.0}
    for course, days, want in [
        (DrugCourse(drug, 0.01, 0, 3, every), "d0-d2", 3 * per_day),
        (DrugCourse(drug, 0.01, 4, 1, every), "d4", per_day),  # one day, dosed n times
        (DrugCourse(drug, 0.01, 0, 14, every, **week), "d0-d4 x2 cycles of 7d", 10 * per_day),
    ]:
        text = course.to_text(Body())
        assert text.endswith(f" {word} {days}"), text
        assert course.dose_count() == want
        assert len(parse_regimen(text).events(check_off_label=False)) == want


def test_the_search_doses_at_the_labelled_interval() -> None:
    """optimize dosed every drug once per terminal half-life: doxorubicin (t1/2 ~30 h) and
    nab-paclitaxel daily, at doses labelled for 3-weekly or weekly use (issue 13 item 7)."""
    assert half_life_interval(get_drug("doxorubicin")) == 1  # the old rule's daily doxorubicin
    assert dosing_intervals(get_drug("doxorubicin")) == (7.0, 21.0)  # weekly or q21d
    assert dosing_intervals(get_drug("nab-paclitaxel")) == (7.0, 21.0)  # weekly or q3w
    assert dosing_intervals(get_drug("pembrolizumab")) == (14.0, 21.0, 42.0)
    assert dosing_intervals(get_drug("navitoclax")) == (1.0,)  # daily (days 1-14 of 21)
    assert dosing_intervals(get_drug("abemaciclib")) == (0.5,)  # bid
    # radiation: its fractionation schedules (twice daily or daily), no longer the fallback
    assert labelled_intervals(get_drug("radiation")) == (0.5, 1.0)
    assert dosing_intervals(get_drug("radiation")) == (0.5, 1.0)
    assert half_life_interval(get_drug("radiation")) == 1  # daily without PK, were it needed
    # no labelled interval: the half-life fallback (about one half-life, at most 21 d, for an
    # antibody without a human range)
    ccl2 = get_drug("anti-ccl2")
    assert labelled_intervals(ccl2) == () and dosing_intervals(ccl2) == (
        float(half_life_interval(ccl2)),
    )
    assert 1 < half_life_interval(ccl2) <= 21
    # tocilizumab has its label's: weekly (162 mg sc) or every 4 weeks (iv)
    assert labelled_intervals(get_drug("tocilizumab")) == (7.0, 28.0)
    # the mouse range has its own interval: three times a week
    assert dosing_intervals(get_drug("anti-pd-l1"), "mouse") == pytest.approx((7 / 3,))


def test_a_cycled_course_doses_only_on_its_on_days() -> None:
    """Navitoclax days 1-14 of 21 was dosed daily for the whole course (issue 13 item 7): a
    42-day course is now two cycles of 14 doses, written in the regimen language's cycles."""
    course = DrugCourse("navitoclax", 1.0, 0, 42, 1.0, on=14.0, cycle=21.0)
    text = course.to_text()
    assert text == "navitoclax 325 mg po qd d0-d13 x2 cycles of 21d"
    times = [e.time for e in parse_regimen(text).events()]
    assert len(times) == 28
    assert all(t % 21 < 14 for t in times)
    # weekly on days 1, 8, 15 of 28: three doses a cycle; whole cycles that fit in the course
    nab = DrugCourse("nab-paclitaxel", 0.4, 3, 50, 7.0, on=21.0, cycle=28.0).to_text()
    assert nab.endswith("q7d d3-d17 x2 cycles of 28d")
    assert [e.time for e in parse_regimen(nab).events()] == [3, 10, 17, 31, 38, 45]
    # a course shorter than one cycle's dosing days is one cycle cut at its end
    short = DrugCourse("navitoclax", 1.0, 5, 7, 1.0, on=14.0, cycle=21.0).to_text()
    assert short.endswith("qd d5-d11 x1 cycle of 21d")
    # etoposide 100-120 mg/m2 on days 1, 3, 5 of 21; one dose a cycle needs no frequency
    eto = DrugCourse("etoposide", 1.0, 0, 60, 2.0, on=5.0, cycle=21.0).to_text()
    assert eto.endswith("q2d d0-d4 x3 cycles of 21d")
    once = DrugCourse("doxorubicin", 1.0, 0, 30, 21.0, on=21.0, cycle=21.0).to_text()
    assert once.endswith("iv d0 x2 cycles of 21d")  # days 0 and 21 lie in a 30-day course


def test_the_search_pairs_each_dose_with_its_schedule() -> None:
    """The search combined any dose of a range with any interval: 222 mg/m2 nab-paclitaxel
    weekly, pembrolizumab 70 mg q6w (issue 13 item 7)."""
    from senotwin.therapy.dosing import Body

    nab = schedule_choices(get_drug("nab-paclitaxel"), Body())
    assert [(c.every, c.on, c.cycle) for c in nab] == [
        (21.0, None, None),
        (7.0, None, None),
        (7.0, 21.0, 28.0),
    ]
    assert nab[0].low == nab[0].high == pytest.approx(1.0)  # 260 mg/m2, the reference dose
    assert max(c.high for c in nab if c.every == 7.0) == pytest.approx(125 / 260)
    pem = schedule_choices(get_drug("pembrolizumab"), Body())
    assert [(c.low, c.high) for c in pem if c.every == 42.0] == [(2.0, 2.0)]  # 400 mg only
    # no labelled interval (a user library's range without schedules): one choice at the
    # half-life fallback, daily for a drug without PK
    (rad,) = schedule_choices(_radiation_without_schedules(), Body())
    assert rad.every == 1.0 and "no labelled interval" in rad.label and rad.fallback
    assert rad.max_doses is None
    # radiation's own schedules carry their caps on a course's fractions
    caps = [(c.every, c.on, c.max_doses) for c in schedule_choices(get_drug("radiation"), Body())]
    assert caps == [
        (1.0, 5.0, 30),  # 2 Gy daily on weekdays, 30 fractions (RTOG 0617)
        (0.5, 5.0, 30),  # 1.5 Gy twice daily on weekdays, 30 fractions (Turrisi 1999)
        (1.0, None, 4),  # 12 Gy x 4 consecutive days (RTOG 0915)
        (1.0, None, 1),  # 34 Gy once (RTOG 0915)
        (1.0, None, 1),  # 8 Gy once (RTOG 9714)
        (1.0, 5.0, 10),  # 3 Gy x 10 on weekdays (RTOG 9714)
    ]
    res = optimize_schedule(
        "default",
        ["nab-paclitaxel", "navitoclax"],
        horizon=42.0,
        budget=8,
        patients=2,
        seed=2,
        keep=8,
    )
    assert len(res.best) == 8  # every schedule tried
    labels = {c.schedule for b in res.best for c in b.courses}
    assert len(labels) > 2
    for b in res.best:
        nab_course = next(c for c in b.courses if c.drug == "nab-paclitaxel")
        dose = 260 * nab_course.level
        if nab_course.every == 7.0:
            assert dose <= 125 * (1 + 1e-9), b.regimen
        else:
            assert dose == pytest.approx(260)
        for c in b.courses:
            if c.cycle is not None:
                assert f"cycles of {c.cycle:g}d" in b.regimen or "cycle of" in b.regimen


def _radiation_without_schedules():
    """Radiation as a user library might enter it: a human range with no schedule."""
    from senotwin.therapy.drugs import DoseRange

    rad = get_drug("radiation")
    bare = DoseRange(min="1 Gy", max="34 Gy", routes=("local",), source="a range, no schedule")
    return rad.model_copy(update={"dose_ranges": {"human": bare}})


def test_optimize_writes_regimens_at_the_labelled_interval() -> None:
    """optimize dosed radiation by the half-life fallback (daily) at up to 34 Gy for the
    whole course, e.g. 34 Gy every day for months (issue 13 item 7): radiation now follows its
    fractionation schedules and a course gives no more fractions than its schedule's cap."""
    from senotwin.therapy.dosing import Body
    from senotwin.therapy.drugs import library
    from senotwin.therapy.language import schedule_notes

    res = optimize_schedule(
        "default",
        ["doxorubicin", "radiation"],
        horizon=120.0,
        budget=12,
        patients=2,
        seed=1,
        keep=12,
    )
    assert res.half_life_fallback == ()
    labels = {s.label(): s for s in get_drug("radiation").dose_ranges["human"].schedules}
    used = set()
    for b in res.best:
        dox = next(c for c in b.courses if c.drug == "doxorubicin")
        assert dox.every in (7.0, 21.0)
        assert f"q{dox.every:g}d d{dox.start}-" in b.regimen or f"d{dox.start}" in b.regimen
        rad = next(c for c in b.courses if c.drug == "radiation")
        sched = labels[rad.schedule]  # a library schedule, named
        used.add(rad.schedule)
        assert rad.max_doses == sched.cap() and rad.every == sched.interval_day()
        events = parse_regimen(b.regimen).events()
        fractions = [e for e in events if e.drug == "radiation"]
        assert 1 <= len(fractions) <= sched.cap() == rad.max_doses, b.regimen
        assert len(fractions) == rad.dose_count()
        assert {e.amount for e in fractions} == {float(sched.min.split()[0])}
        # the written regimen keeps to its schedule: no off-label schedule note for radiation
        notes = schedule_notes(fractions, Body(), library())
        assert notes == (), (b.regimen, notes)
    assert len(used) > 1  # the search tries several of the schedules


def test_a_capped_course_is_cut_to_its_doses() -> None:
    """A course on a capped schedule is cut short to keep to the cap, by whole cycles first
    (30 weekday fractions are six weeks), then within its one cycle; a single fraction is
    written as its day alone; a schedule no one-day course can keep to is refused by name."""
    week = {"on": 5.0, "cycle": 7.0}
    conv = DrugCourse("radiation", 1.0, 3, 120, 1.0, **week, max_doses=30).within_cap()
    assert conv.to_text() == "radiation 2 Gy qd d3-d7 x6 cycles of 7d"
    assert conv.dose_count() == len(parse_regimen(conv.to_text()).events()) == 30
    bid = DrugCourse("radiation", 0.75, 0, 90, 0.5, **week, max_doses=30).within_cap()
    assert bid.to_text() == "radiation 1.5 Gy bid d0-d4 x3 cycles of 7d"
    four = DrugCourse("radiation", 6.0, 10, 60, 1.0, max_doses=4).within_cap()
    assert four.to_text() == "radiation 12 Gy qd d10-d13"
    once = DrugCourse("radiation", 17.0, 40, 90, 1.0, max_doses=1).within_cap()
    assert once.to_text() == "radiation 34 Gy d40" and once.days == 1
    short = DrugCourse("radiation", 1.5, 0, 90, 1.0, **week, max_doses=3).within_cap()
    assert short.to_text() == "radiation 3 Gy qd d0-d2 x1 cycle of 7d"  # a cut cycle
    assert DrugCourse("radiation", 1.0, 0, 90, 1.0).within_cap().days == 90  # no cap
    with pytest.raises(ValidationError, match=r"radiation: schedule 'bid' gives 2 doses in a"):
        DrugCourse("radiation", 1.0, 0, 90, 0.5, max_doses=1).within_cap()


def test_search_is_seeded_and_reports_uncertainty() -> None:
    kw = {"horizon": 42.0, "budget": 4, "patients": 3, "seed": 3}
    res = optimize_schedule("default", ["navitoclax", "anti-PD-1"], **kw)
    again = optimize_schedule("default", ["navitoclax", "anti-PD-1"], **kw)
    assert res.best == again.best
    top = res.best[0]
    assert top.ci_low <= top.mean_log_ratio <= top.ci_high
    assert set(top.order) == {"navitoclax", "anti-pd-1"}
    assert top.regimen == regimen_text(top.courses, Body())  # doses in their schedules' units
    assert res.half_life_fallback == ()  # both have a labelled interval
    assert {c.every for c in top.courses if c.drug == "navitoclax"} == {1.0}
    assert {c.every for c in top.courses if c.drug == "anti-pd-1"} <= {14.0, 21.0, 42.0}
    assert [b.mean_log_ratio for b in res.best] == sorted(b.mean_log_ratio for b in res.best)
    # toxicity comes from the library's proxies: navitoclax inhibits the BCL-2 family
    assert top.toxicity > 0.0 and res.reference.toxicity == 0.0
    # a senolytic on top of chemotherapy-induced senescence does not do worse than no drug
    assert top.mean_log_ratio <= res.reference.mean_log_ratio + 1e-9


def test_bad_requests() -> None:
    with pytest.raises(ValidationError, match=r"unknown drug 'navitoclx'.*navitoclax"):
        optimize_schedule("default", ["navitoclx"], budget=1, patients=2)
    with pytest.raises(ValidationError, match="once"):
        optimize_schedule("default", ["anti-pd-1", "anti-PD1"], budget=1, patients=2)
    with pytest.raises(ValidationError, match="horizon"):
        optimize_schedule("default", ["anti-pd-1"], horizon=5, budget=1, patients=2)
    with pytest.raises(ValidationError, match="max_toxicity"):
        optimize_schedule("default", ["anti-pd-1"], max_toxicity=float("nan"))
    # upper bounds: a huge budget or cohort was accepted and ran for ever (fix53b)
    with pytest.raises(ValidationError, match=r"budget \(--budget.* from 1 to 2,000, got 2001"):
        optimize_schedule("default", ["anti-pd-1"], budget=2001)
    with pytest.raises(ValidationError, match=r"patients \(--patients.* 2 to 1,000, got 10000"):
        optimize_schedule("default", ["anti-pd-1"], patients=10_000)


def test_levels_stay_inside_the_labelled_human_range() -> None:
    from senotwin.cohort.optimize import level_bounds
    from senotwin.therapy.dosing import Body

    # pembrolizumab 1-10 mg/kg around its 200 mg reference (70 kg adult): 0.35x to 3.5x
    low, high = level_bounds(get_drug("pembrolizumab"), Body())
    assert low == pytest.approx(70 / 200) and high == pytest.approx(700 / 200)
    # navitoclax 10-440 mg around 325 mg: the search floor (0.1) binds below
    assert level_bounds(get_drug("navitoclax"), Body()) == pytest.approx((0.1, 440 / 325))
    # a research compound cannot be optimised for humans; in a mouse it keeps 0.1-1
    with pytest.raises(ValidationError, match=r"sb203580 has no human PK.*human scenario"):
        level_bounds(get_drug("sb203580"), Body())
    assert level_bounds(get_drug("sb203580"), Body("mouse")) == (0.1, 1.0)
    with pytest.raises(ValidationError, match="cannot be optimised in a human scenario"):
        optimize_schedule("default", ["sb203580"], budget=1, patients=2)


def test_a_mouse_scenario_is_refused_up_front() -> None:
    """Schedules are tried on virtual human patients: on a mouse scenario the untreated 'mice'
    shrank 100-fold and anti-PD-L1 failed on a human-dose level (audit, session 41)."""
    with pytest.raises(ValidationError, match="mouse experiment; virtual cohorts draw human"):
        optimize_schedule("mouse_emt6_isotype", ["anti-pd-l1"], budget=1, patients=2)


def test_nothing_feasible_is_said_with_why_and_exit_1() -> None:
    """Infeasible schedules were listed as the best, each 'toxicity 0.00 [exceeds toxicity
    limit]' even when grade-4 neutropenia was the reason, and the command exited 0 (s41).

    The run used to reach grade 4 with daily nab-paclitaxel (the half-life rule); at its
    labelled weekly or 3-weekly interval two tries stay feasible, so the run now fails the
    toxicity limit (navitoclax's thrombocytopenia proxy at --max-toxicity 0) and the grade-4
    reason is checked on an outcome directly."""
    from typer.testing import CliRunner

    from senotwin.cli.app import app
    from senotwin.cli.optimize import _infeasible
    from senotwin.cohort.optimize import ScheduleOutcome

    args = ["optimize", "--drugs", "navitoclax,radiation", "--budget", "2", "--patients", "2"]
    res = CliRunner().invoke(app, [*args, "--horizon", "30", "--max-toxicity", "0"])
    out = " ".join(res.output.split())
    assert res.exit_code == 1, res.output
    assert "no schedule tried met the limits" in out
    assert "[infeasible: toxicity above --max-toxicity 0]" in out
    assert "exceeds toxicity limit" not in out
    # radiation follows its fractionation schedules: no half-life fallback line
    assert "terminal half-life" not in out
    # each schedule names the library schedule each drug used
    assert (
        "schedules: navitoclax 10 mg to 440 mg qd on days 1-14 of each 21-day cycle" in (out)
        or "schedules: navitoclax 100 mg to 425 mg qd" in out
    )
    rad_labels = [s.label() for s in get_drug("radiation").dose_ranges["human"].schedules]
    assert any(f"; radiation {label}" in out for label in rad_labels), out
    as_json = CliRunner().invoke(app, [*args, "--horizon", "30", "--max-toxicity", "0", "--json"])
    assert as_json.exit_code == 1, as_json.output
    result = json.loads(as_json.stdout)["result"]
    assert result["half_life_fallback"] == []
    assert "Le Tourneau" in result["dlt_source"] and result["max_dlt_share"] == pytest.approx(1 / 3)
    assert "too toxic: a dose-limiting blood count in >= 33% of the patients" in out
    assert {c["drug"]: bool(c["schedule"]) for c in result["best"][0]["courses"]} == {
        "navitoclax": True,
        "radiation": True,
    }
    toxic = ScheduleOutcome((), "", (), 0.0, False, -0.5, -0.6, -0.4, 0.5, 0, dlt_share=0.5)
    assert _infeasible(toxic, 2.0, 1 / 3) == (
        " [infeasible: dose-limiting blood counts in 50% of patients (--max-dlt-share 0.33)]"
    )
    # a low mean nadir alone no longer decides: the share of patients with a DLT does
    low_mean = ScheduleOutcome(
        (), "", (), 3.0, False, -0.5, -0.6, -0.4, 0.5, 0, anc_nadir=0.3, dlt_share=0.25
    )
    assert _infeasible(low_mean, 2.0, 1 / 3) == " [infeasible: toxicity above --max-toxicity 2]"


def test_a_range_without_schedules_falls_back_and_says_so(monkeypatch) -> None:
    """No shipped range lacks a schedule since radiation's were entered, but a user library's
    may: the search then doses about once per terminal half-life (daily without PK) and the
    output names the drug (the fallback kept, shown here on radiation entered without them)."""
    from typer.testing import CliRunner

    import senotwin.therapy.drugs as drugs_module
    from senotwin.cli.app import app

    bare = _radiation_without_schedules()
    lib = drugs_module.DrugLibrary(
        drugs=tuple(bare if d.id == "radiation" else d for d in drugs_module.library().drugs)
    )
    monkeypatch.setattr(drugs_module, "library", lambda: lib)
    assert get_drug("radiation").dose_ranges["human"].schedules == ()
    res = optimize_schedule("default", ["radiation"], horizon=30.0, budget=2, patients=2, seed=1)
    assert res.half_life_fallback == ("radiation",)
    assert all(c.every == 1.0 and c.max_doses is None for b in res.best for c in b.courses)
    args = ["optimize", "--drugs", "radiation", "--budget", "2", "--patients", "2"]
    out = " ".join(CliRunner().invoke(app, [*args, "--horizon", "30"]).output.split())
    fallback = "dosed about once per terminal half-life instead (1-21 d; daily without PK)"
    assert f"{fallback}: radiation" in out
    assert "radiation qd (no labelled interval: the half-life fallback)" in out


def test_a_course_stays_within_the_labelled_cumulative_dose() -> None:
    """A doxorubicin course on a q3w schedule is cut to the doses that stay within the label's
    500 mg/m2; other drugs keep their schedule's cap (session 45)."""
    from senotwin.cohort.optimize import schedule_choices
    from senotwin.therapy.dosing import Body

    q3w = schedule_choices(get_drug("doxorubicin"), Body())[0]
    assert q3w.cumulative == pytest.approx(500 / 37 / 2)  # 500 mg/m2 in 2 mg/kg references
    per_dose = 75 / 37 / 2  # 75 mg/m2 as a level of the reference dose
    assert q3w.cap(per_dose) == 6  # 6 x 75 = 450 mg/m2; a 7th would give 525
    course = DrugCourse("doxorubicin", per_dose, 0, 200, 21.0, max_doses=q3w.cap(per_dose))
    assert course.within_cap().dose_count() == 6
    rad = schedule_choices(get_drug("radiation"), Body())[0]
    assert rad.cumulative is None and rad.cap(1.0) == 30


def test_a_course_is_written_in_its_schedules_unit() -> None:
    """optimize wrote 'doxorubicin 1.199 mg/kg iv q21d' for a mg/m2 schedule: the dose is now
    written as a clinician writes it, in the unit of the schedule the course follows."""
    from senotwin.therapy.dosing import Body

    dox = DrugCourse("doxorubicin", 60 / 37 / 2, 0, 22, 21.0, schedule="40 mg/m2 to 90 mg/m2 q21d")
    assert dox.to_text() == "doxorubicin 1.622 mg/kg iv q21d d0-d21"  # no body: reference unit
    assert dox.to_text(Body()) == "doxorubicin 60 mg/m2 iv q21d d0-d21"
    pem = get_drug("pembrolizumab").dose_ranges["human"].all_schedules()
    q6w = next(s for s in pem if s.min == "400 mg")
    flat = DrugCourse("pembrolizumab", 2.0, 0, 43, 42.0, schedule=q6w.label())
    assert flat.to_text(Body()) == "pembrolizumab 400 mg iv q42d d0-d42"
    assert parse_regimen(regimen_text([dox, flat], Body()), body=Body()).drugs()


def test_candidates_are_given_as_a_protocol_would_and_judged_by_dlt_share() -> None:
    """Nab-paclitaxel 215 and 240 mg/m2 weekly (more than twice its weekly dose), three patients
    with their own clearance, driver PK and marrow, as trial patients have: under the
    protocol's rules their courses are delayed, withheld or reduced (relative dose intensity
    below 1); the rules never raise the share of patients with more than a week of grade-4
    neutropenia and lower it at some dose (with three patients the share moves in thirds, so
    one dose alone may not show it: at 230 and 250 it does not, the first course's nadir
    coming before any rule can act)."""
    from senotwin.cohort.optimize import _Cohort
    from senotwin.therapy.dose_rules import DoseRules
    from senotwin.therapy.pkpd import CLEARANCE_ID

    ruled = _Cohort("default", ("nab-paclitaxel",), 3, 0, 90.0, "fast", DoseRules())
    plain = _Cohort("default", ("nab-paclitaxel",), 3, 0, 90.0, "fast", None)
    k10 = CLEARANCE_ID.format(key=get_drug("nab-paclitaxel").key)
    assert len({p.params[k10] for p in plain.patients}) == 3
    assert len({p.params["anc_base"] for p in plain.patients}) == 3
    lowered = []
    for dose in (215, 240):
        weekly = DrugCourse("nab-paclitaxel", dose / 260, 0, 84, 7, schedule=f"{dose} weekly")
        as_written, as_given = plain.outcomes([weekly]), ruled.outcomes([weekly])
        assert as_written.dose_intensity is None
        assert as_given.dose_intensity is not None and as_given.dose_intensity < 1.0
        assert as_written.dlt_share is not None and as_given.dlt_share is not None
        assert as_given.dlt_share <= as_written.dlt_share
        lowered.append(as_given.dlt_share < as_written.dlt_share)
    assert any(lowered)
    assert as_written.too_toxic(1 / 3) and not as_written.too_toxic(0.9)  # 240: two of three
    # untreated, the simulated counts stay above grade 4
    assert plain.outcomes([]).dlt_share == 0.0


def test_the_dlt_share_limit_is_checked() -> None:
    for bad in (0.0, 1.5, float("nan")):
        with pytest.raises(
            ValidationError, match=r"max_dlt_share \(--max-dlt-share: .* must lie in \(0, 1\]"
        ):
            optimize_schedule("default", ["anti-pd-1"], max_dlt_share=bad)
    with pytest.raises(TypeError, match="dose_rules must be DoseRules or None, got str"):
        optimize_schedule("default", ["anti-pd-1"], dose_rules="yes")  # type: ignore[arg-type]


def test_every_searched_course_keeps_to_its_own_schedule() -> None:
    """fix52: optimize wrote courses its own schedule check named off-label: bleomycin three
    times a week (a cycle's doses counted two ways), tocilizumab's subcutaneous 162 mg weekly
    as iv, artesunate by its mouse reference route (ip) in a human. Every schedule choice of
    every drug usable in humans, at its lowest, middle and top level and for courses of several
    lengths, is now written on-label: no off-label item, no off-label schedule or cumulative
    note, each dose by a route its schedule allows."""
    from senotwin.therapy.drugs import library
    from senotwin.therapy.language import schedule_notes

    body, checked = Body(), 0
    for drug in library().drugs:
        if drug.human_problem() is not None:
            continue
        rng = drug.dose_ranges["human"]
        for choice in schedule_choices(drug, body):
            sched = next((s for s in rng.all_schedules() if s.label() == choice.label), None)
            allowed = (sched.routes if sched and sched.routes else None) or rng.routes
            for level in sorted({choice.low, (choice.low + choice.high) / 2, choice.high}):
                for days in (7, 10, 22, 45, 100):
                    course = DrugCourse(
                        drug.id,
                        level,
                        3,
                        days,
                        choice.every,
                        choice.on,
                        choice.cycle,
                        choice.label,
                        choice.cap(level),
                        choice.route,
                    ).within_cap()
                    text = course.to_text(body)
                    reg = parse_regimen(text, body=body)
                    assert reg.off_label() == (), text
                    events = reg.events()
                    assert schedule_notes(events, body, library()) == (), text
                    if drug.pk.model != "none":
                        assert {e.route for e in events} <= set(allowed), text
                    checked += 1
    assert checked > 500


def test_a_course_is_given_by_its_schedules_route() -> None:
    """fix52: optimize gave tocilizumab's labelled 162 mg subcutaneous weekly dose iv; a course
    now takes its schedule's route (the reference route where allowed)."""
    from senotwin.cohort.optimize import course_route

    toci = schedule_choices(get_drug("tocilizumab"), Body())
    assert [(c.label, c.route) for c in toci] == [
        ("4 mg/kg to 8 mg/kg iv q28d", "iv"),
        ("162 mg sc q7d", "sc"),
    ]
    sc = toci[1]
    course = DrugCourse("tocilizumab", sc.low, 0, 28, sc.every, schedule=sc.label, route=sc.route)
    assert course.to_text(Body()) == "tocilizumab 162 mg sc q7d d0-d27"
    # artesunate's reference dose is a mouse's (ip); in humans it is given iv
    assert {c.route for c in schedule_choices(get_drug("artesunate"), Body())} == {"iv"}
    assert course_route(get_drug("radiation"), Body()) == ""  # no PK: no route written


def test_optimize_on_bleomycin_writes_regimens_its_check_accepts() -> None:
    """fix52: `optimize` on bleomycin wrote 'q3d d0-d6 x4 cycles of 7d' (days 0, 3, 6, 7, ...:
    thrice weekly, one day apart at the joins), which its own schedule check named off-label.
    The search now writes the label's weekly or twice-weekly courses."""
    from senotwin.therapy.drugs import library
    from senotwin.therapy.language import schedule_notes

    res = optimize_schedule(
        "default", ["bleomycin"], horizon=42.0, budget=6, patients=2, seed=2, keep=6
    )
    labels = {s.label() for s in get_drug("bleomycin").dose_ranges["human"].schedules}
    for best in res.best:
        (course,) = best.courses
        assert course.schedule in labels
        events = parse_regimen(best.regimen, body=Body()).events()
        assert events and schedule_notes(events, Body(), library()) == (), best.regimen
