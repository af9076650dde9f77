"""The trial library: shipped trials load and check; bad trial files fail naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from senotwin._errors import ValidationError
from senotwin.trial.library import DATA, get_trial, trials
from senotwin.trial.spec import load_trial


def test_library_has_the_three_trials_with_sources() -> None:
    ids = [t.id for t in trials()]
    assert ids == ["impassion130", "impower133", "keynote189"]
    for t in trials():
        assert len(t.arms) == 2 and t.control is t.arms[0]
        for arm in t.arms:
            assert arm.published.source and arm.published.n
        assert t.baseline_source and t.assessment_source
    kn = get_trial("keynote189")
    assert kn.arms[1].published.hr_pfs == (0.52, 0.43, 0.64)
    assert kn.baseline.pdl1_positive_share == 0.63
    assert kn.baseline.pdl1_high_share == 0.328  # TPS >= 50 %: 202 of 616 (Table 1)
    assert [(s.column, s.value) for s in kn.subgroups] == [("b_pdl1_stratum", v) for v in (0, 1, 2)]
    assert kn.subgroups[2].published["pembro"].hr_os == (0.42, 0.26, 0.68)
    assert [t.tissue for t in trials()] == ["tnbc", "sclc_extensive", "nsclc_nonsquamous"]
    assert "pembrolizumab 200 mg iv q21d" in kn.arms[1].regimen
    assert not any(t.off_label for t in trials())  # etoposide has its labelled range now
    assert get_trial("impower133").scenario == "aged_sclc_untreated"  # SCLC growth, not NSCLC
    ipa = get_trial("impassion130")
    assert ipa.scenario == "aged_tnbc_untreated"  # TNBC growth (Ryu 2014), not all breast cancers
    assert [s.name for s in ipa.subgroups] == ["pdl1_positive"]
    # its PD-L1 is scored on immune cells (SP142 IC >= 1 %, 369 of 902), a second score
    # correlated 0.338 with the cancer-cell one (the PCD4989g TC x IC table)
    assert [(s.column, s.value) for s in ipa.subgroups] == [("b_pdl1_ic_positive", 1.0)]
    assert ipa.baseline.pdl1_ic_share == 0.41 and ipa.baseline.pdl1_ic_rho == 0.338
    assert ipa.baseline.pdl1_positive_share is None
    # the label's laboratory neutrophil count decreased: grade 3-4 13 % in each arm, all
    # grades 54 / 58 %
    lab, every = ipa.arms[0].published.adverse_events
    assert (every.min_grade, every.percent) == (1, 54.0)
    assert ipa.arms[1].published.adverse_events[1].percent == 58.0
    assert (lab.event, lab.min_grade, lab.percent, lab.n) == (
        "neutrophil count decreased (laboratory)",
        3,
        13.0,
        438,
    )
    assert ipa.arms[1].published.adverse_events[0].n == 452
    assert ipa.subgroups[0].published["atezo"].hr_os == (0.62, 0.45, 0.86)
    # ECOG PS 0 57 % / 60 % of 451 per arm (ESMO 2018 LBA1): ECOG 1 selected at 0.415 (session 23)
    assert ipa.baseline.ecog1_share == 0.415 and "ESMO 2018" in ipa.baseline_source


def test_every_published_orr_names_its_definition() -> None:
    """Session 23 (orr): which ORR each trial reports (docs/trials.md); where both are published
    the confirmed one is compared (IMpassion130 PD-L1+: the FDA review's 60/183 and 98/185)."""
    got = {
        (t.id, pop, arm): (p.orr, p.orr_definition)
        for t in trials()
        for pop, pubs in [("ITT", {a.name: a.published for a in t.arms})]
        + [(s.name, dict(s.published)) for s in t.subgroups]
        for arm, p in pubs.items()
        if p.orr is not None
    }
    assert got == {
        ("impassion130", "ITT", "nab_pac"): (45.9, "unconfirmed"),
        ("impassion130", "ITT", "atezo"): (56.0, "unconfirmed"),
        ("impassion130", "pdl1_positive", "nab_pac"): (32.8, "confirmed"),
        ("impassion130", "pdl1_positive", "atezo"): (53.0, "confirmed"),
        ("impower133", "ITT", "cp_et"): (64.4, "confirmed"),
        ("impower133", "ITT", "atezo"): (60.2, "confirmed"),
        ("keynote189", "ITT", "chemo"): (18.9, "not_read"),
        ("keynote189", "ITT", "pembro"): (47.6, "not_read"),
    }
    pdl1 = get_trial("impassion130").subgroups[0].published
    assert "42.6" in pdl1["nab_pac"].source and "58.9" in pdl1["atezo"].source  # NEJM kept


def _variant(tmp_path: Path, change) -> Path:
    data = yaml.safe_load((DATA / "keynote189.yaml").read_text())
    change(data)
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(colour="red"), "unknown key"),
        (
            lambda d: d["arms"][1].update(regimen="pembrolizumab 2000 mg iv q21d d0-d700"),
            "pembrolizumab",
        ),
        (lambda d: d["arms"][0]["published"].update(orr=120), r"arms\[0\].published.orr"),
        # a published adverse-event rate names a known event, a grade 1-4, n and its source
        (
            lambda d: d["arms"][0]["published"].update(
                adverse_events=[
                    {"event": "neutropnia", "min_grade": 3, "percent": 10, "n": 9, "source": "x"}
                ]
            ),
            r"adverse_events\[0\].event' = 'neutropnia'.*'neutropenia'",
        ),
        (
            lambda d: d["arms"][0]["published"].update(
                adverse_events=[
                    {"event": "neutropenia", "min_grade": 5, "percent": 10, "n": 9, "source": "x"}
                ]
            ),
            r"adverse_events\[0\].min_grade' = 5.*CTCAE grade 1-4",
        ),
        (
            lambda d: d["arms"][0]["published"].update(
                adverse_events=[
                    {"event": "neutropenia", "min_grade": 3, "percent": 10, "n": 0, "source": "x"}
                ]
            ),
            r"adverse_events\[0\].n' = 0",
        ),
        (
            lambda d: d["arms"][0]["published"].update(
                adverse_events=[{"event": "neutropenia", "min_grade": 3, "percent": 10, "n": 9}]
            ),
            r"adverse_events\[0\].*required key",
        ),
        (
            lambda d: d["arms"][0]["published"].update(
                adverse_events=[
                    {"event": "neutropenia", "min_grade": 3, "percent": p, "n": 9, "source": "x"}
                    for p in (10, 12)
                ]
            ),
            r"adverse_events\[1\].*given twice",
        ),
        (
            lambda d: d["arms"][1].update(regimen="pembrolizumabb 200 mg iv q21d d0-d700"),
            r"arms\[1\].regimen",
        ),
        (lambda d: d.update(arms=d["arms"][:1]), "at least two arms"),
        (lambda d: d["arms"][1].update(name="chemo"), "unique"),
        (lambda d: d["arms"][1]["published"].update(hr_pfs=[0.5, 0.6, 0.7]), "low <= HR"),
        (lambda d: d["baseline"].update(ecog1_share=2), "ecog1_share"),
        (lambda d: d["baseline"].update(pdl1_high_share=0.9), "pdl1_high_share"),
        (lambda d: d.update(tissue="nsclc_nonsquamus"), "nsclc_nonsquamous"),
        (lambda d: d["assessment"].update(schedule=[[100, 0]]), r"schedule\[0\]\[1\]"),
        # the published median follow-up comes with its source, inside the simulated follow-up
        (lambda d: d["assessment"].pop("median_follow_source"), "with its median_follow_source"),
        (
            lambda d: d["assessment"].update(median_follow_months=30.0),
            r"median_follow_months' = 30.0.*at most the simulated follow-up",
        ),
        (lambda d: d["assessment"].update(median_follow_months=0), "median_follow_months"),
        (lambda d: d.update(scenario="aged_lugn_untreated"), "aged_lung_untreated"),
        (
            lambda d: d["survival"].update(post_progression_median_months=0),
            "survival.post_progression_median_months",
        ),
        (lambda d: d["survival"].pop("source"), "required key"),
        (
            lambda d: d["survival"].update(post_progression_rate_factor=50.0),
            "survival.post_progression_rate_factor",
        ),
        (lambda d: d["survival"].pop("rate_factor_source"), "together with rate_factor_source"),
        (
            lambda d: d.update(
                subgroups=[{"name": "x", "label": "x", "filter": {"sex": 1}, "published": {}}]
            ),
            "filter",
        ),
        (
            lambda d: d["subgroups"][0].update(filter={"pdl1_stratum": 3}),
            r"filter.pdl1_stratum",
        ),
        # an immune-cell PD-L1 subgroup needs the trial's immune-cell share (and its correlation)
        (
            lambda d: d["subgroups"][0].update(filter={"pdl1_ic_positive": 1}),
            r"subgroups\[0\].filter.*needs baseline.pdl1_ic_share",
        ),
        (lambda d: d["baseline"].update(pdl1_ic_share=0.4), "give both or neither"),
        # a published ORR names its definition; a bad or orphan definition is refused
        (
            lambda d: d["arms"][0]["published"].pop("orr_definition"),
            r"arms\[0\].published.orr_definition.*required with 'orr'",
        ),
        (
            lambda d: d["arms"][0]["published"].update(orr_definition="confirmd"),
            r"orr_definition' = 'confirmd'.*'confirmed', 'unconfirmed', 'not_read'",
        ),
        (
            lambda d: d["arms"][0]["published"].update(orr_definition=True),
            r"arms\[0\].published.orr_definition",
        ),
        (
            lambda d: d["subgroups"][0]["published"]["pembro"].update(orr_definition="confirmed"),
            r"subgroups\[0\].published.pembro.orr_definition.*only with it",
        ),
        (lambda d: d["arms"][0]["published"].update(cr=120.0), r"arms\[0\].published.cr"),
        # a landmark rate names its endpoint, a time, a percent inside its CI, and a source
        (
            lambda d: d["arms"][0]["published"]["landmarks"][0].update(endpoint="dfs"),
            r"arms\[0\].published.landmarks\[0\].endpoint' = 'dfs'.*'pfs', 'os'",
        ),
        (
            lambda d: d["arms"][0]["published"]["landmarks"][0].update(percent=120),
            r"landmarks\[0\].percent' = 120",
        ),
        (
            lambda d: d["arms"][0]["published"]["landmarks"][0].update(ci=[50.0, 60.0]),
            r"landmarks\[0\].ci.*must contain percent 49.4",
        ),
        (
            lambda d: d["arms"][0]["published"]["landmarks"][0].pop("source"),
            r"landmarks\[0\]' = \['source'\]: required",
        ),
        (
            lambda d: d["arms"][0]["published"]["landmarks"].append(
                dict(d["arms"][0]["published"]["landmarks"][0])
            ),
            r"landmarks\[1\]' = 'os at 12': given twice",
        ),
        # session 50 (audit): an unknown scenario named neither the file nor the field
        (
            lambda d: d.update(scenario="aged_lung"),
            r"\.yaml: field 'scenario': unknown scenario 'aged_lung'; did you mean",
        ),
    ],
)
def test_bad_trial_files_name_the_field(tmp_path: Path, change, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        load_trial(_variant(tmp_path, change))


def test_unknown_trial_suggests_the_closest() -> None:
    with pytest.raises(ValidationError, match="keynote189"):
        get_trial("keynote-189")


def test_library_trials_read_progression_lesion_by_lesion_and_the_liu_cohort_does_not() -> None:
    """Library trials: lesion-level growth spread and non-target progression (docs/trials.md,
    session 9). The liu2019 calibration cohort keeps the law it was fitted on until it is
    refitted (spread 0, no non-target progression)."""
    from senotwin.analysis.endpoints import LESION_GROWTH_SPREAD
    from senotwin.trial.ici_fit import RULES

    for name in ("keynote189", "impassion130", "impower133"):
        rules = get_trial(name).rules
        assert rules.lesion_growth_spread == LESION_GROWTH_SPREAD and rules.nontarget_progression
    assert RULES.lesion_growth_spread == 0.0 and not RULES.nontarget_progression


def test_library_trials_read_responses_at_their_published_median_follow_up() -> None:
    """Each library trial gives its published median follow-up with a source; the rules carry
    it in days (the response rows 'at N months of follow-up' read it)."""
    from senotwin.trial.spec import DAYS_PER_MONTH

    for name, months in (("keynote189", 10.5), ("impassion130", 12.9), ("impower133", 13.9)):
        t = get_trial(name)
        assert t.rules.median_follow_days == pytest.approx(months * DAYS_PER_MONTH)
        assert f"{months:g}" in t.median_follow_source


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["baseline"].update(ecog1_share=1.5),
        lambda d: d["baseline"].update(sld_median_mm=-5),
        lambda d: d["assessment"].update(confirm_days="four weeks"),
    ],
)
def test_a_bad_baseline_or_assessment_field_names_the_file_once(tmp_path: Path, change) -> None:
    """The file is named once before the field (it was named twice: 'f.yaml: f.yaml: field')."""
    path = _variant(tmp_path, change)
    with pytest.raises(ValidationError) as err:
        load_trial(path)
    assert str(err.value).count(str(path)) == 1, str(err.value)
    assert str(err.value).startswith(f"{path}: field '")


def test_a_one_arm_trial_is_refused_without_printing_the_arm(tmp_path: Path) -> None:
    """The arm count is named, not the arm's whole mapping (its sources ran to pages)."""
    with pytest.raises(ValidationError) as err:
        load_trial(_variant(tmp_path, lambda d: d.update(arms=d["arms"][:1])))
    assert "field 'arms' holds 1 arm(s): a trial needs at least two arms" in str(err.value)
    assert "published" not in str(err.value) and len(str(err.value)) < 300
