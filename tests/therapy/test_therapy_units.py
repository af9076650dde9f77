"""Units of treatment-compiled models: every drug of the library, compiled onto the default
model, adds processes and observables whose units match their declarations."""

from __future__ import annotations

import pytest

from senotwin._errors import ValidationError
from senotwin.model import get_scenario
from senotwin.model.spec import ModelSpec
from senotwin.model.unitcheck import unit_problems
from senotwin.therapy.drugs import DRIVE_TARGET, Drug, library
from senotwin.therapy.pkpd import represented_targets, therapy_spec


@pytest.fixture(scope="module")
def default() -> ModelSpec:
    return get_scenario("default").load()


def _acts_on(drug: Drug, spec: ModelSpec) -> bool:
    targets = represented_targets(spec)
    return any((DRIVE_TARGET if e.kind == "drive" else e.target) in targets for e in drug.effects)


def test_every_library_drug_compiles_onto_the_default_model_unit_consistently(
    default: ModelSpec,
) -> None:
    """Drives were declared 1/day on a concentration in mg/L, so pd_<drug>_exposure and
    pd_chemo_start ran in (mg/L)/day on dimensionless species; the senolysis tissue-damage proxy,
    fixed at 0 where the model has nothing for it to read, was a dimensionless 0 against 1/day."""
    problems: dict[str, list[str]] = {}
    compiled = []
    for drug in library().drugs:
        if not _acts_on(drug, default):  # refused with the targets the model does represent
            with pytest.raises(ValidationError, match="does not represent"):
                therapy_spec(default, [drug])
            continue
        compiled.append(drug)
        found = unit_problems(therapy_spec(default, [drug]))
        if found:
            problems[drug.id] = found
    assert problems == {}
    assert len(compiled) > 50  # the library, not a handful
    # every drug at once: the shared parts (resistance clock, drug factors, toxicity proxies)
    assert unit_problems(therapy_spec(default, compiled)) == []


def test_a_drive_is_exposure_per_unit_auc(default: ModelSpec) -> None:
    """A mass drug's drive is per unit plasma AUC (mg/L x day); the activity drug's
    concentration is declared dimensionless, so its drive is per day."""
    lib = library()
    dox = therapy_spec(default, [lib.get("doxorubicin")])
    assert dox.parameter("pd_doxorubicin_drive").unit == "L/(mg*day)"
    ra = therapy_spec(default, [lib.get("ra223-sazyme")])
    assert next(s for s in ra.species if s.id == "drug_ra223_sazyme").unit == "1"
    assert ra.parameter("pd_ra223_sazyme_drive").unit == "1/day"
