"""The whitelisting expression parser, renderers and numpy closures."""

from __future__ import annotations

import math

import numpy as np
import pytest

from senotwin._errors import ValidationError
from senotwin.model.compile import evaluate
from senotwin.model.expr import Call, Num, Op, Sym, parse, symbols, to_sbml_infix, to_text

ALLOWED = {"a", "b", "K", "n", "X"}


def test_parse_builds_tree_and_symbols() -> None:
    tree = parse("a * X / (K + X) - b ** 2", ALLOWED)
    assert symbols(tree) == {"a", "X", "K", "b"}
    assert isinstance(tree, Op) and tree.op == "-"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("__import__('os')", "not allowed"),
        ("a.real", "Attribute"),
        ("a[0]", "Subscript"),
        ("open('x')", "call of 'open'"),
        ("exp(x=1)", "keyword"),
        ("a if b else K", "IfExp"),
        ("a < b", "Compare"),
        ("lambda: 1", "Lambda"),
        ("'text'", "only numbers"),
        ("True", "only numbers"),
        ("unknown + 1", "unknown name 'unknown'"),
        ("exp(a, b)", "takes 1 arguments"),
        ("a +", "cannot parse"),
        ("", "non-empty"),
    ],
)
def test_parse_rejects_everything_outside_whitelist(text: str, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        parse(text, ALLOWED, where="process 'p1'")


def test_unknown_name_suggests_close_match() -> None:
    with pytest.raises(ValidationError, match="did you mean 'X'"):
        parse("x + 1", ALLOWED)


def test_time_is_always_allowed() -> None:
    assert symbols(parse("a * time", ALLOWED)) == {"a", "time"}


def test_evaluate_matches_hand_computation() -> None:
    values = {"a": 2.0, "b": 3.0, "K": 4.0, "n": 2.0, "X": 1.5}
    assert evaluate(parse("a * X / (K + X) - b ** 2", ALLOWED), values) == pytest.approx(
        2 * 1.5 / 5.5 - 9
    )
    assert evaluate(parse("hill(X, K, n)", ALLOWED), values) == pytest.approx(2.25 / 18.25)
    assert evaluate(parse("min(a, b, X) + max(a, b)", ALLOWED), values) == pytest.approx(4.5)
    assert evaluate(parse("exp(log(a)) + sqrt(K)", ALLOWED), values) == pytest.approx(4.0)
    assert evaluate(parse("-a ** 2", ALLOWED), values) == pytest.approx(-4.0)
    assert evaluate(parse("a * time", ALLOWED), values, time=3.0) == pytest.approx(6.0)


def test_text_round_trips_through_parser() -> None:
    for text in ["a - (b - K)", "a / (b * K)", "(a ** b) ** K", "a ** b ** K", "-(a + b) * X"]:
        tree = parse(text, ALLOWED)
        again = parse(to_text(tree), ALLOWED)
        values = {"a": 1.3, "b": 0.7, "K": 1.9, "n": 2.0, "X": 0.4}
        assert evaluate(again, values) == pytest.approx(evaluate(tree, values))


def test_sbml_infix_expands_hill_and_minmax() -> None:
    text = to_sbml_infix(parse("hill(X, K, n) + min(a, b)", ALLOWED))
    assert "hill" not in text and "min" not in text
    assert "piecewise(a, a <= b, b)" in text
    assert "X ^ n" in text


def test_closures_are_vectorised() -> None:
    tree = Op("+", (Sym("a"), Call("exp", (Num(0.0),))))
    assert evaluate(tree, {"a": 1.0}) == 2.0
    from senotwin.model.compile import to_callable

    f = to_callable(parse("X * a", {"X", "a"}), {"X": ("y", 0), "a": ("p", 0)})
    y = np.array([[1.0, 2.0, 3.0]])
    assert np.allclose(f(0.0, y, np.array([2.0]), []), [2.0, 4.0, 6.0])
    assert math.isfinite(float(f(0.0, np.array([1.0]), np.array([2.0]), [])))


def test_sbml_infix_writes_natural_log_as_ln() -> None:
    import libsbml

    text = to_sbml_infix(parse("log(a)", ALLOWED))
    assert text == "ln(a)"
    node = libsbml.parseL3Formula(text)
    assert node.getType() == libsbml.AST_FUNCTION_LN
