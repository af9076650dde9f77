"""A trial as data: the YAML schema of the trial library, read and checked at load.

Every field is checked with an error naming the trial file, the field, the value and what is
allowed. Arms are regimen-language text (parsed at load, so a wrong drug or dose fails here).
Published results carry their source (article and table/figure); times are in months.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from senotwin._errors import ValidationError
from senotwin._yaml import read_yaml
from senotwin.analysis.endpoints import LESION_GROWTH_SPREAD, TrialRules
from senotwin.cohort.baseline import BaselineDisease

DAYS_PER_MONTH = 30.4375

_TOP = {
    "id",
    "title",
    "reference",
    "condition",
    "scenario",
    "inclusion",
    "baseline",
    "assessment",
    "arms",
    "subgroups",
    "notes",
    "off_label",
    "survival",
    "tissue",
}
_SURVIVAL = {
    "post_progression_median_months",
    "source",
    "post_progression_rate_factor",
    "rate_factor_source",
}
_SURVIVAL_REQUIRED = {"post_progression_median_months", "source"}
_BASELINE = {
    "sld_median_mm",
    "sld_sigma",
    "pdl1_positive_share",
    "pdl1_high_share",
    "pdl1_ic_share",
    "pdl1_ic_rho",
    "pdl1_ic_cd8_rho",
    "ecog1_share",
    "age_median",
    "age_range",
    "source",
}
_ASSESS = {
    "schedule",
    "confirm_days",
    "min_sd_days",
    "follow_days",
    "median_follow_months",
    "median_follow_source",
    "source",
}
_ARM = {"name", "label", "products", "regimen", "stand_in", "published"}
_PUBLISHED = {
    "n",
    "orr",
    "cr",
    "orr_definition",
    "median_pfs_months",
    "median_pfs_ci",
    "median_os_months",
    "median_os_ci",
    "hr_pfs",
    "hr_os",
    "landmarks",
    "adverse_events",
    "source",
}
_LANDMARK = {"endpoint", "months", "percent", "ci", "source"}
_ADVERSE = {"event", "min_grade", "percent", "n", "source"}
#: published adverse events a blood-count read is compared with (trial.toxicity), each with the
#: chain whose simulated count's CTCAE grade reads it: the investigator-reported MedDRA terms of
#: the trials' adverse-event tables, or the worst laboratory value of a label's
#: laboratory-abnormality table
ADVERSE_EVENTS = {
    "neutropenia": "neutropenia",
    "neutrophil count decreased": "neutropenia",
    "neutrophil count decreased (laboratory)": "neutropenia",
    "thrombocytopenia": "thrombocytopenia",
    "platelet count decreased": "thrombocytopenia",
    "platelet count decreased (laboratory)": "thrombocytopenia",
}
_SUBGROUP = {"name", "label", "filter", "published"}
#: what a published ORR counts: confirmed CR/PR (RECIST 1.1, a later scan >= confirm_days),
#: unconfirmed (a CR/PR seen once), or not read from the publication (compared with the confirmed
#: simulated ORR, the simulator's primary definition, and labelled so)
ORR_DEFINITIONS = {
    "confirmed": "ORR",
    "unconfirmed": "ORR_unconfirmed",
    "not_read": "ORR",
}
#: subgroup filters: row column and the largest value (PD-L1 stratum 0 negative, 1 positive
#: below the high threshold, 2 high)
FILTERS = {
    "pdl1_positive": ("b_pdl1_positive", 1),
    "pdl1_high": ("b_pdl1_high", 1),
    "pdl1_stratum": ("b_pdl1_stratum", 2),
    "pdl1_ic_positive": ("b_pdl1_ic_positive", 1),
}


@dataclass(frozen=True)
class Landmark:
    """A published event-free rate at a fixed time (e.g. OS at 12 months), with its source:
    where a median on a scan calendar jumps, a rate at a time reads the curve's level, and a
    rate late in follow-up reads its tail (durable benefit), which no median shows."""

    endpoint: str  # "pfs" or "os"
    months: float
    percent: float
    ci: tuple[float, float] | None = None
    source: str = ""


@dataclass(frozen=True)
class AdverseEvent:
    """A published adverse-event rate of one arm: the share of the safety population (``n``)
    with the term at grade ``min_grade`` or worse, with its source."""

    event: str  # one of ADVERSE_EVENTS
    min_grade: int  # 1-4: "grade >= min_grade"
    percent: float
    n: int
    source: str


@dataclass(frozen=True)
class Published:
    """Published results of one arm (None = not reported / not reached)."""

    n: int | None = None
    orr: float | None = None  # percent
    orr_definition: str = "confirmed"  # of the published ORR: one of ORR_DEFINITIONS
    cr: float | None = None  # percent of patients whose best overall response is CR
    median_pfs_months: float | None = None
    median_pfs_ci: tuple[float, float] | None = None
    median_os_months: float | None = None
    median_os_ci: tuple[float, float] | None = None
    hr_pfs: tuple[float, float, float] | None = None  # HR, low, high vs the control arm
    hr_os: tuple[float, float, float] | None = None
    landmarks: tuple[Landmark, ...] = ()
    adverse_events: tuple[AdverseEvent, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class PostProgression:
    """Survival after RECIST progression in the trial's disease and line of therapy (cited)."""

    median_months: float
    source: str
    #: calibrated factor on the post-progression rate the typical course gives, so that the
    #: simulated control arm has the cited median (scripts/pps_rate_fit.py; 1: not calibrated)
    rate_factor: float = 1.0
    rate_factor_source: str = ""


@dataclass(frozen=True)
class TrialArm:
    """One arm: the regimen run (library products) and the trial's real products."""

    name: str
    label: str
    products: str
    regimen: str  # regimen-language text; "none" for no treatment
    stand_in: str
    published: Published


@dataclass(frozen=True)
class Subgroup:
    """A reported subgroup (e.g. PD-L1 positive) with its own published results per arm."""

    name: str
    label: str
    column: str  # row column it filters on
    value: float
    published: Mapping[str, Published]


@dataclass(frozen=True)
class TrialSpec:
    """A library trial (see the module docstring)."""

    id: str
    title: str
    reference: str
    condition: str
    scenario: str
    inclusion: tuple[str, ...]
    baseline: BaselineDisease
    baseline_source: str
    rules: TrialRules
    assessment_source: str
    arms: tuple[TrialArm, ...]
    subgroups: tuple[Subgroup, ...]
    notes: str
    path: str
    off_label: str = ""  # why doses outside the library's human ranges run (recorded); "" = none
    post_progression: PostProgression | None = None  # None: the Liu 2019 hazard after progression
    tissue: str = ""  # trial/data/tissues/immunity.yaml id ("" = melanoma immunity as calibrated)
    #: where the published median follow-up (``rules.median_follow_days``) was read ("" = none)
    median_follow_source: str = ""

    @property
    def control(self) -> TrialArm:
        """The first arm is the control (reference for HRs)."""
        return self.arms[0]


def _fail(src: str, field: str, value: Any, allowed: str) -> ValidationError:
    return ValidationError(f"{src}: field {field!r} = {value!r}: {allowed}")


def _in_file(src: str, exc: ValidationError) -> ValidationError:
    """``exc`` with the trial file named in front, once (the field checks already name it;
    a dataclass's own check does not)."""
    text = str(exc)
    return ValidationError(text if text.startswith(f"{src}: ") else f"{src}: {text}")


def _keys(src: str, where: str, data: Any, allowed: set[str], required: set[str]) -> None:
    if not isinstance(data, Mapping):
        raise _fail(src, where, data, "must be a mapping")
    extra = set(data) - allowed
    if extra:
        raise _fail(src, where, sorted(extra), f"unknown key(s); allowed: {sorted(allowed)}")
    missing = required - set(data)
    if missing:
        raise _fail(src, where, sorted(missing), "required key(s) missing")


def _num(src: str, field: str, v: Any, *, lo: float = 0.0, hi: float = math.inf) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not (lo <= float(v) <= hi):
        raise _fail(src, field, v, f"must be a number in [{lo}, {hi}]")
    return float(v)


def _opt(src: str, field: str, v: Any, **kw: float) -> float | None:
    return None if v is None else _num(src, field, v, **kw)


def _pair(src: str, field: str, v: Any) -> tuple[float, float] | None:
    if v is None:
        return None
    if not isinstance(v, list) or len(v) != 2:
        raise _fail(src, field, v, "must be [low, high]")
    a, b = (_num(src, field, x) for x in v)
    if not a <= b:
        raise _fail(src, field, v, "low must be <= high")
    return a, b


def _hr(src: str, field: str, v: Any) -> tuple[float, float, float] | None:
    if v is None:
        return None
    if not isinstance(v, list) or len(v) != 3:
        raise _fail(src, field, v, "must be [HR, low, high]")
    hr, lo, hi = (_num(src, field, x, lo=0.0, hi=100.0) for x in v)
    if not lo <= hr <= hi:
        raise _fail(src, field, v, "needs low <= HR <= high")
    return hr, lo, hi


def _text(src: str, field: str, v: Any, *, empty: bool = False) -> str:
    if not isinstance(v, str) or (not empty and not v.strip()):
        raise _fail(src, field, v, "must be a non-empty string")
    return v.strip()


def _published(src: str, where: str, data: Any) -> Published:
    _keys(src, where, data, _PUBLISHED, {"source"})
    n = data.get("n")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise _fail(src, f"{where}.n", n, "must be a positive integer")
    # a published ORR says which definition it uses, so that the comparison sets the simulated
    # ORR of the same definition beside it
    definition = data.get("orr_definition")
    if ("orr" in data) != ("orr_definition" in data):
        raise _fail(
            src, f"{where}.orr_definition", definition, "required with 'orr' (and only with it)"
        )
    if definition is not None and definition not in ORR_DEFINITIONS:
        raise _fail(src, f"{where}.orr_definition", definition, f"one of {list(ORR_DEFINITIONS)}")
    return Published(
        n=n,
        orr=_opt(src, f"{where}.orr", data.get("orr"), hi=100.0),
        orr_definition=definition or "confirmed",
        cr=_opt(src, f"{where}.cr", data.get("cr"), hi=100.0),
        median_pfs_months=_opt(src, f"{where}.median_pfs_months", data.get("median_pfs_months")),
        median_pfs_ci=_pair(src, f"{where}.median_pfs_ci", data.get("median_pfs_ci")),
        median_os_months=_opt(src, f"{where}.median_os_months", data.get("median_os_months")),
        median_os_ci=_pair(src, f"{where}.median_os_ci", data.get("median_os_ci")),
        hr_pfs=_hr(src, f"{where}.hr_pfs", data.get("hr_pfs")),
        hr_os=_hr(src, f"{where}.hr_os", data.get("hr_os")),
        landmarks=_landmarks(src, f"{where}.landmarks", data.get("landmarks")),
        adverse_events=_adverse(src, f"{where}.adverse_events", data.get("adverse_events")),
        source=_text(src, f"{where}.source", data.get("source")),
    )


def _items(src: str, where: str, data: Any, what: str) -> list[tuple[str, Any]]:
    """(field path, item) of each entry of an optional list field, which, when given, must be
    a non-empty list of ``what``."""
    if data is None:
        return []
    if not isinstance(data, list) or not data:
        raise _fail(src, where, data, f"must be a non-empty list of {what}")
    return [(f"{where}[{i}]", item) for i, item in enumerate(data)]


def _adverse(src: str, where: str, data: Any) -> tuple[AdverseEvent, ...]:
    """``[{event, min_grade, percent, n, source}, ...]``: one rate per event and grade."""
    out: list[AdverseEvent] = []
    for at, item in _items(src, where, data, "adverse-event rates"):
        _keys(src, at, item, _ADVERSE, _ADVERSE)
        event = item["event"]
        if event not in ADVERSE_EVENTS:
            raise _fail(src, f"{at}.event", event, f"one of {list(ADVERSE_EVENTS)}")
        g = item["min_grade"]
        if isinstance(g, bool) or g not in (1, 2, 3, 4):
            raise _fail(src, f"{at}.min_grade", g, "a CTCAE grade 1-4 (the rate is of >= it)")
        n = item["n"]
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise _fail(src, f"{at}.n", n, "the safety population, a positive integer")
        percent = _num(src, f"{at}.percent", item["percent"], hi=100.0)
        if any(a.event == event and a.min_grade == g for a in out):
            raise _fail(src, at, f"{event} grade >= {g}", "given twice")
        out.append(AdverseEvent(event, g, percent, n, _text(src, f"{at}.source", item["source"])))
    return tuple(out)


def _landmarks(src: str, where: str, data: Any) -> tuple[Landmark, ...]:
    """``[{endpoint: pfs|os, months, percent, ci: [low, high] (optional), source}, ...]``; one
    rate per endpoint and time."""
    out: list[Landmark] = []
    for at, item in _items(src, where, data, "landmark rates"):
        _keys(src, at, item, _LANDMARK, {"endpoint", "months", "percent", "source"})
        endpoint = item["endpoint"]
        if endpoint not in ("pfs", "os"):
            raise _fail(src, f"{at}.endpoint", endpoint, "one of ['pfs', 'os']")
        months = _num(src, f"{at}.months", item["months"], lo=0.1, hi=120.0)
        percent = _num(src, f"{at}.percent", item["percent"], hi=100.0)
        ci = _pair(src, f"{at}.ci", item.get("ci"))
        if ci is not None and not (ci[0] <= percent <= ci[1] and ci[1] <= 100.0):
            raise _fail(src, f"{at}.ci", list(ci), f"must contain percent {percent:g}, <= 100")
        if any(lm.endpoint == endpoint and lm.months == months for lm in out):
            raise _fail(src, at, f"{endpoint} at {months:g}", "given twice")
        source = _text(src, f"{at}.source", item["source"])
        out.append(Landmark(endpoint, months, percent, ci, source))
    return tuple(out)


def parse_trial(data: Any, *, source: str) -> TrialSpec:
    """Check and convert one trial mapping (from YAML) into a :class:`TrialSpec`."""
    from senotwin.model.scenarios import get_scenario
    from senotwin.therapy.language import parse_regimen

    src = source
    _keys(
        src,
        "trial",
        data,
        _TOP,
        {"id", "title", "reference", "scenario", "baseline", "assessment", "arms"},
    )
    tid = _text(src, "id", data["id"])
    if not tid.replace("_", "").isalnum() or not tid.islower():
        raise _fail(src, "id", tid, "use lower-case letters, digits and '_'")
    scenario = _text(src, "scenario", data["scenario"])
    try:
        get_scenario(scenario)  # unknown scenario: error with suggestions
    except ValidationError as exc:  # named with the file and the field, as every other field
        raise ValidationError(f"{src}: field 'scenario': {exc}") from None
    b = data["baseline"]
    _keys(src, "baseline", b, _BASELINE, {"source"})
    age_range = _pair(src, "baseline.age_range", b.get("age_range")) or (18.0, 90.0)
    try:
        baseline = BaselineDisease(
            sld_median_mm=_opt(
                src, "baseline.sld_median_mm", b.get("sld_median_mm"), lo=10.0, hi=400.0
            ),
            sld_sigma=_num(src, "baseline.sld_sigma", b.get("sld_sigma", 0.6), lo=0.05, hi=2.0),
            pdl1_positive_share=_opt(
                src, "baseline.pdl1_positive_share", b.get("pdl1_positive_share"), hi=1.0
            ),
            pdl1_high_share=_opt(src, "baseline.pdl1_high_share", b.get("pdl1_high_share"), hi=1.0),
            pdl1_ic_share=_opt(src, "baseline.pdl1_ic_share", b.get("pdl1_ic_share"), hi=1.0),
            pdl1_ic_rho=_opt(src, "baseline.pdl1_ic_rho", b.get("pdl1_ic_rho"), lo=-0.999, hi=1.0),
            pdl1_ic_cd8_rho=_opt(
                src, "baseline.pdl1_ic_cd8_rho", b.get("pdl1_ic_cd8_rho"), lo=-0.999, hi=0.999
            ),
            ecog1_share=_opt(src, "baseline.ecog1_share", b.get("ecog1_share"), hi=1.0),
            age_median=_opt(src, "baseline.age_median", b.get("age_median"), lo=18.0, hi=100.0),
            age_range=age_range,
            source=_text(src, "baseline.source", b["source"]),
        )
    except ValidationError as exc:
        raise _in_file(src, exc) from None
    a = data["assessment"]
    _keys(src, "assessment", a, _ASSESS, {"schedule", "source"})
    sched = a["schedule"]
    if not isinstance(sched, list) or not sched:
        raise _fail(src, "assessment.schedule", sched, "must be a list of [until_day, every_days]")
    segments = []
    for k, seg in enumerate(sched):
        if not isinstance(seg, list) or len(seg) != 2:
            raise _fail(src, f"assessment.schedule[{k}]", seg, "must be [until_day, every_days]")
        until = _num(src, f"assessment.schedule[{k}][0]", seg[0], lo=1.0)
        every = _num(src, f"assessment.schedule[{k}][1]", seg[1], lo=1.0, hi=365.0)
        segments.append((until, every))
    follow_median = _opt(
        src, "assessment.median_follow_months", a.get("median_follow_months"), lo=0.1, hi=120.0
    )
    if (follow_median is None) != (a.get("median_follow_source") is None):
        raise _fail(
            src,
            "assessment.median_follow_months",
            follow_median,
            "give the published median follow-up with its median_follow_source, or neither",
        )
    follow_source = (
        ""
        if follow_median is None
        else _text(src, "assessment.median_follow_source", a.get("median_follow_source"))
    )
    try:
        rules = TrialRules(
            median_follow_days=math.inf
            if follow_median is None
            else follow_median * DAYS_PER_MONTH,
            schedule=tuple(segments),
            confirm_days=_num(src, "assessment.confirm_days", a.get("confirm_days", 28.0)),
            min_sd_days=_num(src, "assessment.min_sd_days", a.get("min_sd_days", 42.0)),
            follow_days=_num(
                src, "assessment.follow_days", a.get("follow_days", 730.0), lo=30.0, hi=3650.0
            ),
            lesion_growth_spread=LESION_GROWTH_SPREAD,
            nontarget_progression=True,
        )
    except ValidationError as exc:
        raise _in_file(src, exc) from None
    if follow_median is not None and rules.median_follow_days > rules.follow_days:
        raise _fail(
            src,
            "assessment.median_follow_months",
            follow_median,
            f"at most the simulated follow-up (follow_days {rules.follow_days:g} d = "
            f"{rules.follow_days / DAYS_PER_MONTH:.1f} months)",
        )
    arms_in = data["arms"]
    if not isinstance(arms_in, list):
        raise _fail(src, "arms", arms_in, "a trial needs a list of at least two arms")
    if len(arms_in) < 2:  # named by count: the arm itself is pages of text
        raise ValidationError(
            f"{src}: field 'arms' holds {len(arms_in)} arm(s): a trial needs at least two arms"
        )
    arms = []
    for k, arm in enumerate(arms_in):
        where = f"arms[{k}]"
        _keys(src, where, arm, _ARM, {"name", "label", "regimen", "published"})
        name = _text(src, f"{where}.name", arm["name"])
        regimen = _text(src, f"{where}.regimen", arm["regimen"])
        if regimen != "none":
            try:
                reg = parse_regimen(regimen)
            except ValidationError as exc:
                raise ValidationError(f"{src}: {where}.regimen: {exc}") from None
            off = reg.off_label()
            if off and not data.get("off_label"):
                raise _fail(
                    src,
                    f"{where}.regimen",
                    regimen,
                    f"{off[0]}; a trial that must run it says why under 'off_label'",
                )
        arms.append(
            TrialArm(
                name=name,
                label=_text(src, f"{where}.label", arm["label"]),
                products=_text(src, f"{where}.products", arm.get("products", ""), empty=True),
                regimen=regimen,
                stand_in=_text(src, f"{where}.stand_in", arm.get("stand_in", ""), empty=True),
                published=_published(src, f"{where}.published", arm["published"]),
            )
        )
    names = [a.name for a in arms]
    if len(set(names)) != len(names):
        raise _fail(src, "arms", names, "arm names must be unique")
    subgroups = []
    for k, sg in enumerate(data.get("subgroups") or []):
        where = f"subgroups[{k}]"
        _keys(src, where, sg, _SUBGROUP, {"name", "label", "filter", "published"})
        filt = sg["filter"]
        if not isinstance(filt, Mapping) or len(filt) != 1 or next(iter(filt)) not in FILTERS:
            raise _fail(src, f"{where}.filter", filt, f"one of {sorted(FILTERS)} with its value")
        ((key, val),) = filt.items()
        if key == "pdl1_ic_positive" and baseline.pdl1_ic_share is None:
            raise _fail(
                src,
                f"{where}.filter",
                filt,
                "an immune-cell PD-L1 filter needs baseline.pdl1_ic_share (the trial's reported "
                "immune-cell positive share)",
            )
        pub = sg["published"]
        if not isinstance(pub, Mapping) or set(pub) - set(names):
            raise _fail(src, f"{where}.published", pub, f"a mapping of arm names {names}")
        subgroups.append(
            Subgroup(
                name=_text(src, f"{where}.name", sg["name"]),
                label=_text(src, f"{where}.label", sg["label"]),
                column=FILTERS[key][0],
                value=_num(src, f"{where}.filter.{key}", val, hi=FILTERS[key][1]),
                published={
                    arm: _published(src, f"{where}.published.{arm}", p) for arm, p in pub.items()
                },
            )
        )
    post_progression = None
    if data.get("survival") is not None:
        sv = data["survival"]
        _keys(src, "survival", sv, _SURVIVAL, _SURVIVAL_REQUIRED)
        if ("post_progression_rate_factor" in sv) != ("rate_factor_source" in sv):
            raise _fail(
                src,
                "survival.post_progression_rate_factor",
                sv.get("post_progression_rate_factor"),
                "give it together with rate_factor_source (how it was calibrated)",
            )
        post_progression = PostProgression(
            median_months=_num(
                src,
                "survival.post_progression_median_months",
                sv["post_progression_median_months"],
                lo=0.5,
                hi=120.0,
            ),
            source=_text(src, "survival.source", sv["source"]),
            rate_factor=_num(
                src,
                "survival.post_progression_rate_factor",
                sv.get("post_progression_rate_factor", 1.0),
                lo=0.1,
                hi=10.0,
            ),
            rate_factor_source=_text(
                src, "survival.rate_factor_source", sv.get("rate_factor_source", ""), empty=True
            ),
        )
    tissue = _text(src, "tissue", data.get("tissue", ""), empty=True)
    if tissue:
        from senotwin.trial.tissue import get_tissue

        try:
            get_tissue(tissue)
        except ValidationError as exc:
            raise ValidationError(f"{src}: field 'tissue': {exc}") from None
    inclusion = data.get("inclusion") or []
    if not isinstance(inclusion, list) or not all(isinstance(x, str) for x in inclusion):
        raise _fail(src, "inclusion", inclusion, "must be a list of strings")
    return TrialSpec(
        id=tid,
        title=_text(src, "title", data["title"]),
        reference=_text(src, "reference", data["reference"]),
        condition=_text(src, "condition", data.get("condition", ""), empty=True),
        scenario=scenario,
        inclusion=tuple(inclusion),
        baseline=baseline,
        baseline_source=baseline.source,
        rules=rules,
        assessment_source=_text(src, "assessment.source", a["source"]),
        median_follow_source=follow_source,
        arms=tuple(arms),
        subgroups=tuple(subgroups),
        notes=_text(src, "notes", data.get("notes", ""), empty=True),
        path=src,
        off_label=_text(src, "off_label", data.get("off_label", ""), empty=True),
        post_progression=post_progression,
        tissue=tissue,
    )


def load_trial(path: str | Path) -> TrialSpec:
    """Read and check a trial YAML file."""
    return parse_trial(read_yaml(path, what="trial file"), source=str(path))
