"""Vietnamese number format: thousands with dots, decimals with commas, signed changes, half-up rounding."""

from __future__ import annotations

from decimal import Decimal

import pytest

from warehouse.numbers_vi import format_change, format_fraction, format_number, parse_number, quantize


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (1764, 0, "1.764"),
        (448887, 0, "448.887"),
        (1234567, 0, "1.234.567"),
        (Decimal("86.14"), 2, "86,14"),
        (86.135, 2, "86,14"),  # half-up on the decimal 86.135, though the float is 86.13499…
        (2.675, 2, "2,68"),
        (12.6, 1, "12,6"),
        (0, 2, "0,00"),
        (None, 2, "Không có số liệu"),
    ],
)
def test_format_number(value: object, places: int, text: str) -> None:
    assert format_number(value, places) == text


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (5, 0, "+5"),
        (Decimal("-3.07"), 2, "-3,07"),
        (120415, 0, "+120.415"),
        (-54856, 0, "-54.856"),
        (0, 2, "Giữ nguyên"),
        (Decimal("0.004"), 2, "Giữ nguyên"),
        (None, 0, "Không có số liệu"),
    ],
)
def test_format_change(value: object, places: int, text: str) -> None:
    assert format_change(value, places) == text


def test_fraction_and_parse_round_trip() -> None:
    assert format_fraction(1764, 1769) == "1.764/1.769"
    assert format_fraction(None, 1) == "Không có số liệu"
    for d in (Decimal("448887"), Decimal("-3.07"), Decimal("120415.5")):
        assert parse_number(format_number(d, 1 if d % 1 else 0)) == quantize(d, 1 if d % 1 else 0)
    assert parse_number("Giữ nguyên") == 0 and parse_number("97,03%") == Decimal("97.03")
    with pytest.raises(ValueError):
        parse_number("12.34")  # a dot is a thousands separator: "12.34" is malformed
