"""The rate-law registry: formulas, bindings and references."""

from __future__ import annotations

import pytest

from senotwin._errors import ValidationError
from senotwin.model import ratelaws
from senotwin.model.compile import evaluate


def test_every_template_has_reference_and_parses() -> None:
    assert len(ratelaws.names()) >= 15
    for name in ratelaws.names():
        law = ratelaws.get(name)
        assert law.reference and law.description
        assert law.formula_text()


@pytest.mark.parametrize(
    ("name", "values", "expected"),
    [
        ("first_order", {"k": 0.5, "X": 4.0}, 2.0),
        ("mass_action_2", {"k": 2.0, "A": 3.0, "B": 5.0}, 30.0),
        ("michaelis_menten", {"vmax": 10.0, "S": 1.0, "Km": 4.0}, 2.0),
        ("saturating_removal", {"beta": 0.27, "X": 1.1, "kappa": 1.1}, 0.135),
        ("hill_activation", {"vmax": 2.0, "X": 2.0, "K": 2.0, "n": 3.0}, 1.0),
        ("hill_inhibition", {"vmax": 2.0, "X": 1.0, "K": 1.0, "n": 2.0}, 1.0),
        ("logistic_growth", {"r": 1.0, "X": 50.0, "K": 100.0}, 25.0),
        ("logistic_growth_b", {"r": 1.0, "X": 50.0, "b": 0.01}, 25.0),
        ("recruitment", {"s0": 1.0, "smax": 4.0, "X": 3.0, "K": 3.0, "n": 1.0}, 3.0),
        ("ratio_dependent_kill", {"d": 2.0, "E": 1.0, "T": 1.0, "s": 1.0, "l": 1.0}, 1.0),
        ("gompertz_growth", {"r": 1.0, "X": 0.0, "K": 10.0}, 0.0),
    ],
)
def test_templates_evaluate_to_hand_values(name: str, values: dict, expected: float) -> None:
    law = ratelaws.get(name)
    assert evaluate(law.formula, values) == pytest.approx(expected)


def test_bind_reports_missing_and_extra_arguments() -> None:
    law = ratelaws.get("first_order")
    with pytest.raises(ValidationError, match=r"missing argument.*X.*unexpected argument.*Y"):
        law.bind({"k": "k1", "Y": "A"}, where="process 'decay'")


def test_unknown_template_suggests() -> None:
    with pytest.raises(ValidationError, match="did you mean 'first_order'"):
        ratelaws.get("first_ordr")


def test_register_rejects_duplicates_and_unsafe_formulas() -> None:
    with pytest.raises(ValidationError, match="already registered"):
        ratelaws.register(
            "first_order", "k", (("k", "parameter", "k"),), description="x", reference="y"
        )
    with pytest.raises(ValidationError, match="not allowed"):
        ratelaws.register(
            "evil_template",
            "k.__class__",
            (("k", "parameter", "k"),),
            description="x",
            reference="y",
        )
