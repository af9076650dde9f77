"""NAME=VALUE[@DAY] settings (--set, --block, cohort actions) read by the regimen tokenizer."""

from __future__ import annotations

import pytest

from senotwin.therapy.language import RegimenSyntaxError, Setting, parse_setting


def test_settings_parse_values_and_days() -> None:
    assert parse_setting("a=0.2", source="--set") == Setting("a", 0.2, None)
    assert parse_setting(" NFKB ", source="--block", value=None) == Setting("NFKB", None, None)
    assert parse_setting("k = 5e-1 @ d14", source="x", day=True) == Setting("k", 0.5, 14.0)
    assert parse_setting("k=1@7", source="x", day=None).day == 7.0


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("a=nan", 3, "(a number), found 'nan'"),
        ("a=-1", 3, "must be a number >= 0, found '-1'"),
        ("a=1e999", 3, "is not finite"),
        ("=3", 1, "expected a name"),
        ("a=1 b", 5, "unexpected 'b'"),
        ("a", 2, "expected '=' and a value after 'a'"),
    ],
)
def test_bad_settings_point_at_the_column(text: str, column: int, fragment: str) -> None:
    with pytest.raises(RegimenSyntaxError) as info:
        parse_setting(text, source="--set")
    assert info.value.column == column and fragment in str(info.value)
    assert str(info.value).startswith("--set: ")


def test_a_day_is_required_or_refused_as_asked() -> None:
    with pytest.raises(RegimenSyntaxError, match="expected '@DAY'"):
        parse_setting("k=1", source="x", day=True)
    with pytest.raises(RegimenSyntaxError, match="unexpected"):
        parse_setting("k=1@3", source="x")
