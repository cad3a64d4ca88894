"""Vietnamese number formatting for the appendix: ``1.764``, ``86,14``, ``+120.415``, ``-3,07``.

Why Decimal and not float: the appendix's change column must equal the difference of the printed
figures, so every figure is rounded half-up on exact decimals (86,135 → 86,14), never on a binary float
that may sit just below the half.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

NOT_AVAILABLE = "Không có số liệu"
NO_CHANGE = "Giữ nguyên"

_VI_NUMBER_RE = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")


def to_decimal(value: object) -> Decimal | None:
    """Exact Decimal of a warehouse value; floats go through their shortest repr (0.1 → 0.1)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a boolean is not a figure")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value:  # NaN from pandas/numpy means "no value"
            return None
        return Decimal(repr(value))
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {value!r}") from exc


def quantize(value: object, places: int) -> Decimal | None:
    """Round half-up to ``places`` decimals (None stays None)."""
    d = to_decimal(value)
    if d is None:
        return None
    return d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _group_thousands(digits: str) -> str:
    out = []
    while len(digits) > 3:
        out.append(digits[-3:])
        digits = digits[:-3]
    out.append(digits)
    return ".".join(reversed(out))


def format_number(value: object, places: int = 0) -> str:
    """``448887`` → ``448.887``; ``86.135`` with 2 places → ``86,14``; None → not available."""
    d = quantize(value, places)
    if d is None:
        return NOT_AVAILABLE
    sign = "-" if d < 0 else ""
    text = f"{abs(d):f}"
    whole, _, frac = text.partition(".")
    out = sign + _group_thousands(whole)
    if places > 0:
        out += "," + frac.ljust(places, "0")[:places]
    return out


def format_change(value: object, places: int = 0) -> str:
    """A change with its sign always shown (``+5``, ``-3,07``); zero → ``Giữ nguyên``."""
    d = quantize(value, places)
    if d is None:
        return NOT_AVAILABLE
    if d == 0:
        return NO_CHANGE
    body = format_number(abs(d), places)
    return ("+" if d > 0 else "-") + body


def format_count_change(value: object, unit: str) -> str:
    """A count's change in words, as the official appendix writes it: ``Tăng 120.415 hồ sơ``,
    ``Giảm 54.856 hồ sơ``, ``Tăng 05 TTHC`` (one to nine written with two digits); zero → ``Giữ nguyên``."""
    d = quantize(value, 0)
    if d is None:
        return NOT_AVAILABLE
    if d == 0:
        return NO_CHANGE
    body = f"{abs(d):02f}" if abs(d) < 10 else format_number(abs(d))
    return f"{'Tăng' if d > 0 else 'Giảm'} {body} {unit}"


_COUNT_CHANGE_RE = re.compile(r"^(Tăng|Giảm) (\S+) \S.*$")


def parse_change(text: str) -> Decimal | None:
    """Read a printed change back: ``+5,28``, ``Tăng 05 TTHC`` → 5, ``Giảm 54.856 hồ sơ`` → -54856."""
    m = _COUNT_CHANGE_RE.fullmatch(text.strip())
    if m is None:
        return parse_number(text)
    n = parse_number(m[2])
    assert n is not None
    return n if m[1] == "Tăng" else -n


def format_fraction(numerator: object, denominator: object) -> str:
    """``1.764/1.764``: a count out of a total, as line 1.1 prints it."""
    if numerator is None or denominator is None:
        return NOT_AVAILABLE
    return f"{format_number(numerator)}/{format_number(denominator)}"


def parse_number(text: str) -> Decimal | None:
    """Read a figure printed the Vietnamese way back into a Decimal (``Giữ nguyên`` → 0).

    Used by tests that compare rendered cells with the reference appendix. Returns None for
    ``Không có số liệu``.
    """
    t = text.strip().rstrip("%").strip()
    if t == NOT_AVAILABLE:
        return None
    if t == NO_CHANGE:
        return Decimal(0)
    if not _VI_NUMBER_RE.fullmatch(t):
        raise ValueError(f"not a Vietnamese-formatted number: {text!r}")
    return Decimal(t.replace(".", "").replace(",", "."))
